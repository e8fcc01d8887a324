"""Service deployments progress the way ECS rolling updates do."""

from __future__ import annotations

import time

from tests.support import TwoRevisionsTestCase, primary


class ServiceDeploymentTest(TwoRevisionsTestCase):
    def test_create_service_starts_in_progress_primary_deployment_that_completes(self):
        created = self.create_service(task_definition=self.rev1, desired=2)
        self.assertEqual(len(created["deployments"]), 1)
        d = created["deployments"][0]
        self.assertEqual(d["status"], "PRIMARY")
        self.assertEqual(d["rolloutState"], "IN_PROGRESS")
        self.assertEqual(d["rolloutStateReason"], f"ECS deployment {d['id']} in progress.")
        self.assertRegex(d["id"], r"^ecs-svc/\d{19}$")
        self.assertEqual(d["taskDefinition"], self.rev1)
        self.assertEqual(d["desiredCount"], 2)
        self.assertEqual(d["runningCount"], 0)
        for key in ("createdAt", "updatedAt", "failedTasks"):
            self.assertIn(key, d)

        seen = self.step_until(self.service, self.steady)
        self.assertTrue(any(s["pendingCount"] == 2 for s in seen), "tasks pass through pending")
        final = seen[-1]
        d = primary(final)
        self.assertEqual(d["rolloutState"], "COMPLETED")
        self.assertEqual(d["rolloutStateReason"], f"ECS deployment {d['id']} completed.")
        self.assertEqual((final["runningCount"], final["pendingCount"], final["desiredCount"]), (2, 0, 2))
        self.assertEqual((d["runningCount"], d["pendingCount"]), (2, 0))
        messages = [e["message"] for e in final["events"]]
        self.assertEqual(messages[0], "(service web) has reached a steady state.")
        self.assertEqual(messages[1], f"(service web) (deployment {d['id']}) deployment completed.")
        self.assertRegex(messages[2], r"^\(service web\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$")

    def test_create_service_repeated_with_its_client_token_returns_the_same_service(self):
        first = self.create_service(task_definition=self.rev1, desired=2, clientToken="token-1")
        again = self.create_service(task_definition=self.rev1, desired=2, clientToken="token-1")
        self.assertEqual(again["serviceArn"], first["serviceArn"])
        self.assertEqual([d["id"] for d in again["deployments"]], [d["id"] for d in first["deployments"]])
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException):
            self.create_service(task_definition=self.rev1, desired=2, clientToken="token-2")

    def test_update_with_new_revision_starts_in_progress_deployment_that_completes(self):
        self.create_service(task_definition=self.rev1, desired=2)
        self.step_until(self.service, self.steady)
        old = primary(self.service())
        old_tasks = {t["taskArn"] for t in self.tasks(serviceName="web")}

        updated = self.ecs.update_service(cluster="apps", service="web", taskDefinition=self.rev2)["service"]
        self.assertEqual(updated["taskDefinition"], self.rev2)
        statuses = {d["status"]: d for d in updated["deployments"]}
        self.assertEqual(set(statuses), {"PRIMARY", "ACTIVE"})
        self.assertEqual(statuses["PRIMARY"]["taskDefinition"], self.rev2)
        self.assertEqual(statuses["PRIMARY"]["rolloutState"], "IN_PROGRESS")
        self.assertEqual(statuses["ACTIVE"]["id"], old["id"])
        self.assertEqual(statuses["ACTIVE"]["taskDefinition"], self.rev1)

        seen = self.step_until(self.service, self.steady)
        for svc in seen:
            # minimumHealthyPercent 100 / maximumPercent 200 of 2 tasks
            self.assertGreaterEqual(svc["runningCount"], 2, "never below minimumHealthyPercent")
            self.assertLessEqual(svc["runningCount"] + svc["pendingCount"], 4, "never above maximumPercent")
        final = seen[-1]
        d = primary(final)
        self.assertEqual(len(final["deployments"]), 1, "the old deployment is removed")
        self.assertEqual(d["taskDefinition"], self.rev2)
        self.assertEqual(d["rolloutState"], "COMPLETED")
        self.assertEqual(final["runningCount"], final["desiredCount"])

        new_tasks = self.tasks(serviceName="web")
        self.assertEqual(len(new_tasks), 2)
        for t in new_tasks:
            self.assertEqual(t["taskDefinitionArn"], self.rev2)
            self.assertEqual(t["startedBy"], d["id"])
            self.assertEqual(t["lastStatus"], "RUNNING")
        for t in self.ecs.describe_tasks(cluster="apps", tasks=list(old_tasks))["tasks"]:
            self.assertEqual(t["lastStatus"], "STOPPED")
            self.assertEqual(t["desiredStatus"], "STOPPED")
            self.assertEqual(t["stopCode"], "ServiceSchedulerInitiated")
            self.assertEqual(t["stoppedReason"], f"Scaling activity initiated by (deployment {d['id']})")
        messages = [e["message"] for e in final["events"]]
        self.assertTrue(any(m.startswith("(service web) has stopped 2 running tasks: (task ") for m in messages))
        self.assertIn(f"(service web) (deployment {d['id']}) deployment completed.", messages)

    def test_rolling_update_respects_minimum_healthy_and_maximum_percent(self):
        config = {"minimumHealthyPercent": 50, "maximumPercent": 100}
        self.create_service(task_definition=self.rev1, desired=2, config=config)
        self.step_until(self.service, self.steady)
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=self.rev2)
        seen = self.step_until(self.service, self.steady, step=2.5)
        for svc in seen:
            active = sum(d["runningCount"] + d["pendingCount"] for d in svc["deployments"])
            self.assertLessEqual(active, 2, "maximumPercent 100 of 2")
            self.assertGreaterEqual(svc["runningCount"], 1, "minimumHealthyPercent 50 of 2")
        self.assertTrue(any(svc["runningCount"] == 1 for svc in seen), "one old task is stopped first")
        self.assertEqual(primary(seen[-1])["taskDefinition"], self.rev2)

    def test_force_new_deployment_replaces_tasks_with_same_revision(self):
        self.create_service(task_definition=self.rev1, desired=1)
        self.step_until(self.service, self.steady)
        before = primary(self.service())["id"]
        updated = self.ecs.update_service(cluster="apps", service="web", forceNewDeployment=True)["service"]
        p = primary(updated)
        self.assertNotEqual(p["id"], before)
        self.assertEqual(p["taskDefinition"], self.rev1)
        self.assertEqual(p["rolloutState"], "IN_PROGRESS")
        final = self.step_until(self.service, self.steady)[-1]
        self.assertEqual(primary(final)["id"], p["id"])
        self.assertEqual([t["startedBy"] for t in self.tasks(serviceName="web")], [p["id"]])

    def test_desired_count_change_alone_scales_without_new_deployment(self):
        self.create_service(task_definition=self.rev1, desired=2)
        self.step_until(self.service, self.steady)
        d = primary(self.service())

        updated = self.ecs.update_service(cluster="apps", service="web", desiredCount=4)["service"]
        self.assertEqual([x["id"] for x in updated["deployments"]], [d["id"]])
        self.assertEqual(updated["desiredCount"], 4)
        seen = self.step_until(self.service, lambda s: s["runningCount"] == 4)
        for svc in seen:
            self.assertEqual([x["id"] for x in svc["deployments"]], [d["id"]])
            self.assertEqual(primary(svc)["rolloutState"], "COMPLETED")
        self.assertEqual(primary(seen[-1])["desiredCount"], 4)
        self.assertEqual(seen[-1]["events"][0]["message"], "(service web) has reached a steady state.")

        self.ecs.update_service(cluster="apps", service="web", desiredCount=1)
        final = self.step_until(self.service, lambda s: s["runningCount"] == 1 and s["pendingCount"] == 0)[-1]
        self.assertEqual([x["id"] for x in final["deployments"]], [d["id"]])
        stopped = self.tasks(serviceName="web", desiredStatus="STOPPED")
        self.assertEqual(len(stopped), 3)
        self.assertEqual({t["stopCode"] for t in stopped}, {"ServiceSchedulerInitiated"})
        self.assertEqual(len(self.tasks(serviceName="web")), 1)

    def test_deployment_configuration_round_trips_through_create_update_and_describe(self):
        config = {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 150,
            "minimumHealthyPercent": 50,
            "alarms": {"alarmNames": ["web-5xx"], "enable": True, "rollback": False},
            "strategy": "ROLLING",
            "bakeTimeInMinutes": 5,
        }
        created = self.create_service(task_definition=self.rev1, desired=2, config=config)
        self.assertEqual(created["deploymentConfiguration"], config)
        self.assertEqual(self.service()["deploymentConfiguration"], config)

        change = {"maximumPercent": 200, "deploymentCircuitBreaker": {"enable": True, "rollback": False}}
        updated = self.ecs.update_service(cluster="apps", service="web", deploymentConfiguration=change)["service"]
        expected = dict(config, **change)
        self.assertEqual(updated["deploymentConfiguration"], expected)
        self.assertEqual(self.service()["deploymentConfiguration"], expected)
        self.assertEqual(len(updated["deployments"]), 1, "a configuration change alone starts no deployment")

    def test_service_without_deployment_configuration_reports_ecs_defaults(self):
        created = self.create_service(task_definition=self.rev1, desired=1)
        self.assertEqual(
            created["deploymentConfiguration"],
            {"deploymentCircuitBreaker": {"enable": False, "rollback": False}, "maximumPercent": 200, "minimumHealthyPercent": 100},
        )

    def test_service_tasks_carry_service_group_and_deployment_started_by(self):
        created = self.create_service(task_definition=self.rev1, desired=2)
        d = created["deployments"][0]
        tasks = self.tasks(serviceName="web")
        self.assertEqual(len(tasks), 2)
        for t in tasks:
            self.assertEqual(t["group"], "service:web")
            self.assertEqual(t["startedBy"], d["id"])
            self.assertEqual(t["taskDefinitionArn"], self.rev1)
            self.assertEqual(t["lastStatus"], "PROVISIONING")
            self.assertEqual(t["desiredStatus"], "RUNNING")
            self.assertEqual(t["launchType"], "FARGATE")

    def test_delete_service_drains_its_tasks_then_becomes_inactive(self):
        self.create_service(task_definition=self.rev1, desired=2)
        self.step_until(self.service, self.steady)
        deleted = self.ecs.delete_service(cluster="apps", service="web", force=True)["service"]
        self.assertEqual(deleted["status"], "DRAINING")
        final = self.step_until(self.service, lambda s: s["status"] == "INACTIVE")[-1]
        self.assertEqual(final["runningCount"], 0)
        self.assertEqual(self.tasks(serviceName="web"), [])

    def test_rollout_completes_within_seconds_at_default_speed(self):
        self.create_service(task_definition=self.rev1, desired=2)
        self.step_until(self.service, self.steady)
        info = self.http("GET", "/ecs-emulator/")
        self.clock(speed=info["clock"]["default_speed"])
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=self.rev2)
        start = time.monotonic()
        while not (self.steady(svc := self.service()) and primary(svc)["taskDefinition"] == self.rev2):
            self.assertLess(time.monotonic() - start, 10, "rolling update too slow")
            time.sleep(0.2)
        elapsed = time.monotonic() - start
        self.assertGreater(elapsed, 1.0, "durations are compressed, not skipped")
        self.assertLess(elapsed, 6.0)
        d = primary(svc)
        self.assertGreater(d["updatedAt"], d["createdAt"], "timestamps are wall-clock")
