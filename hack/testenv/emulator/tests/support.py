"""Shared test plumbing: an in-process emulator on a free 127.0.0.1 port per
test class, boto3 clients pointed at it, and helpers that step the clock."""

from __future__ import annotations

import json
import logging
import os
import sys
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from ecs_emulator import serving  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.ERROR)

REGION = "us-east-1"
ACCOUNT = "123456789012"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})
# One session for the whole run: clients share its loaded service models.
SESSION = boto3.session.Session()


class EmulatorTestCase(unittest.TestCase):
    server: serving.RunningServer

    @classmethod
    def setUpClass(cls):
        cls.server = serving.start("127.0.0.1", 0)
        cls.addClassCleanup(cls.server.stop)

    def setUp(self):
        self.http("POST", "/moto-api/reset", {})
        self.ecs = self.client("ecs")
        self.ec2 = self.client("ec2")
        # Frozen clock: tests step it, so nothing depends on the machine's speed.
        self.clock(speed=0)

    # -- plumbing ------------------------------------------------------------
    def client(self, service: str, credentials: dict | None = None, region: str = REGION):
        creds = credentials or {
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        return SESSION.client(
            service,
            endpoint_url=self.server.url,
            region_name=region,
            config=NO_RETRIES,
            **creds,
        )

    def http(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {"raw": raw.decode(errors="replace")}

    def clock(self, **body) -> dict:
        return self.http("POST", "/ecs-emulator/clock", body)

    def advance(self, seconds: float, **target) -> None:
        self.clock(advance_seconds=seconds, **target)

    # -- fixtures ------------------------------------------------------------
    def network(self, ec2=None) -> dict:
        ec2 = ec2 or self.ec2
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
        return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg], "assignPublicIp": "DISABLED"}}

    def register(self, family="web", image="public.ecr.aws/nginx/nginx:1.27", command=None, environment=None, ecs=None, **extra):
        container = {"name": "app", "image": image, "essential": True}
        if command is not None:
            container["command"] = command
        if environment is not None:
            container["environment"] = [{"name": k, "value": v} for k, v in environment.items()]
        # Fargate style: task-level cpu/memory only, no container memory.
        return (ecs or self.ecs).register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[container],
            **extra,
        )["taskDefinition"]["taskDefinitionArn"]

    def cluster(self, name="apps", ecs=None) -> str:
        return (ecs or self.ecs).create_cluster(clusterName=name)["cluster"]["clusterName"]

    def create_service(self, name="web", cluster="apps", task_definition=None, desired=2, config=None, net=None, ecs=None, **extra):
        kwargs = dict(
            cluster=cluster,
            serviceName=name,
            taskDefinition=task_definition,
            desiredCount=desired,
            launchType="FARGATE",
            networkConfiguration=net or self.net,
            **extra,
        )
        if config is not None:
            kwargs["deploymentConfiguration"] = config
        return (ecs or self.ecs).create_service(**kwargs)["service"]

    def service(self, name="web", cluster="apps", ecs=None) -> dict:
        return (ecs or self.ecs).describe_services(cluster=cluster, services=[name])["services"][0]

    def tasks(self, cluster="apps", ecs=None, **filters) -> list[dict]:
        ecs = ecs or self.ecs
        arns = ecs.list_tasks(cluster=cluster, **filters)["taskArns"]
        if not arns:
            return []
        return ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]

    def task(self, arn, cluster="apps", ecs=None) -> dict:
        return (ecs or self.ecs).describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]

    def step_until(self, probe, done, step=5.0, limit=900.0, **target):
        """Advance the clock by ``step`` until done(probe()); returns the
        sequence of probed values (for checks along the way)."""
        seen = [probe()]
        elapsed = 0.0
        while not done(seen[-1]):
            if elapsed >= limit:
                self.fail(f"condition not reached within {limit} emulated seconds; last: {seen[-1]!r}")
            self.advance(step, **target)
            elapsed += step
            seen.append(probe())
        return seen


def primary(svc):
    """The service's PRIMARY deployment: the one ECS is rolling out or has finished."""
    return next(d for d in svc["deployments"] if d["status"] == "PRIMARY")


class TwoRevisionsTestCase(EmulatorTestCase):
    """A cluster "apps", a network and two nginx revisions of one family, to roll between."""

    def setUp(self):
        super().setUp()
        self.cluster("apps")
        self.net = self.network()
        self.rev1 = self.register(image="public.ecr.aws/nginx/nginx:1.27")
        self.rev2 = self.register(image="public.ecr.aws/nginx/nginx:1.28")

    def steady(self, svc):
        """One deployment left, COMPLETED: ECS's steady state."""
        return len(svc["deployments"]) == 1 and primary(svc)["rolloutState"] == "COMPLETED"
