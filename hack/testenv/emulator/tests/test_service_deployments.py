"""The service deployments API: records of rolling deployments, Describe,
List and StopServiceDeployment."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.support import ACCOUNT, REGION, TwoRevisionsTestCase, primary

ARN_PREFIX = f"arn:aws:ecs:{REGION}:{ACCOUNT}:"


class ServiceDeploymentsTestCase(TwoRevisionsTestCase):
    def record(self, arn=None) -> dict:
        arn = arn or self.service()["currentServiceDeployment"]
        return self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def listed(self, **filters) -> list[dict]:
        return self.ecs.list_service_deployments(cluster="apps", service="web", **filters)["serviceDeployments"]


class RollingServiceDeploymentTest(ServiceDeploymentsTestCase):
    def test_create_and_update_each_make_a_service_deployment_that_succeeds(self):
        created = self.create_service(task_definition=self.rev1, desired=2)
        first = created["currentServiceDeployment"]
        self.assertRegex(first, rf"^{ARN_PREFIX}service-deployment/apps/web/[A-Za-z0-9]{{21}}$")
        rec = self.record(first)
        self.assertEqual(rec["status"], "IN_PROGRESS")
        self.assertEqual(rec["serviceArn"], created["serviceArn"])
        self.assertEqual(rec["sourceServiceRevisions"], [])
        self.assertNotIn("lifecycleStage", rec, "a rolling deployment walks no lifecycle stages")
        target = rec["targetServiceRevision"]
        self.assertRegex(target["arn"], rf"^{ARN_PREFIX}service-revision/apps/web/\d{{19}}$")
        self.assertNotIn("requestedProductionTrafficWeight", target)
        self.step_until(self.service, self.steady)
        rec = self.record(first)
        self.assertEqual(rec["status"], "SUCCESSFUL")
        self.assertIn("finishedAt", rec)
        self.assertEqual((rec["targetServiceRevision"]["runningTaskCount"], rec["targetServiceRevision"]["requestedTaskCount"]), (2, 2))

        self.ecs.update_service(cluster="apps", service="web", taskDefinition=self.rev2)
        svc = self.service()
        second = svc["currentServiceDeployment"]
        self.assertNotEqual(second, first)
        self.assertEqual(len(svc["currentServiceRevisions"]), 2, "both revisions have tasks")
        rec = self.record(second)
        self.assertEqual(rec["status"], "IN_PROGRESS")
        self.assertEqual([r["arn"] for r in rec["sourceServiceRevisions"]], [target["arn"]])
        self.assertEqual(rec["deploymentConfiguration"]["maximumPercent"], 200)
        revision = self.ecs.describe_service_revisions(serviceRevisionArns=[rec["targetServiceRevision"]["arn"]])
        self.assertEqual(revision["serviceRevisions"][0]["taskDefinition"], self.rev2)
        self.assertEqual(revision["serviceRevisions"][0]["containerImages"][0]["image"], "public.ecr.aws/nginx/nginx:1.28")
        self.step_until(self.service, self.steady)
        self.assertEqual(self.record(second)["status"], "SUCCESSFUL")
        self.assertEqual(len(self.service()["currentServiceRevisions"]), 1)

    def test_force_new_deployment_makes_a_service_deployment(self):
        self.create_service(task_definition=self.rev1, desired=1)
        self.step_until(self.service, self.steady)
        self.ecs.update_service(cluster="apps", service="web", forceNewDeployment=True)
        self.assertEqual(len(self.listed()), 2)
        self.ecs.update_service(cluster="apps", service="web", desiredCount=2)
        self.assertEqual(len(self.listed()), 2, "a desiredCount change alone is no deployment")

    def test_describe_unknown_arn_is_a_missing_failure(self):
        self.create_service(task_definition=self.rev1, desired=1)
        known = self.service()["currentServiceDeployment"]
        unknown = f"{ARN_PREFIX}service-deployment/apps/web/aaaaaaaaaaaaaaaaaaaaa"
        out = self.ecs.describe_service_deployments(serviceDeploymentArns=[known, unknown])
        self.assertEqual([d["serviceDeploymentArn"] for d in out["serviceDeployments"]], [known])
        self.assertEqual(out["failures"], [{"arn": unknown, "reason": "MISSING"}])
        revs = self.ecs.describe_service_revisions(serviceRevisionArns=[f"{ARN_PREFIX}service-revision/apps/web/1"])
        self.assertEqual(revs["failures"][0]["reason"], "MISSING")
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException):
            self.ecs.describe_service_deployments(serviceDeploymentArns=[unknown] * 21)

    def test_list_filters_by_status_and_created_at_and_pages(self):
        self.create_service(task_definition=self.rev1, desired=1)
        self.step_until(self.service, self.steady)
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=self.rev2)
        newest = self.service()["currentServiceDeployment"]
        self.assertEqual([d["status"] for d in self.listed()], ["IN_PROGRESS", "SUCCESSFUL"], "newest first")
        self.assertEqual([d["serviceDeploymentArn"] for d in self.listed(status=["IN_PROGRESS"])], [newest])
        self.assertEqual(len(self.listed(status=["SUCCESSFUL", "IN_PROGRESS"])), 2)
        self.assertEqual(self.listed(status=["ROLLBACK_SUCCESSFUL"]), [])
        future = datetime.now(timezone.utc) + timedelta(hours=1)
        self.assertEqual(len(self.listed(createdAt={"before": future})), 2)
        self.assertEqual(self.listed(createdAt={"after": future}), [])
        page = self.ecs.list_service_deployments(cluster="apps", service="web", maxResults=1)
        self.assertEqual(len(page["serviceDeployments"]), 1)
        rest = self.ecs.list_service_deployments(cluster="apps", service="web", maxResults=1, nextToken=page["nextToken"])
        self.assertEqual(len(rest["serviceDeployments"]), 1)
        self.assertNotIn("nextToken", rest)
        brief = page["serviceDeployments"][0]
        self.assertEqual(brief["targetServiceRevisionArn"], self.record(newest)["targetServiceRevision"]["arn"])
        with self.assertRaises(self.ecs.exceptions.ServiceNotFoundException):
            self.ecs.list_service_deployments(cluster="apps", service="nope")

    def test_stop_with_rollback_returns_to_the_source_revision(self):
        self.create_service(task_definition=self.rev1, desired=2)
        self.step_until(self.service, self.steady)
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=self.rev2)
        arn = self.service()["currentServiceDeployment"]
        source = self.record(arn)["sourceServiceRevisions"][0]["arn"]
        self.advance(10)
        self.assertEqual(self.ecs.stop_service_deployment(serviceDeploymentArn=arn)["serviceDeploymentArn"], arn)
        rec = self.record(arn)
        self.assertEqual(rec["status"], "ROLLBACK_IN_PROGRESS")
        self.assertEqual(rec["rollback"]["serviceRevisionArn"], source)
        self.assertEqual(self.service()["taskDefinition"], self.rev1)
        final = self.step_until(self.service, self.steady)[-1]
        self.assertEqual(primary(final)["taskDefinition"], self.rev1)
        self.assertEqual({t["taskDefinitionArn"] for t in self.tasks(serviceName="web")}, {self.rev1})
        rec = self.record(arn)
        self.assertEqual(rec["status"], "ROLLBACK_SUCCESSFUL")
        self.assertIn("finishedAt", rec)
        self.assertTrue(any("rolling back to deployment" in e["message"] for e in final["events"]))
        with self.assertRaises(self.ecs.exceptions.ConflictException):
            self.ecs.stop_service_deployment(serviceDeploymentArn=arn)
        with self.assertRaises(self.ecs.exceptions.ServiceDeploymentNotFoundException):
            self.ecs.stop_service_deployment(serviceDeploymentArn=arn + "x")

    def test_circuit_breaker_rollback_is_reported_on_the_service_deployment(self):
        cfg = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200, "minimumHealthyPercent": 100}
        self.create_service(task_definition=self.rev1, desired=1, config=cfg)
        self.step_until(self.service, self.steady)
        bad = self.register(image="nginx:does-not-exist")
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=bad)
        arn = self.service()["currentServiceDeployment"]
        self.step_until(lambda: self.record(arn), lambda r: r["status"] == "ROLLBACK_SUCCESSFUL", step=10, limit=1800)
        rec = self.record(arn)
        self.assertEqual(rec["deploymentCircuitBreaker"]["status"], "TRIGGERED")
        self.assertEqual(rec["statusReason"][:30], "ECS deployment circuit breaker")
        self.assertEqual(self.service()["taskDefinition"], self.rev1)
