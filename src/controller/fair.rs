//! Reconcile slots shared fairly between namespaces.
//!
//! A kind's controller runs at most `--max-concurrent-reconciles` reconciles at once.
//! Handed out in the order objects came due, one namespace with hundreds of failing
//! objects (each holding its slot through its retries) would keep another namespace's
//! new objects waiting for minutes. Here a freed slot goes to the namespace with the
//! fewest reconciles running, the one served longest ago on a tie, and within a
//! namespace to the object that asked first: every namespace that has work gets an
//! equal share of the slots, and a namespace alone gets all of them.
//!
//! Slots cannot be taken back, so sharing alone still makes a newcomer wait for a
//! failing reconcile to finish its AWS retries (seconds, in an outage). Reconciles of
//! objects whose last reconcile failed therefore hold at most half the slots between
//! them: the other half always turns over quickly for healthy work.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::sync::Lock;

/// Whether a reconcile retries an object whose last reconcile failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    Fresh,
    Retry,
}

/// The slots of one controller.
pub struct FairSlots {
    state: Mutex<State>,
}

struct State {
    free: usize,
    /// Slots retries may hold at once, and how many they hold.
    retry_capacity: usize,
    retrying: usize,
    namespaces: HashMap<String, Queue>,
    /// Counts hand-outs, to tell which namespace was served longest ago.
    turn: u64,
}

#[derive(Default)]
struct Queue {
    running: usize,
    waiting: VecDeque<(oneshot::Sender<Slot>, Attempt)>,
    served_at: u64,
}

impl Queue {
    /// The first waiter that may start, if any: a retry only while retries hold
    /// fewer than their share.
    fn next_waiter(&self, retries_allowed: bool) -> Option<usize> {
        self.waiting
            .iter()
            .position(|(_, attempt)| retries_allowed || *attempt == Attempt::Fresh)
    }
}

/// One reconcile's slot; dropping it hands the slot on.
pub struct Slot {
    owner: Option<(Arc<FairSlots>, String, Attempt)>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((slots, namespace, attempt)) = self.owner.take() {
            slots.release(&namespace, attempt);
        }
    }
}

impl FairSlots {
    pub fn new(capacity: usize) -> Arc<Self> {
        let capacity = capacity.max(1);
        Arc::new(Self {
            state: Mutex::new(State {
                free: capacity,
                retry_capacity: capacity.div_ceil(2),
                retrying: 0,
                namespaces: HashMap::new(),
                turn: 0,
            }),
        })
    }

    /// Waits for a slot for a reconcile of an object in `namespace`.
    pub async fn acquire(self: &Arc<Self>, namespace: &str, attempt: Attempt) -> Slot {
        let (sender, receiver) = oneshot::channel();
        {
            let mut state = self.state.locked();
            state
                .namespaces
                .entry(namespace.to_string())
                .or_default()
                .waiting
                .push_back((sender, attempt));
            self.hand_out(&mut state);
        }
        match receiver.await {
            Ok(slot) => slot,
            // Only `hand_out` holds the sender, and it always sends or gives up the slot
            // by itself; a closed channel would mean the slots were dropped.
            Err(_) => Slot { owner: None },
        }
    }

    fn release(self: &Arc<Self>, namespace: &str, attempt: Attempt) {
        let mut state = self.state.locked();
        if let Some(queue) = state.namespaces.get_mut(namespace) {
            queue.running = queue.running.saturating_sub(1);
        }
        state.free += 1;
        if attempt == Attempt::Retry {
            state.retrying = state.retrying.saturating_sub(1);
        }
        self.hand_out(&mut state);
    }

    /// Gives free slots to waiters that may start, fairest namespace first.
    fn hand_out(self: &Arc<Self>, state: &mut State) {
        while state.free > 0 {
            let retries_allowed = state.retrying < state.retry_capacity;
            let next = state
                .namespaces
                .iter_mut()
                .filter_map(|(namespace, queue)| {
                    let waiter = queue.next_waiter(retries_allowed)?;
                    Some((queue.running, queue.served_at, namespace, queue, waiter))
                })
                .min_by_key(|(running, served_at, ..)| (*running, *served_at));
            let Some((_, _, namespace, queue, waiter)) = next else {
                break;
            };
            let Some((sender, attempt)) = queue.waiting.remove(waiter) else {
                break;
            };
            let slot = Slot {
                owner: Some((self.clone(), namespace.clone(), attempt)),
            };
            if let Err(mut unwanted) = sender.send(slot) {
                // The waiter gave up (its controller is shutting down): the slot stays
                // free, and its Drop must not lock again.
                unwanted.owner = None;
                continue;
            }
            state.turn += 1;
            queue.running += 1;
            queue.served_at = state.turn;
            state.free -= 1;
            if attempt == Attempt::Retry {
                state.retrying += 1;
            }
        }
        state
            .namespaces
            .retain(|_, queue| queue.running > 0 || !queue.waiting.is_empty());
    }

