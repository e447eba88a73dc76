"""One helper per fact the rest of svclab reads from the cluster, and the few acts
every room shares (namespaces, rollouts). Each returns the typed objects of
:mod:`svclab.k8s.objects`; each failure is an svclab error from :mod:`svclab.k8s.api`."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from svclab.constants import SERVICE_NAME_LABEL
from svclab.errors import ClusterError, Forbidden, InvalidInput, NotFound
from svclab.k8s.api import kube
from svclab.k8s.objects import (
    EndpointInfo,
    Networks,
    NodeInfo,
    PodInfo,
    RolloutInfo,
    ServiceInfo,
    SliceInfo,
    StatefulSetInfo,
    endpoints_of,
    label_selector,
)
from svclab.poll import poll


# -- Services and their endpoints ---------------------------------------------------------
def service(name: str, namespace: str) -> ServiceInfo | None:
    k = kube()
    svc = k.get(f"read Service {name} in {namespace}", k.core.read_namespaced_service, name, namespace)
    return ServiceInfo.from_api(svc) if svc is not None else None


def services(namespace: str) -> list[ServiceInfo]:
    k = kube()
    items = k.call(f"list Services in {namespace}", k.core.list_namespaced_service, namespace).items
    return sorted((ServiceInfo.from_api(s) for s in items), key=lambda s: s.name)


def service_names(namespace: str) -> list[str]:
    k = kube()
    items = k.call(f"list Services in {namespace}", k.core.list_namespaced_service, namespace).items
    return sorted(s.metadata.name for s in items)


def all_services() -> list[ServiceInfo]:
    """Every Service of the cluster (needs cluster-wide list rights)."""
    k = kube()
    return [ServiceInfo.from_api(s) for s in k.call("list Services", k.core.list_service_for_all_namespaces).items]


def endpoint_slices(service: str, namespace: str) -> list[Any]:
    k = kube()
    return k.call(
        f"list EndpointSlices of {service} in {namespace}",
        k.discovery.list_namespaced_endpoint_slice,
        namespace,
        label_selector=f"{SERVICE_NAME_LABEL}={service}",
    ).items


def endpoints(service: str, namespace: str) -> tuple[EndpointInfo, ...]:
    """Every endpoint of the Service's EndpointSlices."""
    return endpoints_of(endpoint_slices(service, namespace))


def slices(namespace: str) -> list[SliceInfo]:
    """Every EndpointSlice of the namespace, hand-made ones included."""
    k = kube()
    items = k.call(f"list EndpointSlices in {namespace}", k.discovery.list_namespaced_endpoint_slice, namespace).items
    return sorted((SliceInfo.from_api(s) for s in items), key=lambda s: s.name)


# -- workloads ------------------------------------------------------------------------------
def pods(namespace: str, selector: dict[str, str] | str | None = None) -> list[PodInfo]:
    """Pods of the namespace (matching ``selector``), finished ones left out, sorted by name."""
    k = kube()
    label = selector if isinstance(selector, str) or selector is None else label_selector(selector)
    kwargs = {"label_selector": label} if label else {}
    items = k.call(f"list Pods in {namespace}", k.core.list_namespaced_pod, namespace, **kwargs).items
    found = [PodInfo.from_api(p) for p in items]
    return sorted((p for p in found if not p.finished), key=lambda p: p.name)


def pod(name: str, namespace: str) -> PodInfo | None:
    k = kube()
    found = k.get(f"read Pod {name} in {namespace}", k.core.read_namespaced_pod, name, namespace)
    return PodInfo.from_api(found) if found is not None else None


def serving_pods(namespace: str, selector: dict[str, str] | str) -> dict[str, str]:
    """``{pod name: pod IP}`` of the ready pods matching ``selector`` that are not on their way out."""
    return {p.name: p.ip for p in pods(namespace, selector) if p.serving and p.ip}


def deployment(name: str, namespace: str) -> Any | None:
    k = kube()
    return k.get(f"read Deployment {name} in {namespace}", k.apps.read_namespaced_deployment, name, namespace)


def deployment_names(namespace: str) -> list[str]:
    k = kube()
    items = k.call(f"list Deployments in {namespace}", k.apps.list_namespaced_deployment, namespace).items
    return sorted(d.metadata.name for d in items)


def rollouts(namespace: str) -> list[RolloutInfo]:
    """The namespace's Deployments and StatefulSets, and how far each has rolled out."""
    k = kube()
    found = [
        RolloutInfo.from_api(kind, item)
        for kind, lister in (
            ("Deployment", k.apps.list_namespaced_deployment),
            ("StatefulSet", k.apps.list_namespaced_stateful_set),
        )
        for item in k.call(f"list {kind}s in {namespace}", lister, namespace).items
    ]
    return sorted(found, key=lambda r: (r.kind, r.name))


