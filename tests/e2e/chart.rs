//! The Helm chart against the real API server: it lints, what it renders is accepted,
//! and the identity it creates runs the whole lifecycle with nothing more.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::approvers::approvers_approve_as_themselves_and_cannot_edit_services;
use crate::capacity_provider::auto_scaling_manifest;
use crate::scheduled_task::scheduled_task_manifest;
use crate::service::{apply_ready_service, in_moto};
use crate::support::operator::{self, Operator};
use crate::support::testenv::repo_root;
use crate::support::{TestContext, eventually, moto_network};
use crate::task::task_manifest;
use crate::task_definition::seed_manifest;

const CHART: &str = "charts/ecs-operator";

/// `helm template` with `values`, checked by the API server (`--dry-run=server`); the
/// objects as the server would store them.
fn rendered(ctx: &TestContext, values: &[&str]) -> Result<Vec<Value>> {
    let mut args = vec!["template", "rel", CHART, "--namespace", &ctx.namespace];
    args.extend_from_slice(&["--kube-version", "1.34.0"]);
    for value in values {
        args.extend_from_slice(&["--set", value]);
    }
    let manifest = ctx.env.helm(&args, None)?;
    let applied = ctx.env.kubectl_stdin(
        &[
            "apply",
            "--dry-run=server",
            "--server-side",
            "--force-conflicts",
            "-o",
            "json",
            "-f",
            "-",
        ],
        &manifest,
    )?;
    let list: Value = serde_json::from_str(&applied)?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

fn kinds(objects: &[Value]) -> Vec<&str> {
    objects.iter().filter_map(|o| o["kind"].as_str()).collect()
}

fn one<'a>(objects: &'a [Value], kind: &str) -> Result<&'a Value> {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .with_context(|| format!("no {kind} rendered"))
}

