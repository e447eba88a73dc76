"""Settle, then judge, without a cluster: the wait ends when the namespace settles, when the
cluster itself is unfit, or at the deadline – and an unchanged namespace is not waited for twice."""

from __future__ import annotations

import pytest

from svclab.constants import SLICE_CONTROLLER
from svclab.k8s.objects import EndpointInfo, PodInfo, ServiceInfo, SliceInfo
from svclab.labs import settle


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [0.0]
    monkeypatch.setattr(settle.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(settle.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    return now


def test_waits_until_settled_then_not_again_for_the_same_state(
    clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []

    def moving(ns: str, last: str | None) -> tuple[list[str], str]:
        seen.append(last)
        return ([] if clock[0] >= 2 or last == "k1" else ["pod web-0 is starting"]), "k1"

    monkeypatch.setattr(settle, "moving", moving)
    monkeypatch.setattr(settle.health, "recent_problems", lambda ns: [])
    settler = settle.Settler(["ns1"], timeout=90)
    assert settler.settle() == [] and clock[0] == 2
    assert settler.settle() == [] and seen[-1] == "k1" and clock[0] == 2  # no wait the second time


def test_an_unfit_cluster_ends_the_wait_and_the_deadline_bounds_it(
    clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settle, "moving", lambda ns, last: (["DNS does not answer for Service web yet"], "k2"))
    monkeypatch.setattr(settle.health, "recent_problems", lambda ns: ["CoreDNS has no ready replica"])
    assert settle.Settler(["ns1"], timeout=90).settle() == ["DNS does not answer for Service web yet"]
    assert settle.UNFIT_AFTER < clock[0] < settle.UNFIT_AFTER + 1
    monkeypatch.setattr(settle.health, "recent_problems", lambda ns: [])
    clock[0] = 0
    settle.Settler(["ns1"], timeout=30).settle()
    assert 30 < clock[0] < 31


def _endpoint(address: str) -> EndpointInfo:
    return EndpointInfo(address, 8080, None, True, True, False, None, None)


def test_a_hand_made_slice_beside_a_selector_does_not_keep_the_namespace_moving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Service with a selector that matches no pod, and a slice of the student's listing the
    pods: the controller's (empty) slice is in step with the pods, so the namespace is settled."""
    service = ServiceInfo("hello-manual", "ns1", "ClusterIP", "10.96.0.9", selector={"app": "hello-manual"})
    pods = [PodInfo("hello-1", "10.244.1.5", "worker", "Running", True, labels={"run": "hello-world"})]
    mine = SliceInfo("hello-manual-1", "hello-manual", None, (("", 8080),), (_endpoint("10.244.1.5"),))
    controllers = SliceInfo("hello-manual-x", "hello-manual", SLICE_CONTROLLER, (), ())
    monkeypatch.setattr(settle.reads, "pods", lambda ns: pods)
    monkeypatch.setattr(settle.reads, "services", lambda ns: [service])
    monkeypatch.setattr(settle.reads, "slices", lambda ns: [mine, controllers])
    monkeypatch.setattr(settle.reads, "rollouts", lambda ns: [])
    monkeypatch.setattr(settle, "_rules_pending", lambda ns, snap: [])
    monkeypatch.setattr(settle, "_dns_pending", lambda ns, snap: [])
    assert settle.moving("ns1")[0] == []


def test_kube_proxy_rules_of_a_port_changed_away_keep_the_namespace_moving(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Service patched from port 80 to 8080: until kube-proxy drops its old rule for port 80,
    a check could still reach the old port, so the namespace has not settled."""
    from pathlib import Path

    from svclab import kubeproxy
    from svclab.k8s.objects import PortInfo

    nat = (Path(__file__).parent / "data" / "iptables-nat.txt").read_text()  # hello-world on 80
    monkeypatch.setattr(kubeproxy, "nodes", lambda: ["svclab-worker"])
    monkeypatch.setattr(kubeproxy, "iptables_nat", lambda node: nat)
    ready = tuple(
        EndpointInfo(ip, 8080, None, True, True, False, None, None) for ip in ("10.244.1.3", "10.244.2.2", "10.244.2.3")
    )

    def pending(port: int) -> list[str]:
        svc = ServiceInfo("hello-world", "default", "NodePort", "10.96.114.206", (PortInfo(port, 8080),))
        return settle._rules_pending("default", settle.Snapshot([], [svc], {"hello-world": ready}))

    assert pending(80) == []
    assert pending(8080) == ["kube-proxy on svclab-worker has not written the rules of Service hello-world yet"]
