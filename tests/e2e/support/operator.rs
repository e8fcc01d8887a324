//! Operator processes: the binary run the way a user runs it, AWS settings only from
//! the standard variables. One shared operator serves most tests; the leader-election
//! and chart tests run their own and stop the shared one first.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::testenv::TestEnv;

static SHARED: Mutex<Option<Operator>> = Mutex::new(None);

/// One running operator binary, its health/metrics address and its log.
pub struct Operator {
    child: Child,
    pub http: SocketAddr,
    pub log: PathBuf,
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Operator {
    /// Starts `ecs-operator run <args>` with the test environment's variables plus `env`.
    pub fn start(
        env: &TestEnv,
        label: &str,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> Result<Self> {
        Self::start_binary(
            env!("CARGO_BIN_EXE_ecs-operator").as_ref(),
            env,
            label,
            args,
            extra_env,
        )
    }

    /// As `start`, with another build of the operator (an older release, for upgrades).
    pub fn start_binary(
        binary: &std::path::Path,
        env: &TestEnv,
        label: &str,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> Result<Self> {
        let http: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let log = super::testenv::scratch_dir().join(format!("e2e-operator-{label}.log"));
        let file = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let http_flag = http.to_string();
        let child = Command::new(binary)
            .arg("run")
            .args(args)
            .args(["--http-address", &http_flag])
            .envs(env.vars())
            .envs(extra_env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        eprintln!(
            "[e2e] operator {label} started (pid {}), log in {}",
            child.id(),
            log.display()
        );
        Ok(Self { child, http, log })
    }

    /// GET `path` on the health/metrics endpoint: (status code, body).
    pub fn get(&self, path: &str) -> Result<(u16, String)> {
        let mut stream = TcpStream::connect_timeout(&self.http, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.http
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .context("no HTTP status line")?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap_or_default();
        Ok((status, body))
    }

    /// The /metrics samples, `name{labels}` → value (chunked encoding lines are skipped).
    pub fn metrics(&self) -> Result<HashMap<String, f64>> {
        let (status, body) = self.get("/metrics")?;
        anyhow::ensure!(status == 200, "/metrics answered {status}");
        Ok(body
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (name, value) = line.rsplit_once(' ')?;
                Some((name.to_string(), value.parse().ok()?))
            })
            .collect())
    }

    /// The sum of every sample of `metric` whose labels contain each of `labels`.
    pub fn metric_sum(&self, metric: &str, labels: &[&str]) -> Result<f64> {
        Ok(self
            .metrics()?
            .into_iter()
            .filter(|(name, _)| {
                name.split('{').next() == Some(metric) && labels.iter().all(|l| name.contains(l))
            })
            .fold(0.0, |sum, (_, value)| sum + value))
    }

    /// The process's resident set size, from /proc.
    pub fn rss_bytes(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .context("VmRSS in /proc/PID/status")?
            .parse()?;
        Ok(kib * 1024)
    }

    /// Whether the process is still alive (it has not exited, crashed or been killed).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn kill(mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM, as Kubernetes sends it; waits up to `within` for the exit.
    pub fn terminate(mut self, within: Duration) -> Result<(ExitStatus, Duration)> {
        let started = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok((status, started.elapsed()));
            }
            if started.elapsed() > within {
                let _ = self.child.kill();
                let _ = self.child.wait();
                anyhow::bail!("the operator had not exited {within:?} after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts the shared operator (all namespaces) unless it already runs.
pub fn ensure_running(env: &TestEnv) -> Result<()> {
    let mut slot = SHARED.lock().expect("operator lock");
    if slot.is_none() {
        *slot = Some(Operator::start(
            env,
            "shared",
            &[
                "--log-format",
                "text",
                "--log-level",
                "info,ecs_operator=debug",
                "--resync-interval",
                "10s",
            ],
            &[],
        )?);
    }
    Ok(())
}

/// Stops the shared operator with SIGTERM and waits for it. False when it did not exit
/// cleanly: graceful shutdown is part of what is tested. The next test that needs it
/// starts it again.
pub fn stop() -> bool {
    let Some(operator) = SHARED.lock().expect("operator lock").take() else {
        return true;
    };
    match operator.terminate(Duration::from_secs(30)) {
        Ok((status, _)) if status.success() => true,
        Ok((status, _)) => {
            eprintln!("[e2e] the operator did not shut down cleanly on SIGTERM: {status}");
            false
        }
        Err(e) => {
            eprintln!("[e2e] stopping the operator: {e:#}");
            false
        }
    }
}
