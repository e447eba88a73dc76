"""A class on one cluster: `svclab classroom add|remove|list|kubeconfig`.

Each student gets one namespace per lab and per lecture (``alice-clusterip``,
``alice-lecture-01`` …), labelled ``svclab.dev/student=alice``; in each, their
ServiceAccount (``alice`` in ``svclab-classroom``) is bound to ``admin`` – plus what a lab
needs beyond it, such as writing EndpointSlices – and a ResourceQuota and LimitRange cap
what they can run, including node ports and LoadBalancer IPs. Their kubeconfig holds that
account's token and nothing else: students never create namespaces or hold cluster rights.

Per-lab namespaces keep the labs independent (several create a Service ``hello-world``)
and let a lab be reset by emptying its namespace."""

from __future__ import annotations

import base64
import ipaddress
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from svclab.constants import CLASSROOM_NAMESPACE, DEMO_LABEL, LAB_LABEL, POD_SECURITY_LABELS, STUDENT_LABEL
from svclab.errors import InvalidInput
from svclab.identity import STUDENT_NAME, namespace
from svclab.k8s import quota, tenancy
from svclab.k8s.api import kube
from svclab.k8s.kubectl import Kubectl
from svclab.k8s.quota import BASIC, Allowance
from svclab.labs.catalog import LABS
from svclab.poll import poll
from svclab.settings import GRADING_SLOTS, settings

#: the lecture notebooks' namespaces (`course.start(...)`, `s.add_namespace("client")`)
LECTURES = (
    "lecture-01",
    "lecture-02",
    "lecture-03",
    "lecture-04",
    "lecture-05",
    "lecture-05-client",
    "lecture-06",
    "lecture-07",
)
#: node ports and LoadBalancer IPs a lecture's cells create at once
LECTURE_NODE_PORTS = {"lecture-02": 2, "lecture-03": 1, "lecture-04": 1, "lecture-07": 2}
LECTURE_LOAD_BALANCERS = {"lecture-02": 1, "lecture-07": 1}
#: lecture 6 writes an EndpointSlice by hand, as the selector-less lab does
LECTURE_RULES = {"lecture-06": LABS["selectorless"].grading_rules}


@dataclass(frozen=True)
class StudentNamespace:
    """One namespace a student works in, and what it may hold beyond the common quota."""

    name: str  # the lab or lecture
    labels: dict[str, str]
    allowance: Allowance = BASIC
    rules: tuple[dict[str, Any], ...] = ()  # RBAC beyond `admin`


def student_namespaces() -> list[StudentNamespace]:
    """Every namespace a student needs: each lab's (and its second one), each lecture's."""
    found = []
    for lab in LABS.values():
        found.append(StudentNamespace(lab.name, {LAB_LABEL: lab.name}, lab.allowance, lab.grading_rules))
        if lab.other_namespace:
            found.append(StudentNamespace(f"{lab.name}-b", {LAB_LABEL: lab.name}))
    found += [
        StudentNamespace(
            n,
            {DEMO_LABEL: n.removesuffix("-client")},
            Allowance(LECTURE_NODE_PORTS.get(n, 0), LECTURE_LOAD_BALANCERS.get(n, 0)),
            LECTURE_RULES.get(n, ()),
        )
        for n in LECTURES
    ]
    return found


def check_name(name: str) -> str:
    if not STUDENT_NAME.fullmatch(name):
        why = "is longer than 40 characters" if len(name) > 40 else "is not a name Kubernetes accepts in a namespace"
        raise InvalidInput(
            f"student name {name!r} {why}",
            "use lower-case letters, digits and '-', starting with a letter, at most 40 (e.g. alice or alice-smith)",
        )
    return name


POOL = ("metallb.io", "v1beta1", "metallb-system", "ipaddresspools", "svclab")


def load_balancers_per_student() -> int:
    return sum(r.allowance.load_balancers for r in student_namespaces())


def students_that_fit(new: int = 0) -> int:
    """How many more students this cluster's node-port band holds, besides ``new`` ones
    about to be added (each student's NodePort lab holds one port; grading keeps a few)."""
    return len(quota.static_band()) - GRADING_SLOTS - len(quota.held()) - new


