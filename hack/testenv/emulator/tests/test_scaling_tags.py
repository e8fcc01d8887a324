"""Tags on scalable targets (Application Auto Scaling API Reference:
RegisterScalableTarget Tags, TagResource, UntagResource, ListTagsForResource)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from tests.support import EmulatorTestCase

OWNED = {"ecs.operator.dev/managed-by": "ecs-operator", "ecs.operator.dev/uid": "uid-web"}


class ScalingTagsTest(EmulatorTestCase):
    def setUp(self):
        super().setUp()
        self.net = self.network()
        self.cluster()
        self.create_service(task_definition=self.register())
        self.scaling = self.client("application-autoscaling")

    def register_target(self, **extra) -> str:
        return self.scaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId="service/apps/web",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=4,
            **extra,
        )["ScalableTargetARN"]

    def tags(self, arn: str) -> dict:
        return self.scaling.list_tags_for_resource(ResourceARN=arn)["Tags"]

    def test_tags_given_at_registration_are_kept_and_registering_again_adds(self):
        arn = self.register_target(Tags=OWNED)
        self.assertEqual(self.tags(arn), OWNED)
        again = self.register_target(Tags={"team": "shop"})
        self.assertEqual(again, arn, "the same target, updated in place")
        self.assertEqual(self.tags(arn), {**OWNED, "team": "shop"})

    def test_tag_and_untag_a_target_by_its_arn(self):
        arn = self.register_target()
        self.assertEqual(self.tags(arn), {})
        self.scaling.tag_resource(ResourceARN=arn, Tags=OWNED)
        self.scaling.untag_resource(ResourceARN=arn, TagKeys=["ecs.operator.dev/uid"])
        self.assertEqual(self.tags(arn), {"ecs.operator.dev/managed-by": "ecs-operator"})

    def test_an_unknown_target_is_resource_not_found(self):
        arn = self.register_target()
        unknown = arn.rsplit("/", 1)[0] + "/" + "0" * 36
        with self.assertRaises(ClientError) as raised:
            self.scaling.list_tags_for_resource(ResourceARN=unknown)
        self.assertEqual(raised.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_reset_forgets_targets_and_their_tags(self):
        arn = self.register_target(Tags=OWNED)
        self.http("POST", "/moto-api/reset", {})
        with self.assertRaises(ClientError):
            self.scaling.list_tags_for_resource(ResourceARN=arn)