    #[cfg(test)]
    fn running(&self, namespace: &str) -> usize {
        self.state
            .locked()
            .namespaces
            .get(namespace)
            .map_or(0, |queue| queue.running)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn held(slots: &Arc<FairSlots>, namespace: &str, count: usize) -> Vec<Slot> {
        let mut held = Vec::new();
        for _ in 0..count {
            held.push(slots.acquire(namespace, Attempt::Fresh).await);
        }
        held
    }

    /// Starts `count` waiters in `namespace`, each reporting its namespace when served.
    fn waiters(
        slots: &Arc<FairSlots>,
        namespace: &'static str,
        count: usize,
        served: &tokio::sync::mpsc::UnboundedSender<(&'static str, Slot)>,
    ) {
        for _ in 0..count {
            let (slots, served) = (slots.clone(), served.clone());
            tokio::spawn(async move {
                let slot = slots.acquire(namespace, Attempt::Fresh).await;
                let _ = served.send((namespace, slot));
            });
        }
    }

    #[tokio::test]
    async fn a_namespace_alone_gets_every_slot() {
        let slots = FairSlots::new(3);
        let held = held(&slots, "a", 3).await;
        assert_eq!(slots.running("a"), 3);
        let waiting = tokio::time::timeout(
            Duration::from_millis(20),
            slots.acquire("a", Attempt::Fresh),
        )
        .await;
        assert!(waiting.is_err(), "a fourth reconcile must wait for a slot");
        drop(held);
        assert_eq!(slots.running("a"), 0);
        let _again = held_one(&slots, "a").await;
    }

    async fn held_one(slots: &Arc<FairSlots>, namespace: &str) -> Slot {
        tokio::time::timeout(
            Duration::from_millis(100),
            slots.acquire(namespace, Attempt::Fresh),
        )
        .await
        .expect("a free slot is handed out at once")
    }

    #[tokio::test]
    async fn a_quiet_namespace_is_served_before_a_busy_one_that_asked_first() {
        let slots = FairSlots::new(4);
        let mut busy = held(&slots, "busy", 4).await;
        let (served, mut order) = tokio::sync::mpsc::unbounded_channel();
        waiters(&slots, "busy", 100, &served);
        tokio::time::sleep(Duration::from_millis(10)).await;
        waiters(&slots, "quiet", 3, &served);
        tokio::time::sleep(Duration::from_millis(10)).await;

        // The busy namespace frees three slots: the quiet one takes them until both run
        // as many (busy 3, quiet 0; busy 2, quiet 1; then busy 1 with quiet at 2).
        let mut first = Vec::new();
        let mut kept = Vec::new();
        for _ in 0..3 {
            drop(busy.pop());
            let (namespace, slot) = order.recv().await.expect("a waiter is served");
            first.push(namespace);
            kept.push(slot);
        }
        assert_eq!(first, ["quiet", "quiet", "busy"], "{first:?}");
        assert_eq!((slots.running("busy"), slots.running("quiet")), (2, 2));
    }

    #[tokio::test]
    async fn busy_namespaces_share_the_slots_equally() {
        let slots = FairSlots::new(6);
        let (served, mut order) = tokio::sync::mpsc::unbounded_channel();
        let initial = held(&slots, "a", 6).await;
        waiters(&slots, "a", 50, &served);
        tokio::time::sleep(Duration::from_millis(10)).await;
        waiters(&slots, "b", 50, &served);
        waiters(&slots, "c", 50, &served);
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(initial);
        let mut running = Vec::new();
        for _ in 0..6 {
            running.push(order.recv().await.expect("a waiter is served"));
        }
        for namespace in ["a", "b", "c"] {
            assert_eq!(slots.running(namespace), 2, "{namespace}");
        }
        drop(running);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_passes_its_turn_on() {
        let slots = FairSlots::new(1);
        let only = held_one(&slots, "a").await;
        let gave_up = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire("b", Attempt::Fresh).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        gave_up.abort();
        let _ = gave_up.await;
        let next = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire("c", Attempt::Fresh).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(only);
        let slot = tokio::time::timeout(Duration::from_millis(100), next)
            .await
            .expect("the slot reaches the next waiter")
            .expect("the waiter ran");
        assert_eq!(slots.running("c"), 1);
        assert_eq!(slots.running("b"), 0);
        drop(slot);
        assert_eq!(slots.state.locked().free, 1, "every slot comes back");
        assert!(slots.state.locked().namespaces.is_empty());
    }

    #[tokio::test]
    async fn retries_hold_at_most_half_the_slots() {
        let slots = FairSlots::new(4);
        let mut retries = Vec::new();
        for _ in 0..2 {
            retries.push(slots.acquire("failing", Attempt::Retry).await);
        }
        let third = tokio::time::timeout(
            Duration::from_millis(20),
            slots.acquire("failing", Attempt::Retry),
        )
        .await;
        assert!(
            third.is_err(),
            "a third retry must wait while two of four slots retry"
        );
        let fresh = held(&slots, "healthy", 2).await;
        assert_eq!(
            slots.running("healthy"),
            2,
            "healthy work takes the other half at once"
        );
        drop(fresh);
        assert_eq!(
            slots.state.locked().free,
            2,
            "freed slots stay free for healthy work"
        );
        drop(retries.pop());
        let third = tokio::time::timeout(
            Duration::from_millis(100),
            slots.acquire("failing", Attempt::Retry),
        )
        .await
        .expect("a retry starts once another retry finishes");
        drop((third, retries));
        let state = slots.state.locked();
        assert_eq!(
            (state.free, state.retrying),
            (4, 0),
            "every slot comes back"
        );
    }

    #[tokio::test]
    async fn a_fresh_object_passes_retries_waiting_in_its_namespace() {
        let slots = FairSlots::new(2);
        let retry = slots.acquire("a", Attempt::Retry).await;
        let busy = held_one(&slots, "b").await;
        let (served, mut order) = tokio::sync::mpsc::unbounded_channel();
        for attempt in [Attempt::Retry, Attempt::Fresh] {
            let (slots, served) = (slots.clone(), served.clone());
            tokio::spawn(async move {
                let slot = slots.acquire("a", attempt).await;
                let _ = served.send((attempt, slot));
            });
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(busy);
        let (first, _slot) = order.recv().await.expect("a waiter is served");
        assert_eq!(
            first,
            Attempt::Fresh,
            "the retry asked first but retries hold their share"
        );
        drop(retry);
        let (second, _slot) = order.recv().await.expect("the retry is served");
        assert_eq!(second, Attempt::Retry);
    }
}
