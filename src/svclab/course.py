"""Helpers for the course's lecture and demo notebooks.

Each notebook works in a namespace of its own: ``start()`` (its first cell) deletes and
recreates it with ``hello-world`` and a ``toolbox`` pod, and points ``!kubectl`` at it;
``Session.finish()`` (its last cell) deletes it. So a notebook can be run again from the
top at any time, and never touches ``default`` or another notebook's objects.

The diagrams are drawn from the live cluster (real node, pod and Service addresses, real
EndpointSlices and iptables rules), as SVG that a notebook cell displays."""

from __future__ import annotations

import ipaddress
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, TypeVar

import yaml

from svclab.errors import ClusterError, CommandFailed, InvalidInput
from svclab.kubectl import Kubectl
from svclab.labs.notebook import show_errors_briefly
from svclab.settings import Settings, settings as default_settings

T = TypeVar("T")
#: every course namespace carries it (value: the notebook's name); `svclab reset` deletes them
DEMO_LABEL = "svclab.dev/demo"
#: tests set it to run the notebooks in throwaway namespaces (``t-nb-1234-`` + name)
PREFIX_ENV = "SVCLAB_COURSE_PREFIX"


def namespace_for(name: str, environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """The namespace of notebook ``name``: the name itself, prefixed in tests and per
    JupyterHub user so that two runs of one notebook never share a namespace."""
    if prefix := environ.get(PREFIX_ENV):
        return f"{prefix}{name}"
    if user := environ.get("JUPYTERHUB_USER"):
        return re.sub(r"[^a-z0-9]+", "-", user.lower()).strip("-")[:20] + f"-{name}"
    return name


# -- sessions ------------------------------------------------------------------------------
@dataclass
class Session:
    """One notebook's namespace; ``!kubectl`` in the notebook works there."""

    name: str
    namespace: str
    kubeconfig: Path
    settings: Settings = field(default_factory=default_settings, repr=False)
    extra: list[str] = field(default_factory=list)

    def add_namespace(self, suffix: str = "client", toolbox: bool = True) -> str:
        """A second namespace ``<namespace>-<suffix>`` (with a toolbox pod), to look across
        namespaces; :meth:`finish` deletes it too."""
        namespace = f"{self.namespace}-{suffix}"
        _fresh_namespace(self.kubectl, namespace, self.name)
        if toolbox:
            from svclab.discovery import probe_pod

            probe_pod(namespace)
        self.extra.append(namespace)
        print(f"Namespace {namespace} is fresh" + (", with a toolbox pod." if toolbox else "."))
        return namespace

    @property
    def kubectl(self) -> Kubectl:
        return Kubectl(self.settings)

    def apply(self, manifest: str) -> None:
        """``kubectl apply`` a manifest in this namespace and print what kubectl says."""
        try:
            out = self.kubectl.apply(manifest, "-n", self.namespace)
        except CommandFailed as exc:
            raise InvalidInput(f"kubectl refused the manifest: {exc.stderr.strip()}",
                               "fix the field it names and run the cell again") from None
        print(out.strip())

    def finish(self) -> None:
        """Delete the namespace and everything in it (Services, node ports, LoadBalancer IPs)."""
        self.kubectl("delete", "namespace", self.namespace, *self.extra, "--ignore-not-found", "--wait=true",
                     "--timeout=150s", timeout=180)
        if os.environ.get("KUBECONFIG") == str(self.kubeconfig):
            os.environ["KUBECONFIG"] = str(self.settings.kubeconfig)
        self.kubeconfig.unlink(missing_ok=True)
        names = " and ".join([self.namespace, *self.extra])
        print(f"Namespace {names} deleted: nothing this notebook created is left. "
              f"`!kubectl` is back on namespace default.")


def start(name: str, hello_world: bool = True, replicas: int = 3, toolbox: bool = True) -> Session:
    """The reset cell: (re)create the notebook's namespace from scratch, labelled
    ``svclab.dev/demo=<name>``, with ``hello-world`` (``replicas`` pods, as in ``default``)
    and a ``toolbox`` pod (curl, dig); make ``!kubectl`` use that namespace."""
    s = default_settings()
    kubectl = Kubectl(s)
    namespace = namespace_for(name)
    _fresh_namespace(kubectl, namespace, name)
    if hello_world:
        manifest = yaml.safe_load((s.cluster_dir / "manifests" / "hello-world.yaml").read_text())
        manifest["metadata"]["namespace"] = namespace
        manifest["spec"]["replicas"] = replicas
        kubectl.apply(yaml.safe_dump(manifest))
    if toolbox:
        from svclab.discovery import probe_pod

        probe_pod(namespace)
    if hello_world:
        kubectl("rollout", "status", "deployment/hello-world", "-n", namespace, "--timeout=150s", timeout=180)
    kubeconfig = kubectl.write_namespaced_config(namespace, s.config_dir / "course" / f"{namespace}.kubeconfig")
    session = Session(name, namespace, kubeconfig, s)
    show_errors_briefly()
    os.environ["KUBECONFIG"] = str(session.kubeconfig)
    os.environ["PATH"] = f"{s.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    made = [f"hello-world ({replicas} pods)"] if hello_world else []
    made += ["a toolbox pod (curl, dig)"] if toolbox else []
    print(f"Namespace {namespace} is fresh" + (f", with {' and '.join(made)}" if made else "") +
          f". `!kubectl …` now works in namespace {namespace}.")
    return session


def _fresh_namespace(kubectl: Kubectl, namespace: str, name: str) -> None:
    """Delete ``namespace`` (waiting until it is gone) and create it again, labelled."""
    kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=true", "--timeout=150s", timeout=180)
    labels = {DEMO_LABEL: name} | ({"svclab.dev/test": "true"} if os.environ.get(PREFIX_ENV) else {})
    kubectl.create_namespace(namespace, labels)


# -- waiting and reading -------------------------------------------------------------------------
def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Call ``probe`` until it returns something truthy (the cluster converges in seconds)."""
    from svclab.kube import poll

    return poll(probe, timeout=timeout, every=0.5, what=what)


def pod_ips(namespace: str, selector: str = "run=hello-world") -> dict[str, str]:
    """``{pod name: pod IP}`` of the running pods that match ``selector`` (leaving out those
    on their way out)."""
    from svclab.kube import kube

    return {p.metadata.name: p.status.pod_ip for p in sorted(kube().pods(namespace, selector),
                                                             key=lambda p: p.metadata.name)
            if p.status.pod_ip and p.status.phase == "Running" and not p.metadata.deletion_timestamp}


def wait_for_pods(namespace: str, count: int, selector: str = "run=hello-world", timeout: float = 120) -> dict[str, str]:
    """Wait until exactly ``count`` matching pods are Ready (and none is terminating)."""
    from svclab.kube import kube

    def ready() -> tuple[dict[str, str]] | None:
        pods = kube().pods(namespace, selector)
        live = [p for p in pods if p.status.phase not in ("Succeeded", "Failed")]
        ok = len(live) == count and all(
            not p.metadata.deletion_timestamp and any(c.type == "Ready" and c.status == "True"
                                                      for c in p.status.conditions or []) for p in live)
        return (pod_ips(namespace, selector),) if ok else None

    return wait_for(ready, f"{count} ready pods with {selector} in {namespace}", timeout)[0]


def pod_node(pod: str, namespace: str) -> str:
    """The node a pod runs on."""
    from svclab.kube import kube

    found = kube().pod(pod, namespace)
    if found is None or not found.spec.node_name:
        raise InvalidInput(f"Pod {pod!r} in namespace {namespace!r} does not exist or is not scheduled")
    return found.spec.node_name


def wait_for_endpoints(service: str, namespace: str, ready: int, without: Iterable[str] = (),
                       timeout: float = 120) -> Any:
    """The Service's view once it has ``ready`` ready endpoints and none of the pods ``without``."""
    from svclab.services import describe_service

    gone = set(without)

    def settled() -> Any:
        view = describe_service(service, namespace)
        pods = {e.pod for e in view.endpoints}
        return view if len(view.ready_endpoints) == ready and not pods & gone else None

    return wait_for(settled, f"Service {service} to have {ready} ready endpoints", timeout)


def wait_ready(service: str, namespace: str, timeout: float = 120) -> Any:
    """Wait until the Service works from everywhere: its endpoints have settled (every matching
    pod ready and listed) and kube-proxy on every node has written a rule for each of them.
    Right after it is created, a Service resolves before the nodes' rules exist, and the first
    connections are refused. Returns the Service's view."""
    from svclab.kubeproxy import nodes, wait_for_chains
    from svclab.services import describe_service
    from svclab.services import wait_for_endpoints as settled

    view = describe_service(service, namespace)
    if view.service.selector:  # without a selector, the endpoints are whatever was written by hand
        view = settled(service, namespace, timeout=timeout)
    if view.service.type != "ExternalName" and not view.service.headless:
        for node in nodes():
            wait_for_chains(service, namespace, node=node, endpoints=len(view.ready_endpoints), timeout=timeout)
    return view


def wait_for_external_ip(service: str, namespace: str, timeout: float = 60) -> Any:
    """The LoadBalancer Service's ServiceInfo once MetalLB has given it an IP."""
    from svclab.services import describe_service

    return wait_for(lambda: (lambda i: i if i.external_ip else None)(describe_service(service, namespace).service),
                    f"an external IP for Service {service}", timeout)


def resolve(name: str, namespace: str, type: str = "A", records: int = 1, expect: str | None = None,
            timeout: float = 30) -> Any:
    """:func:`svclab.resolve`, repeated until the answer has ``records`` records – and, with
    ``expect``, that address or CNAME target among them. CoreDNS learns about new Services and
    pods within seconds, and may keep an old answer in its cache for up to 30 seconds."""
    from svclab.discovery import resolve as dig

    def answered() -> Any:
        answer = dig(name, type, namespace)
        if len(answer.records) < records:
            return None
        return answer if expect is None or expect in (*answer.addresses, *answer.cnames) else None

    wanted = f"{records} {type} records for {name}" + (f" with {expect}" if expect else "")
    return wait_for(answered, wanted, timeout)


def on_node(node: str, command: str) -> str:
    """Run a shell command in the network namespace of ``node`` (in its kube-proxy pod, which
    uses the node's network) and return what it printed."""
    from svclab.kube import kube

    k = kube()
    pods = k.call("list kube-proxy Pods", k.core.list_namespaced_pod, "kube-system",
                  label_selector="k8s-app=kube-proxy", field_selector=f"spec.nodeName={node}").items
    if not pods:
        raise InvalidInput(f"no kube-proxy pod on node {node!r}", "`kubectl get nodes` lists the node names")
    result = k.exec(pods[0].metadata.name, "kube-system", ["sh", "-c", command])
    return (result.stdout + result.stderr).rstrip()


def show(thing: Any) -> Any:
    """A library result drawn as the widgets draw it: a Service view (topology, pods,
    EndpointSlices), a Spread (bar chart), ServiceChains, a DNS answer, an EnvDemo, a PodEnv, a
    ServiceInfo or a ServicePlan."""
    from svclab.discovery import DnsAnswer, EnvDemo, PodEnv
    from svclab.kubeproxy import ServiceChains
    from svclab.services import ServiceInfo, ServicePlan, ServiceView
    from svclab.traffic import Spread
    from svclab.widgets import render

    renderers: list[tuple[type, Callable[[Any], str]]] = [
        (ServiceView, render.service_view), (Spread, render.spread_chart), (ServiceChains, render.chains),
        (DnsAnswer, render.dns_answer), (EnvDemo, render.env_demo), (PodEnv, render.env_table),
        (ServiceInfo, render.service_info), (ServicePlan, render.plan)]
    for kind, fn in renderers:
        if isinstance(thing, kind):
            return Html(fn(thing))
    raise InvalidInput(f"cannot draw a {type(thing).__name__}", "pass a result of an svclab function")


class Html:
    """HTML shown as a cell's value."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html


# -- HTTP from this machine -----------------------------------------------------------------
def load_balancer_pools() -> list[str]:
    """The address ranges MetalLB hands out (``172.18.255.224-172.18.255.254``)."""
    from svclab.kube import kube

    k = kube()
    try:
        pools = k.call("list MetalLB pools", k.custom.list_cluster_custom_object, "metallb.io", "v1beta1",
                       "ipaddresspools").get("items", [])
    except InvalidInput:
        return []
    return [block for pool in pools for block in pool["spec"].get("addresses", [])]


def _in_pools(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    for block in load_balancer_pools():
        if "-" in block:
            first, last = (ipaddress.ip_address(b.strip()) for b in block.split("-", 1))
            if first <= address <= last:
                return True
        elif address in ipaddress.ip_network(block, strict=False):
            return True
    return False


def fetch(url: str, timeout: float = 3, retry_for: float = 15) -> str:
    """GET ``url`` from this machine (what ``curl`` does) and return the reply, retrying for
    ``retry_for`` seconds while nothing answers. Only the cluster's own addresses are allowed:
    loopback (node ports) and MetalLB's pool."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        ip = "127.0.0.1" if host == "localhost" else str(ipaddress.ip_address(host))
    except ValueError:
        raise InvalidInput(f"{host!r} is not an IP address", "use 127.0.0.1:<nodePort> or a LoadBalancer IP") from None
    if not (ipaddress.ip_address(ip).is_loopback or _in_pools(ip)):
        raise InvalidInput(f"{ip} is not one of the cluster's addresses on this machine",
                           "the course only sends traffic to 127.0.0.1 (node ports) and MetalLB's pool")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + retry_for  # a new node port or LoadBalancer IP takes a moment
    while True:
        try:
            with opener.open(urllib.request.Request(url, headers={"Connection": "close"}), timeout=timeout) as reply:
                return reply.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            if time.monotonic() >= deadline:
                raise ClusterError(f"no answer from {url}: {getattr(exc, 'reason', exc)}",
                                   "is the Service's type right, and does it have ready endpoints?") from None
            time.sleep(0.5)


# -- cluster facts for the diagrams ---------------------------------------------------------------
@dataclass(frozen=True)
class NodeNet:
    name: str
    ip: str
    pod_cidr: str


@dataclass(frozen=True)
class Networks:
    """The three networks of the outline's diagrams, as this cluster has them."""

    nodes: tuple[NodeNet, ...]
    pod_cidr: str  # the whole pod network (kube-proxy's clusterCIDR)
    service_cidr: str  # where ClusterIPs come from
    load_balancer_pool: str
    node_ports: str = "30000-32767"  # the API server's --service-node-port-range


def networks() -> Networks:
    from kubernetes import client

    from svclab.kube import kube

    k = kube()
    nodes = []
    for n in k.call("list Nodes", k.core.list_node).items:
        ips = {a.type: a.address for a in n.status.addresses or []}
        nodes.append(NodeNet(n.metadata.name, ips.get("InternalIP", "?"), n.spec.pod_cidr or "?"))
    pod_cidr = ""
    config = k.get("read the kube-proxy ConfigMap", k.core.read_namespaced_config_map, "kube-proxy", "kube-system")
    if config is not None:
        found = re.search(r"clusterCIDR:\s*(\S+)", (config.data or {}).get("config.conf", ""))
        pod_cidr = found[1] if found and found[1] not in ('""', "''") else ""
    service_cidr = ""
    try:
        networking = client.NetworkingV1Api(k.core.api_client)
        cidrs = k.call("list ServiceCIDRs", networking.list_service_cidr).items
        service_cidr = ", ".join(c for item in cidrs for c in item.spec.cidrs or [])
    except (InvalidInput, ClusterError):
        pass
    node_ports = "30000-32767"  # Kubernetes' default
    try:
        for pod in k.call("list API server Pods", k.core.list_namespaced_pod, "kube-system",
                          label_selector="component=kube-apiserver").items:
            for arg in pod.spec.containers[0].command or []:
                if arg.startswith("--service-node-port-range="):
                    node_ports = arg.split("=", 1)[1]
    except (InvalidInput, ClusterError):
        pass
    return Networks(tuple(sorted(nodes, key=lambda n: n.name)), pod_cidr or "pod CIDRs per node",
                    service_cidr or "service CIDR", ", ".join(load_balancer_pools()) or "none", node_ports)


# -- diagrams --------------------------------------------------------------------------------------
class Diagram:
    """SVG that a notebook shows when it is a cell's value; ``.svg`` is the markup."""

    def __init__(self, svg: str, caption: str = "") -> None:
        self.svg = svg
        self.caption = caption

    def _repr_html_(self) -> str:
        caption = f"<div style='font-size:12px;color:#555;max-width:980px'>{escape(self.caption)}</div>" \
            if self.caption else ""
        return f"<div class='svclab-diagram'>{self.svg}{caption}</div>"

    @property
    def text(self) -> str:
        """The diagram's visible words (for quick checks)."""
        return " ".join(re.findall(r">([^<>]+)<", self.svg))


_COLORS = {"ready": "#2e7d32", "not ready": "#ef6c00", "no endpoint": "#9e9e9e", "client": "#6a1b9a"}
_ARROW = ("<defs><marker id='sl-arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' "
          "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#444'/></marker></defs>")


def _box(x: float, y: float, w: float, h: float, lines: list[str], stroke: str = "#455a64",
         fill: str = "#fff", bold_first: bool = True, dash: bool = False, cls: str = "") -> str:
    dash_attr = " stroke-dasharray='5 4'" if dash else ""
    bold = " font-weight='bold'"
    text = "".join(
        f"<text x='{x + 6}' y='{y + 15 + 13 * i}' font-size='{11 if i == 0 else 10}'"
        f"{bold if i == 0 and bold_first else ''} fill='{'#222' if i == 0 else '#555'}'>"
        f"{escape(line)}</text>" for i, line in enumerate(lines))
    group = f" class='{cls}'" if cls else ""
    return (f"<g{group}><rect x='{x}' y='{y}' width='{w}' height='{h}' rx='6' fill='{fill}' stroke='{stroke}'"
            f"{dash_attr}/>{text}</g>")


def _arrow(x1: float, y1: float, x2: float, y2: float, color: str = "#444", label: str = "",
           dash: bool = False, at: float = 0.5) -> str:
    dash_attr = " stroke-dasharray='5 4'" if dash else ""
    mid = (f"<text x='{x1 + (x2 - x1) * at}' y='{y1 + (y2 - y1) * at - 4}' font-size='10' text-anchor='middle' "
           f"fill='{color}'>{escape(label)}</text>") if label else ""
    return (f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{color}' stroke-width='1.4'{dash_attr} "
            f"marker-end='url(#sl-arrow)'/>{mid}")


def _short(name: str, keep: int = 28) -> str:
    return name if len(name) <= keep else "…" + name[-(keep - 1):]


def network_diagram(service: str, namespace: str, client: str | None = None) -> Diagram:
    """How a request reaches the pods of ``service``, across the outline's three networks:
    the node network (node IPs, node ports), the cluster network (the Service's virtual IP)
    and the pod network (pod IPs, grouped by the node they run on).

    ``client``: a pod name in ``namespace`` (default for ClusterIP: the ``toolbox`` pod),
    or ``"this machine"`` (default for NodePort and LoadBalancer)."""
    from svclab.kube import kube
    from svclab.services import describe_service

    view = describe_service(service, namespace)
    info = view.service
    if info.type == "ExternalName":
        raise InvalidInput(f"Service {service} is an ExternalName Service: it has no IP and no pods",
                           "it is only a DNS CNAME: look at it with svclab.resolve(name, 'CNAME', namespace)")
    nets = networks()
    port = info.ports[0] if info.ports else None
    client = client or ("toolbox" if info.type == "ClusterIP" else "this machine")
    client_pod = None if client == "this machine" else kube().pod(client, namespace)
    external = client_pod is None
    uses_nodes = info.type in ("NodePort", "LoadBalancer") and external
    uses_lb = info.type == "LoadBalancer" and external

    # lanes, left to right
    gap, top = 46, 58
    lanes: list[tuple[str, str, float, float]] = []  # (title, subtitle, x, width)
    x = 10.0
    for title, subtitle, width, shown in (
        ("client", "outside the cluster" if external else "a pod", 130, True),
        ("load balancer", "MetalLB pool", 140, uses_lb),
        ("node network", ("node IPs" + (" : node port" if info.node_port else "")) if uses_nodes
         else "node IPs – not on this path", 170, True),
        ("cluster network", f"Service CIDR {nets.service_cidr}", 160, True),
        ("pod network", f"{nets.pod_cidr}", 230, True),
    ):
        if shown:
            lanes.append((title, subtitle, x, width))
            x += width + gap
    width = x - gap + 10
    lane = {t: (lx, lw) for t, _, lx, lw in lanes}

    # pods grouped by node, one row per node (nodes without pods too)
    by_node = view.pods_by_node()
    for n in nets.nodes:
        by_node.setdefault(n.name, [])
    node_info = {n.name: n for n in nets.nodes}
    rows: list[tuple[str, float, float]] = []  # (node, y, height)
    y = float(top)
    pod_h, pod_gap = 32, 6
    for node in sorted(by_node):
        height = 24 + max(1, len(by_node[node])) * (pod_h + pod_gap)
        rows.append((node, y, height))
        y += height + 12
    height = max(y, top + 170)
    mid = (top + y - 12) / 2

    body: list[str] = [_ARROW]
    for title, subtitle, lx, lw in lanes:
        muted = title == "node network" and not uses_nodes
        body.append(f"<rect x='{lx - 8}' y='6' width='{lw + 16}' height='{height - 10}' rx='8' "
                    f"fill='{'#fafafa' if muted else '#f1f6fb'}' stroke='#cfd8dc'/>"
                    f"<text x='{lx}' y='24' font-size='12' font-weight='bold' fill='#37474f'>{escape(title)}</text>"
                    f"<text x='{lx}' y='40' font-size='10' fill='#607d8b'>{escape(_short(subtitle, 36))}</text>")

    # pods and nodes
    svc_x, svc_w = lane["cluster network"]
    svc_h = 64
    svc_y = mid - svc_h / 2
    pod_x, pod_w = lane["pod network"]
    node_x, node_w = lane["node network"]
    arrows: list[str] = []
    for node, ry, rh in rows:
        n = node_info.get(node)
        node_lines = [node, f"{n.ip if n else '?'}" + (f" : {info.node_port}" if info.node_port else "")]
        if info.node_port and uses_nodes:
            node_lines.append("127.0.0.1 : %d here" % info.node_port if "control-plane" in node else "")
        body.append(_box(node_x, ry, node_w, min(rh, 56), [line for line in node_lines if line],
                         stroke="#455a64" if uses_nodes else "#b0bec5", fill="#fff" if uses_nodes else "#fafafa",
                         dash=not uses_nodes, cls="svclab-node"))
        body.append(f"<rect x='{pod_x - 4}' y='{ry}' width='{pod_w + 8}' height='{rh}' rx='6' fill='none' "
                    f"stroke='#b0bec5' stroke-dasharray='3 3'/>"
                    f"<text x='{pod_x}' y='{ry + 14}' font-size='10' fill='#607d8b'>on {escape(node)} · "
                    f"{escape(n.pod_cidr if n else '')}</text>")
        for i, pod in enumerate(by_node[node]):
            py = ry + 22 + i * (pod_h + pod_gap)
            state = view.pod_state(pod)
            color = _COLORS[state]
            body.append(_box(pod_x, py, pod_w, pod_h, [_short(pod.name, 34), f"{pod.ip or 'no IP'} · {state}"],
                             stroke=color, dash=pod.deleting, cls="svclab-pod"))
            if state != "no endpoint":
                target = port.target_port if port else ""
                arrows.append(_arrow(svc_x + svc_w, mid, pod_x, py + pod_h / 2, color,
                                     f":{target}" if i == 0 else "", dash=state != "ready"))
        if uses_nodes:
            arrows.append(_arrow(node_x + node_w, ry + 20, svc_x, mid, "#455a64",
                                 dash="control-plane" not in node))

    # the Service
    svc_lines = [_short(info.name, 24), info.type,
                 "no virtual IP (headless)" if info.headless else f"{info.cluster_ip}:{port.port if port else ''}"]
    body.append(_box(svc_x, svc_y, svc_w, svc_h, svc_lines, stroke="#1565c0", fill="#e3f2fd", cls="svclab-service"))

    # the client and how it enters
    cx, cw = lane["client"]
    if external:
        body.append(_box(cx, mid - 24, cw, 48, ["this machine", "curl / svclab.fetch"], stroke=_COLORS["client"]))
        if uses_lb:
            lx, lw = lane["load balancer"]
            body.append(_box(lx, mid - 28, lw, 56, ["MetalLB", f"{info.external_ip or '<pending>'}:{port.port}",
                                                    "announced by a node"], stroke="#00838f", fill="#e0f7fa"))
            arrows.append(_arrow(cx + cw, mid, lx, mid, _COLORS["client"], f":{port.port}"))
            for node, ry, _ in rows:
                arrows.append(_arrow(lx + lw, mid, node_x, ry + 20, "#00838f", dash=True))
        elif uses_nodes:
            published = next((ry for node, ry, _ in rows if "control-plane" in node), rows[0][1])
            arrows.append(_arrow(cx + cw, mid, node_x, published + 20, _COLORS["client"], f"127.0.0.1:{info.node_port}"))
        else:
            arrows.append(_arrow(cx + cw, mid, svc_x, mid, "#b71c1c", "no route from outside", dash=True))
    else:
        where = client_pod.spec.node_name or "?"
        body.append(_box(cx, mid - 30, cw, 60, [_short(client_pod.metadata.name, 18), client_pod.status.pod_ip or "",
                                                f"on {_short(where, 16)}"], stroke=_COLORS["client"]))
        label = f"{info.name}:{port.port}" if port else info.name
        label = "DNS lookup → pod IPs" if info.headless else label
        arrows.append(_arrow(cx + cw, mid, svc_x, mid, _COLORS["client"], _short(label, 26)))
    body += arrows

    ready = len(view.ready_endpoints)
    caption = (f"{info.namespace}/{info.name} ({info.type}): {ready} ready endpoints of {len(view.pods)} matching pods. "
               "Green: ready endpoint (gets traffic); orange: endpoint not ready; grey: not an endpoint.")
    if info.headless:
        caption += " A headless Service (clusterIP: None) has no virtual IP and no kube-proxy rules: cluster " \
                   "DNS answers with the IPs of the ready pods and the client connects to one of them directly."
    elif info.type == "ClusterIP":
        caption += " The ClusterIP is virtual: only the kube-proxy rules on each node know it, so it works " \
                   "from pods and nodes but not from outside the cluster."
    elif info.type == "NodePort":
        caption += f" Every node answers on port {info.node_port}; this cluster publishes the node ports of " \
                   "its control-plane node on 127.0.0.1."
    else:
        caption += " MetalLB gives the Service an IP from its pool and one node answers ARP for it; kube-proxy " \
                   "on that node forwards to a pod on any node."
    svg = (f"<svg class='svclab-network' viewBox='0 0 {width:.0f} {height:.0f}' width='{width:.0f}' "
           f"style='max-width:100%;height:auto' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>"
           f"{''.join(body)}</svg>")
    return Diagram(svg, caption)


def chains_diagram(chains: Any) -> Diagram:
    """kube-proxy's NAT chains for one Service on one node, as a flow from the entry
    rules through the Service chain to one DNAT per endpoint, with each rule's probability."""
    entries = list(chains.entries)
    entry_h = 52 if any(not e.jump.startswith(("KUBE-SVC-", "KUBE-SVL-")) for e in entries) else 40
    sep_h, gap = 40, 10
    endpoints = list(chains.endpoints)
    if not endpoints and not entries:
        return Diagram("<svg width='600' height='40' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>"
                       f"<text x='4' y='24' font-size='12'>no kube-proxy rules for {escape(chains.service)} on "
                       f"{escape(chains.node)}</text></svg>",
                       "A headless or ExternalName Service, or one without ready endpoints, has no NAT rules.")
    rows_h = max(len(entries) * (entry_h + gap), len(endpoints) * (sep_h + gap), 60)
    top = 34
    height = top + rows_h + 10
    cols = {"entry": (10, 250), "svc": (300, 200), "sep": (550, 200), "dnat": (790, 160)}
    body = [_ARROW]
    for key, title in (("entry", "entry chains (KUBE-SERVICES, KUBE-NODEPORTS)"), ("svc", "Service chain"),
                       ("sep", "one chain per endpoint"), ("dnat", "DNAT to")):
        body.append(f"<text x='{cols[key][0]}' y='20' font-size='11' font-weight='bold' fill='#37474f'>"
                    f"{escape(title)}</text>")
    svc_chains = list(chains.service_chains)
    svc_pos: dict[str, float] = {}
    for i, name in enumerate(svc_chains):
        y = top + rows_h / 2 - (len(svc_chains) * 50) / 2 + i * 50
        svc_pos[name] = y + 20
        x, w = cols["svc"]
        body.append(_box(x, y, w, 40, [_short(name, 30), f"{chains.namespace}/{chains.service}"], stroke="#1565c0",
                         fill="#e3f2fd"))
    for i, e in enumerate(entries):
        y = top + i * (entry_h + gap)
        x, w = cols["entry"]
        lines = [e.chain, _short(e.match, 44)]
        target = svc_pos.get(e.jump)
        if target is None and svc_pos:  # via KUBE-EXT-… (node ports, load balancer IPs)
            target = next(iter(svc_pos.values()))
            lines.append(f"via {_short(e.jump, 34)}")
        body.append(_box(x, y, w, entry_h, lines))
        if target is not None:
            body.append(_arrow(x + w, y + entry_h / 2, cols["svc"][0], target, "#455a64"))
    for i, e in enumerate(endpoints):
        y = top + i * (sep_h + gap)
        x, w = cols["sep"]
        body.append(_box(x, y, w, sep_h, [_short(e.chain, 26), f"{e.share:.0%} of new connections"],
                         stroke="#2e7d32"))
        start = svc_pos.get(e.service_chain, top + rows_h / 2)
        body.append(_arrow(cols["svc"][0] + cols["svc"][1], start, x, y + sep_h / 2, "#2e7d32",
                           f"p={e.probability:.3f}", at=0.62))
        dx, dw = cols["dnat"]
        body.append(_box(dx, y, dw, sep_h, [e.endpoint, "pod IP : target port"], stroke="#2e7d32", fill="#e8f5e9"))
        body.append(_arrow(x + w, y + sep_h / 2, dx, y + sep_h / 2, "#2e7d32"))
    width = 960
    svg = (f"<svg class='svclab-chains' viewBox='0 0 {width} {height}' width='{width}' style='max-width:100%;"
           f"height:auto' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>{''.join(body)}</svg>")
    caption = (f"iptables NAT rules on node {chains.node}. A new connection to the Service jumps to its chain; "
               "the rules there are tried in order, rule i matching with probability 1/(n-i+1) of what is left, "
               "so each endpoint gets an equal share. The chosen chain rewrites the destination to a pod.")
    return Diagram(svg, caption)


def kube_proxy_diagram(service: str, namespace: str) -> Diagram:
    """The control loop: the API server, the kube-proxy on every node watching it, and the
    number of endpoint rules each one has written for ``service`` right now."""
    from svclab.kube import kube
    from svclab.kubeproxy import service_chains

    k = kube()
    proxies = {p.spec.node_name: p for p in k.call("list kube-proxy Pods", k.core.list_namespaced_pod, "kube-system",
                                                  label_selector="k8s-app=kube-proxy").items}
    api = k.get("read the kubernetes EndpointSlice", k.discovery.read_namespaced_endpoint_slice,
                "kubernetes", "default")
    api_address = "?"
    if api is not None and api.endpoints:
        api_address = f"{api.endpoints[0].addresses[0]}:{api.ports[0].port if api.ports else 6443}"
    nets = {n.name: n for n in networks().nodes}
    body = [_ARROW]
    width, row_h = 960, 64
    height = 40 + len(nets) * row_h
    mid = height / 2
    body.append(_box(10, mid - 36, 190, 72, ["API server", api_address, "Services, EndpointSlices"],
                     stroke="#1565c0", fill="#e3f2fd"))
    for i, node in enumerate(sorted(nets)):
        y = 20 + i * row_h
        proxy = proxies.get(node)
        body.append(_box(290, y, 240, 48, [f"kube-proxy on {node}", proxy.metadata.name if proxy else "(none)"],
                         stroke="#455a64"))
        body.append(_arrow(290, y + 24, 200, mid, "#1565c0", "watch" if i == 0 else "", dash=True))
        chains = service_chains(service, namespace, node) if proxy else None
        count = len(chains.endpoints) if chains else 0
        body.append(_box(620, y, 320, 48, [f"iptables nat on {nets[node].ip}",
                                           f"{count} endpoint rules for {namespace}/{service}"],
                         stroke="#2e7d32", fill="#e8f5e9"))
        body.append(_arrow(530, y + 24, 620, y + 24, "#2e7d32", "writes"))
    svg = (f"<svg class='svclab-kube-proxy' viewBox='0 0 {width} {height}' width='{width}' style='max-width:100%;"
           f"height:auto' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>{''.join(body)}</svg>")
    caption = ("kube-proxy runs on every node (a DaemonSet). It watches the API server for Services and "
               "EndpointSlices and rewrites its node's iptables rules when they change: every node knows every Service.")
    return Diagram(svg, caption)
