//! How the runner drives `Service` objects. Besides Service objects it watches Clusters
//! and TaskDefinitions, so a Service reacts within seconds when what it references
//! becomes Ready or registers a new revision, and it is woken when a RolloutApproval
//! names it.

use std::future::Future;

use futures::Stream;
use futures::channel::mpsc::UnboundedSender;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::reflector::store::Writer;

use crate::api::common::condition::READY;
use crate::api::task::AttemptStatus;
use crate::api::{Cluster, RolloutApproval, ScheduledTask, Service, ServiceStatus, TaskDefinition};
use crate::aws::{AwsApi, AwsError, ServiceDeploymentState};
use crate::controller::Managed;
use crate::controller::runner::{Extra, Reconciler};
use crate::controller::{Caches, Index, OnUnreadable, Source, watched};
use crate::digest::fingerprint;
use crate::reconcile::{Cleanup, Outcome};
use crate::telemetry::rollouts::RolloutPhase;

impl Managed for Service {
    type Status = ServiceStatus;
    const LABEL: &'static str = "service";

    fn current_status(&self) -> Option<&ServiceStatus> {
        self.status.as_ref()
    }

    fn shared_fields(
        status: &mut ServiceStatus,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>) {
        (
            &mut status.conditions,
            &mut status.observed_generation,
            &mut status.region,
        )
    }

    fn task_runs(status: &ServiceStatus) -> Vec<&AttemptStatus> {
        status.pre_deploy.iter().map(|p| &p.run).collect()
    }

    fn rollout_phase(status: &ServiceStatus) -> Option<RolloutPhase> {
        let rollout = status.rollout.as_ref()?;
        if ServiceDeploymentState::from(rollout.status.as_str()).is_final() {
            return None;
        }
        let ready = status.conditions.iter().find(|c| c.type_ == READY)?;
        Some(RolloutPhase::new(
            rollout.strategy.as_deref(),
            rollout.stage.as_deref(),
            &ready.reason,
        ))
    }
}

impl Reconciler for Service {
    fn spec_region(&self) -> Option<&str> {
        self.spec.region.as_deref()
    }

    fn reconcile<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Outcome<ServiceStatus>, AwsError>> + Send + 'a {
        super::reconcile(self, aws, index)
    }

    fn cleanup<'a>(
        &'a self,
        aws: &'a dyn AwsApi,
        index: &'a dyn Index,
    ) -> impl Future<Output = Result<Cleanup<ServiceStatus>, AwsError>> + Send + 'a {
        super::cleanup(self, aws, index)
    }
}

/// The Cluster and TaskDefinition watches: they fill the index's caches of both kinds
/// and wake the Services that reference an object whose readiness or ARN changed.
/// Their own controllers report the objects that cannot be read. `approved` names the
/// Services RolloutApprovals were created for: a paused Service acts on its approval at
/// once rather than at its next poll. The ScheduledTasks that reference a changed
/// object are sent to `schedules`, so a schedule moves to a new revision within seconds
/// (one watch of each kind serves both controllers).
pub fn references_watched(
    source: Source,
    clusters: Writer<Cluster>,
    task_definitions: Writer<TaskDefinition>,
    caches: Caches,
    approved: impl Stream<Item = ObjectRef<Service>> + Send + 'static,
    schedules: UnboundedSender<ObjectRef<ScheduledTask>>,
) -> Extra<Service> {
    Extra {
        streams: 2,
        wire: Box::new(move |controller, synced| {
            let cluster_events = watched(
                source.clone(),
                clusters,
                synced,
                |c: &Cluster| readiness_key(c, c.status.as_ref().map(|s| (&s.conditions, &s.arn))),
                OnUnreadable::Skip,
            );
            let td_events = watched(
                source,
                task_definitions,
                synced,
                |td: &TaskDefinition| {
                    readiness_key(td, td.status.as_ref().map(|s| (&s.conditions, &s.arn)))
                },
                OnUnreadable::Skip,
            );
            let by_cluster = caches.clone();
            let cluster_schedules = schedules.clone();
            controller
                .watches_stream(cluster_events, move |cluster: Cluster| {
                    wake_schedules(
                        &by_cluster,
                        &cluster,
                        ScheduledTask::cluster_ref_name,
                        &cluster_schedules,
                    );
                    referencing(&by_cluster, &cluster, Service::cluster_ref_name)
                })
                .watches_stream(td_events, move |td: TaskDefinition| {
                    wake_schedules(
                        &caches,
                        &td,
                        ScheduledTask::task_definition_ref_name,
                        &schedules,
                    );
                    referencing(&caches, &td, Service::task_definition_ref_name)
                })
                .reconcile_on(approved)
        }),
    }
}

/// What a Service cares about in an object it references: whether it is Ready for its
/// generation, and its ARN. Status writes that change neither wake no Service.
fn readiness_key<K: ResourceExt>(
    object: &K,
    status: Option<(&Vec<Condition>, &Option<String>)>,
) -> Option<u64> {
    let (arn, ready) = match status {
        Some((conditions, arn)) => (
            arn.as_deref(),
            conditions
                .iter()
                .find(|c| c.type_ == READY)
                .map(|c| (c.status.as_str(), c.observed_generation)),
        ),
        None => (None, None),
    };
    Some(fingerprint(&(object.meta().generation, arn, ready)))
}

fn referencing<K: ResourceExt>(
    caches: &Caches,
    object: &K,
    reference_of: fn(&Service) -> Option<&str>,
) -> Vec<ObjectRef<Service>> {
    caches
        .services_referencing(
            &object.namespace().unwrap_or_default(),
            &object.name_any(),
            reference_of,
        )
        .iter()
        .map(|s| ObjectRef::from_obj(s.as_ref()))
        .collect()
}

fn wake_schedules<K: ResourceExt>(
    caches: &Caches,
    object: &K,
    reference_of: fn(&ScheduledTask) -> Option<&str>,
    schedules: &UnboundedSender<ObjectRef<ScheduledTask>>,
) {
    let namespace = object.namespace().unwrap_or_default();
    for schedule in caches.scheduled_tasks_referencing(&namespace, &object.name_any(), reference_of)
    {
        // Fails only once the ScheduledTask controller has stopped.
        let _ = schedules.unbounded_send(ObjectRef::from_obj(schedule.as_ref()));
    }
}

/// The Service a RolloutApproval answers.
pub fn approved_service(approval: &RolloutApproval) -> ObjectRef<Service> {
    let reference = ObjectRef::new(&approval.spec.service);
    match approval.namespace() {
        Some(namespace) => reference.within(&namespace),
        None => reference,
    }
}
