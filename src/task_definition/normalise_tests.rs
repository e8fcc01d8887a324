use super::normalise::spec_hash;
use crate::api::task_definition::{
    ContainerDefinition, ResourceRequirement, SystemControl, TaskDefinitionFields,
};

/// The spec as a user writes it: defaults left out, environment in any order.
const AS_WRITTEN: &str = r#"
cpu: "256"
memory: "512"
networkMode: awsvpc
requiresCompatibilities: [FARGATE]
executionRoleArn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
volumes:
  - name: content
    efsVolumeConfiguration:
      fileSystemId: fs-0123456789abcdef0
  - name: scratch
    host: {}
containerDefinitions:
  - name: web
    image: public.ecr.aws/nginx/nginx:1.27
    portMappings:
      - containerPort: 80
    environment:
      - {name: MODE, value: production}
      - {name: COLOUR, value: blue}
    secrets:
      - {name: DB_PASSWORD, valueFrom: arn:aws:secretsmanager:us-east-1:123456789012:secret:db}
    healthCheck:
      command: [CMD-SHELL, "curl -f http://localhost/ || exit 1"]
    mountPoints:
      - {sourceVolume: content, containerPath: /usr/share/nginx/html}
    logConfiguration:
      logDriver: awslogs
      options:
        awslogs-group: /ecs/web
        awslogs-region: us-east-1
        awslogs-stream-prefix: web
    dependsOn:
      - {containerName: init, condition: SUCCESS}
  - name: init
    image: busybox
    essential: false
    command: [sh, -c, "echo ready"]
    linuxParameters:
      initProcessEnabled: false
      capabilities: {}
"#;

/// The same task definition as DescribeTaskDefinition returns it: server-side defaults
/// filled in, empty lists present, read-only fields alongside (ignored when parsed).
const AS_DESCRIBED: &str = r#"{
  "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
  "family": "web",
  "revision": 3,
  "status": "ACTIVE",
  "compatibilities": ["EC2", "FARGATE"],
  "requiresAttributes": [{"name": "ecs.capability.execution-role-awslogs"}],
  "cpu": "256",
  "memory": "512",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
  "placementConstraints": [],
  "volumes": [
    {"name": "scratch", "host": {}},
    {"name": "content", "efsVolumeConfiguration": {
      "fileSystemId": "fs-0123456789abcdef0", "rootDirectory": "/", "transitEncryption": "DISABLED"}}
  ],
  "containerDefinitions": [
    {
      "name": "web",
      "image": "public.ecr.aws/nginx/nginx:1.27",
      "cpu": 0,
      "essential": true,
      "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
      "environment": [{"name": "COLOUR", "value": "blue"}, {"name": "MODE", "value": "production"}],
      "environmentFiles": [],
      "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}],
      "mountPoints": [{"sourceVolume": "content", "containerPath": "/usr/share/nginx/html", "readOnly": false}],
      "volumesFrom": [],
      "systemControls": [],
      "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
      "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
                      "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0},
      "logConfiguration": {"logDriver": "awslogs", "secretOptions": [], "options": {
        "awslogs-stream-prefix": "web", "awslogs-group": "/ecs/web", "awslogs-region": "us-east-1"}}
    },
    {
      "name": "init",
      "image": "busybox",
      "cpu": 0,
      "essential": false,
      "command": ["sh", "-c", "echo ready"],
      "portMappings": [],
      "environment": [],
      "mountPoints": [],
      "volumesFrom": []
    }
  ]
}"#;

fn written() -> TaskDefinitionFields {
    serde_saphyr::from_str(AS_WRITTEN).expect("spec parses")
}

fn hash(fields: &TaskDefinitionFields) -> String {
    spec_hash("web", fields)
}

#[test]
fn spec_as_written_and_as_described_hash_the_same() {
    let described: TaskDefinitionFields =
        serde_json::from_str(AS_DESCRIBED).expect("DescribeTaskDefinition output parses");
    assert_eq!(hash(&written()), hash(&described));
}

