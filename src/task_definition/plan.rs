//! What to do about a family, decided from what was observed. Pure.

use std::collections::BTreeSet;

use k8s_openapi::jiff::Timestamp;

use super::SPEC_HASH_TAG;
use super::normalise::spec_hash;
use crate::api::TaskDefinition;
use crate::api::task_definition::TaskDefinitionFields;
use crate::aws::{EcsTaskDefinition, RegisterTaskDefinition, Tags};
use crate::ownership::{ownership_tags, tag_changes, user_tag_keys};
use crate::tenancy::{Rule, Use};

/// A revision this object registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub number: i32,
    pub arn: String,
    pub hash: String,
    pub registered_at: Option<Timestamp>,
}

impl Revision {
    pub fn of(registered: &EcsTaskDefinition) -> Self {
        Self {
            number: registered.revision,
            arn: registered.arn.clone(),
            hash: registered
                .tags
                .get(SPEC_HASH_TAG)
                .cloned()
                .unwrap_or_default(),
            registered_at: registered.registered_at,
        }
    }
}

/// What the spec asks for.
pub struct Desired {
    pub family: String,
    pub fields: TaskDefinitionFields,
    pub hash: String,
    /// The spec's tags, the ownership tags and the spec hash.
    pub tags: Tags,
    pub history_limit: usize,
}

impl Desired {
    pub fn from_object(td: &TaskDefinition) -> Self {
        let family = td.family();
        let hash = spec_hash(&family, &td.spec.definition);
        let mut tags = td.spec.tags.clone();
        tags.extend(ownership_tags(td));
        tags.insert(SPEC_HASH_TAG.to_string(), hash.clone());
        Self {
            fields: td.spec.definition.clone(),
            hash,
            tags,
            history_limit: usize::try_from(td.spec.revision_history_limit.max(1)).unwrap_or(1),
            family,
        }
    }

    pub fn register_request(&self) -> RegisterTaskDefinition {
        RegisterTaskDefinition {
            family: self.family.clone(),
            fields: self.fields.clone(),
            tags: self.tags.clone(),
        }
    }

    /// Keys of the user's tags (not the operator's), remembered in status.
    pub fn spec_tag_keys(&self) -> Vec<String> {
        user_tag_keys(&self.tags)
    }
}

/// One AWS call to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Register(Box<RegisterTaskDefinition>),
    Tag {
        arn: String,
        tags: Tags,
    },
    Untag {
        arn: String,
        keys: Vec<String>,
    },
    /// Owned revisions beyond the history limit that no Service uses.
    Deregister(Vec<String>),
}

/// The calls that bring the family to the spec, in order: register a revision when
/// the newest one this object registered came from another spec (or there is none),
/// else bring the latest revision's tags in line; then deregister what the history
/// limit lets go, a new registration counting as the newest revision.
/// `owned_newest_first` are this object's revisions, `latest` the newest of them as
/// ECS describes it, `recorded_tag_keys` the user tag keys status remembers.
pub fn plan(
    desired: &Desired,
    owned_newest_first: &[Revision],
    latest: Option<&EcsTaskDefinition>,
    recorded_tag_keys: &[String],
    in_use: &BTreeSet<String>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let registering = match latest {
        Some(latest) if !needs_registration(&desired.hash, owned_newest_first) => {
            let arn = || latest.arn.clone();
            let (set, remove) = tag_changes(&desired.tags, &latest.tags, recorded_tag_keys).calls();
            steps.extend(set.map(|tags| Step::Tag { arn: arn(), tags }));
            steps.extend(remove.map(|keys| Step::Untag { arn: arn(), keys }));
            false
        }
        _ => {
            steps.push(Step::Register(Box::new(desired.register_request())));
            true
        }
    };
    let mut history = Vec::new();
    if registering {
        // The revision about to be registered is the newest, and always stays.
        history.push(Revision {
            number: 0,
            arn: String::new(),
            hash: desired.hash.clone(),
            registered_at: None,
        });
    }
    history.extend_from_slice(owned_newest_first);
    let stale: Vec<String> = retention(&history, desired.history_limit, in_use)
        .deregister
        .into_iter()
        .map(|r| r.arn)
        .collect();
    if !stale.is_empty() {
        steps.push(Step::Deregister(stale));
    }
    steps
}

/// A new revision is needed when the newest one this object registered was made from
/// another spec, or when there is none.
pub fn needs_registration(desired_hash: &str, owned_newest_first: &[Revision]) -> bool {
    owned_newest_first
        .first()
        .is_none_or(|newest| newest.hash != desired_hash)
}

/// Which owned revisions stay and which are deregistered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    /// Newest first: the newest `limit`, plus older ones a Service still uses.
    pub keep: Vec<Revision>,
    pub deregister: Vec<Revision>,
}

/// Keeps the newest `limit` revisions and any older one in `in_use`.
pub fn retention(
    owned_newest_first: &[Revision],
    limit: usize,
    in_use: &BTreeSet<String>,
) -> Retention {
    let mut result = Retention::default();
    for (position, revision) in owned_newest_first.iter().enumerate() {
        if position < limit.max(1) || in_use.contains(&revision.arn) {
            result.keep.push(revision.clone());
        } else {
            result.deregister.push(revision.clone());
        }
    }
    result
}

/// Revision number and family of a task definition ARN
/// (arn:aws:ecs:region:account:task-definition/family:revision).
pub fn parse_arn(arn: &str) -> Option<(&str, i32)> {
    let (_, family_revision) = arn.rsplit_once('/')?;
    let (family, revision) = family_revision.rsplit_once(':')?;
    Some((family, revision.parse().ok()?))
}

