"""The control surface, moto's reset, account isolation and the launcher."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

from tests.support import ACCOUNT, ROOT, EmulatorTestCase


class ControlTest(EmulatorTestCase):
    def setUp(self):
        super().setUp()
        self.net = self.network()

    def test_control_endpoint_reports_versions_and_clock(self):
        info = self.http("GET", "/ecs-emulator/")
        self.assertEqual(info["moto"], "5.2.5")
        self.assertRegex(info["emulator"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(info["account"], ACCOUNT)
        self.assertEqual(info["region"], "us-east-1")
        self.assertEqual(info["clock"]["speed"], 0)  # set by setUp
        self.assertEqual(info["clock"]["default_speed"], 10.0)
        before = info["clock"]["emulated_seconds"]
        after = self.clock(advance_seconds=42.5)
        self.assertAlmostEqual(after["emulated_seconds"] - before, 42.5, places=2)
        self.assertEqual(self.clock(speed=3)["speed"], 3)
        with self.assertRaises(urllib.error.HTTPError) as err:
            self.clock(speed=-1)
        self.assertEqual(err.exception.code, 400)

    def test_moto_reset_clears_emulator_state_and_restores_the_default_clock(self):
        self.cluster("apps")
        td = self.register()
        self.create_service(task_definition=td, desired=2)
        self.clock(speed=99)
        self.http("POST", "/moto-api/reset", {})
        self.assertEqual(self.http("GET", "/ecs-emulator/clock")["speed"], 10.0)
        self.assertEqual(self.ecs.list_clusters()["clusterArns"], [])
        # the same names start from scratch
        self.ec2 = self.client("ec2")
        self.net = self.network()
        self.cluster("apps")
        td = self.register()
        svc = self.create_service(task_definition=td, desired=1)
        self.assertEqual(svc["deployments"][0]["rolloutState"], "IN_PROGRESS")
        self.assertEqual(len(self.tasks()), 1)

    def test_two_accounts_keep_separate_services_tasks_and_clocks(self):
        sts = self.client("sts")
        creds = sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/ci", RoleSessionName="ci")["Credentials"]
        other = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
        self.assertEqual(self.client("sts", other).get_caller_identity()["Account"], "222222222222")
        ecs_b = self.client("ecs", other)
        net_b = self.network(self.client("ec2", other))

        self.cluster("apps")
        self.cluster("apps", ecs=ecs_b)
        self.create_service(task_definition=self.register(), desired=2)
        self.create_service(task_definition=self.register(ecs=ecs_b), desired=1, net=net_b, ecs=ecs_b)
        self.clock(speed=0, account="222222222222")

        self.advance(60)  # only the default account's clock moves
        a = self.service()
        b = self.service(ecs=ecs_b)
        self.assertEqual(a["runningCount"], 2)
        self.assertEqual(a["deployments"][0]["rolloutState"], "COMPLETED")
        self.assertEqual((b["runningCount"], b["pendingCount"]), (0, 1))
        self.assertTrue(b["serviceArn"].startswith("arn:aws:ecs:us-east-1:222222222222:service/"))
        self.assertEqual(len(self.tasks()), 2)
        self.assertEqual(len(self.tasks(ecs=ecs_b)), 1)

        self.advance(60, account="222222222222")
        self.assertEqual(self.service(ecs=ecs_b)["runningCount"], 1)
        self.assertEqual(self.http("GET", "/ecs-emulator/clock?account=222222222222")["speed"], 0)

    def test_other_services_are_still_served_by_moto(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket="artifacts")
        self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], ["artifacts"])
        self.assertEqual(self.client("sts").get_caller_identity()["Account"], ACCOUNT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LauncherTest(unittest.TestCase):
    def test_server_py_serves_moto_with_the_emulator(self):
        port = free_port()
        env = dict(os.environ, ECS_EMULATOR_SPEED="4")
        proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "server.py"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(url + "/ecs-emulator/", timeout=2) as r:
                        info = json.load(r)
                    break
                except (urllib.error.URLError, ConnectionError):
                    if time.monotonic() > deadline or proc.poll() is not None:
                        self.fail("server.py did not come up")
                    time.sleep(0.2)
            self.assertEqual(info["clock"]["default_speed"], 4.0)
            req = urllib.request.Request(url + "/moto-api/reset", data=b"", method="POST")
            with urllib.request.urlopen(req, timeout=5) as r:
                self.assertEqual(r.status, 200)
            import boto3

            ecs = boto3.client(
                "ecs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
            )
            ecs.create_cluster(clusterName="x")
            self.assertEqual(len(ecs.list_clusters()["clusterArns"]), 1)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class CalendarTest(unittest.TestCase):
    """The calendar schedules read: wall pace while the clock runs, still while frozen, jumps with it."""

    def test_calendar_runs_at_wall_pace_stands_still_frozen_and_jumps_with_the_clock(self):
        from ecs_emulator.clock import Clock

        wall = [1000.0]
        clock = Clock(speed=10, wall=lambda: wall[0])
        wall[0] += 6
        self.assertEqual((clock.now(), clock.calendar_now()), (60.0, 1006.0))
        clock.set_speed(0)
        wall[0] += 100
        self.assertEqual((clock.now(), clock.calendar_now()), (60.0, 1006.0))
        clock.advance(120)
        self.assertEqual((clock.now(), clock.calendar_now()), (180.0, 1126.0))
        # Instants map back to the emulated time the calendar showed them.
        self.assertEqual(clock.sim_at_calendar(1003.0), 30.0)
        self.assertEqual(clock.sim_at_calendar(1066.0), 120.0)  # inside the jump
        self.assertEqual(clock.sim_at_calendar(5000.0), 180.0)  # not later than now
