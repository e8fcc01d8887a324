"""Failures on purpose: pull errors, crashing containers, the circuit breaker."""

from __future__ import annotations

from tests.support import EmulatorTestCase, primary


class TaskFailureTest(EmulatorTestCase):
    def setUp(self):
        super().setUp()
        self.cluster("apps")
        self.net = self.network()

    def run_one(self, task_definition, **kwargs):
        return self.ecs.run_task(
            cluster="apps", taskDefinition=task_definition, launchType="FARGATE", networkConfiguration=self.net, **kwargs
        )["tasks"][0]

    def stopped(self, arn):
        return self.step_until(lambda: self.task(arn), lambda t: t["lastStatus"] == "STOPPED")

    def test_image_that_cannot_be_pulled_stops_with_task_failed_to_start_and_no_exit_code(self):
        td = self.register(family="broken", image="public.ecr.aws/nginx/nginx:does-not-exist")
        arn = self.run_one(td)["taskArn"]
        seen = self.stopped(arn)
        self.assertNotIn("RUNNING", [t["lastStatus"] for t in seen], "a task whose image cannot be pulled never runs")
        t = seen[-1]
        self.assertEqual(t["stopCode"], "TaskFailedToStart")
        self.assertTrue(t["stoppedReason"].startswith("CannotPullContainerError: "), t["stoppedReason"])
        self.assertIn("public.ecr.aws/nginx/nginx:does-not-exist", t["stoppedReason"])
        self.assertEqual(t["desiredStatus"], "STOPPED")
        c = t["containers"][0]
        self.assertNotIn("exitCode", c)
        self.assertTrue(c["reason"].startswith("CannotPullContainerError: "))
        self.assertEqual(c["lastStatus"], "STOPPED")

    def test_crashing_container_stops_with_essential_container_exited_and_exit_code(self):
        td = self.register(family="crash", environment={"ECS_EMULATOR_EXIT_CODE": "3", "ECS_EMULATOR_RUN_SECONDS": "20"})
        arn = self.run_one(td)["taskArn"]
        seen = self.stopped(arn)
        self.assertIn("RUNNING", [t["lastStatus"] for t in seen], "it runs before it crashes")
        t = seen[-1]
        self.assertEqual(t["stopCode"], "EssentialContainerExited")
        self.assertEqual(t["stoppedReason"], "Essential container in task exited")
        self.assertEqual(t["containers"][0]["exitCode"], 3)
        run = (t["stoppingAt"] - t["startedAt"]).total_seconds()
        self.assertGreaterEqual(run, 0)

    def test_command_exit_convention_and_overrides_decide_the_exit_code(self):
        td = self.register(family="job", command=["sh", "-c", "sleep 3600"])
        overrides = {"containerOverrides": [{"name": "app", "command": ["exit", "7"]}]}
        arn = self.run_one(td, overrides=overrides)["taskArn"]
        t = self.stopped(arn)[-1]
        self.assertEqual(t["stopCode"], "EssentialContainerExited")
        self.assertEqual(t["containers"][0]["exitCode"], 7)
        self.assertEqual(t["overrides"]["containerOverrides"][0]["command"], ["exit", "7"])

        env = {"containerOverrides": [{"name": "app", "environment": [{"name": "ECS_EMULATOR_EXIT_CODE", "value": "42"}]}]}
        t = self.stopped(self.run_one(td, overrides=env)["taskArn"])[-1]
        self.assertEqual(t["containers"][0]["exitCode"], 42)


