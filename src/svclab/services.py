"""Inspecting and acting on Services and what backs them: the pods a Service's selector
matches and its EndpointSlices (:class:`ServiceView`), waiting for them to settle,
scaling a Deployment and killing a pod. Creating Services is :mod:`svclab.exposing`."""

from __future__ import annotations

from dataclasses import dataclass

from svclab.errors import Forbidden, InvalidInput
from svclab.k8s import reads
from svclab.k8s.api import kube
from svclab.k8s.objects import EndpointInfo, PodInfo, ServiceInfo
from svclab.poll import poll


def delete_service(name: str, namespace: str = "default") -> bool:
    """Delete a Service; False when there was none."""
    if reads.service(name, namespace) is None:
        return False
    k = kube()
    k.call(f"delete Service {name} in {namespace}", k.core.delete_namespaced_service, name, namespace)
    return True


# -- inspect ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceView:
    """Everything a Service is made of, read at one moment."""

    service: ServiceInfo
    pods: tuple[PodInfo, ...]
    endpoints: tuple[EndpointInfo, ...]
    nodes: tuple[str, ...] = ()

    @property
    def ready_endpoints(self) -> tuple[EndpointInfo, ...]:
        return tuple(e for e in self.endpoints if e.ready)

    def pod_state(self, pod: PodInfo) -> str:
        """'ready' (receives traffic), 'not ready' (in the slice, skipped) or 'no endpoint'."""
        mine = [e for e in self.endpoints if e.pod == pod.name]
        if not mine:
            return "no endpoint"
        return "ready" if any(e.ready for e in mine) else "not ready"

    def pods_by_node(self) -> dict[str, list[PodInfo]]:
        """Matched pods grouped by node; every node of the cluster appears, even without pods."""
        grouped: dict[str, list[PodInfo]] = {n: [] for n in self.nodes}
        for pod in self.pods:
            grouped.setdefault(pod.node or "(not scheduled)", []).append(pod)
        return grouped

    def signature(self) -> tuple[object, ...]:
        """Changes whenever something a viewer shows changes (for watching)."""
        return (self.service, self.pods, self.endpoints)


def require_service(name: str, namespace: str = "default") -> ServiceInfo:
    """The Service, or InvalidInput that lists the Services the namespace does have."""
    info = reads.service(name, namespace)
    if info is None:
        names = service_names(namespace)
        raise InvalidInput(
            f"there is no Service {name!r} in namespace {namespace!r}",
            f"Services there: {', '.join(names)}" if names else "create one with svclab.expose(...)",
        )
    return info


def describe_service(name: str, namespace: str = "default") -> ServiceView:
    """Read a Service, the pods its selector matches, and its EndpointSlices."""
    info = require_service(name, namespace)
    pods = reads.pods(namespace, info.selector) if info.selector else []
    try:
        nodes = reads.node_names()
    except Forbidden:  # a student sees no nodes: those of the pods will do
        nodes = [p.node for p in pods if p.node]
    return ServiceView(info, tuple(pods), reads.endpoints(name, namespace), tuple(sorted(set(nodes))))


def wait_for_endpoints(
    name: str, namespace: str = "default", ready: int | None = None, timeout: float = 60
) -> ServiceView:
    """Poll until the Service has ``ready`` ready endpoints per port; by default until it has
    converged: every matched pod ready, none on its way out, and each one a ready endpoint."""

    def settled() -> ServiceView | None:
        view = describe_service(name, namespace)
        ports = max(1, len(view.service.ports))
        if ready is not None:
            return view if len(view.ready_endpoints) == ready * ports else None
        converged = all(p.ready and not p.deleting for p in view.pods)
        return view if converged and len(view.ready_endpoints) == len(view.pods) * ports else None

    return poll(settled, timeout=timeout, what=f"the endpoints of Service {name} to settle")


def scale(deployment: str, replicas: int, namespace: str = "default") -> None:
    """Set a Deployment's replica count (what `kubectl scale` does)."""
    if not isinstance(replicas, int) or not 0 <= replicas <= 20:
        raise InvalidInput(f"{replicas!r} replicas is out of range", "this small cluster takes 0 to 20 replicas")
    k = kube()
    if reads.deployment(deployment, namespace) is None:
        raise InvalidInput(f"there is no Deployment {deployment!r} in namespace {namespace!r}")
    k.call(
        f"scale Deployment {deployment}",
        k.apps.patch_namespaced_deployment_scale,
        deployment,
        namespace,
        {"spec": {"replicas": replicas}},
    )


def kill_pod(name: str, namespace: str = "default", grace_seconds: int = 1) -> None:
    """Delete a pod as a crash would; its Deployment starts a replacement."""
    k = kube()
    if reads.pod(name, namespace) is None:
        raise InvalidInput(f"there is no Pod {name!r} in namespace {namespace!r}")
    k.call(f"delete Pod {name}", k.core.delete_namespaced_pod, name, namespace, grace_period_seconds=grace_seconds)


def service_names(namespace: str = "default") -> list[str]:
    return reads.service_names(namespace)


def deployment_names(namespace: str = "default") -> list[str]:
    return reads.deployment_names(namespace)
