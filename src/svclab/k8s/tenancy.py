"""Namespaces and who may use them: create, label, empty and delete namespaces, make an
object exist as given (idempotent provisioning), and ask the API server who this
kubeconfig is. What a class's provisioning and the labs' and lectures' resets stand on."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from svclab.constants import CLASSROOM_NAMESPACE, MANAGED_BY_LABEL, SLICE_CONTROLLER
from svclab.errors import Conflict, Forbidden, NotFound
from svclab.k8s import reads
from svclab.k8s.api import kube
from svclab.poll import poll


# -- who am I ------------------------------------------------------------------------------------
def whoami() -> str:
    """The user name the API server sees for this kubeconfig (a SelfSubjectReview, which
    every authenticated user may make): ``system:serviceaccount:<ns>:<name>`` for a token."""
    k = kube()
    review = k.call(
        "review who this kubeconfig is",
        k.authentication.create_self_subject_review,
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    return str(review.status.user_info.username or "")


# -- namespaces ---------------------------------------------------------------------------------------
def namespace_exists(name: str) -> bool:
    """The namespace exists – and, for a student's kubeconfig, is one of theirs (the API server
    answers 403 for a namespace one has no rights in, whether it exists or not)."""
    k = kube()
    try:
        return k.get(f"read Namespace {name}", k.core.read_namespace, name) is not None
    except Forbidden:
        return False


def empty_namespace(name: str, timeout: float = 120) -> None:
    """Delete what a lab or lecture made in the namespace – Services, workloads, pods, hand-made
    EndpointSlices, ConfigMaps – and wait until its pods are gone; the namespace, its quota and
    its RoleBindings stay (a student may not delete or create namespaces)."""
    k = kube()
    for svc in reads.service_names(name):
        k.get(f"delete Service {svc} in {name}", k.core.delete_namespaced_service, svc, name)
    for what, delete, only in (
        ("Deployments", k.apps.delete_collection_namespaced_deployment, {}),
        ("StatefulSets", k.apps.delete_collection_namespaced_stateful_set, {}),
        ("ReplicaSets", k.apps.delete_collection_namespaced_replica_set, {}),
        ("Pods", k.core.delete_collection_namespaced_pod, {"grace_period_seconds": 0}),
        (
            "EndpointSlices",
            k.discovery.delete_collection_namespaced_endpoint_slice,
            {"label_selector": f"{MANAGED_BY_LABEL}!={SLICE_CONTROLLER}"},
        ),
        (
            "ConfigMaps",
            k.core.delete_collection_namespaced_config_map,
            {"field_selector": "metadata.name!=kube-root-ca.crt"},
        ),
    ):
        try:
            k.call(f"delete the {what} in {name}", delete, name, **only)
        except Forbidden:  # e.g. EndpointSlices, which only a selector-less lab's student may write
            pass
    poll(
        lambda: not reads.pods(name) and not reads.service_names(name),
        timeout=timeout,
        every=0.5,
        what=f"namespace {name} to be empty",
    )


def create_namespace(name: str, labels: dict[str, str], timeout: float = 60) -> None:
    """Create (or label) a namespace and wait for its `default` ServiceAccount: pods
    created before the controller adds it are refused."""
    k = kube()
    ns = k.get(f"read Namespace {name}", k.core.read_namespace, name)
    if ns is not None and ns.metadata.deletion_timestamp:
        poll(lambda: not namespace_exists(name), timeout=180, every=0.5, what=f"old namespace {name} to go away")
        ns = None
    if ns is None:
        k.call(f"create Namespace {name}", k.core.create_namespace, {"metadata": {"name": name, "labels": labels}})
    elif any((ns.metadata.labels or {}).get(key) != value for key, value in labels.items()):
        k.call(f"label Namespace {name}", k.core.patch_namespace, name, {"metadata": {"labels": labels}})
    poll(
        lambda: (
            k.get(f"read ServiceAccount default in {name}", k.core.read_namespaced_service_account, "default", name)
            is not None
        ),
        timeout=timeout,
        every=0.3,
        what=f"the default ServiceAccount of namespace {name}",
    )


def ensure_classroom_namespace() -> None:
    """``svclab-classroom``, where the class's accounts and the node-port ledger live."""
    if not namespace_exists(CLASSROOM_NAMESPACE):
        create_namespace(CLASSROOM_NAMESPACE, {"svclab.dev/classroom": "true"})


def ensure(
    what: str, create: Callable[..., Any], patch: Callable[..., Any], namespace: str | None, body: dict[str, Any]
) -> None:
    """Create the object, or bring an existing one to ``body`` (idempotent provisioning)."""
    k = kube()
    where = (namespace,) if namespace else ()
    try:
        k.call(f"create {what}", create, *where, body)
    except Conflict:
        k.call(f"update {what}", patch, body["metadata"]["name"], *where, body)


def labelled_namespaces(selector: str) -> list[str]:
    """Names of the namespaces whose labels match ``selector``."""
    k = kube()
    return sorted(
        n.metadata.name for n in k.call("list Namespaces", k.core.list_namespace, label_selector=selector).items
    )


def delete_namespaces(names: Iterable[str], wait: bool = True, timeout: float = 180) -> None:
    """Delete namespaces (missing ones are fine); with ``wait``, until they are gone."""
    k = kube()
    todo = list(names)
    for name in todo:
        try:
            k.call(f"delete Namespace {name}", k.core.delete_namespace, name)
        except NotFound:
            pass
    if wait:
        poll(
            lambda: not any(namespace_exists(n) for n in todo),
            timeout=timeout,
            every=0.5,
            what=f"namespace {', '.join(todo)} to be deleted",
        )
