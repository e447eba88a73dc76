"""kind config, LoadBalancer pool, capabilities and cgroup detection."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from svclab.cluster.config import SERVICE_SUBNET, kind_config, pool_from_subnets
from svclab.cluster.doctor import cgroup_mode, missing_capabilities
from svclab.errors import ClusterError
from svclab.k8s.quota import static_band
from svclab.settings import GRADING_SLOTS, NODE_PORT_RANGE, Settings, node_port_range


def test_kind_config_has_one_control_plane_two_workers_and_the_node_ports() -> None:
    config = yaml.safe_load(kind_config("svclab/node:v1.34.4-abc", NODE_PORT_RANGE))
    assert [n["role"] for n in config["nodes"]] == ["control-plane", "worker", "worker"]
    assert {n["image"] for n in config["nodes"]} == {"svclab/node:v1.34.4-abc"}
    assert config["networking"]["kubeProxyMode"] == "iptables"
    mappings = config["nodes"][0]["extraPortMappings"]
    assert [m["hostPort"] for m in mappings] == list(NODE_PORT_RANGE)
    assert {m["listenAddress"] for m in mappings} == {"127.0.0.1"}
    patch = yaml.safe_load(config["nodes"][0]["kubeadmConfigPatches"][0])
    first, last = NODE_PORT_RANGE[0], NODE_PORT_RANGE[-1]
    assert patch["apiServer"]["extraArgs"]["service-node-port-range"] == f"{first}-{last}"


@pytest.mark.parametrize(
    ("class_size", "ports", "students"), [(0, 50, 12), (12, 50, 12), (13, 544, 13), (30, 1088, 30), (200, 2768, 82)]
)
def test_a_class_size_gives_a_range_whose_static_band_holds_the_class(
    class_size: int, ports: int, students: int
) -> None:
    chosen = node_port_range(class_size)
    assert (chosen.start, len(chosen)) == (30000, ports)
    assert len(static_band(chosen)) - GRADING_SLOTS == students


@pytest.mark.parametrize(
    ("subnets", "pool"),
    [
        (["172.18.0.0/16"], "172.18.255.224-172.18.255.254"),
        (["fc00:f853:ccd:e793::/64", "172.19.0.0/16"], "172.19.255.224-172.19.255.254"),
        (["10.5.0.0/24"], "10.5.0.224-10.5.0.254"),
    ],
)
def test_pool_is_the_top_of_the_ipv4_subnet(subnets: list[str], pool: str) -> None:
    assert pool_from_subnets(subnets) == pool


def test_pool_needs_an_ipv4_subnet() -> None:
    with pytest.raises(ClusterError, match="no IPv4 subnet"):
        pool_from_subnets(["fc00::/64", "10.0.0.0/28"])


def test_missing_capabilities_reads_the_bounding_set() -> None:
    assert missing_capabilities("CapBnd:\t000001ffffffffff\n") == 0
    assert missing_capabilities("Name: x\nCapBnd:\t000001fffeffffff\n") == 1 << 24  # CAP_SYS_RESOURCE


def test_cgroup_mode(tmp_path: Path) -> None:
    assert cgroup_mode(tmp_path) == "v1"
    (tmp_path / "unified").mkdir()
    assert cgroup_mode(tmp_path) == "hybrid (v1 + v2)"
    (tmp_path / "cgroup.controllers").write_text("cpu memory\n")
    assert cgroup_mode(tmp_path) == "v2"


def test_versions_are_read_from_versions_env(tmp_path: Path) -> None:
    (tmp_path / "versions.env").write_text('# pins\nKUBERNETES_VERSION=1.34.9\nPAUSE_TAGS="3.10 3.10.1"\n')
    s = Settings(cluster_dir=tmp_path)
    assert s.kubernetes_version == "v1.34.9"
    assert s.versions["PAUSE_TAGS"] == "3.10 3.10.1"


def test_real_versions_pin_kubernetes_1_34() -> None:
    # 1.35+ refuses cgroup v1 hosts by default; the course machines are cgroup v1.
    assert Settings().kubernetes_version.startswith("v1.34.")


def test_service_subnet_matches_the_cni_manifest() -> None:

    config = yaml.safe_load(kind_config("img", NODE_PORT_RANGE))
    assert config["networking"]["serviceSubnet"] == SERVICE_SUBNET
    manifest = (Settings().cluster_dir / "node/default-cni.yaml").read_text()
    assert f"name: SERVICE_SUBNET\n              value: {SERVICE_SUBNET}" in manifest
