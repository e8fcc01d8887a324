//! Contract tests: the operator's task definition conversion (`aws::sdk::SdkEcs`)
//! against moto, proving every supported field survives Register and Describe.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, ensure};
use ecs_operator::api::task_definition::TaskDefinitionFields;
use ecs_operator::aws::{EcsApi, RegisterTaskDefinition};
use ecs_operator::aws::{Freshness, RevisionState};
use serde_json::Value;

use crate::support::TestContext;

/// Every field the TaskDefinition kind supports, set to something other than its default.
const EVERY_FIELD: &str = r#"
cpu: "1024"
memory: "2048"
networkMode: awsvpc
requiresCompatibilities: [FARGATE, EC2]
taskRoleArn: arn:aws:iam::123456789012:role/app
executionRoleArn: arn:aws:iam::123456789012:role/exec
runtimePlatform: {cpuArchitecture: ARM64, operatingSystemFamily: LINUX}
ephemeralStorage: {sizeInGiB: 40}
pidMode: task
ipcMode: none
placementConstraints:
  - {type: memberOf, expression: "attribute:ecs.instance-type =~ t3.*"}
proxyConfiguration:
  type: APPMESH
  containerName: envoy
  properties:
    - {name: IgnoredUID, value: "1337"}
    - {name: AppPorts, value: "80"}
volumes:
  - name: content
    efsVolumeConfiguration:
      fileSystemId: fs-0123456789abcdef0
      rootDirectory: /site
      transitEncryption: ENABLED
      transitEncryptionPort: 2049
      authorizationConfig: {accessPointId: fsap-0123, iam: ENABLED}
  - name: bind
    host: {sourcePath: /var/data}
  - name: docker
    dockerVolumeConfiguration:
      scope: shared
      autoprovision: true
      driver: local
      driverOpts: {type: tmpfs}
      labels: {purpose: cache}
containerDefinitions:
  - name: web
    image: public.ecr.aws/nginx/nginx:1.27
    repositoryCredentials: {credentialsParameter: "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry"}
    cpu: 512
    memory: 1024
    memoryReservation: 512
    essential: true
    portMappings:
      - {containerPort: 80, hostPort: 80, protocol: tcp, name: http, appProtocol: http}
    environment:
      - {name: MODE, value: production}
    environmentFiles:
      - {value: "arn:aws:s3:::config/web.env", type: s3}
    secrets:
      - {name: DB_PASSWORD, valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}
    command: [nginx, -g, daemon off;]
    entryPoint: [/docker-entrypoint.sh]
    workingDirectory: /srv
    user: "101"
    healthCheck:
      command: [CMD-SHELL, "curl -f http://localhost/ || exit 1"]
      interval: 10
      timeout: 3
      retries: 5
      startPeriod: 20
    logConfiguration:
      logDriver: awslogs
      options: {awslogs-group: /ecs/web, awslogs-region: us-east-1, awslogs-stream-prefix: web}
      secretOptions:
        - {name: token, valueFrom: "arn:aws:ssm:us-east-1:123456789012:parameter/log-token"}
    mountPoints:
      - {sourceVolume: content, containerPath: /usr/share/nginx/html, readOnly: true}
    volumesFrom:
      - {sourceContainer: envoy, readOnly: true}
    dependsOn:
      - {containerName: envoy, condition: HEALTHY}
    ulimits:
      - {name: nofile, softLimit: 65536, hardLimit: 65536}
    linuxParameters:
      initProcessEnabled: true
      capabilities: {add: [SYS_PTRACE], drop: [NET_RAW]}
    readonlyRootFilesystem: true
    stopTimeout: 30
    startTimeout: 60
    dockerLabels: {app: web}
    restartPolicy: {enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 120}
    interactive: true
    pseudoTerminal: true
    versionConsistency: disabled
  - name: envoy
    image: public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29
    essential: true
    healthCheck:
      command: [CMD-SHELL, "curl -s http://localhost:9901/ready"]
  - name: router
    image: public.ecr.aws/aws-observability/aws-for-fluent-bit:stable
    essential: false
    firelensConfiguration:
      type: fluentbit
      options: {enable-ecs-log-metadata: "true"}
"#;

