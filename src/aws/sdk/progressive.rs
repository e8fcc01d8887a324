//! The progressive-deployment settings (LINEAR and CANARY steps, lifecycle hooks, a
//! load balancer's blue/green settings) between our API types and the AWS SDK's.

use std::collections::HashMap;

use aws_sdk_ecs::types as sdk;
use aws_smithy_types::{Document, Number};
use serde_json::Value;

use super::{non_empty, text};
use crate::api::service::{
    AdvancedConfiguration, CanaryConfiguration, DeploymentLifecycleHook, HookTimeoutConfiguration,
    LinearConfiguration, ServiceConnectTestTrafficHeader, ServiceConnectTestTrafficHeaderMatch,
    ServiceConnectTestTrafficRules,
};

pub(super) fn linear_to_sdk(l: &LinearConfiguration) -> sdk::LinearConfiguration {
    sdk::LinearConfiguration::builder()
        .set_step_percent(l.step_percent)
        .set_step_bake_time_in_minutes(l.step_bake_time_in_minutes)
        .build()
}

pub(super) fn linear_from_sdk(l: &sdk::LinearConfiguration) -> LinearConfiguration {
    LinearConfiguration {
        step_percent: l.step_percent(),
        step_bake_time_in_minutes: l.step_bake_time_in_minutes(),
    }
}

pub(super) fn canary_to_sdk(c: &CanaryConfiguration) -> sdk::CanaryConfiguration {
    sdk::CanaryConfiguration::builder()
        .set_canary_percent(c.canary_percent)
        .set_canary_bake_time_in_minutes(c.canary_bake_time_in_minutes)
        .build()
}

pub(super) fn canary_from_sdk(c: &sdk::CanaryConfiguration) -> CanaryConfiguration {
    CanaryConfiguration {
        canary_percent: c.canary_percent(),
        canary_bake_time_in_minutes: c.canary_bake_time_in_minutes(),
    }
}

pub(super) fn hooks_to_sdk(
    hooks: &[DeploymentLifecycleHook],
) -> Option<Vec<sdk::DeploymentLifecycleHook>> {
    let hooks = hooks
        .iter()
        .map(|h| {
            sdk::DeploymentLifecycleHook::builder()
                .set_target_type(
                    h.target_type
                        .as_deref()
                        .map(sdk::DeploymentLifecycleHookTargetType::from),
                )
                .set_hook_target_arn(h.hook_target_arn.clone())
                .set_role_arn(h.role_arn.clone())
                .set_lifecycle_stages(Some(
                    h.lifecycle_stages
                        .iter()
                        .map(|s| sdk::DeploymentLifecycleHookStage::from(s.as_str()))
                        .collect(),
                ))
                .set_hook_details(h.hook_details.as_ref().map(document))
                .set_timeout_configuration(h.timeout_configuration.as_ref().map(|t| {
                    sdk::DeploymentLifecycleHookTimeoutConfiguration::builder()
                        .set_timeout_in_minutes(t.timeout_in_minutes)
                        .set_action(
                            t.action
                                .as_deref()
                                .map(sdk::DeploymentLifecycleHookAction::from),
                        )
                        .build()
                }))
                .build()
        })
        .collect();
    non_empty(hooks)
}

pub(super) fn hooks_from_sdk(
    hooks: &[sdk::DeploymentLifecycleHook],
) -> Vec<DeploymentLifecycleHook> {
    hooks
        .iter()
        .map(|h| DeploymentLifecycleHook {
            target_type: h.target_type().map(|t| t.as_str().to_string()),
            hook_target_arn: text(h.hook_target_arn()),
            role_arn: text(h.role_arn()),
            lifecycle_stages: h
                .lifecycle_stages()
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            hook_details: h.hook_details().map(json),
            timeout_configuration: h.timeout_configuration().map(|t| HookTimeoutConfiguration {
                timeout_in_minutes: t.timeout_in_minutes(),
                action: t.action().map(|a| a.as_str().to_string()),
            }),
        })
        .collect()
}

pub(super) fn advanced_to_sdk(a: &AdvancedConfiguration) -> sdk::AdvancedConfiguration {
    sdk::AdvancedConfiguration::builder()
        .set_alternate_target_group_arn(a.alternate_target_group_arn.clone())
        .set_production_listener_rule(a.production_listener_rule.clone())
        .set_test_listener_rule(a.test_listener_rule.clone())
        .set_role_arn(a.role_arn.clone())
        .build()
}

