//! What to do to make the ECS cluster match the spec: a pure function, no I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::cluster::{
    CapacityProviderStrategyItem, Cluster, ClusterConfiguration, ClusterSetting,
    ExecuteCommandConfiguration, ExecuteCommandLogConfiguration, ExecuteCommandLogging,
    ManagedStorageConfiguration, ServiceConnectDefaults,
};
use crate::aws::{CreateCluster, EcsCluster, Tags, UpdateCluster};
use crate::ownership::{ownership_tags, tag_changes, user_tag_keys};
use crate::tenancy::{Rule, Use};

/// The cluster the spec asks for. `None` parts are not managed.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub name: String,
    /// The spec's tags plus the ownership tags.
    pub tags: Tags,
    pub settings: Option<Vec<ClusterSetting>>,
    pub configuration: Option<ClusterConfiguration>,
    pub capacity_providers: Option<Vec<String>>,
    pub default_capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
    pub service_connect_defaults: Option<ServiceConnectDefaults>,
}

impl Desired {
    /// `referenced` maps each capacityProviderRefs object name to its provider's ECS name.
    pub fn from_object(cluster: &Cluster, referenced: &BTreeMap<String, String>) -> Self {
        let spec = &cluster.spec;
        let capacity_providers = (spec.capacity_providers.is_some() || !referenced.is_empty())
            .then(|| {
                let mut all = spec.capacity_providers.clone().unwrap_or_default();
                all.extend(
                    referenced
                        .values()
                        .filter(|n| !all.contains(n))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                all
            });
        let listed = |name: &str| spec.capacity_providers.iter().flatten().any(|p| p == name);
        let default_capacity_provider_strategy = spec
            .default_capacity_provider_strategy
            .as_ref()
            .map(|items| {
                items
                    .iter()
                    .map(|item| match referenced.get(&item.capacity_provider) {
                        Some(name) if !listed(&item.capacity_provider) => {
                            CapacityProviderStrategyItem {
                                capacity_provider: name.clone(),
                                ..item.clone()
                            }
                        }
                        _ => item.clone(),
                    })
                    .collect()
            });
        let mut tags = spec.tags.clone();
        tags.extend(ownership_tags(cluster));
        Self {
            name: cluster.cluster_name(),
            tags,
            settings: spec.settings.clone(),
            configuration: spec.configuration.clone(),
            capacity_providers,
            default_capacity_provider_strategy,
            service_connect_defaults: spec.service_connect_defaults.clone(),
        }
    }

    /// Keys of the user's tags (not the ownership tags), remembered in status.
    pub fn spec_tag_keys(&self) -> Vec<String> {
        user_tag_keys(&self.tags)
    }
}

/// One AWS call to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Create(CreateCluster),
    Update(UpdateCluster),
    PutCapacityProviders {
        providers: Vec<String>,
        strategy: Vec<CapacityProviderStrategyItem>,
    },
    Tag(Tags),
    Untag(Vec<String>),
}