#[test]
fn explicit_defaults_hash_like_omitted_ones() {
    let mut explicit = written();
    let web = &mut explicit.container_definitions[0];
    web.essential = Some(true);
    web.readonly_root_filesystem = Some(false);
    web.privileged = Some(false);
    web.interactive = Some(false);
    web.pseudo_terminal = Some(false);
    web.version_consistency = Some("enabled".into());
    web.port_mappings[0].protocol = Some("tcp".into());
    let check = web.health_check.as_mut().unwrap();
    check.interval = Some(30);
    check.retries = Some(3);
    explicit.requires_compatibilities = vec!["FARGATE".into(), "FARGATE".into()];
    assert_eq!(hash(&written()), hash(&explicit));
}

#[test]
fn a_gpu_or_a_privileged_container_is_a_new_revision() {
    let mut gpu = written();
    gpu.container_definitions[0].resource_requirements = vec![ResourceRequirement {
        type_: "GPU".into(),
        value: "1".into(),
    }];
    let mut privileged = written();
    privileged.container_definitions[0].privileged = Some(true);
    let mut pinned_by_tag = written();
    pinned_by_tag.container_definitions[0].version_consistency = Some("disabled".into());
    for changed in [gpu, privileged, pinned_by_tag] {
        assert_ne!(hash(&written()), hash(&changed), "{changed:?}");
    }
}

#[test]
fn hash_is_a_stable_sha256() {
    let h = hash(&written());
    assert_eq!(h.len(), 64);
    assert_eq!(h, hash(&written()));
}

/// The hash is stored as a tag on every registered revision: an upgrade that changed it
/// would register a new revision of every task definition in every estate.
#[test]
fn the_stored_spec_hash_is_the_one_earlier_releases_wrote() {
    assert_eq!(
        hash(&written()),
        "1db32d2d22ca84aaa44d28449bdbab96a649d90c757d23d18b6ef9c2ac9df241"
    );
    assert_eq!(
        spec_hash("api", &TaskDefinitionFields::default()),
        "c4387fa1713d7b1cbfb976a9dc03505c902a989a58ffde451f1a21cdb321105b"
    );
}

#[test]
fn family_is_part_of_the_hash() {
    assert_ne!(spec_hash("web", &written()), spec_hash("api", &written()));
}

type Edit = fn(&mut TaskDefinitionFields);

