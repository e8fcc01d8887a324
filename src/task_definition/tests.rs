//! Reconciler tests: the TaskDefinition reconcile against the in-memory ECS fake,
//! with the object's status carried between rounds as the controller writes it.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::normalise::spec_hash;
use super::*;
use crate::api::TaskDefinitionSpec;
use crate::api::task_definition::{
    ContainerDefinition, KeyValuePair, LogConfiguration, TaskDefinitionFields,
};
use crate::aws::RevisionState;
use crate::aws::fake::FakeEcs;
use crate::aws::retry::Retrying;
use crate::aws::{AwsError, EcsApi, EcsTaskDefinition, ErrorKind, Tags};
use crate::controller::Index;
use crate::controller::status::next_status;
use crate::ownership::UID;

/// Services as the cache would show them.
#[derive(Default)]
pub(super) struct FakeUsers {
    arns: Mutex<BTreeSet<String>>,
    references: Mutex<Vec<(String, String, String)>>,
    clusters: Mutex<BTreeSet<String>>,
    pub(super) policies: Vec<std::sync::Arc<crate::api::TenantPolicy>>,
}

impl FakeUsers {
    fn run(&self, arn: &str) {
        self.arns.lock().unwrap().insert(arn.to_string());
    }

    fn reference(&self, namespace: &str, name: &str, service: &str) {
        self.references
            .lock()
            .unwrap()
            .push((namespace.into(), name.into(), service.into()));
    }

    /// A Cluster object, or a Service's cluster, the index knows.
    fn know_cluster(&self, arn: &str) {
        self.clusters.lock().unwrap().insert(arn.to_string());
    }

    fn forget_all(&self) {
        self.arns.lock().unwrap().clear();
        self.references.lock().unwrap().clear();
    }
}

/// The Services a TaskDefinition reconcile asks about; it reads nothing else.
impl Index for FakeUsers {
    fn cluster(&self, _: &str, _: &str) -> Option<std::sync::Arc<crate::api::Cluster>> {
        None
    }

    fn task_definition(&self, _: &str, _: &str) -> Option<std::sync::Arc<TaskDefinition>> {
        None
    }

    fn capacity_provider(
        &self,
        _: &str,
        _: &str,
    ) -> Option<std::sync::Arc<crate::api::CapacityProvider>> {
        None
    }

    fn dependents_on_cluster(&self, _: &str, _: &str) -> Vec<String> {
        Vec::new()
    }

    fn dependents_on_capacity_provider(&self, _: &str, _: &str, _: &str) -> Vec<String> {
        Vec::new()
    }

    fn revisions_in_use(&self) -> BTreeSet<String> {
        self.arns.lock().unwrap().clone()
    }

    fn known_clusters(&self, region: &str) -> BTreeSet<String> {
        let clusters = self.clusters.lock().unwrap();
        let in_region = |arn: &&String| arn.split(':').nth(3) == Some(region);
        clusters.iter().filter(in_region).cloned().collect()
    }

    fn service(&self, _: &str, _: &str) -> Option<std::sync::Arc<crate::api::Service>> {
        None
    }

    fn tenant_policies(&self, _: &str) -> Vec<std::sync::Arc<crate::api::TenantPolicy>> {
        self.policies.clone()
    }

    fn default_profile(&self) -> crate::api::tenant_policy::Profile {
        crate::api::tenant_policy::Profile::Restricted
    }

    fn rollout_approvals(
        &self,
        _: &str,
        _: &str,
    ) -> Vec<std::sync::Arc<crate::api::RolloutApproval>> {
        Vec::new()
    }

    fn services_of_task_definition(&self, namespace: &str, name: &str) -> Vec<String> {
        self.references
            .lock()
            .unwrap()
            .iter()
            .filter(|(ns, n, _)| ns == namespace && n == name)
            .map(|(_, _, service)| service.clone())
            .collect()
    }
}

