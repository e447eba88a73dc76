"""Labs that expose hello-world outside the cluster (NodePort, LoadBalancer) and
one where the student repairs a broken Service; plus the check primitives only
they need: the URL of a Service's node port or external IP, as seen from this
machine, and reachability through them.

catalog.py registers LABS below; this module imports only catalog's dataclasses
(catalog imports it after defining them) and the primitives of checks.py."""

from __future__ import annotations

from collections.abc import Callable

from svclab.labs.catalog import CheckSpec, LabSpec
from svclab.labs.checks import (
    CheckFn,
    Context,
    Verdict,
    answer_equals,
    endpoints_ready,
    poll,
    reachable_from_host,
    reachable_in_cluster,
    service_exists,
    service_port,
    service_type,
    with_hint,
)

#: The fixed node port of the NodePort lab; node ports are cluster-wide, so that lab is exclusive.
NODE_PORT = 30007
#: What `kubectl get -o jsonpath` reads for a LoadBalancer's address.
EXTERNAL_IP_PATH = "{.status.loadBalancer.ingress[0].ip}"


# ---- reading a Service ---------------------------------------------------------------

def _port(svc: dict | None, port: int) -> dict | None:
    if svc is None:
        return None
    return next((p for p in svc["spec"].get("ports", []) if p["port"] == port), None)


def _node_port(svc: dict | None, port: int) -> int | None:
    return (_port(svc, port) or {}).get("nodePort")


def _external_ip(svc: dict | None) -> str | None:
    ingress = ((svc or {}).get("status", {}).get("loadBalancer") or {}).get("ingress") or []
    return (ingress[0].get("ip") or ingress[0].get("hostname")) if ingress else None


def _type(svc: dict) -> str:
    return svc["spec"].get("type", "ClusterIP")


def node_port_url(name: str, port: int = 80) -> Callable[[Context], str | None]:
    """http://127.0.0.1:<nodePort>/ of the Service's port ``port``: kind publishes every node
    port of the course's range on this machine's loopback (through the control-plane node)."""
    def url(ctx: Context) -> str | None:
        node_port = _node_port(ctx.get("service", name), port)
        return f"http://127.0.0.1:{node_port}/" if node_port else None
    return url


def external_ip_url(name: str, port: int = 80) -> Callable[[Context], str | None]:
    """http://<external IP>[:port]/ of a LoadBalancer Service (MetalLB's address on the kind network)."""
    def url(ctx: Context) -> str | None:
        ip = _external_ip(ctx.get("service", name))
        if ip is None:
            return None
        return f"http://{ip}/" if port == 80 else f"http://{ip}:{port}/"
    return url


def _wait_external_ip(ctx: Context, name: str, timeout: float) -> dict | None:
    """The Service once it has an external IP (or as it is at the deadline)."""
    last: list[dict | None] = [None]

    def assigned() -> Verdict:
        last[0] = ctx.get("service", name)
        return Verdict(_external_ip(last[0]) is not None, "")
    poll(assigned, timeout)
    return last[0]


# ---- checks ----------------------------------------------------------------------

def reachable_on_node_port(name: str, port: int = 80, timeout: float = 30) -> CheckFn:
    """This machine gets an answer at http://127.0.0.1:<the Service's nodePort>/; fails at
    once when the Service has no node port."""
    from_host = reachable_from_host(node_port_url(name, port), timeout=timeout)

    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return service_exists(name)(ctx)
        if _node_port(svc, port) is None:
            return Verdict(False, f"Service {name} has type {_type(svc)}, so no node opens a port for it and "
                                  f"nothing answers on 127.0.0.1",
                           "only NodePort (and LoadBalancer) Services get a node port: set type: NodePort")
        return from_host(ctx)
    return check


