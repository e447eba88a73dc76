"""Services: plan and create them (with the equivalent kubectl command and YAML),
and inspect what one is made of – ports, selector, matching pods, EndpointSlices."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

import yaml

from svclab.errors import Forbidden, InvalidInput
from svclab.k8s import reads
from svclab.k8s.api import kube
from svclab.k8s.objects import EndpointInfo, PodInfo, ServiceInfo
from svclab.poll import poll
from svclab.settings import NODE_PORT_RANGE

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")  # DNS-1035: Service names
_DNS_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?$")
_PORT_NAME = re.compile(r"^(?=.{1,15}$)(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # IANA_SVC_NAME
NODE_PORTS = f"{NODE_PORT_RANGE.start}-{NODE_PORT_RANGE.stop - 1}"


# -- results -----------------------------------------------------------------------
@dataclass(frozen=True)
class ServicePlan:
    """What would be created: the equivalent kubectl command and the Service manifest."""

    name: str
    namespace: str
    command: str
    manifest: dict[str, Any]

    @property
    def yaml(self) -> str:
        return yaml.safe_dump(self.manifest, sort_keys=False)


# -- expose ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ExposeSpec:
    """The inputs of `kubectl expose deployment …`, checked without the cluster."""

    deployment: str
    port: int
    target_port: int | str | None = None
    type: str = "ClusterIP"
    name: str | None = None
    node_port: int | None = None
    port_name: str | None = None
    headless: bool = False
    namespace: str = "default"

    @property
    def service_name(self) -> str:
        return self.name or self.deployment

    @property
    def target(self) -> int | str:
        if self.target_port in (None, ""):
            return self.port
        text = str(self.target_port)
        return int(text) if text.isdigit() else text

    def validate(self) -> None:
        """Raise InvalidInput for anything the API server or the course cluster would refuse."""
        if self.type not in SERVICE_TYPES:
            hint = (
                "an ExternalName Service has no pods: use svclab.create_external_name(...)"
                if self.type == "ExternalName"
                else f"choose one of {', '.join(SERVICE_TYPES)}"
            )
            raise InvalidInput(f"`kubectl expose` cannot make a Service of type {self.type!r}", hint)
        if not _DNS_LABEL.match(self.service_name):
            raise InvalidInput(
                f"{self.service_name!r} is not a valid Service name",
                "use lower-case letters, digits and '-', starting with a letter, at most 63",
            )
        _check_port("port", self.port)
        target = self.target
        if isinstance(target, int):
            _check_port("target port", target)
        elif not _PORT_NAME.match(target):
            raise InvalidInput(
                f"target port {target!r} is neither a number nor a port name",
                "give the container's port number (e.g. 8080) or the name of a named port",
            )
        if self.port_name is not None and not _PORT_NAME.match(self.port_name):
            raise InvalidInput(
                f"{self.port_name!r} is not a valid port name",
                "at most 15 lower-case letters, digits and '-', with at least one letter",
            )
        if self.node_port is not None:
            if self.type == "ClusterIP":
                raise InvalidInput(
                    "a node port needs type NodePort or LoadBalancer",
                    "set the type to NodePort, or leave the node port empty",
                )
            if self.node_port not in NODE_PORT_RANGE:
                raise InvalidInput(
                    f"node port {self.node_port} is outside this cluster's range {NODE_PORTS}",
                    f"pick a port in {NODE_PORTS} (each is published on 127.0.0.1), "
                    "or leave it empty and let Kubernetes choose",
                )
        if self.headless and self.type != "ClusterIP":
            raise InvalidInput(
                "only a ClusterIP Service can be headless (clusterIP: None)", "set the type to ClusterIP"
            )

    def port_spec(self) -> dict[str, Any]:
        port: dict[str, Any] = {"name": self.port_name} if self.port_name else {}
        port |= {"port": self.port, "protocol": "TCP", "targetPort": self.target}
        return port | ({"nodePort": self.node_port} if self.node_port else {})

    def manifest(self, selector: dict[str, str], labels: dict[str, str]) -> dict[str, Any]:
        """The Service that `command()` creates for a Deployment with this selector and labels."""
        spec: dict[str, Any] = {"type": self.type}
        if self.headless:
            spec["clusterIP"] = "None"
        spec |= {"selector": dict(selector), "ports": [self.port_spec()]}
        metadata = {"name": self.service_name, "namespace": self.namespace, "labels": dict(labels)}
        return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}

    def command(self) -> str:
        """The `kubectl expose` command line that creates the same Service."""
        args = ["kubectl", "expose", "deployment", self.deployment]
        if self.name:
            args.append(f"--name={self.name}")
        args += [f"--port={self.port}", f"--target-port={self.target}", f"--type={self.type}"]
        if self.headless:
            args.append("--cluster-ip=None")
        if self.node_port or self.port_name:  # expose has no flags for these: override the port
            override = {"spec": {"ports": [self.port_spec()]}}
            args.append(f"--overrides={json.dumps(override, separators=(',', ':'))}")
        args.append(f"--namespace={self.namespace}")
        return shlex.join(args)


def _check_port(what: str, port: object) -> None:
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise InvalidInput(f"{what} {port!r} is out of range", f"a {what} is a number from 1 to 65535")


def plan_expose(
    deployment: str,
    port: int,
    target_port: int | str | None = None,
    type: str = "ClusterIP",
    name: str | None = None,
    node_port: int | None = None,
    port_name: str | None = None,
    headless: bool = False,
    namespace: str = "default",
) -> ServicePlan:
    """Check the inputs against the cluster and return the command and YAML, changing nothing."""
    spec = ExposeSpec(deployment, port, target_port, type, name, node_port, port_name, headless, namespace)
    spec.validate()
    dep = reads.deployment(deployment, namespace)
    if dep is None:
        names = deployment_names(namespace)
        raise InvalidInput(
            f"there is no Deployment {deployment!r} in namespace {namespace!r}",
            f"Deployments there: {', '.join(names)}"
            if names
            else f"namespace {namespace!r} has no Deployments: create one first",
        )
    selector = dep.spec.selector
    if selector.match_expressions or not selector.match_labels:
        raise InvalidInput(
            f"Deployment {deployment} selects pods with expressions, which expose cannot copy",
            "write the Service YAML yourself with a label selector",
        )
    if reads.service(spec.service_name, namespace) is not None:
        raise InvalidInput(
            f"Service {spec.service_name!r} already exists in namespace {namespace!r}",
            "choose another name, or delete it first: svclab.delete_service(name, namespace)",
        )
    if type != "ClusterIP":
        _check_node_ports(node_port)
    if type == "LoadBalancer" and not load_balancer_available():
        raise InvalidInput(
            "this cluster has no LoadBalancer implementation: the external IP would stay <pending>",
            "use type NodePort, or install MetalLB with an IPAddressPool (`svclab up` does)",
        )
    return ServicePlan(
        spec.service_name, namespace, spec.command(), spec.manifest(selector.match_labels, dep.metadata.labels or {})
    )


def _check_node_ports(wanted: int | None) -> None:
    """Refuse a node port that is taken, or any when the small course range is full."""
    try:
        services = reads.all_services()
    except Forbidden:  # a student's kubeconfig sees one namespace: the API server will judge
        return
    used = {p.node_port: f"{s.namespace}/{s.name}" for s in services for p in s.ports if p.node_port}
    if wanted is not None and wanted in used:
        raise InvalidInput(
            f"node port {wanted} is already used by Service {used[wanted]}",
            "pick another port, or leave it empty and let Kubernetes choose",
        )
    if wanted is None and all(p in used for p in NODE_PORT_RANGE):
        raise InvalidInput(
            f"all node ports {NODE_PORTS} are in use (NodePort and LoadBalancer Services take one)",
            "delete a NodePort or LoadBalancer Service you no longer need",
        )


def load_balancer_available() -> bool:
    """True when something hands out LoadBalancer IPs: a MetalLB address pool, or a cloud provider."""
    k = kube()
    try:
        if reads.load_balancer_pools():
            return True
        nodes = k.call("list Nodes", k.core.list_node).items
    except Forbidden:  # cannot tell: let the cluster decide
        return True
    return any(n.spec.provider_id and not n.spec.provider_id.startswith("kind://") for n in nodes)


def plan_external_name(name: str, external_name: str, namespace: str = "default") -> ServicePlan:
    """An ExternalName Service: a DNS CNAME from ``name`` to ``external_name``, no pods, no proxying."""
    if not _DNS_LABEL.match(name):
        raise InvalidInput(
            f"{name!r} is not a valid Service name", "use lower-case letters, digits and '-', starting with a letter"
        )
    if not _DNS_NAME.match(external_name):
        raise InvalidInput(f"{external_name!r} is not a DNS name", "e.g. hello-world.default.svc.cluster.local")
    if reads.service(name, namespace) is not None:
        raise InvalidInput(
            f"Service {name!r} already exists in namespace {namespace!r}", "choose another name, or delete it first"
        )
    command = shlex.join(
        [
            "kubectl",
            "create",
            "service",
            "externalname",
            name,
            f"--external-name={external_name}",
            f"--namespace={namespace}",
        ]
    )
    manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {"type": "ExternalName", "externalName": external_name, "selector": {"app": name}},
    }
    return ServicePlan(name, namespace, command, manifest)


def apply_plan(plan: ServicePlan, wait_external_ip: float = 30) -> ServiceInfo:
    """Create the planned Service; for a LoadBalancer wait up to ``wait_external_ip`` s for
    its IP (the result has ``external_ip=None`` if it is still pending)."""
    k = kube()
    svc = k.call(
        f"create Service {plan.name} in {plan.namespace}",
        k.core.create_namespaced_service,
        plan.namespace,
        plan.manifest,
    )
    info = ServiceInfo.from_api(svc)
    if info.type != "LoadBalancer":
        return info
    return poll(
        lambda: reads.service(plan.name, plan.namespace) or info,
        timeout=wait_external_ip,
        every=0.3,
        until=lambda i: i.external_ip is not None,
    )


def expose(
    deployment: str,
    port: int,
    target_port: int | str | None = None,
    type: str = "ClusterIP",
    name: str | None = None,
    node_port: int | None = None,
    port_name: str | None = None,
    headless: bool = False,
    namespace: str = "default",
) -> ServiceInfo:
    """`kubectl expose deployment …`: check, create the Service, and return its addresses."""
    return apply_plan(plan_expose(deployment, port, target_port, type, name, node_port, port_name, headless, namespace))


def create_external_name(name: str, external_name: str, namespace: str = "default") -> ServiceInfo:
    return apply_plan(plan_external_name(name, external_name, namespace))


def delete_service(name: str, namespace: str = "default") -> bool:
    """Delete a Service; False when there was none."""
    if reads.service(name, namespace) is None:
        return False
    k = kube()
    k.call(f"delete Service {name} in {namespace}", k.core.delete_namespaced_service, name, namespace)
    return True


# -- inspect ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ServiceView:
    """Everything a Service is made of, read at one moment."""

    service: ServiceInfo
    pods: tuple[PodInfo, ...]
    endpoints: tuple[EndpointInfo, ...]
    nodes: tuple[str, ...] = ()

    @property
    def ready_endpoints(self) -> tuple[EndpointInfo, ...]:
        return tuple(e for e in self.endpoints if e.ready)

    def pod_state(self, pod: PodInfo) -> str:
        """'ready' (receives traffic), 'not ready' (in the slice, skipped) or 'no endpoint'."""
        mine = [e for e in self.endpoints if e.pod == pod.name]
        if not mine:
            return "no endpoint"
        return "ready" if any(e.ready for e in mine) else "not ready"

    def pods_by_node(self) -> dict[str, list[PodInfo]]:
        """Matched pods grouped by node; every node of the cluster appears, even without pods."""
        grouped: dict[str, list[PodInfo]] = {n: [] for n in self.nodes}
        for pod in self.pods:
            grouped.setdefault(pod.node or "(not scheduled)", []).append(pod)
        return grouped

    def signature(self) -> tuple[object, ...]:
        """Changes whenever something a viewer shows changes (for watching)."""
        return (self.service, self.pods, self.endpoints)


def require_service(name: str, namespace: str = "default") -> ServiceInfo:
    """The Service, or InvalidInput that lists the Services the namespace does have."""
    info = reads.service(name, namespace)
    if info is None:
        names = service_names(namespace)
        raise InvalidInput(
            f"there is no Service {name!r} in namespace {namespace!r}",
            f"Services there: {', '.join(names)}" if names else "create one with svclab.expose(...)",
        )
    return info


def describe_service(name: str, namespace: str = "default") -> ServiceView:
    """Read a Service, the pods its selector matches, and its EndpointSlices."""
    info = require_service(name, namespace)
    pods = reads.pods(namespace, info.selector) if info.selector else []
    try:
        nodes = reads.node_names()
    except Forbidden:  # a student sees no nodes: those of the pods will do
        nodes = [p.node for p in pods if p.node]
    return ServiceView(info, tuple(pods), reads.endpoints(name, namespace), tuple(sorted(set(nodes))))


def wait_for_endpoints(
    name: str, namespace: str = "default", ready: int | None = None, timeout: float = 60
) -> ServiceView:
    """Poll until the Service has ``ready`` ready endpoints per port; by default until it has
    converged: every matched pod ready, none on its way out, and each one a ready endpoint."""

    def settled() -> ServiceView | None:
        view = describe_service(name, namespace)
        ports = max(1, len(view.service.ports))
        if ready is not None:
            return view if len(view.ready_endpoints) == ready * ports else None
        converged = all(p.ready and not p.deleting for p in view.pods)
        return view if converged and len(view.ready_endpoints) == len(view.pods) * ports else None

    return poll(settled, timeout=timeout, what=f"the endpoints of Service {name} to settle")


def scale(deployment: str, replicas: int, namespace: str = "default") -> None:
    """Set a Deployment's replica count (what `kubectl scale` does)."""
    if not isinstance(replicas, int) or not 0 <= replicas <= 20:
        raise InvalidInput(f"{replicas!r} replicas is out of range", "this small cluster takes 0 to 20 replicas")
    k = kube()
    if reads.deployment(deployment, namespace) is None:
        raise InvalidInput(f"there is no Deployment {deployment!r} in namespace {namespace!r}")
    k.call(
        f"scale Deployment {deployment}",
        k.apps.patch_namespaced_deployment_scale,
        deployment,
        namespace,
        {"spec": {"replicas": replicas}},
    )


def kill_pod(name: str, namespace: str = "default", grace_seconds: int = 1) -> None:
    """Delete a pod as a crash would; its Deployment starts a replacement."""
    k = kube()
    if reads.pod(name, namespace) is None:
        raise InvalidInput(f"there is no Pod {name!r} in namespace {namespace!r}")
    k.call(f"delete Pod {name}", k.core.delete_namespaced_pod, name, namespace, grace_period_seconds=grace_seconds)


def service_names(namespace: str = "default") -> list[str]:
    return reads.service_names(namespace)


def deployment_names(namespace: str = "default") -> list[str]:
    return reads.deployment_names(namespace)