def statefulset(name: str, namespace: str) -> StatefulSetInfo | None:
    k = kube()
    sts = k.get(f"read StatefulSet {name} in {namespace}", k.apps.read_namespaced_stateful_set, name, namespace)
    return StatefulSetInfo.from_api(sts) if sts is not None else None


def names(kind: str, namespace: str) -> list[str]:
    """Names of the namespace's objects of ``kind`` (service, pod, statefulset, deployment)."""
    k = kube()
    listers = {
        "service": k.core.list_namespaced_service,
        "pod": k.core.list_namespaced_pod,
        "statefulset": k.apps.list_namespaced_stateful_set,
        "deployment": k.apps.list_namespaced_deployment,
    }
    items = k.call(f"list {kind}s in {namespace}", listers[kind], namespace).items
    return sorted(i.metadata.name for i in items)


def rolled_out(name: str, namespace: str) -> bool:
    """The Deployment's newest revision is fully rolled out and every replica is ready."""
    dep = deployment(name, namespace)
    if dep is None or dep.status is None:
        return False
    want = dep.spec.replicas if dep.spec.replicas is not None else 1
    s = dep.status
    return (
        (s.observed_generation or 0) >= dep.metadata.generation
        and (s.updated_replicas or 0) == want
        and (s.ready_replicas or 0) == want
        and (s.replicas or 0) == want
    )


def wait_rolled_out(name: str, namespace: str, timeout: float = 150) -> None:
    poll(
        lambda: rolled_out(name, namespace),
        timeout=timeout,
        every=0.5,
        what=f"Deployment {name} in {namespace} to roll out",
    )


def daemonset_ready(name: str, namespace: str) -> bool:
    """The DaemonSet's newest revision runs, Ready, on every node it is meant for."""
    k = kube()
    ds = k.get(f"read DaemonSet {name} in {namespace}", k.apps.read_namespaced_daemon_set, name, namespace)
    if ds is None or ds.status is None:
        return False
    s = ds.status
    return (
        bool(s.desired_number_scheduled)
        and (s.observed_generation or 0) >= ds.metadata.generation
        and (s.number_ready == s.updated_number_scheduled == s.desired_number_scheduled)
    )


def unready_pods(namespace: str) -> list[PodInfo]:
    return [p for p in pods(namespace) if not p.ready]


def wait_pods_ready(namespace: str, timeout: float = 240) -> None:
    """Every pod of the namespace Ready (finished ones aside); the error names the pods
    still waiting and why."""
    waiting = poll(lambda: unready_pods(namespace), timeout=timeout, every=1.0, until=lambda left: not left)
    if waiting:
        raise pods_not_ready(namespace, waiting, timeout)


def pods_not_ready(namespace: str, waiting: list[PodInfo], timeout: float) -> ClusterError:
    named = ", ".join(f"{p.name} on {p.node or 'no node'} ({p.waiting or p.phase})" for p in waiting[:4])
    return ClusterError(
        f"timed out after {timeout:.0f}s waiting for every pod in {namespace} to be Ready; "
        f"not Ready: {named}{' …' if len(waiting) > 4 else ''}",
        hint=f"`kubectl -n {namespace} describe pod NAME` shows why; `svclab doctor` checks the host",
    )


def wait_pod_ready(name: str, namespace: str, timeout: float = 150) -> None:
    poll(
        lambda: (p := pod(name, namespace)) is not None and p.ready and not p.deleting,
        timeout=timeout,
        every=0.3,
        what=f"Pod {name} in {namespace} to be Ready",
    )


# -- nodes and cluster add-ons ------------------------------------------------------------------
def nodes() -> list[NodeInfo]:
    """The cluster's nodes (needs cluster-wide read rights)."""
    k = kube()
    return sorted((NodeInfo.from_api(n) for n in k.call("list Nodes", k.core.list_node).items), key=lambda n: n.name)


def silent_nodes(max_age: float = 40) -> dict[str, float]:
    """Nodes whose kubelet has not renewed its lease for ``max_age`` seconds, with the seconds
    since it last did: their Ready condition is stale until the node controller notices."""
    k = kube()
    leases = k.call("list node Leases", k.coordination.list_namespaced_lease, "kube-node-lease").items
    now = datetime.now(UTC)
    renewed = {lease.metadata.name: lease.spec.renew_time for lease in leases if lease.spec.renew_time}
    ages = {name: (now - when).total_seconds() for name, when in renewed.items()}
    return {name: age for name, age in ages.items() if age > max_age}


def node_names() -> list[str]:
    return [n.name for n in nodes()]


def load_balancer_pools() -> list[str]:
    """The address blocks MetalLB hands out (``172.18.255.224-172.18.255.254``); empty when
    MetalLB is not installed."""
    k = kube()
    try:
        pools = k.call(
            "list MetalLB pools", k.custom.list_cluster_custom_object, "metallb.io", "v1beta1", "ipaddresspools"
        ).get("items", [])
    except NotFound:  # no MetalLB CRD
        return []
    return [block for p in pools for block in (p.get("spec") or {}).get("addresses", [])]


