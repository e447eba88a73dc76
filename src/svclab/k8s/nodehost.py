"""Where this process reaches a node port. On this machine kind publishes the course's node
ports of the control-plane node on 127.0.0.1. In a pod of the cluster (a class's JupyterHub
runs each student's kernel in one) 127.0.0.1 is the pod itself, so the node port is reached
on the control-plane node's InternalIP instead."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import cache

from svclab.errors import ClusterError
from svclab.k8s import reads
from svclab.k8s.objects import NodeInfo

LOOPBACK = "127.0.0.1"


def in_a_pod(environ: Mapping[str, str] = os.environ) -> bool:
    """This process runs in a pod: the kubelet sets KUBERNETES_SERVICE_HOST in every container
    (enableServiceLinks: false keeps it too). JUPYTERHUB_USER is no sign: a hub may run here."""
    return bool(environ.get("KUBERNETES_SERVICE_HOST"))


def control_plane_ip(nodes: Iterable[NodeInfo]) -> str:
    """The InternalIP of the control-plane node (of the first node by name on a cluster that
    shows none, as a managed one may)."""
    found = sorted((n for n in nodes if n.ip), key=lambda n: ("control-plane" not in n.roles, n.name))
    if not found:
        raise ClusterError(
            "no node of the cluster has an InternalIP, so no node port can be reached from this pod",
            "`kubectl get nodes -o wide` shows the nodes and their addresses",
        )
    return found[0].ip


@cache
def node_host() -> str:
    """The address at which this process reaches a node port: 127.0.0.1 on this machine, the
    control-plane node's InternalIP from a pod. Read once per process."""
    return control_plane_ip(reads.nodes()) if in_a_pod() else LOOPBACK
