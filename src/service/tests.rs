//! Reconciler tests: the Service reconcile against the in-memory ECS fake, whose
//! rollouts progress when the test advances time, with status carried between rounds
//! as the controller writes it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::ObjectMeta;

use super::*;
use crate::api::common::condition::{READY, RECONCILING};
use crate::api::{Cluster, ClusterStatus, TaskDefinition, TaskDefinitionStatus};
use crate::aws::ServiceState;
use crate::aws::fake::FakeEcs;
use crate::aws::retry::Retrying;
use crate::aws::{CreateService, Tags};
use crate::controller::TestIndex;
use crate::controller::status::next_status;
use crate::ownership::UID;
use crate::reconcile::Cleanup;
use crate::tenancy::tests::adoption_allowed_in;

pub(super) const TD1: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1";
pub(super) const TD2: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";
const CLUSTER_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/main";

fn ready(generation: i64) -> Vec<Condition> {
    vec![Condition {
        type_: READY.into(),
        status: "True".into(),
        reason: "Ready".into(),
        message: String::new(),
        observed_generation: Some(generation),
        last_transition_time: Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
    }]
}

fn meta(name: &str, uid: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some("shop".into()),
        uid: Some(uid.into()),
        generation: Some(1),
        ..Default::default()
    }
}

/// The Cluster and TaskDefinition the Service references, as the caches would show them.
pub(super) trait Objects {
    fn ready_cluster(&mut self);
    /// The TaskDefinition object with `arn` registered for its generation `generation`.
    fn task_definition_at(&mut self, arn: &str, generation: i64);
}

impl Objects for TestIndex {
    fn ready_cluster(&mut self) {
        let mut cluster = Cluster::new("main", Default::default());
        cluster.metadata = meta("main", "uid-cluster");
        cluster.status = Some(ClusterStatus {
            arn: Some(CLUSTER_ARN.into()),
            conditions: ready(1),
            ..Default::default()
        });
        self.clusters = vec![Arc::new(cluster)];
    }

    fn task_definition_at(&mut self, arn: &str, generation: i64) {
        let mut td = TaskDefinition::new("web", Default::default());
        td.metadata = meta("web", "uid-td");
        td.metadata.generation = Some(generation);
        td.status = Some(TaskDefinitionStatus {
            arn: Some(arn.into()),
            conditions: ready(generation),
            ..Default::default()
        });
        self.task_definitions = vec![Arc::new(td)];
    }
}

pub(super) fn service_object(uid: &str) -> Service {
    Service {
        metadata: meta("web", uid),
        spec: serde_json::from_value(serde_json::json!({
            "clusterRef": {"name": "main"},
            "taskDefinitionRef": {"name": "web"},
            "desiredCount": 2,
            "launchType": "FARGATE",
            "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}},
            "tags": {"team": "shop"},
        }))
        .unwrap(),
        status: None,
    }
}

pub(super) struct Rig {
    pub ecs: Retrying<FakeEcs>,
    pub(super) objects: TestIndex,
    pub object: Service,
}

impl Rig {
    /// A ready Cluster and TaskDefinition (revision 1), and a Service referencing both.
    pub(super) fn new() -> Self {
        let ecs = Retrying::new(FakeEcs::default(), 4, Duration::ZERO);
        ecs.inner().insert_cluster("main", Tags::new());
        let mut objects = TestIndex::default();
        objects.ready_cluster();
        objects.task_definition_at(TD1, 1);
        Self {
            ecs,
            objects,
            object: service_object("uid-web"),
        }
    }

    /// Registers the next revision of `web` in ECS, one container running `image`.
    pub(super) fn register_revision(&self, image: &str) -> String {
        self.register_revision_with(image, &BTreeMap::new())
    }

    /// Registers the next revision of `web` in ECS, one container running `image` with
    /// `environment`.
    pub(super) fn register_revision_with(
        &self,
        image: &str,
        environment: &BTreeMap<String, String>,
    ) -> String {
        let environment: Vec<_> = environment
            .iter()
            .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
            .collect();
        let fields = serde_json::from_value(serde_json::json!({
            "containerDefinitions": [{"name": "web", "image": image, "environment": environment}]
        }))
        .unwrap();
        self.fake()
            .insert_task_definition("web", fields, Tags::new())
            .arn
    }

