use super::*;
use crate::api::cluster::{ClusterSettingName, ContainerInsights, ManagedStorageConfiguration};

fn desired() -> Desired {
    Desired {
        name: "web".into(),
        tags: Tags::from([
            ("team".into(), "payments".into()),
            ("ecs.operator.dev/uid".into(), "u1".into()),
        ]),
        settings: None,
        configuration: None,
        capacity_providers: None,
        default_capacity_provider_strategy: None,
        service_connect_defaults: None,
    }
}

/// What ECS would report for a cluster created from `desired` exactly.
fn observed_for(d: &Desired) -> EcsCluster {
    EcsCluster {
        arn: "arn:aws:ecs:us-east-1:123456789012:cluster/web".into(),
        name: d.name.clone(),
        status: "ACTIVE".into(),
        tags: d.tags.clone(),
        settings: d.settings.clone().unwrap_or_default(),
        configuration: d.configuration.clone(),
        capacity_providers: d.capacity_providers.clone().unwrap_or_default(),
        default_capacity_provider_strategy: d
            .default_capacity_provider_strategy
            .clone()
            .unwrap_or_default(),
        ..Default::default()
    }
}

fn insights(value: ContainerInsights) -> ClusterSetting {
    ClusterSetting {
        name: ClusterSettingName::ContainerInsights,
        value,
    }
}

fn strategy(
    provider: &str,
    weight: Option<i32>,
    base: Option<i32>,
) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem {
        capacity_provider: provider.into(),
        weight,
        base,
    }
}

#[test]
fn missing_cluster_is_created_with_everything_and_the_ownership_tags() {
    let mut d = desired();
    d.settings = Some(vec![insights(ContainerInsights::Enhanced)]);
    let steps = plan(&d, None, &[]);
    let [Step::Create(create)] = steps.as_slice() else {
        panic!("expected one create, got {steps:?}")
    };
    assert_eq!(create.name, "web");
    assert_eq!(
        create.tags.get("ecs.operator.dev/uid").map(String::as_str),
        Some("u1")
    );
    assert_eq!(create.settings, vec![insights(ContainerInsights::Enhanced)]);
}

#[test]
fn matching_cluster_needs_nothing() {
    let mut d = desired();
    d.settings = Some(vec![insights(ContainerInsights::Enabled)]);
    d.capacity_providers = Some(vec!["FARGATE".into(), "FARGATE_SPOT".into()]);
    d.default_capacity_provider_strategy = Some(vec![strategy("FARGATE", Some(1), None)]);
    assert_eq!(plan(&d, Some(&observed_for(&d)), &["team".into()]), vec![]);
}

