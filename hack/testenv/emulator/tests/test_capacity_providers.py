"""Capacity providers (ECS API Reference: CreateCapacityProvider,
UpdateCapacityProvider, DeleteCapacityProvider, DescribeCapacityProviders,
PutClusterCapacityProviders, DeleteCluster)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ecs_emulator.capacity_providers import DEPROVISION_SECONDS, PROVISION_SECONDS, UPDATE_SECONDS
from tests.support import EmulatorTestCase

ROLE = "arn:aws:iam::123456789012:role/ecsInfrastructureRole"
PROFILE = "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole"


class CapacityProviderCase(EmulatorTestCase):
    """A cluster, a network and ways to make providers."""

    def setUp(self):
        super().setUp()
        self.cluster("apps")
        self.net = self.network()

    def managed(self, name="mi", cluster="apps", **template):
        launch = {
            "ec2InstanceProfileArn": PROFILE,
            "networkConfiguration": {
                "subnets": self.net["awsvpcConfiguration"]["subnets"],
                "securityGroups": self.net["awsvpcConfiguration"]["securityGroups"],
            },
            "capacityOptionType": "SPOT",
            **template,
        }
        return self.ecs.create_capacity_provider(
            name=name,
            cluster=cluster,
            managedInstancesProvider={
                "infrastructureRoleArn": ROLE,
                "instanceLaunchTemplate": launch,
                "propagateTags": "CAPACITY_PROVIDER",
            },
            tags=[{"key": "team", "value": "a"}],
        )["capacityProvider"]

    def asg(self, name="asg"):
        arn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/workers"
        return self.ecs.create_capacity_provider(
            name=name,
            autoScalingGroupProvider={"autoScalingGroupArn": arn, "managedScaling": {"status": "ENABLED"}},
        )["capacityProvider"]

    def described(self, name, **extra):
        return self.ecs.describe_capacity_providers(capacityProviders=[name], **extra)["capacityProviders"][0]

    def error(self, call, **kwargs) -> tuple[str, str]:
        with self.assertRaises(ClientError) as caught:
            call(**kwargs)
        error = caught.exception.response["Error"]
        return error["Code"], error["Message"]


class CapacityProvidersTest(CapacityProviderCase):
    def test_a_managed_instances_provider_provisions_in_its_cluster(self):
        created = self.managed()
        self.assertEqual(
            (created["status"], created["updateStatus"], created["type"], created["cluster"]),
            ("PROVISIONING", "CREATE_IN_PROGRESS", "MANAGED_INSTANCES", "apps"),
        )
        self.assertEqual(created["managedInstancesProvider"]["instanceLaunchTemplate"]["capacityOptionType"], "SPOT")
        cluster = self.ecs.describe_clusters(clusters=["apps"])["clusters"][0]
        self.assertIn("mi", cluster["capacityProviders"])
        self.advance(PROVISION_SECONDS)
        described = self.described("mi", include=["TAGS"])
        self.assertEqual((described["status"], described["updateStatus"]), ("ACTIVE", "CREATE_COMPLETE"))
        self.assertEqual(described["tags"], [{"key": "team", "value": "a"}])
        self.assertNotIn("tags", self.described("mi"))

    def test_an_auto_scaling_group_provider_is_active_at_once_and_not_in_a_cluster(self):
        created = self.asg()
        self.assertEqual((created["status"], created["type"]), ("ACTIVE", "EC2_AUTOSCALING"))
        self.assertEqual(created["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"], 100)
        cluster = self.ecs.describe_clusters(clusters=["apps"])["clusters"][0]
        self.assertNotIn("asg", cluster.get("capacityProviders", []))

    def test_create_refuses_reserved_prefixes_duplicates_and_a_missing_cluster(self):
        for name in ("aws-x", "ECS-x", "fargate2"):
            code, _ = self.error(self.managed, name=name)
            self.assertEqual(code, "ClientException", name)
        self.managed()
        self.assertEqual(self.error(self.managed)[0], "ClientException")
        self.assertEqual(self.error(self.managed, name="other", cluster="nowhere")[0], "ClusterNotFoundException")
        code, _ = self.error(
            self.ecs.create_capacity_provider,
            name="neither",
        )
        self.assertEqual(code, "InvalidParameterException")

    def test_an_update_keeps_create_only_fields_and_completes(self):
        self.managed()
        self.advance(PROVISION_SECONDS)
        updated = self.ecs.update_capacity_provider(
            name="mi",
            cluster="apps",
            managedInstancesProvider={
                "infrastructureRoleArn": ROLE,
                "instanceLaunchTemplate": {"monitoring": "DETAILED"},
            },
        )["capacityProvider"]
        template = updated["managedInstancesProvider"]["instanceLaunchTemplate"]
        self.assertEqual((template["monitoring"], template["capacityOptionType"]), ("DETAILED", "SPOT"))
        self.assertEqual(updated["updateStatus"], "UPDATE_IN_PROGRESS")
        self.advance(UPDATE_SECONDS)
        self.assertEqual(self.described("mi")["updateStatus"], "UPDATE_COMPLETE")
        code, _ = self.error(
            self.ecs.update_capacity_provider,
            name="mi",
            managedInstancesProvider={"infrastructureRoleArn": ROLE, "instanceLaunchTemplate": {}},
        )
        self.assertEqual(code, "ClientException")

    def test_an_auto_scaling_group_update_keeps_managed_draining(self):
        self.asg()
        updated = self.ecs.update_capacity_provider(
            name="asg", autoScalingGroupProvider={"managedDraining": "DISABLED"}
        )["capacityProvider"]
        self.assertEqual(updated["autoScalingGroupProvider"]["managedDraining"], "DISABLED")

    def test_delete_waits_for_services_and_clusters_then_goes_inactive(self):
        self.managed()
        self.advance(PROVISION_SECONDS)
        task_definition = self.register()
        self.ecs.create_service(
            cluster="apps",
            serviceName="web",
            taskDefinition=task_definition,
            desiredCount=0,
            capacityProviderStrategy=[{"capacityProvider": "mi", "weight": 1}],
            networkConfiguration=self.net,
        )
        code, message = self.error(self.ecs.delete_capacity_provider, capacityProvider="mi", cluster="apps")
        self.assertEqual(code, "ClientException")
        self.assertIn("web", message)
        self.ecs.delete_service(cluster="apps", service="web", force=True)
        self.assertEqual(self.error(self.ecs.delete_capacity_provider, capacityProvider="mi")[0], "ClientException")
        deleted = self.ecs.delete_capacity_provider(capacityProvider="mi", cluster="apps")["capacityProvider"]
        self.assertEqual((deleted["status"], deleted["updateStatus"]), ("DEPROVISIONING", "DELETE_IN_PROGRESS"))
        code, _ = self.error(self.ecs.delete_cluster, cluster="apps")
        self.assertEqual(code, "ClusterContainsCapacityProviderException")
        self.advance(DEPROVISION_SECONDS)
        self.assertEqual(self.described("mi")["status"], "INACTIVE")
        cluster = self.ecs.describe_clusters(clusters=["apps"])["clusters"][0]
        self.assertNotIn("mi", cluster.get("capacityProviders", []))
        self.ecs.delete_cluster(cluster="apps")

    def test_an_associated_auto_scaling_group_provider_is_not_deleted(self):
        self.asg()
        self.ecs.put_cluster_capacity_providers(
            cluster="apps", capacityProviders=["asg"], defaultCapacityProviderStrategy=[]
        )
        self.assertEqual(self.error(self.ecs.delete_capacity_provider, capacityProvider="asg")[0], "ClientException")
        self.ecs.put_cluster_capacity_providers(cluster="apps", capacityProviders=[], defaultCapacityProviderStrategy=[])
        self.ecs.delete_capacity_provider(capacityProvider="asg")
        self.advance(DEPROVISION_SECONDS)
        self.assertEqual(self.described("asg")["status"], "INACTIVE")
        self.asg()  # the name is free again

    def test_services_without_a_strategy_do_not_hold_a_provider(self):
        self.asg()
        self.create_service(task_definition=self.register(), desired=0)
        deleted = self.ecs.delete_capacity_provider(capacityProvider="asg")["capacityProvider"]
        self.assertEqual(deleted["updateStatus"], "DELETE_IN_PROGRESS")

    def test_reserved_and_missing_providers_are_not_deleted(self):
        self.assertEqual(self.error(self.ecs.delete_capacity_provider, capacityProvider="FARGATE")[0], "ClientException")
        self.assertEqual(self.error(self.ecs.delete_capacity_provider, capacityProvider="nope")[0], "ClientException")

    def test_put_cluster_capacity_providers_keeps_managed_instances_providers(self):
        self.managed()
        self.assertEqual(
            self.error(
                self.ecs.put_cluster_capacity_providers,
                cluster="apps",
                capacityProviders=["mi"],
                defaultCapacityProviderStrategy=[],
            )[0],
            "InvalidParameterException",
        )
        self.advance(PROVISION_SECONDS)
        cluster = self.ecs.put_cluster_capacity_providers(
            cluster="apps", capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[]
        )["cluster"]
        self.assertEqual(sorted(cluster["capacityProviders"]), ["FARGATE", "mi"])
        self.assertEqual(
            self.error(
                self.ecs.put_cluster_capacity_providers,
                cluster="apps",
                capacityProviders=["missing"],
                defaultCapacityProviderStrategy=[],
            )[0],
            "InvalidParameterException",
        )

    def test_describe_by_cluster_and_missing_names(self):
        self.managed()
        self.asg()
        self.cluster("other")
        in_apps = self.ecs.describe_capacity_providers(cluster="apps")["capacityProviders"]
        self.assertEqual([p["name"] for p in in_apps], ["mi"])
        answer = self.ecs.describe_capacity_providers(capacityProviders=["asg", "gone"])
        self.assertEqual([p["name"] for p in answer["capacityProviders"]], ["asg"])
        self.assertEqual([f["reason"] for f in answer["failures"]], ["MISSING"])
        self.assertEqual(self.ecs.describe_capacity_providers(cluster="other")["capacityProviders"], [])


class ManagedInstancesLaunchTypeTest(CapacityProviderCase):
    def register_managed(self):
        return self.ecs.register_task_definition(
            family="mi",
            requiresCompatibilities=["MANAGED_INSTANCES"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "app", "image": "nginx", "essential": True, "command": ["exit", "0"]}],
        )["taskDefinition"]

    def test_a_revision_requiring_managed_instances_is_compatible_with_it(self):
        self.assertIn("MANAGED_INSTANCES", self.register_managed()["compatibilities"])

    def test_tasks_run_on_an_active_managed_instances_provider_of_their_strategy(self):
        arn = self.register_managed()["taskDefinitionArn"]
        run = dict(
            cluster="apps",
            taskDefinition=arn,
            capacityProviderStrategy=[{"capacityProvider": "mi", "weight": 1}],
            networkConfiguration=self.net,
        )
        code, message = self.error(
            self.ecs.run_task, cluster="apps", taskDefinition=arn, launchType="MANAGED_INSTANCES",
            networkConfiguration=self.net,
        )
        self.assertEqual(code, "InvalidParameterException")
        self.assertIn("capacityProviderStrategy", message)
        self.managed()
        self.assertEqual(self.error(self.ecs.run_task, **run)[0], "InvalidParameterException")
        self.advance(PROVISION_SECONDS)
        task = self.ecs.run_task(**run)["tasks"][0]
        self.assertEqual((task["launchType"], task["capacityProviderName"]), ("MANAGED_INSTANCES", "mi"))
        self.advance(60)
        stopped = self.ecs.describe_tasks(cluster="apps", tasks=[task["taskArn"]])["tasks"][0]
        self.assertEqual((stopped["lastStatus"], stopped["containers"][0]["exitCode"]), ("STOPPED", 0))

    def test_a_service_runs_on_managed_instances(self):
        self.managed()
        self.advance(PROVISION_SECONDS)
        code, _ = self.error(
            self.ecs.create_service, cluster="apps", serviceName="bad", taskDefinition=self.register(),
            desiredCount=1, launchType="MANAGED_INSTANCES", networkConfiguration=self.net,
        )
        self.assertEqual(code, "InvalidParameterException")
        self.ecs.create_service(
            cluster="apps",
            serviceName="web",
            taskDefinition=self.register(),
            desiredCount=2,
            capacityProviderStrategy=[{"capacityProvider": "mi", "weight": 1}],
            networkConfiguration=self.net,
        )
        self.advance(120)
        self.assertEqual(self.service()["runningCount"], 2)
        tasks = self.ecs.list_tasks(cluster="apps", serviceName="web")["taskArns"]
        described = self.ecs.describe_tasks(cluster="apps", tasks=tasks)["tasks"]
        self.assertEqual({t["launchType"] for t in described}, {"MANAGED_INSTANCES"})


class StrategyTest(CapacityProviderCase):
    def test_a_strategy_names_only_providers_of_the_cluster(self):
        strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
        create = dict(
            cluster="apps", serviceName="web", taskDefinition=self.register(), desiredCount=1,
            capacityProviderStrategy=strategy, networkConfiguration=self.net,
        )
        code, message = self.error(self.ecs.create_service, **create)
        self.assertEqual(code, "InvalidParameterException")
        self.assertIn("not associated with the cluster", message)
        run = dict(cluster="apps", taskDefinition=self.register(), capacityProviderStrategy=strategy,
                   networkConfiguration=self.net)
        self.assertEqual(self.error(self.ecs.run_task, **run)[0], "InvalidParameterException")
        self.ecs.put_cluster_capacity_providers(
            cluster="apps", capacityProviders=["FARGATE_SPOT"], defaultCapacityProviderStrategy=[]
        )
        self.ecs.create_service(**create)
        self.ecs.run_task(**run)
