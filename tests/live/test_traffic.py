"""Load balancing and kube-proxy's rules on the live cluster."""

from __future__ import annotations

import pytest

import svclab as sl
from live.helpers import eventually
from svclab.k8s.kubectl import Kubectl

pytestmark = pytest.mark.live


def test_requests_from_a_pod_spread_over_the_pods(cluster: Kubectl, hello_world: str) -> None:
    ns = hello_world
    sl.expose("hello-world", 80, 8080, namespace=ns)
    pods = {p.name for p in sl.wait_for_service("hello-world", ns).pods}  # rules on every node, not only endpoints
    spread = sl.spread("hello-world", 60, ns, source="pod")
    assert spread.total == 60 and spread.errors == 0
    assert set(spread.counts) <= pods and len(spread.counts) >= 2, spread.counts
    assert abs(sum(spread.shares.values()) - 1) < 1e-9
    with pytest.raises(sl.InvalidInput, match="has no node port"):
        sl.spread("hello-world", 5, ns, source="nodeport")
    with pytest.raises(sl.InvalidInput, match="out of range"):
        sl.spread("hello-world", 5000, ns)


def test_requests_from_this_machine_via_nodeport_and_loadbalancer(cluster: Kubectl, hello_world: str) -> None:
    ns = hello_world
    info = sl.expose("hello-world", 80, 8080, type="LoadBalancer", namespace=ns)
    pods = {p.name for p in sl.wait_for_endpoints("hello-world", ns).pods}
    for source in ("nodeport", "loadbalancer"):
        eventually(lambda source=source: sl.spread("hello-world", 3, ns, source=source).errors == 0)
        spread = sl.spread("hello-world", 60, ns, source=source)
        assert spread.errors == 0 and set(spread.counts) <= pods and len(spread.counts) >= 2, spread
    assert spread.url == f"http://{info.external_ip}:80/"


def test_kube_proxy_chains_follow_the_endpoints(cluster: Kubectl, hello_world: str) -> None:
    ns = hello_world
    info = sl.expose("hello-world", 80, 8080, type="NodePort", namespace=ns)
    view = sl.wait_for_endpoints("hello-world", ns)
    chains = sl.wait_for_chains("hello-world", ns, "svclab-worker", endpoints=3)
    assert chains.node == "svclab-worker"
    matches = [e.match for e in chains.entries]
    assert f"{info.cluster_ip}:80/tcp (cluster IP)" in matches
    assert f"node port {info.node_port}/tcp" in matches
    assert len(chains.service_chains) == 1 and chains.service_chains[0].startswith("KUBE-SVC-")
    assert {e.endpoint for e in chains.endpoints} == {e.target for e in view.endpoints}
    assert [round(e.probability, 3) for e in chains.endpoints] == [0.333, 0.5, 1.0]
    assert all(abs(e.share - 1 / 3) < 0.01 for e in chains.endpoints)
    sl.scale("hello-world", 2, ns)
    two = sl.wait_for_chains("hello-world", ns, endpoints=2)
    assert two.node == "svclab-control-plane"
    assert [round(e.probability, 3) for e in two.endpoints] == [0.5, 1.0]
    with pytest.raises(sl.InvalidInput, match="no node 'nope'"):
        sl.service_chains("hello-world", ns, "nope")
