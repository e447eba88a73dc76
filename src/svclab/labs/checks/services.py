"""Checks of a Service's own fields: existence, type, ports, selector and endpoints,
headless, without selector, ExternalName."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from svclab.k8s.objects import ServiceInfo
from svclab.labs.checks.base import missing, settle
from svclab.labs.spec import CheckFn, Context, Verdict


def cluster_ip(ctx: Context, service: str, namespace: str | None = None) -> str | Verdict:
    """The Service's cluster IP, or the verdict that explains why there is none."""
    svc = ctx.service(service, namespace)
    if svc is None:
        return missing(ctx, "service", service, namespace)
    if not svc.cluster_ip or svc.headless:
        return Verdict(
            False,
            f"Service {service} has no cluster IP (its type is {svc.type}{', headless' if svc.headless else ''})",
            "",
        )
    return svc.cluster_ip


def service_field(name: str, read: Callable[[ServiceInfo], Any]) -> Callable[[Context], Any]:
    """What ``read`` finds in Service ``name`` (its cluster IP, external name …), None without the Service."""

    def value(ctx: Context) -> Any:
        svc = ctx.service(name)
        return read(svc) if svc is not None else None

    return value


def service_exists(name: str, namespace_key: str = "namespace") -> CheckFn:
    def check(ctx: Context) -> Verdict:
        ns = getattr(ctx, namespace_key)
        if ctx.service(name, ns) is None:
            return missing(ctx, "service", name, ns)
        return Verdict(True, f"Service {name} exists in {ns}")

    return check


def with_service(name: str, judge: Callable[[Context, ServiceInfo], Verdict]) -> CheckFn:
    """``judge(ctx, service)`` when Service ``name`` exists; the missing-object verdict otherwise."""

    def check(ctx: Context) -> Verdict:
        svc = ctx.service(name)
        return missing(ctx, "service", name) if svc is None else judge(ctx, svc)

    return check


def service_type(name: str, expected: str) -> CheckFn:
    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        if svc.type != expected:
            return Verdict(
                False,
                f"Service {name} has type {svc.type}; the task asks for {expected}",
                f"set spec.type: {expected} (kubectl expose … --type {expected})",
            )
        return Verdict(True, f"Service {name} has type {expected}")

    return with_service(name, judge)


def service_port(
    name: str, port: int, target_port: int | str, port_name: str | None = None, own_node_port: bool = False
) -> CheckFn:
    """Port ``port`` forwards to ``target_port`` (named ``port_name``); with ``own_node_port``,
    on the node port set aside for the namespace (``lab.node_port``)."""

    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        match = svc.port(port)
        if match is None:
            listed = ", ".join(str(p.port) for p in svc.ports) or "none"
            return Verdict(
                False,
                f"Service {name} has no port {port} (its ports: {listed})",
                f"clients connect to port {port}: set ports[].port: {port}",
            )
        if match.protocol != "TCP":
            return Verdict(
                False,
                f"port {port} of Service {name} uses protocol {match.protocol}; the pods speak HTTP, over TCP",
                "set ports[].protocol: TCP, or leave it out (TCP is the default)",
            )
        if match.target_port != target_port:
            return Verdict(
                False,
                f"Service {name} forwards port {port} to targetPort {match.target_port}; "
                f"the pods listen on {target_port}",
                f"set targetPort: {target_port} (kubectl expose … --target-port={target_port})",
            )
        if port_name is not None and match.name != port_name:
            return Verdict(
                False,
                f"port {port} of Service {name} is named {match.name!r}; the task asks for {port_name!r}",
                f"name the port: ports[].name: {port_name}",
            )
        if own_node_port:
            return _judge_node_port(ctx, svc, port, match.node_port)
        return Verdict(True, f"Service {name} forwards port {port} to targetPort {target_port}")

    return with_service(name, judge)


def _judge_node_port(ctx: Context, svc: ServiceInfo, port: int, found: int | None) -> Verdict:
    wanted = ctx.own_node_port()
    if wanted is None:
        return Verdict(
            False,
            f"no node port is set aside for namespace {ctx.namespace}",
            "run the set-up cell again; in a class, ask the instructor to run svclab classroom add",
        )
    if found == wanted:
        return Verdict(True, f"Service {svc.name} forwards port {port} to its targetPort on node port {wanted}")
    has = f"has nodePort {found}" if found else f"has no nodePort (a {svc.type} Service opens none)"
    return Verdict(
        False,
        f"port {port} of Service {svc.name} {has}; your node port is {wanted}",
        f"set ports[].nodePort: {wanted} – write {{lab.node_port}}, not the number, so it holds when graded "
        "(without nodePort Kubernetes picks a free one)",
    )


def service_port_exists(name: str, port: int, port_name: str | None = None) -> CheckFn:
    """The Service has port ``port`` (named ``port_name`` when given); its targetPort is not judged."""

    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        match = svc.port(port)
        if match is None:
            listed = ", ".join(str(p.port) for p in svc.ports) or "none"
            return Verdict(
                False, f"Service {name} has no port {port} (its ports: {listed})", f"set ports[].port: {port}"
            )
        if port_name is not None and match.name != port_name:
            found = f"is named {match.name!r}" if match.name else "has no name"
            return Verdict(
                False,
                f"port {port} of Service {name} {found}; the task asks for the name {port_name!r}",
                f"name the port: ports[].name: {port_name}",
            )
        return Verdict(True, f"Service {name} has port {port}" + (f" named {port_name}" if port_name else ""))

    return with_service(name, judge)