pub(super) fn nginx() -> TaskDefinitionFields {
    TaskDefinitionFields {
        cpu: Some("256".into()),
        memory: Some("512".into()),
        network_mode: Some("awsvpc".into()),
        requires_compatibilities: vec!["FARGATE".into()],
        container_definitions: vec![ContainerDefinition {
            name: "web".into(),
            image: "public.ecr.aws/nginx/nginx:1.27".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub(super) fn task_definition(name: &str) -> TaskDefinition {
    let spec = TaskDefinitionSpec {
        definition: nginx(),
        revision_history_limit: 10,
        ..Default::default()
    };
    let mut td = TaskDefinition::new(name, spec);
    td.metadata.namespace = Some("team-a".into());
    td.metadata.uid = Some(format!("uid-{name}"));
    td.metadata.generation = Some(1);
    td
}

pub(super) struct Rig {
    ecs: Retrying<FakeEcs>,
    pub(super) users: FakeUsers,
    pub(super) object: TaskDefinition,
}

impl Rig {
    pub(super) fn new(object: TaskDefinition) -> Self {
        Self {
            ecs: Retrying::new(FakeEcs::default(), 4, Duration::ZERO),
            users: FakeUsers::default(),
            object,
        }
    }

    pub(super) fn fake(&self) -> &FakeEcs {
        self.ecs.inner()
    }

    pub(super) async fn reconcile(&mut self) -> Result<Outcome<TaskDefinitionStatus>, AwsError> {
        let outcome = reconcile(&self.object, &self.ecs, &self.users).await?;
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        self.object.status = Some(next_status(
            &self.object,
            outcome.status.clone(),
            &outcome.health,
            "us-east-1",
            &now,
        ));
        Ok(outcome)
    }

    pub(super) async fn cleanup(&self) -> Cleanup<TaskDefinitionStatus> {
        cleanup(&self.object, &self.ecs, &self.users).await.unwrap()
    }

    pub(super) fn edit_spec(&mut self, edit: impl FnOnce(&mut TaskDefinitionSpec)) {
        edit(&mut self.object.spec);
        *self.object.metadata.generation.as_mut().unwrap() += 1;
    }

    pub(super) fn set_image(&mut self, image: &str) {
        self.edit_spec(|s| s.definition.container_definitions[0].image = image.into());
    }

    fn revisions(&self, family: &str) -> Vec<EcsTaskDefinition> {
        self.fake().task_definitions(family)
    }

    pub(super) fn active(&self, family: &str) -> Vec<i32> {
        self.revisions(family)
            .iter()
            .filter(|t| t.status == RevisionState::Active)
            .map(|t| t.revision)
            .collect()
    }
}

fn ready_revision(outcome: &Outcome<TaskDefinitionStatus>) -> Option<i32> {
    matches!(outcome.health, Health::Ready { .. })
        .then_some(outcome.status.revision)
        .flatten()
}

fn stalled_reason(outcome: &Outcome<TaskDefinitionStatus>) -> Option<&'static str> {
    match outcome.health {
        Health::Stalled { reason, .. } => Some(reason),
        _ => None,
    }
}

#[tokio::test]
async fn new_task_definition_registers_revision_1_tagged_with_owner_and_hash() {
    let mut rig = Rig::new(task_definition("web"));
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(1), "{outcome:?}");
    let registered = &rig.revisions("web")[0];
    assert_eq!(
        registered.tags.get(UID).map(String::as_str),
        Some("uid-web")
    );
    let hash = spec_hash("web", &nginx());
    assert_eq!(registered.tags.get(SPEC_HASH_TAG), Some(&hash));
    let status = &outcome.status;
    assert_eq!(status.arn.as_deref(), Some(registered.arn.as_str()));
    assert_eq!(status.family.as_deref(), Some("web"));
    assert_eq!(status.revisions.len(), 1);
    assert_eq!(status.revisions[0].spec_hash, hash);
    assert!(status.revisions[0].registered_at.is_some());
    assert!(outcome.notes.iter().any(|n| n.reason == "Registered"));
}

#[tokio::test]
async fn twenty_resyncs_without_a_spec_change_register_nothing() {
    let mut rig = Rig::new(task_definition("web"));
    rig.reconcile().await.unwrap();
    let calls_after_first = rig.fake().calls().len();
    for _ in 0..20 {
        let outcome = rig.reconcile().await.unwrap();
        assert_eq!(ready_revision(&outcome), Some(1));
        assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);
    }
    assert_eq!(rig.fake().count("ecs:RegisterTaskDefinition"), 1);
    // One DescribeTaskDefinition per resync, nothing else.
    assert_eq!(rig.fake().calls().len() - calls_after_first, 20);
    assert_eq!(rig.fake().count("ecs:DescribeTaskDefinition"), 20);
}

#[tokio::test]
async fn each_real_change_registers_exactly_one_revision() {
    let mut rig = Rig::new(task_definition("web"));
    rig.reconcile().await.unwrap();
    rig.set_image("public.ecr.aws/nginx/nginx:1.28");
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(2));
    for _ in 0..3 {
        assert_eq!(ready_revision(&rig.reconcile().await.unwrap()), Some(2));
    }
    // Writing a default explicitly is not a change.
    rig.edit_spec(|s| s.definition.container_definitions[0].essential = Some(true));
    assert_eq!(ready_revision(&rig.reconcile().await.unwrap()), Some(2));
    assert_eq!(rig.fake().count("ecs:RegisterTaskDefinition"), 2);
    assert_eq!(rig.active("web"), [1, 2]);
}

