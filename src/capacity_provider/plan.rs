//! What to do to make the ECS capacity provider match the spec: a pure function, no I/O.

use serde_json::Value;

use crate::api::CapacityProvider;
use crate::aws::{CapacityProviderConfig, CreateCapacityProvider, EcsCapacityProvider, Tags};
use crate::ownership::{ownership_tags, tag_changes, user_tag_keys};
use crate::tenancy::{Rule, Use, cluster_name};

/// The capacity provider the spec asks for. Settings the spec leaves out are not managed.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub name: String,
    /// The cluster of a Managed Instances provider, by name.
    pub cluster: Option<String>,
    pub config: CapacityProviderConfig,
    /// The spec's tags plus the ownership tags.
    pub tags: Tags,
}

impl Desired {
    /// None when the spec sets neither provider, which the CRD refuses on write.
    pub fn from_object(provider: &CapacityProvider, cluster: Option<String>) -> Option<Self> {
        let spec = &provider.spec;
        let config = match (
            &spec.auto_scaling_group_provider,
            &spec.managed_instances_provider,
        ) {
            (Some(asg), _) => CapacityProviderConfig::AutoScalingGroup(asg.clone()),
            (None, Some(mi)) => CapacityProviderConfig::ManagedInstances(Box::new(mi.clone())),
            (None, None) => return None,
        };
        let mut tags = spec.tags.clone();
        tags.extend(ownership_tags(provider));
        Some(Self {
            name: provider.provider_name(),
            cluster: cluster.map(|c| cluster_name(&c).to_string()),
            config,
            tags,
        })
    }

    /// Keys of the user's tags (not the ownership tags), remembered in status.
    pub fn spec_tag_keys(&self) -> Vec<String> {
        user_tag_keys(&self.tags)
    }
}

/// One AWS call to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Create(CreateCapacityProvider),
    /// UpdateCapacityProvider with the whole updatable configuration: the spec's settings
    /// over those ECS reports.
    Update(CapacityProviderConfig),
    Tag(Tags),
    Untag(Vec<String>),
}

impl Step {
    /// A short account of the change, for Events.
    pub fn describe(&self) -> String {
        match self {
            Self::Create(_) => "created".to_string(),
            Self::Update(CapacityProviderConfig::AutoScalingGroup(_)) => {
                "autoScalingGroupProvider".to_string()
            }
            Self::Update(CapacityProviderConfig::ManagedInstances(_)) => {
                "managedInstancesProvider".to_string()
            }
            Self::Tag(tags) => format!(
                "tags set: {}",
                tags.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            Self::Untag(keys) => format!("tags removed: {}", keys.join(", ")),
        }
    }
}

/// Plans the calls that take `observed` (None: no provider yet) to `desired`.
/// `previous_tag_keys` are the spec tag keys applied last time. `retry_update` is false
/// when ECS failed the last update of this same spec: sending it again would fail again.
pub fn plan(
    desired: &Desired,
    observed: Option<&EcsCapacityProvider>,
    previous_tag_keys: &[String],
    retry_update: bool,
) -> Vec<Step> {
    let Some(observed) = observed else {
        return vec![Step::Create(CreateCapacityProvider {
            name: desired.name.clone(),
            cluster: desired.cluster.clone(),
            config: desired.config.clone(),
            tags: desired.tags.clone(),
        })];
    };
    let mut steps = Vec::new();
    if let Some(update) = update(&desired.config, observed.config.as_ref())
        && retry_update
    {
        steps.push(Step::Update(update));
    }
    let (set, remove) = tag_changes(&desired.tags, &observed.tags, previous_tag_keys).calls();
    steps.extend(set.map(Step::Tag));
    steps.extend(remove.map(Step::Untag));
    steps
}

/// The configuration to send when the spec's settings differ from what ECS reports:
/// the spec's settings laid over ECS's, so the settings the spec leaves out keep their
/// values (ECS's defaults among them) and the comparison never sees a default as drift.
/// None when nothing the spec sets differs, or the types differ (the CRD makes that
/// immutable; such a provider is a name conflict, not an update).
pub fn update(
    desired: &CapacityProviderConfig,
    observed: Option<&CapacityProviderConfig>,
) -> Option<CapacityProviderConfig> {
    match (desired, observed?) {
        (
            CapacityProviderConfig::AutoScalingGroup(want),
            CapacityProviderConfig::AutoScalingGroup(have),
        ) => {
            // ECS reports the group's ARN where the spec may name it; it cannot change.
            let mut want = want.clone();
            want.auto_scaling_group_arn = have.auto_scaling_group_arn.clone();
            overlay(&want, have).map(CapacityProviderConfig::AutoScalingGroup)
        }
        (
            CapacityProviderConfig::ManagedInstances(want),
            CapacityProviderConfig::ManagedInstances(have),
        ) => {
            // Not in the update shape: ECS keeps the values it was created with.
            let mut want = (**want).clone();
            let created = &have.instance_launch_template;
            want.instance_launch_template.capacity_option_type =
                created.capacity_option_type.clone();
            want.instance_launch_template.fips_enabled = created.fips_enabled;
            overlay(&want, have.as_ref())
                .map(|merged| CapacityProviderConfig::ManagedInstances(Box::new(merged)))
        }
        _ => None,
    }
}

/// `want` laid over `have`, when that changes `have`.
fn overlay<T>(want: &T, have: &T) -> Option<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let have = serde_json::to_value(have).ok()?;
    let mut merged = have.clone();
    merge(&mut merged, serde_json::to_value(want).ok()?);
    if merged == have {
        return None;
    }
    serde_json::from_value(merged).ok()
}

/// Objects merge key by key; anything else the spec sets replaces what was there.
fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                match into.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        into.insert(key, value);
                    }
                }
            }
        }
        (into, from) => *into = from,
    }
}

/// The names and references a CapacityProvider puts in AWS, for the tenant policies.
pub fn tenant_uses(provider: &CapacityProvider) -> Vec<Use> {
    let spec = &provider.spec;
    let mut uses: Vec<Use> = spec
        .cluster
        .iter()
        .map(|c| Use::new(Rule::Cluster, "spec.cluster", c.clone()))
        .collect();
    if let Some(mi) = &spec.managed_instances_provider {
        let path = "spec.managedInstancesProvider";
        uses.push(Use::new(
            Rule::Role,
            format!("{path}.infrastructureRoleArn"),
            mi.infrastructure_role_arn.clone(),
        ));
        if let Some(network) = &mi.instance_launch_template.network_configuration {
            let at = format!("{path}.instanceLaunchTemplate.networkConfiguration");
            uses.extend(
                network
                    .subnets
                    .iter()
                    .map(|s| Use::new(Rule::Subnet, format!("{at}.subnets"), s.clone())),
            );
            uses.extend(network.security_groups.iter().map(|g| {
                Use::new(
                    Rule::SecurityGroup,
                    format!("{at}.securityGroups"),
                    g.clone(),
                )
            }));
        }
    }
    uses
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
