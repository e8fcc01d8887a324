"""What a deployment reports of its service's Service Connect configuration:
what was sent, with the defaults ECS fills in (ECS API Reference,
ServiceConnectConfiguration, ServiceConnectService, ServiceConnectClientAlias).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any


def reported(backend, svc) -> dict[str, Any] | None:
    """The deployment's serviceConnectConfiguration, or None when Service
    Connect is off: DescribeServices then reports none (as users observed,
    terraform-provider-aws #43871)."""
    sent = getattr(svc, "service_connect_configuration", None)
    if not sent or not sent.get("enabled"):
        return None
    out = copy.deepcopy(sent)
    given = sent.get("namespace")
    # "namespace: The namespace name or full Amazon Resource Name (ARN) of the
    # Cloud Map namespace": left out, the cluster's default
    # (serviceConnectDefaults) is used. It reads back in the form it was sent;
    # the cluster default comes back as its ARN.
    cluster = backend.clusters.get(svc.cluster_name)
    default = ((getattr(cluster, "service_connect_defaults", None) or {}).get("namespace")) if cluster else None
    name, arn = _namespace(backend, given or default)
    out["namespace"] = given if given else arn
    for service in out.get("services") or []:
        # "If the discoveryName isn't specified, the port mapping name from the
        # task definition is used."
        discovery = service.setdefault("discoveryName", service.get("portName"))
        for alias in service.get("clientAliases") or []:
            # dnsName: "If this parameter isn't specified, the default value of
            # discoveryName.namespace is used" (the namespace's name).
            alias.setdefault("dnsName", f"{discovery}.{name}")
    return out


def _namespace(backend, ref: str | None) -> tuple[str, str]:
    """(name, ARN) of a Cloud Map namespace given by name or ARN: moto's
    servicediscovery namespace when there is one, else an ARN the emulator
    derives from the name (stable, so repeated describes agree)."""
    ref = ref or ""
    try:
        from moto.servicediscovery.models import servicediscovery_backends

        namespaces = servicediscovery_backends[backend.account_id][backend.region_name].namespaces.values()
    except Exception:
        namespaces = []
    for ns in namespaces:
        if ref in (ns.name, ns.arn):
            return ns.name, ns.arn
    if ref.startswith("arn:"):
        return ref.rsplit("/", 1)[-1], ref
    ns_id = "ns-" + hashlib.sha256(ref.encode()).hexdigest()[:16]
    return ref, f"arn:aws:servicediscovery:{backend.region_name}:{backend.account_id}:namespace/{ns_id}"
