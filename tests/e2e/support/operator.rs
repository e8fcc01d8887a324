//! The operator binary, started once per run against the test environment,
//! the way a user runs it: AWS settings only from the standard variables.

use std::fs::File;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use anyhow::{Context, Result};

use super::testenv::TestEnv;

static OPERATOR: Mutex<Option<Child>> = Mutex::new(None);

/// Starts the operator unless it already runs. Its log goes to target/e2e-operator.log.
pub fn ensure_running(env: &TestEnv) -> Result<()> {
    let mut slot = OPERATOR.lock().expect("operator lock");
    if slot.is_some() {
        return Ok(());
    }
    let log_path = super::testenv::repo_root().join("target/e2e-operator.log");
    let log =
        File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let child = Command::new(env!("CARGO_BIN_EXE_ecs-operator"))
        .args([
            "run",
            "--log-format",
            "text",
            "--log-level",
            "info,ecs_operator=debug",
            "--resync-interval",
            "10s",
        ])
        .envs(env.vars())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting the ecs-operator binary")?;
    eprintln!(
        "[e2e] operator started (pid {}), log in {}",
        child.id(),
        log_path.display()
    );
    *slot = Some(child);
    Ok(())
}

/// Stops the operator with SIGTERM, as Kubernetes would, and waits for it.
/// False when it did not exit cleanly: graceful shutdown is part of what is tested.
pub fn stop() -> bool {
    let Some(mut child) = OPERATOR.lock().expect("operator lock").take() else {
        return true;
    };
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    match child.wait() {
        Ok(status) if status.success() => true,
        Ok(status) => {
            eprintln!("[e2e] the operator did not shut down cleanly on SIGTERM: {status}");
            false
        }
        Err(e) => {
            eprintln!("[e2e] waiting for the operator: {e}");
            false
        }
    }
}
