"""Deployment alarms: a named CloudWatch alarm (moto's) that moves into ALARM
while a deployment is in flight fails it, and rolls it back when asked."""

from __future__ import annotations

from tests.support import primary
from tests.test_traffic import LoadBalancedTestCase

ALARM = "web-5xx"


class AlarmsTest(LoadBalancedTestCase):
    def setUp(self):
        super().setUp()
        self.cw = self.client("cloudwatch")
        for name in (ALARM, "other"):
            self.cw.put_metric_alarm(AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
                                     Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
                                     ComparisonOperator="GreaterThanOrEqualToThreshold")

    def alarm(self, state, name=ALARM):
        self.cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")

    def alarms(self, rollback=True, enable=True, names=(ALARM,)):
        return {"alarms": {"alarmNames": list(names), "enable": enable, "rollback": rollback}}

    def test_canary_rolled_back_by_an_alarm_during_the_canary_bake(self):
        self.steady_on_rev1()
        blue = {t["taskArn"] for t in self.tasks(serviceName="web")}
        arn = self.update(self.rev2, strategy="CANARY", bakeTimeInMinutes=5, **self.alarms(),
                          canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 10})
        self.assertEqual(self.record(arn)["alarms"], {"status": "MONITORING", "alarmNames": [ALARM], "triggeredAlarmNames": []})
        self.walk(arn, lambda r: r["targetServiceRevision"]["requestedProductionTrafficWeight"] == 10.0)
        self.advance(60)
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 90, self.tg_b: 10})
        self.alarm("ALARM")

        rec = self.record(arn)
        self.assertEqual(rec["status"], "ROLLBACK_IN_PROGRESS")
        self.assertEqual(rec["alarms"], {"status": "TRIGGERED", "alarmNames": [ALARM], "triggeredAlarmNames": [ALARM]})
        self.assertEqual(rec["statusReason"], f"ECS deployment alarms: {ALARM} in ALARM state.")
        self.assertEqual(rec["rollback"]["reason"], rec["statusReason"])
        self.assertEqual(rec["rollback"]["serviceRevisionArn"], rec["sourceServiceRevisions"][0]["arn"])
        self.assertEqual(rec["deploymentCircuitBreaker"]["status"], "DISABLED")
        self.assertEqual(rec["targetServiceRevision"]["requestedProductionTrafficWeight"], 0.0)
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 100, self.tg_b: 0})
        svc = self.service()
        self.assertEqual(svc["taskDefinition"], self.rev1)
        failed = next(d for d in svc["deployments"] if d["taskDefinition"] == self.rev2)
        self.assertEqual((failed["status"], failed["rolloutState"]), ("ACTIVE", "FAILED"))
        self.assertEqual(failed["rolloutStateReason"], f"ECS deployment alarms: {ALARM} in ALARM state.")
        messages = [e["message"] for e in svc["events"]]
        self.assertIn(f"(service web) (deployment {failed['id']}) deployment failed: alarm detected.", messages)
        self.assertTrue(any(m.startswith("(service web) rolling back to deployment") for m in messages))

        self.walk(arn, lambda r: r["status"] == "ROLLBACK_SUCCESSFUL")
        final = self.step_until(self.service, self.steady)[-1]
        self.assertEqual(primary(final)["taskDefinition"], self.rev1)
        self.assertEqual({t["taskArn"] for t in self.tasks(serviceName="web")}, blue, "the old revision kept serving")
        self.assertEqual(self.targets(self.tg_b), set())
        self.assertEqual(self.record(arn)["alarms"]["status"], "TRIGGERED")

    def test_blue_green_without_rollback_stops_and_launches_or_drains_nothing(self):
        self.steady_on_rev1()
        arn = self.update(self.rev2, bakeTimeInMinutes=10, **self.alarms(rollback=False))
        self.walk(arn, lambda r: r["lifecycleStage"] == "BAKE_TIME")
        self.alarm("ALARM")
        rec = self.record(arn)
        self.assertEqual(rec["status"], "STOPPED")
        self.assertEqual(rec["statusReason"], f"ECS deployment alarms: {ALARM} in ALARM state.")
        self.assertIn("stoppedAt", rec)
        self.assertNotIn("rollback", rec)
        self.advance(900)
        svc = self.service()
        self.assertEqual((primary(svc)["taskDefinition"], primary(svc)["rolloutState"]), (self.rev2, "FAILED"))
        self.assertEqual(len(svc["deployments"]), 2)
        self.assertEqual(self.record(arn)["lifecycleStage"], "BAKE_TIME", "the walk went no further")
        running = [t["taskDefinitionArn"] for t in self.tasks(serviceName="web")]
        self.assertEqual(sorted(running), sorted([self.rev1] * 2 + [self.rev2] * 2), "both revisions keep their tasks")
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 0, self.tg_b: 100}, "traffic stays where it was")

    def test_rolling_update_rolled_back_by_an_alarm(self):
        cfg = {"maximumPercent": 200, "minimumHealthyPercent": 100, **self.alarms()}
        self.create_service(task_definition=self.rev1, desired=2, config=cfg)
        self.step_until(self.service, self.steady)
        completed = primary(self.service())
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=self.rev2)
        arn = self.service()["currentServiceDeployment"]
        self.advance(10)
        self.alarm("ALARM")
        svc = self.service()
        rollback = primary(svc)
        self.assertEqual(rollback["taskDefinition"], self.rev1)
        self.assertEqual(rollback["rolloutStateReason"], f"ECS deployment alarms: rolling back to deploymentId {completed['id']}.")
        failed = next(d for d in svc["deployments"] if d["taskDefinition"] == self.rev2)
        self.assertEqual(failed["rolloutState"], "FAILED")
        self.assertEqual(failed["rolloutStateReason"], f"ECS deployment alarms: {ALARM} in ALARM state.")
        self.assertEqual(self.record(arn)["status"], "ROLLBACK_IN_PROGRESS")
        final = self.step_until(self.service, self.steady)[-1]
        self.assertEqual(primary(final)["taskDefinition"], self.rev1)
        rec = self.record(arn)
        self.assertEqual(rec["status"], "ROLLBACK_SUCCESSFUL")
        self.assertEqual(rec["alarms"]["triggeredAlarmNames"], [ALARM])

    def test_rolling_update_without_rollback_fails(self):
        self.create_service(task_definition=self.rev1, desired=2, config=self.alarms(rollback=False))
        self.step_until(self.service, self.steady)
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=self.rev2)
        arn = self.service()["currentServiceDeployment"]
        self.alarm("ALARM")
        self.advance(300)
        svc = self.service()
        self.assertEqual((primary(svc)["taskDefinition"], primary(svc)["rolloutState"]), (self.rev2, "FAILED"))
        self.assertEqual(self.record(arn)["status"], "STOPPED")

    def test_alarms_that_do_not_fail_a_deployment(self):
        self.steady_on_rev1()
        # Another alarm, and an alarm already in ALARM when the deployment starts.
        self.alarm("ALARM")
        arn = self.update(self.rev2, bakeTimeInMinutes=2, **self.alarms())
        self.alarm("ALARM", name="other")
        self.walk(arn, lambda r: r["lifecycleStage"] == "BAKE_TIME")
        self.assertEqual(self.record(arn)["status"], "IN_PROGRESS")
        # Back to OK and into ALARM again: that is a move into ALARM.
        self.alarm("OK")
        self.alarm("ALARM")
        self.assertEqual(self.record(arn)["status"], "ROLLBACK_IN_PROGRESS")
        self.walk(arn, lambda r: r["status"] == "ROLLBACK_SUCCESSFUL")
        # Monitoring off (enable false); and an alarm after the deployment succeeded.
        self.alarm("OK")
        arn = self.update(self.rev2, bakeTimeInMinutes=2, **self.alarms(enable=False))
        self.walk(arn, lambda r: r["lifecycleStage"] == "BAKE_TIME")
        self.alarm("ALARM")
        self.alarm("OK")
        self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.assertEqual(self.record(arn)["alarms"]["status"], "DISABLED")
        arn = self.update(self.rev1, **self.alarms())
        self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.alarm("ALARM")
        self.assertEqual(self.record(arn)["status"], "SUCCESSFUL")
        self.assertEqual(self.record(arn)["alarms"]["status"], "MONITORING_COMPLETE")
