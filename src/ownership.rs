//! Ownership tags: how the operator recognises the AWS resources it created.

use kube::ResourceExt;

use crate::aws::Tags;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Tagged with this object's UID.
    ThisObject,
    /// Untagged, or tagged for another object or tool.
    Someone,
}

pub fn owner_of<K: ResourceExt>(tags: &Tags, object: &K) -> Owner {
    match (tags.get(UID), object.uid()) {
        (Some(tagged), Some(uid)) if *tagged == uid => Owner::ThisObject,
        _ => Owner::Someone,
    }
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