def in_blocks(ip: str, blocks: Iterable[str]) -> bool:
    """``ip`` lies in one of the address blocks (``a-b`` ranges or CIDRs)."""
    address = ipaddress.ip_address(ip)
    for block in blocks:
        if "-" in block:
            first, last = (ipaddress.ip_address(b.strip()) for b in block.split("-", 1))
            if first.version == address.version and int(first) <= int(address) <= int(last):
                return True
        elif address in ipaddress.ip_network(block, strict=False):
            return True
    return False


def kube_proxy_pods() -> dict[str, str]:
    """``{node: kube-proxy pod}`` for every node that runs one."""
    k = kube()
    items = k.call(
        "list kube-proxy Pods", k.core.list_namespaced_pod, "kube-system", label_selector="k8s-app=kube-proxy"
    ).items
    return {p.spec.node_name: p.metadata.name for p in items if p.spec.node_name}


def api_server_address() -> str:
    """``ip:port`` of the API server, from the ``kubernetes`` Service's EndpointSlice."""
    k = kube()
    api = k.get(
        "read the kubernetes EndpointSlice", k.discovery.read_namespaced_endpoint_slice, "kubernetes", "default"
    )
    if api is None or not api.endpoints:
        return "?"
    return f"{api.endpoints[0].addresses[0]}:{api.ports[0].port if api.ports else 6443}"


def networks() -> Networks:
    """Node IPs and pod CIDRs, the pod network, the Service CIDR, MetalLB's pool and the
    node-port range; a fact that cannot be read (a missing API, no rights) is left generic."""
    k = kube()
    pod_cidr = service_cidr = ""
    node_ports = "30000-32767"  # Kubernetes' default
    config = k.get("read the kube-proxy ConfigMap", k.core.read_namespaced_config_map, "kube-proxy", "kube-system")
    if config is not None:
        found = re.search(r"clusterCIDR:\s*(\S+)", (config.data or {}).get("config.conf", ""))
        pod_cidr = found[1] if found and found[1] not in ('""', "''") else ""
    with suppress(ClusterError):
        cidrs = k.call("list ServiceCIDRs", k.networking.list_service_cidr).items
        service_cidr = ", ".join(c for item in cidrs for c in item.spec.cidrs or [])
    with suppress(ClusterError):
        for p in k.call(
            "list API server Pods", k.core.list_namespaced_pod, "kube-system", label_selector="component=kube-apiserver"
        ).items:
            for arg in p.spec.containers[0].command or []:
                if arg.startswith("--service-node-port-range="):
                    node_ports = arg.split("=", 1)[1]
    return Networks(
        tuple(nodes()),
        pod_cidr or "pod CIDRs per node",
        service_cidr or "service CIDR",
        ", ".join(load_balancer_pools()) or "none",
        node_ports,
    )


NODE_VIEW = ("svclab-system", "app=svclab-nodeview", 10290)


def node_view(node: str, view: str) -> str | None:
    """What svclab-nodeview on ``node`` serves at ``view`` (``iptables-nat``, ``addresses``,
    ``conntrack/<ip>``), through the API server's pod proxy – a GET any student of a class may
    make. None when svclab-nodeview does not run there (a cluster `svclab up` did not make)."""
    namespace, selector, port = NODE_VIEW
    k = kube()
    try:
        pods = k.call(
            "list svclab-nodeview Pods",
            k.core.list_namespaced_pod,
            namespace,
            label_selector=selector,
            field_selector=f"spec.nodeName={node}",
        ).items
    except (NotFound, Forbidden):
        return None
    ready = [p for p in pods if PodInfo.from_api(p).ready]
    if not ready:
        return None
    return str(
        k.call(
            f"read {view} on node {node}",
            k.core.connect_get_namespaced_pod_proxy_with_path,
            f"{ready[0].metadata.name}:{port}",
            namespace,
            view,
        )
    )


def kube_proxy_config() -> str:
    """kube-proxy's configuration file (``config.conf`` of its ConfigMap)."""
    k = kube()
    config = k.call("read the kube-proxy ConfigMap", k.core.read_namespaced_config_map, "kube-proxy", "kube-system")
    return str((config.data or {}).get("config.conf", ""))


def kube_proxy_pod(node: str) -> str:
    """The kube-proxy pod running on ``node`` (it shares the node's network namespace)."""
    k = kube()
    items = k.call(
        "list kube-proxy Pods",
        k.core.list_namespaced_pod,
        "kube-system",
        label_selector="k8s-app=kube-proxy",
        field_selector=f"spec.nodeName={node}",
    ).items
    if items:
        return items[0].metadata.name
    known = node_names()
    if node not in known:
        raise InvalidInput(f"there is no node {node!r}", f"nodes: {', '.join(known)}")
    raise ClusterError(
        f"no kube-proxy pod runs on node {node}", "`kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide`"
    )
