"""The discovery labs' check primitives without a cluster: what they read from DNS answers,
EndpointSlices and answers, and the messages they give."""

from __future__ import annotations

from typing import Any

from svclab.errors import CommandFailed
from svclab.labs import LABS
from svclab.labs.checks import Context, Verdict
from svclab.labs.discovery_labs import (
    answer_addresses,
    answer_choice,
    answer_dns_name,
    dig,
    in_order,
    pod_env,
    resolves,
    resolves_via_cname,
    slice_labelled,
    slice_port,
    srv_records,
    with_hint,
)


class FakeKubectl:
    def __init__(self, objects: dict[tuple[str, str], dict], lists: dict[str, list[dict]], env: str | None) -> None:
        self.objects, self.lists, self.env = objects, lists, env

    def __call__(self, *args: str, timeout: float = 0, **_: Any) -> str:
        assert args[0] == "exec" and args[-1] == "env"
        if self.env is None:
            raise CommandFailed(list(args), 1, 'error: pod "client" is not running')
        return self.env

    def json(self, *args: str, **_: Any) -> dict:
        assert args[0] == "get"
        return {"items": self.lists.get(args[1], [])}


class FakeContext(Context):
    """Objects by (kind, name), lists by kind, and the probe pod's answer to each script."""

    def __init__(self, objects: dict | None = None, lists: dict | None = None, probe: dict | None = None,
                 answers: dict | None = None, env: str | None = None) -> None:
        kubectl: Any = FakeKubectl(objects or {}, lists or {}, env)
        super().__init__("ns1", kubectl, answers or {}, "ns1-b")
        self.objects, self.probe = objects or {}, probe or {}

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        return self.objects.get((kind, name))

    def names(self, kind: str, namespace: str | None = None) -> list[str]:
        return sorted(n for k, n in self.objects if k == kind)

    def exec_probe(self, script: str, namespace: str | None = None, timeout: float = 30) -> tuple[bool, str]:
        return self.probe.get(script, (True, ""))


def svc(**spec: Any) -> dict:
    return {"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.5", **spec}}


def test_dig_uses_the_search_path_only_for_relative_names() -> None:
    ctx = FakeContext(probe={"dig +short +search A hello": (True, "10.96.0.5\n"),
                             "dig +short A hello.ns1.svc.cluster.local.": (True, ";; comment\n10.96.0.5\n"),
                             "dig +short +search A down": (False, ";; connection timed out; no servers\n")})
    assert dig(ctx, "hello") == (["10.96.0.5"], None)
    assert dig(ctx, "hello.ns1.svc.cluster.local.") == (["10.96.0.5"], None)
    assert dig(ctx, "down") == ([], ";; connection timed out; no servers")


def test_resolves_names_what_it_found_and_expected() -> None:
    ctx = FakeContext(probe={"dig +short +search A hello": (True, "10.96.0.9\n")})
    verdict = resolves(lambda c: {"hello": {"10.96.0.5"}}, "the cluster IP of Service hello", "hint",
                       timeout=0)(ctx)
    assert not verdict.passed
    assert verdict.message == ("from a pod in ns1, hello resolves to 10.96.0.9; expected 10.96.0.5 "
                               "(the cluster IP of Service hello)")


def test_resolves_reports_a_missing_object_without_polling() -> None:
    missing = Verdict(False, "there is no service named 'hello'")
    assert resolves(lambda c: missing, "x", "hint", timeout=60)(FakeContext()) is missing


def test_cname_to_a_short_name_is_explained() -> None:
    ctx = FakeContext(objects={("service", "backend"): svc(type="ExternalName", externalName="hello-world")},
                      probe={"dig +short A backend.ns1.svc.cluster.local.": (True, "hello-world.\n")})
    verdict = resolves_via_cname("backend", "hello-world", timeout=0)(ctx)
    assert verdict.message == ("backend.ns1.svc.cluster.local is a CNAME for hello-world., which resolves to no "
                               "address; the task asks for hello-world.ns1.svc.cluster.local")
    assert "never completed with the search path" in verdict.hint


