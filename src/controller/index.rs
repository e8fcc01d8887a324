//! What a reconcile reads of other objects: one index over the operator's watch
//! caches, never AWS. The Service controller's watches fill it (Services, and the
//! Clusters and TaskDefinitions they reference); the Cluster and TaskDefinition
//! controllers read from it which Services still depend on their objects. TenantPolicies
//! and RolloutApprovals have watches of their own.

use std::collections::BTreeSet;
use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::store::Writer;
use kube::runtime::reflector::{self, ObjectRef, Store};

use crate::api::tenant_policy::Profile;
use crate::api::{
    CapacityProvider, Cluster, RolloutApproval, ScheduledTask, Service, Task, TaskDefinition,
    TenantPolicy,
};
use crate::tenancy;

/// Lookups over the watch caches. Reconcilers take it as a trait so tests can hand
/// them objects without an API server.
pub trait Index: Send + Sync {
    fn cluster(&self, namespace: &str, name: &str) -> Option<Arc<Cluster>>;
    fn capacity_provider(&self, namespace: &str, name: &str) -> Option<Arc<CapacityProvider>>;
    fn task_definition(&self, namespace: &str, name: &str) -> Option<Arc<TaskDefinition>>;
    /// Services, ScheduledTasks and CapacityProviders, as `Kind namespace/name`, whose
    /// clusterRef names the Cluster: its deletion waits for them.
    fn dependents_on_cluster(&self, namespace: &str, name: &str) -> Vec<String>;
    /// Clusters (capacityProviderRefs naming the object `name`, or capacityProviders and
    /// defaultCapacityProviderStrategy naming the ECS provider `provider`) and Services
    /// (capacityProviderStrategy) of `namespace`, as `Kind namespace/name`: the
    /// CapacityProvider's deletion waits for them.
    fn dependents_on_capacity_provider(
        &self,
        namespace: &str,
        name: &str,
        provider: &str,
    ) -> Vec<String>;
    /// Services, as `Service namespace/name`, whose spec.taskDefinitionRef names the
    /// TaskDefinition.
    fn services_of_task_definition(&self, namespace: &str, name: &str) -> Vec<String>;
    /// ARNs of the revisions any Service wants or still runs, an unfinished Task runs, or
    /// a ScheduledTask's schedule runs.
    fn revisions_in_use(&self) -> BTreeSet<String>;
    /// ARNs of the ECS clusters in `region` that Cluster objects manage or Services run
    /// in, as their status reports them: where tasks of a family may run.
    fn known_clusters(&self, region: &str) -> BTreeSet<String>;
    fn service(&self, namespace: &str, name: &str) -> Option<Arc<Service>>;
    /// The admin's TenantPolicies that govern `namespace`.
    fn tenant_policies(&self, namespace: &str) -> Vec<Arc<TenantPolicy>>;
    /// The RolloutApprovals of `namespace` that name the Service `service`.
    fn rollout_approvals(&self, namespace: &str, service: &str) -> Vec<Arc<RolloutApproval>>;

    /// The operator's task definition profile, for namespaces no policy sets one for.
    fn default_profile(&self) -> Profile;

    /// What task definitions in `namespace` may ask of the host.
    fn task_definition_profile(&self, namespace: &str) -> Profile {
        tenancy::profile(&self.tenant_policies(namespace), self.default_profile())
    }

    /// Whether the admin lets objects in `namespace` adopt AWS resources they did not
    /// create.
    fn adoption_allowed(&self, namespace: &str) -> bool {
        tenancy::adoption_allowed(&self.tenant_policies(namespace))
    }
}

/// The cluster ARNs of `region` (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`).
fn clusters_in<'a>(region: &str, arns: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    arns.filter(|arn| arn.split(':').nth(3) == Some(region))
        .map(str::to_string)
        .collect()
}

