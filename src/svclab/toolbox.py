"""The toolbox pod: where svclab asks DNS, sends HTTP requests and reads the
environment from inside the cluster, as a program there would. One per namespace
(``toolbox``), created on first use and reused by lectures, widgets and lab checks."""

from __future__ import annotations

from svclab.constants import ROLE_LABEL, TOOLBOX_POD
from svclab.errors import InvalidInput
from svclab.k8s import manifests, reads
from svclab.k8s.api import ExecResult, kube
from svclab.poll import poll


def start_toolbox(name: str, namespace: str = "default", role: str = "probe", timeout: float = 90) -> str:
    """Create a toolbox pod (or reuse a running one of that name) and wait until it is Ready."""
    k = kube()
    pod = reads.pod(name, namespace)
    if pod is not None and ROLE_LABEL not in pod.labels:
        raise InvalidInput(
            f"Pod {name!r} in namespace {namespace!r} is not an svclab toolbox pod",
            "delete it, or pick another namespace",
        )
    if pod is not None and (pod.deleting or pod.finished):
        k.call(f"delete Pod {name}", k.core.delete_namespaced_pod, name, namespace, grace_period_seconds=0)
        poll(lambda: reads.pod(name, namespace) is None, timeout=timeout, what=f"old Pod {name} to go away")
        pod = None
    if pod is None:
        k.call(
            f"create Pod {name} in {namespace}",
            k.core.create_namespaced_pod,
            namespace,
            manifests.toolbox(name, namespace, role),
        )
    reads.wait_pod_ready(name, namespace, timeout)
    return name


def probe_pod(namespace: str = "default") -> str:
    """The namespace's shared toolbox pod (``toolbox``), created on first use."""
    pod = reads.pod(TOOLBOX_POD, namespace)
    if pod is not None and pod.ready and not pod.deleting:
        return TOOLBOX_POD
    return start_toolbox(TOOLBOX_POD, namespace)


def run_in_probe(argv: list[str], namespace: str = "default", timeout: float = 30) -> ExecResult:
    """Run a command in the namespace's toolbox pod."""
    return kube().exec(probe_pod(namespace), namespace, argv, timeout=timeout)
