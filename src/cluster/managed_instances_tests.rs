//! A cluster with an ECS Managed Instances capacity provider, which is created inside
//! the cluster and stays with it until deleted: the Cluster object neither strips it nor
//! counts it as drift, and its deletion waits for it.

use super::tests::{Rig, cluster, is_ready};
use super::*;

fn with_fargate() -> Rig {
    let mut object = cluster("web");
    object.spec.capacity_providers = Some(vec!["FARGATE".into()]);
    Rig::new(object)
}

#[tokio::test]
async fn a_managed_instances_provider_survives_resyncs_without_a_put() {
    let mut rig = with_fargate();
    rig.reconcile().await.unwrap();
    rig.ecs
        .inner()
        .insert_managed_instances_provider("web", "gpu-instances");

    for _ in 0..3 {
        let outcome = rig.reconcile().await.unwrap();
        assert!(is_ready(&outcome), "{outcome:?}");
        assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);
    }
    let fake = rig.ecs.inner();
    assert_eq!(fake.count("ecs:PutClusterCapacityProviders"), 0);
    assert_eq!(fake.count("ecs:DescribeCapacityProviders"), 3);
    assert_eq!(
        fake.cluster("web").unwrap().capacity_providers,
        ["FARGATE", "gpu-instances"]
    );
}

#[tokio::test]
async fn a_provider_change_keeps_the_managed_instances_provider() {
    let mut rig = with_fargate();
    rig.reconcile().await.unwrap();
    rig.ecs
        .inner()
        .insert_managed_instances_provider("web", "gpu-instances");
    rig.object.spec.capacity_providers = Some(vec!["FARGATE".into(), "FARGATE_SPOT".into()]);

    assert!(is_ready(&rig.reconcile().await.unwrap()));
    let mut kept = rig.ecs.inner().cluster("web").unwrap().capacity_providers;
    kept.sort();
    assert_eq!(kept, ["FARGATE", "FARGATE_SPOT", "gpu-instances"]);
}

#[tokio::test]
async fn no_describe_of_providers_while_ecs_reports_only_the_named_ones() {
    let mut rig = with_fargate();
    rig.reconcile().await.unwrap();
    rig.reconcile().await.unwrap();
    assert_eq!(rig.ecs.inner().count("ecs:DescribeCapacityProviders"), 0);
}

#[tokio::test]
async fn deleting_waits_for_the_managed_instances_provider() {
    let mut rig = with_fargate();
    rig.reconcile().await.unwrap();
    rig.ecs
        .inner()
        .insert_managed_instances_provider("web", "gpu-instances");

    let Cleanup::Waiting(waiting) = cleanup(&rig.object, &rig.ecs, &[]).await.unwrap() else {
        panic!("deletion must wait for the Managed Instances provider")
    };
    let Health::Progressing { reason, message } = &waiting.health else {
        panic!("{waiting:?}")
    };
    assert_eq!(*reason, "ClusterHasCapacityProviders");
    assert!(message.contains("capacity providers"), "{message}");
}