/// The watch caches the index reads.
#[derive(Clone)]
pub struct Caches {
    pub services: Store<Service>,
    pub tasks: Store<Task>,
    pub scheduled_tasks: Store<ScheduledTask>,
    pub clusters: Store<Cluster>,
    pub capacity_providers: Store<CapacityProvider>,
    pub task_definitions: Store<TaskDefinition>,
    pub tenant_policies: Store<TenantPolicy>,
    pub rollout_approvals: Store<RolloutApproval>,
    pub default_profile: Profile,
}

/// What fills `Caches`: handed to the watches that keep them.
pub struct CacheWriters {
    pub services: Writer<Service>,
    pub tasks: Writer<Task>,
    pub scheduled_tasks: Writer<ScheduledTask>,
    pub clusters: Writer<Cluster>,
    pub capacity_providers: Writer<CapacityProvider>,
    pub task_definitions: Writer<TaskDefinition>,
    pub tenant_policies: Writer<TenantPolicy>,
    pub rollout_approvals: Writer<RolloutApproval>,
}

impl Caches {
    pub fn new() -> (Self, CacheWriters) {
        let (services, services_writer) = reflector::store();
        let (tasks, tasks_writer) = reflector::store();
        let (scheduled_tasks, scheduled_tasks_writer) = reflector::store();
        let (clusters, clusters_writer) = reflector::store();
        let (capacity_providers, capacity_providers_writer) = reflector::store();
        let (task_definitions, task_definitions_writer) = reflector::store();
        let (tenant_policies, tenant_policies_writer) = reflector::store();
        let (rollout_approvals, rollout_approvals_writer) = reflector::store();
        (
            Self {
                services,
                tasks,
                scheduled_tasks,
                clusters,
                capacity_providers,
                task_definitions,
                tenant_policies,
                rollout_approvals,
                default_profile: Profile::Restricted,
            },
            CacheWriters {
                services: services_writer,
                tasks: tasks_writer,
                scheduled_tasks: scheduled_tasks_writer,
                clusters: clusters_writer,
                capacity_providers: capacity_providers_writer,
                task_definitions: task_definitions_writer,
                tenant_policies: tenant_policies_writer,
                rollout_approvals: rollout_approvals_writer,
            },
        )
    }

    /// Waits for the first complete list of TenantPolicies: until then no reconcile may
    /// run, or it would act as if its namespace were unrestricted.
    pub async fn tenant_policies_listed(&self) {
        if self.tenant_policies.wait_until_ready().await.is_err() {
            tracing::warn!("the TenantPolicy cache closed before its first list");
        }
    }

    /// Waits for the first complete list of Services, so no dependent is missed.
    pub async fn services_listed(&self) {
        if self.services.wait_until_ready().await.is_err() {
            tracing::warn!("the Service cache closed before its first list");
        }
    }

    /// Waits for the first complete list of CapacityProviders, so no Cluster is deleted
    /// before the Managed Instances providers created in it.
    pub async fn capacity_providers_listed(&self) {
        if self.capacity_providers.wait_until_ready().await.is_err() {
            tracing::warn!("the CapacityProvider cache closed before its first list");
        }
    }

    /// Waits for the first complete list of Tasks, so no revision an unfinished Task
    /// runs is trimmed.
    pub async fn tasks_listed(&self) {
        if self.tasks.wait_until_ready().await.is_err() {
            tracing::warn!("the Task cache closed before its first list");
        }
    }

    /// Waits for the first complete list of ScheduledTasks, so no revision a schedule
    /// runs is trimmed.
    pub async fn scheduled_tasks_listed(&self) {
        if self.scheduled_tasks.wait_until_ready().await.is_err() {
            tracing::warn!("the ScheduledTask cache closed before its first list");
        }
    }

    /// The Services in `namespace` whose reference (`reference_of`) names `name`.
    pub fn services_referencing(
        &self,
        namespace: &str,
        name: &str,
        reference_of: fn(&Service) -> Option<&str>,
    ) -> Vec<Arc<Service>> {
        referencing(&self.services, namespace, name, reference_of)
    }

