"""HTTP from this kernel to the cluster's own addresses: node ports (on 127.0.0.1 of this
machine, or on a node's IP from a pod) and MetalLB's LoadBalancer IPs. Never through a
proxy from the environment, and never to any other address."""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.parse
import urllib.request

from svclab.errors import ClusterError, InvalidInput
from svclab.k8s import nodehost, reads


class NoAnswer(ClusterError):
    """Nothing answered an HTTP request (refused, timed out, reset); ``reason`` says which."""

    def __init__(self, url: str, reason: object) -> None:
        super().__init__(
            f"no answer from {url}: {reason}", "is the Service's type right, and does it have ready endpoints?"
        )
        self.reason = str(reason)
        #: something at the address said no: it is there (announced), but nothing serves
        self.refused = isinstance(reason, ConnectionRefusedError)


def cluster_address(url: str) -> str:
    """The URL's host if it is one of the cluster's own addresses (loopback, a node's
    InternalIP, an address of MetalLB's pools); else InvalidInput."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        ip = nodehost.LOOPBACK if host == "localhost" else str(ipaddress.ip_address(host))
    except ValueError:
        raise InvalidInput(
            f"{host!r} is not an IP address", "use svclab.node_host() with the node port, or a LoadBalancer IP"
        ) from None
    if not (
        ipaddress.ip_address(ip).is_loopback
        or ip in {n.ip for n in reads.nodes()}
        or reads.in_blocks(ip, reads.load_balancer_pools())
    ):
        raise InvalidInput(
            f"{ip} is not one of the cluster's addresses",
            "the course only sends traffic to node ports (on 127.0.0.1 or a node's IP) and MetalLB's pool",
        )
    return ip


def get(url: str, timeout: float = 3) -> str:
    """GET ``url`` on a new connection and return the body; NoAnswer says why not."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to the cluster
    try:
        with opener.open(urllib.request.Request(url, headers={"Connection": "close"}), timeout=timeout) as reply:
            return reply.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise NoAnswer(url, reason) from None
