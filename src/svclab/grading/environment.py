"""A fresh, RBAC-restricted namespace per (student, lab) for autograding.

Each submission is replayed into its own namespace, created empty just before
the notebook runs, with a kubeconfig whose token may act only there. So one
student's objects can neither help nor break another's grade, and grading the
same submission twice gives the same score."""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import replace
from functools import cache
from pathlib import Path
from threading import Lock

import yaml

from svclab.constants import CLASSROOM_NAMESPACE, GRADING_LABEL, GRADING_NAMESPACE_ENV, LAB_LABEL, POD_SECURITY_LABELS
from svclab.errors import SvclabError
from svclab.grading import sandbox
from svclab.k8s import quota, tenancy
from svclab.k8s.api import kube
from svclab.k8s.kubectl import Kubectl
from svclab.k8s.quota import BASIC, Allowance
from svclab.labs.catalog import LABS
from svclab.labs.session import Lab, slug
from svclab.settings import GRADING_SLOTS, Settings, settings

ROLE_PREFIX = "svclab-grader"
#: set (by grading.worker) while a submission runs whose namespace svclab grade prepared ahead
PREPARED_ENV = "SVCLAB_GRADING_PREPARED"
_ENV_KEYS = (GRADING_NAMESPACE_ENV, "KUBECONFIG", "SVCLAB_KUBECONFIG")


def grading_namespace(student: str, lab: str) -> str:
    return f"g-{slug(student)[:24]}-{lab}".replace("--", "-")


def grading_allowance(allowance: Allowance, kernel_pod: bool = True) -> Allowance:
    """The lab's allowance, but always room for one NodePort or LoadBalancer Service (a
    submission that chose the wrong type is graded as a wrong type, not as nothing at all),
    and for the pod the submission runs in."""
    return replace(
        allowance,
        node_ports=max(allowance.node_ports, 1),
        load_balancers=max(allowance.load_balancers, 1),
        kernel_pod=kernel_pod,
    )


@cache
def _guard_installed() -> None:
    sandbox.install_guard()


@cache
def _admin_cluster(s: Settings, changed: float) -> dict[str, object]:
    """The cluster entry (server, CA) of the instructor's kubeconfig, read once per change."""
    return dict(yaml.safe_load(Kubectl(s)("config", "view", "--flatten", "--minify"))["clusters"][0])


