#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use ecs_operator::aws::clients::{AwsClients, AwsSettings};
use ecs_operator::aws::quota::Quotas;
use ecs_operator::cli::{Cli, Command, PluginCli, RunArgs};
use ecs_operator::controller::runner::{self, Extra, Reconciler};
use ecs_operator::controller::{Caches, Context, Managed, Source};
use ecs_operator::service::{approved_service, references_watched};
use ecs_operator::telemetry::Telemetry;
use ecs_operator::telemetry::health::Role;
use ecs_operator::{api, kubectl, leader, scheduled_task, telemetry};
use futures::future::{BoxFuture, Shared};
use futures::{FutureExt, StreamExt};
use kube::Api;
use kube::runtime::{WatchStreamExt, reflector, watcher};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Installed (or linked) as kubectl-ecs, kubectl runs it as the `kubectl ecs` plugin.
    let invoked_as = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()));
    if invoked_as.as_deref() == Some("kubectl-ecs") {
        return kubectl::run(PluginCli::parse().args).await;
    }
    match Cli::parse().command {
        Command::Kubectl(args) => kubectl::run(args).await,
        Command::Crds => {
            print!("{}", api::crds_yaml()?);
            Ok(())
        }
        Command::Reference { table } => {
            println!("{}", table.table());
            Ok(())
        }
        Command::Run(args) => run(*args).await,
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    telemetry::init_logs(args.log_format, &args.log_level)?;
    let client = kube::Client::try_default()
        .await
        .context("connecting to Kubernetes (kubeconfig or in-cluster)")?;
    let telemetry = Arc::new(Telemetry::default());
    telemetry.health.expect_caches(&[
        api::Cluster::LABEL,
        api::CapacityProvider::LABEL,
        api::TaskDefinition::LABEL,
        api::Service::LABEL,
        api::Task::LABEL,
        api::ScheduledTask::LABEL,
    ]);
    let address = telemetry::http::serve(args.http_address, telemetry.clone()).await?;
    tracing::info!(%address, "serving /healthz, /readyz and /metrics");

    let sigterm = shutdown_signal().boxed().shared();
    let leadership = if args.leader_election.leader_election {
        telemetry.health.set_role(Role::Standby);
        match leader::acquire(client.clone(), &args.leader_election, sigterm.clone()).await? {
            Some(leadership) => Some(leadership),
            None => {
                tracing::info!("stopped before becoming the leader");
                return Ok(());
            }
        }
    } else {
        None
    };
    telemetry.health.set_role(Role::Leading);
    telemetry.metrics.set_leader(true);
    tracing::info!(
        namespace = args.namespace.as_deref().unwrap_or("<all>"),
        resync = ?args.resync_interval,
        concurrency = args.max_concurrent_reconciles,
        leader_election = args.leader_election.leader_election,
        "ecs-operator reconciling"
    );

    // Controllers stop on SIGTERM, or at once when the lease is lost: two leaders must
    // never reconcile together.
    let lost = match &leadership {
        Some(leadership) => leadership.lost().boxed(),
        None => futures::future::pending().boxed(),
    };
    let (lost_tx, lost_rx) = tokio::sync::oneshot::channel::<()>();
    let stop = {
        let sigterm = sigterm.clone();
        async move {
            tokio::select! {
                () = sigterm => {}
                () = lost => { let _ = lost_tx.send(()); }
            }
        }
    }
    .boxed()
    .shared();
    let deadline = args.shutdown_timeout;
    tokio::spawn(exit_after_deadline(stop.clone(), deadline));

    run_controllers(&args, client, telemetry.clone(), stop).await;
    telemetry.metrics.set_leader(false);

    if lost_rx.await.is_ok() {
        anyhow::bail!("lost the leader lease; exiting so a fresh process rejoins the election");
    }
    if let Some(leadership) = leadership {
        leadership.release(Duration::from_secs(5)).await;
    }
    tracing::info!("ecs-operator stopped");
    Ok(())
}

type Stop = Shared<BoxFuture<'static, ()>>;

