"""kube-proxy, drawn from the live cluster: the NAT chains it wrote for a Service on one
node, with each rule's probability (:func:`chains_diagram`), and its control loop over
every node (:func:`kube_proxy_diagram`)."""

from __future__ import annotations

from html import escape

from svclab.course.svg import ARROW, Diagram, arrow, box, short
from svclab.k8s import reads
from svclab.kubeproxy import ServiceChains, service_chains


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
    body = [ARROW]
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
            box(
                x,
                y,
                w,
                40,
                [short(name, 30), f"{chains.namespace}/{chains.service}"],
                stroke="#1565c0",
                fill="#e3f2fd",
            )
        )
    for i, e in enumerate(entries):
        y = top + i * (entry_h + gap)
        x, w = cols["entry"]
        lines = [e.chain, short(e.match, 44)]
        target = svc_pos.get(e.jump)
        if target is None and svc_pos:  # via KUBE-EXT-… (node ports, load balancer IPs)
            target = next(iter(svc_pos.values()))
            lines.append(f"via {short(e.jump, 34)}")
        body.append(box(x, y, w, entry_h, lines))
        if target is not None:
            body.append(arrow(x + w, y + entry_h / 2, cols["svc"][0], target, "#455a64"))
    for i, ep in enumerate(endpoints):
        y = top + i * (sep_h + gap)
        x, w = cols["sep"]
        body.append(box(x, y, w, sep_h, [short(ep.chain, 26), f"{ep.share:.0%} of new connections"], stroke="#2e7d32"))
        start = svc_pos.get(ep.service_chain, top + rows_h / 2)
        body.append(
            arrow(
                cols["svc"][0] + cols["svc"][1], start, x, y + sep_h / 2, "#2e7d32", f"p={ep.probability:.3f}", at=0.62
            )
        )
        dx, dw = cols["dnat"]
        body.append(box(dx, y, dw, sep_h, [ep.endpoint, "pod IP : target port"], stroke="#2e7d32", fill="#e8f5e9"))
        body.append(arrow(x + w, y + sep_h / 2, dx, y + sep_h / 2, "#2e7d32"))
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
    body = [ARROW]
    width, row_h = 960, 64
    height = 40 + len(nets) * row_h
    mid = height / 2
    body.append(
        box(
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
        body.append(box(290, y, 240, 48, [f"kube-proxy on {node}", proxy or "(none)"], stroke="#455a64"))
        body.append(arrow(290, y + 24, 200, mid, "#1565c0", "watch" if i == 0 else "", dash=True))
        chains = service_chains(service, namespace, node) if proxy else None
        count = len(chains.endpoints) if chains else 0
        body.append(
            box(
                620,
                y,
                320,
                48,
                [f"iptables nat on {nets[node].ip}", f"{count} endpoint rules for {namespace}/{service}"],
                stroke="#2e7d32",
                fill="#e8f5e9",
            )
        )
        body.append(arrow(530, y + 24, 620, y + 24, "#2e7d32", "writes"))
    svg = (
        f"<svg class='svclab-kube-proxy' viewBox='0 0 {width} {height}' width='{width}' style='max-width:100%;"
        f"height:auto' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>{''.join(body)}</svg>"
    )
    caption = (
        "kube-proxy runs on every node (a DaemonSet). It watches the API server for Services and "
        "EndpointSlices and rewrites its node's iptables rules when they change: every node knows every Service."
    )
    return Diagram(svg, caption)
