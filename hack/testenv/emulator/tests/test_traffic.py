"""ELBv2 traffic of BLUE_GREEN, LINEAR and CANARY deployments: the listener
rules and the IP targets, read back with elbv2.describe_rules and
describe_target_health; rollbacks (StopServiceDeployment, the circuit breaker)
send production back to the source target group."""

from __future__ import annotations

from tests.support import primary
from tests.test_service_deployments import ServiceDeploymentsTestCase

ROLE = "arn:aws:iam::123456789012:role/ecs-infrastructure-elb"


class LoadBalancedTestCase(ServiceDeploymentsTestCase):
    """An ALB with a production listener (port 80) and a test listener (port
    8080), one rule on each forwarding 100/0 to two IP target groups, and the
    service's loadBalancers entry naming them in its advancedConfiguration."""

    def setUp(self):
        super().setUp()
        self.elb = self.client("elbv2")
        subnet = self.net["awsvpcConfiguration"]["subnets"][0]
        vpc = self.ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
        other = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
        alb = self.elb.create_load_balancer(Name="web", Subnets=[subnet, other], Type="application")["LoadBalancers"][0]

        def group(name):
            return self.elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc,
                                                TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]

        self.tg_a, self.tg_b = group("web-a"), group("web-b")
        forward = [{"Type": "forward", "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": self.tg_a, "Weight": 100}, {"TargetGroupArn": self.tg_b, "Weight": 0}]}}]

        def rule(port):
            listener = self.elb.create_listener(LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                                DefaultActions=[{"Type": "forward", "TargetGroupArn": self.tg_a}])
            return self.elb.create_rule(ListenerArn=listener["Listeners"][0]["ListenerArn"], Priority=10,
                                        Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
                                        Actions=forward)["Rules"][0]["RuleArn"]

        self.prod_rule, self.test_rule = rule(80), rule(8080)
        self.lbs = [{"targetGroupArn": self.tg_a, "containerName": "app", "containerPort": 80, "advancedConfiguration": {
            "alternateTargetGroupArn": self.tg_b, "productionListenerRule": self.prod_rule,
            "testListenerRule": self.test_rule, "roleArn": ROLE}}]

    # -- reading ELBv2 back --------------------------------------------------
    def split(self, rule_arn) -> dict[str, int]:
        """Target group ARN -> weight of the rule's forward action."""
        [rule] = self.elb.describe_rules(RuleArns=[rule_arn])["Rules"]
        [forward] = [a for a in rule["Actions"] if a["Type"] == "forward"]
        return {g["TargetGroupArn"]: g["Weight"] for g in forward["ForwardConfig"]["TargetGroups"]}

    def targets(self, tg) -> set[str]:
        return {d["Target"]["Id"] for d in self.elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}

    def ips(self, task_definition) -> set[str]:
        return {t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in self.tasks(serviceName="web")
                if t["taskDefinitionArn"] == task_definition and t["lastStatus"] == "RUNNING"}

    def share(self, split, tg) -> float:
        """The percentage of the rule's traffic that goes to tg."""
        return 100.0 * split[tg] / sum(split.values())

    # -- driving -------------------------------------------------------------
    def steady_on_rev1(self, **config):
        """A BLUE_GREEN service on rev1 behind the ALB, deployed and steady."""
        cfg = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, **config}
        self.create_service(task_definition=self.rev1, desired=2, config=cfg, loadBalancers=self.lbs)
        self.step_until(self.service, self.steady)

    def update(self, task_definition, **config) -> str:
        self.ecs.update_service(cluster="apps", service="web", taskDefinition=task_definition,
                                deploymentConfiguration=config)
        return self.service()["currentServiceDeployment"]

    def walk(self, arn, until, step=5.0, limit=1800.0):
        """Step until until(record); each probe is (record, production split, test split)."""
        probe = lambda: (self.record(arn), self.split(self.prod_rule), self.split(self.test_rule))  # noqa: E731
        return self.step_until(probe, lambda seen: until(seen[0]), step=step, limit=limit)

    def assert_agrees(self, seen, green, blue):
        """The rules' split is the split the service deployment reports."""
        for rec, prod, test in seen:
            target, [source] = rec["targetServiceRevision"], rec["sourceServiceRevisions"]
            self.assertAlmostEqual(self.share(prod, green), target["requestedProductionTrafficWeight"], places=6)
            self.assertAlmostEqual(self.share(prod, blue), source["requestedProductionTrafficWeight"], places=6)
            self.assertAlmostEqual(self.share(test, green), target["requestedTestTrafficWeight"], places=6)


