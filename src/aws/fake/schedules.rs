//! EventBridge Scheduler in the fake: schedule groups with tags, schedules stored as
//! sent, and a test's way to make a schedule come due (`fire_schedule`), which runs its
//! target's tasks as the emulator's schedules do (hack/testenv/emulator, schedules.py).

use std::collections::BTreeMap;

use super::{ACCOUNT, FakeEcs, REGION, State, tasks};
use crate::api::task::TaskTemplate;
use crate::aws::{AwsError, EcsSchedule, ErrorKind, RunTask, Tags};
use crate::sync::Lock;

#[derive(Default)]
pub struct SchedulerState {
    /// Group name to its tags (the default group has none).
    groups: BTreeMap<String, Tags>,
    /// (group, name) to the schedule as last written.
    schedules: BTreeMap<(String, String), EcsSchedule>,
    /// CreateSchedule client tokens, to the ARN each created.
    tokens: BTreeMap<String, String>,
    fired: usize,
}

fn group_arn(name: &str) -> String {
    format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{name}")
}

fn not_found(action: &'static str, what: &str) -> AwsError {
    AwsError::new(
        ErrorKind::NotFound,
        action,
        "ResourceNotFoundException",
        format!("{what} does not exist."),
    )
}

fn conflict(action: &'static str, what: &str) -> AwsError {
    AwsError::new(
        ErrorKind::InUse,
        action,
        "ConflictException",
        format!("{what} already exists."),
    )
}

impl FakeEcs {
    /// The schedule comes due: its target's tasks start as RunTask would start them,
    /// grouped `family:NAME` unless the target names a group, tagged with the target's
    /// tags, without startedBy (Scheduler's EcsParameters has none). Returns their ARNs.
    pub fn fire_schedule(&self, group: &str, name: &str) -> Vec<String> {
        let mut state = self.state.locked();
        let key = (group.to_string(), name.to_string());
        let Some(schedule) = state.scheduler.schedules.get(&key).cloned() else {
            panic!("no schedule {group}/{name}");
        };
        state.scheduler.fired += 1;
        let target = &schedule.target;
        let request = RunTask {
            cluster: target.cluster_arn.clone(),
            task_definition: target.task_definition_arn.clone(),
            count: target.task_count,
            started_by: String::new(),
            client_token: format!("schedule-run-{}", state.scheduler.fired),
            tags: target.tags.clone(),
            template: TaskTemplate {
                launch_type: target.launch_type.clone(),
                group: target.group.clone(),
                ..TaskTemplate::default()
            },
        };
        let Ok(started) = tasks::run(&mut state, &request) else {
            panic!("schedule {group}/{name} could not run its task");
        };
        started.tasks.into_iter().map(|t| t.arn).collect()
    }

    /// The schedule as last written, as tests inspect it.
    pub fn schedule(&self, group: &str, name: &str) -> Option<EcsSchedule> {
        let key = (group.to_string(), name.to_string());
        self.state.locked().scheduler.schedules.get(&key).cloned()
    }
}

/// GetSchedule (Scheduler API Reference): ResourceNotFoundException for an unknown
/// schedule or group, which the port reports as None.
pub fn get(state: &State, group: &str, name: &str) -> Option<EcsSchedule> {
    state
        .scheduler
        .schedules
        .get(&(group.to_string(), name.to_string()))
        .cloned()
}

/// CreateSchedule: the group must exist (ResourceNotFoundException), the name must be
/// new in it (ConflictException); a client token already used answers with the schedule
/// its first request created (API Reference, CreateSchedule ClientToken).
pub fn create(state: &mut State, schedule: &EcsSchedule) -> Result<String, AwsError> {
    const ACTION: &str = "scheduler:CreateSchedule";
    if let Some(arn) = state.scheduler.tokens.get(&schedule.client_token) {
        return Ok(arn.clone());
    }
    if schedule.group != "default" && !state.scheduler.groups.contains_key(&schedule.group) {
        return Err(not_found(
            ACTION,
            &format!("Schedule group {}", schedule.group),
        ));
    }
    let key = (schedule.group.clone(), schedule.name.clone());
    if state.scheduler.schedules.contains_key(&key) {
        return Err(conflict(ACTION, &format!("Schedule {}", schedule.name)));
    }
    let stored = EcsSchedule {
        arn: format!(
            "arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{}/{}",
            schedule.group, schedule.name
        ),
        created: Some(k8s_openapi::jiff::Timestamp::now()),
        client_token: String::new(),
        ..schedule.clone()
    };
    let arn = stored.arn.clone();
    state.scheduler.schedules.insert(key, stored);
    if !schedule.client_token.is_empty() {
        state
            .scheduler
            .tokens
            .insert(schedule.client_token.clone(), arn.clone());
    }
    Ok(arn)
}

/// UpdateSchedule replaces every field of a schedule that exists.
pub fn update(state: &mut State, schedule: &EcsSchedule) -> Result<String, AwsError> {
    const ACTION: &str = "scheduler:UpdateSchedule";
    let key = (schedule.group.clone(), schedule.name.clone());
    let Some(stored) = state.scheduler.schedules.get_mut(&key) else {
        return Err(not_found(ACTION, &format!("Schedule {}", schedule.name)));
    };
    *stored = EcsSchedule {
        arn: stored.arn.clone(),
        created: stored.created,
        client_token: String::new(),
        ..schedule.clone()
    };
    Ok(stored.arn.clone())
}

pub fn delete(state: &mut State, group: &str, name: &str) -> Result<(), AwsError> {
    state
        .scheduler
        .schedules
        .remove(&(group.to_string(), name.to_string()))
        .map(|_| ())
        .ok_or_else(|| not_found("scheduler:DeleteSchedule", &format!("Schedule {name}")))
}

/// CreateScheduleGroup: ConflictException for a name in use.
pub fn create_group(state: &mut State, name: &str, tags: &Tags) -> Result<String, AwsError> {
    if state.scheduler.groups.contains_key(name) {
        return Err(conflict(
            "scheduler:CreateScheduleGroup",
            &format!("Schedule group {name}"),
        ));
    }
    state
        .scheduler
        .groups
        .insert(name.to_string(), tags.clone());
    Ok(group_arn(name))
}

/// ListTagsForResource of a schedule group, by ARN.
pub fn group_tags(state: &State, arn: &str) -> Result<Tags, AwsError> {
    state
        .scheduler
        .groups
        .iter()
        .find(|(name, _)| group_arn(name) == arn)
        .map(|(_, tags)| tags.clone())
        .ok_or_else(|| not_found("scheduler:ListTagsForResource", &format!("Resource {arn}")))
}

impl FakeEcs {
    /// A schedule group made by someone else, as a test puts one in place.
    pub fn insert_schedule_group(&self, name: &str, tags: Tags) {
        self.state
            .locked()
            .scheduler
            .groups
            .insert(name.to_string(), tags);
    }
}
