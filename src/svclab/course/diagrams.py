"""Diagrams drawn from the live cluster, as SVG a notebook cell shows: how a request
crosses the node, cluster and pod networks (:func:`network_diagram`), kube-proxy's NAT
chains for a Service (:func:`chains_diagram`) and its control loop (:func:`kube_proxy_diagram`).
Real addresses, real EndpointSlices, real iptables rules."""

from __future__ import annotations

import re
from html import escape

from svclab.errors import InvalidInput
from svclab.k8s import reads
from svclab.kubeproxy import ServiceChains, service_chains
from svclab.services import describe_service


class Diagram:
    """SVG that a notebook shows when it is a cell's value; ``.svg`` is the markup."""

    def __init__(self, svg: str, caption: str = "") -> None:
        self.svg = svg
        self.caption = caption

    def _repr_html_(self) -> str:
        caption = (
            f"<div style='font-size:12px;color:#555;max-width:980px'>{escape(self.caption)}</div>"
            if self.caption
            else ""
        )
        return f"<div class='svclab-diagram'>{self.svg}{caption}</div>"

    @property
    def text(self) -> str:
        """The diagram's visible words (for quick checks)."""
        return " ".join(re.findall(r">([^<>]+)<", self.svg))


_COLORS = {"ready": "#2e7d32", "not ready": "#ef6c00", "no endpoint": "#9e9e9e", "client": "#6a1b9a"}
_ARROW = (
    "<defs><marker id='sl-arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' "
    "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#444'/></marker></defs>"
)