class TrafficTest(LoadBalancedTestCase):
    def test_describe_services_returns_the_advanced_configuration_as_sent(self):
        created = self.create_service(task_definition=self.rev1, desired=1, config={"strategy": "BLUE_GREEN"},
                                      loadBalancers=self.lbs)
        self.assertEqual(created["loadBalancers"], self.lbs)
        self.assertEqual(self.service()["loadBalancers"], self.lbs)
        rev = self.record()["targetServiceRevision"]["arn"]
        self.assertEqual(self.ecs.describe_service_revisions(serviceRevisionArns=[rev])["serviceRevisions"][0]["loadBalancers"], self.lbs)

    def test_blue_green_shifts_test_then_production_moves_targets_and_alternates_target_groups(self):
        self.steady_on_rev1()
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 100, self.tg_b: 0}, "the first deployment serves from the primary")
        self.assertEqual(self.targets(self.tg_a), self.ips(self.rev1))
        self.assertEqual(len(self.targets(self.tg_a)), 2)
        self.assertEqual(self.targets(self.tg_b), set())

        arn = self.update(self.rev2, bakeTimeInMinutes=1)
        seen = self.walk(arn, lambda r: r["lifecycleStage"] == "BAKE_TIME", step=2.5)
        self.assert_agrees(seen, green=self.tg_b, blue=self.tg_a)
        splits = [(r["lifecycleStage"], p[self.tg_b], t[self.tg_b]) for r, p, t in seen]
        self.assertIn(("PRODUCTION_TRAFFIC_SHIFT", 0, 100), splits, "test traffic first, production still on blue")
        self.assertEqual(splits[-1], ("BAKE_TIME", 100, 100))
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 0, self.tg_b: 100}, "BLUE_GREEN: all at once")
        # While baking both revisions run, each registered in its own target group.
        self.assertEqual(self.targets(self.tg_a), self.ips(self.rev1))
        self.assertEqual(self.targets(self.tg_b), self.ips(self.rev2))
        self.assertEqual(len(self.targets(self.tg_b)), 2)

        self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.step_until(self.service, self.steady)
        self.assertEqual(self.targets(self.tg_a), set(), "blue's tasks are deregistered as they stop")
        self.assertEqual(self.targets(self.tg_b), self.ips(self.rev2))

        # The next deployment's green is the previous blue.
        arn = self.update(self.rev1)
        seen = self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.assert_agrees(seen, green=self.tg_a, blue=self.tg_b)
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 100, self.tg_b: 0})
        self.assertEqual(self.split(self.test_rule), {self.tg_a: 100, self.tg_b: 0})
        self.step_until(self.service, self.steady)
        self.assertEqual(self.targets(self.tg_a), self.ips(self.rev1))
        self.assertEqual(self.targets(self.tg_b), set())

    def test_linear_rule_weights_follow_each_step(self):
        self.steady_on_rev1()
        arn = self.update(self.rev2, strategy="LINEAR", linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 1})
        seen = self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.assert_agrees(seen, green=self.tg_b, blue=self.tg_a)
        steps = list(dict.fromkeys((p[self.tg_b], p[self.tg_a]) for _, p, _ in seen))
        self.assertEqual(steps, [(0, 100), (25, 75), (50, 50), (75, 25), (100, 0)])
        at_25 = [r for r, p, _ in seen if p[self.tg_b] == 25]
        self.assertGreaterEqual(len(at_25), 60 / 5, "stepBakeTimeInMinutes between steps")

    def test_canary_rule_weights_in_tenths_of_a_percent(self):
        self.steady_on_rev1()
        arn = self.update(self.rev2, strategy="CANARY", canaryConfiguration={"canaryPercent": 2.5, "canaryBakeTimeInMinutes": 1})
        seen = self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.assert_agrees(seen, green=self.tg_b, blue=self.tg_a)
        steps = list(dict.fromkeys((p[self.tg_b], p[self.tg_a]) for _, p, _ in seen))
        self.assertEqual(steps, [(0, 100), (25, 975), (100, 0)])

    def test_stop_with_rollback_sends_production_back_and_keeps_the_target_groups(self):
        self.steady_on_rev1()
        blue_ips = self.ips(self.rev1)
        arn = self.update(self.rev2, strategy="CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5})
        self.walk(arn, lambda r: r["targetServiceRevision"]["requestedProductionTrafficWeight"] == 10.0)
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 90, self.tg_b: 10})
        self.ecs.stop_service_deployment(serviceDeploymentArn=arn)
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 100, self.tg_b: 0})
        self.assertEqual(self.split(self.test_rule), {self.tg_a: 100, self.tg_b: 0})
        self.walk(arn, lambda r: r["status"] == "ROLLBACK_SUCCESSFUL")
        self.step_until(self.service, self.steady)
        self.assertEqual(self.ips(self.rev1), blue_ips, "blue kept serving")
        self.assertEqual(self.targets(self.tg_a), blue_ips)
        self.assertEqual(self.targets(self.tg_b), set())
        # No flip after a rollback: green is the alternate target group again.
        arn = self.update(self.rev2, strategy="BLUE_GREEN")
        self.walk(arn, lambda r: r["status"] == "SUCCESSFUL")
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 0, self.tg_b: 100})


    def test_network_load_balancer_listeners_are_rewritten(self):
        subnet = self.net["awsvpcConfiguration"]["subnets"][0]
        vpc = self.ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
        nlb = self.elb.create_load_balancer(Name="web-nlb", Subnets=[subnet], Type="network")["LoadBalancers"][0]
        a, b = (self.elb.create_target_group(Name=n, Protocol="TCP", Port=80, VpcId=vpc, TargetType="ip")
                ["TargetGroups"][0]["TargetGroupArn"] for n in ("nlb-a", "nlb-b"))
        prod, test = (self.elb.create_listener(LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="TCP", Port=port,
                                               DefaultActions=[{"Type": "forward", "TargetGroupArn": a}])
                      ["Listeners"][0]["ListenerArn"] for port in (80, 8080))
        lbs = [{"targetGroupArn": a, "containerName": "app", "containerPort": 80, "advancedConfiguration": {
            "alternateTargetGroupArn": b, "productionListenerRule": prod, "testListenerRule": test, "roleArn": ROLE}}]
        self.create_service(task_definition=self.rev1, desired=1, config={"strategy": "BLUE_GREEN"}, loadBalancers=lbs)
        self.step_until(self.service, self.steady)
        arn = self.update(self.rev2)
        self.step_until(lambda: self.record(arn), lambda r: r["status"] == "SUCCESSFUL")

        def split(listener):
            [action] = self.elb.describe_listeners(ListenerArns=[listener])["Listeners"][0]["DefaultActions"]
            return {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}

        self.assertEqual(split(prod), {a: 0, b: 100})
        self.assertEqual(split(test), {a: 0, b: 100})
        self.step_until(self.service, self.steady)
        self.assertEqual(self.targets(b), self.ips(self.rev2))


