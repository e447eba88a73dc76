"""Load balancing: send requests to a Service and count which hello-app pod answered."""

from __future__ import annotations

import re
import shlex
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

from svclab.errors import InvalidInput
from svclab.k8s import nodehost, reads
from svclab.k8s.objects import ServiceInfo
from svclab.services import require_service
from svclab.toolbox import run_in_probe

SOURCES = ("pod", "nodeport", "loadbalancer")
MAX_REQUESTS = 1000
_HOSTNAME = re.compile(r"^Hostname: (\S+)\s*$", re.MULTILINE)
_FAILED = "svclab-request-failed"


@dataclass(frozen=True)
class Spread:
    """How ``total`` requests to one URL spread over the pods that answered."""

    service: str
    namespace: str
    source: str
    url: str
    counts: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.errors

    @property
    def shares(self) -> dict[str, float]:
        answered = sum(self.counts.values()) or 1
        return {pod: n / answered for pod, n in self.counts.items()}


def parse_hostnames(text: str) -> list[str]:
    """The ``Hostname:`` of each hello-app reply in ``text``."""
    return _HOSTNAME.findall(text)


def target_url(info: ServiceInfo, source: str, port: int | None = None) -> str:
    """The URL a request from ``source`` uses to reach the Service."""
    if source not in SOURCES:
        raise InvalidInput(f"unknown source {source!r}", f"choose one of {', '.join(SOURCES)}")
    if not info.ports:
        raise InvalidInput(f"Service {info.name} has no ports", "an ExternalName Service cannot be load tested")
    chosen = next((p for p in info.ports if port in (None, p.port)), None)
    if chosen is None:
        raise InvalidInput(
            f"Service {info.name} has no port {port}", f"its ports: {', '.join(str(p.port) for p in info.ports)}"
        )
    if source == "pod":
        return f"http://{info.dns_name}:{chosen.port}/"
    if source == "nodeport":
        if not chosen.node_port:
            raise InvalidInput(
                f"Service {info.name} is of type {info.type} and has no node port",
                "expose it with type NodePort (or LoadBalancer), or send from a pod",
            )
        return f"http://{nodehost.node_host()}:{chosen.node_port}/"
    if not info.external_ip:
        raise InvalidInput(
            f"Service {info.name} has no external IP (type {info.type})",
            "expose it with type LoadBalancer and wait for the IP, or send from a pod",
        )
    _check_load_balancer_ip(info.external_ip)
    return f"http://{info.external_ip}:{chosen.port}/"


def _check_load_balancer_ip(ip: str) -> None:
    """Only send traffic from this machine to an IP of the cluster's own MetalLB pools."""
    if not reads.in_blocks(ip, reads.load_balancer_pools()):
        raise InvalidInput(
            f"{ip} is not in one of the cluster's MetalLB address pools",
            "svclab only sends traffic from this machine to the cluster's own addresses; send from a pod instead",
        )


def spread(
    service: str, requests: int = 60, namespace: str = "default", source: str = "pod", port: int | None = None
) -> Spread:
    """Send ``requests`` requests (each on a new connection) and count the answering pods.

    ``source``: ``pod`` (from the namespace's toolbox pod to the Service's DNS name),
    ``nodeport`` (from this kernel to <node host>:<nodePort>, see :func:`svclab.node_host`) or ``loadbalancer``
    (from this machine to the external IP)."""
    if not isinstance(requests, int) or not 1 <= requests <= MAX_REQUESTS:
        raise InvalidInput(f"{requests!r} requests is out of range", f"send 1 to {MAX_REQUESTS}")
    info = require_service(service, namespace)
    url = target_url(info, source, port)
    started = time.perf_counter()
    replies = _from_pod(url, requests, namespace) if source == "pod" else _from_here(url, requests)
    seconds = time.perf_counter() - started
    counts = Counter(r for r in replies if r is not None)
    return Spread(service, namespace, source, url, dict(counts.most_common()), sum(r is None for r in replies), seconds)


def _from_pod(url: str, requests: int, namespace: str) -> list[str | None]:
    script = f"for i in $(seq {requests}); do curl -s -m 2 {shlex.quote(url)} || echo {_FAILED}; done"
    result = run_in_probe(["sh", "-c", script], namespace, timeout=10 + 2.5 * requests)
    replies: list[str | None] = []
    for line in result.stdout.splitlines():
        if line.startswith("Hostname: "):
            replies.append(line.split(": ", 1)[1].strip())
        elif line.strip() == _FAILED:
            replies.append(None)
    return replies


def _from_here(url: str, requests: int) -> list[str | None]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to the cluster
    replies: list[str | None] = []
    for _ in range(requests):
        request = urllib.request.Request(url, headers={"Connection": "close"})
        try:
            with opener.open(request, timeout=2) as reply:  # a new connection each time
                names = parse_hostnames(reply.read().decode(errors="replace"))
            replies.append(names[0] if names else None)
        except (urllib.error.URLError, OSError):
            replies.append(None)
    return replies
