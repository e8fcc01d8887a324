//! Pre-deploy tasks (spec.preDeploy): before a Service sends ECS a new revision, one task
//! of that revision runs in the Service's cluster and network, and nothing is sent until
//! it succeeds. Its RunTask carries a client token made from the object, the move (the
//! revision the service runs, the new one) and the redeployToken, so a restart at any
//! point starts no second task for a move.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;

use super::plan::{Desired, Step, revision_key};
use crate::api::service::{PreDeploy, PreDeployStatus, ServiceSettings};
use crate::api::task::TaskTemplate;
use crate::api::{Service, ServiceSpec, ServiceStatus};
use crate::aws::{AwsApi, AwsError, Freshness, RunTask};
use crate::digest::sha256_hex;
use crate::ownership::{owner_of, ownership_tags};
use crate::reconcile::{Health, Next, Note, Outcome};
use crate::task::apply::{started_by, stop};
use crate::task::plan::{
    FAILED, RUNNING, SUCCEEDED, exit_codes, failure_parts, past_deadline, running_poll, unstopped,
};
use crate::task::status::{attempt_started, merge, stopped_for_deadline};

pub const PRE_DEPLOY_RUNNING: &str = "PreDeployRunning";
pub const PRE_DEPLOY_FAILED: &str = "PreDeployFailed";
pub const PRE_DEPLOY_SUCCEEDED: &str = "PreDeploySucceeded";
/// How soon the rollout follows a task's end, once status shows it.
const AFTER_TASK: Duration = Duration::from_secs(1);
const TASK_NOT_OWNED: &str = "PreDeployTaskNotOwned";

/// Where the pre-deploy task of the revision the steps send stands. Pure.
#[derive(Debug, PartialEq)]
pub enum Stage<'a> {
    /// Nothing to run first: no preDeploy, the steps send no new revision, or the
    /// revision's task succeeded already.
    Clear,
    /// Run the task on `revision`.
    Start { revision: &'a str },
    /// A task runs (this revision's, or one the spec moved away from): look at it.
    Running(&'a PreDeployStatus),
    /// Its task failed, with the spec's redeployToken as it is: wait for a change.
    Failed(&'a PreDeployStatus),
}

/// What the pre-deploy task of the revision `steps` would send needs. A revision whose
/// task succeeded is not run again; a failed one runs again only under a new
/// redeployToken. A running task is followed to its end whatever the spec now says, so
/// two never run at once.
pub fn stage<'a>(
    spec: &ServiceSpec,
    steps: &'a [Step],
    recorded: Option<&'a PreDeployStatus>,
) -> Stage<'a> {
    let Some(revision) = spec.pre_deploy.as_ref().and(revision_sent(steps)) else {
        return Stage::Clear;
    };
    if let Some(running) = recorded.filter(|r| r.run.result == RUNNING) {
        return Stage::Running(running);
    }
    let same_revision =
        recorded.filter(|r| revision_key(&r.task_definition) == revision_key(revision));
    match same_revision {
        Some(r) if r.run.result == SUCCEEDED => Stage::Clear,
        Some(r) if r.redeploy_token == spec.redeploy_token => Stage::Failed(r),
        _ => Stage::Start { revision },
    }
}

/// The revision the steps would start a deployment of: the one CreateService names, or
/// a new one UpdateService sends. A redeploy of the same revision is not a new one.
pub fn revision_sent(steps: &[Step]) -> Option<&str> {
    steps.iter().find_map(|step| match step {
        Step::Create(request) => request.task_definition.as_deref(),
        Step::Update { request, .. } => request.task_definition.as_deref(),
        Step::Tag { .. } | Step::Untag { .. } => None,
    })
}

/// What the Service shows while it waits: its status, the revision ECS runs, and the
/// revision the steps would send.
struct Place<'a> {
    previous: &'a ServiceStatus,
    live: Option<&'a str>,
    sent: Option<&'a str>,
}

/// Whether the plan may be applied now.
pub enum Gate {
    /// Apply it.
    Open,
    /// Not yet, or not at all: report this.
    Closed(Box<Outcome<ServiceStatus>>),
}

/// Runs or follows the pre-deploy task the plan needs first. `live` is the revision the
/// ECS service runs, if it exists. A task's end is written to status before anything
/// is sent, so a rollout that then fails to start does not lose the migration's result.
pub async fn gate(
    service: &Service,
    ecs: &dyn AwsApi,
    desired: &Desired,
    steps: &[Step],
    previous: &ServiceStatus,
    live: Option<&str>,
) -> Result<Gate, AwsError> {
    let Some(pre) = &service.spec.pre_deploy else {
        return Ok(Gate::Open);
    };
    let at = Place {
        previous,
        live,
        sent: revision_sent(steps),
    };
    let now = Timestamp::now();
    match stage(&service.spec, steps, previous.pre_deploy.as_ref()) {
        Stage::Clear => Ok(Gate::Open),
        Stage::Failed(record) => Ok(closed(&at, record.clone(), Vec::new(), now)),
        Stage::Start { revision } => start(service, pre, ecs, desired, revision, &at, now).await,
        Stage::Running(record) => {
            follow(service, pre, ecs, desired, record.clone(), &at, now).await
        }
    }
}