#[tokio::test]
async fn crash_after_first_register_before_status_write_leaves_no_extra_revision() {
    let mut rig = Rig::new(task_definition("web"));
    // The register succeeds, then the process dies: no status is written.
    let lost = reconcile(&rig.object, &rig.ecs, &rig.users).await.unwrap();
    assert_eq!(ready_revision(&lost), Some(1));
    assert!(rig.object.status.is_none());

    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(1), "{outcome:?}");
    assert_eq!(rig.fake().count("ecs:RegisterTaskDefinition"), 1);
    assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);
}

#[tokio::test]
async fn crash_after_registering_a_change_finds_the_new_revision_by_its_hash() {
    let mut rig = Rig::new(task_definition("web"));
    rig.reconcile().await.unwrap();
    rig.set_image("nginx:1.28");
    let status_before = rig.object.status.clone();
    reconcile(&rig.object, &rig.ecs, &rig.users).await.unwrap();
    rig.object.status = status_before;

    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(2), "{outcome:?}");
    assert_eq!(rig.fake().count("ecs:RegisterTaskDefinition"), 2);
    let recorded: Vec<_> = outcome
        .status
        .revisions
        .iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(recorded, [2, 1]);
}

#[tokio::test]
async fn register_is_not_repeated_after_a_timeout_and_the_next_pass_recovers() {
    let mut rig = Rig::new(task_definition("web"));
    rig.reconcile().await.unwrap();
    rig.set_image("nginx:1.28");
    // Describe, list, then register: ECS registers the revision but the response is lost.
    rig.fake().lose_response(3);
    let error = rig.reconcile().await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Transient);
    assert_eq!(
        rig.fake().count("ecs:RegisterTaskDefinition"),
        2,
        "no retry of the register"
    );

    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(2), "{outcome:?}");
    assert_eq!(rig.fake().count("ecs:RegisterTaskDefinition"), 2);
    assert_eq!(rig.active("web"), [1, 2]);
}

#[tokio::test]
async fn throttled_calls_are_retried_within_the_reconcile() {
    let mut rig = Rig::new(task_definition("web"));
    rig.fake().throttle_every(2);
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(1));
    assert_eq!(rig.active("web"), [1]);
}

#[tokio::test]
async fn history_is_trimmed_to_the_limit_but_spares_revisions_in_use() {
    let mut rig = Rig::new(task_definition("web"));
    rig.edit_spec(|s| s.revision_history_limit = 2);
    rig.reconcile().await.unwrap();
    let first = rig.object.status.as_ref().unwrap().arn.clone().unwrap();
    rig.users.run(&first);
    for version in 2..=5 {
        rig.set_image(&format!("nginx:1.{version}"));
        rig.reconcile().await.unwrap();
    }
    // Revision 1 is still run by a Service; 2 and 3 are beyond the limit.
    assert_eq!(rig.active("web"), [1, 4, 5]);
    let status = rig.object.status.clone().unwrap();
    let recorded: Vec<_> = status.revisions.iter().map(|r| r.revision).collect();
    assert_eq!(recorded, [5, 4, 1]);

    // Once no Service runs it, the next pass deregisters it.
    rig.users.forget_all();
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(rig.active("web"), [4, 5]);
    assert!(outcome.notes.iter().any(|n| n.reason == "Deregistered"));
}

