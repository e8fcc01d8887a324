//! Events (events.k8s.io/v1). kube-runtime's Recorder folds an Event into an earlier
//! one of the same reason and keeps the earlier message, so "registered web:2" a
//! minute after "registered web:1" reached Kubernetes only as a count on the first.
//! Here only an Event identical in type, reason and message joins an earlier one's
//! series; any other text is a new Event.

use std::collections::HashMap;
use std::sync::Mutex;

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::reconcile::Note;
use crate::sync::Lock;

/// A repeat within this long of the last one counts on the earlier Event (client-go's
/// and kube-runtime's window); a later one is a new Event.
const SERIES_WINDOW: SignedDuration = SignedDuration::from_mins(6);
/// Series remembered at most, so a flood of distinct messages cannot grow memory
/// without bound; past it the oldest are forgotten (a repeat then makes a new Event).
const MAX_SERIES: usize = 4096;
/// The API server's limits: note at most 1 kB, a name a DNS subdomain of 253.
const NOTE_BYTES: usize = 1024;
const NAME_BYTES: usize = 253;
/// The Event name's suffix: '.' and up to 16 hex digits.
const SUFFIX_BYTES: usize = 17;

/// Publishes Events for every reconcile; shared by all controllers.
pub struct Recorder {
    client: kube::Client,
    controller: String,
    instance: String,
    series: Mutex<Remembered>,
}

impl Recorder {
    pub fn new(client: kube::Client, controller: String, instance: Option<String>) -> Self {
        Self {
            client,
            instance: instance.unwrap_or_else(|| controller.clone()),
            controller,
            series: Mutex::default(),
        }
    }

    /// Records `note` about `regarding`: a new Event, or one more in the series of the
    /// same Event seen within the window.
    pub async fn publish(
        &self,
        note: &Note,
        regarding: &ObjectReference,
    ) -> Result<(), kube::Error> {
        let namespace = regarding.namespace.clone().unwrap_or_default();
        let events: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let key = Key::of(note, regarding);
        let now = Timestamp::now();
        let step = self.series.locked().record(key.clone(), now);
        if let Step::Repeat { name, count } = step {
            let patch = json!({"series": EventSeries {count, last_observed_time: MicroTime(now)}});
            match events
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                // The API server expired it (its event TTL, an hour by default): start anew.
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                other => return other.map(drop),
            }
        }
        let event = self.event(note, regarding, now);
        let name = event.metadata.name.clone().unwrap_or_default();
        events.create(&PostParams::default(), &event).await?;
        self.series.locked().created(key, name, now);
        Ok(())
    }

    fn event(&self, note: &Note, regarding: &ObjectReference, now: Timestamp) -> Event {
        let object = regarding.name.as_deref().unwrap_or(&self.controller);
        Event {
            metadata: ObjectMeta {
                name: Some(event_name(object, now)),
                namespace: regarding.namespace.clone(),
                ..ObjectMeta::default()
            },
            event_time: Some(MicroTime(now)),
            type_: Some(if note.warning { "Warning" } else { "Normal" }.to_string()),
            reason: Some(note.reason.to_string()),
            note: Some(truncated(&note.message, NOTE_BYTES).to_string()),
            action: Some("Reconcile".to_string()),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.instance.clone()),
            ..Event::default()
        }
    }
}

/// What makes two Events the same: the object (by uid, so a recreated one starts
/// afresh), the type, the reason and the message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    uid: String,
    namespace: String,
    name: String,
    warning: bool,
    reason: &'static str,
    message: String,
}

impl Key {
    fn of(note: &Note, regarding: &ObjectReference) -> Self {
        Self {
            uid: regarding.uid.clone().unwrap_or_default(),
            namespace: regarding.namespace.clone().unwrap_or_default(),
            name: regarding.name.clone().unwrap_or_default(),
            warning: note.warning,
            reason: note.reason,
            message: truncated(&note.message, NOTE_BYTES).to_string(),
        }
    }
}

#[derive(Debug)]
struct Series {
    event: String,
    count: i32,
    last: Timestamp,
}

#[derive(Debug, PartialEq, Eq)]
enum Step {
    New,
    /// Raise the series of the Event `name` to `count`.
    Repeat {
        name: String,
        count: i32,
    },
}

#[derive(Default)]
struct Remembered(HashMap<Key, Series>);

impl Remembered {
    /// Whether `key` at `now` repeats a remembered Event; a repeat is counted.
    fn record(&mut self, key: Key, now: Timestamp) -> Step {
        self.0.retain(|_, s| s.last + SERIES_WINDOW > now);
        match self.0.get_mut(&key) {
            Some(series) => {
                series.count = series.count.saturating_add(1);
                series.last = now;
                Step::Repeat {
                    name: series.event.clone(),
                    count: series.count,
                }
            }
            None => Step::New,
        }
    }