def endpoints_ready(name: str, count: int, timeout: float = 30) -> CheckFn:
    """The Service selects exactly ``count`` ready pods (fails at once when it selects none)."""

    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        if not svc.selector:
            return Verdict(
                False,
                f"Service {name} has no selector, so Kubernetes adds no endpoints",
                "select the pods by their labels, e.g. selector: {run: hello-world}",
            )
        if not ctx.pods(svc.selector):
            shown = ", ".join(f"{k}: {v}" for k, v in svc.selector.items())
            return Verdict(
                False,
                f"the selector of Service {name} ({shown}) matches no pod",
                "compare it with the pods' labels: kubectl get pods --show-labels",
            )

        def ready() -> Verdict:
            addresses = {e.address for e in ctx.endpoints(name) if e.ready}
            if len(addresses) != count:
                return Verdict(
                    False,
                    f"Service {name} has {len(addresses)} ready endpoints; expected {count}",
                    "kubectl get endpointslices -l kubernetes.io/service-name=" + name,
                )
            return Verdict(True, f"Service {name} has {count} ready endpoints")

        return settle(ready, timeout)

    return with_service(name, judge)


def selects_kept_pods(name: str, fn: CheckFn) -> CheckFn:
    """``fn``, unless Service ``name`` selects pods that no Deployment or StatefulSet keeps:
    pods relabelled to fit a wrong selector leave their Deployment, which starts new ones, and
    serve only until they die."""

    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        rollouts = ctx.rollouts()
        selected = ctx.pods(svc.selector) if svc.selector else []
        strays = [p.name for p in selected if not any(r.selector.items() <= p.labels.items() for r in rollouts)]
        if rollouts and strays:
            shown = ", ".join(f"{k}: {v}" for k, v in svc.selector.items())
            return Verdict(
                False,
                f"the selector of Service {name} ({shown}) matches {len(strays)} pod(s) that no Deployment keeps "
                f"({', '.join(strays[:3])}): relabelled pods leave their Deployment, which starts new ones",
                f"fix the Service's selector, not the pods' labels: kubectl patch service {name} …",
            )
        return fn(ctx)

    return with_service(name, judge)


def service_headless(name: str) -> CheckFn:
    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        if not svc.headless:
            found = f"has the cluster IP {svc.cluster_ip}" if svc.cluster_ip else f"is of type {svc.type}"
            return Verdict(
                False,
                f"Service {name} {found}: it is not headless",
                "set clusterIP: None. An existing Service's cluster IP cannot be changed: "
                f"kubectl delete service {name}, then apply it again",
            )
        return Verdict(True, f"Service {name} is headless (clusterIP: None)")

    return with_service(name, judge)


def service_without_selector(name: str) -> CheckFn:
    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        if svc.selector:
            shown = ", ".join(f"{k}: {v}" for k, v in svc.selector.items())
            return Verdict(
                False,
                f"Service {name} has a selector ({shown}), so Kubernetes manages its endpoints; "
                "the task asks for a Service without selector",
                "write the Service in YAML without spec.selector (kubectl create service adds one)",
            )
        return Verdict(True, f"Service {name} has no selector")

    return with_service(name, judge)


def external_name(service: str, target_of: Callable[[Context], str]) -> CheckFn:
    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        expected = target_of(ctx)
        if svc.external_name is None:
            return Verdict(
                False,
                f"Service {service} is of type {svc.type}, so it names no external "
                f"host; the task asks for externalName: {expected}",
                "kubectl create service externalname … --external-name=…",
            )
        if svc.external_name.rstrip(".").lower() != expected:
            return Verdict(
                False,
                f"Service {service} points at {svc.external_name!r}; the task asks for {expected!r}",
                "use the full name <service>.<namespace>.svc.cluster.local: a CNAME target is used "
                "as it is, never completed with the search path",
            )
        return Verdict(True, f"Service {service} points at {expected}")

    return with_service(service, judge)


def repaired(name: str, fn: CheckFn) -> CheckFn:
    """``fn``, for a Service the lab created broken: when it is gone, say so in the repair's terms."""

    def check(ctx: Context) -> Verdict:
        if ctx.service(name) is None:
            found = ctx.names("service")
            others = f"; it has: {', '.join(found)}" if found else ""
            return Verdict(
                False,
                f"there is no Service named {name!r} in namespace {ctx.namespace}{others}. "
                f"The task is to repair {name} in place: its clients use the name {name}",
                f"run the set-up cell again to get the broken {name} back, then change it with "
                f"kubectl patch (deleting it is not needed)",
            )
        verdict = fn(ctx)
        if verdict.passed or not ctx.refused:
            return verdict
        return replace(  # the likeliest why: the repair itself was refused
            verdict,
            message=f"{verdict.message} – and kubectl refused {ctx.refused[-1]}",
            hint="fix what kubectl named and run that cell again",
        )

    return check