impl Step {
    /// A short account of the change, for Events.
    pub fn describe(&self) -> String {
        match self {
            Self::Create(_) => "created".to_string(),
            Self::Update(u) => {
                let mut parts = Vec::new();
                if u.settings.is_some() {
                    parts.push("settings");
                }
                if u.configuration.is_some() {
                    parts.push("configuration");
                }
                if u.service_connect_defaults.is_some() {
                    parts.push("serviceConnectDefaults");
                }
                parts.join(", ")
            }
            Self::PutCapacityProviders { .. } => "capacity providers".to_string(),
            Self::Tag(tags) => format!(
                "tags set: {}",
                tags.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            Self::Untag(keys) => format!("tags removed: {}", keys.join(", ")),
        }
    }
}

/// Plans the calls that take `observed` (None: no cluster yet) to `desired`.
/// `previous_tag_keys` are the spec tag keys applied last time, so that a tag
/// removed from the spec is removed from AWS while foreign tags stay.
pub fn plan(
    desired: &Desired,
    observed: Option<&EcsCluster>,
    previous_tag_keys: &[String],
) -> Vec<Step> {
    let Some(observed) = observed else {
        return vec![Step::Create(CreateCluster {
            name: desired.name.clone(),
            tags: desired.tags.clone(),
            settings: desired.settings.clone().unwrap_or_default(),
            configuration: desired.configuration.clone(),
            capacity_providers: desired.capacity_providers.clone(),
            default_capacity_provider_strategy: desired.default_capacity_provider_strategy.clone(),
            service_connect_defaults: desired.service_connect_defaults.clone(),
        })];
    };

    let mut steps = Vec::new();
    let update = UpdateCluster {
        settings: desired
            .settings
            .clone()
            .filter(|s| settings_differ(s, &observed.settings)),
        configuration: desired.configuration.clone().filter(|c| {
            normalize_configuration(Some(c))
                != normalize_configuration(observed.configuration.as_ref())
        }),
        service_connect_defaults: desired.service_connect_defaults.clone().filter(|d| {
            connect_namespace_differs(&d.namespace, observed.service_connect_namespace.as_deref())
        }),
    };
    if !update.is_empty() {
        steps.push(Step::Update(update));
    }

    // A Managed Instances provider belongs to its cluster from creation to deletion
    // (PutClusterCapacityProviders does not manage it): it is neither compared nor dropped.
    let associated: Vec<String> = observed
        .capacity_providers
        .iter()
        .filter(|p| !observed.managed_instances_providers.contains(p))
        .cloned()
        .collect();
    let providers_differ = desired
        .capacity_providers
        .as_ref()
        .is_some_and(|p| as_set(p) != as_set(&associated));
    let strategy_differs = desired
        .default_capacity_provider_strategy
        .as_ref()
        .is_some_and(|s| {
            normalize_strategy(s)
                != normalize_strategy(&observed.default_capacity_provider_strategy)
        });
    if providers_differ || strategy_differs {
        // PutClusterCapacityProviders replaces both lists, so an unmanaged one is sent back as observed.
        steps.push(Step::PutCapacityProviders {
            // The call lists every provider the cluster keeps ("you must specify all
            // existing capacity providers", PutClusterCapacityProviders).
            providers: desired.capacity_providers.clone().map_or_else(
                || observed.capacity_providers.clone(),
                |p| {
                    let mut all = p;
                    all.extend(observed.managed_instances_providers.iter().cloned());
                    all
                },
            ),
            strategy: desired
                .default_capacity_provider_strategy
                .clone()
                .unwrap_or_else(|| observed.default_capacity_provider_strategy.clone()),
        });
    }

    let (set, remove) = tag_changes(&desired.tags, &observed.tags, previous_tag_keys).calls();
    steps.extend(set.map(Step::Tag));
    steps.extend(remove.map(Step::Untag));
    steps
}

/// Only the settings the spec names are compared; ECS may report others.
fn settings_differ(desired: &[ClusterSetting], observed: &[ClusterSetting]) -> bool {
    let observed: BTreeMap<_, _> = observed.iter().map(|s| (s.name, s.value)).collect();
    desired
        .iter()
        .any(|s| observed.get(&s.name) != Some(&s.value))
}

/// ECS reports the namespace as an ARN even when it was set by name, so a
/// name can only be checked for presence; an ARN is compared exactly.
fn connect_namespace_differs(desired: &str, observed: Option<&str>) -> bool {
    match observed {
        None => true,
        Some(observed) if desired.starts_with("arn:") => desired != observed,
        Some(_) => false,
    }
}

fn as_set(items: &[String]) -> BTreeSet<&str> {
    items.iter().map(String::as_str).collect()
}

/// ECS fills weight and base with 0 when left out, and keeps no order.
fn normalize_strategy(items: &[CapacityProviderStrategyItem]) -> BTreeSet<(String, i32, i32)> {
    items
        .iter()
        .map(|i| {
            (
                i.capacity_provider.clone(),
                i.weight.unwrap_or(0),
                i.base.unwrap_or(0),
            )
        })
        .collect()
}

/// Server-side defaults removed: logging defaults to DEFAULT, encryption flags to
/// false, and empty objects equal absent ones.
fn normalize_configuration(c: Option<&ClusterConfiguration>) -> Option<ClusterConfiguration> {
    let c = c?;
    let storage = c
        .managed_storage_configuration
        .as_ref()
        .map(|m| ManagedStorageConfiguration {
            kms_key_id: m.kms_key_id.clone().filter(|s| !s.is_empty()),
            fargate_ephemeral_storage_kms_key_id: m
                .fargate_ephemeral_storage_kms_key_id
                .clone()
                .filter(|s| !s.is_empty()),
        })
        .filter(|m| m != &ManagedStorageConfiguration::default());
    let normalized = ClusterConfiguration {
        execute_command_configuration: normalize_exec(c.execute_command_configuration.as_ref()),
        managed_storage_configuration: storage,
    };
    (normalized != ClusterConfiguration::default()).then_some(normalized)
}

fn normalize_exec(
    exec: Option<&ExecuteCommandConfiguration>,
) -> Option<ExecuteCommandConfiguration> {
    let exec = exec?;
    let log = exec
        .log_configuration
        .as_ref()
        .map(|l| ExecuteCommandLogConfiguration {
            cloud_watch_log_group_name: l
                .cloud_watch_log_group_name
                .clone()
                .filter(|s| !s.is_empty()),
            cloud_watch_encryption_enabled: Some(l.cloud_watch_encryption_enabled.unwrap_or(false)),
            s3_bucket_name: l.s3_bucket_name.clone().filter(|s| !s.is_empty()),
            s3_encryption_enabled: Some(l.s3_encryption_enabled.unwrap_or(false)),
            s3_key_prefix: l.s3_key_prefix.clone().filter(|s| !s.is_empty()),
        })
        .filter(|l| l != &ExecuteCommandLogConfiguration::normalized_empty());
    let normalized = ExecuteCommandConfiguration {
        kms_key_id: exec.kms_key_id.clone().filter(|s| !s.is_empty()),
        logging: Some(exec.logging.unwrap_or(ExecuteCommandLogging::Default)),
        log_configuration: log,
    };
    let empty = ExecuteCommandConfiguration {
        logging: Some(ExecuteCommandLogging::Default),
        ..Default::default()
    };
    (normalized != empty).then_some(normalized)
}

impl ExecuteCommandLogConfiguration {
    fn normalized_empty() -> Self {
        Self {
            cloud_watch_encryption_enabled: Some(false),
            s3_encryption_enabled: Some(false),
            ..Default::default()
        }
    }
}

/// What the Cluster would name in AWS, for the TenantPolicy check.
pub fn tenant_uses(cluster: &Cluster) -> Vec<Use> {
    let field = if cluster.spec.cluster_name.is_some() {
        "spec.clusterName"
    } else {
        "metadata.name"
    };
    vec![Use::new(Rule::ClusterName, field, cluster.cluster_name())]
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
