"""Task definition fields moto drops (ECS API Reference, RegisterTaskDefinition)."""

from __future__ import annotations

from tests.support import EmulatorTestCase


class TaskDefinitionFieldsTest(EmulatorTestCase):
    def described(self, arn: str) -> dict:
        return self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]

    def test_fault_injection_is_kept_and_returned_with_the_revision(self):
        arn = self.register(enableFaultInjection=True)
        self.assertIs(self.described(arn)["enableFaultInjection"], True)

    def test_fault_injection_left_out_is_false(self):
        arn = self.register()
        self.assertIs(self.described(arn)["enableFaultInjection"], False)