def make_room(names: list[str]) -> str | None:
    """Check that the class fits the node ports set aside, and grow MetalLB's pool so that
    every student may hold their LoadBalancer IPs at once; returns what was grown."""
    held = set(quota.held().values())
    new = [n for n in names if namespace(n, "nodeport") not in held]
    if (room := students_that_fit()) < len(new):
        band = quota.static_band()
        raise InvalidInput(
            f"{len(new)} new students do not fit: this cluster sets {len(band)} node ports aside for labs "
            f"({band.start}-{band.stop - 1}), {len(held)} are held and {GRADING_SLOTS} kept for grading, "
            f"so {max(room, 0)} more students fit",
            f"add at most {max(room, 0)}, or size the cluster for the class before it starts: "
            f"svclab up --class-size {len(Classroom().students()) + len(new)} (this recreates the cluster)",
        )
    students = len({*held, *(namespace(n, "nodeport") for n in new)})
    return _grow_pool(students * load_balancers_per_student() + GRADING_SLOTS)


def _grow_pool(size: int) -> str | None:
    """Grow MetalLB's pool ``svclab`` to ``size`` addresses, if it is smaller."""
    k = kube()
    pool = k.get("read the MetalLB pool svclab", k.custom.get_namespaced_custom_object, *POOL)
    blocks = (pool or {}).get("spec", {}).get("addresses", [])
    if len(blocks) != 1 or not (grown := grown_block(blocks[0], size)):
        return None  # big enough, or not the pool `svclab up` made (the instructor sizes that one)
    k.call("grow the MetalLB pool", k.custom.patch_namespaced_custom_object, *POOL, {"spec": {"addresses": [grown]}})
    return grown


def grown_block(block: str, size: int) -> str | None:
    """``a-b`` extended downwards to ``size`` addresses (kind hands node addresses out from the
    bottom of its network, so the top is free), or None when it holds that many already."""
    if "-" not in block:
        return None
    first, last = (ipaddress.ip_address(x.strip()) for x in block.split("-"))
    return None if int(last) - int(first) + 1 >= size else f"{last - (size - 1)}-{last}"


@dataclass
class Student:
    name: str
    namespaces: list[str] = field(default_factory=list)
    has_account: bool = False


