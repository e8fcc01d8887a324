//! EventBridge Scheduler schedules between our types and the AWS SDK's.

use aws_sdk_scheduler::types as sdk;
use aws_smithy_types::DateTime;
use k8s_openapi::jiff::Timestamp;

use super::{aws_error, invalid_input, timestamp};
use crate::api::cluster::CapacityProviderStrategyItem;
use crate::api::service::{
    AwsVpcConfiguration, NetworkConfiguration, PlacementConstraint, PlacementStrategy,
};
use crate::api::task::TaskOverride;
use crate::aws::schedule::{RETRY_ATTEMPTS_DEFAULT, RETRY_MAX_AGE_DEFAULT};
use crate::aws::{AwsError, EcsSchedule, EcsTarget, ErrorKind, Tags};

pub async fn get(
    client: &aws_sdk_scheduler::Client,
    group: &str,
    name: &str,
) -> Result<Option<EcsSchedule>, AwsError> {
    let out = match client
        .get_schedule()
        .group_name(group)
        .name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            let error = aws_error("scheduler:GetSchedule", e);
            return if error.kind == ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(error)
            };
        }
    };
    let target = out.target();
    let ecs = target.and_then(|t| t.ecs_parameters());
    let retry = target.and_then(|t| t.retry_policy());
    Ok(Some(EcsSchedule {
        group: out.group_name().unwrap_or(group).to_string(),
        name: out.name().unwrap_or(name).to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
        expression: out.schedule_expression().unwrap_or_default().to_string(),
        timezone: out
            .schedule_expression_timezone()
            .unwrap_or("UTC")
            .to_string(),
        flexible_window_minutes: out
            .flexible_time_window()
            .filter(|w| *w.mode() == sdk::FlexibleTimeWindowMode::Flexible)
            .and_then(|w| w.maximum_window_in_minutes()),
        start_date: timestamp(out.start_date()),
        end_date: timestamp(out.end_date()),
        enabled: out.state() != Some(&sdk::ScheduleState::Disabled),
        description: out.description().unwrap_or_default().to_string(),
        created: timestamp(out.creation_date()),
        target: EcsTarget {
            cluster_arn: target.map(|t| t.arn().to_string()).unwrap_or_default(),
            role_arn: target.map(|t| t.role_arn().to_string()).unwrap_or_default(),
            task_definition_arn: ecs
                .map(|e| e.task_definition_arn().to_string())
                .unwrap_or_default(),
            task_count: ecs.and_then(|e| e.task_count()).unwrap_or(1),
            launch_type: ecs
                .and_then(|e| e.launch_type())
                .map(|l| l.as_str().to_string()),
            capacity_provider_strategy: ecs
                .map(|e| {
                    e.capacity_provider_strategy()
                        .iter()
                        .map(strategy_from_sdk)
                        .collect()
                })
                .unwrap_or_default(),
            platform_version: ecs.and_then(|e| e.platform_version()).map(str::to_string),
            network_configuration: ecs
                .and_then(|e| e.network_configuration())
                .and_then(|n| n.awsvpc_configuration())
                .map(network_from_sdk),
            group: ecs.and_then(|e| e.group()).map(str::to_string),
            propagate_tags: ecs
                .and_then(|e| e.propagate_tags())
                .map(|p| p.as_str().to_string()),
            enable_ecs_managed_tags: ecs
                .and_then(|e| e.enable_ecs_managed_tags())
                .unwrap_or(false),
            enable_execute_command: ecs
                .and_then(|e| e.enable_execute_command())
                .unwrap_or(false),
            placement_constraints: ecs
                .map(|e| {
                    e.placement_constraints()
                        .iter()
                        .map(|c| PlacementConstraint {
                            type_: c
                                .r#type()
                                .map(|t| t.as_str().to_string())
                                .unwrap_or_default(),
                            expression: c.expression().map(str::to_string),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            placement_strategy: ecs
                .map(|e| {
                    e.placement_strategy()
                        .iter()
                        .map(|s| PlacementStrategy {
                            type_: s
                                .r#type()
                                .map(|t| t.as_str().to_string())
                                .unwrap_or_default(),
                            field: s.field().map(str::to_string),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            // Scheduler's tags are a list of maps, each entry one tag.
            tags: ecs
                .map(|e| {
                    e.tags()
                        .iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            // An Input that is not a TaskOverride reads as none, so the update writes ours.
            overrides: target
                .and_then(|t| t.input())
                .and_then(|input| serde_json::from_str::<TaskOverride>(input).ok()),
            retry_max_age_seconds: retry
                .and_then(|r| r.maximum_event_age_in_seconds())
                .unwrap_or(RETRY_MAX_AGE_DEFAULT),
            retry_attempts: retry
                .and_then(|r| r.maximum_retry_attempts())
                .unwrap_or(RETRY_ATTEMPTS_DEFAULT),
            dead_letter_arn: target
                .and_then(|t| t.dead_letter_config())
                .and_then(|d| d.arn())
                .map(str::to_string),
        },
        client_token: String::new(),
    }))
}

/// CreateSchedule and UpdateSchedule take the same fields (Update replaces them all);
/// their builders are different types, so one macro fills both.
macro_rules! write_schedule {
    ($builder:expr, $schedule:expr, $action:expr) => {{
        let schedule: &EcsSchedule = $schedule;
        let parts = Parts::of(schedule).map_err(invalid_input($action))?;
        $builder
            .group_name(&schedule.group)
            .name(&schedule.name)
            .schedule_expression(&schedule.expression)
            .schedule_expression_timezone(&schedule.timezone)
            .flexible_time_window(parts.window)
            .set_start_date(schedule.start_date.map(date_time))
            .set_end_date(schedule.end_date.map(date_time))
            .state(parts.state)
            .description(&schedule.description)
            .target(parts.target)
            .client_token(&schedule.client_token)
            .send()
            .await
            .map_err(|e| aws_error($action, e))?
            .schedule_arn()
            .to_string()
    }};
}

pub async fn create(
    client: &aws_sdk_scheduler::Client,
    schedule: &EcsSchedule,
) -> Result<String, AwsError> {
    Ok(write_schedule!(
        client.create_schedule(),
        schedule,
        "scheduler:CreateSchedule"
    ))
}

pub async fn update(
    client: &aws_sdk_scheduler::Client,
    schedule: &EcsSchedule,
) -> Result<String, AwsError> {
    Ok(write_schedule!(
        client.update_schedule(),
        schedule,
        "scheduler:UpdateSchedule"
    ))
}

pub async fn delete(
    client: &aws_sdk_scheduler::Client,
    group: &str,
    name: &str,
) -> Result<(), AwsError> {
    client
        .delete_schedule()
        .group_name(group)
        .name(name)
        .send()
        .await
        .map_err(|e| aws_error("scheduler:DeleteSchedule", e))?;
    Ok(())
}

pub async fn create_group(
    client: &aws_sdk_scheduler::Client,
    name: &str,
    tags: &Tags,
) -> Result<String, AwsError> {
    const ACTION: &str = "scheduler:CreateScheduleGroup";
    let tags = tags
        .iter()
        .map(|(k, v)| sdk::Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid_input(ACTION))?;
    let out = client
        .create_schedule_group()
        .name(name)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| aws_error(ACTION, e))?;
    Ok(out.schedule_group_arn().to_string())
}

pub async fn group_tags(client: &aws_sdk_scheduler::Client, arn: &str) -> Result<Tags, AwsError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error("scheduler:ListTagsForResource", e))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// The parts of a CreateSchedule or UpdateSchedule request the SDK builds fallibly.
struct Parts {
    window: sdk::FlexibleTimeWindow,
    state: sdk::ScheduleState,
    target: sdk::Target,
}

impl Parts {
    fn of(schedule: &EcsSchedule) -> Result<Self, aws_smithy_types::error::operation::BuildError> {
        let window = match schedule.flexible_window_minutes {
            Some(minutes) => sdk::FlexibleTimeWindow::builder()
                .mode(sdk::FlexibleTimeWindowMode::Flexible)
                .maximum_window_in_minutes(minutes),
            None => sdk::FlexibleTimeWindow::builder().mode(sdk::FlexibleTimeWindowMode::Off),
        }
        .build()?;
        let state = if schedule.enabled {
            sdk::ScheduleState::Enabled
        } else {
            sdk::ScheduleState::Disabled
        };
        Ok(Self {
            window,
            state,
            target: target_to_sdk(&schedule.target)?,
        })
    }
}

fn target_to_sdk(
    t: &EcsTarget,
) -> Result<sdk::Target, aws_smithy_types::error::operation::BuildError> {
    let network = t
        .network_configuration
        .as_ref()
        .map(|n| {
            let vpc = &n.awsvpc_configuration;
            sdk::AwsVpcConfiguration::builder()
                .set_subnets(Some(vpc.subnets.clone()))
                .set_security_groups(
                    (!vpc.security_groups.is_empty()).then(|| vpc.security_groups.clone()),
                )
                .set_assign_public_ip(
                    vpc.assign_public_ip
                        .as_deref()
                        .map(sdk::AssignPublicIp::from),
                )
                .build()
                .map(|vpc| {
                    sdk::NetworkConfiguration::builder()
                        .awsvpc_configuration(vpc)
                        .build()
                })
        })
        .transpose()?;
    let strategy = t
        .capacity_provider_strategy
        .iter()
        .map(|i| {
            sdk::CapacityProviderStrategyItem::builder()
                .capacity_provider(&i.capacity_provider)
                .set_weight(i.weight)
                .set_base(i.base)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ecs = sdk::EcsParameters::builder()
        .task_definition_arn(&t.task_definition_arn)
        .task_count(t.task_count)
        .set_launch_type(t.launch_type.as_deref().map(sdk::LaunchType::from))
        .set_capacity_provider_strategy((!strategy.is_empty()).then_some(strategy))
        .set_platform_version(t.platform_version.clone())
        .set_network_configuration(network)
        .set_group(t.group.clone())
        .set_propagate_tags(t.propagate_tags.as_deref().map(sdk::PropagateTags::from))
        .enable_ecs_managed_tags(t.enable_ecs_managed_tags)
        .enable_execute_command(t.enable_execute_command)
        .set_placement_constraints((!t.placement_constraints.is_empty()).then(|| {
            t.placement_constraints
                .iter()
                .map(|c| {
                    sdk::PlacementConstraint::builder()
                        .r#type(sdk::PlacementConstraintType::from(c.type_.as_str()))
                        .set_expression(c.expression.clone())
                        .build()
                })
                .collect()
        }))
        .set_placement_strategy((!t.placement_strategy.is_empty()).then(|| {
            t.placement_strategy
                .iter()
                .map(|s| {
                    sdk::PlacementStrategy::builder()
                        .r#type(sdk::PlacementStrategyType::from(s.type_.as_str()))
                        .set_field(s.field.clone())
                        .build()
                })
                .collect()
        }))
        // Scheduler's tags are a list of maps: one map per tag.
        .set_tags(Some(
            t.tags
                .iter()
                .map(|(k, v)| std::collections::HashMap::from([(k.clone(), v.clone())]))
                .collect(),
        ))
        .build()?;
    let input = t
        .overrides
        .as_ref()
        .and_then(|o| serde_json::to_string(o).ok());
    sdk::Target::builder()
        .arn(&t.cluster_arn)
        .role_arn(&t.role_arn)
        .ecs_parameters(ecs)
        .set_input(input)
        .retry_policy(
            sdk::RetryPolicy::builder()
                .maximum_event_age_in_seconds(t.retry_max_age_seconds)
                .maximum_retry_attempts(t.retry_attempts)
                .build(),
        )
        .set_dead_letter_config(
            t.dead_letter_arn
                .as_ref()
                .map(|arn| sdk::DeadLetterConfig::builder().arn(arn).build()),
        )
        .build()
}

fn strategy_from_sdk(i: &sdk::CapacityProviderStrategyItem) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem {
        capacity_provider: i.capacity_provider().to_string(),
        weight: Some(i.weight()),
        base: Some(i.base()),
    }
}

fn network_from_sdk(vpc: &sdk::AwsVpcConfiguration) -> NetworkConfiguration {
    NetworkConfiguration {
        awsvpc_configuration: AwsVpcConfiguration {
            subnets: vpc.subnets().to_vec(),
            security_groups: vpc.security_groups().to_vec(),
            assign_public_ip: vpc.assign_public_ip().map(|a| a.as_str().to_string()),
        },
    }
}

fn date_time(t: Timestamp) -> DateTime {
    DateTime::from_secs(t.as_second())
}
