//! The test environment: a real kube-apiserver (with etcd) and moto.
//!
//! Attaches to the environment `make testenv-up` started when `.testenv/env`
//! exists; otherwise starts a private one with `hack/testenv/up.sh` and stops
//! it when the run ends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, bail, ensure};

pub struct TestEnv {
    vars: BTreeMap<String, String>,
    /// Set when this run started the environment and so must stop it.
    owned_state: Option<PathBuf>,
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the tests write their logs and port files: the target folder beside the test
/// binary (`target/<profile>/deps/`), which also holds under CARGO_TARGET_DIR.
pub fn scratch_dir() -> std::path::PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| repo_root().join("target"))
}

impl TestEnv {
    pub fn start_or_attach() -> Result<Self> {
        let shared = repo_root().join(".testenv/env");
        if shared.exists() {
            eprintln!(
                "[e2e] attaching to the running test environment ({})",
                shared.display()
            );
            return Ok(Self {
                vars: read_env_file(&shared)?,
                owned_state: None,
            });
        }
        let state = std::env::temp_dir().join(format!("ecs-operator-e2e-{}", std::process::id()));
        eprintln!("[e2e] starting a test environment in {}", state.display());
        let status = Command::new(repo_root().join("hack/testenv/up.sh"))
            .env("TESTENV_STATE", &state)
            .env("TESTENV_OWNER_PID", std::process::id().to_string())
            .stdin(Stdio::null())
            .status()
            .context("running hack/testenv/up.sh")?;
        let env = Self {
            vars: BTreeMap::new(),
            owned_state: Some(state.clone()),
        };
        if !status.success() {
            env.stop(true);
            bail!(
                "hack/testenv/up.sh failed ({status}); its logs are in {}/logs",
                state.display()
            );
        }
        Ok(Self {
            vars: read_env_file(&state.join("env"))?,
            ..env
        })
    }

    /// Stops the servers when this run started them; an attached environment stays up.
    /// The private state folder (logs, kubeconfig) is kept only when `keep_logs` is set.
    pub fn stop(&self, keep_logs: bool) {
        let Some(state) = &self.owned_state else {
            return;
        };
        let result = Command::new(repo_root().join("hack/testenv/down.sh"))
            .env("TESTENV_STATE", state)
            .stdin(Stdio::null())
            .status();
        if !matches!(result, Ok(s) if s.success()) {
            eprintln!("[e2e] stopping the test environment failed: {result:?}");
        } else if keep_logs {
            eprintln!("[e2e] server logs kept in {}/logs", state.display());
        } else {
            let _ = std::fs::remove_dir_all(state);
        }
    }

    /// Restarts kube-apiserver with the same command line; etcd and its data stay.
    pub fn restart_apiserver(&self) -> Result<()> {
        let state = PathBuf::from(self.var("TESTENV_STATE"));
        let pids_file = state.join("pids");
        let pids = std::fs::read_to_string(&pids_file)?;
        let pid: u32 = pids
            .lines()
            .find_map(|line| line.strip_prefix("kube-apiserver "))
            .context("kube-apiserver in the pids file")?
            .trim()
            .parse()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))?;
        let argv: Vec<String> = cmdline
            .split(|&b| b == 0)
            .filter(|part| !part.is_empty())
            .map(|part| String::from_utf8_lossy(part).into_owned())
            .collect();
        // Each server leads its own session (up.sh starts it with setsid).
        Command::new("kill")
            .args(["-TERM", "--", &format!("-{pid}")])
            .status()?;
        // Its graceful shutdown can wait a minute for open watches; after 20 s it is
        // killed, which loses nothing: the data is in etcd.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while is_alive(pid) {
            if std::time::Instant::now() > deadline {
                Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .status()?;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let log = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(state.join("logs/kube-apiserver.log"))?;
        let child = Command::new("setsid")
            .args(&argv)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting kube-apiserver again")?;
        let updated = pids.replace(
            &format!("kube-apiserver {pid}"),
            &format!("kube-apiserver {}", child.id()),
        );
        std::fs::write(&pids_file, updated)?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        while self.kubectl(&["get", "--raw", "/readyz"]).is_err() {
            ensure!(
                std::time::Instant::now() < deadline,
                "kube-apiserver did not come back"
            );
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        Ok(())
    }

    pub fn var(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{name} missing from the testenv env file"))
    }

    pub fn vars(&self) -> impl Iterator<Item = (&String, &String)> {
        self.vars.iter()
    }

    pub fn kubectl(&self, args: &[&str]) -> Result<String> {
        run_checked(
            Command::new(self.var("KUBECTL"))
                .args(args)
                .envs(&self.vars),
            None,
        )
    }

    /// kubectl with a document on standard input (for `apply -f -`).
    pub fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> Result<String> {
        run_checked(
            Command::new(self.var("KUBECTL"))
                .args(args)
                .envs(&self.vars),
            Some(stdin),
        )
    }

    /// helm against the test API server (KUBECONFIG from the environment).
    pub fn helm(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        run_checked(
            Command::new(self.var("HELM"))
                .args(args)
                .envs(&self.vars)
                .current_dir(repo_root()),
            stdin,
        )
    }

    /// kubectl whose failure is the expected outcome: returns the raw output.
    pub fn kubectl_output(&self, args: &[&str], stdin: Option<&str>) -> Result<Output> {
        run(
            Command::new(self.var("KUBECTL"))
                .args(args)
                .envs(&self.vars),
            stdin,
        )
    }

    /// Applies every CRD in `crds/` and waits until the API server serves them.
    pub fn install_crds(&self) -> Result<()> {
        let dir = repo_root().join("crds");
        let has_crds = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "yaml"))
            })
            .unwrap_or(false);
        if !has_crds {
            return Ok(());
        }
        let dir = dir.to_string_lossy();
        self.kubectl(&["apply", "--server-side", "--force-conflicts", "-f", &dir])?;
        self.kubectl(&[
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            "-f",
            &dir,
        ])?;
        Ok(())
    }

    /// Clears moto's state so each test starts from an empty AWS account.
    pub fn reset_moto(&self) -> Result<()> {
        let url = format!("{}/moto-api/reset", self.var("AWS_ENDPOINT_URL"));
        let out = run(Command::new("curl").args(["-sf", "-X", "POST", &url]), None)?;
        ensure!(out.status.success(), "resetting moto at {url} failed");
        Ok(())
    }
}

fn read_env_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let vars: BTreeMap<_, _> = text
        .lines()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|assignment| assignment.split_once('='))
        .map(|(name, value)| (name.to_string(), value.trim_matches('"').to_string()))
        .collect();
    for required in [
        "KUBECONFIG",
        "KUBECTL",
        "HELM",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "TESTENV_PYTHON",
    ] {
        ensure!(
            vars.contains_key(required),
            "{} does not set {required}",
            path.display()
        );
    }
    Ok(vars)
}

fn run(command: &mut Command, stdin: Option<&str>) -> Result<Output> {
    use std::io::Write;
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(input.as_bytes())?;
    }
    Ok(child.wait_with_output()?)
}

fn run_checked(command: &mut Command, stdin: Option<&str>) -> Result<String> {
    let out = run(command, stdin)?;
    let program = format!("{:?}", command.get_program());
    let args: Vec<_> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    ensure!(
        out.status.success(),
        "{program} {} failed ({}): {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `pid` still runs; an exited process nobody has reaped yet (a zombie) does not.
fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .next()?
                .to_string();
            Some(state != "Z" && state != "X")
        })
        .unwrap_or(false)
}