#[test]
fn every_real_change_hashes_differently() {
    let edits: &[(&str, Edit)] = &[
        ("image", |f| {
            f.container_definitions[0].image = "nginx:1.28".into()
        }),
        ("task cpu", |f| f.cpu = Some("512".into())),
        ("task memory", |f| f.memory = Some("1024".into())),
        ("environment value", |f| {
            f.container_definitions[0].environment[0].value = "staging".into()
        }),
        ("secret source", |f| {
            f.container_definitions[0].secrets[0].value_from = "arn:other".into()
        }),
        ("essential flag", |f| {
            f.container_definitions[1].essential = Some(true)
        }),
        ("command order", |f| {
            f.container_definitions[1].command.reverse()
        }),
        ("container order", |f| f.container_definitions.reverse()),
        ("port", |f| {
            f.container_definitions[0].port_mappings[0].container_port = 8080
        }),
        ("health check interval", |f| {
            f.container_definitions[0]
                .health_check
                .as_mut()
                .unwrap()
                .interval = Some(10)
        }),
        ("log option", |f| {
            f.container_definitions[0]
                .log_configuration
                .as_mut()
                .unwrap()
                .options
                .insert("mode".into(), "non-blocking".into());
        }),
        ("mount read-only", |f| {
            f.container_definitions[0].mount_points[0].read_only = Some(true)
        }),
        ("efs transit encryption", |f| {
            f.volumes[0]
                .efs_volume_configuration
                .as_mut()
                .unwrap()
                .transit_encryption = Some("ENABLED".into())
        }),
        ("task role", |f| {
            f.task_role_arn = Some("arn:aws:iam::123456789012:role/app".into())
        }),
        ("init process", |f| {
            f.container_definitions[1].linux_parameters =
                serde_json::from_str(r#"{"initProcessEnabled": true}"#).unwrap()
        }),
        ("network mode", |f| f.network_mode = Some("bridge".into())),
    ];
    let base = hash(&written());
    for (what, edit) in edits {
        let mut changed = written();
        edit(&mut changed);
        assert_ne!(
            hash(&changed),
            base,
            "changing the {what} must change the hash"
        );
    }
}

#[test]
fn host_port_follows_container_port_only_under_awsvpc() {
    let mut bridge = written();
    bridge.network_mode = Some("bridge".into());
    let mut with_host_port = bridge.clone();
    with_host_port.container_definitions[0].port_mappings[0].host_port = Some(80);
    assert_ne!(hash(&bridge), hash(&with_host_port));

    let mut dynamic = bridge.clone();
    dynamic.container_definitions[0].port_mappings[0].host_port = Some(0);
    assert_eq!(hash(&bridge), hash(&dynamic));
}

#[test]
fn sysctls_and_hosts_lines_are_order_free_but_dns_servers_keep_their_order() {
    fn with(edit: impl Fn(&mut ContainerDefinition)) -> String {
        let mut fields = written();
        edit(&mut fields.container_definitions[0]);
        hash(&fields)
    }
    let sysctls = |c: &mut ContainerDefinition, order: [&str; 2]| {
        c.system_controls = order
            .iter()
            .map(|n| SystemControl {
                namespace: (*n).into(),
                value: "1".into(),
            })
            .collect();
    };
    assert_eq!(
        with(|c| sysctls(c, ["net.core.somaxconn", "net.ipv4.tcp_syncookies"])),
        with(|c| sysctls(c, ["net.ipv4.tcp_syncookies", "net.core.somaxconn"]))
    );
    assert_ne!(
        with(|c| c.dns_servers = vec!["10.0.0.2".into(), "10.0.0.3".into()]),
        with(|c| c.dns_servers = vec!["10.0.0.3".into(), "10.0.0.2".into()]),
        "the resolver asks them in order"
    );
    assert_eq!(
        with(|c| c.disable_networking = Some(false)),
        with(|_| {}),
        "false is ECS's default"
    );
}

#[test]
fn devices_and_tmpfs_mounts_are_order_free_and_fault_injection_false_is_the_default() {
    use crate::api::task_definition::{Device, LinuxParameters, Tmpfs};
    fn with(edit: impl Fn(&mut TaskDefinitionFields)) -> String {
        let mut fields = written();
        edit(&mut fields);
        hash(&fields)
    }
    let device = |path: &str, permissions: &[&str]| Device {
        host_path: path.into(),
        container_path: None,
        permissions: permissions.iter().map(|p| (*p).into()).collect(),
    };
    let tmpfs = |path: &str| Tmpfs {
        container_path: path.into(),
        size: 64,
        mount_options: vec!["noexec".into()],
    };
    let linux = |devices: Vec<Device>, mounts: Vec<Tmpfs>| {
        move |f: &mut TaskDefinitionFields| {
            f.container_definitions[0].linux_parameters = Some(LinuxParameters {
                devices: devices.clone(),
                tmpfs: mounts.clone(),
                ..Default::default()
            });
        }
    };
    assert_eq!(
        with(linux(
            vec![
                device("/dev/fuse", &["read", "write"]),
                device("/dev/nvidia0", &[])
            ],
            vec![tmpfs("/run"), tmpfs("/tmp")]
        )),
        with(linux(
            vec![
                device("/dev/nvidia0", &[]),
                device("/dev/fuse", &["write", "read"])
            ],
            vec![tmpfs("/tmp"), tmpfs("/run")]
        ))
    );
    assert_ne!(
        with(linux(vec![device("/dev/fuse", &["read"])], vec![])),
        with(linux(vec![device("/dev/fuse", &["read", "write"])], vec![])),
        "a permission more is a change"
    );
    assert_eq!(
        with(|f| f.enable_fault_injection = Some(false)),
        with(|_| {}),
        "false is ECS's default"
    );
    assert_ne!(
        with(|f| f.enable_fault_injection = Some(true)),
        with(|_| {})
    );
}
