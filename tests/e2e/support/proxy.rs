//! aws-fault-proxy processes: between an operator and moto, counting calls and
//! injecting faults. Stopped by PID when dropped.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use super::testenv::{TestEnv, scratch_dir};

pub struct FaultProxy {
    child: Child,
    pub port: u16,
}

/// The proxy, a crate of its own (`tools/aws-fault-proxy`) built into the same target
/// folder as this test binary (`target/<profile>/deps/`); `make test-e2e` builds it.
fn binary() -> Result<std::path::PathBuf> {
    let test = std::env::current_exe()?;
    let profile = test
        .parent()
        .and_then(std::path::Path::parent)
        .context("the test binary is not in a target folder")?;
    let proxy = profile.join("aws-fault-proxy");
    ensure!(
        proxy.exists(),
        "{} is missing: build it with `cargo build --locked -p aws-fault-proxy` (make test-e2e does)",
        proxy.display()
    );
    Ok(proxy)
}

impl FaultProxy {
    /// Starts the proxy in front of the environment's moto with `args` (its flags).
    pub fn start(env: &TestEnv, label: &str, args: &[&str]) -> Result<Self> {
        let port_file = scratch_dir().join(format!("e2e-proxy-{label}.port"));
        let _ = std::fs::remove_file(&port_file);
        let log = std::fs::File::create(scratch_dir().join(format!("e2e-proxy-{label}.log")))?;
        let child = Command::new(binary()?)
            .args(["--upstream", env.var("AWS_ENDPOINT_URL")])
            .arg("--port-file")
            .arg(&port_file)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting aws-fault-proxy")?;
        let started = Instant::now();
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Ok(port) = text.trim().parse()
            {
                break port;
            }
            ensure!(
                started.elapsed() < Duration::from_secs(10),
                "the proxy did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        eprintln!(
            "[e2e] aws-fault-proxy {label} on port {port} (pid {})",
            child.id()
        );
        Ok(Self { child, port })
    }

    /// What the operator puts in AWS_ENDPOINT_URL to go through the proxy.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn stats(&self) -> Result<Value> {
        Ok(serde_json::from_str(&self.call(
            "GET",
            "/__proxy/stats",
            "",
        )?)?)
    }

    /// Replaces the random faults, e.g. `{"error_rate": 0.1}`; `{}` turns them off.
    pub fn set_faults(&self, faults: &Value) -> Result<()> {
        self.call("PUT", "/__proxy/faults", &faults.to_string())
            .map(drop)
    }

    fn call(&self, method: &str, path: &str, body: &str) -> Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (head, body) = response.split_once("\r\n\r\n").context("no HTTP answer")?;
        if !head.starts_with("HTTP/1.1 200") {
            bail!("proxy {method} {path}: {head}: {body}");
        }
        Ok(body.to_string())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
