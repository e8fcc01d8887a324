"""BLUE_GREEN, LINEAR and CANARY service deployments: lifecycle stages on the
clock, PAUSE and AWS_LAMBDA hooks, timeouts, traffic weights, rollbacks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.support import primary
from tests.test_service_deployments import ServiceDeploymentsTestCase

ROLE = "arn:aws:iam::123456789012:role/ecs-hooks"


def lam(name, *stages):
    return {"targetType": "AWS_LAMBDA", "hookTargetArn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
            "roleArn": ROLE, "lifecycleStages": list(stages)}


def pause(*stages, timeout=None):
    hook = {"targetType": "PAUSE", "lifecycleStages": list(stages)}
    if timeout is not None:
        hook["timeoutConfiguration"] = timeout
    return hook


class BlueGreenTest(ServiceDeploymentsTestCase):
    def start(self, strategy="BLUE_GREEN", hooks=(), bake=1, **extra):
        """A steady service on rev1, then an update to rev2 with the strategy;
        returns the new service deployment's ARN."""
        self.create_service(task_definition=self.rev1, desired=2)
        self.step_until(self.service, self.steady)
        cfg = {"strategy": strategy, "bakeTimeInMinutes": bake, "lifecycleHooks": list(hooks), **extra}
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=self.rev2, deploymentConfiguration=cfg)
        return self.service()["currentServiceDeployment"]

    def walk(self, arn, until, step=5.0, limit=1800.0):
        return self.step_until(lambda: self.record(arn), until, step=step, limit=limit)

    def at_stage(self, stage):
        return lambda r: r.get("lifecycleStage") == stage

    def test_stages_in_order_and_both_revisions_run_until_clean_up(self):
        arn = self.start(bake=1)
        self.assertEqual(self.service()["deploymentConfiguration"]["strategy"], "BLUE_GREEN")
        seen = self.walk(arn, lambda r: r["status"] == "SUCCESSFUL", step=2.5)
        stages = list(dict.fromkeys(r["lifecycleStage"] for r in seen))
        order = ["PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
                 "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"]
        self.assertEqual(stages, sorted(stages, key=order.index), "stages in order")
        # Stages without hooks or work take no time; these take some.
        for stage in ("SCALE_UP", "TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"):
            self.assertIn(stage, stages)
        baking = [r for r in seen if r["lifecycleStage"] == "BAKE_TIME"]
        self.assertGreaterEqual(len(baking), 60 / 2.5 - 1, "bakeTimeInMinutes 1 holds BAKE_TIME for 60 s")
        for r in baking:
            self.assertEqual(r["targetServiceRevision"]["runningTaskCount"], 2)
            self.assertEqual(r["sourceServiceRevisions"][0]["runningTaskCount"], 2, "blue keeps running")
            self.assertEqual(r["targetServiceRevision"]["requestedProductionTrafficWeight"], 100.0)
            self.assertEqual(r["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"], 0.0)
        first = seen[0]
        self.assertEqual(first["targetServiceRevision"]["requestedTestTrafficWeight"], 0.0)
        self.assertEqual(first["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"], 100.0)
        final = self.service()
        self.assertEqual(primary(final)["taskDefinition"], self.rev2)
        self.assertEqual({t["taskDefinitionArn"] for t in self.tasks(serviceName="web")}, {self.rev2})

    def test_pause_hook_waits_until_continue(self):
        arn = self.start(hooks=[pause("POST_TEST_TRAFFIC_SHIFT")], bake=0)
        self.walk(arn, self.at_stage("POST_TEST_TRAFFIC_SHIFT"))
        self.advance(600)
        rec = self.record(arn)
        self.assertEqual(rec["lifecycleStage"], "POST_TEST_TRAFFIC_SHIFT", "a PAUSE hook holds the stage")
        [hook] = rec["lifecycleHookDetails"]
        self.assertEqual((hook["targetType"], hook["status"], hook["timeoutAction"]), ("PAUSE", "AWAITING_ACTION", "ROLLBACK"))
        self.assertNotIn("targetArn", hook)
        # timeoutInMinutes defaults to 1440: the deadline is about a day ahead, not now.
        ahead = hook["expiresAt"] - datetime.now(timezone.utc)
        self.assertGreater(ahead, timedelta(hours=23), hook["expiresAt"])
        self.assertEqual(rec["targetServiceRevision"]["requestedTestTrafficWeight"], 100.0)
        self.assertEqual(rec["targetServiceRevision"]["requestedProductionTrafficWeight"], 0.0)
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException):
            self.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="not-a-hook")
        out = self.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE")
        self.assertEqual(out["serviceDeploymentArn"], arn)
        self.assertNotEqual(self.record(arn)["lifecycleStage"], "POST_TEST_TRAFFIC_SHIFT")
        self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.assertEqual(self.record(arn)["lifecycleHookDetails"][0]["status"], "SUCCEEDED")
        self.assertEqual(self.service()["taskDefinition"], self.rev2)

    def test_continue_with_rollback_returns_to_blue(self):
        arn = self.start(hooks=[pause("POST_SCALE_UP")])
        self.walk(arn, self.at_stage("POST_SCALE_UP"))
        hook = self.record(arn)["lifecycleHookDetails"][0]
        self.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="ROLLBACK")
        rec = self.record(arn)
        self.assertEqual(rec["status"], "ROLLBACK_IN_PROGRESS")
        self.assertEqual(rec["rollback"]["serviceRevisionArn"], rec["sourceServiceRevisions"][0]["arn"])
        self.assertEqual(self.service()["taskDefinition"], self.rev1)
        self.walk(arn, lambda r: r["status"] == "ROLLBACK_SUCCESSFUL")
        final = self.step_until(self.service, self.steady)[-1]
        self.assertEqual(primary(final)["taskDefinition"], self.rev1)
        self.assertEqual({t["taskDefinitionArn"] for t in self.tasks(serviceName="web")}, {self.rev1})
        self.assertTrue(any(e["message"].startswith("(service web) rolling back to deployment") for e in final["events"]))
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException):
            self.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"])

    def test_hook_timeout_applies_its_action(self):
        arn = self.start(hooks=[pause("PRE_SCALE_UP", timeout={"timeoutInMinutes": 2, "action": "ROLLBACK"})])
        self.walk(arn, lambda r: r["status"] != "IN_PROGRESS")
        rec = self.record(arn)
        self.assertIn(rec["status"], ("ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"))
        self.assertEqual(rec["lifecycleHookDetails"][0]["status"], "TIMED_OUT")
        self.assertIn("timed out", rec["statusReason"])
        self.walk(arn, lambda r: r["status"] == "ROLLBACK_SUCCESSFUL")
        self.assertEqual(self.service()["taskDefinition"], self.rev1)

    def test_hook_timeout_with_continue_moves_on(self):
        arn = self.start(hooks=[pause("POST_SCALE_UP", timeout={"timeoutInMinutes": 1, "action": "CONTINUE"})], bake=0)
        self.walk(arn, self.at_stage("POST_SCALE_UP"))
        self.advance(30)
        self.assertEqual(self.record(arn)["lifecycleStage"], "POST_SCALE_UP")
        self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.assertEqual(self.record(arn)["lifecycleHookDetails"][0]["status"], "TIMED_OUT")

    def test_lambda_hooks_succeed_and_a_failing_one_rolls_back(self):
        arn = self.start(hooks=[lam("smoke-test", "POST_SCALE_UP"), lam("check-that-fails", "POST_TEST_TRAFFIC_SHIFT")])
        seen = self.walk(arn, lambda r: r["status"] != "IN_PROGRESS", step=1)
        details = seen[-1]["lifecycleHookDetails"]
        self.assertEqual([(d["targetArn"].split(":")[-1], d["status"]) for d in details],
                         [("smoke-test", "SUCCEEDED"), ("check-that-fails", "FAILED")])
        self.assertTrue(any(d["status"] == "IN_PROGRESS" for r in seen for d in r.get("lifecycleHookDetails", [])))
        self.assertEqual(seen[-1]["status"], "ROLLBACK_IN_PROGRESS")
        self.walk(arn, lambda r: r["status"] == "ROLLBACK_SUCCESSFUL")
        self.assertEqual(self.service()["taskDefinition"], self.rev1)
        self.assertEqual({t["taskDefinitionArn"] for t in self.tasks(serviceName="web")}, {self.rev1})

    def test_stop_with_rollback_during_bake_time(self):
        arn = self.start(bake=10)
        self.walk(arn, self.at_stage("BAKE_TIME"))
        self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        rec = self.record(arn)
        self.assertEqual(rec["status"], "ROLLBACK_IN_PROGRESS")
        self.assertEqual(rec["targetServiceRevision"]["requestedProductionTrafficWeight"], 0.0)
        self.walk(arn, lambda r: r["status"] == "ROLLBACK_SUCCESSFUL")
        self.assertEqual(self.service()["taskDefinition"], self.rev1)
        with self.assertRaises(self.ecs.exceptions.InvalidParameterException):
            self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")

    def test_linear_shifts_production_traffic_in_steps(self):
        arn = self.start("LINEAR", bake=0, linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 1})
        seen = self.walk(arn, lambda r: r["status"] == "SUCCESSFUL", step=5)
        weights = list(dict.fromkeys(r["targetServiceRevision"]["requestedProductionTrafficWeight"] for r in seen))
        self.assertEqual(weights, [0.0, 25.0, 50.0, 75.0, 100.0])
        at_25 = [r for r in seen if r["targetServiceRevision"]["requestedProductionTrafficWeight"] == 25.0]
        self.assertGreaterEqual(len(at_25), 60 / 5, "stepBakeTimeInMinutes between steps")
        self.assertEqual(at_25[0]["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"], 75.0)
        self.assertEqual({r["lifecycleStage"] for r in at_25}, {"PRODUCTION_TRAFFIC_SHIFT"})

    def test_canary_shifts_its_percent_then_the_rest(self):
        arn = self.start("CANARY", bake=0, canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2},
                         hooks=[lam("pre-shift", "PRE_PRODUCTION_TRAFFIC_SHIFT")])
        seen = self.walk(arn, lambda r: r["status"] == "SUCCESSFUL", step=5)
        weights = list(dict.fromkeys(r["targetServiceRevision"]["requestedProductionTrafficWeight"] for r in seen))
        self.assertEqual(weights, [0.0, 10.0, 100.0])
        self.assertEqual(len(seen[-1]["lifecycleHookDetails"]), 2, "PRE_PRODUCTION_TRAFFIC_SHIFT hooks run before each step")

    def test_describe_services_keeps_the_strategy_fields(self):
        cfg = {"strategy": "CANARY", "bakeTimeInMinutes": 3, "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 1},
               "lifecycleHooks": [pause("POST_SCALE_UP", timeout={"timeoutInMinutes": 30, "action": "CONTINUE"})]}
        self.create_service(task_definition=self.rev1, desired=1, config=cfg)
        got = self.service()["deploymentConfiguration"]
        for key in cfg:
            self.assertEqual(got[key], cfg[key])
        self.assertEqual(self.record()["deploymentConfiguration"]["lifecycleHooks"], cfg["lifecycleHooks"])

    def test_blue_green_create_service_walks_to_successful(self):
        self.create_service(task_definition=self.rev1, desired=2, config={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})
        arn = self.service()["currentServiceDeployment"]
        seen = self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.assertEqual(seen[0]["sourceServiceRevisions"], [])
        self.assertIn("BAKE_TIME", {r["lifecycleStage"] for r in seen})
        self.assertEqual(self.service()["runningCount"], 2)

    def test_a_new_deployment_supersedes_a_paused_one(self):
        arn = self.start(hooks=[pause("POST_SCALE_UP")], bake=0)
        self.walk(arn, self.at_stage("POST_SCALE_UP"))
        rev3 = self.register(image="public.ecr.aws/nginx/nginx:1.29")
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=rev3,
                                deploymentConfiguration={"lifecycleHooks": []})
        newer = self.service()["currentServiceDeployment"]
        self.assertNotEqual(newer, arn)
        self.assertEqual(self.record(arn)["status"], "STOPPED")
        rec = self.record(newer)
        self.assertEqual(len(rec["sourceServiceRevisions"]), 2)
        self.walk(newer, lambda r: r["status"] == "SUCCESSFUL")
        final = self.step_until(self.service, self.steady)[-1]
        self.assertEqual(primary(final)["taskDefinition"], rev3)
        self.assertEqual({t["taskDefinitionArn"] for t in self.tasks(serviceName="web")}, {rev3})

    def test_delete_service_stops_a_paused_deployment(self):
        arn = self.start(hooks=[pause("POST_SCALE_UP")])
        self.walk(arn, self.at_stage("POST_SCALE_UP"))
        self.ecs.delete_service(cluster="apps", service="web", force=True)
        self.assertEqual(self.record(arn)["status"], "STOPPED")
