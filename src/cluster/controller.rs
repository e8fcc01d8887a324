//! Runs `Cluster` reconciles against Kubernetes through the shared controller shell.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};

use crate::api::{Cluster, ClusterStatus};
use crate::controller::shell::{self, Managed};
use crate::controller::{Context, ReconcileError};
use crate::task_definition::usage::ServiceObjects;

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

/// The shared context plus the Service objects that may still reference a cluster.
pub struct ClusterContext {
    pub base: Arc<Context>,
    pub services: Arc<ServiceObjects>,
}

impl AsRef<Context> for ClusterContext {
    fn as_ref(&self) -> &Context {
        &self.base
    }
}

/// Watches Cluster objects (in `namespace`, or everywhere) until `shutdown` resolves.
pub async fn run(
    ctx: Arc<ClusterContext>,
    namespace: Option<&str>,
    concurrency: u16,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let client = ctx.base.client.clone();
    let api: Api<Cluster> = match namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    };
    ctx.services.wait_until_ready().await;
    shell::run(api, ctx, concurrency, shutdown, reconcile).await;
}

async fn reconcile(
    cluster: Arc<Cluster>,
    ctx: Arc<ClusterContext>,
) -> Result<Action, ReconcileError> {
    let region = ctx.base.aws.region_for(cluster.spec.region.as_deref());
    let ecs = ctx.base.aws.ecs(&region);
    let dependents = ctx.services.referencing_cluster(
        &cluster.namespace().unwrap_or_default(),
        &cluster.name_any(),
    );
    shell::drive(
        cluster.as_ref(),
        &ctx.base,
        &region,
        super::reconcile(&cluster, ecs.as_ref()),
        super::cleanup(&cluster, ecs.as_ref(), &dependents),
    )
    .await
}
