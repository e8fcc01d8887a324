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
