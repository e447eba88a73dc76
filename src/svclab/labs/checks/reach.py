"""Reachability, as a client would see it: HTTP from the namespace's toolbox pod, and
from this kernel over a node port (at ``ctx.node_host()``: 127.0.0.1, where kind publishes
the course's node ports, or the control-plane node's IP from a pod) or a LoadBalancer's
external IP (MetalLB's address on the kind network)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from svclab import http
from svclab.constants import TOOLBOX_POD
from svclab.k8s.objects import ServiceInfo
from svclab.labs.checks.base import deadline, missing, settle
from svclab.labs.checks.services import with_service
from svclab.labs.spec import CheckFn, Context, Verdict
from svclab.poll import poll

#: how long a settled namespace's LoadBalancer IP may take to answer: settling sees the IP
#: assigned, not MetalLB's speaker announcing it
ANNOUNCE_GRACE = 5.0


def reachable_in_cluster(
    url: str, expect: str = "Hello, world!", timeout: float = 20, service: str | None = None
) -> CheckFn:
    """A request from the namespace's toolbox pod to ``url`` answers with ``expect``.
    With ``service``, fail at once (no waiting) when that Service does not exist."""

    def check(ctx: Context) -> Verdict:
        if service is not None and ctx.service(service) is None:
            return missing(ctx, "service", service)

        def probe() -> Verdict:
            ok, out = ctx.probe(f"curl -sS -m 3 {url}")
            if ok and expect in out:
                return Verdict(True, f"{url} answers from inside the cluster")
            reason = out.strip().splitlines()[-1] if out.strip() else "no answer"
            return Verdict(
                False,
                f"a pod in {ctx.namespace} got no '{expect}' from {url} ({reason})",
                "check the Service's port, targetPort and selector",
            )

        return settle(probe, timeout, every=2)

    return check


def reachable_from_host(
    url_of: Callable[[Context], str | None], expect: str = "Hello, world!", timeout: float = 30, grace: float = 0.0
) -> CheckFn:
    """A request from this machine to the URL ``url_of`` computes answers with ``expect``
    (polling at least ``grace`` in a settled namespace)."""

    def check(ctx: Context) -> Verdict:
        refused = False  # a refusal proves the address is announced: its extra grace is moot

        def probe() -> Verdict:
            nonlocal refused
            url = url_of(ctx)
            if url is None:
                return Verdict(
                    False,
                    "the Service has no address reachable from this machine yet",
                    "a NodePort or LoadBalancer Service is needed",
                )
            try:
                body = http.get(url)
            except http.NoAnswer as exc:
                refused = exc.refused
                return Verdict(
                    False,
                    f"{url} did not answer from this machine ({exc.reason})",
                    "check the Service's type, ports and selector",
                )
            if expect not in body:
                return Verdict(False, f"{url} answered without '{expect}'")
            return Verdict(True, f"{url} answers from this machine")

        return poll(
            probe,
            timeout=deadline(timeout, grace),
            every=1.0,
            until=lambda v: v.passed or (refused and deadline(timeout) == 0),
        )

    return check


def node_port_url(name: str, port: int = 80) -> Callable[[Context], str | None]:
    """http://<node host>:<nodePort>/ of the Service's port ``port``."""

    def url(ctx: Context) -> str | None:
        svc = ctx.service(name)
        match = svc.port(port) if svc else None
        return f"http://{ctx.node_host()}:{match.node_port}/" if match and match.node_port else None

    return url


def external_ip_url(name: str, port: int = 80) -> Callable[[Context], str | None]:
    """http://<external IP>[:port]/ of a LoadBalancer Service."""

    def url(ctx: Context) -> str | None:
        svc = ctx.service(name)
        if svc is None or svc.external_ip is None:
            return None
        return f"http://{svc.external_ip}/" if port == 80 else f"http://{svc.external_ip}:{port}/"

    return url


def node_port_of(svc: ServiceInfo, port: int) -> int | None:
    match = svc.port(port)
    return match.node_port if match else None


def no_node_port(svc: ServiceInfo, port: int, wanted: str = "NodePort") -> Verdict:
    """Why port ``port`` of ``svc`` has no node port: its type, a port under another number,
    or a LoadBalancer that asks for none."""
    if svc.type not in ("NodePort", "LoadBalancer"):
        return Verdict(
            False,
            f"Service {svc.name} has type {svc.type}, so no node opens a port for it",
            f"only NodePort and LoadBalancer Services get a node port: set type: {wanted}",
        )
    if svc.port(port) is None:
        ports = ", ".join(f"{p.port} (node port {p.node_port})" if p.node_port else str(p.port) for p in svc.ports)
        return Verdict(
            False,
            f"Service {svc.name} has no port {port} (its ports: {ports or 'none'}), so no node port leads to it",
            f"the Service's port is the one clients use ({port}); targetPort is the pods' port (8080)",
        )
    return Verdict(
        False,
        f"port {port} of Service {svc.name} has no node port: the Service says allocateLoadBalancerNodePorts: false",
        "leave allocateLoadBalancerNodePorts out (it defaults to true)",
    )