def node_port_on_every_node(name: str, port: int = 80, expect: str = "Hello, world!",
                            timeout: float = 20) -> CheckFn:
    """From the namespace's toolbox pod, http://<node IP>:<nodePort>/ answers on every node that
    runs one of the namespace's pods (the service account may not list nodes). kube-proxy
    opens the node port on each node, whichever pods that node holds."""
    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return service_exists(name)(ctx)
        node_port = _node_port(svc, port)
        if node_port is None:
            return Verdict(False, f"Service {name} has type {_type(svc)}, so no node opens a port for it",
                           "set type: NodePort")
        pods = ctx.kubectl.json("get", "pods", "-n", ctx.namespace)["items"]
        nodes = {p["status"]["hostIP"]: p["spec"].get("nodeName", "?")
                 for p in pods if (p.get("status") or {}).get("hostIP")}
        script = "; ".join(f"if curl -s -m 3 http://{ip}:{node_port}/ | grep -q '{expect}'; "
                           f"then echo 'ok {ip}'; else echo 'no {ip}'; fi" for ip in sorted(nodes))

        def probe() -> Verdict:
            _, out = ctx.exec_probe(script)
            silent = [ip for ip in sorted(nodes) if f"ok {ip}\n" not in out + "\n"]
            if silent:
                where = ", ".join(f"{nodes[ip]} ({ip})" for ip in silent)
                return Verdict(False, f"node port {node_port} of Service {name} gave no '{expect}' on {where} "
                                      f"(asked from pod svclab-probe); every node should forward it to the pods",
                               "check the Service's targetPort and selector, and keep externalTrafficPolicy: Cluster")
            return Verdict(True, f"node port {node_port} answers on each node that runs your pods "
                                 f"({', '.join(sorted(set(nodes.values())))})")
        return poll(probe, timeout, every=2)
    return check


def reachable_on_external_ip(name: str, port: int = 80, timeout: float = 30) -> CheckFn:
    """This machine gets an answer at http://<the Service's external IP>/; fails at once when
    the Service is not a LoadBalancer."""
    from_host = reachable_from_host(external_ip_url(name, port), timeout=timeout)

    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return service_exists(name)(ctx)
        if _type(svc) != "LoadBalancer":
            return Verdict(False, f"Service {name} has type {_type(svc)}, so it has no external IP to reach",
                           "only a LoadBalancer Service gets an external IP (from MetalLB): set type: LoadBalancer")
        if _external_ip(_wait_external_ip(ctx, name, timeout)) is None:
            return _pending(name)
        return from_host(ctx)
    return check


def _pending(name: str) -> Verdict:
    return Verdict(False, f"Service {name} is a LoadBalancer but has no external IP yet (EXTERNAL-IP <pending>)",
                   f"`kubectl describe service {name}` shows MetalLB's events; `svclab status` shows its address pool")


def external_ip_answer(name: str, key: str = "external_ip", timeout: float = 20) -> CheckFn:
    """The student's ``key`` is the Service's external IP (read with kubectl, not typed)."""
    answer = answer_equals(key, lambda ctx: _external_ip(ctx.get("service", name)),
                           f"the external IP of Service {name}",
                           hint=f"read it with kubectl (-o jsonpath='{EXTERNAL_IP_PATH}') instead of typing "
                                "it: the address differs in every namespace, including the one where you are graded")

    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return service_exists(name)(ctx)
        if _type(svc) != "LoadBalancer":
            return Verdict(False, f"Service {name} has type {_type(svc)}, which gets no external IP, so there is "
                                  f"none to find", "make it type LoadBalancer, wait for its EXTERNAL-IP, then read it")
        if _external_ip(_wait_external_ip(ctx, name, timeout)) is None:
            return _pending(name)
        return answer(ctx)
    return check


def node_port_answer(name: str, key: str = "node_port", port: int = 80) -> CheckFn:
    """The student's ``key`` is the node port Kubernetes chose for the Service's port ``port``."""
    answer = answer_equals(key, lambda ctx: _node_port(ctx.get("service", name), port),
                           f"the node port of Service {name}",
                           hint="read it with kubectl (-o jsonpath='{.spec.ports[0].nodePort}'): Kubernetes picks "
                                "it when the Service is created, so it differs where you are graded")

    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return service_exists(name)(ctx)
        if _node_port(svc, port) is None:
            return Verdict(False, f"port {port} of Service {name} has no node port (type {_type(svc)})",
                           "LoadBalancer and NodePort Services get one: set type: LoadBalancer")
        return answer(ctx)
    return check


