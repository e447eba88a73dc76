"""Where a submission's code runs: a pod of its own grading namespace (the default), never
the instructor's machine.

The kernel pod runs svclab's single-user image (svclab, nbgrader and kubectl; no lab
sources, no grader, no solutions) as an unprivileged user, read-only but for two small
scratch folders, under CPU and memory limits and a deadline. Its only credential is the
grading ServiceAccount's token (a Secret of the grading namespace): the rights of a student
in that namespace and nothing else. The instructor's side writes the notebook on the stdin of
``kubectl exec`` and reads the executed notebook back on its stdout
(:mod:`svclab.grading.inpod`, which imported nbgrader while the pod waited, runs it with
nbgrader's own Execute); nbgrader's other autograde
steps (SaveAutoGrades, feedback, the gradebook) then run on the instructor's side as before.

An admission policy keeps the submission from deleting, evicting or changing its own kernel
pod. A node port is reached from the pod at a node's address (:func:`svclab.node_host`),
LoadBalancer IPs as from any pod, so the probes of the labs keep their meaning."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import nbformat
from nbformat import NotebookNode

from svclab.cluster.images import ImageBuilder
from svclab.cluster.kind import Cluster
from svclab.constants import CLASSROOM_NAMESPACE, GRADING_KERNEL_POD, GRADING_LABEL, GRADING_TOKEN_DIR, ROLE_LABEL
from svclab.errors import ClusterError, CommandFailed, Conflict
from svclab.k8s import reads
from svclab.k8s.api import kube
from svclab.k8s.kubectl import Kubectl
from svclab.k8s.quota import KERNEL_LIMITS, KERNEL_REQUESTS
from svclab.k8s.tenancy import ensure
from svclab.poll import poll
from svclab.settings import Settings, settings

#: the longest one submission may take, kernel start to the last check (nbgrader's own
#: per-cell limits come first; this stops whatever hangs past them)
SUBMISSION_TIMEOUT = 1800
KERNEL_POD = GRADING_KERNEL_POD
TOKEN_SECRET = "grading-token"
TOKEN_DIR = GRADING_TOKEN_DIR
HOME = "/home/jovyan"
#: what the kernel (and each process it starts) may allocate: a MemoryError in the student's
#: cell, well before the pod's limit would have the whole kernel killed
KERNEL_MEMORY = 1024 * 2**20
IMAGE_STEP = "singleuser-image"
GUARD = "svclab-grading-kernel"
#: the user names of the grading ServiceAccounts (``grading.<namespace>``, svclab.grading.environment)
GRADING_USERS = f"system:serviceaccount:{CLASSROOM_NAMESPACE}:grading."


def kernel_image(s: Settings | None = None) -> str:
    """The image of today's sources that grading pods run (the hub's single-user image)."""
    return ImageBuilder(s or settings()).images_of(IMAGE_STEP)[0]


def ensure_kernel_image(report: Callable[[str], None] = lambda line: None, s: Settings | None = None) -> str:
    """Build the kernel image if svclab's sources changed, and load it on the workers."""
    s = s or settings()
    builder = ImageBuilder(s)
    if not builder.is_fresh(IMAGE_STEP):
        report("building the grading pods' image (about 2 minutes, once per change of svclab)")
        builder.build(lambda step, line: report(f"{step.title}: {line}"), extra=(IMAGE_STEP,))
    image = kernel_image(s)
    Cluster(s).load_images(image)
    return image


def token_secret(token: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": TOKEN_SECRET, "labels": {ROLE_LABEL: KERNEL_POD}},
        "type": "Opaque",
        "stringData": {"token": token},
    }


def kernel_pod(image: str, namespace: str) -> dict[str, Any]:
    """The pod a submission runs in: no ServiceAccount token, no host path, no privilege."""
    scratch = {"sizeLimit": "256Mi"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": KERNEL_POD, "labels": {ROLE_LABEL: KERNEL_POD}},
        "spec": {
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "restartPolicy": "Never",
            # prepared ahead, a pod may wait for a worker before its submission starts
            "activeDeadlineSeconds": 2 * SUBMISSION_TIMEOUT,
            "terminationGracePeriodSeconds": 1,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 1000,
                "runAsGroup": 100,
                "fsGroup": 100,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "kernel",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "command": ["/usr/bin/tini", "--", "python", "-m", "svclab.grading.inpod", "serve"],
                    "env": [{"name": "SVCLAB_GRADING_POD_NAMESPACE", "value": namespace}],
                    "resources": {"requests": dict(KERNEL_REQUESTS), "limits": dict(KERNEL_LIMITS)},
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                    "volumeMounts": [
                        {"name": "credentials", "mountPath": TOKEN_DIR, "readOnly": True},
                        {"name": "home", "mountPath": HOME},
                        {"name": "tmp", "mountPath": "/tmp"},
                    ],
                }
            ],
            "volumes": [
                {
                    "name": "credentials",
                    "projected": {
                        "sources": [
                            {"secret": {"name": TOKEN_SECRET, "items": [{"key": "token", "path": "token"}]}},
                            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        ]
                    },
                },
                {"name": "home", "emptyDir": scratch},
                {"name": "tmp", "emptyDir": scratch},
            ],
        },
    }


