//! Reconcile slots shared fairly between namespaces.
//!
//! A kind's controller runs at most `--max-concurrent-reconciles` reconciles at once.
//! Handed out in the order objects came due, one namespace with hundreds of failing
//! objects (each holding its slot through its retries) would keep another namespace's
//! new objects waiting for minutes. Here a freed slot goes to the namespace with the
//! fewest reconciles running, the one served longest ago on a tie, and within a
//! namespace to the object that asked first: every namespace that has work gets an
//! equal share of the slots, and a namespace alone gets all of them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::sync::Lock;

/// The slots of one controller.
pub struct FairSlots {
    state: Mutex<State>,
}

struct State {
    free: usize,
    namespaces: HashMap<String, Queue>,
    /// Counts hand-outs, to tell which namespace was served longest ago.
    turn: u64,
}

#[derive(Default)]
struct Queue {
    running: usize,
    waiting: VecDeque<oneshot::Sender<Slot>>,
    served_at: u64,
}

impl Queue {
    /// One more of this namespace's reconciles runs, served at the next turn.
    fn start(&mut self, turn: &mut u64) {
        *turn += 1;
        self.running += 1;
        self.served_at = *turn;
    }
}

/// One reconcile's slot; dropping it hands the slot on.
pub struct Slot {
    owner: Option<(Arc<FairSlots>, String)>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((slots, namespace)) = self.owner.take() {
            slots.release(&namespace);
        }
    }
}

impl FairSlots {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                free: capacity.max(1),
                namespaces: HashMap::new(),
                turn: 0,
            }),
        })
    }

    /// Waits for a slot for a reconcile of an object in `namespace`.
    pub async fn acquire(self: &Arc<Self>, namespace: &str) -> Slot {
        let receiver = {
            let mut state = self.state.locked();
            // A free slot means nobody waits: release hands slots to waiters first.
            let state = &mut *state;
            if state.free > 0 {
                state.free -= 1;
                let queue = state.namespaces.entry(namespace.to_string()).or_default();
                queue.start(&mut state.turn);
                return self.slot(namespace);
            }
            let (sender, receiver) = oneshot::channel();
            state
                .namespaces
                .entry(namespace.to_string())
                .or_default()
                .waiting
                .push_back(sender);
            receiver
        };
        match receiver.await {
            Ok(slot) => slot,
            // Only `release` holds the sender, and it always sends or gives up the slot
            // by itself; a closed channel would mean the slots were dropped.
            Err(_) => Slot { owner: None },
        }
    }

    fn slot(self: &Arc<Self>, namespace: &str) -> Slot {
        Slot {
            owner: Some((self.clone(), namespace.to_string())),
        }
    }

    fn release(self: &Arc<Self>, namespace: &str) {
        let mut state = self.state.locked();
        if let Some(queue) = state.namespaces.get_mut(namespace) {
            queue.running = queue.running.saturating_sub(1);
        }
        let state = &mut *state;
        loop {
            let next = state
                .namespaces
                .iter_mut()
                .filter(|(_, queue)| !queue.waiting.is_empty())
                .min_by_key(|(_, queue)| (queue.running, queue.served_at));
            let Some((next, queue)) = next else {
                state.free += 1;
                break;
            };
            let Some(sender) = queue.waiting.pop_front() else {
                continue;
            };
            queue.start(&mut state.turn);
            match sender.send(self.slot(next)) {
                Ok(()) => break,
                // The waiter gave up (its controller is shutting down): take the slot
                // back here rather than through its Drop, which would lock again.
                Err(mut unwanted) => {
                    unwanted.owner = None;
                    queue.running -= 1;
                }
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
            held.push(slots.acquire(namespace).await);
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
                let slot = slots.acquire(namespace).await;
                let _ = served.send((namespace, slot));
            });
        }
    }

    #[tokio::test]
    async fn a_namespace_alone_gets_every_slot() {
        let slots = FairSlots::new(3);
        let held = held(&slots, "a", 3).await;
        assert_eq!(slots.running("a"), 3);
        let waiting = tokio::time::timeout(Duration::from_millis(20), slots.acquire("a")).await;
        assert!(waiting.is_err(), "a fourth reconcile must wait for a slot");
        drop(held);
        assert_eq!(slots.running("a"), 0);
        let _again = held_one(&slots, "a").await;
    }

    async fn held_one(slots: &Arc<FairSlots>, namespace: &str) -> Slot {
        tokio::time::timeout(Duration::from_millis(100), slots.acquire(namespace))
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
            async move { slots.acquire("b").await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        gave_up.abort();
        let _ = gave_up.await;
        let next = tokio::spawn({
            let slots = slots.clone();
            async move { slots.acquire("c").await }
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
}
