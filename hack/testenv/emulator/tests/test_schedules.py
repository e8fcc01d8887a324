"""EventBridge Scheduler schedules with an ECS target run their task when they come due."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from botocore.exceptions import ClientError

from ecs_emulator import schedule_expressions as expressions
from tests.support import ACCOUNT, REGION, EmulatorTestCase

ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/apps"


class ScheduledRunsTest(EmulatorTestCase):
    def setUp(self):
        super().setUp()
        self.scheduler = self.client("scheduler")
        self.cluster("apps")
        self.net = self.network()
        self.td = self.register(family="nightly", command=["sh", "-c", "sleep 5; exit 0"])

    def target(self, **ecs):
        aws = self.net["awsvpcConfiguration"]
        params = {
            "TaskDefinitionArn": self.td,
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {"awsvpcConfiguration": {"Subnets": aws["subnets"], "SecurityGroups": aws["securityGroups"]}},
            **ecs,
        }
        return {"Arn": CLUSTER_ARN, "RoleArn": ROLE, "EcsParameters": params}

    def schedule(self, name="nightly", expression="rate(1 minute)", target=None, **extra):
        extra.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
        return self.scheduler.create_schedule(
            Name=name, ScheduleExpression=expression, Target=target or self.target(), **extra
        )

    def runs(self, status="STOPPED"):
        return self.tasks(family="nightly", desiredStatus=status)

    def every_run(self):
        return self.runs("RUNNING") + self.runs("STOPPED")

    def test_rate_schedule_runs_at_once_then_once_a_period(self):
        # User Guide, "Schedule types": without StartDate a rate schedule starts at once.
        self.schedule(expression="rate(2 minutes)")
        self.assertEqual(len(self.every_run()), 1)
        self.advance(119)
        self.assertEqual(len(self.every_run()), 1)
        self.advance(1)
        self.assertEqual(len(self.every_run()), 2)
        self.advance(240)
        self.assertEqual(len(self.every_run()), 4)

    def test_scheduled_task_carries_the_targets_tags_group_and_overrides_and_exits(self):
        overrides = {"containerOverrides": [{"name": "app", "command": ["exit", "3"]}]}
        target = self.target(TaskCount=2, Group="batch:nightly", Tags=[{"owner": "team-a"}, {"run": "nightly"}])
        target["Input"] = json.dumps(overrides)
        self.schedule(target=target)
        self.advance(30)
        tasks = self.runs()
        self.assertEqual(len(tasks), 2)
        described = self.ecs.describe_tasks(cluster="apps", tasks=[t["taskArn"] for t in tasks], include=["TAGS"])["tasks"]
        for task in described:
            self.assertEqual(task["group"], "batch:nightly")
            self.assertNotIn("startedBy", task)
            self.assertEqual({t["key"]: t["value"] for t in task["tags"]}, {"owner": "team-a", "run": "nightly"})
            self.assertEqual(task["stopCode"], "EssentialContainerExited")
            self.assertEqual(task["containers"][0]["exitCode"], 3)

    def test_default_group_is_the_family(self):
        self.schedule()
        self.assertEqual(self.every_run()[0]["group"], "family:nightly")

    def test_cron_schedule_runs_at_the_minutes_it_names(self):
        self.schedule(expression="cron(0/5 * * * ? *)")
        self.assertEqual(self.every_run(), [])
        self.advance(600)  # ten minutes of calendar: two times that end in 0 or 5
        self.assertEqual(len(self.every_run()), 2)

    def test_one_time_schedule_runs_once_and_deletes_itself_when_asked(self):
        at = datetime.now(timezone.utc) + timedelta(minutes=3)
        self.schedule(expression=f"at({at:%Y-%m-%dT%H:%M:%S})", ActionAfterCompletion="DELETE")
        self.assertEqual(self.every_run(), [])
        self.advance(240)
        self.assertEqual(len(self.every_run()), 1)
        self.advance(600)
        self.assertEqual(len(self.every_run()), 1)
        with self.assertRaises(ClientError) as err:
            self.scheduler.get_schedule(Name="nightly")
        self.assertEqual(err.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_disabled_schedule_runs_nothing_and_enabling_does_not_run_what_it_missed(self):
        self.schedule(State="DISABLED")
        self.advance(300)
        self.assertEqual(self.every_run(), [])
        got = self.scheduler.get_schedule(Name="nightly")
        self.scheduler.update_schedule(
            Name="nightly", ScheduleExpression=got["ScheduleExpression"], Target=got["Target"],
            FlexibleTimeWindow={"Mode": "OFF"}, State="ENABLED",
        )
        self.assertEqual(self.every_run(), [])
        self.advance(60)
        self.assertEqual(len(self.every_run()), 1)

    def test_end_date_stops_the_runs(self):
        end = datetime.now(timezone.utc) + timedelta(seconds=150)
        self.schedule(EndDate=end)
        self.advance(600)
        self.assertEqual(len(self.every_run()), 3)  # now, +60 s, +120 s

    def test_frozen_clock_runs_nothing_new(self):
        self.schedule()
        self.assertEqual(len(self.every_run()), 1)
        self.assertEqual(len(self.every_run()), 1)

    def test_a_run_missed_while_nobody_looked_has_walked_its_lifecycle(self):
        self.schedule(expression="rate(10 minutes)")
        self.advance(3 * 600 + 120)
        stopped = self.runs()
        self.assertEqual(len(stopped), 4)
        for task in stopped:
            self.assertEqual((task["lastStatus"], task["containers"][0]["exitCode"]), ("STOPPED", 0))

    def test_scheduler_refuses_what_it_cannot_run(self):
        cases = [
            ("cron(0 2 * * * *)", self.target(), "Invalid Schedule Expression"),  # neither day field is ?
            ("rate(0 minutes)", self.target(), "Invalid Schedule Expression"),
            ("rate(1 minute)", {**self.target(), "Input": "{not json"}, "Unable to convert target input to TaskOverride"),
            ("rate(1 minute)", {**self.target(), "Input": json.dumps({"environment": []})}, "Unable to convert target input to TaskOverride"),
            ("rate(1 minute)", self.target(TaskCount=11), "TaskCount"),
        ]
        for expression, target, message in cases:
            with self.subTest(expression=expression, message=message):
                with self.assertRaises(ClientError) as err:
                    self.schedule(expression=expression, target=target)
                self.assertEqual(err.exception.response["Error"]["Code"], "ValidationException")
                self.assertIn(message, err.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as err:
            self.schedule(GroupName="team-a")
        self.assertEqual(err.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_schedule_groups_are_tagged_and_unique(self):
        self.scheduler.create_schedule_group(Name="team-a", Tags=[{"Key": "ecs.operator.dev/namespace", "Value": "team-a"}])
        with self.assertRaises(ClientError) as err:
            self.scheduler.create_schedule_group(Name="team-a")
        self.assertEqual(err.exception.response["Error"]["Code"], "ConflictException")
        arn = self.scheduler.get_schedule_group(Name="team-a")["Arn"]
        tags = self.scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"]
        self.assertEqual(tags, [{"Key": "ecs.operator.dev/namespace", "Value": "team-a"}])
        self.schedule(GroupName="team-a")
        self.scheduler.delete_schedule_group(Name="team-a")
        self.advance(300)
        self.assertEqual(len(self.every_run()), 1)  # the group's schedule went with it
        with self.assertRaises(ClientError) as err:
            self.scheduler.delete_schedule_group(Name="team-a")
        self.assertEqual(err.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_reset_forgets_schedules(self):
        self.schedule()
        self.http("POST", "/moto-api/reset", {})
        self.clock(speed=0)
        self.cluster("apps")
        self.advance(600)
        self.assertEqual(self.tasks(family="nightly", desiredStatus="STOPPED"), [])


class CronExpressionTest(EmulatorTestCase):
    """The cron fields as the Scheduler User Guide describes them, without a server."""

    def next(self, expression, after, tz="UTC"):
        return datetime.fromtimestamp(expressions.parse(expression, tz).next_after(after.timestamp()), timezone.utc)

    def test_fields(self):
        jan1 = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)  # a Thursday
        cases = [
            ("cron(0 2 * * ? *)", datetime(2026, 1, 1, 2, 0)),
            ("cron(15 10 ? * MON-FRI *)", datetime(2026, 1, 1, 10, 15)),
            ("cron(0 0 L * ? *)", datetime(2026, 1, 31, 0, 0)),
            ("cron(0 0 LW * ? *)", datetime(2026, 1, 30, 0, 0)),  # the 31st is a Saturday
            ("cron(0 0 1W * ? *)", datetime(2026, 2, 2, 0, 0)),  # after midnight on the 1st; Feb 1 is a Sunday
            ("cron(0 9 ? * 2#2 *)", datetime(2026, 1, 12, 9, 0)),  # second Monday
            ("cron(0 9 ? * 6L *)", datetime(2026, 1, 30, 9, 0)),  # last Friday
            ("cron(0 0 1 JAN ? 2027)", datetime(2027, 1, 1, 0, 0)),
            ("cron(30 */6 * * ? *)", datetime(2026, 1, 1, 0, 30)),
        ]
        for expression, expected in cases:
            with self.subTest(expression=expression):
                self.assertEqual(self.next(expression, jan1), expected.replace(tzinfo=timezone.utc))

    def test_time_zone(self):
        jan1 = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)
        # 02:00 in Berlin in winter is 01:00 UTC.
        self.assertEqual(self.next("cron(0 2 * * ? *)", jan1, "Europe/Berlin"), datetime(2026, 1, 1, 1, 0, tzinfo=timezone.utc))
        with self.assertRaises(expressions.ExpressionError):
            expressions.parse("rate(1 minute)", "Mars/Olympus")
