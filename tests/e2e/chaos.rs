//! Crash and fault chaos: the operator binary against the real API server, with
//! aws-fault-proxy between it and moto. The operator is SIGKILLed at seeded random
//! moments and started again, AWS calls fail in every way the proxy knows, rollouts
//! start part-way, and (in the full run) kube-apiserver restarts on the same etcd.
//! Afterwards nothing may be duplicated, leaked or lost.
//!
//! The fast variant runs in `make test`; `make chaos` sets ECS_OPERATOR_CHAOS=full.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::json;

use crate::service::{cluster_manifest, service_manifest};
use crate::support::operator::{self, Operator};
use crate::support::proxy::FaultProxy;
use crate::support::{TestContext, eventually, moto_network};
use crate::task_definition::{revisions_in_moto, seed_manifest};

struct Plan {
    task_definitions: usize,
    services: usize,
    kills: usize,
    /// Share of AWS calls faulted at random while the chaos lasts.
    fault_rate: f64,
    restart_apiserver: bool,
    settle_seconds: u64,
}

impl Plan {
    fn from_env() -> Self {
        if std::env::var("ECS_OPERATOR_CHAOS").as_deref() == Ok("full") {
            Self {
                task_definitions: 20,
                services: 200,
                kills: 20,
                fault_rate: 0.2,
                restart_apiserver: true,
                settle_seconds: 900,
            }
        } else {
            Self {
                task_definitions: 4,
                services: 20,
                kills: 3,
                fault_rate: 0.0,
                restart_apiserver: false,
                settle_seconds: 240,
            }
        }
    }
}

/// The default seed of the kill moments and the proxy's fault draws;
/// `ECS_OPERATOR_CHAOS_SEED` picks another.
const SEED: u64 = 20_261_121;

fn seed() -> Result<u64> {
    match std::env::var("ECS_OPERATOR_CHAOS_SEED") {
        Ok(seed) => seed
            .parse()
            .with_context(|| format!("ECS_OPERATOR_CHAOS_SEED={seed:?} is not a number")),
        Err(_) => Ok(SEED),
    }
}
/// One scripted fault of each kind, on calls whose repetition is the dangerous part.
const SCRIPT: &str = "CreateService#3=drop,RegisterTaskDefinition#2=drop,\
CreateService#5=reset,DescribeServices#4=error,UpdateService#1=drop,CreateService#8=throttle";

fn start_operator(ctx: &TestContext, proxy: &FaultProxy, run: usize) -> Result<Operator> {
    Operator::start(
        &ctx.env,
        &format!("chaos-{run}"),
        &[
            "--namespace",
            &ctx.namespace,
            "--resync-interval",
            "10s",
            "--aws-read-timeout",
            "2s",
            "--log-format",
            "text",
            "--log-level",
            "info,ecs_operator=debug",
        ],
        &[("AWS_ENDPOINT_URL", &proxy.endpoint())],
    )
}

/// How one object stands, as its status says.
struct State {
    name: String,
    ready: String,
    /// status.observedGeneration equals metadata.generation.
    current: bool,
    task_definition_arn: String,
}

fn states(ctx: &TestContext, kind: &str) -> Result<Vec<State>> {
    let out = ctx.kubectl_ns(&[
        "get",
        kind,
        "-o",
        r#"jsonpath={range .items[*]}{.metadata.name}{"|"}{.status.conditions[?(@.type=="Ready")].status}{"|"}{.status.observedGeneration}{"|"}{.metadata.generation}{"|"}{.status.taskDefinitionArn}{"\n"}{end}"#,
    ])?;
    Ok(out
        .lines()
        .filter_map(|line| {
            let p: Vec<&str> = line.split('|').collect();
            (p.len() == 5).then(|| State {
                name: p[0].into(),
                ready: p[1].into(),
                current: p[2] == p[3],
                task_definition_arn: p[4].into(),
            })
        })
        .collect())
}

fn ready_count(ctx: &TestContext, kind: &str) -> Result<usize> {
    Ok(states(ctx, kind)?
        .iter()
        .filter(|s| s.ready == "True" && s.current)
        .count())
}

/// Services Ready on their latest generation and on their TaskDefinition's latest
/// revision: the emulator finishes every rollout, the ones the kills interrupted too.
fn services_settled(ctx: &TestContext, revisions: &BTreeMap<String, usize>) -> Result<usize> {
    Ok(states(ctx, "services.ecs.operator.dev")?
        .iter()
        .filter(|s| {
            let revision = revisions.get(&s.name).copied().unwrap_or(1);
            s.current
                && s.ready == "True"
                && s.task_definition_arn.ends_with(&format!(":{revision}"))
        })
        .count())
}