async fn run_controllers(
    args: &RunArgs,
    client: kube::Client,
    telemetry: Arc<Telemetry>,
    stop: Stop,
) {
    let aws_settings = AwsSettings {
        default_region: args.default_region.clone(),
        allowed_regions: args.allowed_regions.clone(),
        quotas: Quotas::default().with_overrides(&args.aws_rate_limits),
        read_timeout: args.aws_read_timeout,
    };
    let aws = AwsClients::from_env(aws_settings, telemetry.metrics.clone()).await;
    // The Service controller's watches fill these; every controller reads them.
    let (mut caches, writers) = Caches::new();
    caches.default_profile = args.task_definition_profile;
    tokio::spawn(keep_cache(
        Api::all(client.clone()),
        writers.tenant_policies,
        "cannot watch TenantPolicies (is the TenantPolicy CRD installed, and may this \
         identity list tenantpolicies cluster-wide?); retrying",
        |_| {},
    ));
    let approvals = match &args.namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    };
    let (approved_tx, approved) = futures::channel::mpsc::unbounded();
    let (schedules_tx, schedules_woken) = futures::channel::mpsc::unbounded();
    tokio::spawn(keep_cache(
        approvals,
        writers.rollout_approvals,
        "cannot watch RolloutApprovals (is the RolloutApproval CRD installed, and may this \
         identity list rolloutapprovals?); retrying",
        move |approval| {
            // Only fails once the Service controller has stopped.
            let _ = approved_tx.unbounded_send(approved_service(approval));
        },
    ));
    caches.tenant_policies_listed().await;
    let ctx = Arc::new(Context::new(
        client.clone(),
        aws,
        args.resync_interval,
        telemetry,
        caches.clone(),
    ));
    let source = Source {
        client: client.clone(),
        namespace: args.namespace.clone(),
    };
    let references = references_watched(
        source.clone(),
        writers.clusters,
        writers.task_definitions,
        caches.clone(),
        approved,
        schedules_tx,
    );
    let concurrency = args.max_concurrent_reconciles;
    tokio::join!(
        after_services::<api::Cluster>(ctx.clone(), source.clone(), concurrency, stop.clone()),
        capacity_providers(
            ctx.clone(),
            source.clone(),
            writers.capacity_providers,
            concurrency,
            stop.clone()
        ),
        after_services::<api::TaskDefinition>(
            ctx.clone(),
            source.clone(),
            concurrency,
            stop.clone()
        ),
        runner::run::<api::Service>(
            ctx.clone(),
            source.clone(),
            (caches.services.clone(), writers.services),
            references,
            concurrency,
            stop.clone(),
        ),
        runner::run::<api::Task>(
            ctx.clone(),
            source.clone(),
            (caches.tasks.clone(), writers.tasks),
            Extra::none(),
            concurrency,
            stop.clone(),
        ),
        runner::run::<api::ScheduledTask>(
            ctx.clone(),
            source,
            (caches.scheduled_tasks.clone(), writers.scheduled_tasks),
            scheduled_task::references_changed(schedules_woken),
            concurrency,
            stop,
        ),
    );
}

/// Keeps a cache of a kind the operator only reads for the life of the process, telling
/// `touched` of each object created or changed; the watcher retries with backoff, so a
/// change is never missed for long.
async fn keep_cache<K>(
    api: Api<K>,
    writer: reflector::store::Writer<K>,
    trouble: &'static str,
    touched: impl Fn(&K),
) where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + Send + Sync + 'static,
    K: serde::de::DeserializeOwned,
{
    let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
        .default_backoff()
        .touched_objects();
    futures::pin_mut!(stream);
    while let Some(event) = stream.next().await {
        match event {
            Ok(object) => touched(&object),
            // Say what to check; the watcher keeps trying.
            Err(error) => tracing::warn!(%error, "{trouble}"),
        }
    }
}

/// Runs the CapacityProvider controller once every Service is known (deleting a provider
/// waits for the Services whose strategy names it), keeping the cache the Cluster
/// controller reads its Managed Instances providers from.
async fn capacity_providers(
    ctx: Arc<Context>,
    source: Source,
    writer: reflector::store::Writer<api::CapacityProvider>,
    concurrency: u16,
    stop: Stop,
) {
    ctx.caches.services_listed().await;
    let store = ctx.caches.capacity_providers.clone();
    runner::run::<api::CapacityProvider>(
        ctx,
        source,
        (store, writer),
        Extra::none(),
        concurrency,
        stop,
    )
    .await;
}

/// Runs a kind that watches only its own objects once every Service, Task,
/// ScheduledTask and CapacityProvider is known: deleting a Cluster or a TaskDefinition
/// waits for the objects that use it, and no revision a Service, an unfinished Task or a
/// schedule uses is trimmed.
async fn after_services<K: Reconciler>(
    ctx: Arc<Context>,
    source: Source,
    concurrency: u16,
    stop: Stop,
) {
    ctx.caches.services_listed().await;
    ctx.caches.tasks_listed().await;
    ctx.caches.scheduled_tasks_listed().await;
    ctx.caches.capacity_providers_listed().await;
    runner::run::<K>(
        ctx,
        source,
        reflector::store(),
        Extra::none(),
        concurrency,
        stop,
    )
    .await;
}

/// In-flight reconciles get `deadline` after the stop signal; then the process exits anyway,
/// well before Kubernetes' default 30 s grace period ends in SIGKILL.
async fn exit_after_deadline(stop: Stop, deadline: Duration) {
    stop.await;
    tokio::time::sleep(deadline).await;
    tracing::error!(
        ?deadline,
        "reconciles still running after the shutdown deadline; exiting"
    );
    std::process::exit(1);
}

/// Resolves on SIGTERM (how Kubernetes stops a pod) or Ctrl-C; in-flight reconciles finish first.
async fn shutdown_signal() {
    let sigterm = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM; only an interrupt stops the operator gracefully");
                futures::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = sigterm => tracing::info!("SIGTERM received; finishing in-flight reconciles"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received; finishing in-flight reconciles"),
    }
}
