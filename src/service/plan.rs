//! What to send ECS so the service matches the spec. Pure: the reconciler observes,
//! this decides, the reconciler applies.

use kube::ResourceExt;

use super::autoscaling::initial_count;
use super::{connect, deployer, normalise};
use crate::api::Service;
use crate::api::ServiceStatus;
use crate::api::service::ServiceSettings;
use crate::aws::{CreateService, EcsService, ServiceChanges, Tags, UpdateService};
use crate::digest::short_hex;
use crate::ownership::{ownership_tags, tag_changes};

/// The service the spec asks for, with its references resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub name: String,
    /// Cluster name or ARN.
    pub cluster: String,
    /// Task definition ARN or family:revision.
    pub task_definition: String,
    /// None for DAEMON services: ECS decides. With autoscaling, the count to create with.
    pub desired_count: Option<i32>,
    /// Application Auto Scaling owns desiredCount: it is sent only at create.
    pub scaler_owns_count: bool,
    /// The spec's settings as written, for CreateService.
    pub settings: ServiceSettings,
    /// The same, normalised, for comparing with what ECS reports.
    pub normalised: ServiceSettings,
    pub redeploy_token: Option<String>,
    /// Ownership tags plus the spec's.
    pub tags: Tags,
    /// Hash of the task definition, settings and redeployToken.
    pub hash: String,
}

impl Desired {
    pub fn new(service: &Service, cluster: String, task_definition: String) -> Self {
        let spec = &service.spec;
        let daemon = spec.settings.scheduling_strategy.as_deref() == Some("DAEMON");
        let desired_count = match &spec.autoscaling {
            _ if daemon => None,
            Some(scaling) => Some(initial_count(spec.settings.desired_count, scaling)),
            None => Some(spec.settings.desired_count.unwrap_or(1)),
        };
        let normalised = normalise::desired(&spec.settings);
        let hash = intent_hash(
            &task_definition,
            &normalised,
            spec.redeploy_token.as_deref(),
        );
        // Ownership tags go on last, so no spec tag can stand in for them.
        let mut tags = spec.tags.clone();
        tags.extend(ownership_tags(service));
        Self {
            name: service.service_name(),
            cluster,
            task_definition,
            desired_count,
            scaler_owns_count: spec.autoscaling.is_some(),
            settings: ServiceSettings {
                desired_count,
                ..spec.settings.clone()
            },
            normalised,
            redeploy_token: spec.redeploy_token.clone(),
            tags,
            hash,
        }
    }

    /// CreateService, with a client token that makes a repeat return the same service.
    /// The last service this object saw (status.arn) is part of the token, so a service
    /// deleted behind the operator's back is created anew rather than answered with the
    /// deleted one.
    pub fn create_request(&self, service: &Service) -> CreateService {
        let external = deployer::controller(&self.settings) == deployer::EXTERNAL;
        CreateService {
            cluster: self.cluster.clone(),
            name: self.name.clone(),
            task_definition: (!external).then(|| self.task_definition.clone()),
            settings: if external {
                deployer::service_level(&self.settings)
            } else {
                self.settings.clone()
            },
            tags: self.tags.clone(),
            client_token: client_token(
                &service.uid().unwrap_or_default(),
                service.metadata.generation.unwrap_or_default(),
                service.status.as_ref().and_then(|s| s.arn.as_deref()),
            ),
        }
    }

    /// Keys of the user's tags, recorded so a tag removed from the spec is removed from AWS.
    pub fn spec_tag_keys(&self) -> Vec<String> {
        crate::ownership::user_tag_keys(&self.tags)
    }
}

/// At most 36 characters (ECS API Reference, CreateService clientToken), the same for
/// every attempt at one generation of one object while its last seen service is the same.
pub fn client_token(uid: &str, generation: i64, last_seen: Option<&str>) -> String {
    short_hex(format!("{uid}/{generation}/{}", last_seen.unwrap_or_default()).as_bytes())
}

fn intent_hash(task_definition: &str, settings: &ServiceSettings, token: Option<&str>) -> String {
    let body = serde_json::json!({
        "taskDefinition": task_definition,
        "settings": settings,
        "redeployToken": token,
    });
    short_hex(body.to_string().as_bytes())
}

