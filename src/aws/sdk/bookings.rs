//! Service writes booked for later (`AwsApi::write_turn`): when each is due and the
//! receipt for its token. A booking whose Service never comes back for it (deleted, or
//! its spec changed so that nothing is written) is forgotten once it is well past due,
//! so the table holds only turns still to come however many Services pass through.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sync::Lock;

/// How long past its due time a booking waits for its Service to come back.
const KEPT_PAST_DUE: Duration = Duration::from_secs(300);
/// A Service back this close to its turn sends now.
const EARLY_ENOUGH: Duration = Duration::from_secs(1);

pub struct Bookings<R> {
    entries: Mutex<HashMap<String, (Instant, R)>>,
}

impl<R> Bookings<R> {
    pub fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// None: send now (the booked turn has come, or `book` found no long wait).
    /// Some(wait): booked, come back after `wait`. `book` is asked only when nothing
    /// is booked for `key`.
    pub fn turn(
        &self,
        key: String,
        now: Instant,
        book: impl FnOnce() -> Option<(Duration, R)>,
    ) -> Option<Duration> {
        let mut entries = self.entries.locked();
        if let Some((due, _)) = entries.get(&key) {
            let early = due.saturating_duration_since(now);
            return (early > EARLY_ENOUGH).then_some(early);
        }
        let (wait, receipt) = book()?;
        entries.retain(|_, (due, _)| now.saturating_duration_since(*due) <= KEPT_PAST_DUE);
        entries.insert(key, (now + wait, receipt));
        Some(wait)
    }

    /// The receipt booked for `key`, if any; the booking is used up.
    pub fn take(&self, key: &str) -> Option<R> {
        self.entries
            .locked()
            .remove(key)
            .map(|(_, receipt)| receipt)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.locked().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(30);

    #[test]
    fn a_booked_service_waits_for_its_turn_then_sends_with_its_receipt() {
        let bookings = Bookings::new();
        let start = Instant::now();
        let booked = bookings.turn("c/web".into(), start, || Some((WAIT, "receipt")));
        assert_eq!(booked, Some(WAIT));
        let early = bookings.turn("c/web".into(), start + Duration::from_secs(10), || {
            panic!("booked once only")
        });
        assert_eq!(early, Some(Duration::from_secs(20)));
        let due = bookings.turn("c/web".into(), start + WAIT, || panic!("booked once only"));
        assert_eq!(due, None);
        assert_eq!(bookings.take("c/web"), Some("receipt"));
        assert_eq!(bookings.take("c/web"), None);
    }

    #[test]
    fn no_long_wait_books_nothing() {
        let bookings: Bookings<()> = Bookings::new();
        assert_eq!(bookings.turn("c/web".into(), Instant::now(), || None), None);
        assert_eq!(bookings.len(), 0);
    }

    #[test]
    fn bookings_nobody_came_back_for_are_forgotten() {
        let bookings = Bookings::new();
        let start = Instant::now();
        for i in 0..100 {
            bookings.turn(format!("c/gone-{i}"), start, || Some((WAIT, ())));
        }
        let later = start + WAIT + KEPT_PAST_DUE + Duration::from_secs(1);
        bookings.turn("c/web".into(), later, || Some((WAIT, ())));
        assert_eq!(bookings.len(), 1);
        assert_eq!(bookings.take("c/gone-0"), None);
    }

    #[test]
    fn a_booking_still_within_reach_is_kept() {
        let bookings = Bookings::new();
        let start = Instant::now();
        bookings.turn("c/slow".into(), start, || Some((WAIT, "slow")));
        let later = start + WAIT + KEPT_PAST_DUE;
        bookings.turn("c/web".into(), later, || Some((WAIT, "web")));
        assert_eq!(bookings.take("c/slow"), Some("slow"));
    }
}
