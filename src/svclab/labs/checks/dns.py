"""DNS, as a pod in the student's namespace sees it: every question is asked from the
namespace's toolbox pod through :func:`svclab.dns.resolve`, the way a program in the
cluster would ask it. A name ending in a dot is asked as it is; any other goes
through the pod's search path."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from svclab.constants import TOOLBOX_POD
from svclab.dns import DnsAnswer, DnsError
from svclab.labs.checks.base import missing, settle
from svclab.labs.checks.services import cluster_ip
from svclab.labs.spec import CheckFn, Context, Verdict

DNS_TIMEOUT = 20  # CoreDNS answers for a new object within seconds (its cache is off for cluster.local)
Records = dict[str, set[str]]  # DNS name → the addresses it must resolve to


def shown(name: str) -> str:
    return name.rstrip(".")


def listed(values: set[str] | list[str]) -> str:
    return ", ".join(sorted(values, key=_sort_key)) or "nothing"


def _sort_key(value: str) -> tuple[int, Any]:
    try:
        return 0, ipaddress.ip_address(value)
    except ValueError:
        return 1, value


def lookup(ctx: Context, name: str, type: str = "A") -> DnsAnswer | Verdict:
    """The answer, or the verdict that the lookup itself failed."""
    try:
        return ctx.resolve(name, type)
    except DnsError as exc:
        return Verdict(
            False,
            f"the DNS lookup of {shown(name)} failed in pod {TOOLBOX_POD} ({exc.reason})",
            f"is pod {TOOLBOX_POD} running? Run the set-up cell again",
        )


def resolves(
    expect: Callable[[Context], Records | Verdict], what: str, hint: str, timeout: float = DNS_TIMEOUT
) -> CheckFn:
    """From the toolbox pod, each name resolves to exactly its expected addresses."""

    def check(ctx: Context) -> Verdict:
        first = expect(ctx)
        if isinstance(first, Verdict):
            return first

        def probe() -> Verdict:
            expected = expect(ctx)  # again: pods may still be becoming ready
            if isinstance(expected, Verdict):
                return expected
            for name, addresses in expected.items():
                answer = lookup(ctx, name)
                if isinstance(answer, Verdict):
                    return answer
                found = set(answer.addresses)
                if found != addresses:
                    return Verdict(
                        False,
                        f"from a pod in {ctx.namespace}, {shown(name)} resolves to "
                        f"{listed(found)}; expected {listed(addresses)} ({what})",
                        hint,
                    )
            names = [shown(n) for n in expected]
            subject = " and ".join(names) if len(names) < 3 else f"all {len(names)} names ({names[0]}, …)"
            return Verdict(True, f"{subject} resolve{'s' if len(names) == 1 else ''} to {what}")

        return settle(probe, timeout, every=2)

    return check


def service_resolves(
    service: str, names: Callable[[Context], list[str]], namespace_key: str = "namespace", hint: str = ""
) -> CheckFn:
    """Each of ``names`` resolves, from the toolbox pod, to the cluster IP of ``service``."""

    def expect(ctx: Context) -> Records | Verdict:
        ip = cluster_ip(ctx, service, getattr(ctx, namespace_key))
        return ip if isinstance(ip, Verdict) else {name: {ip} for name in names(ctx)}

    return resolves(
        expect, f"the cluster IP of Service {service}", hint or f"kubectl get service {service} shows its cluster IP"
    )


def srv_records(service: str, port_name: str, port: int, timeout: float = DNS_TIMEOUT) -> CheckFn:
    """`_<port_name>._tcp.<service>` has one SRV record per ready endpoint, on ``port``,
    each naming a pod (the per-pod DNS names of a headless Service)."""

    def check(ctx: Context) -> Verdict:
        if ctx.service(service) is None:
            return missing(ctx, "service", service)
        name = f"_{port_name}._tcp.{service}.{ctx.namespace}.svc.cluster.local."

        def probe() -> Verdict:
            ready = len({e.address for e in ctx.endpoints(service) if e.ready})
            answer = lookup(ctx, name, "SRV")
            if isinstance(answer, Verdict):
                return answer
            srv = answer.srv
            targets = ", ".join(f"{shown(s.target)}:{s.port}" for s in srv)
            if not srv:
                return Verdict(
                    False,
                    f"{shown(name)} has no SRV record; expected one per ready pod ({ready}), on port {port}",
                    _no_srv_hint(ctx, service, port_name, ready),
                )
            if len(srv) != ready or any(s.port != port for s in srv):
                return Verdict(
                    False,
                    f"{shown(name)} has {len(srv)} SRV record{'s' if len(srv) != 1 else ''} "
                    f"({targets}); expected one per ready pod ({ready}), on port {port}",
                    f"the records' port is the pods' port: the pods listen on {port}"
                    if len(srv) == ready
                    else "a headless Service (clusterIP: None) has one SRV record per pod; "
                    "a ClusterIP Service has one, for itself",
                )
            pods = ", ".join(sorted(s.target.split(".")[0] for s in srv))
            return Verdict(True, f"{shown(name)} has one SRV record per pod ({pods}), on port {port}")

        return settle(probe, timeout, every=2)

    return check


def _no_srv_hint(ctx: Context, service: str, port_name: str, ready: int) -> str:
    """Why a Service has no SRV record for ``port_name``: the port's name, its protocol, or no
    ready endpoint behind it."""
    svc = ctx.service(service)
    named = next((p for p in svc.ports if p.name == port_name), None) if svc else None
    if named is None:
        return f"SRV records exist only for named ports: name the Service's port {port_name}"
    if named.protocol != "TCP":
        return (
            f"port {port_name} uses {named.protocol}: its records are _{port_name}._{named.protocol.lower()}, not _tcp"
        )
    if not ready:
        return "the port has no ready endpoint: check that targetPort names or numbers a port the pods declare"
    return "kubectl get endpointslices -l kubernetes.io/service-name=" + service


def resolves_via_cname(service: str, target_service: str, timeout: float = DNS_TIMEOUT) -> CheckFn:
    """`<service>` answers with a CNAME for `<target_service>`'s full name, which resolves to
    the target's cluster IP."""

    def check(ctx: Context) -> Verdict:
        if ctx.service(service) is None:
            return missing(ctx, "service", service)
        name = f"{service}.{ctx.namespace}.svc.cluster.local."
        target = f"{target_service}.{ctx.namespace}.svc.cluster.local."

        def probe() -> Verdict:
            answer = lookup(ctx, name)
            if isinstance(answer, Verdict):
                return answer
            chain, addresses = answer.cnames, set(answer.addresses)
            if not answer.records:
                return Verdict(False, f"{shown(name)} does not resolve", f"kubectl get service {service}")
            if not chain:
                return Verdict(
                    False,
                    f"{shown(name)} answers with the address {listed(addresses)}, not with a "
                    f"CNAME: Service {service} is not of type ExternalName",
                    "only an ExternalName Service makes DNS answer with a CNAME",
                )
            if chain[0].lower() != target:
                tail = "" if addresses else ", which resolves to no address"
                return Verdict(
                    False,
                    f"{shown(name)} is a CNAME for {chain[0]}{tail}; the task asks for {shown(target)}",
                    "a CNAME target is used as it is, never completed with the search path: "
                    "give the full name <service>.<namespace>.svc.cluster.local",
                )
            ip = cluster_ip(ctx, target_service)
            if isinstance(ip, Verdict):
                return replace(ip, message=f"{shown(name)} is a CNAME for {shown(target)}, but {ip.message}")
            if addresses != {ip}:
                return Verdict(
                    False,
                    f"{shown(name)} is a CNAME for {shown(target)}, which resolves to "
                    f"{listed(addresses)}, not to {ip}, the cluster IP of Service {target_service}",
                )
            return Verdict(True, f"{shown(name)} is a CNAME for {shown(target)}, which resolves to {ip}")

        return settle(probe, timeout, every=2)

    return check


def fqdn(service: str, namespace_key: str = "namespace") -> Callable[[Context], str]:
    """``<service>.<the lab's namespace>.svc.cluster.local``."""
    return lambda ctx: f"{service}.{getattr(ctx, namespace_key)}.svc.cluster.local"