def repaired(name: str, fn: CheckFn) -> CheckFn:
    """``fn``, for a Service the lab created broken: when it is gone, say so in the repair's terms."""
    def check(ctx: Context) -> Verdict:
        if ctx.get("service", name) is None:
            found = ctx.names("service")
            others = f"; it has: {', '.join(found)}" if found else ""
            return Verdict(False, f"there is no Service named {name!r} in namespace {ctx.namespace}{others}. "
                                  f"The task is to repair {name} in place: its clients use the name {name}",
                           f"run the set-up cell again to get the broken {name} back, then change it with "
                           f"kubectl patch (deleting it is not needed)")
        return fn(ctx)
    return check


# ---- the labs ------------------------------------------------------------------------

NODEPORT = LabSpec(
    name="nodeport",
    title="NodePort: reach hello-world from this machine on a fixed node port",
    exclusive=True,  # node port 30007 is cluster-wide: autograde one submission at a time
    checks=(
        CheckSpec("exists", 1, "a Service named hello-world exists in your namespace",
                  service_exists("hello-world")),
        CheckSpec("type", 1, "its type is NodePort", service_type("hello-world", "NodePort")),
        CheckSpec("ports", 1, f"port 80 forwards to targetPort 8080, on node port {NODE_PORT}",
                  service_port("hello-world", 80, 8080, node_port=NODE_PORT)),
        CheckSpec("endpoints", 1, "it selects the 3 hello-world pods", endpoints_ready("hello-world", 3)),
        CheckSpec("reachable", 2, "this machine reaches it on its node port (http://127.0.0.1:<nodePort>/)",
                  reachable_on_node_port("hello-world")),
        CheckSpec("every-node", 1, "its node port answers on every node that runs your pods",
                  node_port_on_every_node("hello-world"), hidden=True),
    ),
)

LOADBALANCER = LabSpec(
    name="loadbalancer",
    title="LoadBalancer: reach hello-world on its own external IP",
    checks=(
        CheckSpec("exists", 1, "a Service named hello-world exists in your namespace",
                  service_exists("hello-world")),
        CheckSpec("type", 1, "its type is LoadBalancer", service_type("hello-world", "LoadBalancer")),
        CheckSpec("ports", 1, "port 80 forwards to targetPort 8080", service_port("hello-world", 80, 8080)),
        CheckSpec("external-ip", 1, "you read its external IP with kubectl", external_ip_answer("hello-world")),
        CheckSpec("node-port", 1, "you found the node port it also got", node_port_answer("hello-world")),
        CheckSpec("reachable", 2, "this machine reaches http://<external IP>/",
                  reachable_on_external_ip("hello-world")),
        CheckSpec("in-cluster", 1, "a pod still reaches it at http://hello-world (its cluster IP)",
                  reachable_in_cluster("http://hello-world", service="hello-world"), hidden=True),
    ),
)

_PATCH_HINT = ("change the Service in place: kubectl patch service web -p '<JSON with the fields to change>' "
               "(or lab.apply a corrected manifest)")

DEBUGGING = LabSpec(
    name="debugging",
    title="Debugging: repair the broken Service web",
    repair=("broken-web",),
    checks=(
        CheckSpec("selector", 2, "Service web selects the 3 hello-world pods",
                  repaired("web", endpoints_ready("web", 3))),
        CheckSpec("target-port", 1, "Service web forwards port 80 to the pods' port 8080",
                  repaired("web", with_hint(service_port("web", 80, 8080), _PATCH_HINT))),
        CheckSpec("reachable", 2, "a pod reaches http://web",
                  repaired("web", reachable_in_cluster("http://web", service="web")), hidden=True),
    ),
)

LABS: tuple[LabSpec, ...] = (NODEPORT, LOADBALANCER, DEBUGGING)
