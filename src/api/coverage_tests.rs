//! Every member the AWS SDK takes on the calls that carry a spec is modelled by a CRD
//! field, set by the operator itself, or listed under "Not supported" in the kind's
//! page in docs/ with the reason; nothing listed there is modelled or gone from the
//! SDK. An SDK release that adds a member fails here until it is modelled or listed.

use std::collections::BTreeSet;

use serde_json::Value;

/// The members of an ECS shape, by their names on the wire, from the SDK's schema.
macro_rules! ecs_members {
    ($shape:ty) => {
        <$shape>::SCHEMA
            .members()
            .iter()
            .filter_map(|m| m.member_name())
            .map(str::to_string)
            .collect::<Vec<String>>()
    };
}

/// The members of an Application Auto Scaling input, from its builder's Debug output
/// (that crate has no schema): `XBuilder { member_name: None, ... }`.
macro_rules! debug_members {
    ($builder:expr) => {
        members_of_debug(&format!("{:?}", $builder))
    };
}

fn members_of_debug(debug: &str) -> Vec<String> {
    let body = debug
        .split_once('{')
        .and_then(|(_, rest)| rest.rsplit_once('}'))
        .map_or("", |(body, _)| body);
    body.split(", ")
        .filter_map(|field| field.split_once(':'))
        .map(|(name, _)| camel_case(name.trim().trim_start_matches("r#")))
        .collect()
}

fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Cluster,
    CapacityProvider,
    TaskDefinition,
    Service,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Cluster => "Cluster",
            Self::CapacityProvider => "CapacityProvider",
            Self::TaskDefinition => "TaskDefinition",
            Self::Service => "Service",
        }
    }

    fn page(self) -> (&'static str, &'static str) {
        match self {
            Self::Cluster => ("docs/cluster.md", include_str!("../../docs/cluster.md")),
            Self::CapacityProvider => (
                "docs/capacity-provider.md",
                include_str!("../../docs/capacity-provider.md"),
            ),
            Self::TaskDefinition => (
                "docs/task-definition.md",
                include_str!("../../docs/task-definition.md"),
            ),
            Self::Service => ("docs/service.md", include_str!("../../docs/service.md")),
        }
    }
}

/// One SDK shape and the spec path that models it.
struct Shape {
    name: &'static str,
    members: Vec<String>,
    kind: Kind,
    /// Where the CRD models it: `spec`, `spec.containerDefinitions[]`, ...
    path: &'static str,
    /// Members the operator fills itself (names, tokens, ownership tags, constants).
    set_by_operator: &'static [&'static str],
    /// Members the CRD spells differently: (SDK, CRD).
    renamed: &'static [(&'static str, &'static str)],
}

fn shape(name: &'static str, members: Vec<String>, kind: Kind, path: &'static str) -> Shape {
    Shape {
        name,
        members,
        kind,
        path,
        set_by_operator: &[],
        renamed: &[],
    }
}