def _box(
    x: float,
    y: float,
    w: float,
    h: float,
    lines: list[str],
    stroke: str = "#455a64",
    fill: str = "#fff",
    bold_first: bool = True,
    dash: bool = False,
    cls: str = "",
) -> str:
    dash_attr = " stroke-dasharray='5 4'" if dash else ""
    bold = " font-weight='bold'"
    text = "".join(
        f"<text x='{x + 6}' y='{y + 15 + 13 * i}' font-size='{11 if i == 0 else 10}'"
        f"{bold if i == 0 and bold_first else ''} fill='{'#222' if i == 0 else '#555'}'>"
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    group = f" class='{cls}'" if cls else ""
    return (
        f"<g{group}><rect x='{x}' y='{y}' width='{w}' height='{h}' rx='6' fill='{fill}' stroke='{stroke}'"
        f"{dash_attr}/>{text}</g>"
    )


def _arrow(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    color: str = "#444",
    label: str = "",
    dash: bool = False,
    at: float = 0.5,
) -> str:
    dash_attr = " stroke-dasharray='5 4'" if dash else ""
    mid = (
        (
            f"<text x='{x1 + (x2 - x1) * at}' y='{y1 + (y2 - y1) * at - 4}' font-size='10' text-anchor='middle' "
            f"fill='{color}'>{escape(label)}</text>"
        )
        if label
        else ""
    )
    return (
        f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{color}' stroke-width='1.4'{dash_attr} "
        f"marker-end='url(#sl-arrow)'/>{mid}"
    )


def _short(name: str, keep: int = 28) -> str:
    return name if len(name) <= keep else "…" + name[-(keep - 1) :]


def network_diagram(service: str, namespace: str, client: str | None = None) -> Diagram:
    """How a request reaches the pods of ``service``, across the outline's three networks:
    the node network (node IPs, node ports), the cluster network (the Service's virtual IP)
    and the pod network (pod IPs, grouped by the node they run on).

    ``client``: a pod name in ``namespace`` (default for ClusterIP: the ``toolbox`` pod),
    or ``"this machine"`` (default for NodePort and LoadBalancer)."""
    view = describe_service(service, namespace)
    info = view.service
    if info.type == "ExternalName":
        raise InvalidInput(
            f"Service {service} is an ExternalName Service: it has no IP and no pods",
            "it is only a DNS CNAME: look at it with svclab.resolve(name, 'CNAME', namespace)",
        )
    nets = reads.networks()
    port = info.ports[0] if info.ports else None
    port_number = port.port if port else ""
    client = client or ("toolbox" if info.type == "ClusterIP" else "this machine")
    client_pod = None if client == "this machine" else reads.pod(client, namespace)
    external = client_pod is None
    uses_nodes = info.type in ("NodePort", "LoadBalancer") and external
    uses_lb = info.type == "LoadBalancer" and external

    # lanes, left to right
    gap, top = 46, 58
    lanes: list[tuple[str, str, float, float]] = []  # (title, subtitle, x, width)
    x = 10.0
    for title, subtitle, lane_width, shown in (
        ("client", "outside the cluster" if external else "a pod", 130, True),
        ("load balancer", "MetalLB pool", 140, uses_lb),
        (
            "node network",
            ("node IPs" + (" : node port" if info.node_port else "")) if uses_nodes else "node IPs – not on this path",
            170,
            True,
        ),
        ("cluster network", f"Service CIDR {nets.service_cidr}", 160, True),
        ("pod network", f"{nets.pod_cidr}", 230, True),
    ):
        if shown:
            lanes.append((title, subtitle, x, lane_width))
            x += lane_width + gap
    width = x - gap + 10
    lane = {t: (lx, lw) for t, _, lx, lw in lanes}

    # pods grouped by node, one row per node (nodes without pods too)
    by_node = view.pods_by_node()
    for known in nets.nodes:
        by_node.setdefault(known.name, [])
    node_info = {n.name: n for n in nets.nodes}
    rows: list[tuple[str, float, float]] = []  # (node, y, height)
    y = float(top)
    pod_h, pod_gap = 32, 6
    for node in sorted(by_node):
        row_height = 24 + max(1, len(by_node[node])) * (pod_h + pod_gap)
        rows.append((node, y, row_height))
        y += row_height + 12
    height = max(y, top + 170)
    mid = (top + y - 12) / 2

    body: list[str] = [_ARROW]
    for title, subtitle, lx, lw in lanes:
        muted = title == "node network" and not uses_nodes
        body.append(
            f"<rect x='{lx - 8}' y='6' width='{lw + 16}' height='{height - 10}' rx='8' "
            f"fill='{'#fafafa' if muted else '#f1f6fb'}' stroke='#cfd8dc'/>"
            f"<text x='{lx}' y='24' font-size='12' font-weight='bold' fill='#37474f'>{escape(title)}</text>"
            f"<text x='{lx}' y='40' font-size='10' fill='#607d8b'>{escape(_short(subtitle, 36))}</text>"
        )

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
            node_lines.append(f"127.0.0.1 : {info.node_port} here" if "control-plane" in node else "")
        body.append(
            _box(
                node_x,
                ry,
                node_w,
                min(rh, 56),
                [line for line in node_lines if line],
                stroke="#455a64" if uses_nodes else "#b0bec5",
                fill="#fff" if uses_nodes else "#fafafa",
                dash=not uses_nodes,
                cls="svclab-node",
            )
        )
        body.append(
            f"<rect x='{pod_x - 4}' y='{ry}' width='{pod_w + 8}' height='{rh}' rx='6' fill='none' "
            f"stroke='#b0bec5' stroke-dasharray='3 3'/>"
            f"<text x='{pod_x}' y='{ry + 14}' font-size='10' fill='#607d8b'>on {escape(node)} · "
            f"{escape(n.pod_cidr if n else '')}</text>"
        )
        for i, pod in enumerate(by_node[node]):
            py = ry + 22 + i * (pod_h + pod_gap)
            state = view.pod_state(pod)
            color = _COLORS[state]
            body.append(
                _box(
                    pod_x,
                    py,
                    pod_w,
                    pod_h,
                    [_short(pod.name, 34), f"{pod.ip or 'no IP'} · {state}"],
                    stroke=color,
                    dash=pod.deleting,
                    cls="svclab-pod",
                )
            )
            if state != "no endpoint":
                target = port.target_port if port else ""
                arrows.append(
                    _arrow(
                        svc_x + svc_w,
                        mid,
                        pod_x,
                        py + pod_h / 2,
                        color,
                        f":{target}" if i == 0 else "",
                        dash=state != "ready",
                    )
                )
        if uses_nodes:
            arrows.append(_arrow(node_x + node_w, ry + 20, svc_x, mid, "#455a64", dash="control-plane" not in node))

    # the Service
    svc_lines = [
        _short(info.name, 24),
        info.type,
        "no virtual IP (headless)" if info.headless else f"{info.cluster_ip}:{port.port if port else ''}",
    ]
    body.append(_box(svc_x, svc_y, svc_w, svc_h, svc_lines, stroke="#1565c0", fill="#e3f2fd", cls="svclab-service"))

    # the client and how it enters
    cx, cw = lane["client"]
    if external:
        body.append(_box(cx, mid - 24, cw, 48, ["this machine", "curl / svclab.fetch"], stroke=_COLORS["client"]))
        if uses_lb:
            lx, lw = lane["load balancer"]
            body.append(
                _box(
                    lx,
                    mid - 28,
                    lw,
                    56,
                    ["MetalLB", f"{info.external_ip or '<pending>'}:{port_number}", "announced by a node"],
                    stroke="#00838f",
                    fill="#e0f7fa",
                )
            )
            arrows.append(_arrow(cx + cw, mid, lx, mid, _COLORS["client"], f":{port_number}"))
            for _node, ry, _ in rows:
                arrows.append(_arrow(lx + lw, mid, node_x, ry + 20, "#00838f", dash=True))
        elif uses_nodes:
            published = next((ry for node, ry, _ in rows if "control-plane" in node), rows[0][1])
            arrows.append(
                _arrow(cx + cw, mid, node_x, published + 20, _COLORS["client"], f"127.0.0.1:{info.node_port}")
            )
        else:
            arrows.append(_arrow(cx + cw, mid, svc_x, mid, "#b71c1c", "no route from outside", dash=True))
    else:
        assert client_pod is not None  # not external
        where = client_pod.node or "?"
        body.append(
            _box(
                cx,
                mid - 30,
                cw,
                60,
                [_short(client_pod.name, 18), client_pod.ip or "", f"on {_short(where, 16)}"],
                stroke=_COLORS["client"],
            )
        )
        label = f"{info.name}:{port.port}" if port else info.name
        label = "DNS lookup → pod IPs" if info.headless else label
        arrows.append(_arrow(cx + cw, mid, svc_x, mid, _COLORS["client"], _short(label, 26)))
    body += arrows

    ready = len(view.ready_endpoints)
    caption = (
        f"{info.namespace}/{info.name} ({info.type}): {ready} ready endpoints of {len(view.pods)} matching pods. "
        "Green: ready endpoint (gets traffic); orange: endpoint not ready; grey: not an endpoint."
    )
    if info.headless:
        caption += (
            " A headless Service (clusterIP: None) has no virtual IP and no kube-proxy rules: cluster "
            "DNS answers with the IPs of the ready pods and the client connects to one of them directly."
        )
    elif info.type == "ClusterIP":
        caption += (
            " The ClusterIP is virtual: only the kube-proxy rules on each node know it, so it works "
            "from pods and nodes but not from outside the cluster."
        )
    elif info.type == "NodePort":
        caption += (
            f" Every node answers on port {info.node_port}; this cluster publishes the node ports of "
            "its control-plane node on 127.0.0.1."
        )
    else:
        caption += (
            " MetalLB gives the Service an IP from its pool and one node answers ARP for it; kube-proxy "
            "on that node forwards to a pod on any node."
        )
    svg = (
        f"<svg class='svclab-network' viewBox='0 0 {width:.0f} {height:.0f}' width='{width:.0f}' "
        f"style='max-width:100%;height:auto' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>"
        f"{''.join(body)}</svg>"
    )
    return Diagram(svg, caption)


def chains_diagram(chains: ServiceChains) -> Diagram:
    """kube-proxy's NAT chains for one Service on one node, as a flow from the entry
    rules through the Service chain to one DNAT per endpoint, with each rule's probability."""
    entries = list(chains.entries)
    entry_h = 52 if any(not e.jump.startswith(("KUBE-SVC-", "KUBE-SVL-")) for e in entries) else 40
    sep_h, gap = 40, 10
    endpoints = list(chains.endpoints)
    if not endpoints and not entries:
        return Diagram(
            "<svg width='600' height='40' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>"
            f"<text x='4' y='24' font-size='12'>no kube-proxy rules for {escape(chains.service)} on "
            f"{escape(chains.node)}</text></svg>",
            "A headless or ExternalName Service, or one without ready endpoints, has no NAT rules.",
        )
    rows_h = max(len(entries) * (entry_h + gap), len(endpoints) * (sep_h + gap), 60)
    top = 34
    height = top + rows_h + 10
    cols = {"entry": (10, 250), "svc": (300, 200), "sep": (550, 200), "dnat": (790, 160)}
    body = [_ARROW]
    for key, title in (
        ("entry", "entry chains (KUBE-SERVICES, KUBE-NODEPORTS)"),
        ("svc", "Service chain"),
        ("sep", "one chain per endpoint"),
        ("dnat", "DNAT to"),
    ):
        body.append(
            f"<text x='{cols[key][0]}' y='20' font-size='11' font-weight='bold' fill='#37474f'>{escape(title)}</text>"
        )
    svc_chains = list(chains.service_chains)
    svc_pos: dict[str, float] = {}
    for i, name in enumerate(svc_chains):
        y = top + rows_h / 2 - (len(svc_chains) * 50) / 2 + i * 50
        svc_pos[name] = y + 20
        x, w = cols["svc"]
        body.append(
            _box(
                x,
                y,
                w,
                40,
                [_short(name, 30), f"{chains.namespace}/{chains.service}"],
                stroke="#1565c0",
                fill="#e3f2fd",
            )
        )
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
    for i, ep in enumerate(endpoints):
        y = top + i * (sep_h + gap)
        x, w = cols["sep"]
        body.append(
            _box(x, y, w, sep_h, [_short(ep.chain, 26), f"{ep.share:.0%} of new connections"], stroke="#2e7d32")
        )
        start = svc_pos.get(ep.service_chain, top + rows_h / 2)
        body.append(
            _arrow(
                cols["svc"][0] + cols["svc"][1], start, x, y + sep_h / 2, "#2e7d32", f"p={ep.probability:.3f}", at=0.62
            )
        )
        dx, dw = cols["dnat"]
        body.append(_box(dx, y, dw, sep_h, [ep.endpoint, "pod IP : target port"], stroke="#2e7d32", fill="#e8f5e9"))
        body.append(_arrow(x + w, y + sep_h / 2, dx, y + sep_h / 2, "#2e7d32"))
    width = 960
    svg = (
        f"<svg class='svclab-chains' viewBox='0 0 {width} {height}' width='{width}' style='max-width:100%;"
        f"height:auto' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>{''.join(body)}</svg>"
    )
    caption = (
        f"iptables NAT rules on node {chains.node}. A new connection to the Service jumps to its chain; "
        "the rules there are tried in order, rule i matching with probability 1/(n-i+1) of what is left, "
        "so each endpoint gets an equal share. The chosen chain rewrites the destination to a pod."
    )
    return Diagram(svg, caption)


def kube_proxy_diagram(service: str, namespace: str) -> Diagram:
    """The control loop: the API server, the kube-proxy on every node watching it, and the
    number of endpoint rules each one has written for ``service`` right now."""
    proxies = reads.kube_proxy_pods()
    api_address = reads.api_server_address()
    nets = {n.name: n for n in reads.networks().nodes}
    body = [_ARROW]
    width, row_h = 960, 64
    height = 40 + len(nets) * row_h
    mid = height / 2
    body.append(
        _box(
            10,
            mid - 36,
            190,
            72,
            ["API server", api_address, "Services, EndpointSlices"],
            stroke="#1565c0",
            fill="#e3f2fd",
        )
    )
    for i, node in enumerate(sorted(nets)):
        y = 20 + i * row_h
        proxy = proxies.get(node)
        body.append(_box(290, y, 240, 48, [f"kube-proxy on {node}", proxy or "(none)"], stroke="#455a64"))
        body.append(_arrow(290, y + 24, 200, mid, "#1565c0", "watch" if i == 0 else "", dash=True))
        chains = service_chains(service, namespace, node) if proxy else None
        count = len(chains.endpoints) if chains else 0
        body.append(
            _box(
                620,
                y,
                320,
                48,
                [f"iptables nat on {nets[node].ip}", f"{count} endpoint rules for {namespace}/{service}"],
                stroke="#2e7d32",
                fill="#e8f5e9",
            )
        )
        body.append(_arrow(530, y + 24, 620, y + 24, "#2e7d32", "writes"))
    svg = (
        f"<svg class='svclab-kube-proxy' viewBox='0 0 {width} {height}' width='{width}' style='max-width:100%;"
        f"height:auto' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>{''.join(body)}</svg>"
    )
    caption = (
        "kube-proxy runs on every node (a DaemonSet). It watches the API server for Services and "
        "EndpointSlices and rewrites its node's iptables rules when they change: every node knows every Service."
    )
    return Diagram(svg, caption)
