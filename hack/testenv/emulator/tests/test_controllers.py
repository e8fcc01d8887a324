"""CODE_DEPLOY and EXTERNAL services: what ECS refuses, the task set a
CODE_DEPLOY service starts with, and the move to the ECS controller."""

from __future__ import annotations

from tests.support import EmulatorTestCase, TwoRevisionsTestCase, primary


class DeploymentControllerTest(TwoRevisionsTestCase):
    def code_deploy_service(self):
        return self.create_service(task_definition=self.rev1, desired=2,
                                   deploymentController={"type": "CODE_DEPLOY"})

    def update(self, **params):
        return self.ecs.update_service(cluster="apps", service="web", **params)["service"]

    def test_a_code_deploy_service_starts_with_one_steady_primary_task_set(self):
        self.code_deploy_service()
        svc = self.service()
        self.assertEqual(svc["deployments"], [])
        [task_set] = svc["taskSets"]
        self.assertEqual(task_set["status"], "PRIMARY")
        self.assertEqual(task_set["taskDefinition"], self.rev1)
        self.assertEqual((task_set["computedDesiredCount"], task_set["runningCount"]), (2, 2))
        self.assertEqual(task_set["stabilityStatus"], "STEADY_STATE")

    def test_update_service_refuses_a_task_definition_for_code_deploy(self):
        self.code_deploy_service()
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException) as refused:
            self.update(taskDefinition=self.rev2)
        self.assertIn("Unable to update task definition on services with a CODE_DEPLOY deployment controller. "
                      "Use AWS CodeDeploy to trigger a new deployment.", str(refused.exception))
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException) as refused:
            self.update(networkConfiguration=self.net)
        self.assertIn("Unable to update network parameters", str(refused.exception))

    def test_update_service_takes_the_count_for_code_deploy(self):
        self.code_deploy_service()
        svc = self.update(desiredCount=3, forceNewDeployment=False)
        self.assertEqual(svc["desiredCount"], 3)
        self.assertEqual(self.service()["taskSets"][0]["computedDesiredCount"], 3)

    def test_an_external_service_is_created_without_task_set_parameters(self):
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException) as refused:
            self.create_service(task_definition=self.rev1, deploymentController={"type": "EXTERNAL"})
        self.assertIn("TaskDefinition must be blank.", str(refused.exception))
        created = self.ecs.create_service(cluster="apps", serviceName="web", desiredCount=1,
                                          deploymentController={"type": "EXTERNAL"})["service"]
        self.assertEqual(created["taskSets"], [])
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException) as refused:
            self.update(taskDefinition=self.rev2)
        self.assertIn("on services with a EXTERNAL deployment controller", str(refused.exception))

    def test_moving_to_ecs_needs_a_single_primary_task_set(self):
        self.ecs.create_service(cluster="apps", serviceName="web", desiredCount=1,
                                deploymentController={"type": "EXTERNAL"})
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException) as refused:
            self.update(deploymentController={"type": "ECS"})
        self.assertIn("requires a primary taskset", str(refused.exception))

    def test_moving_a_code_deploy_service_to_ecs_rolls_out_the_revision_sent_with_it(self):
        self.code_deploy_service()
        moved = self.update(deploymentController={"type": "ECS"}, taskDefinition=self.rev2,
                            networkConfiguration=self.net)
        self.assertEqual(moved["deploymentController"], {"type": "ECS"})
        self.assertEqual(moved["taskSets"], [])
        self.assertEqual(moved["taskDefinition"], self.rev2)
        self.assertEqual(primary(moved)["rolloutState"], "IN_PROGRESS")
        final = self.step_until(self.service, lambda s: primary(s)["rolloutState"] == "COMPLETED")[-1]
        self.assertEqual((final["runningCount"], final["taskDefinition"]), (2, self.rev2))

    def test_moving_to_ecs_without_a_revision_deploys_the_primary_task_sets(self):
        self.code_deploy_service()
        moved = self.update(deploymentController={"type": "ECS"})
        self.assertEqual(len(moved["deployments"]), 1)
        self.assertEqual(primary(moved)["taskDefinition"], self.rev1)


class ServiceConnectTest(EmulatorTestCase):
    """A deployment reports the Service Connect configuration with ECS's defaults."""

    def setUp(self):
        super().setUp()
        self.ecs.create_cluster(clusterName="apps", serviceConnectDefaults={"namespace": "internal"})
        self.net = self.network()
        self.rev1 = self.register(image="public.ecr.aws/nginx/nginx:1.27")

    def connect(self, svc):
        return primary(svc).get("serviceConnectConfiguration")

    def test_defaults_are_filled_in_and_the_namespace_reads_back_as_sent(self):
        sent = {"enabled": True, "services": [{"portName": "http", "clientAliases": [{"port": 80}]}]}
        created = self.create_service(task_definition=self.rev1, serviceConnectConfiguration=sent)
        got = self.connect(created)
        self.assertRegex(got["namespace"], r"^arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-")
        self.assertEqual(got["services"][0]["discoveryName"], "http")
        self.assertEqual(got["services"][0]["clientAliases"][0], {"port": 80, "dnsName": "http.internal"})
        named = {**sent, "namespace": "internal"}
        updated = self.ecs.update_service(cluster="apps", service="web", serviceConnectConfiguration=named)["service"]
        self.assertEqual(len(updated["deployments"]), 2, "a Service Connect change starts a deployment")
        self.assertEqual(self.connect(updated)["namespace"], "internal")

    def test_service_connect_turned_off_is_not_reported(self):
        created = self.create_service(task_definition=self.rev1, serviceConnectConfiguration={"enabled": False})
        self.assertNotIn("serviceConnectConfiguration", primary(created))
