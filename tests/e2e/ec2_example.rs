//! examples/ec2/ applied as a user would, in the emulator: the Auto Scaling group the
//! example names is made first (two g4dn.xlarge instances, one GPU each, in two
//! zones), as its owner would have; then the capacity provider, the cluster naming
//! it, and the GPU service spread over zones come up Ready with every task on its own
//! instance; the Managed Instances variant runs beside it. Only what the emulator
//! cannot know is changed: the namespace and the placeholder network (moto's).
//! Deleting everything then goes in dependency order: services, clusters (once the
//! group is scaled in), providers.

use anyhow::{Context, Result, ensure};

use crate::support::{TestContext, eventually, moto_network};

const FILES: [&str; 4] = [
    "capacity-provider.yaml",
    "cluster.yaml",
    "image-classifier.yaml",
    "managed-instances.yaml",
];

/// Runs `script` with boto3 against the emulator.
fn python(ctx: &TestContext, script: &str) -> Result<()> {
    let out = std::process::Command::new(ctx.env.var("TESTENV_PYTHON"))
        .args(["-c", script])
        .output()?;
    ensure!(
        out.status.success(),
        "running boto3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// The Auto Scaling group `gpu-fleet`, two g4dn.xlarge instances over two zones.
fn gpu_fleet(ctx: &TestContext) -> Result<()> {
    python(
        ctx,
        r#"
import boto3
ec2 = boto3.client("ec2")
vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
subnets = [
    ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    for i, zone in enumerate(["us-east-1a", "us-east-1b"])
]
ec2.create_launch_template(
    LaunchTemplateName="gpu-fleet",
    LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "g4dn.xlarge"},
)
boto3.client("autoscaling").create_auto_scaling_group(
    AutoScalingGroupName="gpu-fleet",
    LaunchTemplate={"LaunchTemplateName": "gpu-fleet", "Version": "$Latest"},
    MinSize=2, MaxSize=4, DesiredCapacity=2,
    VPCZoneIdentifier=",".join(subnets),
)
"#,
    )
}

fn example(ctx: &TestContext, file: &str, network: &(String, String)) -> Result<String> {
    let text = std::fs::read_to_string(format!("examples/ec2/{file}"))?;
    Ok(text
        .replace(
            "namespace: vision\n",
            &format!("namespace: {}\n", ctx.namespace),
        )
        .replace("subnet-0123456789abcdef0", &network.0)
        .replace("sg-0123456789abcdef0", &network.1))
}

pub async fn the_ec2_example_places_gpu_tasks_over_zones_in_the_emulator(
    ctx: TestContext,
) -> Result<()> {
    ctx.start_operator()?;
    gpu_fleet(&ctx)?;
    let network = moto_network(&ctx)?;
    for file in FILES {
        ctx.apply(&example(&ctx, file, &network)?)?;
    }
    for (kind, name) in [
        ("capacityprovider", "gpu-fleet"),
        ("cluster", "vision-gpu"),
        ("taskdefinition", "image-classifier"),
    ] {
        ctx.kubectl_ns(&[
            "wait",
            &format!("{kind}/{name}"),
            "--for=condition=Ready",
            "--timeout=120s",
        ])?;
    }
    for name in ["image-classifier", "image-classifier-managed"] {
        ctx.kubectl_ns(&[
            "wait",
            &format!("service.ecs.operator.dev/{name}"),
            "--for=condition=Ready",
            "--timeout=180s",
        ])?;
    }

    // Two tasks, each on its own GPU instance, one per zone, on EC2.
    let ecs = ctx.ecs().await;
    let arns = ecs
        .list_tasks()
        .cluster("vision-gpu")
        .service_name("image-classifier")
        .send()
        .await?;
    let tasks = ecs
        .describe_tasks()
        .cluster("vision-gpu")
        .set_tasks(Some(arns.task_arns().to_vec()))
        .send()
        .await?;
    let tasks = tasks.tasks();
    ensure!(tasks.len() == 2, "{} tasks", tasks.len());
    let mut zones: Vec<&str> = tasks.iter().filter_map(|t| t.availability_zone()).collect();
    zones.sort();
    ensure!(zones == ["us-east-1a", "us-east-1b"], "zones {zones:?}");
    let instances: std::collections::BTreeSet<&str> = tasks
        .iter()
        .filter_map(|t| t.container_instance_arn())
        .collect();
    ensure!(instances.len() == 2, "instances {instances:?}");
    ensure!(
        tasks
            .iter()
            .all(|t| t.launch_type().map(|l| l.as_str()) == Some("EC2")),
        "launch types {:?}",
        tasks.iter().map(|t| t.launch_type()).collect::<Vec<_>>()
    );
    let cluster = ecs
        .describe_clusters()
        .clusters("vision-gpu")
        .send()
        .await?;
    let cluster = cluster.clusters().first().context("the cluster")?;
    ensure!(cluster.capacity_providers() == ["gpu-fleet"]);
    ensure!(cluster.registered_container_instances_count() == 2);

    let shown = ctx.kubectl_ns(&["get", "ecs", "-o", "wide"])?;
    eprintln!("[e2e] kubectl get ecs -o wide:\n{shown}");

    // Everything goes, the providers last: each waits for what uses it. ECS deletes no
    // cluster with container instances, so the group's owner scales it in, as in AWS.
    ctx.kubectl_ns(&[
        "delete",
        "capacityprovider,cluster,service.ecs.operator.dev,taskdefinition",
        "--all",
        "--wait=false",
    ])?;
    python(
        &ctx,
        r#"
import boto3
boto3.client("autoscaling").update_auto_scaling_group(
    AutoScalingGroupName="gpu-fleet", MinSize=0, DesiredCapacity=0
)
"#,
    )?;
    eventually("every object is gone", 240, || async {
        let left = ctx.kubectl_ns(&["get", "ecs", "-o", "name"])?;
        Ok(left.trim().is_empty().then_some(()))
    })
    .await?;
    let providers = ecs
        .describe_capacity_providers()
        .capacity_providers("gpu-fleet")
        .capacity_providers("gpu-managed")
        .send()
        .await?;
    let live: Vec<_> = providers
        .capacity_providers()
        .iter()
        .filter(|p| p.status().map(|s| s.as_str()) != Some("INACTIVE"))
        .filter_map(|p| p.name())
        .collect();
    ensure!(live.is_empty(), "providers still live: {live:?}");
    Ok(())
}
