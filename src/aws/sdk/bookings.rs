//! Service writes booked for later (`AwsApi::write_turn`): each Service's booking, and
//! when it was last told to come back. A booking whose Service never comes back for it
//! (deleted, or its spec changed so that nothing is written) is forgotten once it is
//! well past that time, so the table holds only turns still to come however many
//! Services pass through.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sync::Lock;

/// How long past the time it was told to come back a booking waits for its Service.
const KEPT_PAST_DUE: Duration = Duration::from_secs(300);

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
    /// Some(wait): booked, come back after `wait`. `book` is asked only when nothing is
    /// booked for `key`; `wait` says how long a booking still has to go.
    pub fn turn(
        &self,
        key: String,
        now: Instant,
        book: impl FnOnce() -> Option<(Duration, R)>,
        wait: impl FnOnce(&R) -> Option<Duration>,
    ) -> Option<Duration> {
        let mut entries = self.entries.locked();
        if let Some((told, booking)) = entries.get_mut(&key) {
            let left = wait(booking)?;
            *told = now + left;
            return Some(left);
        }
        let (left, booking) = book()?;
        entries.retain(|_, (told, _)| now.saturating_duration_since(*told) <= KEPT_PAST_DUE);
        entries.insert(key, (now + left, booking));
        Some(left)
    }

    /// The booking for `key`, if any; it is used up.
    pub fn take(&self, key: &str) -> Option<R> {
        self.entries
            .locked()
            .remove(key)
            .map(|(_, booking)| booking)
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

    fn booked_once<R>() -> Option<(Duration, R)> {
        panic!("booked once only")
    }

    fn never_asked(_: &&str) -> Option<Duration> {
        panic!("nothing booked yet")
    }

    #[test]
    fn a_booked_service_is_told_again_until_its_turn_then_sends_with_its_booking() {
        let bookings = Bookings::new();
        let start = Instant::now();
        let key = || "c/web".to_string();
        let booked = bookings.turn(key(), start, || Some((WAIT, "receipt")), never_asked);
        assert_eq!(booked, Some(WAIT));
        let later = start + WAIT;
        let again = bookings.turn(key(), later, booked_once, |_| Some(Duration::from_secs(5)));
        assert_eq!(again, Some(Duration::from_secs(5)), "not yet: told again");
        let due = bookings.turn(key(), later, booked_once, |_| None);
        assert_eq!(due, None);
        assert_eq!(bookings.take("c/web"), Some("receipt"));
        assert_eq!(bookings.take("c/web"), None);
    }

    #[test]
    fn no_long_wait_books_nothing() {
        let bookings: Bookings<&str> = Bookings::new();
        let now = Instant::now();
        assert_eq!(
            bookings.turn("c/web".into(), now, || None, never_asked),
            None
        );
        assert_eq!(bookings.len(), 0);
    }

    #[test]
    fn bookings_nobody_came_back_for_are_forgotten() {
        let bookings = Bookings::new();
        let start = Instant::now();
        for i in 0..100 {
            bookings.turn(
                format!("c/gone-{i}"),
                start,
                || Some((WAIT, "gone")),
                never_asked,
            );
        }
        let later = start + WAIT + KEPT_PAST_DUE + Duration::from_secs(1);
        bookings.turn("c/web".into(), later, || Some((WAIT, "web")), never_asked);
        assert_eq!(bookings.len(), 1);
        assert_eq!(bookings.take("c/gone-0"), None);
    }

    #[test]
    fn a_booking_told_to_wait_again_is_kept_from_then() {
        let bookings = Bookings::new();
        let start = Instant::now();
        bookings.turn("c/slow".into(), start, || Some((WAIT, "slow")), never_asked);
        bookings.turn("c/slow".into(), start + WAIT, booked_once, |_| Some(WAIT));
        let later = start + WAIT + KEPT_PAST_DUE + Duration::from_secs(1);
        bookings.turn("c/web".into(), later, || Some((WAIT, "web")), never_asked);
        assert_eq!(bookings.take("c/slow"), Some("slow"));
    }
}
