"""Checks of what runs behind a Service: a StatefulSet and its pods, the variables in a
pod's environment, and EndpointSlices the student wrote by hand."""

from __future__ import annotations

from collections.abc import Callable

from svclab.errors import SvclabError
from svclab.k8s.objects import SliceInfo
from svclab.labs.checks.base import missing, settle
from svclab.labs.checks.dns import listed
from svclab.labs.spec import CheckFn, Context, Verdict


def serving_pods(ctx: Context, selector: dict[str, str]) -> dict[str, str]:
    """{pod name: pod IP} of the ready pods matching ``selector``."""
    return {p.name: p.ip for p in ctx.pods(selector) if p.serving and p.ip}


def statefulset_pods(ctx: Context, name: str) -> dict[str, str] | Verdict:
    sts = ctx.statefulset(name)
    if sts is None:
        return missing(ctx, "statefulset", name)
    pods = serving_pods(ctx, sts.selector)
    if not pods:
        return Verdict(
            False,
            f"StatefulSet {name} has no ready pod yet",
            f"kubectl get pods shows them; kubectl describe statefulset {name} says what is wrong",
        )
    return pods


def statefulset_spec(name: str, replicas: int, service_name: str) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        sts = ctx.statefulset(name)
        if sts is None:
            return missing(ctx, "statefulset", name)
        if sts.service_name != service_name:
            found = f"serviceName {sts.service_name!r}" if sts.service_name else "no serviceName"
            return Verdict(
                False,
                f"StatefulSet {name} has {found}; its pods get DNS names only under the "
                f"headless Service it names, {service_name!r}",
                f"set serviceName: {service_name}. It cannot be changed: kubectl delete statefulset "
                f"{name}, then apply it again",
            )
        if sts.replicas != replicas:
            return Verdict(
                False,
                f"StatefulSet {name} asks for {sts.replicas} replicas; the task asks for {replicas}",
                f"set replicas: {replicas} (kubectl scale statefulset {name} --replicas={replicas})",
            )
        return Verdict(True, f"StatefulSet {name} runs {replicas} replicas under Service {service_name}")

    return check


def statefulset_ready(name: str, replicas: int, timeout: float = 90) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        if ctx.statefulset(name) is None:
            return missing(ctx, "statefulset", name)

        def probe() -> Verdict:
            sts = ctx.statefulset(name)
            ready = sts.ready_replicas if sts else 0
            if ready != replicas:
                waiting = next((p for p in (ctx.pods(sts.selector) if sts else []) if p.waiting), None)
                why = f" – pod {waiting.name} is waiting: {waiting.waiting}" if waiting else ""
                return Verdict(
                    False,
                    f"StatefulSet {name} has {ready} ready pods; expected {replicas}{why}",
                    f"kubectl describe pod {waiting.name} says why (the image's name? its ports?)"
                    if waiting
                    else f"kubectl describe statefulset {name} and kubectl get pods say what is wrong",
                )
            return Verdict(True, f"StatefulSet {name} has {replicas} ready pods")

        return settle(probe, timeout, every=2)

    return check


def pod_env(pod: str, expect: Callable[[Context], dict[str, str] | Verdict], hint: str, timeout: float = 60) -> CheckFn:
    """Pod ``pod`` (once running) has exactly these values in its environment."""

    def check(ctx: Context) -> Verdict:
        expected = expect(ctx)
        if isinstance(expected, Verdict):
            return expected
        if ctx.pod(pod) is None:
            return missing(ctx, "pod", pod)
        found: dict[str, str] = {}

        def read() -> Verdict:
            try:
                found.update(ctx.env(pod))
            except SvclabError as exc:
                return Verdict(
                    False,
                    f"could not run env in pod {pod} ({exc.message.splitlines()[-1]})",
                    f"start it from the toolbox image and wait until it runs: kubectl get pod {pod}",
                )
            return Verdict(True, "")

        verdict = settle(read, timeout, every=2)
        if not verdict.passed:
            return verdict
        for key, value in expected.items():
            if key not in found:
                return Verdict(False, f"pod {pod} has no variable {key}", hint)
            if found[key] != value:
                return Verdict(False, f"{key} is {found[key]} in pod {pod}; expected {value}", hint)
        return Verdict(True, f"pod {pod} has " + ", ".join(f"{k}={v}" for k, v in expected.items()))

    return check


