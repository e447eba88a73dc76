"""The objects of the class's hub, as the API takes them: the hub's own (namespace,
accounts, Secrets, config, database volume, Deployment, Services) and each student's
server namespace with what the hub needs to run one pod there.

Volumes are static hostPath PersistentVolumes on the folder every node mounts at
HUB_MOUNT, each bound to one claim ahead of time: no provisioner is needed, and a pod
refers to a claim, which the ``restricted`` Pod Security level allows where an inline
host path is refused. A student's pod sees only its own home and inbox and the released
labs and feedback, read-only; never the hub's database or another student's files."""

from __future__ import annotations

from typing import Any

from svclab.constants import CLASSROOM_NAMESPACE, HUB_MOUNT, HUB_NAMESPACE, STUDENT_LABEL
from svclab.identity import server_namespace

HUB_LABEL = "svclab.dev/hub"  # on everything the hub owns outside its namespace (value: what it is)
APP = {"app.kubernetes.io/name": "svclab-hub"}
RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted"}
HUB_ACCOUNT = "hub"
HUB_READER = "svclab-hub"  # the Role and RoleBinding in svclab-classroom that let the hub read USERS
SECRETS = "hub-secrets"
#: one key per student, their password hash (cluster/hub/svclab_hub/auth.py); kept with the
#: class's accounts, so `hub down` loses no password
USERS = "hub-users"
CONFIG = "hub-config"
SPAWNER_ROLE = "svclab-hub-spawner"
TOKEN = "student-token"  # in a server namespace: the student's own account token, for their pod
HUB_UID, HUB_GID = 1000, 100  # the images' user jovyan, group users
#: the hub's data folder, as the nodes see it and as the pods' volumes point into it
DB_DIR = "db"
EXCHANGE_DIR = "exchange/svclab"  # nbgrader's exchange root for the course svclab: outbound/, feedback/, inbound/
#: the claims in a student's server namespace, and where each points in the data folder
STUDENT_VOLUMES = {"home": "home/{student}", "inbound": "inbound/{student}", "exchange": EXCHANGE_DIR}


def student_folders(student: str) -> list[str]:
    """The folders a student's pod writes (owned by the images' user); the exchange is the instructor's."""
    return [path.format(student=student) for path in STUDENT_VOLUMES.values() if path != EXCHANGE_DIR]


_API = {
    "Namespace": "v1",
    "ServiceAccount": "v1",
    "Secret": "v1",
    "ConfigMap": "v1",
    "Service": "v1",
    "ResourceQuota": "v1",
    "PersistentVolume": "v1",
    "PersistentVolumeClaim": "v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "Deployment": "apps/v1",
}


def manifest(kind: str, body: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    """``body`` as a whole object of ``kind`` (in ``namespace``), ready for `kubectl apply`."""
    metadata = dict(body["metadata"]) | ({"namespace": namespace} if namespace else {})
    return {"apiVersion": _API[kind], "kind": kind, **body, "metadata": metadata}


def namespace() -> dict[str, Any]:
    return manifest("Namespace", {"metadata": {"name": HUB_NAMESPACE, "labels": {HUB_LABEL: "hub", **RESTRICTED}}})


def hub_account() -> list[dict[str, Any]]:
    """The hub's ServiceAccount and its one right outside the student's server namespaces:
    read the password hashes, in the classroom's namespace."""
    rule = {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [USERS], "verbs": ["get"]}
    return [
        manifest("ServiceAccount", {"metadata": {"name": HUB_ACCOUNT}}, HUB_NAMESPACE),
        manifest("Role", {"metadata": {"name": HUB_READER}, "rules": [rule]}, CLASSROOM_NAMESPACE),
        manifest("RoleBinding", _binding(HUB_READER, "Role", HUB_READER), CLASSROOM_NAMESPACE),
    ]


def _binding(name: str, kind: str, role: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": HUB_ACCOUNT, "namespace": HUB_NAMESPACE}],
    }


def secret(name: str, values: dict[str, str], namespace: str = HUB_NAMESPACE) -> dict[str, Any]:
    return manifest("Secret", {"metadata": {"name": name}, "type": "Opaque", "stringData": values}, namespace)


def config_map(config_py: str) -> dict[str, Any]:
    return manifest(
        "ConfigMap", {"metadata": {"name": CONFIG}, "data": {"jupyterhub_config.py": config_py}}, HUB_NAMESPACE
    )


def volume(name: str, path: str, claim_namespace: str, claim: str, labels: dict[str, str]) -> dict[str, Any]:
    """A PersistentVolume on ``HUB_MOUNT/path``, bound ahead of time to one claim."""
    return manifest(
        "PersistentVolume",
        {
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "capacity": {"storage": "1Gi"},  # hostPath knows no size: a label, not a limit
                "accessModes": ["ReadWriteMany"],
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": "svclab-hub",  # no such class: nothing provisions, nothing else binds
                "claimRef": {"namespace": claim_namespace, "name": claim},
                "hostPath": {"path": f"{HUB_MOUNT}/{path}", "type": "Directory"},
            },
        },
    )


