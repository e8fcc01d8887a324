use super::*;
use crate::api::capacity_provider::{
    AutoScalingGroupProvider, InstanceLaunchTemplate, InstanceRequirements, IntRange,
    ManagedInstancesNetworkConfiguration, ManagedInstancesProvider, ManagedScaling,
};

const GROUP_ARN: &str =
    "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/gpu";

fn asg(scaling: Option<ManagedScaling>) -> CapacityProviderConfig {
    CapacityProviderConfig::AutoScalingGroup(AutoScalingGroupProvider {
        auto_scaling_group_arn: GROUP_ARN.into(),
        managed_scaling: scaling,
        ..Default::default()
    })
}

fn desired(config: CapacityProviderConfig) -> Desired {
    Desired {
        name: "gpu".into(),
        cluster: None,
        config,
        tags: Tags::from([
            ("team".into(), "ml".into()),
            ("ecs.operator.dev/uid".into(), "u1".into()),
        ]),
    }
}

/// What ECS reports for an Auto Scaling group provider created with no settings: its
/// documented defaults filled in.
fn ecs_defaults() -> AutoScalingGroupProvider {
    AutoScalingGroupProvider {
        auto_scaling_group_arn: GROUP_ARN.into(),
        managed_scaling: Some(ManagedScaling {
            status: Some("DISABLED".into()),
            target_capacity: Some(100),
            minimum_scaling_step_size: Some(1),
            maximum_scaling_step_size: Some(10000),
            instance_warmup_period: Some(300),
        }),
        managed_termination_protection: Some("DISABLED".into()),
        managed_draining: Some("ENABLED".into()),
    }
}

fn observed(config: CapacityProviderConfig, tags: &Tags) -> EcsCapacityProvider {
    EcsCapacityProvider {
        name: "gpu".into(),
        arn: "arn:aws:ecs:us-east-1:123456789012:capacity-provider/gpu".into(),
        status: "ACTIVE".into(),
        provider_type: "EC2_AUTOSCALING".into(),
        config: Some(config),
        tags: tags.clone(),
        ..Default::default()
    }
}

