"""The discovery labs' check primitives without a cluster: what they read from DNS answers,
EndpointSlices and answers, and the messages they give. The cluster is replaced by a
Context whose reads return recorded typed objects."""

from __future__ import annotations

from typing import Any

from svclab.dns import DnsAnswer, DnsError, DnsRecord
from svclab.errors import Rejected
from svclab.k8s.objects import EndpointInfo, PodInfo, PortInfo, ServiceInfo, SliceInfo
from svclab.labs import LABS
from svclab.labs.checks.answers import answer_addresses, answer_choice, answer_dns_name
from svclab.labs.checks.base import in_order, with_hint
from svclab.labs.checks.dns import lookup, resolves, resolves_via_cname, srv_records
from svclab.labs.checks.services import service_port
from svclab.labs.checks.workloads import pod_env, slice_labelled, slice_port
from svclab.labs.spec import Context, Verdict

Answers = dict[tuple[str, str], list[tuple[str, str, str]] | str]  # (name, type) → records, or dig's error


class FakeContext(Context):
    """Services and pods by name, EndpointSlices, and the DNS records each (name, type) gets."""

    def __init__(
        self,
        services: dict[str, ServiceInfo] | None = None,
        pods: dict[str, PodInfo] | None = None,
        slices: list[SliceInfo] | None = None,
        dns: Answers | None = None,
        answers: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__("ns1", answers or {}, "ns1-b")
        self.services, self.pod_objects = services or {}, pods or {}
        self.slice_list, self.dns, self.environment = slices or [], dns or {}, env
        self.node_port: int | None = None

    def service(self, name: str, namespace: str | None = None) -> ServiceInfo | None:
        return self.services.get(name)

    def names(self, kind: str, namespace: str | None = None) -> list[str]:
        return sorted(self.services if kind == "service" else self.pod_objects if kind == "pod" else [])

    def pod(self, name: str, namespace: str | None = None) -> PodInfo | None:
        return self.pod_objects.get(name)

    def endpoints(self, service: str, namespace: str | None = None) -> tuple[EndpointInfo, ...]:
        return tuple(e for s in self.slice_list if s.service == service for e in s.endpoints)

    def slices(self, namespace: str | None = None) -> list[SliceInfo]:
        return self.slice_list

    def resolve(self, name: str, type: str = "A") -> DnsAnswer:
        found = self.dns.get((name, type), [])
        if isinstance(found, str):
            raise DnsError(name, type, found)
        records = tuple(DnsRecord(n, 5, t, d) for n, t, d in found)
        return DnsAnswer(name, type, "NOERROR" if records else "NXDOMAIN", records, self.namespace)

    def own_node_port(self) -> int | None:
        return self.node_port

    def env(self, pod: str) -> dict[str, str]:
        if self.environment is None:
            raise Rejected(f'cannot exec env in Pod {pod} in ns1: container not found ("hello")', None, 400)
        return self.environment


def svc(name: str, **fields: Any) -> ServiceInfo:
    return ServiceInfo(name, "ns1", fields.pop("type", "ClusterIP"), fields.pop("cluster_ip", "10.96.0.5"), **fields)


def endpoint(ip: str) -> EndpointInfo:
    return EndpointInfo(ip, 8080, None, True, True, False, None, None)


def test_a_failed_lookup_names_the_toolbox_pod_and_digs_reason() -> None:
    ctx = FakeContext(
        dns={
            ("down", "A"): ";; connection timed out; no servers could be reached",
            ("hello", "A"): [("hello.ns1.svc.cluster.local.", "A", "10.96.0.5")],
        }
    )
    assert isinstance(lookup(ctx, "hello"), DnsAnswer)
    assert lookup(ctx, "hello").addresses == ["10.96.0.5"]  # type: ignore[union-attr]
    failed = lookup(ctx, "down")
    assert isinstance(failed, Verdict)
    assert failed.message == (
        "the DNS lookup of down failed in pod toolbox (;; connection timed out; no servers could be reached)"
    )


def test_resolves_names_what_it_found_and_expected() -> None:
    ctx = FakeContext(dns={("hello", "A"): [("hello.ns1.svc.cluster.local.", "A", "10.96.0.9")]})
    verdict = resolves(lambda c: {"hello": {"10.96.0.5"}}, "the cluster IP of Service hello", "hint", timeout=0)(ctx)
    assert not verdict.passed
    assert verdict.message == (
        "from a pod in ns1, hello resolves to 10.96.0.9; expected 10.96.0.5 (the cluster IP of Service hello)"
    )


def test_resolves_reports_a_missing_object_without_polling() -> None:
    missing = Verdict(False, "there is no service named 'hello'")
    assert resolves(lambda c: missing, "x", "hint", timeout=60)(FakeContext()) is missing


def test_cname_to_a_short_name_is_explained() -> None:
    name = "backend.ns1.svc.cluster.local."
    ctx = FakeContext(
        services={"backend": svc("backend", type="ExternalName", cluster_ip=None, external_name="hello-world")},
        dns={(name, "A"): [(name, "CNAME", "hello-world.")]},
    )
    verdict = resolves_via_cname("backend", "hello-world", timeout=0)(ctx)
    assert verdict.message == (
        "backend.ns1.svc.cluster.local is a CNAME for hello-world., which resolves to no "
        "address; the task asks for hello-world.ns1.svc.cluster.local"
    )
    assert "never completed with the search path" in verdict.hint


def test_srv_records_count_one_per_ready_endpoint() -> None:
    slices = [
        SliceInfo(
            "hello-abc",
            "hello",
            "endpointslice-controller.k8s.io",
            (("http", 8080),),
            (endpoint("10.244.0.1"), endpoint("10.244.0.2")),
        )
    ]
    name = "_http._tcp.hello.ns1.svc.cluster.local."
    one = [(name, "SRV", "0 100 8080 hello.ns1.svc.cluster.local.")]
    ctx = FakeContext(services={"hello": svc("hello")}, slices=slices, dns={(name, "SRV"): one})
    verdict = srv_records("hello", "http", 8080, timeout=0)(ctx)
    assert verdict.message == (
        "_http._tcp.hello.ns1.svc.cluster.local has 1 SRV record "
        "(hello.ns1.svc.cluster.local:8080); expected one per ready pod (2), on port 8080"
    )
    ctx.dns[(name, "SRV")] = [(name, "SRV", f"0 50 8080 hello-{i}.hello.ns1.svc.cluster.local.") for i in (0, 1)]
    assert srv_records("hello", "http", 8080, timeout=0)(ctx).message.endswith("(hello-0, hello-1), on port 8080")


def test_hand_made_slices_are_judged_not_the_controllers() -> None:
    controller = SliceInfo("auto", "m", "endpointslice-controller.k8s.io", (("", 9999),), ())
    unlabelled = SliceInfo("mine", None, None, (("", 8080),), ())
    ctx = FakeContext(
        services={"m": svc("m", ports=(PortInfo(80, 8080, name="http"),))}, slices=[controller, unlabelled]
    )
    assert slice_labelled("m")(ctx).message == (
        "EndpointSlice mine has no label kubernetes.io/service-name, so nothing connects it to Service m"
    )
    assert slice_port("m", 8080)(ctx).message == (
        "the port of EndpointSlice mine is named '', but the port of "
        "Service m is named 'http': kube-proxy pairs them by name"
    )


def test_pod_env_tells_a_missing_variable_from_a_wrong_one() -> None:
    expect = {"HELLO_SERVICE_HOST": "10.96.0.5"}
    pods = {"client": PodInfo("client", "10.244.1.5", "w1", "Running", True)}
    check = pod_env("client", lambda c: expect, "hint", timeout=0)
    assert (
        check(FakeContext(pods=pods, env={"PATH": "/bin"})).message == "pod client has no variable HELLO_SERVICE_HOST"
    )
    assert check(FakeContext(pods=pods, env={"HELLO_SERVICE_HOST": "10.96.0.7"})).message == (
        "HELLO_SERVICE_HOST is 10.96.0.7 in pod client; expected 10.96.0.5"
    )
    assert "could not run env in pod client" in check(FakeContext(pods=pods, env=None)).message
    assert "no pod named 'client'" in check(FakeContext()).message


def test_answers_accept_what_kubectl_and_dig_print() -> None:
    ctx = FakeContext(
        answers={"ips": ["10.244.0.2 10.244.0.1"], "cname": ["HELLO.ns1.svc.cluster.local."], "why": " B ", "bad": "e"}
    )
    assert answer_addresses("ips", lambda c: {"10.244.0.1", "10.244.0.2"}, "the pod IPs", "h")(ctx).passed
    assert answer_dns_name("cname", lambda c: "hello.ns1.svc.cluster.local", "the CNAME", "h")(ctx).passed
    assert answer_choice("why", "b", "abcd", "h")(ctx).passed
    assert answer_choice("bad", "b", "abcd", "h")(ctx).message == (
        "bad is 'e'; answer with one of the letters a, b, c, d"
    )
    assert answer_choice("none", "b", "abcd", "h")(ctx).message == "no answer: the variable none is not set"


def test_combinators() -> None:
    fail, ok = Verdict(False, "first", "old"), Verdict(True, "fine")
    assert in_order(lambda c: ok, lambda c: fail, lambda c: ok)(FakeContext()) is fail
    assert with_hint(lambda c: fail, lambda c: f"in {c.other_namespace}")(FakeContext()).hint == "in ns1-b"
    assert with_hint(lambda c: ok, "unused")(FakeContext()) is ok


def test_labs_are_registered_with_their_set_up() -> None:
    assert {"discovery", "headless", "externalname", "selectorless"} <= set(LABS)
    assert LABS["discovery"].other_namespace and [m()["metadata"]["name"] for m in LABS["discovery"].other_setup] == [
        "greeter"
    ]
    assert LABS["selectorless"].grading_rules  # admin may not write EndpointSlices


def test_the_node_port_check_wants_the_namespaces_own_port() -> None:
    check = service_port("web", 80, 8080, own_node_port=True)
    ctx = FakeContext({"web": svc("web", type="NodePort", ports=(PortInfo(80, 8080, "TCP", None, 30031),))})
    assert "no node port is set aside for namespace ns1" in check(ctx).message
    ctx.node_port = 30003
    verdict = check(ctx)
    assert not verdict.passed
    assert verdict.message == "port 80 of Service web has nodePort 30031; your node port is 30003"
    assert verdict.hint.startswith("set ports[].nodePort: 30003 – write {lab.node_port}, not the number")
    ctx.node_port = 30031
    assert check(ctx).passed


def test_a_udp_port_is_named_as_the_mistake() -> None:
    ctx = FakeContext({"web": svc("web", ports=(PortInfo(80, 8080, "UDP"),))})
    verdict = service_port("web", 80, 8080)(ctx)
    assert not verdict.passed
    assert verdict.message == "port 80 of Service web uses protocol UDP; the pods speak HTTP, over TCP"
    assert service_port("web", 80, 8080)(FakeContext({"web": svc("web", ports=(PortInfo(80, 8080),))})).passed


def test_an_empty_dns_answer_names_the_part_missing_from_the_name() -> None:
    check = LABS["discovery"].check("fqdn-ip").fn
    ctx = FakeContext({"hello-world": svc("hello-world")}, answers={"fqdn_ip": []})
    typed = "fqdn_ip = !kubectl exec toolbox -- dig +short hello-world.{lab.namespace}.cluster.local"
    ctx.source_of = lambda key: typed if key == "fqdn_ip" else None  # type: ignore[method-assign]
    verdict = check(ctx)
    assert verdict.message == (
        "fqdn_ip is empty: dig looked up hello-world.ns1.cluster.local, which has no 'svc' part "
        "(the full name is hello-world.ns1.svc.cluster.local: <service>.<namespace>.svc.cluster.local)"
    )
    ctx.source_of = lambda key: None  # type: ignore[method-assign]
    assert check(ctx).message.startswith("fqdn_ip is empty: the command that set it printed nothing")


def test_dig_record_types_and_full_reports_are_told_apart_from_names() -> None:
    check = LABS["externalname"].check("cname-answer").fn
    ctx = FakeContext({"backend": svc("backend", type="ExternalName")}, answers={"cname_target": []})
    short = "cname_target = !kubectl exec toolbox -- dig +short CNAME backend"
    ctx.source_of = lambda key: short  # type: ignore[method-assign]
    assert check(ctx).message.startswith("cname_target is empty: dig looked up backend, which has no 'ns1', 'svc'")
    full = "cname_target = !kubectl exec toolbox -- dig +short CNAME backend.{lab.namespace}.svc.cluster.local"
    ctx.source_of = lambda key: full  # type: ignore[method-assign]
    assert check(ctx).message.startswith("cname_target is empty: the command that set it printed nothing")
    ctx.answers["cname_target"] = ["", "; <<>> DiG 9.18 <<>> CNAME backend", ";; global options: +cmd"]
    assert check(ctx).message == "cname_target holds dig's whole report, not a name"