pub async fn chart_lints_and_the_api_server_accepts_what_it_renders(
    ctx: TestContext,
) -> Result<()> {
    for values in [
        "watchNamespace=",
        "watchNamespace=apps,leaderElection.enabled=false",
        "metrics.serviceMonitor.enabled=true",
        "networkPolicy.enabled=true",
    ] {
        ctx.env
            .helm(&["lint", "--strict", CHART, "--set", values], None)?;
    }

    let objects = rendered(&ctx, &[])?;
    for kind in [
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    ] {
        ensure!(
            kinds(&objects).contains(&kind),
            "{kind} missing from {:?}",
            kinds(&objects)
        );
    }
    let crds: Vec<_> = objects
        .iter()
        .filter(|o| o["kind"] == "CustomResourceDefinition")
        .collect();
    let served = ecs_operator::api::crds().len();
    ensure!(
        crds.len() == served,
        "{} CRDs rendered, {served} served",
        crds.len()
    );
    ensure!(
        crds.iter()
            .all(|c| c["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"),
        "crds.keep defaults to keeping every CRD"
    );

    let pod = &one(&objects, "Deployment")?["spec"]["template"]["spec"];
    ensure!(pod["securityContext"]["runAsNonRoot"] == true);
    ensure!(pod["securityContext"]["runAsUser"].as_i64() == Some(65532));
    ensure!(pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault");
    let container = &pod["containers"][0];
    let security = &container["securityContext"];
    ensure!(security["readOnlyRootFilesystem"] == true);
    ensure!(security["allowPrivilegeEscalation"] == false);
    ensure!(security["capabilities"]["drop"] == serde_json::json!(["ALL"]));
    ensure!(container["livenessProbe"]["httpGet"]["path"] == "/healthz");
    ensure!(container["readinessProbe"]["httpGet"]["path"] == "/readyz");
    ensure!(
        container["image"] == "ecs-operator:0.1.0",
        "image defaults to appVersion: {}",
        container["image"]
    );
    ensure!(container["resources"]["limits"]["memory"] == "128Mi");

    for role in objects
        .iter()
        .filter(|o| o["kind"] == "ClusterRole" || o["kind"] == "Role")
    {
        let text = role["rules"].to_string();
        ensure!(
            !text.contains("secrets") && !text.contains('*'),
            "too broad: {text}"
        );
    }

    let watch = format!("watchNamespace={}", ctx.namespace);
    let namespaced = rendered(&ctx, &[&watch])?;
    // Cluster-wide, the operator may only read TenantPolicies; the aggregated roles and
    // the rollout approver's are for the teams and bound to nobody by the chart.
    for role in namespaced.iter().filter(|o| o["kind"] == "ClusterRole") {
        let aggregated = role["metadata"]["labels"]
            .as_object()
            .is_some_and(|labels| {
                labels
                    .keys()
                    .any(|k| k.starts_with("rbac.authorization.k8s.io/aggregate-to-"))
            });
        let reads_policies = role["rules"]
            == serde_json::json!([{"apiGroups": ["ecs.operator.dev"], "resources": ["tenantpolicies"], "verbs": ["get", "list", "watch"]}]);
        let for_approvers = role["metadata"]["name"]
            .as_str()
            .is_some_and(|name| name.ends_with("-rollout-approver"));
        ensure!(
            aggregated || reads_policies || for_approvers,
            "watchNamespace still renders cluster-wide RBAC: {role}"
        );
    }
    for binding in namespaced
        .iter()
        .filter(|o| o["kind"] == "ClusterRoleBinding")
    {
        let role = binding["roleRef"]["name"].as_str().unwrap_or_default();
        ensure!(
            role.ends_with("-tenant-policies"),
            "watchNamespace binds {role} cluster-wide"
        );
    }
    let args = one(&namespaced, "Deployment")?["spec"]["template"]["spec"]["containers"][0]["args"]
        .to_string();
    ensure!(
        args.contains(&format!("--namespace={}", ctx.namespace)),
        "{args}"
    );

    ensure!(
        !kinds(&objects).contains(&"NetworkPolicy"),
        "the NetworkPolicy is opt-in"
    );
    let fenced = rendered(
        &ctx,
        &[
            "networkPolicy.enabled=true",
            "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team=monitoring",
        ],
    )?;
    let policy = &one(&fenced, "NetworkPolicy")?["spec"];
    ensure!(
        policy["policyTypes"] == serde_json::json!(["Ingress"]),
        "{policy}"
    );
    ensure!(
        policy["ingress"][0]["ports"]
            == serde_json::json!([{"port": "http-metrics", "protocol": "TCP"}]),
        "{policy}"
    );

    let limited = rendered(&ctx, &["aws.rateLimits.service-write=100:10"])?;
    let args = one(&limited, "Deployment")?["spec"]["template"]["spec"]["containers"][0]["args"]
        .to_string();
    ensure!(
        args.contains("--aws-rate-limit=service-write=100:10")
            && args.contains("--aws-read-timeout=30s"),
        "{args}"
    );
    let refused = ctx.env.helm(
        &[
            "lint",
            "--strict",
            CHART,
            "--set",
            "aws.rateLimits.services=100:10",
        ],
        None,
    );
    ensure!(
        refused.is_err(),
        "an unknown action group passed the values schema"
    );

    let without = rendered(&ctx, &["crds.install=false", "crds.keep=false"])?;
    ensure!(!kinds(&without).contains(&"CustomResourceDefinition"));
    let unkept = rendered(&ctx, &["crds.keep=false"])?;
    ensure!(
        unkept
            .iter()
            .filter(|o| o["kind"] == "CustomResourceDefinition")
            .all(|c| c["metadata"]["annotations"]["helm.sh/resource-policy"].is_null())
    );
    Ok(())
}

/// Whether `user` may `verb` `resource` in `namespace`, as `kubectl auth can-i` says.
pub fn can_i(
    ctx: &TestContext,
    user: &str,
    namespace: &str,
    verb: &str,
    resource: &str,
) -> Result<bool> {
    // `kind/status` would be read as the object named status: subresources go apart.
    let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
    let mut args = vec![
        "auth", "can-i", verb, resource, "-n", namespace, "--as", user,
    ];
    if !subresource.is_empty() {
        args.extend(["--subresource", subresource]);
    }
    let out = ctx.env.kubectl_output(&args, None)?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "yes")
}

/// A kubeconfig that authenticates as ServiceAccount `account` of `namespace` (an
/// hour's token).
pub fn service_account_kubeconfig(
    ctx: &TestContext,
    account: &str,
    namespace: &str,
    path: &std::path::Path,
) -> Result<()> {
    let token = ctx.kubectl(&["create", "token", account, "-n", namespace, "--duration=1h"])?;
    token_kubeconfig(ctx, token.trim(), path)
}

/// A kubeconfig that authenticates with `token` only.
fn token_kubeconfig(ctx: &TestContext, token: &str, path: &std::path::Path) -> Result<()> {
    let view = |path: &str| {
        ctx.kubectl(&[
            "config",
            "view",
            "--minify",
            "--raw",
            "-o",
            &format!("jsonpath={{{path}}}"),
        ])
    };
    let server = view(".clusters[0].cluster.server")?;
    let ca = view(".clusters[0].cluster.certificate-authority")?;
    let config = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\nusers:\n- name: operator\n  user:\n    token: {token}\ncontexts:\n- name: operator\n  context: {{cluster: test, user: operator}}\ncurrent-context: operator\n"
    );
    std::fs::write(path, config)?;
    Ok(())
}

