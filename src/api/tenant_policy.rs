//! The `TenantPolicy` kind: what the objects of some namespaces may name and reference
//! in AWS. Cluster-scoped, so the tenants whose namespaces it governs cannot write it
//! through a grant on their own namespace; the operator reads it and enforces it before
//! any AWS call.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Set by the cluster admin: the rules for the objects in the namespaces listed. A
/// namespace no policy lists is unrestricted, except that it may not adopt; one listed
/// by several policies must satisfy each of them.
// clippy reads each printcolumn's arguments as attributes of the struct, and two columns
// of one type as a duplicate.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "ecs.operator.dev",
    version = "v1alpha1",
    kind = "TenantPolicy",
    shortname = "ecstenant",
    doc = "What the ecs-operator objects of some namespaces may name and reference in AWS; set by the cluster admin.",
    printcolumn(
        name = "Namespaces",
        type_ = "string",
        json_path = ".spec.namespaces",
        description = "The namespaces governed"
    ),
    printcolumn(
        name = "Adoption",
        type_ = "string",
        json_path = ".spec.adoption",
        description = "Whether those namespaces may adopt"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct TenantPolicySpec {
    /// The namespaces this policy governs, by name; "*" for every namespace.
    #[schemars(length(min = 1, max = 256))]
    #[schemars(inner(
        length(min = 1, max = 63),
        regex(pattern = r"^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$")
    ))]
    pub namespaces: Vec<String>,

    /// Whether objects with adoptionPolicy: Adopt may take over AWS resources the operator
    /// did not create. Forbidden by default. A resource tagged for an object of another
    /// namespace, or for one that still exists, is never adopted either way.
    #[serde(default)]
    pub adoption: Adoption,

    /// The ECS names objects may create or manage. Each list left out is unrestricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<NameRules>,

    /// What task definitions may ask of the host: Restricted refuses host paths as
    /// volumes, the host's pid, ipc and network namespaces, and Linux capabilities added
    /// beyond Docker's defaults; Privileged allows them. Left out: the operator's
    /// default (--task-definition-profile). Restricted in any policy governing a
    /// namespace wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_profile: Option<Profile>,

    /// The AWS resources made elsewhere that objects may point at. Each list left out is
    /// unrestricted; an empty list allows none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<ReferenceRules>,
}

/// Whether adoption is allowed.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum Adoption {
    Allowed,
    #[default]
    Forbidden,
}

/// What a task definition may ask of the host it runs on (like Pod Security Standards).
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema, clap::ValueEnum,
)]
pub enum Profile {
    /// No host paths, no host pid, ipc or network namespace, no added capabilities
    /// beyond Docker's defaults.
    #[default]
    Restricted,
    /// Anything ECS accepts: for namespaces whose teams run host agents on EC2.
    Privileged,
}

/// Patterns for ECS names: an exact name, or a prefix ending in "*" (team-a-*).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NameRules {
    /// ECS cluster names a Cluster may create or adopt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 256)))]
    pub clusters: Option<Vec<String>>,

    /// ECS service names a Service may create or adopt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 256)))]
    pub services: Option<Vec<String>>,

    /// Task definition families a TaskDefinition may register into, and a Service may
    /// run (by spec.taskDefinition or through its TaskDefinition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 256)))]
    pub families: Option<Vec<String>>,
}

/// Patterns for what objects reference: an exact value, or a prefix ending in "*".
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceRules {
    /// ECS clusters, by name, a Service may name in spec.cluster (a Cluster object of
    /// the same namespace, through spec.clusterRef, is governed by names.clusters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 256)))]
    pub clusters: Option<Vec<String>>,

    /// IAM role ARNs a TaskDefinition may name as taskRoleArn or executionRoleArn, for
    /// example arn:aws:iam::123456789012:role/team-a/*.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 2048)))]
    pub roles: Option<Vec<String>>,

    /// Elastic Load Balancing target group ARNs a Service may register with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 2048)))]
    pub target_groups: Option<Vec<String>>,

    /// Cloud Map service registry ARNs a Service may register in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 2048)))]
    pub registries: Option<Vec<String>>,

    /// Subnet IDs a Service's tasks may run in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256), inner(length(min = 1, max = 256)))]
    pub subnets: Option<Vec<String>>,

    /// Security group IDs a Service's tasks may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256), inner(length(min = 1, max = 256)))]
    pub security_groups: Option<Vec<String>>,
}
