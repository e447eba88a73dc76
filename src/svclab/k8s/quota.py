"""What a namespace may hold: its ResourceQuota and LimitRange, and the node port set aside
for it.

Node ports belong to the whole cluster, so a class needs a ledger: a namespace that asks
for a fixed node port (the NodePort lab's) holds one of the API server's *static band* – the
lowest ports of the range, which Kubernetes hands out automatically only when the rest is
full. The ledger is the ConfigMap ``svclab-node-ports`` in ``svclab-classroom`` (port →
namespace); the port is also written on the namespace's quota ``svclab-student``, which a
student may read but never change. An admission policy (``svclab-node-ports``) refuses any
Service asking for a port of the band other than its namespace's own. A port whose
namespace is gone is free again."""

from __future__ import annotations

import threading
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from svclab.constants import CLASSROOM_NAMESPACE
from svclab.errors import ClusterError, Conflict, Forbidden
from svclab.k8s.api import kube
from svclab.k8s.tenancy import ensure, ensure_classroom_namespace
from svclab.settings import settings

QUOTA = "svclab-student"
NODE_PORT_ANNOTATION = "svclab.dev/node-port"
POLICY = LEDGER = "svclab-node-ports"
#: measured: a lab's set-up (3 hello-world pods, a toolbox) requests 20m CPU and 38Mi; a
#: StatefulSet of 3 and a client pod on top stay well inside these
HARD = {
    "pods": "12",
    "requests.cpu": "500m",
    "requests.memory": "512Mi",
    "limits.memory": "1536Mi",
    "services": "10",
    "persistentvolumeclaims": "0",
}
DEFAULTS = {
    "default": {"memory": "64Mi"},
    "defaultRequest": {"cpu": "10m", "memory": "16Mi"},
    "max": {"memory": "256Mi"},
}
#: the pod a submission is graded in (svclab.grading.sandbox), on top of the student's quota
KERNEL_REQUESTS = {"cpu": "100m", "memory": "256Mi"}
KERNEL_LIMITS = {"cpu": "1", "memory": "1536Mi", "ephemeral-storage": "1Gi"}


