"""EC2 capacity: the instances of an Auto Scaling group capacity provider register
with the clusters that use it, and tasks are placed on them as ECS places them
(ECS Developer Guide: capacity providers for EC2 workloads, GPU workloads, task
placement strategies and constraints)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ecs_emulator.container_instances import UNABLE_TO_PLACE
from tests.support import EmulatorTestCase


class Ec2CapacityCase(EmulatorTestCase):
    """Two g4dn.xlarge instances (one T4 GPU each) in two availability zones behind a
    capacity provider that is the cluster's default strategy."""

    instance_type = "g4dn.xlarge"
    instances = 2

    def setUp(self):
        super().setUp()
        self.autoscaling = self.client("autoscaling")
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for i, zone in enumerate(["us-east-1a", "us-east-1b"])
        ]
        self.ec2.create_launch_template(
            LaunchTemplateName="gpu",
            LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": self.instance_type},
        )
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="gpu-workers",
            LaunchTemplate={"LaunchTemplateName": "gpu", "Version": "$Latest"},
            MinSize=self.instances,
            MaxSize=self.instances,
            DesiredCapacity=self.instances,
            VPCZoneIdentifier=",".join(subnets),
        )
        group = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["gpu-workers"])
        arn = group["AutoScalingGroups"][0]["AutoScalingGroupARN"]
        self.ecs.create_capacity_provider(name="gpu", autoScalingGroupProvider={"autoScalingGroupArn": arn})
        self.ecs.create_cluster(
            clusterName="apps",
            capacityProviders=["gpu"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "gpu", "weight": 1}],
        )

    def register_gpu_task(self, gpus=1, memory=1024):
        return self.ecs.register_task_definition(
            family="trainer",
            requiresCompatibilities=["EC2"],
            networkMode="bridge",
            containerDefinitions=[
                {
                    "name": "train",
                    "image": "public.ecr.aws/docker/library/python:3.12",
                    "memory": memory,
                    "portMappings": [{"containerPort": 8080, "hostPort": 0}],
                    "resourceRequirements": [{"type": "GPU", "value": str(gpus)}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]

    def container_instances(self):
        arns = self.ecs.list_container_instances(cluster="apps")["containerInstanceArns"]
        return self.ecs.describe_container_instances(cluster="apps", containerInstances=arns)["containerInstances"]

    def running(self):
        return [t for t in self.tasks() if t["lastStatus"] == "RUNNING"]


class ContainerInstancesTest(Ec2CapacityCase):
    def test_the_groups_instances_register_with_their_cpu_memory_and_gpus(self):
        cluster = self.ecs.describe_clusters(clusters=["apps"])["clusters"][0]
        self.assertEqual(cluster["registeredContainerInstancesCount"], 2)
        instances = self.container_instances()
        self.assertEqual({i["capacityProviderName"] for i in instances}, {"gpu"})
        resources = {r["name"]: r for r in instances[0]["registeredResources"]}
        # g4dn.xlarge: 4 vCPUs, 16 GiB, one GPU.
        self.assertEqual(resources["CPU"]["integerValue"], 4096)
        self.assertEqual(resources["MEMORY"]["integerValue"], 16384)
        self.assertEqual(len(resources["GPU"]["stringSetValue"]), 1)
        zones = {a["value"] for i in instances for a in i["attributes"] if a["name"] == "ecs.availability-zone"}
        self.assertEqual(zones, {"us-east-1a", "us-east-1b"})

    def test_the_cluster_cannot_be_deleted_until_the_group_scales_in(self):
        self.ecs.describe_clusters(clusters=["apps"])
        with self.assertRaises(ClientError) as refused:
            self.ecs.delete_cluster(cluster="apps")
        self.assertEqual(refused.exception.response["Error"]["Code"], "ClusterContainsContainerInstancesException")
        self.autoscaling.update_auto_scaling_group(AutoScalingGroupName="gpu-workers", MinSize=0, DesiredCapacity=0)
        cluster = self.ecs.describe_clusters(clusters=["apps"])["clusters"][0]
        self.assertEqual(cluster["registeredContainerInstancesCount"], 0)
        self.assertEqual(self.ecs.delete_cluster(cluster="apps")["cluster"]["status"], "INACTIVE")

    def test_an_instance_with_a_task_stays_registered_until_the_task_stops(self):
        td = self.register_gpu_task(memory=256)
        self.ecs.create_service(cluster="apps", serviceName="web", taskDefinition=td, desiredCount=1)
        self.step_until(self.running, lambda tasks: len(tasks) == 1)
        self.autoscaling.update_auto_scaling_group(AutoScalingGroupName="gpu-workers", MinSize=0, DesiredCapacity=0)
        self.assertEqual(len(self.container_instances()), 1)
        self.ecs.update_service(cluster="apps", service="web", desiredCount=0)
        self.step_until(self.running, lambda tasks: not tasks)
        self.advance(60)
        self.tasks(desiredStatus="STOPPED")
        cluster = self.ecs.describe_clusters(clusters=["apps"])["clusters"][0]
        self.assertEqual(cluster["registeredContainerInstancesCount"], 0)


class PlacementTest(Ec2CapacityCase):
    def test_a_service_spreads_over_zones_and_its_tasks_run_on_ec2(self):
        td = self.register_gpu_task()
        self.ecs.create_service(
            cluster="apps",
            serviceName="trainer",
            taskDefinition=td,
            desiredCount=2,
            placementStrategy=[
                {"type": "spread", "field": "attribute:ecs.availability-zone"},
                {"type": "binpack", "field": "memory"},
            ],
        )
        self.step_until(self.running, lambda tasks: len(tasks) == 2)
        tasks = self.running()
        self.assertEqual({t["launchType"] for t in tasks}, {"EC2"})
        self.assertEqual({t["capacityProviderName"] for t in tasks}, {"gpu"})
        self.assertEqual(len({t["containerInstanceArn"] for t in tasks}), 2)
        self.assertEqual({t["availabilityZone"] for t in tasks}, {"us-east-1a", "us-east-1b"})
        svc = self.service("trainer")
        self.assertEqual(svc["runningCount"], 2)

    def test_a_task_beyond_the_gpus_is_not_placed_and_the_service_says_so(self):
        td = self.register_gpu_task()
        self.ecs.create_service(cluster="apps", serviceName="trainer", taskDefinition=td, desiredCount=3)
        self.step_until(self.running, lambda tasks: len(tasks) == 2)
        self.advance(30)
        self.assertEqual(len(self.running()), 2)
        messages = [e["message"] for e in self.service("trainer")["events"]]
        self.assertTrue(any(UNABLE_TO_PLACE in m for m in messages), messages)

    def test_gpus_and_memory_come_back_when_a_task_stops(self):
        td = self.register_gpu_task(memory=4096)
        self.ecs.create_service(cluster="apps", serviceName="trainer", taskDefinition=td, desiredCount=2)
        self.step_until(self.running, lambda tasks: len(tasks) == 2)
        self.ecs.update_service(cluster="apps", service="trainer", desiredCount=0)
        self.step_until(self.running, lambda tasks: not tasks)
        self.advance(60)
        for instance in self.container_instances():
            remaining = {r["name"]: r for r in instance["remainingResources"]}
            self.assertEqual(remaining["MEMORY"]["integerValue"], 16384)
            self.assertEqual(len(remaining["GPU"]["stringSetValue"]), 1)

    def test_member_of_keeps_tasks_on_matching_instances(self):
        td = self.register_gpu_task()
        self.ecs.create_service(
            cluster="apps",
            serviceName="trainer",
            taskDefinition=td,
            desiredCount=1,
            placementConstraints=[
                {"type": "memberOf", "expression": "attribute:ecs.availability-zone in [us-east-1b]"}
            ],
        )
        self.step_until(self.running, lambda tasks: len(tasks) == 1)
        self.assertEqual(self.running()[0]["availabilityZone"], "us-east-1b")

    def test_distinct_instance_places_one_task_per_instance(self):
        td = self.register_gpu_task(gpus=0, memory=256)
        self.ecs.create_service(
            cluster="apps",
            serviceName="web",
            taskDefinition=td,
            desiredCount=3,
            placementConstraints=[{"type": "distinctInstance"}],
        )
        self.step_until(self.running, lambda tasks: len(tasks) == 2)
        self.advance(30)
        tasks = self.running()
        self.assertEqual(len(tasks), 2)
        self.assertEqual(len({t["containerInstanceArn"] for t in tasks}), 2)
