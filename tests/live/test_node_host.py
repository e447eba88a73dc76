"""A kernel in a pod of the cluster (a class's JupyterHub) reaches node ports on the
control-plane node's InternalIP, not on 127.0.0.1 (the pod itself). This machine reaches
the kind nodes' IPs directly on the docker network, so forcing the in-pod answer here takes
the path a pod's kernel takes: the URLs, the lab check, the load test and course.fetch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import svclab as sl
from live.helpers import eventually
from svclab import course
from svclab.k8s import nodehost
from svclab.k8s.kubectl import Kubectl
from svclab.labs.checks.reach import reachable_on_node_port
from svclab.labs.spec import Context

pytestmark = pytest.mark.live


@pytest.fixture
def as_in_a_pod(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process answers as a kernel in a pod would; the cached answer is dropped after."""
    nodehost.node_host.cache_clear()
    monkeypatch.setattr(nodehost, "in_a_pod", lambda: True)
    yield
    nodehost.node_host.cache_clear()


def control_plane_ip(cluster: Kubectl) -> str:
    return cluster(
        "get", "node", "svclab-control-plane", "-o", "jsonpath={.status.addresses[?(@.type=='InternalIP')].address}"
    ).strip()


@pytest.mark.usefixtures("as_in_a_pod")
def test_from_a_pod_a_node_port_answers_on_the_control_plane_nodes_ip(cluster: Kubectl, hello_world: str) -> None:
    ns, ip = hello_world, control_plane_ip(cluster)
    assert ip and ip != "127.0.0.1"
    assert sl.node_host() == ip

    info = sl.expose("hello-world", 80, 8080, type="NodePort", name="web", namespace=ns)
    pods = {p.name for p in sl.wait_for_endpoints("web", ns).pods}
    url = f"http://{ip}:{info.node_port}/"
    assert info.urls(sl.node_host())["node port"] == url
    assert course.fetch(url).startswith("Hello, world!\nVersion: 1.0.0\nHostname: hello-world-")

    verdict = reachable_on_node_port("web")(Context(ns))
    assert verdict.passed and verdict.message == f"{url} answers from this machine", verdict

    eventually(lambda: sl.spread("web", 3, ns, source="nodeport").errors == 0)
    spread = sl.spread("web", 30, ns, source="nodeport")
    assert spread.url == url and spread.errors == 0 and set(spread.counts) <= pods, spread