async fn start(
    service: &Service,
    pre: &PreDeploy,
    ecs: &dyn AwsApi,
    desired: &Desired,
    revision: &str,
    at: &Place<'_>,
    now: Timestamp,
) -> Result<Gate, AwsError> {
    let Some(definition) = ecs
        .describe_task_definition(revision, Freshness::Kept)
        .await?
    else {
        return Ok(Gate::Closed(Box::new(Outcome::stalled(
            at.previous.clone(),
            PRE_DEPLOY_FAILED,
            format!(
                "ECS does not know task definition {revision}, so its pre-deploy task cannot \
                 run; reference a revision that exists"
            ),
            Next::AwaitChange,
        ))));
    };
    let request = run_request(service, pre, desired, &definition.arn, at.live);
    let started = ecs.run_task(&request).await?;
    // A repeated RunTask answers with the first call's task: its deadline counts from then.
    let created = started.tasks.iter().filter_map(|t| t.created_at).min();
    let mut run = attempt_started(1, &started, created.unwrap_or(now));
    if started.tasks.is_empty() {
        run.result = FAILED.to_string();
    }
    let record = PreDeployStatus {
        task_definition: definition.arn.clone(),
        redeploy_token: service.spec.redeploy_token.clone(),
        essential_containers: definition
            .fields
            .container_definitions
            .iter()
            .filter(|c| c.essential != Some(false))
            .map(|c| c.name.clone())
            .collect(),
        exit_codes: None,
        run,
    };
    let note = match started.tasks.first() {
        Some(task) => Note::normal(
            "PreDeployStarted",
            format!(
                "started pre-deploy task {} of {}; the rollout waits for it",
                task.arn,
                revision_key(&definition.arn)
            ),
        ),
        None => Note::warning(
            PRE_DEPLOY_FAILED,
            format!(
                "RunTask started no pre-deploy task of {}: {}",
                revision_key(&definition.arn),
                started.failures.join("; ")
            ),
        ),
    };
    Ok(closed(at, record, vec![note], now))
}

async fn follow(
    service: &Service,
    pre: &PreDeploy,
    ecs: &dyn AwsApi,
    desired: &Desired,
    mut record: PreDeployStatus,
    at: &Place<'_>,
    now: Timestamp,
) -> Result<Gate, AwsError> {
    let unfinished = unstopped(&record.run);
    let described = if unfinished.is_empty() {
        Vec::new()
    } else {
        ecs.describe_tasks(&desired.cluster, &unfinished).await?
    };
    if let Some(foreign) = described
        .iter()
        .find(|t| !owner_of(&t.tags, service).is_this_object())
    {
        return Ok(Gate::Closed(Box::new(Outcome::stalled(
            at.previous.clone(),
            TASK_NOT_OWNED,
            format!(
                "status.preDeploy names ECS task {}, which this Service did not start (its tags \
                 say otherwise); the operator will not read or stop it. Remove status.preDeploy \
                 (kubectl edit --subresource=status) to run the pre-deploy task again",
                foreign.arn
            ),
            Next::AwaitChange,
        ))));
    }
    let runs = merge(
        std::slice::from_ref(&record.run),
        &described,
        &record.essential_containers,
        1,
    );
    if let Some(run) = runs.into_iter().next() {
        record.run = run;
    }
    let mut notes = Vec::new();
    if let Some(seconds) = pre.active_deadline_seconds
        && record.run.result == RUNNING
        && past_deadline(&record.run, seconds, now)
    {
        let running = unstopped(&record.run);
        let reason = format!("pre-deploy activeDeadlineSeconds {seconds} passed");
        for arn in &running {
            stop(ecs, &desired.cluster, arn, &reason).await?;
        }
        let after = ecs.describe_tasks(&desired.cluster, &running).await?;
        stopped_for_deadline(&mut record.run, seconds, &after);
        notes.push(Note::warning(
            PRE_DEPLOY_FAILED,
            format!("{reason}: stopped {}", running.join(", ")),
        ));
    }
    if record.run.result != RUNNING {
        record.exit_codes = Some(exit_codes(&record.run, &record.essential_containers));
    }
    if record.run.result == SUCCEEDED {
        notes.push(Note::normal(
            PRE_DEPLOY_SUCCEEDED,
            format!(
                "the pre-deploy task of {} succeeded (exit codes {})",
                revision_key(&record.task_definition),
                record.exit_codes.as_deref().unwrap_or_default()
            ),
        ));
    }
    Ok(closed(at, record, notes, now))
}