    /// The ScheduledTasks in `namespace` whose reference (`reference_of`) names `name`.
    pub fn scheduled_tasks_referencing(
        &self,
        namespace: &str,
        name: &str,
        reference_of: fn(&ScheduledTask) -> Option<&str>,
    ) -> Vec<Arc<ScheduledTask>> {
        referencing(&self.scheduled_tasks, namespace, name, reference_of)
    }

    fn named(
        &self,
        namespace: &str,
        name: &str,
        reference_of: fn(&Service) -> Option<&str>,
    ) -> Vec<String> {
        let mut names: Vec<String> = self
            .services_referencing(namespace, name, reference_of)
            .iter()
            .map(|s| format!("Service {namespace}/{}", s.name_any()))
            .collect();
        names.sort();
        names
    }
}

fn referencing<K: kube::Resource<DynamicType = ()> + Clone>(
    store: &Store<K>,
    namespace: &str,
    name: &str,
    reference_of: fn(&K) -> Option<&str>,
) -> Vec<Arc<K>> {
    store
        .state()
        .into_iter()
        .filter(|o| o.namespace().as_deref() == Some(namespace) && reference_of(o) == Some(name))
        .collect()
}

impl Index for Caches {
    fn cluster(&self, namespace: &str, name: &str) -> Option<Arc<Cluster>> {
        self.clusters.get(&ObjectRef::new(name).within(namespace))
    }

    fn task_definition(&self, namespace: &str, name: &str) -> Option<Arc<TaskDefinition>> {
        self.task_definitions
            .get(&ObjectRef::new(name).within(namespace))
    }

    fn capacity_provider(&self, namespace: &str, name: &str) -> Option<Arc<CapacityProvider>> {
        self.capacity_providers
            .get(&ObjectRef::new(name).within(namespace))
    }

    fn dependents_on_cluster(&self, namespace: &str, name: &str) -> Vec<String> {
        let mut dependents = self.named(namespace, name, Service::cluster_ref_name);
        dependents.extend(
            self.scheduled_tasks_referencing(namespace, name, ScheduledTask::cluster_ref_name)
                .iter()
                .map(|s| format!("ScheduledTask {namespace}/{}", s.name_any())),
        );
        dependents.extend(
            referencing(
                &self.capacity_providers,
                namespace,
                name,
                CapacityProvider::cluster_ref_name,
            )
            .iter()
            .map(|p| format!("CapacityProvider {namespace}/{}", p.name_any())),
        );
        dependents.sort();
        dependents
    }

    fn dependents_on_capacity_provider(
        &self,
        namespace: &str,
        name: &str,
        provider: &str,
    ) -> Vec<String> {
        let in_namespace = |ns: Option<String>| ns.as_deref() == Some(namespace);
        let mut dependents: Vec<String> = self
            .clusters
            .state()
            .iter()
            .filter(|c| {
                in_namespace(c.namespace())
                    && (c.references_capacity_provider(name) || c.names_capacity_provider(provider))
            })
            .map(|c| format!("Cluster {namespace}/{}", c.name_any()))
            .collect();
        dependents.extend(
            self.services
                .state()
                .iter()
                .filter(|s| {
                    in_namespace(s.namespace())
                        && (s.names_capacity_provider(name) || s.names_capacity_provider(provider))
                })
                .map(|s| format!("Service {namespace}/{}", s.name_any())),
        );
        dependents.sort();
        dependents
    }

    fn services_of_task_definition(&self, namespace: &str, name: &str) -> Vec<String> {
        self.named(namespace, name, Service::task_definition_ref_name)
    }

    fn revisions_in_use(&self) -> BTreeSet<String> {
        let tasks = self.tasks.state();
        let scheduled = self.scheduled_tasks.state();
        self.services
            .state()
            .iter()
            .flat_map(|service| service.revisions_in_use())
            .chain(
                tasks
                    .iter()
                    .filter_map(|task| task.revision_in_use().map(str::to_string)),
            )
            .chain(
                scheduled
                    .iter()
                    .filter_map(|s| s.revision_in_use().map(str::to_string)),
            )
            .collect()
    }

