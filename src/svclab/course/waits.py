"""Waiting for the cluster to converge, as the lecture cells need it: pods, endpoints,
kube-proxy rules, external IPs and DNS answers. Each is one :func:`svclab.poll.poll`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from svclab.dns import DnsAnswer
from svclab.dns import resolve as dig
from svclab.errors import InvalidInput
from svclab.k8s import reads
from svclab.k8s.objects import ServiceInfo
from svclab.poll import poll
from svclab.services import ServiceView, describe_service, require_service

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Call ``probe`` until it returns something truthy (the cluster converges in seconds)."""
    return poll(probe, timeout=timeout, every=0.5, what=what)


def pod_ips(namespace: str, selector: str = "run=hello-world") -> dict[str, str]:
    """``{pod name: pod IP}`` of the running pods that match ``selector`` (leaving out those
    on their way out)."""
    return {p.name: p.ip for p in reads.pods(namespace, selector) if p.ip and p.phase == "Running" and not p.deleting}


def wait_for_pods(
    namespace: str, count: int, selector: str = "run=hello-world", timeout: float = 120
) -> dict[str, str]:
    """Wait until exactly ``count`` matching pods are Ready (and none is terminating)."""

    def ready() -> bool:
        live = reads.pods(namespace, selector)
        return len(live) == count and all(p.ready and not p.deleting for p in live)

    wait_for(ready, f"{count} ready pods with {selector} in {namespace}", timeout)
    return pod_ips(namespace, selector)


def pod_node(pod: str, namespace: str) -> str:
    """The node a pod runs on."""
    found = reads.pod(pod, namespace)
    if found is None or not found.node:
        raise InvalidInput(f"Pod {pod!r} in namespace {namespace!r} does not exist or is not scheduled")
    return found.node


def wait_for_endpoints(
    service: str, namespace: str, ready: int, without: Iterable[str] = (), timeout: float = 120
) -> ServiceView:
    """The Service's view once it has ``ready`` ready endpoints and none of the pods ``without``."""
    gone = set(without)

    def view() -> ServiceView | None:
        v = describe_service(service, namespace)
        pods = {e.pod for e in v.endpoints}
        return v if len(v.ready_endpoints) == ready and not pods & gone else None

    return wait_for(view, f"Service {service} to have {ready} ready endpoints", timeout)


def wait_for_external_ip(service: str, namespace: str, timeout: float = 60) -> ServiceInfo:
    """The LoadBalancer Service's ServiceInfo once MetalLB has given it an IP."""
    return poll(
        lambda: require_service(service, namespace),
        timeout=timeout,
        every=0.5,
        until=lambda info: info.external_ip is not None,
        what=f"an external IP for Service {service}",
    )


def resolve(
    name: str, namespace: str, type: str = "A", records: int = 1, expect: str | None = None, timeout: float = 30
) -> DnsAnswer:
    """:func:`svclab.resolve`, repeated until the answer has ``records`` records – and, with
    ``expect``, that address or CNAME target among them. CoreDNS learns about new Services and
    pods within seconds, and may keep an old answer in its cache for up to 30 seconds."""

    def good(answer: DnsAnswer) -> bool:
        return len(answer.records) >= records and (expect is None or expect in (*answer.addresses, *answer.cnames))

    wanted = f"{records} {type} records for {name}" + (f" with {expect}" if expect else "")
    return poll(lambda: dig(name, type, namespace), timeout=timeout, every=0.5, until=good, what=wanted)
