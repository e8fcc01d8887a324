//! The admin's TenantPolicies applied to one object. Every kind lists what it would name
//! and reference in AWS (`Use`) and calls `check` before any AWS call; a kind added later
//! only lists its own fields.

use std::sync::Arc;

use kube::ResourceExt;

use crate::api::service::NetworkConfiguration;
use crate::api::tenant_policy::{Adoption, Profile, TenantPolicy, TenantPolicySpec};
use crate::controller::Index;
use crate::reconcile::{Next, Outcome};

/// Which of a policy's lists governs a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    ClusterName,
    ServiceName,
    Family,
    Cluster,
    Role,
    TargetGroup,
    Registry,
    Subnet,
    SecurityGroup,
}

impl Rule {
    fn patterns(self, spec: &TenantPolicySpec) -> Option<&[String]> {
        let names = spec.names.as_ref();
        let references = spec.references.as_ref();
        match self {
            Self::ClusterName => names?.clusters.as_deref(),
            Self::ServiceName => names?.services.as_deref(),
            Self::Family => names?.families.as_deref(),
            Self::Cluster => references?.clusters.as_deref(),
            Self::Role => references?.roles.as_deref(),
            Self::TargetGroup => references?.target_groups.as_deref(),
            Self::Registry => references?.registries.as_deref(),
            Self::Subnet => references?.subnets.as_deref(),
            Self::SecurityGroup => references?.security_groups.as_deref(),
        }
    }

    /// Where the rule lives in a TenantPolicy's spec.
    fn path(self) -> &'static str {
        match self {
            Self::ClusterName => "names.clusters",
            Self::ServiceName => "names.services",
            Self::Family => "names.families",
            Self::Cluster => "references.clusters",
            Self::Role => "references.roles",
            Self::TargetGroup => "references.targetGroups",
            Self::Registry => "references.registries",
            Self::Subnet => "references.subnets",
            Self::SecurityGroup => "references.securityGroups",
        }
    }
}

/// One value an object would name or reference in AWS, and the field it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    pub rule: Rule,
    pub field: String,
    pub value: String,
}

impl Use {
    pub fn new(rule: Rule, field: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            rule,
            field: field.into(),
            value: value.into(),
        }
    }
}

/// The ECS cluster and task definition a Service or a Task names directly (`spec.cluster`,
/// `spec.taskDefinition`), as their cluster name and family; a reference to an object of
/// ours is checked on that object instead.
pub fn named_uses(cluster: Option<&str>, task_definition: Option<&str>) -> Vec<Use> {
    cluster
        .map(|c| Use::new(Rule::Cluster, "spec.cluster", cluster_name(c)))
        .into_iter()
        .chain(task_definition.map(|t| Use::new(Rule::Family, "spec.taskDefinition", family_of(t))))
        .collect()
}

/// The subnets and security groups a Service or a Task puts its tasks in.
pub fn network_uses(network: &NetworkConfiguration) -> Vec<Use> {
    let vpc = &network.awsvpc_configuration;
    let path = "spec.networkConfiguration.awsvpcConfiguration";
    vpc.subnets
        .iter()
        .map(|s| Use::new(Rule::Subnet, format!("{path}.subnets"), s.clone()))
        .chain(vpc.security_groups.iter().map(|g| {
            Use::new(
                Rule::SecurityGroup,
                format!("{path}.securityGroups"),
                g.clone(),
            )
        }))
        .collect()
}

/// A value no policy pattern allows; the message says which and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation(pub String);

/// Whether `policy` governs `namespace`.
pub fn governs(policy: &TenantPolicySpec, namespace: &str) -> bool {
    policy.namespaces.iter().any(|n| n == "*" || n == namespace)
}