    fn known_clusters(&self, region: &str) -> BTreeSet<String> {
        let clusters = self.clusters.state();
        let services = self.services.state();
        clusters_in(
            region,
            clusters
                .iter()
                .filter_map(|c| c.status.as_ref()?.arn.as_deref())
                .chain(
                    services
                        .iter()
                        .filter_map(|s| s.status.as_ref()?.cluster_arn.as_deref()),
                ),
        )
    }

    fn service(&self, namespace: &str, name: &str) -> Option<Arc<Service>> {
        self.services.get(&ObjectRef::new(name).within(namespace))
    }

    fn default_profile(&self) -> Profile {
        self.default_profile
    }

    fn tenant_policies(&self, namespace: &str) -> Vec<Arc<TenantPolicy>> {
        self.tenant_policies
            .state()
            .into_iter()
            .filter(|p| tenancy::governs(&p.spec, namespace))
            .collect()
    }

    fn rollout_approvals(&self, namespace: &str, service: &str) -> Vec<Arc<RolloutApproval>> {
        self.rollout_approvals
            .state()
            .into_iter()
            .filter(|a| a.namespace().as_deref() == Some(namespace) && a.spec.service == service)
            .collect()
    }
}

/// An index for reconciler tests: the objects and TenantPolicies a test puts in; no
/// object depends on another.
#[cfg(test)]
#[derive(Default)]
pub struct TestIndex {
    pub clusters: Vec<Arc<Cluster>>,
    pub capacity_providers: Vec<Arc<CapacityProvider>>,
    pub task_definitions: Vec<Arc<TaskDefinition>>,
    pub services: Vec<Arc<Service>>,
    pub tenant_policies: Vec<Arc<TenantPolicy>>,
    pub rollout_approvals: Vec<Arc<RolloutApproval>>,
    pub default_profile: Profile,
}

#[cfg(test)]
impl Index for TestIndex {
    fn cluster(&self, namespace: &str, name: &str) -> Option<Arc<Cluster>> {
        let named =
            |c: &&Arc<Cluster>| c.namespace().as_deref() == Some(namespace) && c.name_any() == name;
        self.clusters.iter().find(named).cloned()
    }

    fn task_definition(&self, namespace: &str, name: &str) -> Option<Arc<TaskDefinition>> {
        let named = |t: &&Arc<TaskDefinition>| {
            t.namespace().as_deref() == Some(namespace) && t.name_any() == name
        };
        self.task_definitions.iter().find(named).cloned()
    }

    fn capacity_provider(&self, namespace: &str, name: &str) -> Option<Arc<CapacityProvider>> {
        let named = |p: &&Arc<CapacityProvider>| {
            p.namespace().as_deref() == Some(namespace) && p.name_any() == name
        };
        self.capacity_providers.iter().find(named).cloned()
    }

    fn dependents_on_cluster(&self, _: &str, _: &str) -> Vec<String> {
        Vec::new()
    }

    fn dependents_on_capacity_provider(&self, _: &str, _: &str, _: &str) -> Vec<String> {
        Vec::new()
    }

    fn services_of_task_definition(&self, _: &str, _: &str) -> Vec<String> {
        Vec::new()
    }

    fn revisions_in_use(&self) -> BTreeSet<String> {
        BTreeSet::new()
    }

    fn known_clusters(&self, region: &str) -> BTreeSet<String> {
        clusters_in(
            region,
            self.clusters
                .iter()
                .filter_map(|c| c.status.as_ref()?.arn.as_deref())
                .chain(
                    self.services
                        .iter()
                        .filter_map(|s| s.status.as_ref()?.cluster_arn.as_deref()),
                ),
        )
    }

    fn service(&self, namespace: &str, name: &str) -> Option<Arc<Service>> {
        let named =
            |s: &&Arc<Service>| s.namespace().as_deref() == Some(namespace) && s.name_any() == name;
        self.services.iter().find(named).cloned()
    }

    fn default_profile(&self) -> Profile {
        self.default_profile
    }

