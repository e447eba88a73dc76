"""Showing library results in a lecture cell, drawn as the widgets draw them; and
``fetch``, the lectures' ``curl`` from this machine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from svclab import http
from svclab.dns import DnsAnswer
from svclab.env import EnvDemo, PodEnv
from svclab.errors import InvalidInput
from svclab.exposing import ServicePlan
from svclab.k8s.objects import ServiceInfo
from svclab.kubeproxy import ServiceChains
from svclab.poll import poll
from svclab.services import ServiceView
from svclab.traffic import Spread


class Html:
    """HTML shown as a cell's value."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html


def show(thing: Any) -> Html:
    """A library result drawn as the widgets draw it: a Service view (topology, pods,
    EndpointSlices), a Spread (bar chart), ServiceChains, a DNS answer, an EnvDemo, a PodEnv, a
    ServiceInfo or a ServicePlan."""
    from svclab.widgets import render

    renderers: list[tuple[type, Callable[[Any], str]]] = [
        (ServiceView, render.service_view),
        (Spread, render.spread_chart),
        (ServiceChains, render.chains),
        (DnsAnswer, render.dns_answer),
        (EnvDemo, render.env_demo),
        (PodEnv, render.env_table),
        (ServiceInfo, render.service_info),
        (ServicePlan, render.plan),
    ]
    for kind, fn in renderers:
        if isinstance(thing, kind):
            return Html(fn(thing))
    raise InvalidInput(f"cannot draw a {type(thing).__name__}", "pass a result of an svclab function")


def fetch(url: str, timeout: float = 3, retry_for: float = 15) -> str:
    """GET ``url`` from this machine (what ``curl`` does) and return the reply, retrying for
    ``retry_for`` seconds while nothing answers (a new node port or LoadBalancer IP takes a
    moment). Only the cluster's own addresses are allowed: node ports (on 127.0.0.1 or a node's IP,
    see :func:`svclab.node_host`) and MetalLB's pool."""
    http.cluster_address(url)

    def attempt() -> str | http.NoAnswer:
        try:
            return http.get(url, timeout)
        except http.NoAnswer as exc:
            return exc

    reply = poll(attempt, timeout=retry_for, every=0.5, until=lambda r: isinstance(r, str))
    if isinstance(reply, http.NoAnswer):
        raise reply
    return reply
