//! What a Service names in AWS, for the TenantPolicy check.

use crate::api::Service;
use crate::tenancy::{Rule, Use, named_uses, network_uses};

/// What the Service would name and reference in AWS, for the TenantPolicy check. The
/// Cluster and TaskDefinition objects it references are checked on their own.
pub fn tenant_uses(service: &Service) -> Vec<Use> {
    let spec = &service.spec;
    let settings = &spec.settings;
    let field = if spec.service_name.is_some() {
        "spec.serviceName"
    } else {
        "metadata.name"
    };
    let mut uses = vec![Use::new(Rule::ServiceName, field, service.service_name())];
    uses.extend(named_uses(
        spec.cluster
            .as_deref()
            .filter(|_| spec.cluster_ref.is_none()),
        spec.task_definition
            .as_deref()
            .filter(|_| spec.task_definition_ref.is_none()),
    ));
    for (i, lb) in settings.load_balancers.iter().enumerate() {
        if let Some(arn) = &lb.target_group_arn {
            uses.push(Use::new(
                Rule::TargetGroup,
                format!("spec.loadBalancers[{i}].targetGroupArn"),
                arn.clone(),
            ));
        }
    }
    for (i, registry) in settings.service_registries.iter().enumerate() {
        uses.push(Use::new(
            Rule::Registry,
            format!("spec.serviceRegistries[{i}].registryArn"),
            registry.registry_arn.clone(),
        ));
    }
    if let Some(network) = &settings.network_configuration {
        uses.extend(network_uses(network));
    }
    if let Some(pre) = &spec.pre_deploy {
        for (field, role) in [
            ("spec.preDeploy.taskRoleArn", &pre.overrides.task_role_arn),
            (
                "spec.preDeploy.executionRoleArn",
                &pre.overrides.execution_role_arn,
            ),
        ] {
            if let Some(role) = role {
                uses.push(Use::new(Rule::Role, field, role.clone()));
            }
        }
    }
    uses
}
