"""Tasks run and stop: RunTask, StopTask, ListTasks, DescribeTasks, cluster counts."""

from __future__ import annotations

from botocore.exceptions import ClientError

from tests.support import EmulatorTestCase


class TaskLifecycleTest(EmulatorTestCase):
    def setUp(self):
        super().setUp()
        self.cluster("apps")
        self.net = self.network()

    def run_task(self, task_definition, **kwargs):
        kwargs.setdefault("launchType", "FARGATE")
        kwargs.setdefault("networkConfiguration", self.net)
        return self.ecs.run_task(cluster="apps", taskDefinition=task_definition, **kwargs)

    def test_run_task_walks_provisioning_pending_running_then_stops_with_exit_code(self):
        td = self.register(family="job", command=["sh", "-c", "sleep 30; exit 0"])
        t = self.run_task(td)["tasks"][0]
        self.assertEqual((t["lastStatus"], t["desiredStatus"]), ("PROVISIONING", "RUNNING"))
        self.assertRegex(t["taskArn"], r"^arn:aws:ecs:us-east-1:123456789012:task/apps/[0-9a-f]{32}$")
        seen = self.step_until(lambda: self.task(t["taskArn"]), lambda x: x["lastStatus"] == "STOPPED", step=2)
        statuses = []
        for x in seen:
            if not statuses or statuses[-1] != x["lastStatus"]:
                statuses.append(x["lastStatus"])
        self.assertEqual(statuses, ["PROVISIONING", "PENDING", "RUNNING", "STOPPING", "DEPROVISIONING", "STOPPED"])
        final = seen[-1]
        self.assertEqual(final["stopCode"], "EssentialContainerExited")
        self.assertEqual(final["stoppedReason"], "Essential container in task exited")
        self.assertEqual(final["containers"][0]["exitCode"], 0)
        self.assertEqual(final["desiredStatus"], "STOPPED")
        for key in ("createdAt", "pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "executionStoppedAt", "stoppedAt"):
            self.assertIn(key, final)
        self.assertLessEqual(final["createdAt"], final["startedAt"])
        self.assertLessEqual(final["startedAt"], final["stoppedAt"])
        eni = final["attachments"][0]
        self.assertEqual(eni["type"], "ElasticNetworkInterface")
        self.assertEqual(eni["status"], "DELETED")

    def test_awsvpc_task_without_container_memory_runs(self):
        # Fargate style definition (task-level cpu/memory only) in awsvpc mode:
        # moto alone answers HTTP 500 for both.
        td = self.register(family="svc")
        t = self.run_task(td)["tasks"][0]
        details = {d["name"]: d["value"] for d in t["attachments"][0]["details"]}
        self.assertTrue(details["privateDnsName"].startswith("ip-"))
        self.advance(60)
        self.assertEqual(self.task(t["taskArn"])["lastStatus"], "RUNNING")

    def test_run_task_keeps_started_by_group_overrides_and_tags(self):
        td = self.register(family="job")
        overrides = {"containerOverrides": [{"name": "app", "environment": [{"name": "MODE", "value": "batch"}]}]}
        tags = [{"key": "team", "value": "payments"}]
        t = self.run_task(td, startedBy="nightly-import", group="batch:import", overrides=overrides, tags=tags, count=2)["tasks"]
        self.assertEqual(len(t), 2)
        described = self.ecs.describe_tasks(cluster="apps", tasks=[x["taskArn"] for x in t], include=["TAGS"])["tasks"]
        for x in described:
            self.assertEqual(x["startedBy"], "nightly-import")
            self.assertEqual(x["group"], "batch:import")
            self.assertEqual(x["overrides"]["containerOverrides"][0]["environment"], [{"name": "MODE", "value": "batch"}])
            self.assertEqual(x["tags"], tags)
            self.assertEqual(x["taskDefinitionArn"], td)
        default_group = self.run_task(td)["tasks"][0]
        self.assertEqual(default_group["group"], "family:job")

    def test_run_task_client_token_is_idempotent(self):
        td = self.register(family="job")
        first = self.run_task(td, clientToken="import-2026-12-01", count=2)["tasks"]
        again = self.run_task(td, clientToken="import-2026-12-01", count=2)["tasks"]
        self.assertEqual([t["taskArn"] for t in first], [t["taskArn"] for t in again])
        self.assertEqual(len(self.tasks(family="job")), 2)
        other = self.run_task(td, clientToken="import-2026-12-02")["tasks"]
        self.assertNotIn(other[0]["taskArn"], [t["taskArn"] for t in first])

    def test_stop_task_stops_with_user_initiated_and_reason(self):
        td = self.register(family="server")
        arn = self.run_task(td)["tasks"][0]["taskArn"]
        self.advance(60)
        stopped = self.ecs.stop_task(cluster="apps", task=arn, reason="maintenance window")["task"]
        self.assertEqual(stopped["desiredStatus"], "STOPPED")
        self.assertEqual(stopped["stopCode"], "UserInitiated")
        self.assertEqual(stopped["stoppedReason"], "maintenance window")
        final = self.step_until(lambda: self.task(arn), lambda x: x["lastStatus"] == "STOPPED")[-1]
        self.assertEqual(final["stopCode"], "UserInitiated")
        self.assertEqual(final["stoppedReason"], "maintenance window")
        self.assertEqual(final["containers"][0]["exitCode"], 0)

        with self.assertRaises(ClientError) as err:
            self.ecs.stop_task(cluster="apps", task="0123456789abcdef0123456789abcdef")
        self.assertEqual(err.exception.response["Error"]["Code"], "InvalidParameterException")

    def test_stopping_a_service_task_makes_the_scheduler_replace_it(self):
        td = self.register(family="web")
        self.create_service(task_definition=td, desired=1)
        self.advance(60)
        victim = self.tasks(serviceName="web")[0]["taskArn"]
        self.ecs.stop_task(cluster="apps", task=victim, reason="chaos")
        replacement = [t for t in self.tasks(serviceName="web") if t["taskArn"] != victim]
        self.assertEqual(len(replacement), 1, "the scheduler starts a replacement")
        self.advance(60)
        svc = self.service()
        self.assertEqual(svc["runningCount"], 1)
        self.assertEqual(self.task(victim)["stopCode"], "UserInitiated")

    def test_list_tasks_filters_by_service_name_started_by_family_and_desired_status(self):
        web = self.register(family="web")
        job = self.register(family="job", command=["exit", "0"])
        self.create_service(name="web", task_definition=web, desired=2)
        self.create_service(name="api", task_definition=web, desired=1)
        one_off = self.run_task(job, startedBy="cron")["tasks"][0]["taskArn"]
        self.advance(60)  # the job has exited by now; the services run

        by_service = self.ecs.list_tasks(cluster="apps", serviceName="web")["taskArns"]
        self.assertEqual(len(by_service), 2)
        self.assertEqual(len(self.ecs.list_tasks(cluster="apps", serviceName="api")["taskArns"]), 1)

        default = set(self.ecs.list_tasks(cluster="apps")["taskArns"])
        self.assertEqual(len(default), 3, "the default desiredStatus filter is RUNNING")
        self.assertNotIn(one_off, default)
        self.assertEqual(self.ecs.list_tasks(cluster="apps", desiredStatus="STOPPED")["taskArns"], [one_off])
        self.assertEqual(self.ecs.list_tasks(cluster="apps", desiredStatus="PENDING")["taskArns"], [])

        self.assertEqual(self.ecs.list_tasks(cluster="apps", startedBy="cron", desiredStatus="STOPPED")["taskArns"], [one_off])
        deployment = self.service("web")["deployments"][0]["id"]
        self.assertEqual(set(self.ecs.list_tasks(cluster="apps", startedBy=deployment)["taskArns"]), set(by_service))
        self.assertEqual(len(self.ecs.list_tasks(cluster="apps", family="web")["taskArns"]), 3)
        self.assertEqual(self.ecs.list_tasks(cluster="apps", family="job")["taskArns"], [])

    def test_list_tasks_pages_with_max_results_and_next_token(self):
        td = self.register(family="web")
        self.create_service(task_definition=td, desired=5)
        page = self.ecs.list_tasks(cluster="apps", maxResults=2)
        self.assertEqual(len(page["taskArns"]), 2)
        arns = []
        for p in self.ecs.get_paginator("list_tasks").paginate(cluster="apps", PaginationConfig={"PageSize": 2}):
            arns.extend(p["taskArns"])
        self.assertEqual(len(set(arns)), 5)

    def test_describe_tasks_reports_unknown_tasks_as_missing(self):
        td = self.register(family="job")
        arn = self.run_task(td)["tasks"][0]["taskArn"]
        gone = "arn:aws:ecs:us-east-1:123456789012:task/apps/0123456789abcdef0123456789abcdef"
        out = self.ecs.describe_tasks(cluster="apps", tasks=[arn, gone])
        self.assertEqual([t["taskArn"] for t in out["tasks"]], [arn])
        self.assertEqual(out["failures"], [{"arn": gone, "reason": "MISSING"}])

    def test_cluster_task_counts_follow_the_tasks(self):
        td = self.register(family="web")
        self.create_service(task_definition=td, desired=3)
        c = self.ecs.describe_clusters(clusters=["apps"])["clusters"][0]
        self.assertEqual((c["pendingTasksCount"], c["runningTasksCount"], c["activeServicesCount"]), (3, 0, 1))
        self.advance(60)
        c = self.ecs.describe_clusters(clusters=["apps"])["clusters"][0]
        self.assertEqual((c["pendingTasksCount"], c["runningTasksCount"]), (0, 3))
        self.ecs.update_service(cluster="apps", service="web", desiredCount=1)
        self.advance(60)
        c = self.ecs.describe_clusters(clusters=["apps"])["clusters"][0]
        self.assertEqual((c["pendingTasksCount"], c["runningTasksCount"]), (0, 1))

    def test_ec2_run_task_without_container_instances_is_rejected_like_ecs(self):
        td = self.ecs.register_task_definition(
            family="ec2", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}]
        )["taskDefinition"]["taskDefinitionArn"]
        with self.assertRaises(ClientError) as err:
            self.ecs.run_task(cluster="apps", taskDefinition=td, launchType="EC2")
        self.assertEqual(err.exception.response["Error"]["Code"], "InvalidParameterException")
        self.assertEqual(err.exception.response["Error"]["Message"], "No Container Instances were found in your cluster.")