class GradingEnvironment:
    """Create, enter and remove the grading namespace(s) of one submission; with ``in_pod``
    (the default) its code runs in a kernel pod there (svclab.grading.sandbox), else in a
    kernel on this machine that :meth:`enter` points at the namespace."""

    def __init__(self, student: str, lab: str, s: Settings | None = None, in_pod: bool = True) -> None:
        self.settings = s or settings()
        self.in_pod = in_pod
        self.student = student
        self.lab = LABS[lab]
        self.namespace = grading_namespace(student, lab)
        self.namespaces = [self.namespace] + ([f"{self.namespace}-b"] if self.lab.other_namespace else [])
        self.kubeconfig = self.settings.cache_dir / "grading" / f"{self.namespace}.kubeconfig"
        self.account = f"grading.{self.namespace}"  # in svclab-classroom; the dot: never a student name
        self._saved_env: dict[str, str | None] = {}

    def create(self) -> Path:
        """Fresh namespaces under the student's quota, and a ServiceAccount with exactly a
        student's rights: it lives in ``svclab-classroom`` beside the students' accounts (so
        it reads what they may read, e.g. svclab-nodeview) and is bound to `admin` (plus the
        lab's grading_rules) in the grading namespaces only; then its kubeconfig, and the
        kernel pod (started, not waited for)."""
        tenancy.delete_namespaces(self.namespaces)
        self._delete_account()
        for ns in self.namespaces:  # graded under the quota the student worked under, but see below
            tenancy.create_namespace(ns, {GRADING_LABEL: "true", LAB_LABEL: self.lab.name} | POD_SECURITY_LABELS)
            quota.limit(ns, grading_allowance(self.lab.allowance, self.in_pod) if ns == self.namespace else BASIC)
        tenancy.ensure_classroom_namespace()
        k = kube()
        subject = {"kind": "ServiceAccount", "name": self.account, "namespace": CLASSROOM_NAMESPACE}
        k.call(
            f"create ServiceAccount {self.account}",
            k.core.create_namespaced_service_account,
            CLASSROOM_NAMESPACE,
            {"metadata": {"name": self.account, "labels": {GRADING_LABEL: "true"}}},
        )
        for ns in self.namespaces:
            bindings = [("ClusterRole", "admin", ROLE_PREFIX)]
            if self.lab.grading_rules:  # what `admin` does not allow but the lab needs
                role = f"{ROLE_PREFIX}-lab"
                k.call(
                    f"create Role {role} in {ns}",
                    k.rbac.create_namespaced_role,
                    ns,
                    {"metadata": {"name": role}, "rules": [dict(rule) for rule in self.lab.grading_rules]},
                )
                bindings.append(("Role", role, role))
            for kind, role_name, binding in bindings:
                k.call(
                    f"bind {role_name} in {ns}",
                    k.rbac.create_namespaced_role_binding,
                    ns,
                    {
                        "metadata": {"name": binding},
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name},
                        "subjects": [subject],
                    },
                )
        request = {"spec": {"expirationSeconds": 7200}}
        token = k.call(
            f"create a token for {self.account}",
            k.core.create_namespaced_service_account_token,
            self.account,
            CLASSROOM_NAMESPACE,
            request,
        ).status.token
        self._write_kubeconfig(token)
        if self.in_pod:
            _guard_installed()
            self.kernel.start(token)
        return self.kubeconfig

    @property
    def kernel(self) -> sandbox.KernelPod:
        return sandbox.KernelPod(self.namespace, self.settings)

    def prepare(self) -> Path:
        """:meth:`create`, then the lab's starting objects applied and ready – what the set-up
        cell would make – so that a submission prepared ahead starts on a warm namespace (its
        set-up cell then finds everything in place and changes nothing)."""
        path = self.create()
        Lab(self.lab, self.namespace, "grading", self.settings).prepare()
        return path

    @property
    def prepared(self) -> bool:
        """Whether the parent prepared this submission's namespace (see grading.worker)."""
        return bool(os.environ.get(PREPARED_ENV)) and self.kubeconfig.is_file()

    def _write_kubeconfig(self, token: str) -> None:
        cluster = _admin_cluster(self.settings, self.settings.kubeconfig.stat().st_mtime)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "grading",
            "clusters": [cluster],
            "users": [{"name": self.account, "user": {"token": token}}],
            "contexts": [
                {
                    "name": "grading",
                    "context": {"cluster": cluster["name"], "user": self.account, "namespace": self.namespace},
                }
            ],
        }
        self.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        self.kubeconfig.write_text(yaml.safe_dump(config))
        self.kubeconfig.chmod(0o600)

    def enter(self) -> None:
        """Point this process (and kernels it starts) at the grading namespace."""
        self._saved_env = {k: os.environ.get(k) for k in _ENV_KEYS}
        os.environ[GRADING_NAMESPACE_ENV] = self.namespace
        os.environ["KUBECONFIG"] = os.environ["SVCLAB_KUBECONFIG"] = str(self.kubeconfig)

    def leave(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def remove(self) -> None:
        """Delete the namespaces (frees their node ports and LoadBalancer IPs) and the account."""
        tenancy.delete_namespaces(self.namespaces, wait=False)
        self._delete_account()
        self.kubeconfig.unlink(missing_ok=True)

    def _delete_account(self) -> None:
        k = kube()
        k.get(
            f"delete ServiceAccount {self.account}",
            k.core.delete_namespaced_service_account,
            self.account,
            CLASSROOM_NAMESPACE,
        )


class PreparedAhead:
    """The grading namespaces of the submissions to come, prepared in the background a few
    submissions ahead of the workers, so that each submission starts on a warm namespace.
    Ahead means live: where a lab's namespaces hold a node port, the live grading namespaces
    stay within the slots the node-port band keeps for grading."""

    def __init__(self, jobs: list[tuple[str, str]], parallel: int, in_pod: bool) -> None:
        self._in_pod = in_pod
        self._waiting = deque(jobs)
        self._ready: deque[tuple[GradingEnvironment, Future[object]]] = deque()
        self._lock = Lock()
        workers = max(1, parallel)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="svclab-prepare")
        holds_port = any(LABS[lab].allowance.own_node_port for lab, _ in jobs)
        for _ in range(max(0, GRADING_SLOTS - workers) if holds_port else workers):
            self._push()

    def _push(self) -> None:
        if self._waiting:
            lab, student = self._waiting.popleft()
            env = GradingEnvironment(student, lab, in_pod=self._in_pod)
            self._ready.append((env, self._pool.submit(env.prepare)))

    def next(self) -> tuple[GradingEnvironment, Future[object]] | None:
        """The next submission's environment and its preparation; None when all are taken."""
        with self._lock:
            if not self._ready:
                self._push()
            if not self._ready:
                return None
            job = self._ready.popleft()
            self._push()
            return job

    def close(self) -> None:
        """Stop preparing; remove namespaces prepared for submissions that were never taken."""
        with self._lock:
            self._waiting.clear()
            left, self._ready = list(self._ready), deque()
        self._pool.shutdown(wait=True, cancel_futures=True)
        for env, _ in left:
            with suppress(SvclabError):
                env.remove()