/// family:revision, from either form, so an ARN and its short form compare equal.
pub fn revision_key(task_definition: &str) -> &str {
    task_definition
        .rsplit_once("task-definition/")
        .map_or(task_definition, |(_, key)| key)
}

/// One AWS call to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Create(CreateService),
    Tag {
        arn: String,
        tags: Tags,
    },
    Untag {
        arn: String,
        keys: Vec<String>,
    },
    /// `changed` names what the call sends, for the Event.
    Update {
        request: UpdateService,
        changed: Vec<&'static str>,
    },
}

/// The calls that bring `current` (None: no live service) to `desired`, in order:
/// create it, or retag it and send what its settings lack. `recorded` is what status
/// says was last applied.
pub fn plan(
    service: &Service,
    desired: &Desired,
    current: Option<&EcsService>,
    recorded: &ServiceStatus,
) -> Vec<Step> {
    let Some(current) = current else {
        return vec![Step::Create(desired.create_request(service))];
    };
    let mut steps = Vec::new();
    let arn = || current.arn.clone();
    let (set, remove) =
        tag_changes(&desired.tags, &current.tags, &recorded.managed_tag_keys).calls();
    steps.extend(set.map(|tags| Step::Tag { arn: arn(), tags }));
    steps.extend(remove.map(|keys| Step::Untag { arn: arn(), keys }));
    let planned = update(
        desired,
        current,
        recorded.applied_hash.as_deref(),
        recorded.redeploy_token.as_deref(),
    );
    if !planned.is_empty() {
        steps.push(Step::Update {
            request: UpdateService {
                cluster: desired.cluster.clone(),
                service: current.arn.clone(),
                desired_count: planned.desired_count,
                task_definition: planned.task_definition,
                changes: planned.changes,
                force_new_deployment: planned.force_new_deployment,
            },
            changed: planned.changed,
        });
    }
    steps
}

/// What one UpdateService call sends, or nothing: the body of a `Step::Update`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateFields {
    pub desired_count: Option<i32>,
    pub task_definition: Option<String>,
    pub changes: ServiceChanges,
    pub force_new_deployment: bool,
    /// Names of what changed, for the Event.
    pub changed: Vec<&'static str>,
    /// Names of what differs but UpdateService refuses for the service's deployment
    /// controller: left to that deployer, and shown in status.
    pub withheld: Vec<&'static str>,
}

impl UpdateFields {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
    }

    /// Records that `field` differs. True when it is to be sent: UpdateService takes it
    /// for `controller`.
    fn differs(&mut self, field: &'static str, controller: &str) -> bool {
        let accepted = deployer::update_accepts(controller, field);
        if accepted {
            self.changed.push(field);
        } else {
            self.withheld.push(field);
        }
        accepted
    }
}

/// What the service lacks, against what ECS reports. `applied_hash` is the intent last
/// sent: a setting ECS does not report is sent only when the intent changed since, and
/// a task definition ECS moved away from (a circuit-breaker rollback) is not forced back
/// while the intent is unchanged. Only what UpdateService takes for the service's
/// deployment controller is sent; the rest is `withheld`.
pub fn update(
    desired: &Desired,
    observed: &EcsService,
    applied_hash: Option<&str>,
    applied_token: Option<&str>,
) -> UpdateFields {
    let intent_changed = applied_hash != Some(desired.hash.as_str());
    let mut update = UpdateFields::default();
    let controller = sending_under(desired, observed);
    if let Some(count) = desired.desired_count
        && !desired.scaler_owns_count
        && count != observed.desired_count
        && update.differs("desiredCount", controller)
    {
        update.desired_count = Some(count);
    }
    if intent_changed
        && revision_key(&desired.task_definition) != revision_key(&observed.task_definition)
        && update.differs("taskDefinition", controller)
    {
        update.task_definition = Some(desired.task_definition.clone());
    }
    if applied_hash.is_some()
        && desired.redeploy_token.as_deref() != applied_token
        && update.differs("redeployToken", controller)
    {
        update.force_new_deployment = true;
    }
    // Only a controller the spec names is enforced: adopting a CodeDeploy service
    // does not move it to ECS unless asked.
    let wanted = deployer::controller(&desired.normalised);
    if desired.settings.deployment_controller.is_some()
        && wanted != deployer::controller(&observed.settings)
    {
        if !deployer::may_change_controller(observed) {
            update.withheld.push("deploymentController");
        } else if update.differs("deploymentController", controller) {
            update.changes.deployment_controller = desired.normalised.deployment_controller.clone();
        }
    }
    let mut seen = normalise::observed(&observed.settings);
    seen.service_connect_configuration = connect::as_reported(
        desired.normalised.service_connect_configuration.as_ref(),
        seen.service_connect_configuration.as_ref(),
    );
    settings_changes(
        &desired.normalised,
        &seen,
        intent_changed,
        controller,
        &mut update,
    );
    update
}