    pub(super) fn fake(&self) -> &FakeEcs {
        self.ecs.inner()
    }

    pub(super) async fn reconcile(&mut self) -> Outcome<ServiceStatus> {
        let outcome = reconcile(&self.object, &self.ecs, &self.objects)
            .await
            .expect("reconcile succeeds");
        self.record(&outcome);
        outcome
    }

    /// One reconcile as the driver runs it: a panic becomes Stalled InternalError.
    pub(super) async fn reconcile_contained(
        &mut self,
        metrics: &crate::telemetry::Metrics,
    ) -> Outcome<ServiceStatus> {
        let previous = self.object.status.clone().unwrap_or_default();
        let work = reconcile(&self.object, &self.ecs, &self.objects);
        let (outcome, _) = crate::reconcile::contained("service", metrics, previous, work, |o| o)
            .await
            .into_parts();
        let outcome = outcome.expect("reconcile succeeds");
        self.record(&outcome);
        outcome
    }

    fn record(&mut self, outcome: &Outcome<ServiceStatus>) {
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        self.object.status = Some(next_status(
            &self.object,
            outcome.status.clone(),
            &outcome.health,
            "us-east-1",
            &now,
        ));
    }

    pub(super) async fn cleanup(&mut self) -> Cleanup<ServiceStatus> {
        let result = cleanup(&self.object, &self.ecs, &self.objects)
            .await
            .expect("cleanup succeeds");
        if let Cleanup::Waiting(outcome) = &result {
            self.record(outcome);
        }
        result
    }

    pub(super) fn edit_spec(&mut self, edit: impl FnOnce(&mut crate::api::ServiceSpec)) {
        edit(&mut self.object.spec);
        *self.object.metadata.generation.as_mut().unwrap() += 1;
    }

    pub(super) fn ecs_service(&self) -> crate::aws::EcsService {
        self.fake()
            .service("main", "web")
            .expect("the ECS service exists")
    }

    /// Reconciles, advancing simulated time, until Ready (at most `rounds` times).
    pub(super) async fn until_ready(&mut self, rounds: usize) -> Outcome<ServiceStatus> {
        let mut last = self.reconcile().await;
        for _ in 0..rounds {
            if matches!(last.health, Health::Ready { .. }) {
                break;
            }
            self.fake().advance();
            last = self.reconcile().await;
        }
        last
    }
}

pub(super) fn reason(outcome: &Outcome<ServiceStatus>) -> &'static str {
    match &outcome.health {
        Health::Ready { .. } => "Ready",
        Health::Progressing { reason, .. } | Health::Stalled { reason, .. } => reason,
    }
}

#[tokio::test]
async fn service_is_ready_only_once_its_first_rollout_completes() {
    let mut rig = Rig::new();
    let first = rig.reconcile().await;
    assert_eq!(reason(&first), "RolloutInProgress");
    assert!(first.notes.iter().any(|n| n.reason == "Created"));
    let service = rig.ecs_service();
    assert_eq!(service.task_definition, TD1);
    assert_eq!(service.desired_count, 2);
    assert_eq!(service.tags.get("team").map(String::as_str), Some("shop"));
    assert_eq!(service.tags.get(UID).map(String::as_str), Some("uid-web"));

    rig.fake().advance();
    let second = rig.reconcile().await;
    assert_eq!(reason(&second), "Ready", "{:?}", second.health);
    let status = rig.object.status.clone().unwrap();
    assert_eq!(status.running_count, Some(2));
    assert_eq!(status.task_definition_arn.as_deref(), Some(TD1));
    assert_eq!(
        status.selector.as_deref(),
        Some("ecs.operator.dev/service=web")
    );
    assert_eq!(status.deployments.len(), 1);
}

#[tokio::test]
async fn once_rollouts_here_finish_fast_a_new_one_is_looked_at_a_second_after_it_began() {
    use super::rollout::FIRST_LOOK_MIN;
    let mut rig = Rig::new();
    let created = rig.reconcile().await;
    assert_eq!(
        created.next,
        Next::After(CONVERGE_POLL),
        "nothing is known of this region's pace yet"
    );
    rig.fake().advance();
    assert_eq!(reason(&rig.reconcile().await), "Ready");
    let typical = rig.ecs.rollout_pace().typical();
    assert!(
        typical.is_some_and(|t| t < FIRST_LOOK_MIN),
        "the fake completes deployments at once: {typical:?}"
    );

    rig.objects.task_definition_at(TD2, 2);
    let rolling = rig.reconcile().await;
    assert_eq!(reason(&rolling), "RolloutInProgress");
    assert!(
        matches!(rolling.next, Next::After(d) if d <= FIRST_LOOK_MIN && d > FIRST_LOOK_MIN / 2),
        "{:?}",
        rolling.next
    );
}