fn shapes() -> Vec<Shape> {
    use Kind::*;
    use aws_sdk_applicationautoscaling as aas;
    use aws_sdk_ecs::operation as op;
    use aws_sdk_ecs::types as t;
    vec![
        shape(
            "CreateCluster",
            ecs_members!(op::create_cluster::CreateClusterInput),
            Cluster,
            "spec",
        ),
        Shape {
            set_by_operator: &["cluster"],
            ..shape(
                "UpdateCluster",
                ecs_members!(op::update_cluster::UpdateClusterInput),
                Cluster,
                "spec",
            )
        },
        Shape {
            set_by_operator: &["cluster"],
            ..shape(
                "PutClusterCapacityProviders",
                ecs_members!(op::put_cluster_capacity_providers::PutClusterCapacityProvidersInput),
                Cluster,
                "spec",
            )
        },
        shape(
            "ClusterSetting",
            ecs_members!(t::ClusterSetting),
            Cluster,
            "spec.settings[]",
        ),
        shape(
            "ClusterConfiguration",
            ecs_members!(t::ClusterConfiguration),
            Cluster,
            "spec.configuration",
        ),
        shape(
            "ExecuteCommandConfiguration",
            ecs_members!(t::ExecuteCommandConfiguration),
            Cluster,
            "spec.configuration.executeCommandConfiguration",
        ),
        shape(
            "ExecuteCommandLogConfiguration",
            ecs_members!(t::ExecuteCommandLogConfiguration),
            Cluster,
            "spec.configuration.executeCommandConfiguration.logConfiguration",
        ),
        shape(
            "ClusterServiceConnectDefaultsRequest",
            ecs_members!(t::ClusterServiceConnectDefaultsRequest),
            Cluster,
            "spec.serviceConnectDefaults",
        ),
        shape(
            "CapacityProviderStrategyItem",
            ecs_members!(t::CapacityProviderStrategyItem),
            Cluster,
            "spec.defaultCapacityProviderStrategy[]",
        ),
        Shape {
            renamed: &[("name", "capacityProviderName")],
            ..shape(
                "CreateCapacityProvider",
                ecs_members!(op::create_capacity_provider::CreateCapacityProviderInput),
                CapacityProvider,
                "spec",
            )
        },
        Shape {
            renamed: &[("name", "capacityProviderName")],
            ..shape(
                "UpdateCapacityProvider",
                ecs_members!(op::update_capacity_provider::UpdateCapacityProviderInput),
                CapacityProvider,
                "spec",
            )
        },
        shape(
            "AutoScalingGroupProvider",
            ecs_members!(t::AutoScalingGroupProvider),
            CapacityProvider,
            "spec.autoScalingGroupProvider",
        ),
        shape(
            "AutoScalingGroupProviderUpdate",
            ecs_members!(t::AutoScalingGroupProviderUpdate),
            CapacityProvider,
            "spec.autoScalingGroupProvider",
        ),
        shape(
            "ManagedScaling",
            ecs_members!(t::ManagedScaling),
            CapacityProvider,
            "spec.autoScalingGroupProvider.managedScaling",
        ),
        shape(
            "CreateManagedInstancesProviderConfiguration",
            ecs_members!(t::CreateManagedInstancesProviderConfiguration),
            CapacityProvider,
            "spec.managedInstancesProvider",
        ),
        shape(
            "UpdateManagedInstancesProviderConfiguration",
            ecs_members!(t::UpdateManagedInstancesProviderConfiguration),
            CapacityProvider,
            "spec.managedInstancesProvider",
        ),
        shape(
            "InstanceLaunchTemplate",
            ecs_members!(t::InstanceLaunchTemplate),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate",
        ),
        shape(
            "InstanceLaunchTemplateUpdate",
            ecs_members!(t::InstanceLaunchTemplateUpdate),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate",
        ),
        shape(
            "ManagedInstancesNetworkConfiguration",
            ecs_members!(t::ManagedInstancesNetworkConfiguration),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.networkConfiguration",
        ),
        shape(
            "ManagedInstancesStorageConfiguration",
            ecs_members!(t::ManagedInstancesStorageConfiguration),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.storageConfiguration",
        ),
        shape(
            "ManagedInstancesLocalStorageConfiguration",
            ecs_members!(t::ManagedInstancesLocalStorageConfiguration),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.localStorageConfiguration",
        ),
        shape(
            "CapacityReservationRequest",
            ecs_members!(t::CapacityReservationRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.capacityReservations",
        ),
        shape(
            "InfrastructureOptimization",
            ecs_members!(t::InfrastructureOptimization),
            CapacityProvider,
            "spec.managedInstancesProvider.infrastructureOptimization",
        ),
        shape(
            "AutoRepairConfiguration",
            ecs_members!(t::AutoRepairConfiguration),
            CapacityProvider,
            "spec.managedInstancesProvider.autoRepairConfiguration",
        ),
        shape(
            "InstanceRequirementsRequest",
            ecs_members!(t::InstanceRequirementsRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements",
        ),
        shape(
            "VCpuCountRangeRequest",
            ecs_members!(t::VCpuCountRangeRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements.vCpuCount",
        ),
        shape(
            "MemoryMiBRequest",
            ecs_members!(t::MemoryMiBRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements.memoryMiB",
        ),
        shape(
            "MemoryGiBPerVCpuRequest",
            ecs_members!(t::MemoryGiBPerVCpuRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements.memoryGiBPerVCpu",
        ),
        shape(
            "NetworkInterfaceCountRequest",
            ecs_members!(t::NetworkInterfaceCountRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements.networkInterfaceCount",
        ),
        shape(
            "TotalLocalStorageGbRequest",
            ecs_members!(t::TotalLocalStorageGbRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements.totalLocalStorageGB",
        ),
        shape(
            "BaselineEbsBandwidthMbpsRequest",
            ecs_members!(t::BaselineEbsBandwidthMbpsRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements.baselineEbsBandwidthMbps",
        ),
        shape(
            "AcceleratorCountRequest",
            ecs_members!(t::AcceleratorCountRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements.acceleratorCount",
        ),
        shape(
            "AcceleratorTotalMemoryMiBRequest",
            ecs_members!(t::AcceleratorTotalMemoryMiBRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements.acceleratorTotalMemoryMiB",
        ),
        shape(
            "NetworkBandwidthGbpsRequest",
            ecs_members!(t::NetworkBandwidthGbpsRequest),
            CapacityProvider,
            "spec.managedInstancesProvider.instanceLaunchTemplate.instanceRequirements.networkBandwidthGbps",
        ),
        shape(
            "RegisterTaskDefinition",
            ecs_members!(op::register_task_definition::RegisterTaskDefinitionInput),
            TaskDefinition,
            "spec",
        ),
        shape(
            "ContainerDefinition",
            ecs_members!(t::ContainerDefinition),
            TaskDefinition,
            "spec.containerDefinitions[]",
        ),
        shape(
            "PortMapping",
            ecs_members!(t::PortMapping),
            TaskDefinition,
            "spec.containerDefinitions[].portMappings[]",
        ),
        shape(
            "KeyValuePair",
            ecs_members!(t::KeyValuePair),
            TaskDefinition,
            "spec.containerDefinitions[].environment[]",
        ),
        shape(
            "EnvironmentFile",
            ecs_members!(t::EnvironmentFile),
            TaskDefinition,
            "spec.containerDefinitions[].environmentFiles[]",
        ),
        shape(
            "Secret",
            ecs_members!(t::Secret),
            TaskDefinition,
            "spec.containerDefinitions[].secrets[]",
        ),
        shape(
            "RepositoryCredentials",
            ecs_members!(t::RepositoryCredentials),
            TaskDefinition,
            "spec.containerDefinitions[].repositoryCredentials",
        ),
        shape(
            "HealthCheck",
            ecs_members!(t::HealthCheck),
            TaskDefinition,
            "spec.containerDefinitions[].healthCheck",
        ),
        shape(
            "LogConfiguration",
            ecs_members!(t::LogConfiguration),
            TaskDefinition,
            "spec.containerDefinitions[].logConfiguration",
        ),
        shape(
            "MountPoint",
            ecs_members!(t::MountPoint),
            TaskDefinition,
            "spec.containerDefinitions[].mountPoints[]",
        ),
        shape(
            "VolumeFrom",
            ecs_members!(t::VolumeFrom),
            TaskDefinition,
            "spec.containerDefinitions[].volumesFrom[]",
        ),
        shape(
            "ContainerDependency",
            ecs_members!(t::ContainerDependency),
            TaskDefinition,
            "spec.containerDefinitions[].dependsOn[]",
        ),
        shape(
            "Ulimit",
            ecs_members!(t::Ulimit),
            TaskDefinition,
            "spec.containerDefinitions[].ulimits[]",
        ),
        shape(
            "LinuxParameters",
            ecs_members!(t::LinuxParameters),
            TaskDefinition,
            "spec.containerDefinitions[].linuxParameters",
        ),
        shape(
            "KernelCapabilities",
            ecs_members!(t::KernelCapabilities),
            TaskDefinition,
            "spec.containerDefinitions[].linuxParameters.capabilities",
        ),
        shape(
            "FirelensConfiguration",
            ecs_members!(t::FirelensConfiguration),
            TaskDefinition,
            "spec.containerDefinitions[].firelensConfiguration",
        ),
        shape(
            "ContainerRestartPolicy",
            ecs_members!(t::ContainerRestartPolicy),
            TaskDefinition,
            "spec.containerDefinitions[].restartPolicy",
        ),
        shape(
            "Volume",
            ecs_members!(t::Volume),
            TaskDefinition,
            "spec.volumes[]",
        ),
        shape(
            "HostVolumeProperties",
            ecs_members!(t::HostVolumeProperties),
            TaskDefinition,
            "spec.volumes[].host",
        ),
        shape(
            "EfsVolumeConfiguration",
            ecs_members!(t::EfsVolumeConfiguration),
            TaskDefinition,
            "spec.volumes[].efsVolumeConfiguration",
        ),
        shape(
            "EfsAuthorizationConfig",
            ecs_members!(t::EfsAuthorizationConfig),
            TaskDefinition,
            "spec.volumes[].efsVolumeConfiguration.authorizationConfig",
        ),
        shape(
            "DockerVolumeConfiguration",
            ecs_members!(t::DockerVolumeConfiguration),
            TaskDefinition,
            "spec.volumes[].dockerVolumeConfiguration",
        ),
        shape(
            "RuntimePlatform",
            ecs_members!(t::RuntimePlatform),
            TaskDefinition,
            "spec.runtimePlatform",
        ),
        shape(
            "EphemeralStorage",
            ecs_members!(t::EphemeralStorage),
            TaskDefinition,
            "spec.ephemeralStorage",
        ),
        shape(
            "TaskDefinitionPlacementConstraint",
            ecs_members!(t::TaskDefinitionPlacementConstraint),
            TaskDefinition,
            "spec.placementConstraints[]",
        ),
        shape(
            "ProxyConfiguration",
            ecs_members!(t::ProxyConfiguration),
            TaskDefinition,
            "spec.proxyConfiguration",
        ),
        Shape {
            set_by_operator: &["clientToken"],
            ..shape(
                "CreateService",
                ecs_members!(op::create_service::CreateServiceInput),
                Service,
                "spec",
            )
        },
        Shape {
            // forceNewDeployment is sent when spec.redeployToken changes.
            set_by_operator: &["service", "forceNewDeployment"],
            ..shape(
                "UpdateService",
                ecs_members!(op::update_service::UpdateServiceInput),
                Service,
                "spec",
            )
        },
        shape(
            "CapacityProviderStrategyItem",
            ecs_members!(t::CapacityProviderStrategyItem),
            Service,
            "spec.capacityProviderStrategy[]",
        ),
        shape(
            "NetworkConfiguration",
            ecs_members!(t::NetworkConfiguration),
            Service,
            "spec.networkConfiguration",
        ),
        shape(
            "AwsVpcConfiguration",
            ecs_members!(t::AwsVpcConfiguration),
            Service,
            "spec.networkConfiguration.awsvpcConfiguration",
        ),
        shape(
            "LoadBalancer",
            ecs_members!(t::LoadBalancer),
            Service,
            "spec.loadBalancers[]",
        ),
        shape(
            "ServiceRegistry",
            ecs_members!(t::ServiceRegistry),
            Service,
            "spec.serviceRegistries[]",
        ),
        shape(
            "ServiceConnectConfiguration",
            ecs_members!(t::ServiceConnectConfiguration),
            Service,
            "spec.serviceConnectConfiguration",
        ),
        shape(
            "ServiceConnectService",
            ecs_members!(t::ServiceConnectService),
            Service,
            "spec.serviceConnectConfiguration.services[]",
        ),
        shape(
            "ServiceConnectClientAlias",
            ecs_members!(t::ServiceConnectClientAlias),
            Service,
            "spec.serviceConnectConfiguration.services[].clientAliases[]",
        ),
        shape(
            "PlacementConstraint",
            ecs_members!(t::PlacementConstraint),
            Service,
            "spec.placementConstraints[]",
        ),
        shape(
            "PlacementStrategy",
            ecs_members!(t::PlacementStrategy),
            Service,
            "spec.placementStrategy[]",
        ),
        shape(
            "DeploymentConfiguration",
            ecs_members!(t::DeploymentConfiguration),
            Service,
            "spec.deploymentConfiguration",
        ),
        shape(
            "DeploymentCircuitBreaker",
            ecs_members!(t::DeploymentCircuitBreaker),
            Service,
            "spec.deploymentConfiguration.deploymentCircuitBreaker",
        ),
        shape(
            "DeploymentAlarms",
            ecs_members!(t::DeploymentAlarms),
            Service,
            "spec.deploymentConfiguration.alarms",
        ),
        shape(
            "LinearConfiguration",
            ecs_members!(t::LinearConfiguration),
            Service,
            "spec.deploymentConfiguration.linearConfiguration",
        ),
        shape(
            "CanaryConfiguration",
            ecs_members!(t::CanaryConfiguration),
            Service,
            "spec.deploymentConfiguration.canaryConfiguration",
        ),
        shape(
            "DeploymentLifecycleHook",
            ecs_members!(t::DeploymentLifecycleHook),
            Service,
            "spec.deploymentConfiguration.lifecycleHooks[]",
        ),
        shape(
            "DeploymentLifecycleHookTimeoutConfiguration",
            ecs_members!(t::DeploymentLifecycleHookTimeoutConfiguration),
            Service,
            "spec.deploymentConfiguration.lifecycleHooks[].timeoutConfiguration",
        ),
        shape(
            "AdvancedConfiguration",
            ecs_members!(t::AdvancedConfiguration),
            Service,
            "spec.loadBalancers[].advancedConfiguration",
        ),
        shape(
            "DeploymentController",
            ecs_members!(t::DeploymentController),
            Service,
            "spec.deploymentController",
        ),
        Shape {
            set_by_operator: &[
                "serviceNamespace",
                "resourceId",
                "scalableDimension",
                "tags",
            ],
            ..shape(
                "RegisterScalableTarget",
                debug_members!(
                    aas::operation::register_scalable_target::RegisterScalableTargetInput::builder(
                    )
                ),
                Service,
                "spec.autoscaling",
            )
        },
        Shape {
            // The policy type and its configuration follow from the list the policy is in.
            set_by_operator: &[
                "serviceNamespace",
                "resourceId",
                "scalableDimension",
                "policyType",
                "targetTrackingScalingPolicyConfiguration",
                "stepScalingPolicyConfiguration",
            ],
            renamed: &[("policyName", "name")],
            ..shape(
                "PutScalingPolicy",
                debug_members!(
                    aas::operation::put_scaling_policy::PutScalingPolicyInput::builder()
                ),
                Service,
                "spec.autoscaling.targetTracking[]",
            )
        },
        Shape {
            // Its minCapacity and maxCapacity are the action's own fields.
            set_by_operator: &[
                "serviceNamespace",
                "resourceId",
                "scalableDimension",
                "scalableTargetAction",
            ],
            renamed: &[("scheduledActionName", "name")],
            ..shape(
                "PutScheduledAction",
                debug_members!(
                    aas::operation::put_scheduled_action::PutScheduledActionInput::builder()
                ),
                Service,
                "spec.autoscaling.scheduledActions[]",
            )
        },
        Shape {
            renamed: &[
                ("predefinedMetricSpecification", "predefinedMetric"),
                ("customizedMetricSpecification", "customizedMetric"),
            ],
            ..shape(
                "TargetTrackingScalingPolicyConfiguration",
                debug_members!(aas::types::TargetTrackingScalingPolicyConfiguration::builder()),
                Service,
                "spec.autoscaling.targetTracking[]",
            )
        },
        shape(
            "StepScalingPolicyConfiguration",
            debug_members!(aas::types::StepScalingPolicyConfiguration::builder()),
            Service,
            "spec.autoscaling.stepScaling[]",
        ),
        shape(
            "CustomizedMetricSpecification",
            debug_members!(aas::types::CustomizedMetricSpecification::builder()),
            Service,
            "spec.autoscaling.targetTracking[].customizedMetric",
        ),
    ]
}

/// The CRD schema node at `path` (`spec.a[].b`) of `kind`.
fn node<'a>(crds: &'a [Value], kind: Kind, path: &str) -> &'a Value {
    let crd = crds
        .iter()
        .find(|c| c["spec"]["names"]["kind"] == kind.name())
        .expect("a CRD per kind");
    let mut node = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    for segment in path.split('.') {
        let (name, list) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        node = &node["properties"][name];
        if list {
            node = &node["items"];
        }
        assert!(!node.is_null(), "{} has no {path}", kind.name());
    }
    node
}

/// The `spec.` paths the first column of the page's "## Not supported" table lists.
fn listed(page: &str) -> BTreeSet<String> {
    let section = page
        .split("\n## Not supported\n")
        .nth(1)
        .map_or("", |rest| rest.split("\n## ").next().unwrap_or(rest));
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|line| line.split_once('`'))
        .map(|(path, _)| path.to_string())
        .filter(|path| path.starts_with("spec."))
        .collect()
}

#[test]
fn every_sdk_member_is_modelled_set_by_the_operator_or_documented_as_not_supported() {
    let crds: Vec<Value> = super::crds()
        .iter()
        .map(|crd| serde_json::to_value(crd).expect("a CRD serialises"))
        .collect();
    let mut problems = Vec::new();
    for kind in [
        Kind::Cluster,
        Kind::CapacityProvider,
        Kind::TaskDefinition,
        Kind::Service,
    ] {
        let (page_name, page) = kind.page();
        let documented = listed(page);
        let mut unsupported = BTreeSet::new();
        for shape in shapes().iter().filter(|s| s.kind == kind) {
            assert!(
                !shape.members.is_empty(),
                "no members read for {}",
                shape.name
            );
            let properties = &node(&crds, kind, shape.path)["properties"];
            for member in &shape.members {
                if shape.set_by_operator.contains(&member.as_str()) {
                    continue;
                }
                let crd_name = shape
                    .renamed
                    .iter()
                    .find(|(sdk, _)| sdk == member)
                    .map_or(member.as_str(), |(_, crd)| crd);
                if !properties[crd_name].is_null() {
                    continue;
                }
                let path = format!("{}.{member}", shape.path);
                if !documented.contains(&path) {
                    problems.push(format!(
                        "{} {member}: not modelled at {path} and not listed under \"## Not supported\" in {page_name}",
                        shape.name
                    ));
                }
                unsupported.insert(path);
            }
        }
        for path in documented.difference(&unsupported) {
            problems.push(format!(
                "{page_name} lists {path} as not supported, but it is modelled or the SDK has no such member"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn members_are_read_from_a_builders_debug_output() {
    assert_eq!(
        members_of_debug(
            "XBuilder { policy_name: None, r#type: None, step_adjustments: Some([]) }"
        ),
        ["policyName", "type", "stepAdjustments"]
    );
}