fn managed_instances() -> ManagedInstancesProvider {
    ManagedInstancesProvider {
        infrastructure_role_arn: "arn:aws:iam::123456789012:role/ecsInfrastructure".into(),
        instance_launch_template: InstanceLaunchTemplate {
            ec2_instance_profile_arn: "arn:aws:iam::123456789012:instance-profile/ecsInstance"
                .into(),
            network_configuration: Some(ManagedInstancesNetworkConfiguration {
                subnets: vec!["subnet-1".into()],
                security_groups: vec!["sg-1".into()],
            }),
            instance_requirements: Some(InstanceRequirements {
                v_cpu_count: IntRange {
                    min: Some(2),
                    max: Some(8),
                },
                memory_mib: IntRange {
                    min: Some(4096),
                    max: None,
                },
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn a_missing_provider_is_created_with_its_cluster_and_the_ownership_tags() {
    let mut d = desired(CapacityProviderConfig::ManagedInstances(Box::new(
        managed_instances(),
    )));
    d.cluster = Some("ml".into());
    let steps = plan(&d, None, &[], true);
    let [Step::Create(create)] = steps.as_slice() else {
        panic!("{steps:?}")
    };
    assert_eq!(create.name, "gpu");
    assert_eq!(create.cluster.as_deref(), Some("ml"));
    assert_eq!(create.tags, d.tags);
    assert_eq!(create.config, d.config);
}

#[test]
fn ecs_defaults_for_settings_the_spec_leaves_out_are_not_drift() {
    let d = desired(asg(Some(ManagedScaling {
        target_capacity: Some(100),
        ..Default::default()
    })));
    let have = observed(
        CapacityProviderConfig::AutoScalingGroup(ecs_defaults()),
        &d.tags,
    );
    assert_eq!(plan(&d, Some(&have), &["team".into()], true), []);
}

#[test]
fn a_group_named_by_name_is_not_drift_against_the_arn_ecs_reports() {
    let mut want = ecs_defaults();
    want.auto_scaling_group_arn = "gpu".into();
    let d = desired(CapacityProviderConfig::AutoScalingGroup(want));
    let have = observed(
        CapacityProviderConfig::AutoScalingGroup(ecs_defaults()),
        &d.tags,
    );
    assert_eq!(plan(&d, Some(&have), &["team".into()], true), []);
}

#[test]
fn a_changed_setting_updates_with_the_rest_kept_as_ecs_reports_them() {
    let d = desired(asg(Some(ManagedScaling {
        status: Some("ENABLED".into()),
        target_capacity: Some(80),
        ..Default::default()
    })));
    let have = observed(
        CapacityProviderConfig::AutoScalingGroup(ecs_defaults()),
        &d.tags,
    );
    let steps = plan(&d, Some(&have), &["team".into()], true);
    let [Step::Update(CapacityProviderConfig::AutoScalingGroup(sent))] = steps.as_slice() else {
        panic!("{steps:?}")
    };
    let scaling = sent.managed_scaling.as_ref().unwrap();
    assert_eq!(scaling.status.as_deref(), Some("ENABLED"));
    assert_eq!(scaling.target_capacity, Some(80));
    assert_eq!(scaling.instance_warmup_period, Some(300));
    assert_eq!(sent.managed_draining.as_deref(), Some("ENABLED"));
}

#[test]
fn a_failed_update_of_the_same_spec_is_not_sent_again() {
    let d = desired(asg(Some(ManagedScaling {
        target_capacity: Some(50),
        ..Default::default()
    })));
    let have = observed(
        CapacityProviderConfig::AutoScalingGroup(ecs_defaults()),
        &d.tags,
    );
    assert_eq!(plan(&d, Some(&have), &["team".into()], false), []);
}

#[test]
fn managed_instances_updates_keep_the_create_only_settings() {
    let mut created = managed_instances();
    created.instance_launch_template.capacity_option_type = Some("SPOT".into());
    created.instance_launch_template.fips_enabled = Some(true);
    let mut want = managed_instances();
    want.propagate_tags = Some("CAPACITY_PROVIDER".into());
    let d = desired(CapacityProviderConfig::ManagedInstances(Box::new(want)));
    let mut have = observed(
        CapacityProviderConfig::ManagedInstances(Box::new(created)),
        &d.tags,
    );
    have.provider_type = "MANAGED_INSTANCES".into();

    let steps = plan(&d, Some(&have), &["team".into()], true);
    let [Step::Update(CapacityProviderConfig::ManagedInstances(sent))] = steps.as_slice() else {
        panic!("{steps:?}")
    };
    assert_eq!(sent.propagate_tags.as_deref(), Some("CAPACITY_PROVIDER"));
    let template = &sent.instance_launch_template;
    assert_eq!(template.capacity_option_type.as_deref(), Some("SPOT"));
    assert_eq!(template.fips_enabled, Some(true));
}

#[test]
fn changed_instance_requirements_replace_the_lists_they_set() {
    let mut want = managed_instances();
    if let Some(r) = want.instance_launch_template.instance_requirements.as_mut() {
        r.allowed_instance_types = Some(vec!["g5.*".into()]);
    }
    let mut before = managed_instances();
    if let Some(r) = before
        .instance_launch_template
        .instance_requirements
        .as_mut()
    {
        r.allowed_instance_types = Some(vec!["g4dn.*".into(), "g5.*".into()]);
    }
    let d = desired(CapacityProviderConfig::ManagedInstances(Box::new(
        want.clone(),
    )));
    let have = observed(
        CapacityProviderConfig::ManagedInstances(Box::new(before)),
        &d.tags,
    );
    let steps = plan(&d, Some(&have), &["team".into()], true);
    assert_eq!(
        steps,
        [Step::Update(CapacityProviderConfig::ManagedInstances(
            Box::new(want)
        ))]
    );
}

#[test]
fn tags_are_set_and_removed_like_on_every_kind() {
    let d = desired(asg(None));
    let mut tags = d.tags.clone();
    tags.remove("team");
    tags.insert("old".into(), "x".into());
    tags.insert("console".into(), "kept".into());
    let have = observed(
        CapacityProviderConfig::AutoScalingGroup(ecs_defaults()),
        &tags,
    );
    let steps = plan(&d, Some(&have), &["team".into(), "old".into()], true);
    assert_eq!(
        steps,
        [
            Step::Tag(Tags::from([("team".into(), "ml".into())])),
            Step::Untag(vec!["old".into()]),
        ]
    );
}

#[test]
fn the_tenant_policy_sees_the_role_network_and_cluster() {
    let mut object = CapacityProvider::new(
        "gpu",
        crate::api::CapacityProviderSpec {
            cluster: Some("ml".into()),
            managed_instances_provider: Some(managed_instances()),
            ..Default::default()
        },
    );
    object.metadata.namespace = Some("team-a".into());
    let fields: Vec<(String, String)> = tenant_uses(&object)
        .into_iter()
        .map(|u| (u.field, u.value))
        .collect();
    let path = "spec.managedInstancesProvider";
    assert_eq!(
        fields,
        [
            ("spec.cluster".to_string(), "ml".to_string()),
            (
                format!("{path}.infrastructureRoleArn"),
                "arn:aws:iam::123456789012:role/ecsInfrastructure".into()
            ),
            (
                format!("{path}.instanceLaunchTemplate.networkConfiguration.subnets"),
                "subnet-1".into()
            ),
            (
                format!("{path}.instanceLaunchTemplate.networkConfiguration.securityGroups"),
                "sg-1".into()
            ),
        ]
    );
}