def static_band(ports: range | None = None) -> range:
    """The ports Kubernetes reserves for fixed assignment: the lowest min(max(16, n/32), 128)
    of a range of n (ServiceNodePortStaticSubrange, on by default since 1.29); by default of
    svclab's cluster."""
    ports = ports or settings().node_ports
    return range(ports.start, ports.start + min(max(16, len(ports) // 32), 128, len(ports)))


@dataclass(frozen=True)
class Allowance:
    """What one namespace may hold beyond the common quota."""

    node_ports: int = 0  # NodePort and LoadBalancer Services at once
    load_balancers: int = 0
    own_node_port: bool = False  # a fixed port from the ledger (the NodePort lab)
    kernel_pod: bool = False  # room for the pod a submission is graded in, beside the student's

    def quota(self) -> dict[str, Any]:
        hard = HARD | {"services.nodeports": str(self.node_ports), "services.loadbalancers": str(self.load_balancers)}
        if self.kernel_pod:
            hard |= {
                "pods": str(int(HARD["pods"]) + 1),
                "requests.cpu": _plus(HARD["requests.cpu"], KERNEL_REQUESTS["cpu"]),
                "requests.memory": _plus(HARD["requests.memory"], KERNEL_REQUESTS["memory"]),
                "limits.memory": _plus(HARD["limits.memory"], KERNEL_LIMITS["memory"]),
            }
        return {"metadata": {"name": QUOTA}, "spec": {"hard": hard}}

    def limit_range(self) -> dict[str, Any]:
        limits = DEFAULTS | {"max": {"memory": KERNEL_LIMITS["memory"]}} if self.kernel_pod else DEFAULTS
        return {"metadata": {"name": QUOTA}, "spec": {"limits": [{"type": "Container", **limits}]}}


def _plus(a: str, b: str) -> str:
    """The sum of two quantities in the same unit (m or Mi)."""
    unit = a.lstrip("0123456789")
    assert unit == b.lstrip("0123456789"), (a, b)
    return f"{int(a.removesuffix(unit)) + int(b.removesuffix(unit))}{unit}"


#: the common quota and nothing beyond it
BASIC = Allowance()


def limit(namespace: str, allowance: Allowance) -> int | None:
    """Give the namespace its quota and LimitRange (idempotent) and, if it asks for one, its
    node port from the ledger; returns that port."""
    k = kube()
    ensure(
        f"ResourceQuota in {namespace}",
        k.core.create_namespaced_resource_quota,
        k.core.patch_namespaced_resource_quota,
        namespace,
        allowance.quota(),
    )
    ensure(
        f"LimitRange in {namespace}",
        k.core.create_namespaced_limit_range,
        k.core.patch_namespaced_limit_range,
        namespace,
        allowance.limit_range(),
    )
    return claim(namespace) if allowance.own_node_port else None


# -- the node-port ledger ----------------------------------------------------------------------
_claiming = threading.Lock()


def own_node_port(namespace: str) -> int | None:
    """The node port set aside for the namespace (a student may read it), or None."""
    k = kube()
    try:
        quota = k.get(f"read the quota of {namespace}", k.core.read_namespaced_resource_quota, QUOTA, namespace)
    except Forbidden:
        return None
    value = ((quota.metadata.annotations or {}) if quota else {}).get(NODE_PORT_ANNOTATION)
    return int(value) if value and value.isdigit() else None


def held() -> dict[int, str]:
    """Every port of the ledger and the namespace holding it (instructor rights); a port
    whose namespace is gone is free again."""
    k = kube()
    live = {n.metadata.name for n in k.call("list Namespaces", k.core.list_namespace).items}
    ledger = _ledger()
    return {int(p): ns for p, ns in (ledger.data or {}).items() if ns in live} if ledger else {}


def _ledger() -> Any:
    k = kube()
    return k.get("read the node-port ledger", k.core.read_namespaced_config_map, LEDGER, CLASSROOM_NAMESPACE)


def claim(namespace: str) -> int:
    """The namespace's node port: the one it holds, else the lowest free port of the band.
    The ledger is one ConfigMap, written with its resourceVersion, so two instructor
    processes that claim at once never get the same port; the namespace's quota then
    carries the port for the student and the admission policy."""
    install_policy()
    k = kube()
    with _claiming:
        while True:
            ledger = _ledger()
            if ledger is None:
                ensure_classroom_namespace()
                with suppress(Conflict):
                    k.call(
                        "create the node-port ledger",
                        k.core.create_namespaced_config_map,
                        CLASSROOM_NAMESPACE,
                        {"metadata": {"name": LEDGER}, "data": {}},
                    )
                continue
            taken = held()
            mine = next((p for p, ns in taken.items() if ns == namespace), None)
            if mine is None:
                free = [p for p in static_band() if p not in taken]
                if not free:
                    raise NoNodePort(len(static_band()), len(taken))
                mine = free[0]
                ledger.data = {str(p): ns for p, ns in taken.items()} | {str(mine): namespace}
                try:
                    k.call(
                        "record a node port", k.core.replace_namespaced_config_map, LEDGER, CLASSROOM_NAMESPACE, ledger
                    )
                except Conflict:  # another process wrote the ledger meanwhile: read it again
                    continue
            k.call(
                f"record node port {mine} for {namespace}",
                k.core.patch_namespaced_resource_quota,
                QUOTA,
                namespace,
                {"metadata": {"annotations": {NODE_PORT_ANNOTATION: str(mine)}}},
            )
            return mine


class NoNodePort(ClusterError):
    def __init__(self, band: int, taken: int) -> None:
        first, last = static_band()[0], static_band()[-1]
        super().__init__(
            f"all {band} node ports set aside for labs ({first}-{last}) are taken ({taken} namespaces hold one)",
            "remove students who left (svclab classroom remove NAME), grade with a lower --parallel, "
            "or size the cluster for the class before it starts (svclab up --class-size N)",
        )


_installed = False


def install_policy() -> None:
    """The admission policy that keeps each namespace to its own port of the band (idempotent)."""
    global _installed
    if _installed:
        return
    band = static_band()
    k = kube()
    own = (
        f"has(params.metadata.annotations) && '{NODE_PORT_ANNOTATION}' in params.metadata.annotations"
        f" ? int(params.metadata.annotations['{NODE_PORT_ANNOTATION}']) : 0"
    )
    foreign = (
        f"has(p.nodePort) && p.nodePort >= {band.start} && p.nodePort < {band.stop} && p.nodePort != variables.own"
    )
    policy = {
        "metadata": {"name": POLICY},
        "spec": {
            "failurePolicy": "Fail",
            "paramKind": {"apiVersion": "v1", "kind": "ResourceQuota"},
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["services"],
                    }
                ]
            },
            "variables": [{"name": "own", "expression": own}],
            "validations": [
                {
                    "expression": f"!has(object.spec.ports) || !object.spec.ports.exists(p, {foreign})",
                    "messageExpression": (
                        f"'node port ' + string(object.spec.ports.filter(p, {foreign})[0].nodePort) + "
                        f"' is reserved: {band.start}-{band.stop - 1} are set aside, one per lab namespace' + "
                        f"(variables.own > 0 ? ', and the one for this namespace is ' + string(variables.own) : "
                        f"'; leave nodePort out (Kubernetes picks a free one) or use one from {band.stop} up')"
                    ),
                    "reason": "Forbidden",
                }
            ],
        },
    }
    binding = {
        "metadata": {"name": POLICY},
        "spec": {
            "policyName": POLICY,
            "validationActions": ["Deny"],
            # params come from the quota of the Service's own namespace; none there: no rule
            "paramRef": {"name": QUOTA, "parameterNotFoundAction": "Allow"},
        },
    }
    ensure(
        f"ValidatingAdmissionPolicy {POLICY}",
        k.admission.create_validating_admission_policy,
        k.admission.patch_validating_admission_policy,
        None,
        policy,
    )
    ensure(
        f"ValidatingAdmissionPolicyBinding {POLICY}",
        k.admission.create_validating_admission_policy_binding,
        k.admission.patch_validating_admission_policy_binding,
        None,
        binding,
    )
    _installed = True