#[tokio::test]
async fn service_waits_for_its_cluster_and_task_definition() {
    let mut rig = Rig::new();
    rig.objects.clusters.clear();
    assert_eq!(reason(&rig.reconcile().await), "WaitingForCluster");

    rig.objects.ready_cluster();
    // The TaskDefinition was edited (generation 2) but its new revision is not registered yet.
    let mut td = (*rig.objects.task_definitions[0]).clone();
    td.metadata.generation = Some(2);
    rig.objects.task_definitions = vec![Arc::new(td)];
    let waiting = rig.reconcile().await;
    assert_eq!(reason(&waiting), "WaitingForTaskDefinition");
    assert_eq!(rig.fake().count("ecs:CreateService"), 0);
    let conditions = &rig.object.status.as_ref().unwrap().conditions;
    assert!(
        conditions
            .iter()
            .any(|c| c.type_ == RECONCILING && c.status == "True")
    );
}

#[tokio::test]
async fn a_crash_after_create_service_leaves_one_service() {
    let mut rig = Rig::new();
    rig.reconcile().await;
    // The operator died before writing status: the next reconcile starts from nothing.
    rig.object.status = None;
    rig.reconcile().await;
    assert_eq!(rig.fake().count("ecs:CreateService"), 1);
    assert_eq!(rig.fake().service_count("web"), 1);
}

#[tokio::test]
async fn a_lost_create_service_response_reuses_the_client_token() {
    let mut rig = Rig::new();
    // Call 1 is DescribeServices; call 2, CreateService, takes effect but its answer is lost.
    rig.fake().lose_response(2);
    rig.reconcile().await;
    assert_eq!(
        rig.fake().count("ecs:CreateService"),
        2,
        "the retry repeats the call"
    );
    assert_eq!(
        rig.fake().service_count("web"),
        1,
        "the token makes it create nothing"
    );
}

#[tokio::test]
async fn a_recreated_object_waits_while_the_old_service_drains() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    assert!(matches!(rig.cleanup().await, Cleanup::Waiting(_)));
    assert_eq!(rig.ecs_service().status, ServiceState::Draining);

    // The same manifest applied again: a new object, so a new UID.
    rig.object = service_object("uid-web-2");
    let waiting = rig.reconcile().await;
    assert_eq!(reason(&waiting), "WaitingForDrain");
    assert_eq!(rig.fake().count("ecs:CreateService"), 1);

    rig.fake().advance();
    rig.until_ready(3).await;
    assert_eq!(rig.fake().count("ecs:CreateService"), 2);
    assert_eq!(rig.ecs_service().status, ServiceState::Active);
    assert_eq!(
        rig.ecs_service().tags.get(UID).map(String::as_str),
        Some("uid-web-2")
    );
}

fn someone_elses_service(rig: &Rig) {
    rig.fake().insert_service(&CreateService {
        cluster: "main".into(),
        name: "web".into(),
        task_definition: Some(TD1.into()),
        client_token: "console".into(),
        tags: BTreeMap::from([("owner".into(), "console".into())]),
        ..Default::default()
    });
}

#[tokio::test]
async fn a_foreign_service_with_the_same_name_is_left_alone() {
    let mut rig = Rig::new();
    someone_elses_service(&rig);
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "NameConflict");
    let Health::Stalled { message, .. } = &outcome.health else {
        panic!("a conflict stalls");
    };
    assert!(message.contains("adoptionPolicy: Adopt"), "{message}");
    assert_eq!(rig.fake().count("ecs:UpdateService"), 0);
    assert!(!rig.ecs_service().tags.contains_key(UID));

    // Nor is it deleted with the object.
    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert_eq!(rig.ecs_service().status, ServiceState::Active);
}

