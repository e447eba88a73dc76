"""Typed, frozen views of the API objects svclab reads, and their parsers.

Every room judges these, never raw JSON: the library and widgets show them, the
lab checks compare them with what a task asks. ``from_api`` takes the official
client's objects; the parsers are pure, so tests feed them recorded data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from svclab.constants import MANAGED_BY_LABEL, SERVICE_NAME_LABEL, SLICE_CONTROLLER
from svclab.settings import settings


def label_selector(labels: dict[str, str]) -> str:
    """``{"run": "web", "tier": "a"}`` → ``"run=web,tier=a"``."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


@dataclass(frozen=True)
class PortInfo:
    port: int
    target_port: int | str
    protocol: str = "TCP"
    name: str | None = None
    node_port: int | None = None

    def __str__(self) -> str:
        text = f"{self.port}→{self.target_port}/{self.protocol}"
        text = f"{self.name}: {text}" if self.name else text
        return f"{text} (node port {self.node_port})" if self.node_port else text


@dataclass(frozen=True)
class ServiceInfo:
    """A Service's spec and status, flattened."""

    name: str
    namespace: str
    type: str
    cluster_ip: str | None
    ports: tuple[PortInfo, ...] = ()
    selector: dict[str, str] = field(default_factory=dict)
    external_ip: str | None = None
    external_name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    created: str = ""  # creation time, ISO 8601
    local_traffic: bool = False  # externalTrafficPolicy: Local – only nodes with a pod answer

    @property
    def headless(self) -> bool:
        return self.cluster_ip == "None"

    @property
    def node_port(self) -> int | None:
        return next((p.node_port for p in self.ports if p.node_port), None)

    @property
    def dns_name(self) -> str:
        return f"{self.name}.{self.namespace}.svc.cluster.local"

    def port(self, number: int) -> PortInfo | None:
        """The Service port ``number`` (what clients connect to), if it has one."""
        return next((p for p in self.ports if p.port == number), None)

    def urls(self, node_host: str) -> dict[str, str]:
        """Where to reach the first port: from a pod, from this kernel via the node at
        ``node_host`` (:func:`svclab.node_host`), via the LB IP."""
        if not self.ports:
            return {}
        port = self.ports[0]
        urls = {"in cluster": f"http://{self.name}.{self.namespace}:{port.port}/"}
        if port.node_port in settings().node_ports:
            urls["node port"] = f"http://{node_host}:{port.node_port}/"
        if self.external_ip:
            urls["load balancer"] = f"http://{self.external_ip}:{port.port}/"
        return urls

    @classmethod
    def from_api(cls, svc: Any) -> ServiceInfo:
        ingress = (svc.status.load_balancer.ingress or []) if svc.status and svc.status.load_balancer else []
        created = svc.metadata.creation_timestamp
        return cls(
            name=svc.metadata.name,
            namespace=svc.metadata.namespace,
            type=svc.spec.type,
            cluster_ip=svc.spec.cluster_ip,
            ports=tuple(
                PortInfo(
                    p.port,
                    p.target_port if p.target_port is not None else p.port,
                    p.protocol or "TCP",
                    p.name or None,
                    p.node_port,
                )
                for p in svc.spec.ports or []
            ),
            selector=dict(svc.spec.selector or {}),
            external_ip=next((i.ip or i.hostname for i in ingress if i.ip or i.hostname), None),
            external_name=svc.spec.external_name,
            labels=dict(svc.metadata.labels or {}),
            created=created.isoformat() if created else "",
            local_traffic=svc.spec.external_traffic_policy == "Local",
        )


@dataclass(frozen=True)
class PodInfo:
    name: str
    ip: str | None
    node: str | None
    phase: str
    ready: bool
    deleting: bool = False
    host_ip: str | None = None
    labels: dict[str, str] = field(default_factory=dict, compare=False)
    containers: tuple[str, ...] = field(default=(), compare=False)
    started: str = field(default="", compare=False)  # start time, ISO 8601
    waiting: str = ""  # why it does not run: a container's waiting reason, or Unschedulable

    @property
    def stuck(self) -> bool:
        """It will not become ready by waiting (a bad image, a crashing container, no room)."""
        return self.waiting in STUCK

    @property
    def serving(self) -> bool:
        """Ready, and not on its way out: what a Service sends traffic to."""
        return self.ready and not self.deleting and bool(self.ip)

    @property
    def finished(self) -> bool:
        return self.phase in ("Succeeded", "Failed")

    @classmethod
    def from_api(cls, pod: Any) -> PodInfo:
        started = pod.status.start_time
        return cls(
            pod.metadata.name,
            pod.status.pod_ip,
            pod.spec.node_name,
            pod.status.phase or "Unknown",
            pod_ready(pod),
            pod.metadata.deletion_timestamp is not None,
            pod.status.host_ip,
            dict(pod.metadata.labels or {}),
            tuple(c.name for c in pod.spec.containers or []),
            started.isoformat() if started else "",
            _waiting_reason(pod),
        )


#: waiting reasons of a pod that waiting will not cure
STUCK = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "Unschedulable",
    }
)


def _waiting_reason(pod: Any) -> str:
    status = pod.status
    for c in (status.container_statuses if status else None) or []:
        if c.state and c.state.waiting and c.state.waiting.reason:
            return str(c.state.waiting.reason)
    for cond in (status.conditions if status else None) or []:
        if cond.type == "PodScheduled" and cond.status == "False" and cond.reason:
            return str(cond.reason)
    return ""