pub async fn the_charts_identity_runs_the_full_lifecycle_and_nothing_more(
    ctx: TestContext,
) -> Result<()> {
    ensure!(operator::stop(), "the shared operator did not stop cleanly");
    let apps = ctx.unique_name("apps");
    let other = ctx.unique_name("other");
    let result = lifecycle_as_the_chart(&ctx, &apps, &other).await;
    let _ = ctx
        .env
        .helm(&["uninstall", "rel", "--namespace", &ctx.namespace], None);
    for namespace in [&apps, &other] {
        let _ = ctx.kubectl(&["delete", "namespace", namespace, "--wait=false"]);
    }
    result
}

async fn lifecycle_as_the_chart(ctx: &TestContext, apps: &str, other: &str) -> Result<()> {
    for namespace in [apps, other] {
        ctx.kubectl(&["create", "namespace", namespace])?;
    }
    let watch = format!("watchNamespace={apps}");
    ctx.env.helm(
        &[
            "install",
            "rel",
            CHART,
            "--namespace",
            &ctx.namespace,
            "--take-ownership",
            "--set",
            &watch,
        ],
        None,
    )?;
    let manifest = ctx.env.helm(
        &["get", "manifest", "rel", "--namespace", &ctx.namespace],
        None,
    )?;
    let created = ctx
        .env
        .kubectl_stdin(&["get", "-f", "-", "-o", "name"], &manifest)?;
    eprintln!(
        "[e2e] helm install created {} objects",
        created.lines().count()
    );
    let documents = manifest.lines().filter(|l| l.starts_with("kind:")).count();
    ensure!(
        created.lines().count() == documents,
        "{documents} objects in the release, but these exist:\n{created}"
    );

    // The identity and the command line come from what the chart installed.
    let deployment = ctx.kubectl_ns(&["get", "deployment", "rel-ecs-operator", "-o", "json"])?;
    let deployment: Value = serde_json::from_str(&deployment)?;
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<String> = container["args"]
        .as_array()
        .context("container args")?
        .iter()
        .filter_map(|a| a.as_str())
        .filter(|a| *a != "run" && !a.starts_with("--http-address"))
        .map(String::from)
        .collect();
    let account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
        .as_str()
        .context("serviceAccountName")?
        .to_string();
    let token = ctx.kubectl_ns(&["create", "token", &account, "--duration=1h"])?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = dir.path().join("kubeconfig");
    token_kubeconfig(ctx, token.trim(), &kubeconfig)?;
    let kubeconfig = kubeconfig.to_string_lossy().into_owned();
    let as_operator = |args: &[&str]| {
        let mut all = vec!["--kubeconfig", kubeconfig.as_str()];
        all.extend_from_slice(args);
        ctx.env.kubectl_output(&all, None)
    };

    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let operator = Operator::start(
        &ctx.env,
        "chart",
        &arg_refs,
        &[
            ("KUBECONFIG", kubeconfig.as_str()),
            ("POD_NAME", "rel-ecs-operator-test"),
            ("POD_NAMESPACE", ctx.namespace.as_str()),
        ],
    )?;

    let cluster = ctx.unique_name("chart");
    let name = ctx.unique_name("web");
    apply_ready_service(ctx, apps, &cluster, &name)?;
    ctx.apply_in(apps, &seed_manifest(&name, "nginx:1.27"))?;
    eventually("revision 2 rolled out", 40, || async {
        let (_, revision, _) = in_moto(ctx, &cluster, &name).await?;
        Ok(revision.ends_with(&format!("/{name}:2")).then_some(()))
    })
    .await?;

    // A Task runs under the identity too, and its TTL deletes it: the one delete it holds.
    let network = moto_network(ctx)?;
    ctx.apply_in(
        apps,
        &task_manifest(
            "once",
            &cluster,
            &name,
            &network,
            r#"["sh", "-c", "exit 0"]"#,
            "  ttlSecondsAfterFinished: 0\n",
        ),
    )?;
    eventually("the Task ran and its TTL deleted it", 60, || async {
        let left = ctx.kubectl(&["get", "task.ecs.operator.dev", "-n", apps, "-o", "name"])?;
        Ok(left.trim().is_empty().then_some(()))
    })
    .await?;

    // A ScheduledTask's schedule is made and removed under the identity too.
    ctx.apply_in(
        apps,
        &scheduled_task_manifest(
            "nightly",
            "cron(0 2 * * ? *)",
            &cluster,
            &name,
            &network,
            r#"["sh", "-c", "exit 0"]"#,
            "",
        ),
    )?;
    ctx.kubectl(&[
        "wait",
        "-n",
        apps,
        "scheduledtask.ecs.operator.dev/nightly",
        "--for=condition=Ready",
        "--timeout=60s",
    ])?;
    ctx.kubectl(&[
        "delete",
        "-n",
        apps,
        "scheduledtask.ecs.operator.dev/nightly",
        "--timeout=60s",
    ])?;

    // A CapacityProvider is made and deleted under the identity too.
    let provider = ctx.unique_name("chart-asg");
    let capacity = "capacityprovider.ecs.operator.dev";
    ctx.apply_in(apps, &auto_scaling_manifest(&provider, &provider, 80))?;
    ctx.wait_ready_in(apps, capacity, &provider)?;
    ctx.kubectl(&["delete", "-n", apps, capacity, &provider, "--timeout=90s"])?;

    // What the identity may not do.
    let secrets = as_operator(&["get", "secrets", "-n", apps])?;
    ensure!(
        !secrets.status.success(),
        "the operator's identity can read Secrets"
    );
    let elsewhere = as_operator(&["get", "clusters.ecs.operator.dev", "-n", other])?;
    ensure!(
        !elsewhere.status.success(),
        "the operator's identity can read another namespace"
    );
    let everywhere = as_operator(&["get", "clusters.ecs.operator.dev", "--all-namespaces"])?;
    ensure!(
        !everywhere.status.success(),
        "the operator's identity can list every namespace"
    );
    let other_lease = as_operator(&["get", "lease", "another-lease", "-n", &ctx.namespace])?;
    ensure!(
        String::from_utf8_lossy(&other_lease.stderr).contains("forbidden"),
        "the operator's identity may read Leases other than its own: {}",
        String::from_utf8_lossy(&other_lease.stderr)
    );
    let patch = |kind: &str, body: &str| {
        let kind = format!("--type={kind}");
        as_operator(&["patch", "cluster", &cluster, "-n", apps, &kind, "-p", body])
    };
    let owner = r#"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"x","uid":"00000000-0000-0000-0000-000000000000"}]}}"#;
    let finalizer = r#"[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/hold"}]"#;
    let refused_writes = [
        (
            "spec",
            patch("merge", r#"{"spec":{"tags":{"owner":"operator"}}}"#)?,
            "never spec",
        ),
        (
            "labels",
            as_operator(&["label", "cluster", &cluster, "-n", apps, "checked-by=e2e"])?,
            "never labels",
        ),
        (
            "annotations",
            as_operator(&[
                "annotate",
                "cluster",
                &cluster,
                "-n",
                apps,
                "checked-by=e2e",
            ])?,
            "never annotations",
        ),
        (
            "ownerReferences",
            patch("merge", owner)?,
            "never ownerReferences",
        ),
        (
            "another finalizer",
            patch("json", finalizer)?,
            "only its own finalizer",
        ),
    ];
    for (what, write, refusal) in refused_writes {
        let stderr = String::from_utf8_lossy(&write.stderr);
        ensure!(
            !write.status.success(),
            "the operator's identity changed {what}"
        );
        ensure!(
            stderr.contains(refusal),
            "{what} refused for another reason: {stderr}"
        );
    }

    tenants_may_edit_our_kinds_but_not_status_nor_policies(ctx, apps).await?;
    approvers_approve_as_themselves_and_cannot_edit_services(ctx, &ctx.namespace, apps).await?;
    tenant_policies_are_checked_at_admission(ctx, other, apps).await?;

    for (kind, object) in [
        ("service.ecs.operator.dev", &name),
        ("taskdefinition", &name),
        ("cluster", &cluster),
    ] {
        ctx.kubectl(&[
            "delete",
            "-n",
            apps,
            &format!("{kind}/{object}"),
            "--timeout=60s",
        ])?;
    }
    let (status, _, _) = in_moto(ctx, &cluster, &name).await?;
    ensure!(status == "INACTIVE", "the ECS service is {status}");

    let lease = ctx.kubectl_ns(&[
        "get",
        "lease",
        "rel-ecs-operator",
        "-o",
        "jsonpath={.spec.holderIdentity}",
    ])?;
    ensure!(
        lease == "rel-ecs-operator-test",
        "the lease is held by {lease:?}"
    );
    let log_path = operator.log.clone();
    let (exit, _) = operator.terminate(Duration::from_secs(30))?;
    let log = std::fs::read_to_string(log_path)?;
    let denied: Vec<_> = log
        .lines()
        .filter(|l| l.to_lowercase().contains("forbidden"))
        .take(3)
        .collect();
    ensure!(
        denied.is_empty(),
        "the operator was refused something it needs:\n{}",
        denied.join("\n")
    );
    ensure!(exit.success(), "the operator exited with {exit}");
    Ok(())
}

/// The chart's TenantPolicy admission policy refuses, at apply, a name, a reference or a
/// host setting the policy governing the namespace does not allow, naming the field and
/// the policy; a namespace no policy governs is not affected. Server-side dry runs, in
/// `governed`, which the chart's operator does not watch, so nothing is reconciled.
async fn tenant_policies_are_checked_at_admission(
    ctx: &TestContext,
    governed: &str,
    free: &str,
) -> Result<()> {
    let policy = format!("{governed}-admission");
    ctx.apply(&format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: TenantPolicy\nmetadata:\n  name: {policy}\n\
         spec:\n  namespaces: [{governed}]\n  names:\n    clusters: [\"team-*\"]\n  \
         references:\n    subnets: [subnet-allowed]\n    roles: [\"arn:aws:iam::123456789012:role/team-*\"]\n  \
         taskDefinitionProfile: Restricted\n"
    ))?;
    let result = refusals_at_admission(ctx, &policy, governed, free).await;
    ctx.kubectl(&["delete", "tenantpolicy", &policy])?;
    result
}

async fn refusals_at_admission(
    ctx: &TestContext,
    policy: &str,
    governed: &str,
    free: &str,
) -> Result<()> {
    let dry_run = |namespace: &str, manifest: &str| {
        ctx.env.kubectl_output(
            &["apply", "--dry-run=server", "-n", namespace, "-f", "-"],
            Some(manifest),
        )
    };
    let cluster = |name: &str| {
        format!(
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: web\n\
             spec:\n  clusterName: {name}\n"
        )
    };
    // The policy reaches the admission plugin's param cache shortly after it is created.
    let refusal = eventually("the TenantPolicy enforced at admission", 30, || async {
        let out = dry_run(governed, &cluster("elsewhere"))?;
        Ok((!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned()))
    })
    .await?;
    let expected = format!(
        "spec.clusterName elsewhere is not allowed in namespace {governed} by TenantPolicy {policy} \
         (names.clusters: team-*)"
    );
    ensure!(refusal.contains(&expected), "refused otherwise: {refusal}");
    for (namespace, manifest, what) in [
        (governed, cluster("team-web"), "an allowed name"),
        (
            governed,
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: ScheduledTask\nmetadata:\n  name: nightly\nspec:\n  \
             scheduleExpression: rate(1 hour)\n  roleArn: arn:aws:iam::123456789012:role/team-scheduler\n  \
             task:\n    clusterRef: {name: web}\n    taskDefinitionRef: {name: web}\n    \
             networkConfiguration:\n      awsvpcConfiguration: {subnets: [subnet-allowed]}\n"
                .to_string(),
            "a ScheduledTask naming only allowed references",
        ),
        (free, cluster("elsewhere"), "a namespace no policy governs"),
    ] {
        let out = dry_run(namespace, &manifest)?;
        ensure!(
            out.status.success(),
            "{what} was refused: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let refused = [
        (
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: Service\nmetadata:\n  name: web\nspec:\n  \
             clusterRef: {name: web}\n  taskDefinitionRef: {name: web}\n  networkConfiguration:\n    \
             awsvpcConfiguration: {subnets: [subnet-other]}\n",
            "spec.networkConfiguration.awsvpcConfiguration.subnets subnet-other is not allowed",
        ),
        (
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: Service\nmetadata:\n  name: web\nspec:\n  \
             clusterRef: {name: web}\n  taskDefinitionRef: {name: web}\n  preDeploy:\n    \
             taskRoleArn: arn:aws:iam::123456789012:role/admin\n    \
             containerOverrides: [{name: web, command: [./migrate]}]\n",
            "spec.preDeploy.taskRoleArn arn:aws:iam::123456789012:role/admin is not allowed",
        ),
        (
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: ScheduledTask\nmetadata:\n  name: nightly\nspec:\n  \
             scheduleExpression: rate(1 hour)\n  roleArn: arn:aws:iam::123456789012:role/team-scheduler\n  \
             task:\n    clusterRef: {name: web}\n    taskDefinitionRef: {name: web}\n    \
             networkConfiguration:\n      awsvpcConfiguration: {subnets: [subnet-other]}\n",
            "spec.task.networkConfiguration.awsvpcConfiguration.subnets subnet-other is not allowed",
        ),
        (
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: ScheduledTask\nmetadata:\n  name: nightly\nspec:\n  \
             scheduleExpression: rate(1 hour)\n  roleArn: arn:aws:iam::123456789012:role/admin\n  \
             task:\n    clusterRef: {name: web}\n    taskDefinitionRef: {name: web}\n",
            "spec.roleArn arn:aws:iam::123456789012:role/admin is not allowed",
        ),
        (
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata:\n  name: web\n\
             spec:\n  requiresCompatibilities: [EC2]\n  networkMode: host\n  containerDefinitions:\n    \
             - {name: web, image: nginx, memory: 128}\n",
            "the restricted task definition profile refuses spec.networkMode host",
        ),
        (
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata:\n  name: web\n\
             spec:\n  requiresCompatibilities: [EC2]\n  containerDefinitions:\n    \
             - {name: web, image: nginx, memory: 128, privileged: true}\n",
            "spec.containerDefinitions[0].privileged (root on the host)",
        ),
        (
            "apiVersion: ecs.operator.dev/v1alpha1\nkind: TaskDefinition\nmetadata:\n  name: web\n\
             spec:\n  requiresCompatibilities: [EC2]\n  containerDefinitions:\n    \
             - {name: web, image: nginx, memory: 128, dockerSecurityOptions: [no-new-privileges, 'apparmor:unconfined'], \
             linuxParameters: {devices: [{hostPath: /dev/fuse}]}}\n",
            "spec.containerDefinitions[0].linuxParameters.devices[0] /dev/fuse (a device on the host); \
             spec.containerDefinitions[0].dockerSecurityOptions[1] apparmor:unconfined (the host's confinement)",
        ),
    ];
    for (manifest, expected) in refused {
        let out = dry_run(governed, manifest)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(
            !out.status.success() && stderr.contains(expected) && stderr.contains(policy),
            "expected a refusal saying {expected:?} and naming {policy}: {stderr}"
        );
    }
    Ok(())
}

/// A namespace admin (Kubernetes' `admin` role, bound in `namespace`) gets our kinds
/// through the chart's aggregated rules, but not their status, which would let them
/// forge what the operator reports, nor the cluster-scoped TenantPolicy.
async fn tenants_may_edit_our_kinds_but_not_status_nor_policies(
    ctx: &TestContext,
    namespace: &str,
) -> Result<()> {
    ctx.kubectl(&["create", "serviceaccount", "tenant-admin", "-n", namespace])?;
    ctx.kubectl(&[
        "create",
        "rolebinding",
        "tenant-admin",
        "-n",
        namespace,
        "--clusterrole=admin",
        &format!("--serviceaccount={namespace}:tenant-admin"),
    ])?;
    let user = format!("system:serviceaccount:{namespace}:tenant-admin");
    let can = |verb: &str, resource: &str| can_i(ctx, &user, namespace, verb, resource);
    // The aggregation controller fills the admin role shortly after the chart installs.
    eventually("the admin role aggregates our kinds", 30, || async {
        Ok(can("create", "services.ecs.operator.dev")?.then_some(()))
    })
    .await?;
    for resource in ["clusters", "taskdefinitions", "services"] {
        let full = format!("{resource}.ecs.operator.dev");
        for verb in ["create", "patch", "delete"] {
            ensure!(can(verb, &full)?, "a namespace admin cannot {verb} {full}");
        }
        let status = format!("{full}/status");
        ensure!(
            !can("patch", &status)?,
            "a namespace admin can patch {status}"
        );
        ensure!(
            !can("update", &status)?,
            "a namespace admin can update {status}"
        );
    }
    for verb in ["create", "patch", "delete"] {
        ensure!(
            !can(verb, "tenantpolicies.ecs.operator.dev")?,
            "a namespace admin can {verb} TenantPolicies"
        );
    }
    let dir = tempfile::tempdir()?;
    let kubeconfig = dir.path().join("kubeconfig");
    service_account_kubeconfig(ctx, "tenant-admin", namespace, &kubeconfig)?;
    let policy = format!(
        "apiVersion: ecs.operator.dev/v1alpha1\nkind: TenantPolicy\nmetadata:\n  name: {namespace}-self-granted\nspec:\n  namespaces: [{namespace}]\n  adoption: Allowed\n"
    );
    let attempt = ctx.env.kubectl_output(
        &[
            "--kubeconfig",
            &kubeconfig.to_string_lossy(),
            "apply",
            "-f",
            "-",
        ],
        Some(&policy),
    )?;
    ensure!(
        !attempt.status.success(),
        "a namespace admin created a TenantPolicy allowing itself to adopt"
    );
    ensure!(
        String::from_utf8_lossy(&attempt.stderr).contains("forbidden"),
        "refused for another reason: {}",
        String::from_utf8_lossy(&attempt.stderr)
    );
    Ok(())
}

/// The example manifests (quick start, batch, GitOps) are accepted by the API server, and the
/// quick start's Argo CD sync waves order Cluster, TaskDefinition, Service.
pub async fn example_manifests_are_accepted_by_the_api_server(ctx: TestContext) -> Result<()> {
    // A server-side dry run needs the namespace to exist.
    ctx.kubectl(&["apply", "-f", "examples/quickstart/00-namespace.yaml"])?;
    let quickstart = ctx.env.kubectl(&[
        "apply",
        "--dry-run=server",
        "-o",
        "json",
        "-f",
        "examples/quickstart/",
    ]);
    ctx.kubectl(&["delete", "namespace", "quickstart", "--wait=false"])?;
    let list: Value = serde_json::from_str(&quickstart?)?;
    let items = list["items"].as_array().context("a List")?;
    let wave = |kind: &str| -> Result<String> {
        let object = one(items, kind)?;
        Ok(
            object["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    ensure!(wave("Cluster")? == "0" && wave("TaskDefinition")? == "1" && wave("Service")? == "2");
    ctx.kubectl(&["apply", "-f", "examples/batch/00-namespace.yaml"])?;
    let batch = ctx.env.kubectl(&[
        "apply",
        "--dry-run=server",
        "-o",
        "json",
        "-f",
        "examples/batch/",
    ]);
    ctx.kubectl(&["delete", "namespace", "media", "--wait=false"])?;
    let batch: Value = serde_json::from_str(&batch?)?;
    let batch = batch["items"].as_array().context("a List")?;
    for kind in [
        "Cluster",
        "TaskDefinition",
        "Service",
        "Task",
        "ScheduledTask",
    ] {
        one(batch, kind)?;
    }
    // Argo CD and Flux objects need those projects' CRDs, which this API server lacks:
    // read them as YAML and check that what they point at exists and says what docs/install.md says.
    let read = |file: &str| -> Result<Vec<Value>> {
        let text = std::fs::read_to_string(repo_root().join(file))?;
        serde_saphyr::from_multiple(&text).with_context(|| format!("{file} is not YAML"))
    };
    let exists = |path: &str| repo_root().join(path.trim_start_matches("./")).exists();
    for file in [
        "examples/gitops/argocd/operator.yaml",
        "examples/gitops/argocd/quickstart.yaml",
    ] {
        for app in read(file)? {
            let path = app["spec"]["source"]["path"].as_str().unwrap_or_default();
            ensure!(
                exists(path),
                "{file} points at {path:?}, which does not exist"
            );
        }
    }
    let quickstart_app = &read("examples/gitops/argocd/quickstart.yaml")?[0];
    ensure!(
        quickstart_app["spec"]["ignoreDifferences"][0]["jsonPointers"][0] == "/spec/desiredCount"
    );
    let release = &read("examples/gitops/flux/operator/helmrelease.yaml")?[0];
    ensure!(release["spec"]["install"]["crds"] == "CreateReplace");
    ensure!(release["spec"]["upgrade"]["crds"] == "CreateReplace");
    ensure!(exists(
        release["spec"]["chart"]["spec"]["chart"]
            .as_str()
            .unwrap_or_default()
    ));
    let kustomizations = read("examples/gitops/flux/kustomizations.yaml")?;
    for kustomization in &kustomizations {
        let path = kustomization["spec"]["path"].as_str().unwrap_or_default();
        ensure!(exists(path), "Kustomization path {path:?} does not exist");
        ensure!(kustomization["spec"]["wait"] == true);
    }
    ensure!(
        kustomizations[1]["spec"]["dependsOn"][0]["name"] == kustomizations[0]["metadata"]["name"]
    );
    Ok(())
}
