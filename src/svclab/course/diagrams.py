"""How a request crosses the node, cluster and pod networks to a Service's pods
(:func:`network_diagram`), drawn from the live cluster: real node, Service and pod
addresses, real EndpointSlices."""

from __future__ import annotations

from html import escape

from svclab.course.svg import ARROW, COLORS, Diagram, arrow, box, short
from svclab.errors import InvalidInput
from svclab.k8s import nodehost, reads
from svclab.services import describe_service


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
    here = nodehost.node_host()  # where this kernel reaches the control-plane node's node ports
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

    body: list[str] = [ARROW]
    for title, subtitle, lx, lw in lanes:
        muted = title == "node network" and not uses_nodes
        body.append(
            f"<rect x='{lx - 8}' y='6' width='{lw + 16}' height='{height - 10}' rx='8' "
            f"fill='{'#fafafa' if muted else '#f1f6fb'}' stroke='#cfd8dc'/>"
            f"<text x='{lx}' y='24' font-size='12' font-weight='bold' fill='#37474f'>{escape(title)}</text>"
            f"<text x='{lx}' y='40' font-size='10' fill='#607d8b'>{escape(short(subtitle, 36))}</text>"
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
            reached_here = "control-plane" in node and (n is None or n.ip != here)
            node_lines.append(f"{here} : {info.node_port} here" if reached_here else "")
        body.append(
            box(
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
            color = COLORS[state]
            body.append(
                box(
                    pod_x,
                    py,
                    pod_w,
                    pod_h,
                    [short(pod.name, 34), f"{pod.ip or 'no IP'} · {state}"],
                    stroke=color,
                    dash=pod.deleting,
                    cls="svclab-pod",
                )
            )
            if state != "no endpoint":
                target = port.target_port if port else ""
                arrows.append(
                    arrow(
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
            arrows.append(arrow(node_x + node_w, ry + 20, svc_x, mid, "#455a64", dash="control-plane" not in node))

    # the Service
    svc_lines = [
        short(info.name, 24),
        info.type,
        "no virtual IP (headless)" if info.headless else f"{info.cluster_ip}:{port.port if port else ''}",
    ]
    body.append(box(svc_x, svc_y, svc_w, svc_h, svc_lines, stroke="#1565c0", fill="#e3f2fd", cls="svclab-service"))

    # the client and how it enters
    cx, cw = lane["client"]
    if external:
        body.append(box(cx, mid - 24, cw, 48, ["this machine", "curl / svclab.fetch"], stroke=COLORS["client"]))
        if uses_lb:
            lx, lw = lane["load balancer"]
            body.append(
                box(
                    lx,
                    mid - 28,
                    lw,
                    56,
                    ["MetalLB", f"{info.external_ip or '<pending>'}:{port_number}", "announced by a node"],
                    stroke="#00838f",
                    fill="#e0f7fa",
                )
            )
            arrows.append(arrow(cx + cw, mid, lx, mid, COLORS["client"], f":{port_number}"))
            for _node, ry, _ in rows:
                arrows.append(arrow(lx + lw, mid, node_x, ry + 20, "#00838f", dash=True))
        elif uses_nodes:
            published = next((ry for node, ry, _ in rows if "control-plane" in node), rows[0][1])
            arrows.append(arrow(cx + cw, mid, node_x, published + 20, COLORS["client"], f"{here}:{info.node_port}"))
        else:
            arrows.append(arrow(cx + cw, mid, svc_x, mid, "#b71c1c", "no route from outside", dash=True))
    else:
        assert client_pod is not None  # not external
        where = client_pod.node or "?"
        body.append(
            box(
                cx,
                mid - 30,
                cw,
                60,
                [short(client_pod.name, 18), client_pod.ip or "", f"on {short(where, 16)}"],
                stroke=COLORS["client"],
            )
        )
        label = f"{info.name}:{port.port}" if port else info.name
        label = "DNS lookup → pod IPs" if info.headless else label
        arrows.append(arrow(cx + cw, mid, svc_x, mid, COLORS["client"], short(label, 26)))
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
        caption += f" Every node answers on port {info.node_port}; " + (
            "this cluster publishes the node ports of its control-plane node on 127.0.0.1."
            if here == nodehost.LOOPBACK
            else f"this notebook reaches them at the control-plane node's address, {here}."
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
