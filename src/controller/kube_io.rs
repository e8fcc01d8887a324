//! Kubernetes writes shared by every kind: finalizer, status, Events.

use std::fmt::Debug;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use serde_json::value::RawValue;

use super::events::Recorder;
use crate::api::{FINALIZER, MANAGER};
use crate::reconcile::Note;

/// The writes one reconcile makes on its object.
pub struct KubeIo<'a, K> {
    api: Api<K>,
    recorder: &'a Recorder,
    reference: ObjectReference,
    name: String,
}

impl<'a, K> KubeIo<'a, K>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + Debug
        + DeserializeOwned
        + Serialize,
{
    pub fn new(client: kube::Client, recorder: &'a Recorder, object: &K) -> Self {
        let namespace = object.namespace().unwrap_or_default();
        Self {
            api: Api::namespaced(client, &namespace),
            recorder,
            reference: object.object_ref(&()),
            name: object.name_any(),
        }
    }

    pub fn has_finalizer(object: &K) -> bool {
        object.finalizers().iter().any(|f| f == FINALIZER)
    }

    /// Adds the finalizer; returns the object as written.
    pub async fn add_finalizer(&self, object: &K) -> Result<K, kube::Error> {
        let mut finalizers = object.finalizers().to_vec();
        finalizers.push(FINALIZER.to_string());
        self.set_finalizers(object, finalizers).await
    }

    /// Removes the finalizer; an object already gone is fine.
    pub async fn remove_finalizer(&self, object: &K) -> Result<(), kube::Error> {
        if !Self::has_finalizer(object) {
            return Ok(());
        }
        let finalizers = object
            .finalizers()
            .iter()
            .filter(|f| *f != FINALIZER)
            .cloned()
            .collect();
        match self.set_finalizers(object, finalizers).await {
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            other => other.map(drop),
        }
    }

    /// Replaces the finalizer list, guarded by resourceVersion so a concurrent edit is not lost.
    async fn set_finalizers(&self, object: &K, finalizers: Vec<String>) -> Result<K, kube::Error> {
        let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": object.resource_version()}});
        self.api
            .patch(&self.name, &PatchParams::default(), &Patch::Merge(patch))
            .await
    }

    /// Deletes the object itself, only if it is still the one this reconcile read (same
    /// uid); an object already gone is fine.
    pub async fn delete(&self, object: &K) -> Result<(), kube::Error> {
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: object.uid(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match self.api.delete(&self.name, &params).await {
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            other => other.map(drop),
        }
    }

    /// Server-side applies the status, owning every field it sets.
    pub async fn apply_status<S: Serialize>(&self, status: &S) -> Result<K, kube::Error> {
        let patch = json!({
            "apiVersion": K::api_version(&()),
            "kind": K::kind(&()),
            "status": status,
        });
        self.api
            .patch_status(
                &self.name,
                &PatchParams::apply(MANAGER).force(),
                &Patch::Apply(yaml_safe(&patch)?),
            )
            .await
    }

    /// Publishes Events; a failure to record one is logged, never fatal.
    pub async fn publish(&self, notes: &[Note]) {
        for note in notes {
            if let Err(e) = self.recorder.publish(note, &self.reference).await {
                tracing::warn!(object = %self.name, reason = note.reason, error = %e, "could not record Event");
            }
        }
    }
}

/// `value` as JSON the API server's YAML decoder takes. An apply patch is read as YAML,
/// which refuses raw characters outside its printable set (DEL, the C1 controls but
/// NEL, U+FFFE and U+FFFF) even inside strings, and serde_json writes non-ASCII raw:
/// a spec value such as a subnet holding U+008B, quoted back in a status message, would
/// make every status write fail. Those characters are written as JSON escapes, which
/// YAML reads back as the same characters.
fn yaml_safe(value: &serde_json::Value) -> Result<Box<RawValue>, kube::Error> {
    let text = serde_json::to_string(value).map_err(kube::Error::SerdeError)?;
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        let printable = matches!(
            c,
            '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{7e}' | '\u{85}'
        ) || ('\u{a0}'..='\u{fffd}').contains(&c)
            || c >= '\u{10000}';
        if printable {
            safe.push(c);
        } else {
            safe.push_str(&format!("\\u{:04x}", u32::from(c)));
        }
    }
    RawValue::from_string(safe).map_err(kube::Error::SerdeError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_yaml_refuses_are_escaped_and_read_back_the_same() {
        let value =
            json!({"message": "subnet a\u{8b}b, \u{7f}\u{fffe} stays; \u{e9}t\u{e9} \u{1f600}"});
        let safe = yaml_safe(&value).unwrap();
        assert!(safe.get().contains("a\\u008bb"), "{}", safe.get());
        assert!(!safe.get().contains('\u{8b}') && !safe.get().contains('\u{7f}'));
        assert!(
            safe.get().contains('\u{e9}'),
            "printable non-ASCII stays as it is"
        );
        let back: serde_json::Value = serde_json::from_str(safe.get()).unwrap();
        assert_eq!(back, value);
    }
}
