//! Under a long rate-limit queue a Service about to write comes back at its turn instead
//! of waiting inside its reconcile, and makes no AWS call meanwhile.

use std::time::Duration;

use super::tests::{Objects, Rig, TD2, reason};
use crate::reconcile::Next;

#[tokio::test]
async fn a_service_whose_write_must_queue_comes_back_at_its_turn_without_a_call() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    let calls = rig.fake().calls().len();
    rig.objects.task_definition_at(TD2, 2);
    rig.fake().queue_writes(Some(Duration::from_secs(40)));

    let waiting = rig.reconcile().await;
    assert_eq!(reason(&waiting), "WaitingForQuota");
    assert_eq!(waiting.next, Next::Turn(Duration::from_secs(40)));
    assert_eq!(rig.fake().calls().len(), calls, "not even a describe");

    rig.fake().queue_writes(None);
    rig.reconcile().await;
    assert_eq!(rig.fake().count("ecs:UpdateService"), 1, "sent at its turn");
}

#[tokio::test]
async fn a_resync_with_nothing_to_write_never_waits_for_the_write_quota() {
    let mut rig = Rig::new();
    rig.until_ready(3).await;
    rig.fake().queue_writes(Some(Duration::from_secs(40)));
    assert_eq!(reason(&rig.reconcile().await), "Ready");
}
