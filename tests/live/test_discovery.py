"""DNS and environment variables, seen from pods on the live cluster."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

import svclab as sl
from svclab.k8s.kubectl import Kubectl

pytestmark = pytest.mark.live


@pytest.fixture
def other_namespace(cluster: Kubectl) -> Iterator[str]:
    """A second namespace, to look names up across namespaces."""
    name = f"t-other-{uuid.uuid4().hex[:5]}"
    cluster("create", "namespace", name)
    cluster("label", "namespace", name, "svclab.dev/test=true")
    try:
        yield name
    finally:
        cluster("delete", "namespace", name, "--wait=false")


def resolved(name: str, type: str = "A", namespace: str = "default", count: int = 1) -> sl.DnsAnswer:
    return sl.wait_for_dns(name, type, namespace, records=count)


def test_a_records_for_full_and_short_names_across_namespaces(
    cluster: Kubectl, hello_world: str, other_namespace: str
) -> None:
    ns = hello_world
    ip = sl.expose("hello-world", 80, 8080, port_name="http", namespace=ns).cluster_ip
    for name in ("hello-world", f"hello-world.{ns}", f"hello-world.{ns}.svc", f"hello-world.{ns}.svc.cluster.local"):
        answer = resolved(name, namespace=ns)
        assert answer.addresses == [ip], name
        assert answer.answered_name == f"hello-world.{ns}.svc.cluster.local."
    # from another namespace the namespace must be named: the search path starts with the pod's own
    assert resolved(f"hello-world.{ns}", namespace=other_namespace).addresses == [ip]
    short = sl.resolve("hello-world", namespace=other_namespace)
    assert short.status == "NXDOMAIN" and not short.ok
    conf = sl.resolv_conf(other_namespace)
    assert conf.search[:3] == (f"{other_namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local")
    assert conf.nameservers == (cluster.json("get", "service", "kube-dns", "-n", "kube-system")["spec"]["clusterIP"],)
    assert conf.candidates("hello-world")[0] == f"hello-world.{other_namespace}.svc.cluster.local"
    # SRV for the named port: the Service's name and port
    srv = resolved(f"_http._tcp.hello-world.{ns}", "SRV", ns).srv
    assert [(s.port, s.target) for s in srv] == [(80, f"hello-world.{ns}.svc.cluster.local.")]


def test_headless_service_has_one_record_per_ready_pod(cluster: Kubectl, hello_world: str) -> None:
    ns = hello_world
    sl.expose("hello-world", 80, 8080, name="direct", port_name="http", headless=True, namespace=ns)
    pods = sl.wait_for_endpoints("direct", ns).pods
    answer = resolved("direct", namespace=ns, count=3)
    assert answer.addresses == sorted(p.ip for p in pods)
    srv = resolved(f"_http._tcp.direct.{ns}.svc.cluster.local", "SRV", ns, count=3).srv
    assert {s.port for s in srv} == {8080} and len(srv) == 3
    assert all(s.target.endswith(f".direct.{ns}.svc.cluster.local.") for s in srv)


def test_external_name_is_a_cname(cluster: Kubectl, hello_world: str) -> None:
    ns = hello_world
    ip = sl.expose("hello-world", 80, 8080, namespace=ns).cluster_ip
    target = f"hello-world.{ns}.svc.cluster.local"
    sl.create_external_name("ext", target, ns)
    cname = resolved("ext", "CNAME", ns)
    assert cname.cnames == [target + "."]
    a = resolved("ext", "A", ns, count=2)
    assert a.cnames == [target + "."] and a.addresses == [ip]


def test_service_variables_before_and_after(cluster: Kubectl, hello_world: str) -> None:
    ns = hello_world
    demo = sl.env_demo("env-demo", namespace=ns)
    assert demo.before_vars == {}
    after = demo.after_vars
    assert after["ENV_DEMO_SERVICE_HOST"] == demo.service.cluster_ip
    assert after["ENV_DEMO_SERVICE_PORT"] == "80"
    assert after["ENV_DEMO_PORT"] == f"tcp://{demo.service.cluster_ip}:80"
    assert "KUBERNETES_SERVICE_HOST" in demo.before.variables  # the API's own Service is always there
    probe = sl.pod_env(sl.probe_pod(ns), ns)
    assert probe.for_service("env-demo") == after  # the shared probe pod was started after it too
    hello_pod = sl.describe_service("env-demo", ns).pods[0].name
    with pytest.raises(sl.InvalidInput, match="cannot run `env`") as caught:
        sl.pod_env(hello_pod, ns)
    assert "toolbox" in (caught.value.hint or "")