/// Environment variable names that suggest a credential belongs in `secrets`.
const CREDENTIAL_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
];

/// (container, variable) pairs whose variable name looks like a credential, or whose value
/// is a URL carrying a password (`postgres://app:pw@db`). Only names are returned:
/// values must never reach a log or an Event.
pub fn credential_like_variables(fields: &TaskDefinitionFields) -> Vec<(String, String)> {
    fields
        .container_definitions
        .iter()
        .flat_map(|c| {
            c.environment
                .iter()
                .filter(|v| credential_like_name(&v.name) || has_url_password(&v.value))
                .map(|v| (c.name.clone(), v.name.clone()))
        })
        .collect()
}

/// (container, option) pairs of log driver options (`logConfiguration.options`) whose
/// name looks like a credential (`splunk-token`, a FireLens output's `apikey`) or whose
/// value is a URL carrying a password. Only names are returned, as for variables.
pub fn credential_like_log_options(fields: &TaskDefinitionFields) -> Vec<(String, String)> {
    fields
        .container_definitions
        .iter()
        .flat_map(|c| {
            let options = c.log_configuration.iter().flat_map(|l| &l.options);
            options.filter_map(|(name, value)| {
                // An endpoint names where credentials come from (awslogs-credentials-endpoint).
                let endpoint = name.to_ascii_uppercase().ends_with("ENDPOINT");
                let named = !endpoint && credential_like_name(name);
                (named || has_url_password(value)).then(|| (c.name.clone(), name.clone()))
            })
        })
        .collect()
}

/// Whether a variable or option name contains a credential word; `-` counts as `_`
/// (`splunk-token`).
fn credential_like_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace('-', "_");
    CREDENTIAL_WORDS.iter().any(|word| upper.contains(word))
}

/// Whether `value` holds a URL whose userinfo has a password: `scheme://user:pw@host`.
fn has_url_password(value: &str) -> bool {
    value.split("://").skip(1).any(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        authority.rsplit_once('@').is_some_and(|(userinfo, _)| {
            userinfo
                .split_once(':')
                .is_some_and(|(_, password)| !password.is_empty())
        })
    })
}

/// Linux capabilities Docker grants by default, which the restricted profile lets a
/// container list in capabilities.add (Pod Security Standards' baseline list).
const DEFAULT_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// What the restricted profile refuses in `fields`, each as the field and why.
pub fn beyond_restricted_profile(fields: &TaskDefinitionFields) -> Vec<String> {
    let mut found = Vec::new();
    for (i, volume) in fields.volumes.iter().enumerate() {
        if let Some(path) = volume.host.as_ref().and_then(|h| h.source_path.as_ref()) {
            found.push(format!(
                "spec.volumes[{i}].host.sourcePath {path} (a path on the host)"
            ));
        }
    }
    for (field, value) in [
        ("spec.pidMode", &fields.pid_mode),
        ("spec.ipcMode", &fields.ipc_mode),
        ("spec.networkMode", &fields.network_mode),
    ] {
        if value.as_deref() == Some("host") {
            found.push(format!("{field} host (the host's namespace)"));
        }
    }
    for (i, container) in fields.container_definitions.iter().enumerate() {
        let added = container
            .linux_parameters
            .as_ref()
            .and_then(|l| l.capabilities.as_ref())
            .map_or(&[][..], |c| c.add.as_slice());
        for (j, capability) in added.iter().enumerate() {
            let name = capability.trim_start_matches("CAP_");
            if !DEFAULT_CAPABILITIES.contains(&name) {
                found.push(format!(
                    "spec.containerDefinitions[{i}].linuxParameters.capabilities.add[{j}] {capability}"
                ));
            }
        }
    }
    for (i, container) in fields.container_definitions.iter().enumerate() {
        if container.privileged == Some(true) {
            found.push(format!(
                "spec.containerDefinitions[{i}].privileged (root on the host)"
            ));
        }
    }
    for (i, container) in fields.container_definitions.iter().enumerate() {
        let devices = container
            .linux_parameters
            .as_ref()
            .map_or(&[][..], |l| l.devices.as_slice());
        for (j, device) in devices.iter().enumerate() {
            found.push(format!(
                "spec.containerDefinitions[{i}].linuxParameters.devices[{j}] {} (a device on the host)",
                device.host_path
            ));
        }
    }
    for (i, container) in fields.container_definitions.iter().enumerate() {
        for (j, option) in container.docker_security_options.iter().enumerate() {
            // no-new-privileges only tightens the container's confinement.
            if option != "no-new-privileges" {
                found.push(format!(
                    "spec.containerDefinitions[{i}].dockerSecurityOptions[{j}] {option} (the host's confinement)"
                ));
            }
        }
    }
    found
}

/// What the TaskDefinition would name and reference in AWS, for the TenantPolicy check.
pub fn tenant_uses(td: &TaskDefinition) -> Vec<Use> {
    let field = if td.spec.family.is_some() {
        "spec.family"
    } else {
        "metadata.name"
    };
    let task = &td.spec.definition;
    let roles = [
        ("spec.taskRoleArn", &task.task_role_arn),
        ("spec.executionRoleArn", &task.execution_role_arn),
    ];
    std::iter::once(Use::new(Rule::Family, field, td.family()))
        .chain(roles.into_iter().filter_map(|(field, arn)| {
            arn.as_ref()
                .map(|arn| Use::new(Rule::Role, field, arn.clone()))
        }))
        .collect()
}