/// The controller whose rules the call follows: the service's own, or ECS when the call
/// moves the service to ECS, since ECS judges the rest of that call under the new
/// controller (the documented migration sends load balancers and a task definition
/// with it).
fn sending_under<'a>(desired: &'a Desired, observed: &'a EcsService) -> &'a str {
    if desired.settings.deployment_controller.is_some()
        && deployer::controller(&desired.normalised) == deployer::ECS
        && deployer::may_change_controller(observed)
    {
        deployer::ECS
    } else {
        deployer::controller(&observed.settings)
    }
}

/// Compares one setting: `Some(value)` is what to send.
fn compare<T: Clone + PartialEq>(
    desired: &T,
    observed: &T,
    unreported: bool,
    intent_changed: bool,
) -> Option<T> {
    let differs = if unreported {
        intent_changed
    } else {
        desired != observed
    };
    differs.then(|| desired.clone())
}

fn settings_changes(
    d: &ServiceSettings,
    o: &ServiceSettings,
    intent: bool,
    controller: &str,
    u: &mut UpdateFields,
) {
    macro_rules! list {
        ($field:ident, $name:literal) => {
            // An empty list in the spec removes the entries; one ECS leaves out is unreported.
            let unreported = o.$field.is_empty() && !d.$field.is_empty();
            if let Some(v) = compare(&d.$field, &o.$field, unreported, intent)
                && u.differs($name, controller)
            {
                u.changes.$field = Some(v);
            }
        };
    }
    macro_rules! defaulted {
        ($field:ident, $name:literal, $default:expr) => {
            // None is ECS's default, which is sent explicitly to undo a change.
            let unreported = o.$field.is_none() && d.$field.is_some();
            if let Some(v) = compare(&d.$field, &o.$field, unreported, intent)
                && u.differs($name, controller)
            {
                u.changes.$field = Some(v.unwrap_or_else(|| $default));
            }
        };
    }
    macro_rules! optional {
        ($field:ident, $name:literal) => {
            // Left out of the spec: not managed.
            if d.$field.is_some() {
                let unreported = o.$field.is_none();
                if let Some(v) = compare(&d.$field, &o.$field, unreported, intent)
                    && u.differs($name, controller)
                {
                    u.changes.$field = v;
                }
            }
        };
    }
    list!(capacity_provider_strategy, "capacityProviderStrategy");
    list!(load_balancers, "loadBalancers");
    list!(service_registries, "serviceRegistries");
    list!(placement_constraints, "placementConstraints");
    list!(placement_strategy, "placementStrategy");
    defaulted!(
        health_check_grace_period_seconds,
        "healthCheckGracePeriodSeconds",
        0
    );
    defaulted!(enable_execute_command, "enableExecuteCommand", false);
    defaulted!(enable_ecs_managed_tags, "enableECSManagedTags", false);
    defaulted!(propagate_tags, "propagateTags", "NONE".to_string());
    optional!(deployment_configuration, "deploymentConfiguration");
    optional!(platform_version, "platformVersion");
    optional!(network_configuration, "networkConfiguration");
    optional!(service_connect_configuration, "serviceConnectConfiguration");
    optional!(availability_zone_rebalancing, "availabilityZoneRebalancing");
}
