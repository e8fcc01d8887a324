//! Metric math in a target tracking policy: planned once, no churn from what AWS fills
//! in, and put again when an expression changes.

use super::plan::*;
use super::plan_tests::{PREFIX, applied, by_kind};
use crate::api::service::{
    Autoscaling, CustomizedMetric, Metric, MetricDataQuery, MetricDimension, MetricStat,
    TargetTrackingPolicy,
};
use crate::aws::Tags;
use crate::aws::scaling::PolicyConfiguration;

/// Visible messages per running task, the batch worker's backlog, with the final
/// expression's returnData left out (true).
fn backlog(expression: &str) -> Autoscaling {
    let metric = |id: &str, namespace: &str, name: &str| MetricDataQuery {
        id: id.into(),
        metric_stat: Some(MetricStat {
            metric: Metric {
                metric_name: name.into(),
                namespace: namespace.into(),
                dimensions: vec![MetricDimension {
                    name: "QueueName".into(),
                    value: "jobs".into(),
                }],
            },
            stat: "Sum".into(),
            unit: None,
        }),
        return_data: Some(false),
        ..Default::default()
    };
    Autoscaling {
        min_capacity: 1,
        max_capacity: 20,
        target_tracking: vec![TargetTrackingPolicy {
            name: "backlog".into(),
            customized_metric: Some(CustomizedMetric {
                metrics: vec![
                    metric("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible"),
                    metric("tasks", "ECS/ContainerInsights", "RunningTaskCount"),
                    MetricDataQuery {
                        id: "backlog".into(),
                        expression: Some(expression.into()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
            target_value: 10.0,
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn desired(spec: &Autoscaling) -> DesiredScaling {
    DesiredScaling::new(spec, "service/main/worker".into(), PREFIX, Tags::new())
}

#[test]
fn a_metric_math_policy_is_put_with_every_entry() {
    let d = desired(&backlog("visible / tasks"));
    let p = by_kind(plan(&d, &ObservedScaling::default(), PREFIX, None));
    let [policy] = p.put_policies.as_slice() else {
        panic!("one policy: {:?}", p.put_policies);
    };
    let PolicyConfiguration::TargetTracking(t) = &policy.configuration else {
        panic!("{policy:?}");
    };
    let ids: Vec<_> = t
        .customized_metric
        .iter()
        .flat_map(|m| &m.metrics)
        .map(|q| q.id.as_str())
        .collect();
    assert_eq!(ids, ["visible", "tasks", "backlog"]);
}

#[test]
fn aws_filling_in_return_data_is_no_drift() {
    let d = desired(&backlog("visible / tasks"));
    let mut observed = applied(&d);
    for policy in &mut observed.policies {
        if let Some(PolicyConfiguration::TargetTracking(t)) = &mut policy.configuration {
            for query in t.customized_metric.iter_mut().flat_map(|m| &mut m.metrics) {
                query.return_data.get_or_insert(true);
            }
        }
    }
    let p = plan(&d, &observed, PREFIX, Some(&d.hash));
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn an_edited_expression_puts_the_policy_again() {
    let before = desired(&backlog("visible / tasks"));
    let observed = applied(&before);
    let after = desired(&backlog("visible / MAX([tasks, 1])"));
    let p = by_kind(plan(&after, &observed, PREFIX, Some(&before.hash)));
    assert_eq!(p.put_policies.len(), 1, "{p:?}");
}

#[test]
fn a_return_data_changed_in_aws_is_put_back() {
    let d = desired(&backlog("visible / tasks"));
    let mut observed = applied(&d);
    if let Some(PolicyConfiguration::TargetTracking(t)) = &mut observed.policies[0].configuration
        && let Some(m) = &mut t.customized_metric
    {
        m.metrics[0].return_data = Some(true);
    }
    let p = by_kind(plan(&d, &observed, PREFIX, Some(&d.hash)));
    assert_eq!(p.put_policies.len(), 1, "{p:?}");
}
