//! Ownership is proved in AWS, never by status: a tenant who can write status cannot
//! make the operator deregister revisions that are not its object's.

use super::tests::{Rig, nginx, task_definition};
use super::*;
use crate::api::task_definition::RevisionRecord;
use crate::aws::Tags;
use crate::ownership::UID;

/// Lists `arn` in the object's status, as a tenant with status write could.
fn forge_status_revision(rig: &mut Rig, arn: &str, revision: i32) {
    let status = rig.object.status.as_mut().expect("reconciled once");
    status.revisions.push(RevisionRecord {
        revision,
        arn: arn.to_string(),
        spec_hash: "forged".into(),
        registered_at: None,
    });
}

fn tagged_for(uid: &str) -> Tags {
    Tags::from([(UID.to_string(), uid.to_string())])
}

#[tokio::test]
async fn a_revision_of_another_family_forged_into_status_is_never_deregistered() {
    let mut rig = Rig::new(task_definition("web"));
    let victim = rig
        .fake()
        .insert_task_definition("victim-app", nginx(), tagged_for("uid-victim"));
    rig.edit_spec(|s| s.revision_history_limit = 1);
    rig.reconcile().await.unwrap();
    forge_status_revision(&mut rig, &victim.arn, 1);

    rig.set_image("nginx:1.28");
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(rig.active("web"), [2], "our own history is still trimmed");
    assert_eq!(rig.active("victim-app"), [1], "{outcome:?}");
    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert_eq!(rig.active("victim-app"), [1]);
}

#[tokio::test]
async fn a_revision_of_the_same_family_registered_by_another_object_is_left_with_a_warning() {
    let mut rig = Rig::new(task_definition("web"));
    let theirs = rig
        .fake()
        .insert_task_definition("web", nginx(), tagged_for("uid-other"));
    rig.edit_spec(|s| {
        s.adoption_policy = AdoptionPolicy::Adopt;
        s.revision_history_limit = 1;
    });
    rig.reconcile().await.unwrap();
    forge_status_revision(&mut rig, &theirs.arn, 1);

    rig.set_image("nginx:1.28");
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(
        rig.active("web"),
        [1, 3],
        "revision 2 (ours) trimmed, 1 (theirs) kept"
    );
    let warned = outcome
        .notes
        .iter()
        .find(|n| n.reason == "NotOwned")
        .expect("a Warning names the revision left alone");
    assert!(
        warned.warning && warned.message.contains(&theirs.arn),
        "{warned:?}"
    );
    let recorded: Vec<_> = outcome
        .status
        .revisions
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(recorded, [3], "status no longer lists what is not ours");

    forge_status_revision(&mut rig, &theirs.arn, 1);
    let Cleanup::Done(notes) = rig.cleanup().await else {
        panic!("nothing uses the revisions");
    };
    assert_eq!(rig.active("web"), [1], "deletion too leaves theirs");
    assert!(notes.iter().any(|n| n.reason == "NotOwned"), "{notes:?}");
}

#[tokio::test]
async fn a_role_outside_the_tenant_policy_is_never_registered() {
    let mut object = task_definition("web");
    object.spec.definition.task_role_arn = Some("arn:aws:iam::123456789012:role/team-b/app".into());
    let mut rig = Rig::new(object);
    rig.users.policies = vec![crate::tenancy::tests::policy(
        "team-a",
        serde_json::json!({
            "namespaces": ["team-a"],
            "references": {"roles": ["arn:aws:iam::123456789012:role/team-a/*"]},
        }),
    )];
    let outcome = rig.reconcile().await.unwrap();
    let Health::Stalled { reason, message } = &outcome.health else {
        panic!("stalled: {outcome:?}")
    };
    assert_eq!(*reason, "ForbiddenByTenantPolicy");
    assert!(
        message.starts_with(
            "spec.taskRoleArn arn:aws:iam::123456789012:role/team-b/app is not allowed"
        ),
        "{message}"
    );
    assert!(
        rig.fake().calls().is_empty(),
        "no AWS call: {:?}",
        rig.fake().calls()
    );

    rig.edit_spec(|s| {
        s.definition.task_role_arn = Some("arn:aws:iam::123456789012:role/team-a/app".into())
    });
    assert!(matches!(
        rig.reconcile().await.unwrap().health,
        Health::Ready { .. }
    ));
}

#[tokio::test]
async fn a_host_path_is_refused_by_the_restricted_profile_unless_the_policy_allows_it() {
    let mut object = task_definition("agent");
    object.spec.definition.requires_compatibilities = vec!["EC2".into()];
    object.spec.definition.volumes = vec![
        serde_json::from_value(
            serde_json::json!({"name": "docker", "host": {"sourcePath": "/var/run/docker.sock"}}),
        )
        .unwrap(),
    ];
    let mut rig = Rig::new(object);
    let outcome = rig.reconcile().await.unwrap();
    let Health::Stalled { reason, message } = &outcome.health else {
        panic!("stalled: {outcome:?}")
    };
    assert_eq!(*reason, "ForbiddenByProfile");
    assert!(
        message.contains("spec.volumes[0].host.sourcePath /var/run/docker.sock"),
        "{message}"
    );
    assert!(rig.fake().calls().is_empty(), "nothing registered");

    rig.users.policies = vec![crate::tenancy::tests::policy(
        "agents",
        serde_json::json!({"namespaces": ["team-a"], "taskDefinitionProfile": "Privileged"}),
    )];
    assert!(matches!(
        rig.reconcile().await.unwrap().health,
        Health::Ready { .. }
    ));
}
