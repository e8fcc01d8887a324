//! Secret values written into a spec by mistake never leave it through the operator:
//! not in its log (at the default level and at debug), Events, status or /metrics.

use anyhow::{Result, ensure};

use crate::support::operator::{self, Operator};
use crate::support::{TestContext, eventually};

/// Random values planted where users put credentials by mistake: a variable named like
/// one, a URL's password, and a log driver's token. The operator must warn by name
/// (PlaintextSecret) and echo none of them. The SDK's trace level logs request bodies by
/// design (docs/security.md), so the levels checked are the default and debug.
pub async fn planted_secret_values_never_reach_the_log_events_status_or_metrics(
    ctx: TestContext,
) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    for level in [None, Some("debug")] {
        let label = level.unwrap_or("default");
        let planted: Vec<String> = (0..3)
            .map(|_| format!("planted{:016x}", rand::random::<u64>()))
            .collect();
        let mut args = vec!["--namespace", ctx.namespace.as_str()];
        if let Some(level) = level {
            args.extend(["--log-level", level]);
        }
        let operator = Operator::start(&ctx.env, &format!("secrets-{label}"), &args, &[])?;
        let name = format!("secrets-{label}");
        ctx.apply(&format!(
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata:\n  name: {name}\n\
             spec:\n  family: {family}\n  containerDefinitions:\n    - name: web\n      image: nginx\n      \
             memory: 128\n      environment:\n        - {{name: DB_PASSWORD, value: {p0}}}\n        \
             - {{name: DATABASE_URL, value: 'postgres://app:{p1}@db:5432/app'}}\n      \
             logConfiguration:\n        logDriver: splunk\n        options:\n          \
             splunk-url: https://splunk.example.com:8088\n          splunk-token: {p2}\n",
            family = ctx.unique_name(&name),
            p0 = planted[0],
            p1 = planted[1],
            p2 = planted[2],
        ))?;
        ctx.wait_ready("taskdefinition", &name)?;
        let warnings = eventually("the PlaintextSecret warning", 30, || async {
            let messages = ctx.kubectl_ns(&[
                "get",
                "events",
                "--field-selector",
                &format!("reason=PlaintextSecret,involvedObject.name={name}"),
                "-o",
                r#"jsonpath={range .items[*]}{.message}{"\n"}{end}"#,
            ])?;
            Ok((!messages.is_empty()).then_some(messages))
        })
        .await?;
        for field in ["DB_PASSWORD", "DATABASE_URL", "splunk-token"] {
            ensure!(
                warnings.contains(field),
                "no warning names {field}: {warnings}"
            );
        }

        // The same search finds the values where they are meant to be.
        let spec = ctx.kubectl_ns(&["get", "taskdefinition", &name, "-o", "yaml"])?;
        ensure!(
            planted.iter().all(|p| spec.contains(p)),
            "the planted values are not in the spec"
        );
        let status =
            ctx.kubectl_ns(&["get", "taskdefinition", &name, "-o", "jsonpath={.status}"])?;
        let events = ctx.kubectl_ns(&["get", "events", "-o", "yaml"])?;
        let (_, metrics) = operator.get("/metrics")?;
        ctx.kubectl_ns(&["delete", "taskdefinition", &name, "--timeout=60s"])?;
        let log_path = operator.log.clone();
        ensure!(
            operator
                .terminate(std::time::Duration::from_secs(30))?
                .0
                .success(),
            "the operator did not shut down cleanly"
        );
        let log = std::fs::read_to_string(&log_path)?;
        ensure!(
            log.contains("ecs-operator stopped"),
            "the {label} log is empty or not the operator's"
        );
        for (place, text) in [
            ("the operator's log", &log),
            ("the Events", &events),
            ("the status", &status),
            ("/metrics", &metrics),
        ] {
            for value in &planted {
                ensure!(
                    !text.contains(value.as_str()),
                    "a planted secret value is in {place} at log level {label} ({})",
                    log_path.display()
                );
            }
        }
    }
    Ok(())
}