    fn tenant_policies(&self, namespace: &str) -> Vec<Arc<TenantPolicy>> {
        let governing = |p: &&Arc<TenantPolicy>| tenancy::governs(&p.spec, namespace);
        self.tenant_policies
            .iter()
            .filter(governing)
            .cloned()
            .collect()
    }

    fn rollout_approvals(&self, namespace: &str, service: &str) -> Vec<Arc<RolloutApproval>> {
        self.rollout_approvals
            .iter()
            .filter(|a| a.namespace().as_deref() == Some(namespace) && a.spec.service == service)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use kube::runtime::watcher::Event;

    use super::*;
    use crate::api::ServiceStatus;
    use crate::api::service::DeploymentStatus;

    fn service(
        namespace: &str,
        name: &str,
        spec: serde_json::Value,
        status: Option<ServiceStatus>,
    ) -> Service {
        let mut service: Service = serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.operator.dev/v1alpha1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }))
        .unwrap();
        service.status = status;
        service
    }

    fn filled(services: Vec<Service>) -> Caches {
        filled_with(services, Vec::new())
    }

    fn filled_with(services: Vec<Service>, scheduled: Vec<ScheduledTask>) -> Caches {
        let (caches, mut writers) = Caches::new();
        writers.services.apply_watcher_event(&Event::Init);
        for s in services {
            writers.services.apply_watcher_event(&Event::InitApply(s));
        }
        writers.services.apply_watcher_event(&Event::InitDone);
        writers.scheduled_tasks.apply_watcher_event(&Event::Init);
        for s in scheduled {
            writers
                .scheduled_tasks
                .apply_watcher_event(&Event::InitApply(s));
        }
        writers
            .scheduled_tasks
            .apply_watcher_event(&Event::InitDone);
        caches
    }

    fn scheduled(namespace: &str, name: &str, cluster: &str) -> ScheduledTask {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "ecs.operator.dev/v1alpha1",
            "kind": "ScheduledTask",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "scheduleExpression": "rate(1 hour)",
                "roleArn": "arn:aws:iam::123456789012:role/scheduler",
                "task": {"clusterRef": {"name": cluster}, "taskDefinitionRef": {"name": "job"}},
            },
        }))
        .unwrap()
    }

    #[test]
    fn a_service_uses_its_desired_revision_and_every_deployed_one() {
        let deployment = |status: &str, arn: &str| DeploymentStatus {
            status: status.into(),
            task_definition: arn.into(),
            ..Default::default()
        };
        let running = ServiceStatus {
            task_definition_arn: Some("arn:td/web:3".into()),
            deployments: vec![
                deployment("PRIMARY", "arn:td/web:3"),
                deployment("ACTIVE", "arn:td/web:2"),
            ],
            ..Default::default()
        };
        let spec = serde_json::json!({"cluster": "main", "taskDefinition": "web:3"});
        let caches = filled(vec![
            service("shop", "web", spec.clone(), Some(running)),
            service("shop", "new", spec, None),
        ]);
        assert_eq!(
            caches.revisions_in_use(),
            ["arn:td/web:2", "arn:td/web:3"].map(String::from).into()
        );
    }

    #[test]
    fn dependents_are_found_by_reference_within_the_namespace() {
        let on = |cluster: &str, td: &str| serde_json::json!({"clusterRef": {"name": cluster}, "taskDefinitionRef": {"name": td}});
        let caches = filled_with(
            vec![
                service("shop", "web", on("main", "web"), None),
                service("shop", "api", on("other", "web"), None),
                service("blog", "web", on("main", "web"), None),
            ],
            vec![
                scheduled("shop", "nightly", "main"),
                scheduled("shop", "weekly", "other"),
                scheduled("blog", "nightly", "main"),
            ],
        );
        assert_eq!(
            caches.dependents_on_cluster("shop", "main"),
            ["ScheduledTask shop/nightly", "Service shop/web"]
        );
        assert_eq!(
            caches.services_of_task_definition("shop", "web"),
            ["Service shop/api", "Service shop/web"]
        );
    }
}
