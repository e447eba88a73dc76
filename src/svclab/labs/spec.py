"""What a lab is made of, as data: its set-up objects and its checks.

A check is a function ``Context -> Verdict``. The :class:`Context` is everything a
check may look at – the student's namespace(s), their answers, and typed reads of
the cluster (through :mod:`svclab.k8s.reads`, :mod:`svclab.dns`, :mod:`svclab.env`,
the same functions the library and widgets use). Tests replace the reads with a
subclass, so every check can be tried on recorded state without a cluster."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from svclab import dns, env
from svclab.constants import GRADING_KERNEL_POD
from svclab.ipython import source_of
from svclab.k8s import nodehost, reads
from svclab.k8s.objects import EndpointInfo, PodInfo, RolloutInfo, ServiceInfo, SliceInfo, StatefulSetInfo
from svclab.k8s.quota import BASIC, Allowance, own_node_port
from svclab.toolbox import run_in_probe

#: a set-up object: called when the lab starts, returns the manifest to create
Manifest = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    hint: str = ""


@dataclass
class Context:
    """What a check may look at: the student's namespace(s), answers, and the cluster."""

    namespace: str
    answers: dict[str, Any] = field(default_factory=dict)
    other_namespace: str | None = None
    refused: tuple[str, ...] = ()  # the kubectl commands of this kernel the API server refused

    def service(self, name: str, namespace: str | None = None) -> ServiceInfo | None:
        return reads.service(name, namespace or self.namespace)

    def names(self, kind: str, namespace: str | None = None) -> list[str]:
        """Names of the namespace's objects of ``kind`` (service, pod, statefulset)."""
        found = reads.names(kind, namespace or self.namespace)
        return [n for n in found if n != GRADING_KERNEL_POD] if kind == "pod" else found

    def source_of(self, key: str) -> str | None:
        """The notebook line that set the answer ``key``, as the student typed it."""
        return source_of(key)

    def own_node_port(self) -> int | None:
        """The node port set aside for this namespace (the NodePort lab's), if any."""
        return own_node_port(self.namespace)

    def node_host(self) -> str:
        """The address at which this kernel reaches a node port (:func:`svclab.node_host`)."""
        return nodehost.node_host()

    def pod(self, name: str, namespace: str | None = None) -> PodInfo | None:
        return reads.pod(name, namespace or self.namespace)

    def pods(self, selector: dict[str, str] | None = None, namespace: str | None = None) -> list[PodInfo]:
        """The namespace's pods (those ``selector`` matches), never the pod a grading runs in."""
        return [p for p in reads.pods(namespace or self.namespace, selector) if p.name != GRADING_KERNEL_POD]

    def endpoints(self, service: str, namespace: str | None = None) -> tuple[EndpointInfo, ...]:
        return reads.endpoints(service, namespace or self.namespace)

    def slices(self, namespace: str | None = None) -> list[SliceInfo]:
        return reads.slices(namespace or self.namespace)

    def rollouts(self, namespace: str | None = None) -> list[RolloutInfo]:
        """The namespace's Deployments and StatefulSets."""
        return reads.rollouts(namespace or self.namespace)

    def statefulset(self, name: str, namespace: str | None = None) -> StatefulSetInfo | None:
        return reads.statefulset(name, namespace or self.namespace)

    def resolve(self, name: str, type: str = "A") -> dns.DnsAnswer:
        """``dig`` from the namespace's toolbox pod, through its search path."""
        return dns.resolve(name, type, self.namespace)

    def env(self, pod: str) -> dict[str, str]:
        """The Service variables in a pod's environment."""
        return env.pod_env(pod, self.namespace).variables

    def probe(self, script: str, timeout: float = 30) -> tuple[bool, str]:
        """Run a shell script in the namespace's toolbox pod: (exit status 0, stdout + stderr)."""
        result = run_in_probe(["sh", "-c", script], self.namespace, timeout=timeout)
        return result.returncode == 0, result.stdout + result.stderr


CheckFn = Callable[[Context], Verdict]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    points: float
    description: str  # what is checked, shown to students
    fn: CheckFn
    hidden: bool = False  # run by autograde only; `lab.check_all()` leaves it out


@dataclass(frozen=True)
class LabSpec:
    name: str
    title: str
    checks: tuple[CheckSpec, ...]
    setup: tuple[Manifest, ...] = ()  # created in the lab namespace (re-applied when the lab restarts)
    other_namespace: bool = False  # a second namespace for cross-namespace tasks
    other_setup: tuple[Manifest, ...] = ()  # created in the second namespace
    repair: tuple[Manifest, ...] = ()  # Services the student repairs: created once, never re-applied
    allowance: Allowance = BASIC  # node ports, LoadBalancer IPs, a fixed node port of its own
    # RBAC rules the grading service account needs beyond the `admin` ClusterRole, which may
    # not write Endpoints or EndpointSlices (a selector-less Service needs them)
    grading_rules: tuple[dict[str, Any], ...] = ()

    def check(self, name: str) -> CheckSpec:
        for c in self.checks:
            if c.name == name:
                return c
        known = ", ".join(c.name for c in self.checks)
        raise KeyError(f"lab {self.name} has no check {name!r} (its checks: {known})")

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks)
