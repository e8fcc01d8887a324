"""Tags on Application Auto Scaling scalable targets, which moto 5.2.5 drops.

Rules followed (Application Auto Scaling API Reference):
  RegisterScalableTarget  "Tags: assigns one or more tags to the scalable
                          target"; registering an existing target again keeps
                          its tags and adds those given.
  TagResource             adds or overwrites tags of the target named by its
                          ARN; an unknown ARN is ResourceNotFoundException.
  UntagResource           removes the keys given.
  ListTagsForResource     {"Tags": {key: value}} for that ARN.
The tags live on moto's own target objects, so /moto-api/reset and moto's
per-account, per-region backends hold them as they hold the targets.
"""

from __future__ import annotations

import json

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError

from .state import wrap

_TAGS = "_ecs_emulator_tags"


def tags_of(target) -> dict:
    tags = target.__dict__.get(_TAGS)
    if tags is None:
        tags = target.__dict__[_TAGS] = {}
    return tags


def _target_by_arn(backend, arn: str):
    for by_resource in backend.targets.values():
        for target in by_resource.values():
            if target.arn == arn:
                return target
    raise JsonRESTError(
        "ResourceNotFoundException",
        f"No scalable target found for ARN {arn}",
    )


def _register_scalable_target(orig):
    def register_scalable_target(self):
        answer = orig(self)
        tags = self._get_param("Tags") or {}
        if tags:
            arn = json.loads(answer)["ScalableTargetARN"]
            tags_of(_target_by_arn(self.applicationautoscaling_backend, arn)).update(tags)
        return answer

    return register_scalable_target


def tag_resource(self) -> str:
    target = _target_by_arn(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
    tags_of(target).update(self._get_param("Tags") or {})
    return "{}"


def untag_resource(self) -> str:
    target = _target_by_arn(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
    for key in self._get_param("TagKeys") or []:
        tags_of(target).pop(key, None)
    return "{}"


def list_tags_for_resource(self) -> str:
    target = _target_by_arn(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
    return json.dumps({"Tags": dict(tags_of(target))})


def install() -> None:
    wrap(ApplicationAutoScalingResponse, "register_scalable_target", _register_scalable_target)
    for handler in (tag_resource, untag_resource, list_tags_for_resource):
        setattr(ApplicationAutoScalingResponse, handler.__name__, handler)
