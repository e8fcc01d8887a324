//! Service Connect as the spec and ECS compare. ECS fills in what the spec leaves out
//! and reports the result on the PRIMARY deployment, so without this every resync
//! would see a difference, send UpdateService and start a deployment.

use crate::api::service::ServiceConnectConfiguration;

/// The form both sides share: a left-out discoveryName is the port name ("If the
/// discoveryName isn't specified, the port mapping name from the task definition is
/// used", ECS API Reference, ServiceConnectService), an ingressPortOverride of 0 is
/// none, and the endpoints are in port name order (ECS keeps no order).
pub fn canonical(config: &ServiceConnectConfiguration) -> ServiceConnectConfiguration {
    let mut config = config.clone();
    for service in &mut config.services {
        service
            .discovery_name
            .get_or_insert_with(|| service.port_name.clone());
        if service.ingress_port_override == Some(0) {
            service.ingress_port_override = None;
        }
    }
    config
        .services
        .sort_by(|a, b| a.port_name.cmp(&b.port_name));
    config
}

/// What ECS reports (already canonical), in the spec's terms where both mean the same:
/// - reported nothing while the spec turns Service Connect off: ECS reports no
///   configuration for a service without Service Connect;
/// - a namespace the spec leaves out is the cluster's default, not managed; one the
///   spec names while ECS reports an ARN (or the other way round) cannot be told apart
///   without Cloud Map, so only a name against a name, or an ARN against an ARN, is
///   compared, as the Cluster does;
/// - a client alias's dnsName the spec leaves out is ECS's default,
///   discoveryName.namespace (ECS API Reference, ServiceConnectClientAlias).
pub fn as_reported(
    desired: Option<&ServiceConnectConfiguration>,
    reported: Option<&ServiceConnectConfiguration>,
) -> Option<ServiceConnectConfiguration> {
    let Some(desired) = desired else {
        return reported.cloned();
    };
    let Some(reported) = reported else {
        return (!desired.enabled).then(|| desired.clone());
    };
    let mut seen = reported.clone();
    match (&desired.namespace, &seen.namespace) {
        (None, _) => seen.namespace = None,
        (Some(wanted), Some(got)) if wanted.starts_with("arn:") != got.starts_with("arn:") => {
            seen.namespace = Some(wanted.clone());
        }
        _ => {}
    }
    for service in &mut seen.services {
        let Some(wanted) = desired
            .services
            .iter()
            .find(|d| d.port_name == service.port_name)
        else {
            continue;
        };
        for (alias, wanted_alias) in service
            .client_aliases
            .iter_mut()
            .zip(&wanted.client_aliases)
        {
            if wanted_alias.dns_name.is_none() {
                alias.dns_name = None;
            }
        }
    }
    Some(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> ServiceConnectConfiguration {
        canonical(&serde_saphyr::from_str(yaml).expect("a Service Connect spec"))
    }

    /// A reported configuration, read the way the SDK mapping reads it (members the
    /// CRD does not model, such as logConfiguration, are dropped).
    fn reported(json: &str) -> ServiceConnectConfiguration {
        canonical(&serde_json::from_str(json).expect("a documented response"))
    }

    /// The spec of both documented examples: Service Connect on, the cluster's default
    /// namespace, the nginx port mapping reached on port 80.
    const TUTORIAL: &str =
        "enabled: true\nservices:\n  - portName: nginx\n    clientAliases: [{port: 80}]\n";

    /// DescribeServices after that spec (AWS sample "Amazon ECS Service Connect",
    /// aws-samples/sample-developer-tutorials tuts/085, linked from the IAM User
    /// Guide's ECS examples): the namespace as an ARN, discoveryName and dnsName filled.
    #[test]
    fn the_documented_describe_services_answer_matches_its_spec() {
        let desired = spec(TUTORIAL);
        let ecs = reported(include_str!(
            "fixtures/service-connect-describe-services.json"
        ));
        assert_ne!(ecs, desired, "ECS filled in defaults");
        assert_eq!(as_reported(Some(&desired), Some(&ecs)), Some(desired));
    }

    /// CreateService's answer in the ECS Developer Guide's tutorial "Using Service
    /// Connect in Fargate with the AWS CLI": the request echoed, the namespace by name.
    #[test]
    fn the_documented_create_service_answer_matches_its_spec() {
        let desired = spec(TUTORIAL);
        let ecs = reported(include_str!(
            "fixtures/service-connect-create-service-response.json"
        ));
        assert_eq!(as_reported(Some(&desired), Some(&ecs)), Some(desired));
    }

    #[test]
    fn a_changed_port_or_dns_name_still_differs() {
        let ecs = reported(include_str!(
            "fixtures/service-connect-describe-services.json"
        ));
        let moved = spec(
            "enabled: true\nservices:\n  - portName: nginx\n    clientAliases: [{port: 8080}]\n",
        );
        assert_ne!(as_reported(Some(&moved), Some(&ecs)), Some(moved));
        let named = spec(
            "enabled: true\nservices:\n  - portName: nginx\n    clientAliases: [{port: 80, dnsName: web.internal}]\n",
        );
        assert_ne!(as_reported(Some(&named), Some(&ecs)), Some(named));
        let arn = spec(
            "enabled: true\nnamespace: arn:aws:servicediscovery:us-west-2:123456789012:namespace/ns-other\n\
             services:\n  - portName: nginx\n    clientAliases: [{port: 80}]\n",
        );
        assert_ne!(as_reported(Some(&arn), Some(&ecs)), Some(arn));
    }

    #[test]
    fn service_connect_turned_off_matches_nothing_reported() {
        let off = spec("enabled: false\n");
        assert_eq!(as_reported(Some(&off), None), Some(off));
        let on = spec(TUTORIAL);
        assert_eq!(as_reported(Some(&on), None), None);
    }

    #[test]
    fn a_discovery_name_left_out_is_the_port_name() {
        let left_out =
            spec("enabled: true\nservices:\n  - portName: api\n    ingressPortOverride: 0\n");
        let spelled = spec("enabled: true\nservices:\n  - {portName: api, discoveryName: api}\n");
        assert_eq!(left_out, spelled);
    }
}