#[tokio::test]
async fn a_revision_tasks_run_in_a_known_cluster_is_not_trimmed() {
    let mut rig = Rig::new(task_definition("web"));
    rig.edit_spec(|s| s.revision_history_limit = 1);
    rig.reconcile().await.unwrap();
    let first = rig.object.status.as_ref().unwrap().arn.clone().unwrap();
    // A task someone else started (RunTask, a schedule, a service made elsewhere).
    let jobs = rig.fake().insert_cluster("jobs", Tags::new()).arn;
    rig.users.know_cluster(&jobs);
    rig.users
        .know_cluster("arn:aws:ecs:eu-west-1:123456789012:cluster/elsewhere");
    rig.fake().insert_task(
        "jobs",
        crate::aws::EcsTask {
            task_definition: first.clone(),
            last_status: crate::aws::TaskState::Running,
            desired_status: crate::aws::TaskState::Running,
            ..Default::default()
        },
    );
    rig.set_image("nginx:1.2");
    rig.reconcile().await.unwrap();
    assert_eq!(rig.active("web"), [1, 2], "revision 1 still runs in jobs");
    assert_eq!(
        rig.fake().count("ecs:ListTasks"),
        1,
        "only this region's cluster is asked, and only when trimming"
    );
}

#[tokio::test]
async fn foreign_family_is_a_conflict_and_is_never_touched() {
    let mut rig = Rig::new(task_definition("web"));
    let mut theirs = nginx();
    theirs.container_definitions[0].image = "httpd".into();
    rig.fake()
        .insert_task_definition("web", theirs, Tags::new());

    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(
        stalled_reason(&outcome),
        Some("NameConflict"),
        "{outcome:?}"
    );
    assert_eq!(rig.fake().count("ecs:RegisterTaskDefinition"), 0);
    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert_eq!(rig.active("web"), [1]);
}

#[tokio::test]
async fn adopt_registers_into_a_foreign_family_but_never_deregisters_its_revisions() {
    let mut rig = Rig::new(task_definition("web"));
    rig.fake()
        .insert_task_definition("web", nginx(), Tags::new());
    rig.edit_spec(|s| {
        s.adoption_policy = AdoptionPolicy::Adopt;
        s.revision_history_limit = 1;
    });
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(2), "{outcome:?}");
    assert!(outcome.notes.iter().any(|n| n.reason == "Adopted"));
    rig.set_image("nginx:1.28");
    rig.reconcile().await.unwrap();
    assert_eq!(rig.active("web"), [1, 3]);
    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert_eq!(rig.active("web"), [1]);
}

#[tokio::test]
async fn families_sharing_a_prefix_are_kept_apart_across_pages() {
    let mut rig = Rig::new(task_definition("web"));
    rig.fake().set_page_size(1);
    for _ in 0..3 {
        rig.fake()
            .insert_task_definition("web-worker", nginx(), Tags::new());
    }
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(1), "{outcome:?}");
    // Lose track of it: the rescan must page through web-worker's revisions to find it.
    rig.object.status = None;
    let pages_before = rig.fake().count("ecs:ListTaskDefinitions");
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(1), "{outcome:?}");
    assert_eq!(rig.fake().count("ecs:RegisterTaskDefinition"), 1);
    // web:1 and web-worker:1..3 match the prefix "web": four pages of one.
    assert_eq!(
        rig.fake().count("ecs:ListTaskDefinitions") - pages_before,
        4
    );
    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert_eq!(rig.active("web-worker"), [1, 2, 3]);
}

#[tokio::test]
async fn spec_aws_rejects_is_stalled_until_it_changes() {
    let mut rig = Rig::new(task_definition("web"));
    rig.edit_spec(|s| {
        s.definition.container_definitions[0].log_configuration = Some(LogConfiguration {
            log_driver: "awslogs".into(),
            ..Default::default()
        });
    });
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(stalled_reason(&outcome), Some("InvalidSpec"));
    let Health::Stalled { message, .. } = &outcome.health else {
        panic!("expected Stalled, got {:?}", outcome.health)
    };
    assert!(message.contains("execution role"), "{message}");

    let calls = rig.fake().calls().len();
    let again = rig.reconcile().await.unwrap();
    assert_eq!(stalled_reason(&again), Some("InvalidSpec"));
    assert_eq!(
        rig.fake().calls().len(),
        calls,
        "the same spec must not be sent again"
    );

    rig.edit_spec(|s| {
        s.definition.execution_role_arn = Some("arn:aws:iam::123456789012:role/exec".into())
    });
    assert_eq!(ready_revision(&rig.reconcile().await.unwrap()), Some(1));
}

