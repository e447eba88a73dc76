"""What the lectures show of a node, through the read-only path a student may use too:
its addresses and conntrack entries (svclab-nodeview, over the API server's pod proxy) and
kube-proxy's settings (its ConfigMap). On a cluster without svclab-nodeview the instructor's
rights do the same through kube-proxy's pod."""

from __future__ import annotations

import re

from svclab.errors import ClusterError
from svclab.k8s import reads
from svclab.k8s.api import kube


def _view(node: str, view: str, fallback: list[str]) -> str:
    served = reads.node_view(node, view)
    if served is not None:
        return served.rstrip()
    result = kube().exec(reads.kube_proxy_pod(node), "kube-system", fallback)
    if result.returncode != 0:
        raise ClusterError(f"`{' '.join(fallback)}` failed on node {node}: {result.stderr.strip()[:300]}")
    return result.stdout.rstrip()


def node_addresses(node: str) -> str:
    """``ip -brief address`` in the node's network namespace: its interfaces and their addresses."""
    return _view(node, "addresses", ["ip", "-brief", "address"])


def conntrack(node: str, ip: str) -> str:
    """The node's tracked TCP connections whose original destination is ``ip`` (a ClusterIP, say)."""
    return _view(node, f"conntrack/{ip}", ["conntrack", "-L", "-p", "tcp", "--orig-dst", ip])


def kube_proxy_settings(*keys: str) -> str:
    """The lines of kube-proxy's configuration that set ``keys`` (``mode``, ``clusterCIDR`` …)."""
    wanted = re.compile(rf"^({'|'.join(map(re.escape, keys))}):")
    return "\n".join(line for line in reads.kube_proxy_config().splitlines() if wanted.match(line))
