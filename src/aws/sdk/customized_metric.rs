//! A target tracking policy's customized metric between our types and the AWS SDK's:
//! one CloudWatch metric, or metric math over several.

use aws_sdk_applicationautoscaling::types as sdk;
use aws_smithy_types::error::operation::BuildError;

use super::text;
use crate::api::service::{CustomizedMetric, Metric, MetricDataQuery, MetricDimension, MetricStat};

pub(super) fn to_sdk(
    m: &CustomizedMetric,
) -> Result<sdk::CustomizedMetricSpecification, BuildError> {
    let dimensions = m
        .dimensions
        .iter()
        .map(|d| {
            sdk::MetricDimension::builder()
                .name(&d.name)
                .value(&d.value)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let metrics = m
        .metrics
        .iter()
        .map(query_to_sdk)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sdk::CustomizedMetricSpecification::builder()
        .set_metric_name(m.metric_name.clone())
        .set_namespace(m.namespace.clone())
        .set_dimensions((!dimensions.is_empty()).then_some(dimensions))
        .set_statistic(m.statistic.as_deref().map(sdk::MetricStatistic::from))
        .set_unit(m.unit.clone())
        .set_metrics((!metrics.is_empty()).then_some(metrics))
        .build())
}

fn query_to_sdk(q: &MetricDataQuery) -> Result<sdk::TargetTrackingMetricDataQuery, BuildError> {
    let stat = q
        .metric_stat
        .as_ref()
        .map(|s| {
            let dimensions = s
                .metric
                .dimensions
                .iter()
                .map(|d| {
                    sdk::TargetTrackingMetricDimension::builder()
                        .name(&d.name)
                        .value(&d.value)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()?;
            let metric = sdk::TargetTrackingMetric::builder()
                .metric_name(&s.metric.metric_name)
                .namespace(&s.metric.namespace)
                .set_dimensions((!dimensions.is_empty()).then_some(dimensions))
                .build();
            sdk::TargetTrackingMetricStat::builder()
                .metric(metric)
                .stat(&s.stat)
                .set_unit(s.unit.clone())
                .build()
        })
        .transpose()?;
    sdk::TargetTrackingMetricDataQuery::builder()
        .id(&q.id)
        .set_expression(q.expression.clone())
        .set_metric_stat(stat)
        .set_label(q.label.clone())
        .set_return_data(q.return_data)
        .build()
}

pub(super) fn from_sdk(m: &sdk::CustomizedMetricSpecification) -> CustomizedMetric {
    CustomizedMetric {
        metric_name: text(m.metric_name()),
        namespace: text(m.namespace()),
        dimensions: m
            .dimensions()
            .iter()
            .map(|d| MetricDimension {
                name: d.name().to_string(),
                value: d.value().to_string(),
            })
            .collect(),
        statistic: m.statistic().map(|s| s.as_str().to_string()),
        unit: text(m.unit()),
        metrics: m.metrics().iter().map(query_from_sdk).collect(),
    }
}

fn query_from_sdk(q: &sdk::TargetTrackingMetricDataQuery) -> MetricDataQuery {
    MetricDataQuery {
        id: q.id().to_string(),
        expression: text(q.expression()),
        metric_stat: q.metric_stat().map(|s| MetricStat {
            metric: Metric {
                metric_name: s
                    .metric()
                    .and_then(|m| m.metric_name())
                    .unwrap_or_default()
                    .to_string(),
                namespace: s
                    .metric()
                    .and_then(|m| m.namespace())
                    .unwrap_or_default()
                    .to_string(),
                dimensions: s
                    .metric()
                    .map(|m| m.dimensions())
                    .unwrap_or_default()
                    .iter()
                    .map(|d| MetricDimension {
                        name: d.name().to_string(),
                        value: d.value().to_string(),
                    })
                    .collect(),
            },
            stat: s.stat().to_string(),
            unit: text(s.unit()),
        }),
        label: text(q.label()),
        return_data: q.return_data(),
    }
}
