//! Runs `Cluster` reconciles against Kubernetes through the shared controller shell.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::Api;
use kube::runtime::controller::Action;

use crate::api::{Cluster, ClusterStatus};
use crate::controller::shell::{self, Managed};
use crate::controller::{Context, ReconcileError};

impl Managed for Cluster {
    type Status = ClusterStatus;
    const LABEL: &'static str = "cluster";

    fn current_status(&self) -> Option<&ClusterStatus> {
        self.status.as_ref()
    }

    fn shared_fields(
        status: &mut ClusterStatus,
    ) -> (&mut Vec<Condition>, &mut Option<i64>, &mut Option<String>) {
        (
            &mut status.conditions,
            &mut status.observed_generation,
            &mut status.region,
        )
    }
}

/// Watches Cluster objects (in `namespace`, or everywhere) until `shutdown` resolves.
pub async fn run(
    ctx: Arc<Context>,
    namespace: Option<&str>,
    concurrency: u16,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let api: Api<Cluster> = match namespace {
        Some(ns) => Api::namespaced(ctx.client.clone(), ns),
        None => Api::all(ctx.client.clone()),
    };
    shell::run(api, ctx, concurrency, shutdown, reconcile).await;
}

async fn reconcile(cluster: Arc<Cluster>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let region = ctx.aws.region_for(cluster.spec.region.as_deref());
    let ecs = ctx.aws.ecs(&region);
    shell::drive(
        cluster.as_ref(),
        &ctx,
        &region,
        super::reconcile(&cluster, ecs.as_ref()),
        super::cleanup(&cluster, ecs.as_ref()),
    )
    .await
}