# ---- EndpointSlices the student wrote ---------------------------------------------------


def own_slices(ctx: Context, service: str) -> list[SliceInfo]:
    """The hand-made EndpointSlices that belong to ``service`` or to no Service at all (a
    slice whose label is missing is still the student's)."""
    return [s for s in ctx.slices() if s.hand_made and s.service in (service, None)]


def _no_slice(ctx: Context, service: str) -> Verdict:
    """No hand-made EndpointSlice for ``service``: say what there is instead, or what was refused."""
    label = "kubernetes.io/service-name"
    elsewhere = [s for s in ctx.slices() if s.hand_made and s.service not in (service, None)]
    if elsewhere:
        s = elsewhere[0]
        return Verdict(
            False,
            f"EndpointSlice {s.name} belongs to Service {s.service!r} (its label {label}), not to {service}",
            f"label it {label}: {service}",
        )
    why = f" – and kubectl refused {ctx.refused[-1]}" if ctx.refused else ""
    return Verdict(
        False,
        f"there is no EndpointSlice of your own in namespace {ctx.namespace}{why}",
        "fix what kubectl named and run that cell again"
        if why
        else f"write one (apiVersion: discovery.k8s.io/v1, kind: EndpointSlice) for Service {service}",
    )


def slice_labelled(service: str) -> CheckFn:
    label = "kubernetes.io/service-name"

    def check(ctx: Context) -> Verdict:
        slices = own_slices(ctx, service)
        if not slices:
            return _no_slice(ctx, service)
        for s in slices:
            if s.service != service:
                return Verdict(
                    False,
                    f"EndpointSlice {s.name} has no label {label}, so nothing connects it to Service {service}",
                    f"add the label {label}: {service}",
                )
        return Verdict(True, f"EndpointSlice {', '.join(s.name for s in slices)} belongs to Service {service}")

    return check


def slice_addresses(service: str, expect: Callable[[Context], set[str]], what: str, hint: str) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        slices = own_slices(ctx, service)
        if not slices:
            return _no_slice(ctx, service)
        found = {a for s in slices for a in s.addresses}
        expected = expect(ctx)
        if crowded := next((s for s in slices if s.crowded), None):
            return Verdict(
                False,
                f"EndpointSlice {crowded.name} lists several addresses in one endpoint: kube-proxy "
                "sends traffic only to the first address of each endpoint, so the other pods get none",
                "give each pod an endpoint of its own: one '- addresses: [<ip>]' line per pod IP",
            )
        if found != expected:
            return Verdict(False, f"your EndpointSlices list {listed(found)}; {what} are {listed(expected)}", hint)
        return Verdict(True, f"your EndpointSlices list {what}: {listed(found)}")

    return check


def slice_port(service: str, port: int) -> CheckFn:
    """Every own EndpointSlice sends to ``port``, under the name of the Service's port
    (kube-proxy pairs a Service port and an EndpointSlice port by name)."""

    def check(ctx: Context) -> Verdict:
        slices = own_slices(ctx, service)
        if not slices:
            return _no_slice(ctx, service)
        svc = ctx.service(service)
        service_ports = {p.name or "" for p in svc.ports} if svc else set()
        for s in slices:
            if not s.ports:
                return Verdict(
                    False,
                    f"EndpointSlice {s.name} lists no port",
                    f"add ports: [{{port: {port}}}] (the port the pods listen on)",
                )
            named = next((n for n, p in s.ports if p == port), None)
            if named is None:
                ports = ", ".join(str(p) for _, p in s.ports)
                return Verdict(
                    False,
                    f"EndpointSlice {s.name} sends to port {ports}; the pods listen on {port}",
                    "an EndpointSlice lists the pods' own port, not the Service's",
                )
            if svc is not None and named not in service_ports:
                names = ", ".join(repr(n) for n in sorted(service_ports))
                return Verdict(
                    False,
                    f"the port of EndpointSlice {s.name} is named {named!r}, but the port of "
                    f"Service {service} is named {names}: kube-proxy pairs them by name",
                    "give both the same name, or leave both unnamed",
                )
        return Verdict(True, f"your EndpointSlices send to port {port}")

    return check