#[tokio::test]
async fn credential_like_environment_variable_gets_a_warning_without_its_value() {
    let mut rig = Rig::new(task_definition("web"));
    rig.edit_spec(|s| {
        s.definition.container_definitions[0].environment = vec![
            KeyValuePair {
                name: "DB_PASSWORD".into(),
                value: "hunter2".into(),
            },
            KeyValuePair {
                name: "DATABASE_URL".into(),
                value: "postgres://app:s3cr3t@db/shop".into(),
            },
        ];
    });
    let outcome = rig.reconcile().await.unwrap();
    let warnings: Vec<_> = outcome
        .notes
        .iter()
        .filter(|n| n.reason == "PlaintextSecret")
        .collect();
    // One Event naming every field, not one per field.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0];
    assert!(warning.warning);
    assert!(warning.message.contains("DB_PASSWORD"));
    assert!(warning.message.contains("DATABASE_URL"));
    for note in &outcome.notes {
        assert!(
            !note.message.contains("hunter2") && !note.message.contains("s3cr3t"),
            "a value reached an Event: {note:?}"
        );
    }
    // Only when registering: resyncs do not repeat it.
    assert!(rig.reconcile().await.unwrap().notes.is_empty());
}

#[tokio::test]
async fn tag_change_updates_the_latest_revision_without_registering() {
    let mut rig = Rig::new(task_definition("web"));
    rig.edit_spec(|s| s.tags = Tags::from([("team".into(), "a".into())]));
    rig.reconcile().await.unwrap();
    rig.edit_spec(|s| s.tags = Tags::from([("cost-centre".into(), "42".into())]));
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(1));
    let tags = &rig.revisions("web")[0].tags;
    assert_eq!(tags.get("cost-centre").map(String::as_str), Some("42"));
    assert!(!tags.contains_key("team"));
    assert!(tags.contains_key(SPEC_HASH_TAG));
    assert_eq!(rig.fake().count("ecs:RegisterTaskDefinition"), 1);
}

#[tokio::test]
async fn latest_revision_deregistered_elsewhere_is_registered_again() {
    let mut rig = Rig::new(task_definition("web"));
    rig.reconcile().await.unwrap();
    let arn = rig.object.status.as_ref().unwrap().arn.clone().unwrap();
    rig.fake().deregister_task_definition(&arn).await.unwrap();
    let outcome = rig.reconcile().await.unwrap();
    assert_eq!(ready_revision(&outcome), Some(2));
}

#[tokio::test]
async fn delete_deregisters_every_revision_this_object_registered() {
    let mut rig = Rig::new(task_definition("web"));
    rig.reconcile().await.unwrap();
    rig.set_image("nginx:1.28");
    rig.reconcile().await.unwrap();
    let notes = match rig.cleanup().await {
        Cleanup::Done(notes) => notes,
        other => panic!("{other:?}"),
    };
    assert!(rig.active("web").is_empty());
    assert!(notes.iter().any(|n| n.reason == "Deregistered"));
}

#[tokio::test]
async fn retain_leaves_the_revisions_registered() {
    let mut rig = Rig::new(task_definition("web"));
    rig.edit_spec(|s| s.deletion_policy = DeletionPolicy::Retain);
    rig.reconcile().await.unwrap();
    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert_eq!(rig.active("web"), [1]);
    assert_eq!(rig.fake().count("ecs:DeregisterTaskDefinition"), 0);
}

#[tokio::test]
async fn delete_waits_while_a_service_references_the_object_or_runs_a_revision() {
    let mut rig = Rig::new(task_definition("web"));
    rig.reconcile().await.unwrap();
    rig.users
        .reference("team-a", "web", "Service team-a/frontend");
    let Cleanup::Waiting(outcome) = rig.cleanup().await else {
        panic!("deletion must wait")
    };
    let Health::Progressing { reason, message } = &outcome.health else {
        panic!("{outcome:?}")
    };
    assert_eq!(*reason, "InUse");
    assert!(message.contains("team-a/frontend"), "{message}");
    assert_eq!(rig.active("web"), [1]);

    rig.users.forget_all();
    let arn = rig.object.status.as_ref().unwrap().arn.clone().unwrap();
    rig.users.run(&arn);
    assert!(matches!(rig.cleanup().await, Cleanup::Waiting(_)));

    rig.users.forget_all();
    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert!(rig.active("web").is_empty());
}