def test_srv_records_count_one_per_ready_endpoint() -> None:
    slices = [{"endpoints": [{"addresses": [ip]} for ip in ("10.244.0.1", "10.244.0.2")]}]
    name = "_http._tcp.hello.ns1.svc.cluster.local."
    one = "0 100 8080 hello.ns1.svc.cluster.local.\n"
    ctx = FakeContext(objects={("service", "hello"): svc()}, lists={"endpointslices": slices},
                      probe={f"dig +short SRV {name}": (True, one)})
    verdict = srv_records("hello", "http", 8080, timeout=0)(ctx)
    assert verdict.message == ("_http._tcp.hello.ns1.svc.cluster.local has 1 SRV record "
                               "(hello.ns1.svc.cluster.local:8080); expected one per ready pod (2), on port 8080")
    two = "".join(f"0 50 8080 hello-{i}.hello.ns1.svc.cluster.local.\n" for i in (0, 1))
    ctx.probe[f"dig +short SRV {name}"] = (True, two)
    assert srv_records("hello", "http", 8080, timeout=0)(ctx).message.endswith("(hello-0, hello-1), on port 8080")


def test_hand_made_slices_are_judged_not_the_controllers() -> None:
    controller = {"metadata": {"name": "auto", "labels": {"kubernetes.io/service-name": "m",
                                                          "endpointslice.kubernetes.io/managed-by":
                                                              "endpointslice-controller.k8s.io"}},
                  "ports": [{"port": 9999}]}
    unlabelled = {"metadata": {"name": "mine"}, "ports": [{"name": "", "port": 8080}]}
    ctx = FakeContext(objects={("service", "m"): svc(ports=[{"name": "http", "port": 80}])},
                      lists={"endpointslices": [controller, unlabelled]})
    assert slice_labelled("m")(ctx).message == ("EndpointSlice mine has no label kubernetes.io/service-name, so "
                                                "nothing connects it to Service m")
    assert slice_port("m", 8080)(ctx).message == ("the port of EndpointSlice mine is named '', but the port of "
                                                  "Service m is named 'http': kube-proxy pairs them by name")


def test_pod_env_tells_a_missing_variable_from_a_wrong_one() -> None:
    expect = {"HELLO_SERVICE_HOST": "10.96.0.5"}
    objects = {("pod", "client"): {}}
    check = pod_env("client", lambda c: expect, "hint", timeout=0)
    assert check(FakeContext(objects, env="PATH=/bin\n")).message == "pod client has no variable HELLO_SERVICE_HOST"
    assert check(FakeContext(objects, env="HELLO_SERVICE_HOST=10.96.0.7\n")).message == (
        "HELLO_SERVICE_HOST is 10.96.0.7 in pod client; expected 10.96.0.5")
    assert "could not run env in pod client" in check(FakeContext(objects, env=None)).message
    assert "no pod named 'client'" in check(FakeContext()).message


def test_answers_accept_what_kubectl_and_dig_print() -> None:
    ctx = FakeContext(answers={"ips": ["10.244.0.2 10.244.0.1"], "cname": ["HELLO.ns1.svc.cluster.local."],
                               "why": " B ", "bad": "e"})
    assert answer_addresses("ips", lambda c: {"10.244.0.1", "10.244.0.2"}, "the pod IPs", "h")(ctx).passed
    assert answer_dns_name("cname", lambda c: "hello.ns1.svc.cluster.local", "the CNAME", "h")(ctx).passed
    assert answer_choice("why", "b", "abcd", "h")(ctx).passed
    assert answer_choice("bad", "b", "abcd", "h")(ctx).message == ("bad is 'e'; answer with one of the letters "
                                                                    "a, b, c, d")
    assert answer_choice("none", "b", "abcd", "h")(ctx).message == "no answer: the variable none is not set"


def test_combinators() -> None:
    fail, ok = Verdict(False, "first", "old"), Verdict(True, "fine")
    assert in_order(lambda c: ok, lambda c: fail, lambda c: ok)(FakeContext()) is fail
    assert with_hint(lambda c: fail, lambda c: f"in {c.other_namespace}")(FakeContext()).hint == "in ns1-b"
    assert with_hint(lambda c: ok, "unused")(FakeContext()) is ok


def test_labs_are_registered_with_their_set_up() -> None:
    assert {"discovery", "headless", "externalname", "selectorless"} <= set(LABS)
    assert LABS["discovery"].other_namespace and LABS["discovery"].other_setup == ("greeter",)
    assert LABS["selectorless"].grading_rules  # admin may not write EndpointSlices