#[tokio::test]
async fn adopt_takes_over_a_foreign_service() {
    let mut rig = Rig::new();
    someone_elses_service(&rig);
    rig.object.spec.adoption_policy = AdoptionPolicy::Adopt;
    rig.objects.tenant_policies = vec![adoption_allowed_in("shop")];
    let outcome = rig.reconcile().await;
    assert!(outcome.notes.iter().any(|n| n.reason == "Adopted"));
    let service = rig.ecs_service();
    assert_eq!(service.tags.get(UID).map(String::as_str), Some("uid-web"));
    assert_eq!(service.desired_count, 2);
    assert_eq!(rig.fake().service_count("web"), 1);
}

#[tokio::test]
async fn a_new_task_definition_revision_rolls_the_service_out() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;

    rig.objects.task_definition_at(TD2, 2);
    let rolling = rig.reconcile().await;
    assert_eq!(reason(&rolling), "RolloutInProgress");
    assert!(
        rolling
            .notes
            .iter()
            .any(|n| n.reason == "Updated" && n.message.contains("taskDefinition"))
    );
    assert_eq!(rig.ecs_service().task_definition, TD2);
    assert_eq!(
        rig.ecs_service().deployments.len(),
        2,
        "old and new run side by side"
    );
    let status = rig.object.status.clone().unwrap();
    assert_eq!(status.task_definition_arn.as_deref(), Some(TD2));

    // Still rolling: not Ready, and no second UpdateService.
    let again = rig.reconcile().await;
    assert_eq!(reason(&again), "RolloutInProgress");
    assert_eq!(rig.fake().count("ecs:UpdateService"), 1);

    rig.fake().advance();
    let done = rig.reconcile().await;
    assert_eq!(reason(&done), "Ready");
}

#[tokio::test]
async fn a_circuit_breaker_rollback_stalls_and_is_not_retried() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    rig.register_revision("nginx:1.27");
    assert_eq!(rig.register_revision("nginx:does-not-exist"), TD2);
    rig.objects.task_definition_at(TD2, 2);
    rig.reconcile().await;
    rig.fake().advance();

    let failed = rig.reconcile().await;
    assert_eq!(reason(&failed), "DeploymentFailed");
    assert!(
        failed
            .notes
            .iter()
            .any(|n| n.reason == "DeploymentFailed" && n.warning)
    );
    let Health::Stalled { message, .. } = &failed.health else {
        panic!("a failed rollout stalls");
    };
    assert!(message.contains("circuit breaker"), "{message}");
    assert!(
        message.contains("TaskFailedToStart: CannotPullContainerError"),
        "the message names why the tasks stopped: {message}"
    );
    let listed = rig.fake().count("ecs:ListTasks");
    assert_eq!((listed, rig.fake().count("ecs:DescribeTasks")), (1, 1));

    // ECS finishes the rollback; the operator must not push the failing revision again.
    for _ in 0..5 {
        rig.fake().advance();
        let outcome = rig.reconcile().await;
        assert_eq!(reason(&outcome), "DeploymentFailed");
        assert!(
            outcome.notes.iter().all(|n| n.reason != "DeploymentFailed"),
            "warned once"
        );
    }
    assert_eq!(rig.fake().count("ecs:UpdateService"), 1);
    assert_eq!(rig.ecs_service().task_definition, TD1);
    let Health::Stalled { message, .. } = &rig.reconcile().await.health else {
        panic!("still stalled after the rollback");
    };
    assert!(
        message.contains("ECS rolled back to web:1")
            && message.contains("CannotPullContainerError"),
        "the reason outlives the failed deployment: {message}"
    );
    assert_eq!(
        rig.fake().count("ecs:ListTasks") + rig.fake().count("ecs:DescribeTasks"),
        2,
        "the stopped tasks are read once per failed deployment, not once per poll"
    );

    // A new redeployToken is the way to try again.
    rig.edit_spec(|s| s.redeploy_token = Some("retry-1".into()));
    rig.reconcile().await;
    assert_eq!(rig.fake().count("ecs:UpdateService"), 2);
}

#[tokio::test]
async fn twenty_idle_resyncs_send_no_update() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    let before = rig.fake().calls().len();
    for _ in 0..20 {
        let outcome = rig.reconcile().await;
        assert_eq!(reason(&outcome), "Ready");
        assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);
    }
    let calls = rig.fake().calls()[before..].to_vec();
    assert!(
        calls.iter().all(|c| *c == "ecs:DescribeServices"),
        "{calls:?}"
    );
    assert_eq!(calls.len(), 20, "one DescribeServices per resync");
}