def reachable_on_node_port(name: str, port: int = 80, timeout: float = 30) -> CheckFn:
    """This kernel gets an answer at http://<node host>:<the Service's nodePort>/; fails at
    once when the Service has no node port."""
    from_host = reachable_from_host(node_port_url(name, port), timeout=timeout)

    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        if node_port_of(svc, port) is None:
            why = no_node_port(svc, port)
            return replace(why, message=f"{why.message} and nothing answers on {ctx.node_host()}")
        verdict = from_host(ctx)
        if verdict.passed or not svc.local_traffic:
            return verdict
        return replace(
            verdict,
            message=f"{verdict.message}: Service {name} has externalTrafficPolicy: Local, so only nodes that "
            f"run one of its pods answer on the node port, and {ctx.node_host()} is the control-plane node, "
            "which runs none",
            hint="leave externalTrafficPolicy out (Cluster, the default, answers on every node)",
        )

    return with_service(name, judge)


def node_port_on_every_node(name: str, port: int = 80, expect: str = "Hello, world!", timeout: float = 20) -> CheckFn:
    """From the namespace's toolbox pod, http://<node IP>:<nodePort>/ answers on every node that
    runs one of the namespace's pods (a student may not list nodes). kube-proxy opens the
    node port on each node, whichever pods that node holds."""

    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        node_port = node_port_of(svc, port)
        if node_port is None:
            return no_node_port(svc, port)
        nodes = {p.host_ip: p.node or "?" for p in ctx.pods() if p.host_ip}
        script = "; ".join(
            f"if curl -s -m 3 http://{ip}:{node_port}/ | grep -q '{expect}'; "
            f"then echo 'ok {ip}'; else echo 'no {ip}'; fi"
            for ip in sorted(nodes)
        )

        def probe() -> Verdict:
            _, out = ctx.probe(script)
            silent = [ip for ip in sorted(nodes) if f"ok {ip}\n" not in out + "\n"]
            if silent:
                where = ", ".join(f"{nodes[ip]} ({ip})" for ip in silent)
                return Verdict(
                    False,
                    f"node port {node_port} of Service {name} gave no '{expect}' on {where} "
                    f"(asked from pod {TOOLBOX_POD}); every node should forward it to the pods",
                    "check the Service's targetPort and selector, and keep externalTrafficPolicy: Cluster",
                )
            return Verdict(
                True,
                f"node port {node_port} answers on each node that runs your pods "
                f"({', '.join(sorted(set(nodes.values())))})",
            )

        return settle(probe, timeout, every=2)

    return with_service(name, judge)


def wait_external_ip(ctx: Context, name: str, timeout: float) -> ServiceInfo | None:
    """The Service once it has an external IP (or as it is at the deadline)."""
    return poll(
        lambda: ctx.service(name),
        timeout=deadline(timeout),
        every=1.0,
        until=lambda svc: svc is not None and svc.external_ip is not None,
    )


def pending(name: str) -> Verdict:
    return Verdict(
        False,
        f"Service {name} is a LoadBalancer but has no external IP yet (EXTERNAL-IP <pending>)",
        f"`kubectl describe service {name}` shows MetalLB's events; `svclab status` shows its address pool",
    )


def with_external_ip(name: str, not_balanced: str, hint: str, then: CheckFn, timeout: float) -> CheckFn:
    """``then`` once LoadBalancer Service ``name`` has its external IP; at once ``not_balanced``
    (with ``hint``) when the Service is of another type, or the <pending> verdict."""

    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        if svc.type != "LoadBalancer":
            return Verdict(False, f"Service {name} has type {svc.type}, {not_balanced}", hint)
        found = wait_external_ip(ctx, name, timeout)
        return pending(name) if found is None or found.external_ip is None else then(ctx)

    return with_service(name, judge)


def reachable_on_external_ip(name: str, port: int = 80, timeout: float = 30) -> CheckFn:
    """This machine gets an answer at http://<the Service's external IP>/; fails at once when
    the Service is not a LoadBalancer."""
    return with_external_ip(
        name,
        "so it has no external IP to reach",
        "only a LoadBalancer Service gets an external IP (from MetalLB): set type: LoadBalancer",
        # MetalLB announces a new IP on the kind network a moment after it assigns it
        reachable_from_host(external_ip_url(name, port), timeout=timeout, grace=ANNOUNCE_GRACE),
        timeout,
    )