def claim(name: str, volume_name: str, namespace: str) -> dict[str, Any]:
    return manifest(
        "PersistentVolumeClaim",
        {
            "metadata": {"name": name},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "svclab-hub",
                "volumeName": volume_name,
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
        namespace,
    )


def db_volume() -> list[dict[str, Any]]:
    """The hub's database: its own folder, which no student pod mounts."""
    return [
        volume("svclab-hub-db", DB_DIR, HUB_NAMESPACE, "hub-db", {HUB_LABEL: "db"}),
        claim("hub-db", "svclab-hub-db", HUB_NAMESPACE),
    ]


def deployment(hub_image: str, singleuser_image: str, env: dict[str, str], config_digest: str) -> dict[str, Any]:
    """One hub pod (never two on the same SQLite file: Recreate), with CHP as its subprocess;
    a change of the config (its digest on the pod) restarts it."""
    return manifest(
        "Deployment",
        {
            "metadata": {"name": "hub", "labels": APP},
            "spec": {
                "replicas": 1,
                "strategy": {"type": "Recreate"},
                "selector": {"matchLabels": APP},
                "template": {
                    "metadata": {"labels": APP, "annotations": {"svclab.dev/config": config_digest}},
                    "spec": {
                        "serviceAccountName": HUB_ACCOUNT,
                        "terminationGracePeriodSeconds": 5,
                        "securityContext": {
                            "runAsUser": HUB_UID,
                            "runAsGroup": HUB_GID,
                            "runAsNonRoot": True,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [
                            {
                                "name": "hub",
                                "image": hub_image,
                                "imagePullPolicy": "Never",
                                "args": ["jupyterhub", "-f", "/etc/jupyterhub/jupyterhub_config.py"],
                                "workingDir": "/srv/jupyterhub",
                                "env": [
                                    {"name": "SVCLAB_SINGLEUSER_IMAGE", "value": singleuser_image},
                                    *({"name": k, "value": v} for k, v in sorted(env.items())),
                                ],
                                "envFrom": [{"secretRef": {"name": SECRETS}}],
                                "ports": [
                                    {"name": "proxy", "containerPort": 8000},
                                    {"name": "hub", "containerPort": 8081},
                                ],
                                "readinessProbe": {
                                    "httpGet": {"path": "/hub/health", "port": "hub"},
                                    "periodSeconds": 2,
                                },
                                "resources": {
                                    "requests": {"cpu": "50m", "memory": "192Mi"},
                                    "limits": {"memory": "768Mi"},
                                },
                                "securityContext": {
                                    "allowPrivilegeEscalation": False,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                                "volumeMounts": [
                                    {"name": "config", "mountPath": "/etc/jupyterhub"},
                                    {"name": "db", "mountPath": "/srv/jupyterhub/db"},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "config", "configMap": {"name": CONFIG}},
                            {"name": "db", "persistentVolumeClaim": {"claimName": "hub-db"}},
                        ],
                    },
                },
            },
        },
        HUB_NAMESPACE,
    )


def services(node_port: int) -> list[dict[str, Any]]:
    """``hub`` (the API, for servers and the culler) and ``proxy-public`` (the browser's way in)."""
    api = {"name": "hub", "port": 8081, "targetPort": "hub"}
    web = {"name": "http", "port": 80, "targetPort": "proxy", "nodePort": node_port}
    return [
        manifest("Service", {"metadata": {"name": "hub"}, "spec": {"selector": APP, "ports": [api]}}, HUB_NAMESPACE),
        manifest(
            "Service",
            {"metadata": {"name": "proxy-public"}, "spec": {"type": "NodePort", "selector": APP, "ports": [web]}},
            HUB_NAMESPACE,
        ),
    ]


# -- a student's server namespace ------------------------------------------------------------------
def server_objects(student: str, credentials: dict[str, str]) -> list[dict[str, Any]]:
    """``<student>-server`` and what it holds: the token of the student's classroom account
    for their pod (so the server has exactly the student's rights, and the student none in
    this namespace: they may not see or change their own pod), the hub's right to run one
    pod there, a quota, and the claims on the student's volumes (student_volumes).
    ``credentials``: the account's token Secret data (Classroom.credentials)."""
    ns = server_namespace(student)
    labels = {STUDENT_LABEL: student}
    token = {k: credentials[k] for k in ("token", "ca.crt")}
    return [
        manifest("Namespace", {"metadata": {"name": ns, "labels": labels | {HUB_LABEL: "server", **RESTRICTED}}}),
        manifest("Secret", {"metadata": {"name": TOKEN, "labels": labels}, "type": "Opaque", "data": token}, ns),
        manifest(
            "Role",
            {
                "metadata": {"name": SPAWNER_ROLE},
                "rules": [
                    {
                        "apiGroups": [""],
                        "resources": ["pods"],
                        "verbs": ["get", "list", "watch", "create", "delete"],
                    },
                    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]},
                ],
            },
            ns,
        ),
        manifest("RoleBinding", _binding(SPAWNER_ROLE, "Role", SPAWNER_ROLE), ns),
        manifest(
            "ResourceQuota",
            {
                "metadata": {"name": "svclab-server"},
                # 2 pods: a server being replaced and its successor
                "spec": {"hard": {"pods": "2", "limits.memory": "2Gi", "limits.cpu": "2", "services": "0"}},
            },
            ns,
        ),
        *(claim(name, volume_name(student, name), ns) for name in STUDENT_VOLUMES),
    ]


def volume_name(student: str, claim_name: str) -> str:
    return f"svclab-hub-{student}-{claim_name}"


def student_volumes(student: str) -> list[dict[str, Any]]:
    labels = {HUB_LABEL: "student", STUDENT_LABEL: student}
    return [
        volume(volume_name(student, name), path.format(student=student), server_namespace(student), name, labels)
        for name, path in STUDENT_VOLUMES.items()
    ]
