"""Expose and inspect Services on the live cluster."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

import svclab as sl
from live.helpers import eventually, free_node_port, http_get, service_names
from svclab.k8s.kubectl import Kubectl
from svclab.settings import settings

pytestmark = pytest.mark.live


def kubectl_renders(cluster: Kubectl, command: str) -> dict:
    """The object the shown `kubectl …` command would create (client-side dry run)."""
    obj = json.loads(cluster(*shlex.split(command)[1:], "--dry-run=client", "-o", "json"))
    obj.pop("status", None)
    return obj


def test_clusterip_expose_matches_kubectl_and_endpoints_are_the_pods(cluster: Kubectl, hello_world: str) -> None:
    ns = hello_world
    plan = sl.plan_expose("hello-world", 80, 8080, namespace=ns)
    assert kubectl_renders(cluster, plan.command) == plan.manifest
    assert "kind: Service" in plan.yaml and "targetPort: 8080" in plan.yaml
    info = sl.apply_plan(plan)
    assert (info.name, info.type, info.node_port, info.external_ip) == ("hello-world", "ClusterIP", None, None)
    assert info.cluster_ip and info.cluster_ip.startswith("10.96.")
    assert info.selector == {"run": "hello-world"}

    view = sl.wait_for_endpoints("hello-world", ns, ready=3)
    assert len(view.pods) == 3 and all(p.ready for p in view.pods)
    assert {e.target for e in view.endpoints} == {f"{p.ip}:8080" for p in view.pods}
    assert {e.pod for e in view.endpoints} == {p.name for p in view.pods}
    assert set(view.nodes) == {"svclab-control-plane", "svclab-worker", "svclab-worker2"}
    assert sum(len(pods) for pods in view.pods_by_node().values()) == 3
    assert {view.pod_state(p) for p in view.pods} == {"ready"}


def test_nodeport_with_chosen_port_and_name(cluster: Kubectl, hello_world: str) -> None:
    ns, port = hello_world, free_node_port()
    plan = sl.plan_expose(
        "hello-world", 80, 8080, type="NodePort", name="web", node_port=port, port_name="http", namespace=ns
    )
    assert kubectl_renders(cluster, plan.command) == plan.manifest
    info = sl.apply_plan(plan)
    assert (info.type, info.node_port, info.ports[0].name) == ("NodePort", port, "http")
    assert info.urls(sl.node_host())["node port"] == f"http://127.0.0.1:{port}/"  # this machine
    body = eventually(lambda: http_get(info.urls(sl.node_host())["node port"]))
    assert body.startswith("Hello, world!\nVersion: 1.0.0\nHostname: hello-world-")


def test_loadbalancer_reports_its_external_ip(cluster: Kubectl, hello_world: str) -> None:
    assert sl.load_balancer_available()
    info = sl.expose("hello-world", 80, 8080, type="LoadBalancer", name="lb", namespace=hello_world)
    assert info.type == "LoadBalancer" and info.node_port
    assert info.external_ip and info.external_ip.startswith("172.18.255.")
    assert eventually(lambda: http_get(info.urls(sl.node_host())["load balancer"])).startswith("Hello, world!")


def test_invalid_input_is_explained_and_changes_nothing(
    cluster: Kubectl, hello_world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ns = hello_world
    taken = sl.expose("hello-world", 80, 8080, type="NodePort", name="taken", namespace=ns).node_port
    before = service_names(ns)
    bad = [
        (dict(deployment="nope", port=80), "no Deployment 'nope'"),
        (dict(deployment="hello-world", port=0), "port 0 is out of range"),
        (dict(deployment="hello-world", port=80, target_port=99999), "target port 99999 is out of range"),
        (dict(deployment="hello-world", port=80, type="NodePort", node_port=31000), "outside this cluster's range"),
        (dict(deployment="hello-world", port=80, type="NodePort", node_port=taken, name="x"), "already used"),
        (dict(deployment="hello-world", port=80, type="ExternalName"), "type 'ExternalName'"),
        (dict(deployment="hello-world", port=80, name="taken"), "already exists"),
    ]
    for kwargs, message in bad:
        with pytest.raises(sl.InvalidInput, match=message) as caught:
            sl.expose(**kwargs, namespace=ns)
        assert caught.value.hint, kwargs
    monkeypatch.setattr("svclab.exposing.load_balancer_available", lambda: False)
    with pytest.raises(sl.InvalidInput, match="no LoadBalancer implementation"):
        sl.expose("hello-world", 80, type="LoadBalancer", name="lb", namespace=ns)
    assert service_names(ns) == before


def test_endpoints_follow_scaling_and_killed_pods(cluster: Kubectl, hello_world: str) -> None:
    ns = hello_world
    sl.expose("hello-world", 80, 8080, namespace=ns)
    sl.wait_for_endpoints("hello-world", ns, ready=3)
    sl.scale("hello-world", 1, ns)
    one = sl.wait_for_endpoints("hello-world", ns, ready=1)
    assert len(one.ready_endpoints) == 1
    sl.scale("hello-world", 4, ns)
    four = sl.wait_for_endpoints("hello-world", ns, timeout=90)
    assert len(four.ready_endpoints) == 4 and len(four.pods) == 4
    victim = four.pods[0]
    sl.kill_pod(victim.name, ns)

    def replaced() -> sl.ServiceView | None:
        view = sl.wait_for_endpoints("hello-world", ns, timeout=90)
        return view if victim.name not in {p.name for p in view.pods} else None

    after = eventually(replaced, timeout=90)
    assert len(after.ready_endpoints) == 4
    assert victim.name not in {e.pod for e in after.endpoints}


def test_headless_and_external_name_services(cluster: Kubectl, hello_world: str) -> None:
    ns = hello_world
    headless = sl.expose("hello-world", 80, 8080, name="direct", headless=True, namespace=ns)
    assert headless.headless and headless.cluster_ip == "None"
    view = sl.wait_for_endpoints("direct", ns, ready=3)
    assert len(view.ready_endpoints) == 3
    plan = sl.plan_external_name("ext", f"hello-world.{ns}.svc.cluster.local", ns)
    assert kubectl_renders(cluster, plan.command) == plan.manifest
    ext = sl.apply_plan(plan)
    assert (ext.type, ext.external_name, ext.cluster_ip) == (
        "ExternalName",
        f"hello-world.{ns}.svc.cluster.local",
        None,
    )
    assert sl.describe_service("ext", ns).endpoints == ()
    assert sl.delete_service("ext", ns) and not sl.delete_service("ext", ns)


def test_unknown_service_and_unreachable_cluster(
    cluster: Kubectl, namespace: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(sl.InvalidInput, match="no Service 'nope'"):
        sl.describe_service("nope", namespace)
    # a kubeconfig whose server port is closed: ClusterError with a hint, not a urllib3 traceback
    broken = tmp_path / "kubeconfig"
    text = settings().kubeconfig.read_text()
    broken.write_text(re.sub(r"server: https://127\.0\.0\.1:\d+", "server: https://127.0.0.1:1", text))
    monkeypatch.setenv("SVCLAB_KUBECONFIG", str(broken))
    with pytest.raises(sl.ClusterError) as caught:
        sl.describe_service("hello-world", namespace)
    assert "not reachable" in caught.value.message and caught.value.hint
