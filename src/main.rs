use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use ecs_operator::aws::clients::AwsClients;
use ecs_operator::cli::{Cli, Command, RunArgs};
use ecs_operator::cluster::controller::ClusterContext;
use ecs_operator::controller::Context;
use ecs_operator::service::controller::ServiceCache;
use ecs_operator::task_definition::controller::TaskDefinitionContext;
use ecs_operator::task_definition::usage::ServiceObjects;
use ecs_operator::{api, cluster, service, task_definition, telemetry};
use futures::FutureExt;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crds => {
            print!("{}", api::crds_yaml()?);
            Ok(())
        }
        Command::Run(args) => run(args).await,
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format, &args.log_level)?;
    let client = kube::Client::try_default()
        .await
        .context("connecting to Kubernetes (kubeconfig or in-cluster)")?;
    let aws = AwsClients::from_env(args.default_region.clone()).await;
    let namespace = args.namespace.as_deref();
    let ctx = Arc::new(Context::new(client, aws, args.resync_interval));
    // One Service cache: the Service controller fills it, the others read what is in use.
    let service_cache = ServiceCache::new();
    let services = Arc::new(ServiceObjects::new(service_cache.store.clone()));
    let clusters = Arc::new(ClusterContext {
        base: ctx.clone(),
        services: services.clone(),
    });
    let task_definitions = Arc::new(TaskDefinitionContext {
        base: ctx.clone(),
        users: services,
    });
    tracing::info!(
        namespace = namespace.unwrap_or("<all>"),
        resync = ?args.resync_interval,
        concurrency = args.max_concurrent_reconciles,
        "ecs-operator starting"
    );
    let shutdown = shutdown_signal().boxed().shared();
    let concurrency = args.max_concurrent_reconciles;
    tokio::join!(
        cluster::controller::run(clusters, namespace, concurrency, shutdown.clone()),
        task_definition::controller::run(
            task_definitions,
            namespace,
            concurrency,
            shutdown.clone()
        ),
        service::controller::run(ctx, service_cache, namespace, concurrency, shutdown),
    );
    tracing::info!("ecs-operator stopped");
    Ok(())
}

/// Resolves on SIGTERM (how Kubernetes stops a pod) or Ctrl-C; in-flight reconciles finish first.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received; finishing in-flight reconciles"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received; finishing in-flight reconciles"),
    }
}