class Classroom:
    """Provision, list and remove the students of this cluster's class."""

    def add(self, name: str) -> list[str]:
        """Create (or bring up to date) a student's account, namespaces, RBAC and quotas."""
        check_name(name)
        k = kube()
        tenancy.ensure_classroom_namespace()
        tenancy.ensure(
            f"ServiceAccount {name}",
            k.core.create_namespaced_service_account,
            k.core.patch_namespaced_service_account,
            CLASSROOM_NAMESPACE,
            {"metadata": {"name": name, "labels": {STUDENT_LABEL: name}}},
        )
        tenancy.ensure(
            f"the token Secret of {name}",
            k.core.create_namespaced_secret,
            k.core.patch_namespaced_secret,
            CLASSROOM_NAMESPACE,
            {
                "metadata": {
                    "name": f"{name}-token",
                    "labels": {STUDENT_LABEL: name},
                    "annotations": {"kubernetes.io/service-account.name": name},
                },
                "type": "kubernetes.io/service-account-token",
            },
        )

        def provision(room: StudentNamespace) -> str:
            ns = namespace(name, room.name)
            tenancy.create_namespace(ns, room.labels | POD_SECURITY_LABELS | {STUDENT_LABEL: name})
            self._grant(ns, name, room)
            return ns

        with ThreadPoolExecutor(max_workers=6) as pool:  # mostly waiting for the API server
            return list(pool.map(provision, student_namespaces()))

    def _grant(self, ns: str, name: str, room: StudentNamespace) -> None:
        k = kube()
        subject = {"kind": "ServiceAccount", "name": name, "namespace": CLASSROOM_NAMESPACE}
        bindings = [("ClusterRole", "admin", "svclab-student")]
        if room.rules:
            tenancy.ensure(
                f"Role svclab-student-extra in {ns}",
                k.rbac.create_namespaced_role,
                k.rbac.patch_namespaced_role,
                ns,
                {"metadata": {"name": "svclab-student-extra"}, "rules": [dict(r) for r in room.rules]},
            )
            bindings.append(("Role", "svclab-student-extra", "svclab-student-extra"))
        for kind, role, binding in bindings:
            tenancy.ensure(
                f"RoleBinding {binding} in {ns}",
                k.rbac.create_namespaced_role_binding,
                k.rbac.patch_namespaced_role_binding,
                ns,
                {
                    "metadata": {"name": binding},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
                    "subjects": [subject],
                },
            )
        quota.limit(ns, room.allowance)

    def remove(self, name: str) -> list[str]:
        """Delete exactly what :meth:`add` made for the student; returns the namespaces."""
        check_name(name)
        k = kube()
        gone = tenancy.labelled_namespaces(f"{STUDENT_LABEL}={name}")
        tenancy.delete_namespaces(gone, wait=False)
        # their volumes on the hub (the files stay in the hub's data folder)
        k.call(
            f"delete the volumes of {name}",
            k.core.delete_collection_persistent_volume,
            label_selector=f"{STUDENT_LABEL}={name}",
        )
        for what, delete, obj in (
            ("token Secret", k.core.delete_namespaced_secret, f"{name}-token"),
            ("ServiceAccount", k.core.delete_namespaced_service_account, name),
        ):
            if tenancy.namespace_exists(CLASSROOM_NAMESPACE):
                k.get(f"delete the {what} of {name}", delete, obj, CLASSROOM_NAMESPACE)
        return gone

    def students(self) -> list[Student]:
        """Every student: their namespaces and whether their account exists."""
        found: dict[str, Student] = {}
        k = kube()
        for ns in k.call("list Namespaces", k.core.list_namespace, label_selector=STUDENT_LABEL).items:
            who = ns.metadata.labels[STUDENT_LABEL]
            found.setdefault(who, Student(who)).namespaces.append(ns.metadata.name)
        if tenancy.namespace_exists(CLASSROOM_NAMESPACE):
            accounts = k.call(
                "list ServiceAccounts",
                k.core.list_namespaced_service_account,
                CLASSROOM_NAMESPACE,
                label_selector=STUDENT_LABEL,
            ).items
            for sa in accounts:
                found.setdefault(sa.metadata.name, Student(sa.metadata.name)).has_account = True
        return [found[n] for n in sorted(found)]

    def credentials(self, name: str) -> dict[str, str]:
        """The student's account token Secret's data (``token``, ``ca.crt``; base64), once the
        token controller has filled it in."""
        check_name(name)
        k = kube()
        secret = poll(
            lambda: k.get(
                f"read the token of {name}", k.core.read_namespaced_secret, f"{name}-token", CLASSROOM_NAMESPACE
            ),
            timeout=30,
            every=0.5,
            until=lambda s: s is None or bool((s.data or {}).get("token")),
            what=f"the token of student {name}",
        )
        if secret is None:
            raise InvalidInput(f"there is no student {name!r} in this class", f"add them: svclab classroom add {name}")
        return dict(secret.data)

    def kubeconfig(self, name: str, path: Path | None = None) -> Path:
        """Write the student's kubeconfig (their token, their first lab namespace) and return its path."""
        data = self.credentials(name)
        admin = yaml.safe_load(Kubectl()("config", "view", "--flatten", "--minify"))
        server = admin["clusters"][0]["cluster"]["server"]
        token = base64.b64decode(data["token"]).decode()
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": f"svclab-{name}",
            "clusters": [
                {"name": "svclab", "cluster": {"server": server, "certificate-authority-data": data["ca.crt"]}}
            ],
            "users": [{"name": f"student-{name}", "user": {"token": token}}],
            "contexts": [
                {
                    "name": f"svclab-{name}",
                    "context": {
                        "cluster": "svclab",
                        "user": f"student-{name}",
                        "namespace": namespace(name, "clusterip"),
                    },
                }
            ],
        }
        target = path or settings().config_dir / "classroom" / f"{name}.kubeconfig"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(config, sort_keys=False))
        target.chmod(0o600)
        return target