class CircuitBreakerTrafficTest(LoadBalancedTestCase):
    """A staged deployment whose new tasks fail rolls back to its source
    revision, which never stopped serving."""

    CB = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}

    def rolled_back(self, arn):
        seen = self.walk(arn, lambda r: r["status"] not in ("IN_PROGRESS", "ROLLBACK_IN_PROGRESS"))
        self.assert_agrees(seen, green=self.tg_b, blue=self.tg_a)
        rec = seen[-1][0]
        self.assertEqual(rec["status"], "ROLLBACK_SUCCESSFUL")
        self.assertEqual(rec["deploymentCircuitBreaker"]["status"], "TRIGGERED")
        self.assertEqual(rec["statusReason"], "ECS deployment circuit breaker: tasks failed to start.")
        self.assertEqual(rec["rollback"]["serviceRevisionArn"], rec["sourceServiceRevisions"][0]["arn"])
        self.assertEqual(self.split(self.prod_rule), {self.tg_a: 100, self.tg_b: 0})
        self.assertEqual(self.split(self.test_rule), {self.tg_a: 100, self.tg_b: 0})
        return seen

    def image_that_cannot_be_pulled(self, strategy, **extra):
        self.steady_on_rev1(**self.CB)
        blue = {t["taskArn"] for t in self.tasks(serviceName="web")}
        bad = self.register(image="public.ecr.aws/nginx/nginx:does-not-exist")
        arn = self.update(bad, strategy=strategy, **extra)
        self.rolled_back(arn)
        final = self.step_until(self.service, self.steady)[-1]
        self.assertEqual(primary(final)["taskDefinition"], self.rev1)
        self.assertEqual(final["taskDefinition"], self.rev1)
        self.assertEqual({t["taskArn"] for t in self.tasks(serviceName="web")}, blue, "the source's own tasks, none replaced")
        self.assertEqual(self.targets(self.tg_a), self.ips(self.rev1))
        self.assertEqual(self.targets(self.tg_b), set())
        self.assertTrue(any(e["message"].endswith("deployment failed: tasks failed to start.") for e in final["events"]))

    def test_blue_green_with_an_image_that_cannot_be_pulled(self):
        self.image_that_cannot_be_pulled("BLUE_GREEN")

    def test_linear_with_an_image_that_cannot_be_pulled(self):
        self.image_that_cannot_be_pulled("LINEAR", linearConfiguration={"stepPercent": 20.0, "stepBakeTimeInMinutes": 1})

    def test_canary_with_an_image_that_cannot_be_pulled(self):
        self.image_that_cannot_be_pulled("CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5})

    def test_canary_whose_tasks_crash_after_the_canary_shift_rolls_production_back(self):
        self.steady_on_rev1(**self.CB)
        crashing = self.register(image="public.ecr.aws/nginx/nginx:1.28",
                                 environment={"ECS_EMULATOR_EXIT_CODE": "1", "ECS_EMULATOR_RUN_SECONDS": "20"})
        arn = self.update(crashing, strategy="CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 10})
        seen = self.rolled_back(arn)
        self.assertIn({self.tg_a: 90, self.tg_b: 10}, [p for _, p, _ in seen], "the canary took 10 % before the tasks failed")
        self.assertEqual(self.step_until(self.service, self.steady)[-1]["taskDefinition"], self.rev1)
        self.assertEqual(self.targets(self.tg_b), set())
