//! The settings of an ECS service that CreateService and UpdateService take.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::progressive::{
    AdvancedConfiguration, CanaryConfiguration, DeploymentLifecycleHook, LinearConfiguration,
};
use crate::api::cluster::CapacityProviderStrategyItem;

/// What ECS is told about a service, apart from its name, cluster, task definition and tags.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSettings {
    /// Tasks to keep running. Defaults to 1; leave it out for DAEMON services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub desired_count: Option<i32>,
    /// FARGATE, EC2 or EXTERNAL. Leave it out to use capacityProviderStrategy or the cluster's default
    /// (ECS Managed Instances are reached only through capacityProviderStrategy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["FARGATE", "EC2", "EXTERNAL", "MANAGED_INSTANCES"], "x-kubernetes-validations" = [{
        "rule": "self != 'MANAGED_INSTANCES'",
        "message": "ECS Managed Instances take a capacityProviderStrategy naming a Managed Instances capacity provider, not a launch type (ECS takes capacityProviderStrategy without launchType for them)"
    }]))]
    pub launch_type: Option<String>,
    /// Capacity providers to spread tasks over, for example FARGATE and FARGATE_SPOT.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// Fargate platform version, for example LATEST or 1.4.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// Subnets and security groups of the tasks' network interfaces (awsvpc task definitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// Load balancer target groups the tasks register with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub load_balancers: Vec<LoadBalancer>,
    /// Cloud Map service discovery registries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1))]
    pub service_registries: Vec<ServiceRegistry>,
    /// Service Connect: service-to-service names and traffic through a managed proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    /// Rules about where tasks may run (EC2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// How tasks are spread or packed over instances (EC2), applied in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub placement_strategy: Vec<PlacementStrategy>,
    /// REPLICA (default) keeps desiredCount tasks; DAEMON runs one per container instance. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["REPLICA", "DAEMON"]))]
    pub scheduling_strategy: Option<String>,
    /// How a new version is rolled out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// Who runs deployments: ECS (default), CODE_DEPLOY or EXTERNAL. With CODE_DEPLOY or
    /// EXTERNAL that deployer rolls out new revisions (status.deployer says which), and
    /// the operator sends only what UpdateService takes for it. May change from
    /// CODE_DEPLOY or EXTERNAL to ECS in place; no other change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_controller: Option<DeploymentController>,
    /// Seconds load balancer health checks are ignored after a task starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 2147483647))]
    pub health_check_grace_period_seconds: Option<i32>,
    /// Allow ECS Exec (`aws ecs execute-command`) into the tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// Let ECS tag tasks with the cluster and service names.
    #[serde(
        rename = "enableECSManagedTags",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ecs_managed_tags: Option<bool>,
    /// Copy tags to tasks from TASK_DEFINITION or SERVICE; NONE copies nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["TASK_DEFINITION", "SERVICE", "NONE"]))]
    pub propagate_tags: Option<String>,
    /// ENABLED lets ECS move tasks to balance them over Availability Zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ENABLED", "DISABLED"]))]
    pub availability_zone_rebalancing: Option<String>,
}

/// Task networking for awsvpc.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    /// Subnets and security groups.
    pub awsvpc_configuration: AwsVpcConfiguration,
}

/// Subnets and security groups of the tasks.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    /// Subnet IDs, at most 16, all in one VPC.
    #[schemars(length(min = 1, max = 16))]
    pub subnets: Vec<String>,
    /// Security group IDs, at most 5. Left out: the VPC's default group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 5))]
    pub security_groups: Vec<String>,
    /// ENABLED gives tasks public IPs (needed in public subnets to pull images without a NAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ENABLED", "DISABLED"]))]
    pub assign_public_ip: Option<String>,
}

/// A load balancer the tasks register with.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancer {
    /// Target group ARN (Application or Network Load Balancer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    /// Classic Load Balancer name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_name: Option<String>,
    /// Container that receives the traffic.
    pub container_name: String,
    /// Port of that container.
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: i32,
    /// BLUE_GREEN, LINEAR and CANARY behind this load balancer: the alternate target
    /// group and the listener rules ECS moves traffic with. Without it those
    /// deployments run without shifting load balancer traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_configuration: Option<AdvancedConfiguration>,
}

/// A Cloud Map registry.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRegistry {
    /// ARN of the Cloud Map service.
    pub registry_arn: String,
    /// Port for SRV records (awsvpc).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Container for SRV records (bridge or host networking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// Container port for SRV records (bridge or host networking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
}

/// Service Connect settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectConfiguration {
    /// Turn Service Connect on for this service.
    pub enabled: bool,
    /// Cloud Map namespace name or ARN. Left out: the cluster's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Endpoints this service offers to others, each naming one of the task definition's
    /// port mappings. Left out: the service is a client only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub services: Vec<ServiceConnectService>,
}

/// One Service Connect endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectService {
    /// Name of a portMappings entry in the task definition.
    pub port_name: String,
    /// Name registered in Cloud Map. Defaults to portName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_name: Option<String>,
    /// Names and ports clients use. ECS takes at most one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1))]
    pub client_aliases: Vec<ServiceConnectClientAlias>,
    /// Port the proxy listens on, when not the container port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_port_override: Option<i32>,
}