pub(super) fn advanced_from_sdk(a: &sdk::AdvancedConfiguration) -> AdvancedConfiguration {
    AdvancedConfiguration {
        alternate_target_group_arn: text(a.alternate_target_group_arn()),
        production_listener_rule: text(a.production_listener_rule()),
        test_listener_rule: text(a.test_listener_rule()),
        role_arn: text(a.role_arn()),
    }
}

/// A JSON value as the SDK's document type. Integers stay integers, so what ECS
/// echoes back compares equal to the spec.
fn document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            (None, None) => Number::Float(n.as_f64().unwrap_or_default()),
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document).collect()),
        Value::Object(fields) => Document::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), document(v)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

/// The SDK's document type as a JSON value; a float JSON cannot hold (NaN) is null.
fn json(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(json).collect()),
        Document::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), json(v))).collect())
        }
    }
}

pub(super) fn test_traffic_to_sdk(
    rules: &ServiceConnectTestTrafficRules,
) -> Result<sdk::ServiceConnectTestTrafficRules, aws_smithy_types::error::operation::BuildError> {
    let value = rules
        .header
        .value
        .as_ref()
        .map(|v| {
            sdk::ServiceConnectTestTrafficHeaderMatchRules::builder()
                .exact(&v.exact)
                .build()
        })
        .transpose()?;
    let header = sdk::ServiceConnectTestTrafficHeaderRules::builder()
        .name(&rules.header.name)
        .set_value(value)
        .build()?;
    Ok(sdk::ServiceConnectTestTrafficRules::builder()
        .header(header)
        .build())
}

pub(super) fn test_traffic_from_sdk(
    rules: &sdk::ServiceConnectTestTrafficRules,
) -> Option<ServiceConnectTestTrafficRules> {
    let header = rules.header()?;
    Some(ServiceConnectTestTrafficRules {
        header: ServiceConnectTestTrafficHeader {
            name: header.name().to_string(),
            value: header
                .value()
                .map(|v| ServiceConnectTestTrafficHeaderMatch {
                    exact: v.exact().to_string(),
                }),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_details_survive_the_round_trip_through_the_sdk() {
        let details = serde_json::json!({
            "suite": "smoke", "retries": 3, "offset": -2, "ratio": 0.5,
            "regions": ["eu-west-1"], "strict": true, "owner": null,
        });
        assert_eq!(json(&document(&details)), details);
    }

    #[test]
    fn a_pause_hook_maps_to_the_sdk_and_back_unchanged() {
        let hook = DeploymentLifecycleHook {
            target_type: Some("PAUSE".into()),
            lifecycle_stages: vec!["POST_TEST_TRAFFIC_SHIFT".into()],
            timeout_configuration: Some(HookTimeoutConfiguration {
                timeout_in_minutes: Some(60),
                action: Some("CONTINUE".into()),
            }),
            ..DeploymentLifecycleHook::default()
        };
        let sdk = hooks_to_sdk(std::slice::from_ref(&hook)).expect("one hook");
        assert_eq!(hooks_from_sdk(&sdk), vec![hook]);
        assert_eq!(hooks_to_sdk(&[]), None, "no hooks send no list");
    }

    #[test]
    fn linear_canary_and_advanced_settings_map_both_ways() {
        let linear = LinearConfiguration {
            step_percent: Some(12.5),
            step_bake_time_in_minutes: Some(3),
        };
        assert_eq!(linear_from_sdk(&linear_to_sdk(&linear)), linear);
        let canary = CanaryConfiguration {
            canary_percent: Some(0.5),
            canary_bake_time_in_minutes: None,
        };
        assert_eq!(canary_from_sdk(&canary_to_sdk(&canary)), canary);
        let advanced = AdvancedConfiguration {
            alternate_target_group_arn: Some(
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/1".into(),
            ),
            production_listener_rule: Some(
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/1/2/3"
                    .into(),
            ),
            test_listener_rule: None,
            role_arn: Some("arn:aws:iam::123456789012:role/ecs-elb".into()),
        };
        assert_eq!(advanced_from_sdk(&advanced_to_sdk(&advanced)), advanced);
    }

    #[test]
    fn service_connect_test_traffic_rules_map_both_ways() {
        for value in [None, Some("on")] {
            let rules = ServiceConnectTestTrafficRules {
                header: ServiceConnectTestTrafficHeader {
                    name: "x-canary".into(),
                    value: value.map(|v| ServiceConnectTestTrafficHeaderMatch { exact: v.into() }),
                },
            };
            let sdk = test_traffic_to_sdk(&rules).expect("a complete header rule");
            assert_eq!(test_traffic_from_sdk(&sdk), Some(rules));
        }
    }
}