class KernelPod:
    """The kernel pod of one grading namespace."""

    def __init__(self, namespace: str, s: Settings | None = None) -> None:
        self.namespace = namespace
        self.settings = s or settings()

    def start(self, token: str, image: str | None = None) -> None:
        """Create the token Secret and the pod (idempotent); does not wait for it."""
        k = kube()
        for what, create, body in (
            (f"Secret {TOKEN_SECRET}", k.core.create_namespaced_secret, token_secret(token)),
            (f"Pod {KERNEL_POD}", k.core.create_namespaced_pod, kernel_pod(image or kernel_image(), self.namespace)),
        ):
            try:
                k.call(f"create {what} in {self.namespace}", create, self.namespace, body)
            except Conflict:
                pass

    def wait_running(self, timeout: float = 180) -> None:
        """Until the kernel container runs; a clear error when it cannot (e.g. no image)."""

        def state() -> str | None:
            pod = reads.pod(KERNEL_POD, self.namespace)
            if pod is None:
                raise ClusterError(f"the grading pod in {self.namespace} is gone (deleted before its submission ran)")
            if pod.phase == "Running":
                return "running"
            if (pod.stuck and pod.waiting != "Unschedulable") or pod.finished:  # unschedulable: wait for room
                raise ClusterError(
                    f"the grading pod in {self.namespace} cannot start: {pod.waiting or pod.phase}",
                    "its image is built and loaded by `svclab grade autograde` (or `svclab hub up`); "
                    f"kubectl -n {self.namespace} describe pod {KERNEL_POD} says more",
                )
            return None

        poll(state, timeout=timeout, every=0.5, what=f"the grading pod in {self.namespace} to start")

    def execute(self, nb: NotebookNode, execute: dict[str, Any], timeout: float) -> NotebookNode:
        """Run ``nb`` in the pod with nbgrader Execute's settings ``execute``; the executed notebook."""
        self.wait_running()
        job = json.dumps({"notebook": nb, "execute": execute, "memory": KERNEL_MEMORY})
        argv = ["exec", "-i", "-n", self.namespace, KERNEL_POD, "-c", "kernel", "--"]
        argv += ["python", "-m", "svclab.grading.inpod", "send"]
        try:
            out = Kubectl(self.settings)(*argv, input=job, timeout=timeout)
        except CommandFailed as exc:
            stopped = "" if reads.pod(KERNEL_POD, self.namespace) else " (the pod is gone: past its deadline?)"
            raise ClusterError(
                f"the submission could not be run in its grading pod{stopped}:\n{exc.stderr.strip()[-1500:]}"
            ) from None
        return nbformat.reads(out, as_version=4)


def install_guard() -> None:
    """The admission policy that keeps a submission from deleting, evicting or changing the
    pod it runs in (idempotent); the instructor and Kubernetes itself still may."""
    k = kube()
    policy = {
        "metadata": {"name": GUARD},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "namespaceSelector": {"matchLabels": {GRADING_LABEL: "true"}},
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["DELETE", "UPDATE"],
                        "resources": ["pods", "pods/ephemeralcontainers", "secrets"],
                    },
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE"],
                        "resources": ["pods/eviction"],
                    },
                ],
            },
            "matchConditions": [
                {
                    "name": "a-grading-account",
                    "expression": f"request.userInfo.username.startsWith({GRADING_USERS!r})",
                }
            ],
            "validations": [
                {
                    "expression": f"request.name != '{KERNEL_POD}' && request.name != '{TOKEN_SECRET}'",
                    "message": f"{KERNEL_POD} (and its token) runs the notebook being graded: a submission may not "
                    "delete, evict or change it",
                    "reason": "Forbidden",
                }
            ],
        },
    }
    binding = {"metadata": {"name": GUARD}, "spec": {"policyName": GUARD, "validationActions": ["Deny"]}}
    for what, create, patch, body in (
        ("ValidatingAdmissionPolicy", k.admission.create_validating_admission_policy,
         k.admission.patch_validating_admission_policy, policy),
        ("ValidatingAdmissionPolicyBinding", k.admission.create_validating_admission_policy_binding,
         k.admission.patch_validating_admission_policy_binding, binding),
    ):  # fmt: skip
        ensure(f"{what} {GUARD}", create, patch, None, body)
