"""Where a kernel reaches a node port (127.0.0.1 here, the control-plane node's InternalIP
from a pod), and the addresses svclab sends traffic to, without a cluster: the environment
and the node list are faked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from svclab import http, traffic
from svclab.errors import ClusterError, InvalidInput
from svclab.k8s import nodehost, reads
from svclab.k8s.objects import NodeInfo, PortInfo, ServiceInfo
from svclab.labs.checks.reach import node_port_url, reachable_on_node_port
from svclab.labs.spec import Context
from svclab.settings import settings

NODES = [
    NodeInfo("svclab-worker", ("worker",), True, "172.18.0.3"),
    NodeInfo("svclab-control-plane", ("control-plane",), True, "172.18.0.4"),
    NodeInfo("svclab-worker2", ("worker",), True, "172.18.0.2"),
]
POOL = ["172.18.255.224-172.18.255.254"]
PORT = settings().node_ports[0]


@pytest.fixture(autouse=True)
def fresh_answer() -> Iterator[None]:
    """Each test asks anew (node_host() is cached per process)."""
    nodehost.node_host.cache_clear()
    yield
    nodehost.node_host.cache_clear()


@pytest.fixture
def in_a_pod(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A kernel in a pod of a cluster with NODES; returns the list of node reads made."""
    calls: list[int] = []
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setattr(reads, "nodes", lambda: calls.append(1) or NODES)
    return calls


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"KUBERNETES_SERVICE_HOST": "10.96.0.1", "JUPYTERHUB_USER": "ada"}, True),
        ({"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, True),
        ({"JUPYTERHUB_USER": "ada"}, False),  # a hub on this machine
        ({"KUBERNETES_SERVICE_HOST": ""}, False),
        ({}, False),
    ],
)
def test_a_pod_is_told_by_the_kubelets_variable(environ: dict[str, str], expected: bool) -> None:
    assert nodehost.in_a_pod(environ) is expected


def test_on_this_machine_node_ports_are_on_loopback_without_reading_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")

    def no_read() -> list[NodeInfo]:
        raise AssertionError("nodes read on this machine")

    monkeypatch.setattr(reads, "nodes", no_read)
    assert nodehost.node_host() == "127.0.0.1"


def test_in_a_pod_node_ports_are_on_the_control_plane_node_read_once(in_a_pod: list[int]) -> None:
    assert nodehost.node_host() == "172.18.0.4"
    assert nodehost.node_host() == "172.18.0.4"
    assert len(in_a_pod) == 1


def test_without_a_control_plane_node_the_first_node_by_name_serves() -> None:
    workers = [n for n in NODES if "control-plane" not in n.roles]
    assert nodehost.control_plane_ip(workers) == "172.18.0.3"
    assert nodehost.control_plane_ip([NodeInfo("cp", ("control-plane",), True, ""), *workers]) == "172.18.0.3"


def test_no_node_address_at_all_is_a_cluster_error() -> None:
    with pytest.raises(ClusterError, match="no node of the cluster has an InternalIP"):
        nodehost.control_plane_ip([NodeInfo("cp", ("control-plane",), True, "")])


# -- the addresses traffic may go to ----------------------------------------------------------------
@pytest.fixture
def cluster_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "nodes", lambda: NODES)
    monkeypatch.setattr(reads, "load_balancer_pools", lambda: POOL)


@pytest.mark.usefixtures("cluster_addresses")
@pytest.mark.parametrize(
    ("url", "ip"),
    [
        ("http://127.0.0.1:30001/", "127.0.0.1"),
        ("http://localhost:30001/", "127.0.0.1"),
        ("http://172.18.0.4:30001/", "172.18.0.4"),  # the control-plane node
        ("http://172.18.0.2:30001/", "172.18.0.2"),  # a worker
        ("http://172.18.255.230/", "172.18.255.230"),  # MetalLB's pool
    ],
)
def test_the_clusters_own_addresses_are_accepted(url: str, ip: str) -> None:
    assert http.cluster_address(url) == ip


@pytest.mark.usefixtures("cluster_addresses")
@pytest.mark.parametrize("url", ["http://172.18.0.9:30001/", "http://8.8.8.8/", "http://10.0.0.1:30001/"])
def test_any_other_address_is_refused(url: str) -> None:
    with pytest.raises(InvalidInput, match="is not one of the cluster's addresses"):
        http.cluster_address(url)


def test_a_host_name_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"'example\.com' is not an IP address"):
        http.cluster_address("http://example.com/")


# -- every node-port URL uses it --------------------------------------------------------------------
NODE_PORT_SERVICE = ServiceInfo("web", "ns1", "NodePort", "10.96.0.9", (PortInfo(80, 8080, node_port=PORT),))


class PodContext(Context):
    """A check's view from a kernel in a pod: one Service, the control-plane node at 172.18.0.4."""

    def __init__(self, service: ServiceInfo) -> None:
        super().__init__("ns1")
        self.svc = service

    def service(self, name: str, namespace: str | None = None) -> ServiceInfo | None:
        return self.svc if name == self.svc.name else None

    def node_host(self) -> str:
        return "172.18.0.4"


def test_a_checks_node_port_url_is_at_the_contexts_node_host() -> None:
    assert node_port_url("web")(PodContext(NODE_PORT_SERVICE)) == f"http://172.18.0.4:{PORT}/"


def test_no_node_port_says_where_nothing_answers() -> None:
    cluster_ip = ServiceInfo("web", "ns1", "ClusterIP", "10.96.0.9", (PortInfo(80, 8080),))
    verdict = reachable_on_node_port("web")(PodContext(cluster_ip))
    assert not verdict.passed
    assert verdict.message.endswith("so no node opens a port for it and nothing answers on 172.18.0.4")


def test_the_service_urls_use_the_given_node_host() -> None:
    urls = NODE_PORT_SERVICE.urls("172.18.0.4")
    assert urls == {"in cluster": "http://web.ns1:80/", "node port": f"http://172.18.0.4:{PORT}/"}


def test_load_tests_over_the_node_port_go_to_the_node_host(in_a_pod: list[int]) -> None:
    assert traffic.target_url(NODE_PORT_SERVICE, "nodeport") == f"http://172.18.0.4:{PORT}/"
