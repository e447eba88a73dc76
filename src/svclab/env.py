"""The ``<SVC>_SERVICE_HOST`` / ``_PORT`` variables the kubelet puts into a pod's
environment for every Service that exists when the pod starts – and the
before/after demonstration that shows they are fixed at start."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from svclab.constants import ROLE_LABEL
from svclab.errors import InvalidInput
from svclab.exposing import expose
from svclab.k8s import reads
from svclab.k8s.api import kube
from svclab.k8s.objects import ServiceInfo
from svclab.poll import poll
from svclab.services import delete_service
from svclab.toolbox import start_toolbox


# -- environment variables --------------------------------------------------------------
@dataclass(frozen=True)
class PodEnv:
    """The Service variables the kubelet put into a pod's environment when it started."""

    pod: str
    namespace: str
    variables: dict[str, str] = field(default_factory=dict)

    def for_service(self, service: str) -> dict[str, str]:
        prefix = env_prefix(service)
        return {
            k: v
            for k, v in self.variables.items()
            if k.startswith(f"{prefix}_SERVICE_") or k == f"{prefix}_PORT" or k.startswith(f"{prefix}_PORT_")
        }


def env_prefix(service: str) -> str:
    """``hello-world`` → ``HELLO_WORLD`` (the variables' prefix)."""
    return service.upper().replace("-", "_")


def parse_env(text: str) -> dict[str, str]:
    """`env` output → dict (lines without '=' continue the previous value)."""
    env: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            env[key] = value
            last = key
        elif last is not None:
            env[last] += "\n" + line
    return env


def service_variables(env: dict[str, str]) -> dict[str, str]:
    """Only the Service variables (``X_SERVICE_HOST``, ``X_SERVICE_PORT*``, ``X_PORT*``)."""
    prefixes = {k.removesuffix("_SERVICE_HOST") for k in env if k.endswith("_SERVICE_HOST")}
    return dict(
        sorted(
            (k, v)
            for k, v in env.items()
            if any(k.startswith(f"{p}_SERVICE_") or k == f"{p}_PORT" or k.startswith(f"{p}_PORT_") for p in prefixes)
        )
    )


def pod_env(pod: str, namespace: str = "default") -> PodEnv:
    """The Service variables in a running pod's environment (needs `env` in its image)."""
    found = reads.pod(pod, namespace)
    if found is None:
        raise InvalidInput(f"there is no Pod {pod!r} in namespace {namespace!r}")
    result = kube().exec(pod, namespace, ["env"], container=found.containers[0] if found.containers else None)
    if result.returncode != 0:
        raise InvalidInput(
            f"cannot run `env` in Pod {pod}: {result.stderr.strip()[:200]}",
            "its image has no `env` program (hello-app is a single binary): "
            "look at a toolbox pod, e.g. svclab.probe_pod(namespace)",
        )
    return PodEnv(pod, namespace, service_variables(parse_env(result.stdout)))


@dataclass(frozen=True)
class EnvDemo:
    """A pod started before a Service and one started after, and their variables for it."""

    service: ServiceInfo
    before: PodEnv
    after: PodEnv

    @property
    def before_vars(self) -> dict[str, str]:
        return self.before.for_service(self.service.name)

    @property
    def after_vars(self) -> dict[str, str]:
        return self.after.for_service(self.service.name)


def env_demo(
    service: str = "env-demo",
    deployment: str = "hello-world",
    port: int = 80,
    target_port: int = 8080,
    namespace: str = "default",
    timeout: float = 90,
) -> EnvDemo:
    """Start a pod, then expose ``deployment`` as ``service``, then start another pod: only the
    second gets ``<SERVICE>_SERVICE_HOST`` – variables are fixed when a container starts."""
    k = kube()
    role = f"env-demo-{service}"
    k.call(
        "delete old demo Pods",
        k.core.delete_collection_namespaced_pod,
        namespace,
        label_selector=f"{ROLE_LABEL}={role}",
        grace_period_seconds=0,
    )
    delete_service(service, namespace)
    poll(lambda: reads.service(service, namespace) is None, timeout=timeout, what=f"old Service {service} to go away")
    suffix = uuid.uuid4().hex[:4]
    before = start_toolbox(f"{service}-before-{suffix}", namespace, role, timeout)
    info = expose(deployment, port, target_port, name=service, namespace=namespace)
    after = start_toolbox(f"{service}-after-{suffix}", namespace, role, timeout)
    return EnvDemo(info, pod_env(before, namespace), pod_env(after, namespace))
