//! What a ScheduledTask's schedule should be, from its spec and the cluster and revision
//! it resolved to. Pure: the reconcile observes, compares and writes.

use kube::ResourceExt;

use crate::api::ScheduledTask;
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::common::whole_seconds;
use crate::aws::schedule::{RETRY_ATTEMPTS_DEFAULT, RETRY_MAX_AGE_DEFAULT};
use crate::aws::{EcsSchedule, EcsTarget};
use crate::digest::{sha256_hex, short_hex};
use crate::ownership::ownership_tags;
use crate::task::plan::template_uses;
use crate::tenancy::{Rule, Use};

/// Scheduler's limit on group and schedule names (API Reference, CreateSchedule Name).
const NAME_MAX: usize = 64;
const GROUP_PREFIX: &str = "ecs-operator-";

/// The namespace's schedule group: one per namespace, tagged with it, so one tenant's
/// schedules never share a group with another's.
pub fn group_name(namespace: &str) -> String {
    bounded(format!("{GROUP_PREFIX}{namespace}"))
}

/// The schedule's name in its group: the object's.
pub fn schedule_name(name: &str) -> String {
    bounded(name.to_string())
}

/// Names past Scheduler's limit keep their start and gain a hash of the whole, so two
/// long names stay apart.
fn bounded(name: String) -> String {
    if name.len() <= NAME_MAX {
        return name;
    }
    let hash = &short_hex(name.as_bytes())[..8];
    let cut = name
        .char_indices()
        .map(|(i, _)| i)
        .take_while(|i| *i < NAME_MAX - hash.len())
        .last()
        .unwrap_or(0);
    format!("{}-{hash}", &name[..cut])
}

/// What the schedule should say, given the cluster and revision the spec resolved to.
pub fn desired(
    scheduled: &ScheduledTask,
    cluster_arn: &str,
    task_definition_arn: &str,
) -> EcsSchedule {
    let spec = &scheduled.spec;
    let template = &spec.task;
    let mut tags = template.tags.clone();
    tags.extend(ownership_tags(scheduled));
    let namespace = scheduled.namespace().unwrap_or_default();
    let retry = spec.retry_policy.clone().unwrap_or_default();
    let mut schedule = EcsSchedule {
        group: group_name(&namespace),
        name: schedule_name(&scheduled.name_any()),
        arn: String::new(),
        expression: spec.schedule_expression.trim().to_string(),
        timezone: spec
            .schedule_expression_timezone
            .clone()
            .unwrap_or_else(|| "UTC".to_string()),
        flexible_window_minutes: spec
            .flexible_time_window
            .as_ref()
            .filter(|w| w.mode == "FLEXIBLE")
            .and_then(|w| w.maximum_window_in_minutes),
        // Scheduler keeps whole seconds.
        start_date: spec.start_date.as_ref().map(|t| whole_seconds(t.0).0),
        end_date: spec.end_date.as_ref().map(|t| whole_seconds(t.0).0),
        enabled: spec.suspend != Some(true),
        description: format!(
            "managed by ecs-operator: ScheduledTask {namespace}/{}",
            scheduled.name_any()
        ),
        created: None,
        target: EcsTarget {
            cluster_arn: cluster_arn.to_string(),
            role_arn: spec.role_arn.clone(),
            task_definition_arn: task_definition_arn.to_string(),
            task_count: template.count.unwrap_or(1),
            launch_type: template.launch_type.clone(),
            // Scheduler reports weight and base as 0 when they were left out.
            capacity_provider_strategy: template
                .capacity_provider_strategy
                .iter()
                .map(|i| CapacityProviderStrategyItem {
                    capacity_provider: i.capacity_provider.clone(),
                    weight: Some(i.weight.unwrap_or(0)),
                    base: Some(i.base.unwrap_or(0)),
                })
                .collect(),
            platform_version: template.platform_version.clone(),
            network_configuration: template.network_configuration.clone(),
            group: template.group.clone(),
            propagate_tags: template.propagate_tags.clone(),
            enable_ecs_managed_tags: template.enable_ecs_managed_tags.unwrap_or(false),
            enable_execute_command: template.enable_execute_command.unwrap_or(false),
            placement_constraints: template.placement_constraints.clone(),
            placement_strategy: template.placement_strategy.clone(),
            tags,
            overrides: template.overrides.clone(),
            retry_max_age_seconds: retry
                .maximum_event_age_in_seconds
                .unwrap_or(RETRY_MAX_AGE_DEFAULT),
            retry_attempts: retry
                .maximum_retry_attempts
                .unwrap_or(RETRY_ATTEMPTS_DEFAULT),
            dead_letter_arn: spec.dead_letter_config.as_ref().map(|d| d.arn.clone()),
        },
        client_token: String::new(),
    };
    let uid = scheduled.uid().unwrap_or_default();
    schedule.client_token = sha256_hex(format!("{uid}/{schedule:?}").as_bytes());
    schedule
}

/// The desired schedule with the client token of one write: the same for every retry of
/// that write, new for the next one. An update's token also covers the schedule as it
/// was read, so going back to an earlier spec, or recreating a schedule deleted
/// meanwhile, is a new request Scheduler carries out rather than one it answers as done.
pub fn write(desired: &EcsSchedule, basis: &str) -> EcsSchedule {
    EcsSchedule {
        client_token: sha256_hex(format!("{}/{basis}", desired.client_token).as_bytes()),
        ..desired.clone()
    }
}

/// What the spec names that a TenantPolicy may govern.
pub fn tenant_uses(scheduled: &ScheduledTask) -> Vec<Use> {
    let mut uses = template_uses(&scheduled.spec.task, "spec.task");
    uses.push(Use::new(
        Rule::Role,
        "spec.roleArn",
        scheduled.spec.role_arn.clone(),
    ));
    uses
}