/// An exact value, or a prefix ending in "*".
fn matches(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

/// Every use allowed by every policy in `policies` (those governing `namespace`)?
pub fn check(
    policies: &[Arc<TenantPolicy>],
    namespace: &str,
    uses: &[Use],
) -> Result<(), Violation> {
    for policy in policies {
        for used in uses {
            let Some(patterns) = used.rule.patterns(&policy.spec) else {
                continue;
            };
            if !patterns.iter().any(|p| matches(p, &used.value)) {
                let allowed = if patterns.is_empty() {
                    "none".to_string()
                } else {
                    patterns.join(", ")
                };
                return Err(Violation(format!(
                    "{} {} is not allowed in namespace {namespace} by TenantPolicy {} ({}: {allowed}); \
                     use an allowed value, or ask the cluster admin to change the policy",
                    used.field,
                    used.value,
                    policy.name_any(),
                    used.rule.path(),
                )));
            }
        }
    }
    Ok(())
}

/// Adoption needs a policy governing the namespace, and every such policy to allow it.
pub fn adoption_allowed(policies: &[Arc<TenantPolicy>]) -> bool {
    !policies.is_empty()
        && policies
            .iter()
            .all(|p| p.spec.adoption == Adoption::Allowed)
}

/// The task definition profile of a namespace: Restricted if any governing policy says
/// so, else Privileged if one says that, else the operator's default.
pub fn profile(policies: &[Arc<TenantPolicy>], default: Profile) -> Profile {
    let set: Vec<Profile> = policies
        .iter()
        .filter_map(|p| p.spec.task_definition_profile)
        .collect();
    if set.contains(&Profile::Restricted) {
        Profile::Restricted
    } else if set.contains(&Profile::Privileged) {
        Profile::Privileged
    } else {
        default
    }
}

/// The Stalled outcome for `object` when its namespace's policies refuse one of its
/// `uses`; None when they allow them all. Stalled until the spec or the policy changes
/// (seen at the next resync). The status is kept: the object still owns what it
/// created before the policy said otherwise.
pub fn refusal<K: ResourceExt, S: Clone>(
    index: &dyn Index,
    object: &K,
    uses: &[Use],
    status: &S,
) -> Option<Outcome<S>> {
    let namespace = object.namespace().unwrap_or_default();
    let Violation(message) = check(&index.tenant_policies(&namespace), &namespace, uses).err()?;
    Some(Outcome::stalled(
        status.clone(),
        "ForbiddenByTenantPolicy",
        message,
        Next::Resync,
    ))
}

/// The ECS name inside a cluster ARN, or the value itself when it is a name.
pub fn cluster_name(name_or_arn: &str) -> &str {
    match name_or_arn.split_once(":cluster/") {
        Some((_, name)) => name,
        None => name_or_arn,
    }
}

/// The family of a task definition given as family, family:revision or ARN.
pub fn family_of(task_definition: &str) -> &str {
    let tail = task_definition
        .split_once(":task-definition/")
        .map_or(task_definition, |(_, tail)| tail);
    tail.split(':').next().unwrap_or(tail)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A TenantPolicy from its spec as JSON.
    pub fn policy(name: &str, spec: serde_json::Value) -> Arc<TenantPolicy> {
        Arc::new(
            serde_json::from_value(serde_json::json!({
                "apiVersion": "ecs.operator.dev/v1alpha1",
                "kind": "TenantPolicy",
                "metadata": {"name": name},
                "spec": spec,
            }))
            .unwrap(),
        )
    }

    /// A policy that only lets `namespace` ("*" for all) adopt.
    pub fn adoption_allowed_in(namespace: &str) -> Arc<TenantPolicy> {
        policy(
            "adoption",
            serde_json::json!({"namespaces": [namespace], "adoption": "Allowed"}),
        )
    }

    fn team_a() -> Arc<TenantPolicy> {
        policy(
            "team-a",
            serde_json::json!({
                "namespaces": ["team-a"],
                "names": {"clusters": ["team-a-*"]},
                "references": {"subnets": ["subnet-1", "subnet-2"], "roles": []},
            }),
        )
    }

    #[test]
    fn a_value_matching_a_pattern_is_allowed() {
        let uses = [
            Use::new(Rule::ClusterName, "spec.clusterName", "team-a-prod"),
            Use::new(Rule::Subnet, "spec.networkConfiguration", "subnet-2"),
        ];
        assert_eq!(check(&[team_a()], "team-a", &uses), Ok(()));
    }

    #[test]
    fn a_value_outside_the_patterns_names_the_field_the_policy_and_what_is_allowed() {
        let uses = [Use::new(Rule::ClusterName, "spec.clusterName", "payments")];
        let Err(Violation(message)) = check(&[team_a()], "team-a", &uses) else {
            panic!("payments is outside team-a-*");
        };
        assert!(message.starts_with("spec.clusterName payments is not allowed in namespace team-a by TenantPolicy team-a (names.clusters: team-a-*)"), "{message}");
    }

    #[test]
    fn an_exact_pattern_is_not_a_prefix() {
        let uses = [Use::new(Rule::Subnet, "subnets", "subnet-10")];
        assert!(check(&[team_a()], "team-a", &uses).is_err());
    }

    #[test]
    fn an_empty_list_allows_nothing_and_a_missing_one_everything() {
        let role = [Use::new(
            Rule::Role,
            "spec.taskRoleArn",
            "arn:aws:iam::1:role/x",
        )];
        let Err(Violation(message)) = check(&[team_a()], "team-a", &role) else {
            panic!("roles: [] allows no role");
        };
        assert!(message.contains("(references.roles: none)"), "{message}");
        let group = [Use::new(Rule::TargetGroup, "targetGroupArn", "arn:tg")];
        assert_eq!(check(&[team_a()], "team-a", &group), Ok(()));
    }

    #[test]
    fn every_policy_governing_a_namespace_must_allow_a_value() {
        let strict = policy(
            "everyone",
            serde_json::json!({"namespaces": ["*"], "names": {"clusters": ["team-a-prod"]}}),
        );
        let uses = [Use::new(
            Rule::ClusterName,
            "spec.clusterName",
            "team-a-dev",
        )];
        assert_eq!(check(&[team_a()], "team-a", &uses), Ok(()));
        assert!(check(&[team_a(), strict], "team-a", &uses).is_err());
    }

    #[test]
    fn a_policy_governs_the_namespaces_it_lists() {
        assert!(governs(&team_a().spec, "team-a"));
        assert!(!governs(&team_a().spec, "team-b"));
        let everyone = policy("everyone", serde_json::json!({"namespaces": ["*"]}));
        assert!(governs(&everyone.spec, "team-b"));
    }

    #[test]
    fn adoption_needs_every_governing_policy_to_allow_it() {
        let allows = policy(
            "a",
            serde_json::json!({"namespaces": ["team-a"], "adoption": "Allowed"}),
        );
        assert!(!adoption_allowed(&[]), "no policy: no adoption");
        assert!(!adoption_allowed(&[team_a()]), "Forbidden by default");
        assert!(adoption_allowed(std::slice::from_ref(&allows)));
        assert!(!adoption_allowed(&[allows, team_a()]));
    }

    #[test]
    fn restricted_in_any_governing_policy_wins_and_else_the_default_holds() {
        let with = |profile: &str| {
            policy(
                profile,
                serde_json::json!({"namespaces": ["*"], "taskDefinitionProfile": profile}),
            )
        };
        let (restricted, privileged) = (with("Restricted"), with("Privileged"));
        assert_eq!(profile(&[], Profile::Restricted), Profile::Restricted);
        assert_eq!(
            profile(&[team_a()], Profile::Privileged),
            Profile::Privileged
        );
        assert_eq!(
            profile(std::slice::from_ref(&privileged), Profile::Restricted),
            Profile::Privileged
        );
        assert_eq!(
            profile(&[privileged, restricted], Profile::Privileged),
            Profile::Restricted
        );
    }

    #[test]
    fn names_are_read_from_arns() {
        assert_eq!(cluster_name("arn:aws:ecs:eu-west-1:1:cluster/prod"), "prod");
        assert_eq!(cluster_name("prod"), "prod");
        assert_eq!(family_of("web:3"), "web");
        assert_eq!(family_of("web"), "web");
        assert_eq!(
            family_of("arn:aws:ecs:eu-west-1:1:task-definition/web:3"),
            "web"
        );
    }
}
