//! Ownership tags: how the operator recognises the AWS resources it created.

use kube::ResourceExt;

use crate::aws::Tags;
use crate::reconcile::{Next, Outcome};

pub const MANAGED_BY: &str = "ecs.operator.dev/managed-by";
pub const NAMESPACE: &str = "ecs.operator.dev/namespace";
pub const NAME: &str = "ecs.operator.dev/name";
pub const UID: &str = "ecs.operator.dev/uid";
const MANAGER: &str = "ecs-operator";

/// The tags that mark an AWS resource as belonging to this Kubernetes object.
pub fn ownership_tags<K: ResourceExt>(object: &K) -> Tags {
    Tags::from([
        (MANAGED_BY.to_string(), MANAGER.to_string()),
        (
            NAMESPACE.to_string(),
            object.namespace().unwrap_or_default(),
        ),
        (NAME.to_string(), object.name_any()),
        (UID.to_string(), object.uid().unwrap_or_default()),
    ])
}

/// Who an AWS resource belongs to, judged by its tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Tagged with this object's UID.
    ThisObject,
    /// Tagged for another object: its namespace, name and UID as the tags say.
    OtherObject {
        namespace: String,
        name: String,
        uid: String,
    },
    /// Without the operator's UID tag: made by hand or by another tool.
    Untagged,
}

impl Owner {
    pub fn is_this_object(&self) -> bool {
        *self == Self::ThisObject
    }
}

pub fn owner_of<K: ResourceExt>(tags: &Tags, object: &K) -> Owner {
    let tag = |key: &str| tags.get(key).cloned().unwrap_or_default();
    match (tags.get(UID), object.uid()) {
        (Some(tagged), Some(uid)) if *tagged == uid => Owner::ThisObject,
        (Some(tagged), _) => Owner::OtherObject {
            namespace: tag(NAMESPACE),
            name: tag(NAME),
            uid: tagged.clone(),
        },
        (None, _) => Owner::Untagged,
    }
}

/// Why an object may not adopt a resource it did not create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Tagged for another live object, or for one in another namespace: never adopted.
    OwnedElsewhere(String),
    /// The operator's admin has not allowed adoption in this namespace.
    NotAllowed(String),
}

/// The Stalled outcome of a refused adoption. Status stays empty, as for a name
/// conflict: it claims nothing of the resource. A change of spec, or the admin's leave
/// (seen at the next resync), lets it try again.
pub fn refused<S: Default>(refusal: Refusal) -> Outcome<S> {
    let (reason, message) = match refusal {
        Refusal::OwnedElsewhere(message) => ("OwnedElsewhere", message),
        Refusal::NotAllowed(message) => ("AdoptionNotAllowed", message),
    };
    Outcome::stalled(S::default(), reason, message, Next::Resync)
}

/// Whether `object` may adopt a resource whose tags say `owner` (not this object). A
/// resource of another namespace, or of a live object, is never adopted: that would let
/// one tenant take over what another owns. Anything else needs the admin's leave for the
/// namespace (`adoption_allowed`). `live_uid` finds the UID of the object of this kind
/// named `name` in `namespace`, if it exists.
pub fn may_adopt<K: ResourceExt>(
    owner: &Owner,
    object: &K,
    what: &str,
    adoption_allowed: bool,
    live_uid: impl Fn(&str, &str) -> Option<String>,
) -> Result<(), Refusal> {
    let namespace = object.namespace().unwrap_or_default();
    if let Owner::OtherObject {
        namespace: theirs,
        name,
        uid,
    } = owner
    {
        if *theirs != namespace {
            return Err(Refusal::OwnedElsewhere(format!(
                "{what} belongs to {theirs}/{name} in another namespace; it is never adopted \
                 across namespaces: choose another name"
            )));
        }
        if live_uid(theirs, name).as_deref() == Some(uid.as_str()) {
            return Err(Refusal::OwnedElsewhere(format!(
                "{what} belongs to {theirs}/{name}, which still exists; delete that object \
                 (with deletionPolicy: Retain) before another adopts it, or choose another name"
            )));
        }
    }
    if !adoption_allowed {
        return Err(Refusal::NotAllowed(format!(
            "{what} was not created by this object, and no TenantPolicy allows adoption in \
             namespace {namespace} (spec.adoption: Allowed); ask the cluster admin for one, or \
             choose another name"
        )));
    }
    Ok(())
}

/// Whether a tag key is one of the operator's own (never user-managed).
pub fn is_ownership_key(key: &str) -> bool {
    key.starts_with("ecs.operator.dev/")
}

/// Keys of the user's tags among `tags` (not the operator's own).
pub fn user_tag_keys(tags: &Tags) -> Vec<String> {
    tags.keys()
        .filter(|k| !is_ownership_key(k))
        .cloned()
        .collect()
}

/// Tag writes that make an AWS resource's tags match `desired`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Tags to add or overwrite.
    pub set: Tags,
    /// Keys to remove.
    pub remove: Vec<String>,
}

impl TagChanges {
    /// The tags to set and the keys to remove, each only when there are any: the
    /// TagResource and UntagResource calls to make.
    pub fn calls(self) -> (Option<Tags>, Option<Vec<String>>) {
        (
            (!self.set.is_empty()).then_some(self.set),
            (!self.remove.is_empty()).then_some(self.remove),
        )
    }
}

/// `previous_keys` are the spec tag keys applied last time, so a tag removed from the
/// spec is removed from AWS while tags set by others stay.
pub fn tag_changes(desired: &Tags, observed: &Tags, previous_keys: &[String]) -> TagChanges {
    TagChanges {
        set: desired
            .iter()
            .filter(|(k, v)| observed.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove: previous_keys
            .iter()
            .filter(|k| {
                !desired.contains_key(*k) && observed.contains_key(*k) && !is_ownership_key(k)
            })
            .cloned()
            .collect(),
    }
}
