//! Command line and environment configuration: one clap struct per command.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::api::tenant_policy::Profile;
use crate::aws::quota::QuotaOverride;

#[derive(Parser, Debug)]
#[command(
    name = "ecs-operator",
    version,
    about = "Run AWS ECS clusters, task definitions and services from Kubernetes"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the controllers until SIGTERM or Ctrl-C.
    Run(Box<RunArgs>),
    /// Print every CustomResourceDefinition as YAML (the files in crds/).
    Crds,
    /// The kubectl plugin's commands (`kubectl ecs ...` when installed as kubectl-ecs).
    Kubectl(PluginArgs),
    /// Print a reference table of docs/operating.md as Markdown (make docs writes them).
    Reference {
        #[arg(value_enum)]
        table: Reference,
    },
}

/// The tables docs/operating.md carries, generated from the code.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    /// Every flag of `ecs-operator run`.
    Flags,
    /// Every metric on /metrics.
    Metrics,
}

impl Reference {
    /// The Markdown table.
    pub fn table(self) -> String {
        match self {
            Self::Flags => flags_table(),
            Self::Metrics => crate::telemetry::Metrics::reference_table(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Flags => "flags",
            Self::Metrics => "metrics",
        }
    }
}

/// The flags of `ecs-operator run` with their environment variables and defaults,
/// from the clap definitions below.
fn flags_table() -> String {
    let mut rows = vec![
        "| flag | environment | default | meaning |".to_string(),
        "| --- | --- | --- | --- |".to_string(),
    ];
    let cli = Cli::command();
    let Some(run) = cli.find_subcommand("run") else {
        return rows.join("\n");
    };
    for arg in run.get_arguments() {
        let Some(long) = arg.get_long() else {
            continue;
        };
        if long == "help" {
            continue;
        }
        let env = arg
            .get_env()
            .map(|e| format!("`{}`", e.to_string_lossy()))
            .unwrap_or_default();
        let default = arg
            .get_default_values()
            .iter()
            .map(|v| format!("`{}`", v.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(", ");
        let help = arg
            .get_long_help()
            .or(arg.get_help())
            .map(|h| h.to_string().replace('\n', " ").replace('|', "\\|"))
            .unwrap_or_default();
        rows.push(format!("| `--{long}` | {env} | {default} | {help} |"));
    }
    rows.join("\n")
}

/// Settings of `ecs-operator run`. AWS endpoints and credentials come only from
/// the standard AWS environment variables and default credential chain.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Watch only this namespace; all namespaces when unset.
    #[arg(long, env = "ECS_OPERATOR_NAMESPACE")]
    pub namespace: Option<String>,

    /// AWS region for objects whose spec names none; defaults to the AWS SDK's region (AWS_REGION).
    #[arg(long, env = "ECS_OPERATOR_DEFAULT_REGION")]
    pub default_region: Option<String>,

    /// Regions the operator serves besides the default region, comma-separated. Clients
    /// are built for these at start-up and no other: an object naming another region is
    /// Stalled RegionNotAllowed.
    #[arg(long, env = "ECS_OPERATOR_ALLOWED_REGIONS", value_delimiter = ',')]
    pub allowed_regions: Vec<String>,

    /// What task definitions may ask of the host where no TenantPolicy says: restricted
    /// refuses host paths as volumes, the host's pid, ipc and network namespaces and
    /// added Linux capabilities beyond Docker's defaults; privileged allows them.
    #[arg(long, env = "ECS_OPERATOR_TASK_DEFINITION_PROFILE", value_enum, default_value_t = Profile::Restricted)]
    pub task_definition_profile: Profile,

    /// How often every object is compared with AWS to catch drift (jittered by ±20%), e.g. 5m, 90s.
    #[arg(long, env = "ECS_OPERATOR_RESYNC_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    pub resync_interval: Duration,

    /// How many objects of one kind are reconciled at once, shared equally between the
    /// namespaces that have work waiting; retries of failed objects hold at most half. At least 10 lets a resync's DescribeServices
    /// calls carry 10 services each; the AWS rate limits, not this, bound the call rate.
    #[arg(long, env = "ECS_OPERATOR_MAX_CONCURRENT_RECONCILES", default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrent_reconciles: u16,

    /// Client-side AWS rate limit for one action group, as GROUP=BURST:PER_SECOND; repeat
    /// the flag (or separate with commas) for several groups. GROUP is all, cluster-read,
    /// cluster-write, service-read, service-write, task-definition-read,
    /// task-definition-write, cluster-resource-read, cluster-resource-write, tagging,
    /// scaling-read, scaling-write, scheduler-schedule or scheduler-group. The defaults
    /// follow the services' published quotas; set these when Service Quotas shows raised
    /// ones.
    #[arg(
        long = "aws-rate-limit",
        env = "ECS_OPERATOR_AWS_RATE_LIMITS",
        value_delimiter = ','
    )]
    pub aws_rate_limits: Vec<QuotaOverride>,

    /// How long an AWS request may go unanswered before it is retried, e.g. 30s.
    #[arg(long, env = "ECS_OPERATOR_AWS_READ_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub aws_read_timeout: Duration,

    /// Log format: json (one object per line, for log collectors) or text.
    #[arg(long, env = "ECS_OPERATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,

    /// Log level or tracing filter, e.g. info, debug, ecs_operator=debug,kube=info.
    #[arg(long, env = "ECS_OPERATOR_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Address of the /healthz, /readyz and /metrics endpoint. The Helm chart uses 0.0.0.0:8080.
    #[arg(
        long,
        env = "ECS_OPERATOR_HTTP_ADDRESS",
        default_value = "127.0.0.1:8080"
    )]
    pub http_address: SocketAddr,

    /// After SIGTERM, how long in-flight reconciles may take before the process exits anyway.
    #[arg(long, env = "ECS_OPERATOR_SHUTDOWN_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,

    #[command(flatten)]
    pub leader_election: LeaderElectionArgs,
}

