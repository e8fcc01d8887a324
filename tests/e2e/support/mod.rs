//! Shared machinery of the end-to-end tests: the environment, a namespace per
//! test, and the runner that cleans up whatever the test's outcome.

pub mod operator;
pub mod proxy;
pub mod testenv;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result};
use futures::FutureExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client};
use libtest_mimic::{Failed, Trial};

pub use testenv::TestEnv;

static ENV: OnceLock<Arc<TestEnv>> = OnceLock::new();

/// What a test gets: the environment, a kube client and a namespace of its own.
pub struct TestContext {
    pub env: Arc<TestEnv>,
    pub client: Client,
    pub namespace: String,
}

impl TestContext {
    pub fn kubectl(&self, args: &[&str]) -> Result<String> {
        self.env.kubectl(args)
    }

    pub fn kubectl_ns(&self, args: &[&str]) -> Result<String> {
        let mut with_ns = vec!["-n", self.namespace.as_str()];
        with_ns.extend_from_slice(args);
        self.env.kubectl(&with_ns)
    }

    pub fn apply(&self, manifest: &str) -> Result<String> {
        self.apply_in(&self.namespace, manifest)
    }

    /// Applies `manifest` in another namespace than the test's own.
    pub fn apply_in(&self, namespace: &str, manifest: &str) -> Result<String> {
        self.env
            .kubectl_stdin(&["apply", "-n", namespace, "-f", "-"], manifest)
    }

    /// Applies `manifest`, expecting the API server to refuse it; returns its message.
    pub fn refused(&self, manifest: &str) -> Result<String> {
        let out = self
            .env
            .kubectl_output(&["apply", "-n", &self.namespace, "-f", "-"], Some(manifest))?;
        anyhow::ensure!(
            !out.status.success(),
            "the API server accepted:\n{manifest}"
        );
        Ok(String::from_utf8_lossy(&out.stderr).into_owned())
    }

    /// Applies `manifest`, expecting the API server to refuse it with a message containing `expected`.
    pub fn refused_naming(&self, manifest: &str, expected: &str) -> Result<()> {
        let message = self.refused(manifest)?;
        anyhow::ensure!(
            message.contains(expected),
            "refused, but the message does not say {expected:?}: {message}"
        );
        Ok(())
    }

    /// Waits until the object `kind/name` reports Ready=True.
    pub fn wait_ready(&self, kind: &str, name: &str) -> Result<()> {
        self.wait_ready_in(&self.namespace, kind, name)
    }

    /// Waits until `kind/name` in `namespace` reports Ready=True.
    pub fn wait_ready_in(&self, namespace: &str, kind: &str, name: &str) -> Result<()> {
        self.kubectl(&[
            "wait",
            "-n",
            namespace,
            &format!("{kind}/{name}"),
            "--for=condition=Ready",
            "--timeout=60s",
        ])?;
        Ok(())
    }

    /// An AWS resource name unique to this test (moto is shared by the whole run).
    pub fn unique_name(&self, prefix: &str) -> String {
        format!("{prefix}-{}", &self.namespace[self.namespace.len() - 6..])
    }

    /// Starts the operator binary for this run if no earlier test did.
    pub fn start_operator(&self) -> Result<()> {
        operator::ensure_running(&self.env)
    }

    /// An ECS client configured only by the standard AWS variables, like the operator.
    pub async fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&Self::aws_config().await)
    }

    /// A plain Application Auto Scaling client on moto, to check what the operator did.
    pub async fn scaling(&self) -> aws_sdk_applicationautoscaling::Client {
        aws_sdk_applicationautoscaling::Client::new(&Self::aws_config().await)
    }

    /// A plain EventBridge Scheduler client on the emulator, to check what the operator did.
    pub async fn scheduler(&self) -> aws_sdk_scheduler::Client {
        aws_sdk_scheduler::Client::new(&Self::aws_config().await)
    }

    /// The operator's own AWS layer on moto, for contract tests.
    pub async fn sdk(&self) -> ecs_operator::aws::sdk::SdkEcs {
        ecs_operator::aws::sdk::SdkEcs::new(
            self.ecs().await,
            self.scaling().await,
            self.scheduler().await,
        )
    }

    async fn aws_config() -> aws_config::SdkConfig {
        aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
    }
}

/// A subnet and a security group in moto's EC2, which awsvpc services must name.
pub fn moto_network(ctx: &TestContext) -> Result<(String, String)> {
    let python = ctx.env.var("TESTENV_PYTHON");
    let script = r#"
import boto3
ec2 = boto3.client("ec2")
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
print(subnet, group)
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .output()?;
    if !out.status.success() {
        anyhow::bail!(
            "creating moto EC2 resources: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8(out.stdout)?;
    let mut ids = text.split_whitespace().map(str::to_string);
    Ok((
        ids.next().context("no subnet printed")?,
        ids.next().context("no security group printed")?,
    ))
}

/// Polls `check` every 250 ms until it returns Some, or fails after `seconds`.
pub async fn eventually<T, F, Fut>(what: &str, seconds: u64, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("timed out after {seconds}s waiting for {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

pub type TestFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;
pub type TestFn = fn(TestContext) -> TestFuture;

/// Names a test for the runner: `test!(module::function)`.
#[macro_export]
macro_rules! test {
    ($path:path) => {
        (
            stringify!($path),
            (|ctx: $crate::support::TestContext| -> $crate::support::TestFuture {
                Box::pin($path(ctx))
            }) as $crate::support::TestFn,
        )
    };
}

pub fn set_env(env: TestEnv) -> Arc<TestEnv> {
    ENV.get_or_init(|| Arc::new(env)).clone()
}

pub fn trial(name: &'static str, test: TestFn) -> Trial {
    let name = name.replace(' ', "");
    Trial::test(name.clone(), move || run_one(&name, test))
}

fn run_one(name: &str, test: TestFn) -> Result<(), Failed> {
    let env = ENV
        .get()
        .expect("test environment set before the trials run")
        .clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(format!("tokio runtime: {e}")))?;
    runtime.block_on(async move {
        env.reset_moto()
            .map_err(|e| Failed::from(format!("{e:#}")))?;
        let client = Client::try_default()
            .await
            .map_err(|e| Failed::from(format!("kube client: {e}")))?;
        let namespace = namespace_for(name);
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let mut object = Namespace::default();
        object.metadata.name = Some(namespace.clone());
        namespaces
            .create(&PostParams::default(), &object)
            .await
            .map_err(|e| Failed::from(format!("creating namespace {namespace}: {e}")))?;
        let ctx = TestContext {
            env,
            client,
            namespace: namespace.clone(),
        };
        let outcome = std::panic::AssertUnwindSafe(test(ctx)).catch_unwind().await;
        // Deletion is asynchronous (the namespace controller finishes it); a test does not wait for it.
        match namespaces
            .delete(&namespace, &DeleteParams::default())
            .await
        {
            // The test deleted it itself.
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => eprintln!("[e2e] deleting namespace {namespace}: {e}"),
        }
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Failed::from(format!("{e:#}"))),
            Err(panic) => Err(Failed::from(panic_message(panic))),
        }
    })
}

/// A DNS-1123 name unique to this run, recognisable as the test's.
fn namespace_for(test: &str) -> String {
    let short = test.rsplit("::").next().unwrap_or(test).replace('_', "-");
    let short: String = short.chars().take(40).collect();
    format!(
        "{}-{:06x}",
        short.trim_end_matches('-'),
        rand::random::<u32>() & 0xff_ffff
    )
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "test panicked".to_string())
}