#[test]
fn server_side_defaults_do_not_cause_updates() {
    let mut d = desired();
    d.capacity_providers = Some(vec!["FARGATE_SPOT".into(), "FARGATE".into()]);
    d.default_capacity_provider_strategy = Some(vec![strategy("FARGATE", Some(2), None)]);
    d.configuration = Some(ClusterConfiguration {
        execute_command_configuration: Some(ExecuteCommandConfiguration {
            kms_key_id: Some("k".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    let mut observed = observed_for(&d);
    // ECS fills in base 0, DEFAULT logging and false encryption flags, reorders lists, and adds settings and tags of its own.
    observed.capacity_providers = vec!["FARGATE".into(), "FARGATE_SPOT".into()];
    observed.default_capacity_provider_strategy = vec![strategy("FARGATE", Some(2), Some(0))];
    observed.configuration = Some(ClusterConfiguration {
        execute_command_configuration: Some(ExecuteCommandConfiguration {
            kms_key_id: Some("k".into()),
            logging: Some(ExecuteCommandLogging::Default),
            log_configuration: Some(ExecuteCommandLogConfiguration {
                cloud_watch_encryption_enabled: Some(false),
                s3_encryption_enabled: Some(false),
                ..Default::default()
            }),
        }),
        managed_storage_configuration: Some(ManagedStorageConfiguration::default()),
    });
    observed.settings = vec![insights(ContainerInsights::Disabled)];
    observed
        .tags
        .insert("aws:cloudformation:stack-name".into(), "x".into());
    assert_eq!(plan(&d, Some(&observed), &[]), vec![]);
}

#[test]
fn changed_setting_is_updated_alone() {
    let mut d = desired();
    d.settings = Some(vec![insights(ContainerInsights::Enabled)]);
    let mut observed = observed_for(&d);
    observed.settings = vec![insights(ContainerInsights::Disabled)];
    let steps = plan(&d, Some(&observed), &[]);
    assert_eq!(
        steps,
        vec![Step::Update(UpdateCluster {
            settings: Some(vec![insights(ContainerInsights::Enabled)]),
            ..Default::default()
        })]
    );
}

#[test]
fn capacity_provider_change_sends_both_lists() {
    let mut d = desired();
    d.default_capacity_provider_strategy = Some(vec![strategy("FARGATE_SPOT", Some(1), None)]);
    let mut observed = observed_for(&d);
    observed.capacity_providers = vec!["FARGATE".into(), "FARGATE_SPOT".into()];
    observed.default_capacity_provider_strategy = vec![strategy("FARGATE", Some(1), Some(0))];
    let steps = plan(&d, Some(&observed), &[]);
    assert_eq!(
        steps,
        vec![Step::PutCapacityProviders {
            // Providers are not in the spec, so the observed list is sent back unchanged.
            providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
            strategy: vec![strategy("FARGATE_SPOT", Some(1), None)],
        }]
    );
}

#[test]
fn a_managed_instances_provider_in_the_cluster_is_not_drift() {
    let mut d = desired();
    d.capacity_providers = Some(vec!["FARGATE".into()]);
    let mut observed = observed_for(&d);
    observed.capacity_providers = vec!["FARGATE".into(), "gpu-instances".into()];
    observed.managed_instances_providers = vec!["gpu-instances".into()];
    assert_eq!(plan(&d, Some(&observed), &[]), vec![]);
}

#[test]
fn a_provider_change_keeps_the_clusters_managed_instances_providers() {
    let mut d = desired();
    d.capacity_providers = Some(vec!["FARGATE".into(), "FARGATE_SPOT".into()]);
    let mut observed = observed_for(&d);
    observed.capacity_providers = vec!["FARGATE".into(), "gpu-instances".into()];
    observed.managed_instances_providers = vec!["gpu-instances".into()];
    assert_eq!(
        plan(&d, Some(&observed), &[]),
        vec![Step::PutCapacityProviders {
            providers: vec![
                "FARGATE".into(),
                "FARGATE_SPOT".into(),
                "gpu-instances".into()
            ],
            strategy: vec![],
        }]
    );
}

#[test]
fn an_unnamed_provider_that_is_not_managed_instances_is_still_dropped() {
    let mut d = desired();
    d.capacity_providers = Some(vec!["FARGATE".into()]);
    let mut observed = observed_for(&d);
    observed.capacity_providers = vec!["FARGATE".into(), "old-asg".into()];
    assert_eq!(
        plan(&d, Some(&observed), &[]),
        vec![Step::PutCapacityProviders {
            providers: vec!["FARGATE".into()],
            strategy: vec![],
        }]
    );
}

#[test]
fn tag_removed_from_spec_is_untagged_but_foreign_tags_stay() {
    let d = desired();
    let mut observed = observed_for(&d);
    observed.tags.insert("cost-centre".into(), "42".into());
    observed
        .tags
        .insert("added-in-console".into(), "yes".into());
    let steps = plan(&d, Some(&observed), &["team".into(), "cost-centre".into()]);
    assert_eq!(steps, vec![Step::Untag(vec!["cost-centre".into()])]);
}

#[test]
fn changed_tag_value_is_retagged() {
    let d = desired();
    let mut observed = observed_for(&d);
    observed.tags.insert("team".into(), "search".into());
    assert_eq!(
        plan(&d, Some(&observed), &["team".into()]),
        vec![Step::Tag(Tags::from([("team".into(), "payments".into())]))]
    );
}

#[test]
fn adopted_cluster_gets_ownership_tags() {
    let d = desired();
    let mut observed = observed_for(&d);
    observed.tags.clear();
    let steps = plan(&d, Some(&observed), &[]);
    assert_eq!(steps, vec![Step::Tag(d.tags.clone())]);
}

#[test]
fn service_connect_namespace_by_name_is_not_fought_over() {
    let mut d = desired();
    d.service_connect_defaults = Some(ServiceConnectDefaults {
        namespace: "internal".into(),
    });
    let mut observed = observed_for(&d);
    observed.service_connect_namespace =
        Some("arn:aws:servicediscovery:us-east-1:1:namespace/ns-abc".into());
    assert_eq!(plan(&d, Some(&observed), &[]), vec![]);
    observed.service_connect_namespace = None;
    assert_eq!(plan(&d, Some(&observed), &[]).len(), 1);
}

#[test]
fn unmanaged_parts_are_left_alone() {
    let d = desired();
    let mut observed = observed_for(&d);
    observed.settings = vec![insights(ContainerInsights::Enhanced)];
    observed.capacity_providers = vec!["FARGATE".into()];
    observed.default_capacity_provider_strategy = vec![strategy("FARGATE", Some(1), Some(0))];
    assert_eq!(plan(&d, Some(&observed), &[]), vec![]);
}

fn fargate_storage_key(key: &str) -> ClusterConfiguration {
    ClusterConfiguration {
        managed_storage_configuration: Some(ManagedStorageConfiguration {
            fargate_ephemeral_storage_kms_key_id: Some(key.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn a_fargate_storage_key_is_sent_and_then_left_alone() {
    let mut d = desired();
    d.configuration = Some(fargate_storage_key(
        "arn:aws:kms:us-east-1:123456789012:key/a",
    ));
    let mut observed = observed_for(&d);
    observed.configuration = None;
    assert_eq!(
        plan(&d, Some(&observed), &[]),
        vec![Step::Update(UpdateCluster {
            configuration: d.configuration.clone(),
            ..Default::default()
        })]
    );
    let converged = observed_for(&d);
    assert_eq!(plan(&d, Some(&converged), &[]), vec![]);
}

#[test]
fn a_storage_key_changed_in_aws_is_put_back() {
    let mut d = desired();
    d.configuration = Some(fargate_storage_key(
        "arn:aws:kms:us-east-1:123456789012:key/a",
    ));
    let mut observed = observed_for(&d);
    observed.configuration = Some(fargate_storage_key(
        "arn:aws:kms:us-east-1:123456789012:key/b",
    ));
    let steps = plan(&d, Some(&observed), &[]);
    assert!(
        matches!(&steps[..], [Step::Update(u)] if u.configuration == d.configuration),
        "{steps:?}"
    );
}
