//! A reconcile that panics (a bug, whatever the object holds) stalls only its own
//! object: the others keep converging on the same AWS client, and it retries with a
//! growing backoff instead of a hot loop.

use std::time::Duration;

use super::tests::{Rig, reason, service_object};
use crate::controller::Backoff;
use crate::controller::requeue_delay;
use crate::reconcile::{Health, Next, REASON_INTERNAL_ERROR};
use crate::telemetry::Metrics;

#[tokio::test]
async fn a_panicking_reconcile_stalls_its_object_and_spares_the_others() {
    let mut rig = Rig::new();
    let metrics = Metrics::default();
    let backoff = Backoff::default();
    rig.fake().panic_on_describe("broken");
    let mut broken = service_object("uid-broken");
    broken.metadata.name = Some("broken".into());
    let web = std::mem::replace(&mut rig.object, broken);

    let outcome = rig.reconcile_contained(&metrics).await;
    assert_eq!(reason(&outcome), REASON_INTERNAL_ERROR);
    let Health::Stalled { message, .. } = &outcome.health else {
        panic!("expected Stalled, got {:?}", outcome.health)
    };
    assert!(
        message.contains("told to panic") && message.contains("report it"),
        "{message}"
    );
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.warning && n.reason == REASON_INTERNAL_ERROR)
    );
    let panics = r#"ecs_operator_reconcile_panics_total{controller="service"}"#;
    assert!(metrics.encode().contains(&format!("{panics} 1")));
    let resync = Duration::from_secs(60);
    let first = requeue_delay(outcome.next, &backoff, resync, "shop/broken");

    let again = rig.reconcile_contained(&metrics).await;
    assert_eq!(again.next, Next::Backoff);
    let second = requeue_delay(again.next, &backoff, resync, "shop/broken");
    assert!(
        matches!((first, second), (Some(a), Some(b)) if a < b && a >= Duration::from_secs(1)),
        "a repeating panic backs off: {first:?} then {second:?}"
    );

    // The panic poisoned the fake's lock; the next object is served regardless.
    rig.object = web;
    let mut last = rig.reconcile_contained(&metrics).await;
    for _ in 0..3 {
        if reason(&last) == "Ready" {
            break;
        }
        rig.fake().advance();
        last = rig.reconcile_contained(&metrics).await;
    }
    assert_eq!(reason(&last), "Ready", "{:?}", last.health);
    assert_eq!(
        requeue_delay(last.next, &backoff, resync, "shop/web").map(|d| d >= resync.mul_f64(0.8)),
        Some(true)
    );
    let text = metrics.encode();
    assert!(text.contains(&format!("{panics} 2")), "{text}");
}