def pod_ready(pod: Any) -> bool:
    """The pod's Ready condition is True (the one definition of a ready pod)."""
    return pod is not None and any(
        c.type == "Ready" and c.status == "True" for c in (pod.status.conditions if pod.status else None) or []
    )


@dataclass(frozen=True)
class RolloutInfo:
    """A Deployment or StatefulSet: the replicas it wants, how many are ready, and whether
    its newest revision has fully rolled out."""

    kind: str
    name: str
    want: int
    ready: int
    done: bool
    selector: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def from_api(cls, kind: str, obj: Any) -> RolloutInfo:
        want = obj.spec.replicas if obj.spec.replicas is not None else 1
        s = obj.status
        ready = (s.ready_replicas or 0) if s else 0
        done = bool(s) and (s.observed_generation or 0) >= obj.metadata.generation and ready == want
        if kind == "Deployment" and s:  # and no replica of an older revision is left
            done = done and (s.updated_replicas or 0) == want and (s.replicas or 0) == want
        labels = (obj.spec.selector.match_labels if obj.spec.selector else None) or {}
        return cls(kind, obj.metadata.name, want, ready, done, dict(labels))


@dataclass(frozen=True)
class EndpointInfo:
    """One address:port of an EndpointSlice and its conditions."""

    address: str
    port: int | None
    port_name: str | None
    ready: bool
    serving: bool
    terminating: bool
    pod: str | None
    node: str | None

    @property
    def target(self) -> str:
        return f"{self.address}:{self.port}" if self.port else self.address


@dataclass(frozen=True)
class SliceInfo:
    """One EndpointSlice: who made it, which Service it belongs to, its ports and endpoints."""

    name: str
    service: str | None  # its kubernetes.io/service-name label
    managed_by: str | None
    ports: tuple[tuple[str, int | None], ...]  # (name, port); "" for an unnamed port
    endpoints: tuple[EndpointInfo, ...]
    crowded: int = 0  # how many of its endpoints list more than one address

    @property
    def hand_made(self) -> bool:
        """Not written by the EndpointSlice controller (a Service without selector needs such a one)."""
        return self.managed_by != SLICE_CONTROLLER

    @property
    def addresses(self) -> set[str]:
        return {e.address for e in self.endpoints}

    @classmethod
    def from_api(cls, s: Any) -> SliceInfo:
        labels = s.metadata.labels or {}
        ports = tuple((p.name or "", p.port) for p in s.ports or [])
        crowded = sum(len(e.addresses or []) > 1 for e in s.endpoints or [])
        return cls(
            s.metadata.name,
            labels.get(SERVICE_NAME_LABEL),
            labels.get(MANAGED_BY_LABEL),
            ports,
            slice_endpoints(s),
            crowded,
        )


def slice_endpoints(s: Any) -> tuple[EndpointInfo, ...]:
    """Each address × port of one EndpointSlice; a missing ``ready`` condition means ready."""
    found = []
    ports = [(p.port, p.name or None) for p in s.ports or []] or [(None, None)]
    for e in s.endpoints or []:
        c = e.conditions
        ready = bool(c.ready) if c and c.ready is not None else True
        serving = bool(c.serving) if c and c.serving is not None else ready
        terminating = bool(c and c.terminating)
        pod = e.target_ref.name if e.target_ref and e.target_ref.kind == "Pod" else None
        for address in e.addresses:
            for port, port_name in ports:
                found.append(EndpointInfo(address, port, port_name, ready, serving, terminating, pod, e.node_name))
    return tuple(found)


def endpoints_of(slices: list[Any]) -> tuple[EndpointInfo, ...]:
    """The endpoints of all of a Service's EndpointSlices, in a stable order."""
    found = [e for s in slices for e in slice_endpoints(s)]
    return tuple(sorted(found, key=lambda e: (e.pod or "", e.address, e.port or 0)))


@dataclass(frozen=True)
class StatefulSetInfo:
    name: str
    replicas: int
    ready_replicas: int
    service_name: str | None
    selector: dict[str, str]

    @classmethod
    def from_api(cls, sts: Any) -> StatefulSetInfo:
        spec, status = sts.spec, sts.status
        replicas = spec.replicas if spec.replicas is not None else 1
        return cls(
            sts.metadata.name,
            replicas,
            (status.ready_replicas or 0) if status else 0,
            spec.service_name or None,
            dict(spec.selector.match_labels or {}),
        )


@dataclass(frozen=True)
class NodeInfo:
    name: str
    roles: tuple[str, ...]
    ready: bool
    ip: str  # the node's InternalIP
    pod_cidr: str = ""
    images: frozenset[str] = frozenset()  # every name and tag of the images the node holds

    @classmethod
    def from_api(cls, node: Any) -> NodeInfo:
        labels = node.metadata.labels or {}
        roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")) or ["worker"]
        ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        addresses = {a.type: a.address for a in node.status.addresses or []}
        images = frozenset(name for image in node.status.images or [] for name in image.names or [])
        return cls(
            node.metadata.name, tuple(roles), ready, addresses.get("InternalIP", ""), node.spec.pod_cidr or "", images
        )


@dataclass(frozen=True)
class Networks:
    """The three networks of the outline's diagrams, as this cluster has them."""

    nodes: tuple[NodeInfo, ...]
    pod_cidr: str  # the whole pod network (kube-proxy's clusterCIDR)
    service_cidr: str  # where ClusterIPs come from
    load_balancer_pool: str
    node_ports: str = "30000-32767"  # the API server's --service-node-port-range