class CircuitBreakerTest(EmulatorTestCase):
    def setUp(self):
        super().setUp()
        self.cluster("apps")
        self.net = self.network()
        self.good = self.register(family="web", image="public.ecr.aws/nginx/nginx:1.27")

    def start_good_service(self, rollback: bool, desired=2):
        config = {"deploymentCircuitBreaker": {"enable": True, "rollback": rollback}}
        self.create_service(task_definition=self.good, desired=desired, config=config)
        self.step_until(self.service, lambda s: primary(s)["rolloutState"] == "COMPLETED")
        return primary(self.service())

    def test_circuit_breaker_with_rollback_fails_deployment_and_makes_previous_revision_primary(self):
        completed = self.start_good_service(rollback=True)
        bad = self.register(family="web", image="public.ecr.aws/nginx/nginx:does-not-exist")
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=bad)
        failing = primary(self.service())

        seen = self.step_until(self.service, lambda s: primary(s)["taskDefinition"] == self.good)
        svc = seen[-1]
        rollback = primary(svc)
        self.assertNotIn(rollback["id"], (completed["id"], failing["id"]), "the rollback is a new deployment")
        self.assertEqual(rollback["rolloutState"], "IN_PROGRESS")
        self.assertEqual(
            rollback["rolloutStateReason"],
            f"ECS deployment circuit breaker: rolling back to deploymentId {completed['id']}.",
        )
        failed = next(d for d in svc["deployments"] if d["id"] == failing["id"])
        self.assertEqual(failed["status"], "ACTIVE")
        self.assertEqual(failed["rolloutState"], "FAILED")
        self.assertEqual(failed["rolloutStateReason"], "ECS deployment circuit breaker: tasks failed to start.")
        self.assertGreaterEqual(failed["failedTasks"], 3, "threshold = min(max(ceil(0.5*2), 3), 200) = 3")
        self.assertEqual(svc["taskDefinition"], self.good)
        messages = [e["message"] for e in svc["events"]]
        self.assertIn(f"(service web) (deployment {failing['id']}) deployment failed: tasks failed to start.", messages)
        self.assertIn(f"(service web) rolling back to deployment {completed['id']}.", messages)
        for s in seen:
            self.assertGreaterEqual(s["runningCount"], 2, "the good tasks keep running meanwhile")

        final = self.step_until(self.service, lambda s: len(s["deployments"]) == 1)[-1]
        self.assertEqual(primary(final)["id"], rollback["id"])
        self.assertEqual(primary(final)["rolloutState"], "COMPLETED")
        self.assertEqual(final["runningCount"], 2)
        failed_tasks = [t for t in self.tasks(serviceName="web", desiredStatus="STOPPED") if t["taskDefinitionArn"] == bad]
        self.assertGreaterEqual(len(failed_tasks), 3)
        self.assertEqual({t["stopCode"] for t in failed_tasks}, {"TaskFailedToStart"})

    def test_circuit_breaker_without_rollback_leaves_deployment_failed_and_old_tasks_running(self):
        self.start_good_service(rollback=False)
        crash = self.register(family="web", command=["exit", "1"])
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=crash)
        failing = primary(self.service())
        svc = self.step_until(self.service, lambda s: primary(s)["rolloutState"] == "FAILED")[-1]
        self.assertEqual(primary(svc)["id"], failing["id"], "stays PRIMARY")
        self.assertEqual(primary(svc)["rolloutStateReason"], "ECS deployment circuit breaker: tasks failed to start.")
        self.assertEqual(svc["runningCount"], 2, "the previous deployment's tasks keep running")
        launched = len(self.tasks(serviceName="web", desiredStatus="STOPPED"))
        self.advance(600)
        svc = self.service()
        self.assertEqual(primary(svc)["rolloutState"], "FAILED")
        self.assertEqual(len(self.tasks(serviceName="web", desiredStatus="STOPPED")), launched, "no new tasks launched")
        crashed = self.tasks(serviceName="web", desiredStatus="STOPPED")
        self.assertEqual({t["stopCode"] for t in crashed}, {"EssentialContainerExited"})
        self.assertEqual({t["containers"][0]["exitCode"] for t in crashed}, {1})

    def test_circuit_breaker_threshold_scales_with_desired_count(self):
        self.start_good_service(rollback=False, desired=10)
        bad = self.register(family="web", image="busybox:does-not-exist")
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=bad)
        svc = self.step_until(self.service, lambda s: primary(s)["rolloutState"] == "FAILED", step=1)[-1]
        # ceil(0.5 * 10) = 5; the first 10 tasks fail together
        self.assertGreaterEqual(primary(svc)["failedTasks"], 5)

    def test_without_circuit_breaker_failing_tasks_are_retried_and_throttled(self):
        self.create_service(task_definition=self.good, desired=1)
        self.step_until(self.service, lambda s: primary(s)["rolloutState"] == "COMPLETED")
        bad = self.register(family="web", image="busybox:does-not-exist")
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=bad)
        svc = self.step_until(
            self.service,
            lambda s: any("is unable to consistently start tasks successfully" in e["message"] for e in s["events"]),
        )[-1]
        self.assertEqual(primary(svc)["rolloutState"], "IN_PROGRESS", "no circuit breaker, no FAILED")
        self.assertGreaterEqual(primary(svc)["failedTasks"], 3)
        self.assertEqual(svc["runningCount"], 1, "the old task keeps running")