/// A name and port clients use for a Service Connect endpoint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectClientAlias {
    /// Port clients connect to.
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// DNS name clients use. Defaults to discoveryName.namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// During a BLUE_GREEN, LINEAR or CANARY deployment, which requests Service Connect
    /// sends to the new revision as test traffic before production moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_traffic_rules: Option<ServiceConnectTestTrafficRules>,
}

/// Test traffic of a Service Connect endpoint: the requests carrying a header (ECS API
/// Reference, ServiceConnectTestTrafficRules).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficRules {
    /// The header that marks a request as test traffic.
    pub header: ServiceConnectTestTrafficHeader,
}

/// The header test requests carry.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficHeader {
    /// The header's name, for example x-canary.
    #[schemars(length(min = 1, max = 256))]
    pub name: String,
    /// The value it must have; left out, any value marks test traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ServiceConnectTestTrafficHeaderMatch>,
}

/// How the header's value is matched.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectTestTrafficHeaderMatch {
    /// The exact value.
    #[schemars(length(min = 1, max = 1024))]
    pub exact: String,
}

/// A placement constraint.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct PlacementConstraint {
    /// distinctInstance (one task per instance) or memberOf (an expression).
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["distinctInstance", "memberOf"]))]
    pub type_: String,
    /// Cluster query language expression, for memberOf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// A placement strategy step.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct PlacementStrategy {
    /// binpack (fewest instances), spread (evenly over field) or random.
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["binpack", "spread", "random"]))]
    pub type_: String,
    /// For binpack: cpu or memory. For spread: instanceId or an attribute such as
    /// attribute:ecs.availability-zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Rollout settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!has(self.linearConfiguration) || (has(self.strategy) && self.strategy == 'LINEAR')",
    "message": "spec.deploymentConfiguration.linearConfiguration applies only to strategy LINEAR: set strategy LINEAR or leave it out",
    "fieldPath": ".linearConfiguration"
}, {
    "rule": "!has(self.canaryConfiguration) || (has(self.strategy) && self.strategy == 'CANARY')",
    "message": "spec.deploymentConfiguration.canaryConfiguration applies only to strategy CANARY: set strategy CANARY or leave it out",
    "fieldPath": ".canaryConfiguration"
}, {
    "rule": "!has(self.strategy) || self.strategy != 'BLUE_GREEN' || has(self.bakeTimeInMinutes)",
    "message": "spec.deploymentConfiguration.bakeTimeInMinutes is required with strategy BLUE_GREEN (ECS API Reference, DeploymentConfiguration): how long both revisions run after production traffic moves",
    "fieldPath": ".bakeTimeInMinutes"
}, {
    "rule": "!has(self.lifecycleHooks) || size(self.lifecycleHooks) == 0 || (has(self.strategy) && self.strategy != 'ROLLING')",
    "message": "spec.deploymentConfiguration.lifecycleHooks run at the stages of BLUE_GREEN, LINEAR and CANARY deployments: set one of those strategies, or leave the hooks out",
    "fieldPath": ".lifecycleHooks"
}]))]
pub struct DeploymentConfiguration {
    /// Lowest share of desiredCount kept running during a rollout. ECS default: 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub minimum_healthy_percent: Option<i32>,
    /// Highest share of desiredCount running during a rollout. ECS default: 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 200))]
    pub maximum_percent: Option<i32>,
    /// Stop a rollout whose tasks keep failing, and optionally roll back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    /// CloudWatch alarms that fail a rollout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<DeploymentAlarms>,
    /// ROLLING (default) replaces tasks in batches. BLUE_GREEN starts the new revision
    /// beside the old and moves all traffic at once; LINEAR moves it in equal steps;
    /// CANARY moves a share first and the rest later. The last three run lifecycle
    /// hooks and shift load balancer traffic (loadBalancers[].advancedConfiguration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"]))]
    pub strategy: Option<String>,
    /// BLUE_GREEN, LINEAR and CANARY: minutes both revisions keep running after all
    /// production traffic has moved, before the old one goes (and a rollback is
    /// still quick). Required for BLUE_GREEN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1440))]
    pub bake_time_in_minutes: Option<i32>,
    /// LINEAR: the size of each traffic step and the wait between steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_configuration: Option<LinearConfiguration>,
    /// CANARY: the canary's share of traffic and how long it runs alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_configuration: Option<CanaryConfiguration>,
    /// BLUE_GREEN, LINEAR and CANARY: Lambda functions to call, or pauses to hold the
    /// deployment for an approval, at chosen stages. At most 20 (an operator limit;
    /// ECS documents none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    pub lifecycle_hooks: Vec<DeploymentLifecycleHook>,
}

/// Deployment circuit breaker.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct DeploymentCircuitBreaker {
    /// Turn the circuit breaker on.
    pub enable: bool,
    /// Roll back to the last completed deployment when it trips.
    pub rollback: bool,
}

/// Alarms watched during a rollout.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentAlarms {
    /// CloudWatch alarm names.
    #[schemars(length(max = 100))]
    pub alarm_names: Vec<String>,
    /// Watch the alarms.
    pub enable: bool,
    /// Roll back when one fires.
    pub rollback: bool,
}

/// Deployment controller.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct DeploymentController {
    /// ECS, CODE_DEPLOY or EXTERNAL.
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["ECS", "CODE_DEPLOY", "EXTERNAL"]))]
    pub type_: String,
}