/// The Service waits on a running task, stalls on its revision's failed one, or, once
/// status shows a task's end, comes back at once to roll out or to start the task of
/// the revision the spec moved to meanwhile.
fn closed(at: &Place<'_>, record: PreDeployStatus, notes: Vec<Note>, now: Timestamp) -> Gate {
    let revision = revision_key(&record.task_definition).to_string();
    let (health, next) = if record.run.result == RUNNING {
        let task = record.run.tasks.first().map_or("", |t| t.arn.as_str());
        let health = Health::Progressing {
            reason: PRE_DEPLOY_RUNNING,
            message: format!(
                "waiting for pre-deploy task {task} of {revision} to succeed before rolling out"
            ),
        };
        (health, Next::After(running_poll(&record.run, now)))
    } else if record.run.result == SUCCEEDED {
        let then = match at.sent {
            Some(sent) if revision_key(sent) != revision => {
                format!(
                    "the spec moved on to {}, whose task runs next",
                    revision_key(sent)
                )
            }
            _ => "rolling out".to_string(),
        };
        let health = Health::Progressing {
            reason: PRE_DEPLOY_SUCCEEDED,
            message: format!("the pre-deploy task of {revision} succeeded; {then}"),
        };
        (health, Next::After(AFTER_TASK))
    } else if at.sent.is_some_and(|sent| revision_key(sent) != revision) {
        let health = Health::Progressing {
            reason: PRE_DEPLOY_RUNNING,
            message: format!(
                "the pre-deploy task of {revision} failed, and the spec has moved on; starting \
                 the next revision's"
            ),
        };
        (health, Next::After(AFTER_TASK))
    } else {
        let health = Health::Stalled {
            reason: PRE_DEPLOY_FAILED,
            message: failed_message(at.live, &record, &revision),
        };
        (health, Next::AwaitChange)
    };
    let status = ServiceStatus {
        pre_deploy: Some(record),
        ..at.previous.clone()
    };
    Gate::Closed(Box::new(Outcome {
        status,
        health,
        notes,
        next,
    }))
}

fn failed_message(live: Option<&str>, record: &PreDeployStatus, revision: &str) -> String {
    let stays = match live {
        Some(live) => format!("the Service stays on {}", revision_key(live)),
        None => "the ECS service is not created".to_string(),
    };
    format!(
        "the pre-deploy task of {revision} failed ({}), so {stays}. A new revision runs the task \
         again; so does a new spec.redeployToken, on {revision}",
        failure_parts(&record.run).join("; ")
    )
}

/// One task of `revision` where the service runs, under a token only this object, the
/// move from the `live` revision to this one and the redeployToken make: a retry answers
/// with the task the first call started, while moving back to an older revision later
/// is a new move, whose task runs.
fn run_request(
    service: &Service,
    pre: &PreDeploy,
    desired: &Desired,
    revision: &str,
    live: Option<&str>,
) -> RunTask {
    let uid = service.uid().unwrap_or_default();
    let mut tags = service.spec.tags.clone();
    tags.extend(ownership_tags(service));
    let token = service.spec.redeploy_token.as_deref().unwrap_or_default();
    let from = live.map(revision_key).unwrap_or_default();
    RunTask {
        cluster: desired.cluster.clone(),
        task_definition: revision.to_string(),
        count: 1,
        started_by: started_by(&uid),
        client_token: sha256_hex(
            format!("{uid}/pre-deploy/{from}/{}/{token}", revision_key(revision)).as_bytes(),
        ),
        tags,
        template: template(&desired.settings, pre),
    }
}

/// Where and how the service's tasks run, for RunTask.
fn template(settings: &ServiceSettings, pre: &PreDeploy) -> TaskTemplate {
    TaskTemplate {
        launch_type: settings.launch_type.clone(),
        capacity_provider_strategy: settings.capacity_provider_strategy.clone(),
        platform_version: settings.platform_version.clone(),
        network_configuration: settings.network_configuration.clone(),
        overrides: Some(pre.overrides.clone()),
        // RunTask copies tags only from the task definition (SERVICE is CreateService's).
        propagate_tags: settings
            .propagate_tags
            .clone()
            .filter(|p| p == "TASK_DEFINITION"),
        enable_ecs_managed_tags: settings.enable_ecs_managed_tags,
        placement_constraints: settings.placement_constraints.clone(),
        placement_strategy: settings.placement_strategy.clone(),
        ..TaskTemplate::default()
    }
}
