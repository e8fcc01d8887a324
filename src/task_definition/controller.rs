//! Runs `TaskDefinition` reconciles against Kubernetes through the shared controller shell.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::Api;
use kube::runtime::controller::Action;

use super::usage::ServiceObjects;
use crate::api::{TaskDefinition, TaskDefinitionStatus};
use crate::controller::shell::{self, Managed};
use crate::controller::{Context, ReconcileError};

impl Managed for TaskDefinition {
    type Status = TaskDefinitionStatus;
    const LABEL: &'static str = "taskdefinition";

    fn current_status(&self) -> Option<&TaskDefinitionStatus> {
        self.status.as_ref()
    }

    fn shared_fields(
        status: &mut TaskDefinitionStatus,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>) {
        (
            &mut status.conditions,
            &mut status.observed_generation,
            &mut status.region,
        )
    }
}

/// The shared context plus where to learn which revisions Services use.
pub struct TaskDefinitionContext {
    pub base: Arc<Context>,
    pub users: Arc<ServiceObjects>,
}

impl AsRef<Context> for TaskDefinitionContext {
    fn as_ref(&self) -> &Context {
        &self.base
    }
}

/// Watches TaskDefinition objects (in `namespace`, or everywhere) until `shutdown` resolves.
pub async fn run(
    ctx: Arc<TaskDefinitionContext>,
    namespace: Option<&str>,
    concurrency: u16,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let client = ctx.base.client.clone();
    let api: Api<TaskDefinition> = match namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    };
    ctx.users.wait_until_ready().await;
    shell::run(api, ctx, concurrency, shutdown, reconcile).await;
}

async fn reconcile(
    td: Arc<TaskDefinition>,
    ctx: Arc<TaskDefinitionContext>,
) -> Result<Action, ReconcileError> {
    let region = ctx.base.aws.region_for(td.spec.region.as_deref());
    let ecs = ctx.base.aws.ecs(&region);
    let users: &dyn super::usage::RevisionUsers = ctx.users.as_ref();
    shell::drive(
        td.as_ref(),
        &ctx.base,
        &region,
        super::reconcile(&td, ecs.as_ref(), users),
        super::cleanup(&td, ecs.as_ref(), users),
    )
    .await
}
