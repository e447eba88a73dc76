"""What the course's lecture and demo notebooks use: ``from svclab import course``.

- ``session``: ``course.start("lecture-01")`` gives the notebook a fresh namespace of
  its own, ``s.finish()`` deletes it;
- ``waits``: wait for pods, endpoints, kube-proxy rules, external IPs, DNS answers;
- ``display``: ``course.show(result)`` and ``course.fetch(url)`` (curl from this machine);
- ``diagrams``, ``proxy``: SVG drawn from the live cluster (``svg``: its building blocks).

A new lecture helper goes into the module of its kind and is exported here."""

from svclab.constants import DEMO_LABEL
from svclab.course.diagrams import network_diagram
from svclab.course.display import Html, fetch, show
from svclab.course.nodes import conntrack, kube_proxy_settings, node_addresses
from svclab.course.proxy import chains_diagram, kube_proxy_diagram
from svclab.course.session import PREFIX_ENV, Session, namespace_for, start
from svclab.course.svg import Diagram
from svclab.course.waits import (
    pod_ips,
    pod_node,
    resolve,
    wait_for,
    wait_for_endpoints,
    wait_for_external_ip,
    wait_for_pods,
)
from svclab.k8s.objects import Networks
from svclab.k8s.reads import load_balancer_pools, networks
from svclab.kubeproxy import wait_for_service as wait_ready  # the lectures' name for it

__all__ = [
    "DEMO_LABEL",
    "PREFIX_ENV",
    "Diagram",
    "Html",
    "Networks",
    "Session",
    "chains_diagram",
    "conntrack",
    "fetch",
    "kube_proxy_diagram",
    "kube_proxy_settings",
    "load_balancer_pools",
    "namespace_for",
    "network_diagram",
    "networks",
    "node_addresses",
    "pod_ips",
    "pod_node",
    "resolve",
    "show",
    "start",
    "wait_for",
    "wait_for_endpoints",
    "wait_for_external_ip",
    "wait_for_pods",
    "wait_ready",
]
