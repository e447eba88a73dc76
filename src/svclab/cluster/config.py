"""What the kind cluster is made of: kind's config (nodes, node ports, the service subnet)
and the address block MetalLB hands out."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import yaml

from svclab import runner
from svclab.cluster.registry import containerd_mirror_patch
from svclab.constants import HUB_MOUNT
from svclab.errors import ClusterError
from svclab.settings import CLUSTER_NAME, port_span

SERVICE_SUBNET = "10.96.0.0/16"


def kind_config(node_image: str, node_ports: range, mirror: str | None = None, hub_dir: Path | None = None) -> str:
    """kind's cluster config: 1 control plane + 2 workers, iptables kube-proxy,
    and the course's NodePort range published on 127.0.0.1; with ``mirror`` (HOST:PORT),
    the nodes' containerd pulls through that registry (`svclab images serve`); with
    ``hub_dir``, every node sees that host folder at HUB_MOUNT (the hub's volumes)."""
    patch = yaml.safe_dump(
        {"kind": "ClusterConfiguration", "apiServer": {"extraArgs": {"service-node-port-range": port_span(node_ports)}}}
    )
    config: dict[str, Any] = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": CLUSTER_NAME,
        # the service subnet is also written into cluster/node/default-cni.yaml (svclab-cni)
        "networking": {"kubeProxyMode": "iptables", "serviceSubnet": SERVICE_SUBNET},
        "nodes": [
            {
                "role": "control-plane",
                "image": node_image,
                "kubeadmConfigPatches": [patch],
                "extraPortMappings": [
                    {"containerPort": p, "hostPort": p, "listenAddress": "127.0.0.1", "protocol": "TCP"}
                    for p in node_ports
                ],
            },
            {"role": "worker", "image": node_image},
            {"role": "worker", "image": node_image},
        ],
    }
    if hub_dir:
        for node in config["nodes"]:
            node["extraMounts"] = [{"hostPath": str(hub_dir), "containerPath": HUB_MOUNT}]
    if mirror:
        config["containerdConfigPatches"] = [containerd_mirror_patch(mirror)]
    return yaml.safe_dump(config, sort_keys=False)


def loadbalancer_pool(network: str = "kind") -> str:
    """The top 32 addresses of the docker network's IPv4 subnet (kind hands out
    node IPs from the bottom), e.g. 172.18.255.224-172.18.255.254."""
    data = json.loads(runner.run(["docker", "network", "inspect", network]).stdout)[0]
    return pool_from_subnets([c["Subnet"] for c in data["IPAM"]["Config"] if "Subnet" in c])


def pool_from_subnets(subnets: list[str]) -> str:
    for subnet in subnets:
        net = ipaddress.ip_network(subnet)
        if net.version == 4 and net.num_addresses >= 64:
            last = net.broadcast_address - 1
            return f"{last - 30}-{last}"
    raise ClusterError(f"the docker network has no IPv4 subnet of /26 or larger: {subnets}")