    /// The Event `event` was created for `key`.
    fn created(&mut self, key: Key, event: String, now: Timestamp) {
        if self.0.len() >= MAX_SERIES
            && let Some(oldest) = self
                .0
                .iter()
                .min_by_key(|(_, s)| s.last)
                .map(|(k, _)| k.clone())
        {
            self.0.remove(&oldest);
        }
        self.0.insert(
            key,
            Series {
                event,
                count: 1,
                last: now,
            },
        );
    }
}

/// `<object>.<nanoseconds in hex>`, as kubectl and client-go name Events, with the
/// object's part shortened so the whole stays a valid name for any object name.
fn event_name(object: &str, now: Timestamp) -> String {
    let prefix = truncated(object, NAME_BYTES - SUFFIX_BYTES).trim_end_matches(['-', '.']);
    format!("{prefix}.{:x}", now.as_nanosecond())
}

/// The longest start of `text` within `bytes`, cut at a character boundary.
pub(crate) fn truncated(text: &str, bytes: usize) -> &str {
    if text.len() <= bytes {
        return text;
    }
    let mut end = bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(message: &str) -> Key {
        let regarding = ObjectReference {
            uid: Some("u-1".into()),
            namespace: Some("team-a".into()),
            name: Some("web".into()),
            ..ObjectReference::default()
        };
        Key::of(&Note::normal("Registered", message), &regarding)
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn the_same_message_again_counts_on_the_first_event() {
        let mut remembered = Remembered::default();
        assert_eq!(remembered.record(key("registered web:1"), at(0)), Step::New);
        remembered.created(key("registered web:1"), "web.1".into(), at(0));
        assert_eq!(
            remembered.record(key("registered web:1"), at(60)),
            Step::Repeat {
                name: "web.1".into(),
                count: 2
            }
        );
        assert_eq!(
            remembered.record(key("registered web:1"), at(120)),
            Step::Repeat {
                name: "web.1".into(),
                count: 3
            }
        );
    }

    #[test]
    fn a_new_message_with_the_same_reason_is_a_new_event() {
        let mut remembered = Remembered::default();
        assert_eq!(remembered.record(key("registered web:1"), at(0)), Step::New);
        remembered.created(key("registered web:1"), "web.1".into(), at(0));
        assert_eq!(
            remembered.record(key("registered web:2"), at(60)),
            Step::New
        );
    }

    #[test]
    fn a_repeat_after_the_window_is_a_new_event() {
        let mut remembered = Remembered::default();
        remembered.created(key("registered web:1"), "web.1".into(), at(0));
        assert_eq!(
            remembered.record(key("registered web:1"), at(361)),
            Step::New
        );
        assert!(remembered.0.is_empty(), "the expired series is forgotten");
    }

    #[test]
    fn a_recreated_object_starts_its_own_events() {
        let mut remembered = Remembered::default();
        remembered.created(key("registered web:1"), "web.1".into(), at(0));
        let mut recreated = key("registered web:1");
        recreated.uid = "u-2".into();
        assert_eq!(remembered.record(recreated, at(10)), Step::New);
    }

    #[test]
    fn remembered_series_are_bounded_and_the_oldest_goes_first() {
        let mut remembered = Remembered::default();
        let millisecond = |i: usize| {
            Timestamp::from_millisecond(1_800_000_000_000 + i64::try_from(i).unwrap()).unwrap()
        };
        for i in 0..=MAX_SERIES {
            remembered.created(key(&format!("m{i}")), format!("e{i}"), millisecond(i));
        }
        assert_eq!(remembered.0.len(), MAX_SERIES);
        assert_eq!(remembered.record(key("m0"), at(50)), Step::New);
        assert!(matches!(
            remembered.record(key("m1"), at(50)),
            Step::Repeat { .. }
        ));
    }

    #[test]
    fn event_names_are_valid_for_the_longest_object_names() {
        let long = format!("{}-x", "a".repeat(234));
        let name = event_name(&long, at(0));
        assert!(name.len() <= NAME_BYTES, "{} bytes", name.len());
        assert!(!name.contains("-."), "{name}");
        assert!(event_name("web", at(0)).starts_with("web."));
    }

    #[test]
    fn notes_are_cut_to_the_api_servers_limit_at_a_character_boundary() {
        let message = "é".repeat(600);
        let cut = truncated(&message, NOTE_BYTES);
        assert!(cut.len() <= NOTE_BYTES);
        assert_eq!(cut.chars().count(), 512);
        assert_eq!(truncated("short", NOTE_BYTES), "short");
    }
}