/// Leader election: with several replicas, only the holder of a Lease reconciles.
#[derive(Args, Debug, Clone)]
pub struct LeaderElectionArgs {
    /// Reconcile only while holding the Lease; needed when more than one replica runs.
    #[arg(long = "leader-election", env = "ECS_OPERATOR_LEADER_ELECTION")]
    pub leader_election: bool,

    /// Namespace of the Lease; defaults to the pod's namespace (POD_NAMESPACE), else "default".
    #[arg(
        long = "leader-election-namespace",
        env = "ECS_OPERATOR_LEADER_ELECTION_NAMESPACE"
    )]
    pub lease_namespace: Option<String>,

    /// Name of the Lease. Two operators that must not both reconcile share it.
    #[arg(
        long = "leader-election-lease-name",
        env = "ECS_OPERATOR_LEADER_ELECTION_LEASE_NAME",
        default_value = "ecs-operator"
    )]
    pub lease_name: String,

    /// How long a lease lasts without renewal: the longest a standby waits after the leader dies.
    #[arg(
        long = "leader-election-lease-duration",
        env = "ECS_OPERATOR_LEADER_ELECTION_LEASE_DURATION",
        default_value = "15s",
        value_parser = parse_duration
    )]
    pub lease_duration: Duration,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

/// Parses `300`, `300s`, `5m` or `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90s, 5m or 1h"))?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        _ => return Err(format!("{text:?}: unknown unit {unit:?}; use s, m or h")),
    };
    if seconds == 0 {
        return Err("the interval must be longer than zero".to_string());
    }
    Ok(Duration::from_secs(seconds))
}

/// `kubectl ecs` when invoked as the plugin.
#[derive(Parser, Debug)]
#[command(
    name = "kubectl-ecs",
    bin_name = "kubectl ecs",
    version,
    about = "Follow, promote and abort the ECS rollouts of ecs-operator Services"
)]
pub struct PluginCli {
    #[command(flatten)]
    pub args: PluginArgs,
}

#[derive(Args, Debug)]
pub struct PluginArgs {
    #[command(subcommand)]
    pub command: PluginCommand,
    /// The Services' namespace (default: the kubeconfig context's).
    #[arg(short, long, global = true)]
    pub namespace: Option<String>,
    /// The kubeconfig context to use (default: the current one).
    #[arg(long, global = true)]
    pub context: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum PluginCommand {
    /// Where the Service's rollout stands: readiness, stage, revisions, traffic, hooks
    /// and the approvals given.
    Status {
        /// The Service object's name.
        service: String,
    },
    /// Continue the deployment past the hook that holds it (a RolloutApproval).
    Promote {
        /// The Service object's name.
        service: String,
        /// Roll back at the hook instead of continuing.
        #[arg(long)]
        rollback: bool,
        /// The hook to answer, when more than one awaits action.
        #[arg(long)]
        hook: Option<String>,
    },
    /// Stop the deployment at whatever stage and roll back (a RolloutApproval with
    /// action Abort: ECS StopServiceDeployment).
    Abort {
        /// The Service object's name.
        service: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_seconds_minutes_and_hours() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn run_defaults_match_the_documentation() {
        let cli = Cli::try_parse_from(["ecs-operator", "run"]).unwrap();
        let Command::Run(args) = cli.command else {
            panic!("expected run")
        };
        assert_eq!(args.resync_interval, Duration::from_secs(300));
        assert_eq!(args.log_format, LogFormat::Json);
        assert_eq!(args.namespace, None);
        assert!(args.max_concurrent_reconciles >= 1);
        assert!(!args.leader_election.leader_election);
        assert_eq!(args.leader_election.lease_duration, Duration::from_secs(15));
        assert!(args.http_address.ip().is_loopback());
        assert!(args.aws_rate_limits.is_empty());
        assert_eq!(args.aws_read_timeout, Duration::from_secs(30));
    }

    /// docs/operating.md carries the generated tables between markers; `make docs`
    /// rewrites them, as `make crds` rewrites crds/.
    #[test]
    fn the_documented_flags_and_metrics_are_the_generated_ones() {
        let docs = include_str!("../docs/operating.md");
        for reference in [Reference::Flags, Reference::Metrics] {
            let name = reference.name();
            let begin = format!("<!-- generated: {name} (make docs) -->\n");
            let end = format!("\n<!-- end generated: {name} -->");
            let start = docs.find(&begin).map(|i| i + begin.len());
            let stop = docs.find(&end);
            let (Some(start), Some(stop)) = (start, stop) else {
                panic!("docs/operating.md lacks the {name} markers");
            };
            assert!(
                docs[start..stop] == reference.table(),
                "docs/operating.md's {name} table is stale: run `make docs` and commit the result"
            );
        }
        assert!(
            Reference::Flags
                .table()
                .contains("`--aws-rate-limit` | `ECS_OPERATOR_AWS_RATE_LIMITS`")
        );
        assert!(
            Reference::Metrics
                .table()
                .contains("`ecs_operator_reconcile_panics_total`")
        );
    }

    #[test]
    fn rate_limits_accept_repeats_and_commas() {
        let cli = Cli::try_parse_from([
            "ecs-operator",
            "run",
            "--aws-rate-limit",
            "all=1000:1000,service-write=50:5",
            "--aws-rate-limit=tagging=10:2",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("expected run")
        };
        assert_eq!(args.aws_rate_limits.len(), 3);
        assert!(Cli::try_parse_from(["ecs-operator", "run", "--aws-rate-limit", "fast"]).is_err());
    }
}
