"""Plain HTML and SVG for the widgets, from the library's dataclasses (no widgets here,
so it is easy to test and to reuse in reports)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING

from svclab.k8s import nodehost

if TYPE_CHECKING:
    from svclab.dns import DnsAnswer, ResolvConf
    from svclab.env import EnvDemo, PodEnv
    from svclab.exposing import ServicePlan
    from svclab.k8s.objects import ServiceInfo
    from svclab.kubeproxy import ServiceChains
    from svclab.services import ServiceView
    from svclab.traffic import Spread

COLORS = {"ready": "#2e7d32", "not ready": "#ef6c00", "no endpoint": "#9e9e9e"}


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], cls: str = "") -> str:
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{escape(h)}</th>" for h in headers)
    cell = "<td style='padding:2px 8px;white-space:nowrap'>{}</td>"
    body = "".join("<tr>" + "".join(cell.format(escape(str(c))) for c in row) + "</tr>" for row in rows)
    return f"<table class='svclab-table {cls}' style='border-collapse:collapse'><tr>{head}</tr>{body}</table>"


def pairs(items: Iterable[tuple[str, object]]) -> str:
    """A two-column key/value table."""
    rows = "".join(
        f"<tr><th style='text-align:left;padding:2px 8px'>{escape(k)}</th>"
        f"<td style='padding:2px 8px'>{escape(str(v))}</td></tr>"
        for k, v in items
    )
    return f"<table class='svclab-table' style='border-collapse:collapse'>{rows}</table>"


def code(text: str, cls: str = "") -> str:
    return (
        f"<pre class='svclab-code {cls}' style='background:#f5f5f5;padding:6px;margin:4px 0;"
        f"white-space:pre-wrap'>{escape(text)}</pre>"
    )


def heading(text: str) -> str:
    return f"<h4 style='margin:8px 0 4px'>{escape(text)}</h4>"


def error(message: str, hint: str | None) -> str:
    hint_html = f"<div class='svclab-hint'><b>hint:</b> {escape(hint)}</div>" if hint else ""
    return (
        f"<div class='svclab-error' style='color:#b71c1c;border-left:4px solid #b71c1c;padding:4px 8px'>"
        f"<b>{escape(message)}</b>{hint_html}</div>"
    )


def note(text: str) -> str:
    return f"<div class='svclab-note' style='color:#555'>{escape(text)}</div>"


# -- expose ------------------------------------------------------------------------------------
def plan(p: ServicePlan) -> str:
    return (
        heading("Equivalent command")
        + code(p.command, "svclab-command")
        + heading("Service YAML")
        + code(p.yaml, "svclab-yaml")
    )


def service_info(info: ServiceInfo) -> str:
    items: list[tuple[str, object]] = [
        ("name", f"{info.namespace}/{info.name}"),
        ("type", info.type),
        ("cluster IP", info.cluster_ip or "-"),
        ("ports", ", ".join(str(p) for p in info.ports) or "-"),
        ("selector", ", ".join(f"{k}={v}" for k, v in info.selector.items()) or "(none)"),
    ]
    if info.type in ("NodePort", "LoadBalancer"):
        items.append(("node port", info.node_port or "-"))
    if info.type == "LoadBalancer":
        items.append(("external IP", info.external_ip or "<pending>"))
    if info.external_name:
        items.append(("external name", info.external_name))
    items += [(f"reach ({where})", url) for where, url in info.urls(nodehost.node_host()).items()]
    return pairs(items)


# -- explorer ----------------------------------------------------------------------------------
def service_view(view: ServiceView) -> str:
    pods = table(
        ["pod", "IP", "node", "ready", "endpoint"],
        [
            (
                p.name + (" (deleting)" if p.deleting else ""),
                p.ip or "-",
                p.node or "-",
                "yes" if p.ready else "no",
                view.pod_state(p),
            )
            for p in view.pods
        ],
        "svclab-pods",
    )
    endpoints = table(
        ["endpoint", "ready", "serving", "terminating", "pod", "node"],
        [
            (e.target, _yes(e.ready), _yes(e.serving), _yes(e.terminating), e.pod or "-", e.node or "-")
            for e in view.endpoints
        ],
        "svclab-endpoints",
    )
    ready = len(view.ready_endpoints)
    return (
        service_info(view.service)
        + heading("Topology")
        + topology_svg(view)
        + heading(f"Pods matching the selector ({len(view.pods)})")
        + pods
        + heading(f"EndpointSlice entries ({ready} ready of {len(view.endpoints)})")
        + endpoints
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def topology_svg(view: ServiceView) -> str:
    """client → Service → pods, grouped in their nodes; pod colour = endpoint state."""
    per_row, pod_w, pod_h = 3, 128, 36
    groups = view.pods_by_node()
    boxes: list[str] = []
    arrows: list[str] = []
    y = 10
    node_x = 330
    for node, pods in groups.items():
        rows = max(1, -(-len(pods) // per_row))
        height = 26 + rows * (pod_h + 8)
        boxes.append(
            f"<rect x='{node_x}' y='{y}' width='{per_row * (pod_w + 8) + 8}' height='{height}' rx='6' "
            f"fill='#fafafa' stroke='#90a4ae'/>"
            f"<text x='{node_x + 8}' y='{y + 16}' font-size='12' fill='#455a64'>node {escape(node)}</text>"
        )
        for i, pod in enumerate(pods):
            px = node_x + 8 + (i % per_row) * (pod_w + 8)
            py = y + 24 + (i // per_row) * (pod_h + 8)
            state = view.pod_state(pod)
            color = COLORS[state]
            dash = " stroke-dasharray='4 3'" if pod.deleting else ""
            boxes.append(
                f"<g class='svclab-pod' data-pod='{escape(pod.name)}' data-state='{state}'>"
                f"<title>{escape(pod.name)} on {escape(node)}: {state}</title>"
                f"<rect x='{px}' y='{py}' width='{pod_w}' height='{pod_h}' rx='4' fill='{color}' fill-opacity='0.15' "
                f"stroke='{color}'{dash}/>"
                f"<text x='{px + 4}' y='{py + 14}' font-size='10'>{escape(_short(pod.name))}</text>"
                f"<text x='{px + 4}' y='{py + 28}' font-size='10' fill='#555'>{escape(pod.ip or 'no IP')} "
                f"{escape(state)}</text></g>"
            )
            if state != "no endpoint":
                style = "" if state == "ready" else " stroke-dasharray='5 4'"
                arrows.append(
                    f"<line x1='250' y1='SVC_Y' x2='{px}' y2='{py + pod_h // 2}' stroke='{color}'"
                    f"{style} marker-end='url(#svclab-arrow)'/>"
                )
        y += height + 10
    height = max(y, 120)
    svc_y = height // 2
    info = view.service
    svc = (
        f"<rect x='130' y='{svc_y - 30}' width='120' height='60' rx='8' fill='#e3f2fd' stroke='#1565c0'/>"
        f"<text x='140' y='{svc_y - 12}' font-size='12' font-weight='bold'>{escape(_short(info.name, 15))}</text>"
        f"<text x='140' y='{svc_y + 4}' font-size='10'>{escape(info.type)}</text>"
        f"<text x='140' y='{svc_y + 18}' font-size='10'>{escape(info.cluster_ip or '-')}</text>"
    )
    client = (
        f"<rect x='10' y='{svc_y - 18}' width='80' height='36' rx='18' fill='#fff' stroke='#555'/>"
        f"<text x='30' y='{svc_y + 4}' font-size='12'>client</text>"
        f"<line x1='90' y1='{svc_y}' x2='130' y2='{svc_y}' stroke='#555' marker-end='url(#svclab-arrow)'/>"
    )
    marker = (
        "<defs><marker id='svclab-arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='6' "
        "markerHeight='6' orient='auto'><path d='M0,0 L10,5 L0,10 z' fill='#555'/></marker></defs>"
    )
    width = node_x + per_row * (pod_w + 8) + 20
    body = marker + client + svc + "".join(a.replace("SVC_Y", str(svc_y)) for a in arrows) + "".join(boxes)
    legend = " ".join(f"<span style='color:{c}'>■ {escape(s)}</span>" for s, c in COLORS.items())
    return (
        f"<svg class='svclab-topology' width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
        f"xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>{body}</svg>"
        f"<div style='font-size:11px'>{legend}</div>"
    )


def _short(name: str, keep: int = 22) -> str:
    return name if len(name) <= keep else "…" + name[-(keep - 1) :]


# -- DNS and env ------------------------------------------------------------------------------
def dns_answer(answer: DnsAnswer, conf: ResolvConf | None = None) -> str:
    parts = [
        pairs(
            [
                ("query", f"{answer.query} {answer.type} (from a pod in {answer.namespace})"),
                ("status", answer.status),
                ("answered name", answer.answered_name or "-"),
                ("time", f"{answer.seconds * 1000:.0f} ms"),
            ]
        )
    ]
    if answer.records:
        parts.append(
            table(
                ["name", "TTL", "type", "data"],
                [(r.name, r.ttl, r.type, r.data) for r in answer.records],
                "svclab-records",
            )
        )
    else:
        parts.append(note("no records"))
    if conf is not None:
        parts.append(heading("The pod's /etc/resolv.conf"))
        parts.append(
            pairs(
                [
                    ("nameserver", ", ".join(conf.nameservers)),
                    ("search", " ".join(conf.search)),
                    ("options", " ".join(conf.options)),
                ]
            )
        )
        parts.append(note(f"names tried for {answer.query!r}, in order: " + ", ".join(conf.candidates(answer.query))))
    return "".join(parts)


def env_table(env: PodEnv, title: str | None = None) -> str:
    rows = list(env.variables.items())
    body = table(["variable", "value"], rows, "svclab-env") if rows else note("no Service variables")
    return heading(title or f"Pod {env.pod}") + body


def env_demo(demo: EnvDemo) -> str:
    svc = demo.service
    return (
        note(f"Pod {demo.before.pod} started before Service {svc.name} existed, pod {demo.after.pod} after it.")
        + "<div style='display:flex;gap:24px'>"
        + f"<div class='svclab-before'>{_env_side(demo.before.pod, 'started before', demo.before_vars)}</div>"
        + f"<div class='svclab-after'>{_env_side(demo.after.pod, 'started after', demo.after_vars)}</div>"
        + "</div>"
    )


def _env_side(pod: str, when: str, variables: dict[str, str]) -> str:
    body = table(["variable", "value"], variables.items()) if variables else note("none: the Service did not exist yet")
    return heading(f"{pod} ({when})") + body


# -- load balancing and kube-proxy ---------------------------------------------------------------
def spread_chart(spread: Spread) -> str:
    """Horizontal bars: replies per pod."""
    counts = dict(spread.counts)
    if spread.errors:
        counts["(failed)"] = spread.errors
    top = max(counts.values(), default=1)
    bar_w, row_h, label_w = 320, 24, 230
    rows = []
    for i, (pod, n) in enumerate(counts.items()):
        y = 6 + i * row_h
        w = max(2, round(bar_w * n / top))
        color = "#c62828" if pod == "(failed)" else "#1565c0"
        share = n / spread.total if spread.total else 0
        rows.append(
            f"<text x='0' y='{y + 15}' font-size='11'>{escape(_short(pod, 34))}</text>"
            f"<rect x='{label_w}' y='{y + 3}' width='{w}' height='{row_h - 8}' fill='{color}'/>"
            f"<text x='{label_w + w + 6}' y='{y + 15}' font-size='11'>{n} ({share:.0%})</text>"
        )
    height = 12 + len(counts) * row_h
    svg = (
        f"<svg class='svclab-spread' width='{label_w + bar_w + 90}' height='{height}' "
        f"xmlns='http://www.w3.org/2000/svg' font-family='sans-serif'>{''.join(rows)}</svg>"
    )
    summary = note(
        f"{spread.total} requests from {spread.source} to {spread.url} in {spread.seconds:.2f} s: "
        f"{len(spread.counts)} pods answered, {spread.errors} failed"
    )
    return summary + svg


def chains(c: ServiceChains) -> str:
    path = " → ".join(["KUBE-SERVICES / KUBE-NODEPORTS", *c.service_chains, "KUBE-SEP-… (DNAT to a pod)"])
    rows = table(
        ["chain", "match", "jumps to", "rule probability", "share of new connections"], c.rows(), "svclab-chains"
    )
    explain = note(
        "Each KUBE-SVC rule is tried in order; rule i matches with its probability among the "
        "connections the rules before it left, so every endpoint gets an equal share."
    )
    return note(f"node {c.node}: {path}") + rows + explain
