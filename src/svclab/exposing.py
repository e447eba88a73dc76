"""Creating Services the way `kubectl expose` and `kubectl create service externalname` do:
check the inputs against the course cluster first, show the equivalent command and YAML
(a :class:`ServicePlan`), then create it."""

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
from svclab.k8s.objects import ServiceInfo
from svclab.poll import poll
from svclab.settings import port_span, settings

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")  # DNS-1035: Service names
_DNS_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?$")
_PORT_NAME = re.compile(r"^(?=.{1,15}$)(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # IANA_SVC_NAME


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
            if self.node_port not in (ports := settings().node_ports):
                raise InvalidInput(
                    f"node port {self.node_port} is outside this cluster's range {port_span(ports)}",
                    f"pick a port in {port_span(ports)} (each is published on 127.0.0.1), "
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
        names = reads.deployment_names(namespace)
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
    ports = settings().node_ports
    if wanted is None and all(p in used for p in ports):
        raise InvalidInput(
            f"all node ports {port_span(ports)} are in use (NodePort and LoadBalancer Services take one)",
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
