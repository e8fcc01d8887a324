//! Task definition revisions in the fake ECS.

use crate::aws::RevisionState;
use crate::sync::Lock;
use k8s_openapi::jiff::Timestamp;

use super::{ACCOUNT, FakeEcs, REGION, State};
use crate::api::task_definition::TaskDefinitionFields;
use crate::aws::{
    AwsError, EcsTaskDefinition, ErrorKind, RegisterTaskDefinition, Tags, TaskDefinitionPage,
};

const FIRST_REGISTRATION: i64 = 1_767_225_600;

impl FakeEcs {
    /// ListTaskDefinitions returns at most `n` ARNs per page (ECS's own maximum is 100).
    pub fn set_page_size(&self, n: usize) {
        self.state.locked().page_size = Some(n);
    }

    /// Every revision of `family`, in any state, oldest first.
    pub fn task_definitions(&self, family: &str) -> Vec<EcsTaskDefinition> {
        let state = self.state.locked();
        state
            .task_definitions
            .iter()
            .filter(|t| t.family == family)
            .cloned()
            .collect()
    }

    /// Registers a revision as if someone else (the console, another tool) had.
    pub fn insert_task_definition(
        &self,
        family: &str,
        fields: TaskDefinitionFields,
        tags: Tags,
    ) -> EcsTaskDefinition {
        let request = RegisterTaskDefinition {
            family: family.to_string(),
            fields,
            tags,
        };
        register(&mut self.state.locked(), &request).expect("valid revision")
    }
}

pub fn register(
    state: &mut State,
    request: &RegisterTaskDefinition,
) -> Result<EcsTaskDefinition, AwsError> {
    check(&request.fields)?;
    // Revision numbers keep counting past deregistered ones (ECS Developer Guide,
    // "Amazon ECS task definition states").
    let revision = state
        .task_definitions
        .iter()
        .filter(|t| t.family == request.family)
        .map(|t| t.revision)
        .max()
        .unwrap_or(0)
        + 1;
    let registered = EcsTaskDefinition {
        arn: format!(
            "arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{}:{revision}",
            request.family
        ),
        family: request.family.clone(),
        revision,
        status: RevisionState::Active,
        registered_at: Timestamp::from_second(
            FIRST_REGISTRATION + state.task_definitions.len() as i64,
        )
        .ok(),
        tags: request.tags.clone(),
        fields: request.fields.clone(),
    };
    state.task_definitions.push(registered.clone());
    Ok(registered)
}

/// One of the checks ECS makes at registration that a schema cannot: a Fargate task that
/// logs with awslogs needs an execution role (ECS Developer Guide, "Task execution IAM role").
fn check(fields: &TaskDefinitionFields) -> Result<(), AwsError> {
    let fargate = fields
        .requires_compatibilities
        .iter()
        .any(|c| c == "FARGATE");
    let awslogs = fields.container_definitions.iter().any(|c| {
        c.log_configuration
            .as_ref()
            .is_some_and(|l| l.log_driver == "awslogs")
    });
    if fargate && awslogs && fields.execution_role_arn.is_none() {
        return Err(AwsError::new(
            ErrorKind::InvalidInput,
            "ecs:RegisterTaskDefinition",
            "ClientException",
            "Fargate requires task definition to have execution role ARN to support log driver awslogs.",
        ));
    }
    Ok(())
}

/// A revision by ARN or family:revision.
pub fn find<'a>(state: &'a State, arn: &str) -> Option<&'a EcsTaskDefinition> {
    state
        .task_definitions
        .iter()
        .find(|t| t.arn == arn || format!("{}:{}", t.family, t.revision) == arn)
}

pub fn find_mut<'a>(state: &'a mut State, arn: &str) -> Option<&'a mut EcsTaskDefinition> {
    state.task_definitions.iter_mut().find(|t| t.arn == arn)
}

/// ACTIVE revisions whose family starts with the prefix, by family then revision,
/// in pages (ECS API Reference, ListTaskDefinitions).
pub fn list(
    state: &State,
    family_prefix: &str,
    next_token: Option<&str>,
) -> Result<TaskDefinitionPage, AwsError> {
    let mut matching: Vec<&EcsTaskDefinition> = state
        .task_definitions
        .iter()
        .filter(|t| t.status == RevisionState::Active && t.family.starts_with(family_prefix))
        .collect();
    matching.sort_by(|a, b| (&a.family, a.revision).cmp(&(&b.family, b.revision)));
    let start = match next_token {
        None => 0,
        Some(token) => token.parse().map_err(|_| {
            AwsError::new(
                ErrorKind::InvalidInput,
                "ecs:ListTaskDefinitions",
                "InvalidParameterException",
                "Invalid nextToken",
            )
        })?,
    };
    let size = state.page_size.unwrap_or(100);
    let end = (start + size).min(matching.len());
    Ok(TaskDefinitionPage {
        arns: matching[start..end].iter().map(|t| t.arn.clone()).collect(),
        next_token: (end < matching.len()).then(|| end.to_string()),
    })
}

/// Deregistered revisions stay describable as INACTIVE (ECS API Reference, DeregisterTaskDefinition).
pub fn deregister(state: &mut State, arn: &str) -> Result<(), AwsError> {
    let revision = find_mut(state, arn).ok_or_else(|| not_found("ecs:DeregisterTaskDefinition"))?;
    revision.status = RevisionState::Inactive;
    Ok(())
}

/// ECS reports an unknown revision as a ClientException.
pub fn not_found(action: &'static str) -> AwsError {
    AwsError::new(
        ErrorKind::InvalidInput,
        action,
        "ClientException",
        "Unable to describe task definition.",
    )
}