/// Every named service of `cluster` as moto describes it, 10 names per call.
async fn describe_all(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    names: &[String],
) -> Result<Vec<aws_sdk_ecs::types::Service>> {
    let mut found = Vec::new();
    for chunk in names.chunks(10) {
        let out = ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await?;
        found.extend(out.services().iter().cloned());
    }
    Ok(found)
}

pub async fn operator_survives_kills_faults_and_restarts_without_duplicates_or_leaks(
    ctx: TestContext,
) -> Result<()> {
    let plan = Plan::from_env();
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let seed = seed()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let proxy = FaultProxy::start(
        &ctx.env,
        "chaos",
        &[
            "--seed",
            &seed.to_string(),
            "--fail",
            SCRIPT,
            "--drop-hold-seconds",
            "3",
        ],
    )?;
    let (subnet, group) = moto_network(&ctx)?;
    let cluster = ctx.unique_name("chaos");
    let tds: Vec<String> = (0..plan.task_definitions)
        .map(|t| format!("app-{t}"))
        .collect();
    let services: Vec<String> = (0..plan.services).map(|s| format!("svc-{s}")).collect();
    let mut objects = vec![cluster_manifest(&cluster)];
    objects.extend(tds.iter().map(|td| seed_manifest(td, "nginx:1.27")));
    objects.extend(
        services.iter().enumerate().map(|(s, name)| {
            service_manifest(name, &cluster, &tds[s % tds.len()], &subnet, &group)
        }),
    );

    let started = Instant::now();
    let mut run = 0;
    let mut current = start_operator(&ctx, &proxy, run)?;
    if plan.fault_rate > 0.0 {
        let share = plan.fault_rate / 3.0;
        proxy.set_faults(&json!({"error_rate": share, "reset_rate": share, "drop_rate": share, "latency_ms": 50}))?;
    }
    ctx.apply(&objects.join("---\n"))?;

    // Revisions each TaskDefinition must end with: one per real spec change.
    let mut expected_revisions: BTreeMap<String, usize> =
        tds.iter().map(|td| (td.clone(), 1)).collect();
    let rollout_at = plan.kills / 2;
    for kill in 0..plan.kills {
        tokio::time::sleep(Duration::from_millis(rng.random_range(500..4000))).await;
        if kill == rollout_at {
            // Half the TaskDefinitions get a new image: their Services roll out.
            for td in tds.iter().step_by(2) {
                ctx.apply(&seed_manifest(td, "nginx:1.28"))?;
                *expected_revisions.get_mut(td).expect("known") += 1;
            }
        }
        if plan.restart_apiserver && kill == plan.kills * 3 / 4 {
            eprintln!("[e2e] chaos: restarting kube-apiserver");
            ctx.env.restart_apiserver()?;
        }
        current.kill()?;
        run += 1;
        current = start_operator(&ctx, &proxy, run)?;
    }
    let chaos_ended = Instant::now();
    proxy.set_faults(&json!({}))?;

    // The revision each Service must end on.
    let service_revisions: BTreeMap<String, usize> = services
        .iter()
        .enumerate()
        .map(|(s, name)| (name.clone(), expected_revisions[&tds[s % tds.len()]]))
        .collect();
    let settled = eventually(
        "every object settled on its latest generation",
        plan.settle_seconds,
        || async {
            let all = services_settled(&ctx, &service_revisions)? == services.len()
                && ready_count(&ctx, "taskdefinitions.ecs.operator.dev")? == tds.len()
                && ready_count(&ctx, "clusters.ecs.operator.dev")? == 1;
            Ok(all.then(Instant::now))
        },
    )
    .await?;
    let settle = settled - chaos_ended;

    // Exactly one ECS service per Service object, and nothing else in the cluster.
    let ecs = ctx.ecs().await;
    let mut in_ecs = Vec::new();
    let mut next = None;
    loop {
        let page = ecs
            .list_services()
            .cluster(&cluster)
            .set_next_token(next)
            .send()
            .await?;
        in_ecs.extend(
            page.service_arns()
                .iter()
                .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_string()),
        );
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    let distinct: BTreeSet<String> = in_ecs.iter().cloned().collect();
    let wanted: BTreeSet<String> = services.iter().cloned().collect();
    let duplicates = in_ecs.len() - distinct.len();
    let mut leaks: Vec<String> = distinct.difference(&wanted).cloned().collect();
    let missing: Vec<&String> = wanted.difference(&distinct).collect();

    // ECS runs the revision each Service asks for.
    let mut wrong_revision = Vec::new();
    for service in describe_all(&ecs, &cluster, &services).await? {
        let name = service.service_name().unwrap_or_default();
        let expected = format!(":{}", service_revisions[name]);
        if !service
            .task_definition()
            .unwrap_or_default()
            .ends_with(&expected)
        {
            wrong_revision.push(name.to_string());
        }
    }
    ensure!(
        wrong_revision.is_empty(),
        "ECS runs an old revision for {wrong_revision:?}"
    );

    // One revision per real spec change; no family of ours that no object owns.
    let mut extra_revisions = 0;
    for (td, expected) in &expected_revisions {
        let revisions = revisions_in_moto(&ctx, td).await?;
        extra_revisions += revisions.len().saturating_sub(*expected);
        ensure!(
            revisions.len() >= *expected,
            "{td}: {} revisions, expected {expected}",
            revisions.len()
        );
    }
    let families = ecs.list_task_definition_families().send().await?;
    leaks.extend(
        families
            .families()
            .iter()
            .filter(|f| f.starts_with("app-") && !expected_revisions.contains_key(*f))
            .cloned(),
    );
    let stats = proxy.stats()?;
    let calls: u64 = stats["requests"]
        .as_object()
        .context("requests")?
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    ensure!(current.is_running(), "the last operator stayed up");

    // Deleting the namespace takes everything of ours out of AWS.
    ctx.kubectl(&["delete", "namespace", &ctx.namespace, "--wait=false"])?;
    eventually("the namespace to be gone", plan.settle_seconds, || async {
        let out = ctx
            .env
            .kubectl_output(&["get", "namespace", &ctx.namespace], None)?;
        Ok((!out.status.success()).then_some(()))
    })
    .await?;
    // moto keeps listing deleted services; what counts is whether any is not INACTIVE.
    let left_services = describe_all(&ecs, &cluster, &services)
        .await?
        .iter()
        .filter(|s| s.status() != Some("INACTIVE"))
        .count();
    let cluster_status = ecs
        .describe_clusters()
        .clusters(&cluster)
        .send()
        .await?
        .clusters()
        .first()
        .and_then(|c| c.status().map(str::to_string))
        .unwrap_or_else(|| "gone".to_string());
    let mut active_revisions = 0;
    for td in &tds {
        active_revisions += revisions_in_moto(&ctx, td)
            .await?
            .iter()
            .filter(|(_, status)| status == "ACTIVE")
            .count();
    }

    eprintln!(
        "[e2e] chaos figures (seed {seed}): objects {} (1 Cluster, {} TaskDefinitions, {} Services); kills {}; \
         apiserver restarts {}; faults {}; AWS calls {calls}; duplicates {}; leaks {}; \
         missing {}; extra revisions {extra_revisions}; settle {:.1}s after the chaos ({:.1}s in all); \
         after namespace deletion: {left_services} services, cluster {cluster_status}, {active_revisions} active revisions",
        1 + tds.len() + services.len(),
        tds.len(),
        services.len(),
        plan.kills,
        u8::from(plan.restart_apiserver),
        stats["faults"],
        duplicates,
        leaks.len(),
        missing.len(),
        settle.as_secs_f64(),
        (settled - started).as_secs_f64(),
    );
    ensure!(duplicates == 0, "duplicate ECS services: {in_ecs:?}");
    ensure!(leaks.is_empty(), "ECS resources no object owns: {leaks:?}");
    ensure!(missing.is_empty(), "Services missing from ECS: {missing:?}");
    ensure!(extra_revisions == 0, "revisions beyond one per spec change");
    for kind in ["throttle", "error", "reset", "drop"] {
        ensure!(
            stats["faults"][kind].as_u64().unwrap_or(0) >= 1,
            "no {kind} fault was injected: {}",
            stats["faults"]
        );
    }
    ensure!(left_services == 0, "{left_services} services left in ECS");
    ensure!(cluster_status != "ACTIVE", "the cluster is still ACTIVE");
    ensure!(
        active_revisions == 0,
        "{active_revisions} revisions still ACTIVE"
    );
    current.terminate(Duration::from_secs(30))?;
    Ok(())
}