/// The fields ECS accepts only off Fargate (the API server refuses them beside FARGATE).
const EC2_ONLY_FIELDS: &str = r#"
requiresCompatibilities: [EC2]
networkMode: bridge
enableFaultInjection: true
containerDefinitions:
  - name: trainer
    image: public.ecr.aws/docker/library/python:3.12
    essential: true
    memory: 4096
    privileged: true
    resourceRequirements:
      - {type: GPU, value: "2"}
    systemControls:
      - {namespace: net.core.somaxconn, value: "1024"}
    extraHosts:
      - {hostname: db.internal, ipAddress: 10.0.0.12}
    dnsServers: [10.0.0.2, 10.0.0.3]
    dnsSearchDomains: [internal.example]
    hostname: trainer
    linuxParameters:
      sharedMemorySize: 512
      maxSwap: 1024
      swappiness: 10
      devices:
        - {hostPath: /dev/fuse, containerPath: /dev/fuse, permissions: [read, write]}
      tmpfs:
        - {containerPath: /scratch, size: 256, mountOptions: [noexec, nosuid]}
    links: ["cache:redis"]
    dockerSecurityOptions: [no-new-privileges, "label:type:container_t"]
    credentialSpecs: ["credentialspecdomainless:arn:aws:ssm:us-east-1:123456789012:parameter/gmsa"]
  - name: cache
    image: public.ecr.aws/docker/library/redis:7
    essential: false
    memory: 256
"#;

pub async fn task_definition_register_and_describe_round_trip(ctx: TestContext) -> Result<()> {
    let ecs = ctx.sdk().await;
    round_trip(&ecs, "contract", EVERY_FIELD).await?;
    round_trip(&ecs, "contract-ec2", EC2_ONLY_FIELDS).await
}

async fn round_trip(ecs: &ecs_operator::aws::sdk::SdkEcs, family: &str, yaml: &str) -> Result<()> {
    let fields: TaskDefinitionFields = serde_saphyr::from_str(yaml)?;
    let request = RegisterTaskDefinition {
        family: family.into(),
        fields: fields.clone(),
        tags: BTreeMap::from([
            ("team".into(), "payments".into()),
            ("ecs.operator.dev/spec-hash".into(), "abc".into()),
        ]),
    };
    let registered = ecs.register_task_definition(&request).await?;
    ensure!(
        registered.revision == 1
            && registered.family == family
            && registered.status == RevisionState::Active,
        "{registered:?}"
    );
    // moto 5.2 leaves registeredAt out of task definitions, and tags out of the
    // RegisterTaskDefinition response (ECS includes both). The reconciler records the
    // hash it sent rather than reading it back, and its tests cover registeredAt.

    let described = ecs
        .describe_task_definition(&registered.arn, Freshness::Live)
        .await?
        .context("describe by ARN")?;
    ensure!(described.tags == request.tags, "tags: {:?}", described.tags);
    let sent = serde_json::to_value(&fields)?;
    let got = serde_json::to_value(&described.fields)?;
    let mut changed = Vec::new();
    differences(&sent, &got, "", &mut changed);
    ensure!(
        changed.is_empty(),
        "fields changed on the way through moto:\n{}",
        changed.join("\n")
    );
    Ok(())
}

/// JSON paths where `sent` and `got` differ, with both values.
fn differences(sent: &Value, got: &Value, path: &str, out: &mut Vec<String>) {
    match (sent, got) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let (x, y) = (
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                );
                differences(x, y, &format!("{path}.{key}"), out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (x, y) if x != y => out.push(format!("{path}: sent {x}, got {y}")),
        _ => {}
    }
}

pub async fn task_definition_list_and_deregister_round_trip(ctx: TestContext) -> Result<()> {
    let ecs = ctx.sdk().await;
    let fields: TaskDefinitionFields = serde_saphyr::from_str(EVERY_FIELD)?;
    ensure!(
        ecs.describe_task_definition("never-registered:1", Freshness::Live)
            .await?
            .is_none(),
        "an unknown revision must describe as None"
    );
    let mut arns = Vec::new();
    for family in ["listed", "listed", "listed-worker"] {
        let request = RegisterTaskDefinition {
            family: family.into(),
            fields: fields.clone(),
            tags: BTreeMap::new(),
        };
        arns.push(ecs.register_task_definition(&request).await?.arn);
    }
    // ECS matches familyPrefix as a prefix (listed-worker too); moto 5.2 matches the whole
    // family. The reconciler keeps only the exact family either way, and its tests run
    // against the fake, which matches prefixes as ECS does.
    let page = ecs.list_task_definitions("listed", None).await?;
    ensure!(page.arns == arns[..2], "listing: {:?}", page.arns);

    ecs.deregister_task_definition(&arns[0]).await?;
    let gone = ecs
        .describe_task_definition(&arns[0], Freshness::Live)
        .await?
        .context("a deregistered revision stays describable")?;
    ensure!(gone.status == RevisionState::Inactive, "{}", gone.status);
    let page = ecs.list_task_definitions("listed", None).await?;
    ensure!(page.arns == arns[1..2], "ACTIVE only: {:?}", page.arns);
    Ok(())
}