#[tokio::test]
async fn scaling_changes_only_the_count_and_starts_no_deployment() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    rig.edit_spec(|s| s.settings.desired_count = Some(5));
    let scaled = rig.reconcile().await;
    let service = rig.ecs_service();
    assert_eq!(service.desired_count, 5);
    assert_eq!(service.deployments.len(), 1);
    assert!(
        scaled
            .notes
            .iter()
            .any(|n| n.message.ends_with("desiredCount"))
    );
    rig.fake().advance();
    assert_eq!(reason(&rig.reconcile().await), "Ready");
}

#[tokio::test]
async fn new_ecs_service_events_become_kubernetes_events_once() {
    let mut rig = Rig::new();
    rig.reconcile().await;
    rig.fake().advance();
    let ready = rig.reconcile().await;
    let mirrored: Vec<_> = ready
        .notes
        .iter()
        .filter(|n| n.reason == "ServiceEvent")
        .collect();
    assert_eq!(mirrored.len(), 1, "{:?}", ready.notes);
    assert!(mirrored[0].message.contains("has reached a steady state"));
    let again = rig.reconcile().await;
    assert!(again.notes.iter().all(|n| n.reason != "ServiceEvent"));
    assert_eq!(rig.object.status.as_ref().unwrap().events.len(), 1);
}

#[tokio::test]
async fn delete_scales_to_zero_and_waits_for_inactive() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    let Cleanup::Waiting(waiting) = rig.cleanup().await else {
        panic!("deletion waits while the service drains");
    };
    assert_eq!(reason(&waiting), "Deleting");
    let calls = rig.fake().calls();
    let update = calls
        .iter()
        .position(|c| *c == "ecs:UpdateService")
        .unwrap();
    let delete = calls
        .iter()
        .position(|c| *c == "ecs:DeleteService")
        .unwrap();
    assert!(update < delete, "scaled to 0 before DeleteService");
    assert_eq!(rig.ecs_service().desired_count, 0);

    assert!(
        matches!(rig.cleanup().await, Cleanup::Waiting(_)),
        "still DRAINING"
    );
    rig.fake().advance();
    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert_eq!(rig.ecs_service().status, ServiceState::Inactive);
    assert_eq!(rig.fake().count("ecs:DeleteService"), 1);
}

#[tokio::test]
async fn retain_leaves_the_service_running() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    rig.object.spec.deletion_policy = crate::api::DeletionPolicy::Retain;
    assert!(matches!(rig.cleanup().await, Cleanup::Done(_)));
    assert_eq!(rig.ecs_service().status, ServiceState::Active);
    assert_eq!(rig.fake().count("ecs:DeleteService"), 0);
}

#[tokio::test]
async fn an_unknown_cluster_stalls_with_a_message_naming_it() {
    let mut rig = Rig::new();
    rig.object.spec.cluster_ref = None;
    rig.object.spec.cluster = Some("does-not-exist".into());
    let outcome = rig.reconcile().await;
    assert_eq!(reason(&outcome), "ClusterNotFound");
    let Health::Stalled { message, .. } = &outcome.health else {
        panic!("an unknown cluster stalls");
    };
    assert!(
        message.contains("does-not-exist") && message.contains("spec.cluster"),
        "{message}"
    );
    assert_eq!(rig.fake().service_count("web"), 0);
}

#[tokio::test]
async fn tag_changes_reach_ecs_and_removed_tags_are_removed() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    rig.edit_spec(|s| {
        s.tags = BTreeMap::from([("cost-centre".into(), "42".into())]);
    });
    let outcome = rig.reconcile().await;
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.message.starts_with("updated the tags"))
    );
    let tags = rig.ecs_service().tags;
    assert_eq!(tags.get("cost-centre").map(String::as_str), Some("42"));
    assert!(!tags.contains_key("team"), "{tags:?}");
    assert!(tags.contains_key(UID), "ownership tags stay");
    assert_eq!(
        rig.fake().count("ecs:UpdateService"),
        0,
        "tags need no UpdateService"
    );
}
