"""Deploy, inspect and remove the class's hub, and give students their way in.

`up` builds the two images when their key changed (svclab.cluster.images, on demand),
loads them on the workers, applies the hub's objects (svclab.hub.objects) and waits until
the hub answers on its node port. `add_students` provisions each student as `svclab
classroom add` does, plus their server namespace and volumes, and returns a new password
for each one who had none; only its hash is stored."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from svclab import runner
from svclab.classroom import Classroom, check_name, make_room
from svclab.cluster.images import HUB_STEPS, ImageBuilder
from svclab.cluster.kind import Cluster
from svclab.constants import CLASSROOM_NAMESPACE, HUB_MOUNT, HUB_NAMESPACE, STUDENT_LABEL
from svclab.errors import ClusterError, CommandFailed, HubError
from svclab.hub import objects
from svclab.hub.passwords import hash_password, new_password
from svclab.hub.rest import HubAPI, Server
from svclab.k8s import reads, tenancy
from svclab.k8s.api import kube
from svclab.k8s.kubectl import Kubectl
from svclab.k8s.manifests import dump
from svclab.poll import poll
from svclab.settings import CLUSTER_NAME, Settings, settings

Report = Callable[[str, str], None]
SERVER_PODS = "component=singleuser-server"  # KubeSpawner's label on a student's server pod


def _quiet(stage: str, detail: str) -> None:
    pass


@dataclass
class HubStatus:
    url: str | None
    ready: bool
    servers: list[Server] = field(default_factory=list)
    pods: dict[str, tuple[str, str]] = field(default_factory=dict)  # student → (phase, node)


class Hub:
    """The class's JupyterHub on svclab's kind cluster."""

    def __init__(self, settings_: Settings | None = None) -> None:
        self.settings = settings_ or settings()
        self.images = ImageBuilder(self.settings)
        self.kubectl = Kubectl(self.settings)

    # -- the hub -----------------------------------------------------------------------------------
    def up(self, report: Report = _quiet, cull_after: int = 3600) -> str:
        """Bring the hub to its ready state (idempotent); returns its URL on this machine."""
        report("images", "hub and single-user images")
        self.images.build(lambda step, line: report("images", f"{step.title}: {line}"), extra=HUB_STEPS)
        hub_image, singleuser_image = self.images.hub_images()
        self._check_mount()
        report("images", "loading them on the workers")
        Cluster(self.settings).load_images(hub_image, singleuser_image)
        report("hub", "applying the hub's objects")
        self._folders(objects.DB_DIR)
        for part in ("outbound", "feedback", "inbound"):  # the instructor's, as nbgrader wants them
            (self.settings.hub_dir / objects.EXCHANGE_DIR / part).mkdir(parents=True, exist_ok=True)
        self.kubectl.apply(dump(objects.namespace()))
        self._ensure_secrets()
        port = self._node_port()
        config_py = (self.settings.cluster_dir / "hub" / "jupyterhub_config.py").read_text()
        env = {
            "SVCLAB_HUB_CONNECT_URL": f"http://hub.{HUB_NAMESPACE}.svc.cluster.local:8081",
            "SVCLAB_CULL_AFTER": str(cull_after),
            "SVCLAB_CULL_EVERY": str(max(10, min(300, cull_after // 6))),
        }
        digest = hashlib.sha256((config_py + repr(sorted(env.items()))).encode()).hexdigest()[:12]
        self.kubectl.apply(
            dump(
                *objects.hub_account(),
                objects.config_map(config_py),
                *objects.db_volume(),
                objects.deployment(hub_image, singleuser_image, env, digest),
                *objects.services(port),
            )
        )
        report("hub", "waiting for the hub to answer")
        reads.wait_rolled_out("hub", HUB_NAMESPACE, timeout=240)
        url = self.url(port)
        if not poll(self.api(url).health, timeout=60, every=1, until=bool):
            raise HubError(f"the hub's pod is ready but {url} does not answer", self._logs_hint())
        return url

    def down(self) -> None:
        """Remove the hub and the students' servers; students, their namespaces and passwords
        and the data folder (homes, submissions) stay."""
        k = kube()
        try:
            api = self.api()
            for s in api.servers():
                api.stop(s.name)
        except HubError:
            pass  # not there, or not answering: the servers' pods are deleted below anyway
        for ns in tenancy.labelled_namespaces(f"{objects.HUB_LABEL}=server"):
            k.call(
                f"delete the server pods in {ns}",
                k.core.delete_collection_namespaced_pod,
                ns,
                label_selector=SERVER_PODS,
                grace_period_seconds=1,
            )
        tenancy.delete_namespaces([HUB_NAMESPACE])
        k.get("delete the hub's database volume", k.core.delete_persistent_volume, "svclab-hub-db")
        for what, delete in (
            ("RoleBinding", k.rbac.delete_namespaced_role_binding),
            ("Role", k.rbac.delete_namespaced_role),
        ):
            k.get(f"delete the hub's {what} in {CLASSROOM_NAMESPACE}", delete, objects.HUB_READER, CLASSROOM_NAMESPACE)

    def status(self) -> HubStatus:
        k = kube()
        service = self._proxy_service()
        if service is None:
            return HubStatus(None, False)
        url = self.url(service.spec.ports[0].node_port)
        api = self.api(url)
        ready = api.health()
        pods = {}
        for ns in tenancy.labelled_namespaces(f"{objects.HUB_LABEL}=server"):
            for pod in k.call(f"list pods in {ns}", k.core.list_namespaced_pod, ns, label_selector=SERVER_PODS).items:
                student = (pod.metadata.labels or {}).get(STUDENT_LABEL, ns)
                pods[student] = (pod.status.phase, pod.spec.node_name or "-")
        return HubStatus(url, ready, api.servers() if ready else [], pods)

    def url(self, port: int | None = None) -> str:
        if port is None:
            service = self._proxy_service()
            if service is None:
                raise HubError("there is no hub on this cluster", "deploy it: svclab hub up")
            port = int(service.spec.ports[0].node_port)
        return f"http://127.0.0.1:{port}"

    def _proxy_service(self) -> Any:
        """The hub's NodePort Service (the browser's way in), or None when there is no hub."""
        k = kube()
        return k.get("read the hub's Service", k.core.read_namespaced_service, "proxy-public", HUB_NAMESPACE)

    def api(self, url: str | None = None) -> HubAPI:
        """The hub's REST API with the instructor's service token."""
        k = kube()
        found = k.get("read the hub's Secret", k.core.read_namespaced_secret, objects.SECRETS, HUB_NAMESPACE)
        if found is None:
            raise HubError("there is no hub on this cluster", "deploy it: svclab hub up")
        token = base64.b64decode(found.data["SVCLAB_HUB_TOKEN"]).decode()
        return HubAPI(url or self.url(), token)

    # -- students ----------------------------------------------------------------------------------
    def add_students(self, names: list[str], reset_password: bool = False, report: Report = _quiet) -> dict[str, str]:
        """Provision students for the hub; returns the new password of each student who had
        none (or all, with ``reset_password``). The hub must be up."""
        for name in names:
            check_name(name)
        api = self.api()
        make_room(names)
        room = Classroom()
        hashes = self._password_hashes()
        passwords: dict[str, str] = {}
        for name in names:
            report("students", f"{name}: namespaces and account")
            room.add(name)
            self._folders(*objects.student_folders(name))
            server = objects.server_objects(name, room.credentials(name))
            self.kubectl.apply(dump(*server, *objects.student_volumes(name)))
            if reset_password or name not in hashes:
                passwords[name] = new_password()
        if passwords:
            k = kube()
            data = {n: base64.b64encode(hash_password(p).encode()).decode() for n, p in passwords.items()}
            k.call(
                "store the passwords",
                k.core.patch_namespaced_secret,
                objects.USERS,
                CLASSROOM_NAMESPACE,
                {"data": data},
            )
        api.add_users(names)
        return passwords

    def remove_students(self, names: list[str], purge: bool = False) -> None:
        """Take students off the hub and out of the class: their server, login, namespaces and
        volumes (`svclab classroom remove`); their files stay in the data folder unless ``purge``."""
        for name in names:
            check_name(name)
        api = self.api()
        k = kube()
        hashes = self._password_hashes()
        for name in names:
            api.stop(name)
            api.call("DELETE", f"/users/{name}", ok=(404,))
            if name in hashes:
                patch = [{"op": "remove", "path": f"/data/{name}"}]
                k.call(
                    f"forget the password of {name}",
                    k.core.patch_namespaced_secret,
                    objects.USERS,
                    CLASSROOM_NAMESPACE,
                    patch,
                )
            Classroom().remove(name)
            if purge:
                self._on_node("rm", "-rf", *(f"{HUB_MOUNT}/{f}" for f in objects.student_folders(name)))

    def _password_hashes(self) -> dict[str, str]:
        k = kube()
        found = k.get("read the hub's users", k.core.read_namespaced_secret, objects.USERS, CLASSROOM_NAMESPACE)
        return dict(found.data or {}) if found else {}

    # -- parts of up -------------------------------------------------------------------------------
    def _ensure_secrets(self) -> None:
        """The hub's secrets and the (empty) password list, made once: a new cookie secret
        would log every student out."""
        k = kube()
        tenancy.ensure_classroom_namespace()
        hub = {
            key: secrets.token_hex(32) for key in ("JPY_COOKIE_SECRET", "CONFIGPROXY_AUTH_TOKEN", "SVCLAB_HUB_TOKEN")
        }
        for name, values, ns in ((objects.SECRETS, hub, HUB_NAMESPACE), (objects.USERS, {}, CLASSROOM_NAMESPACE)):
            if k.get(f"read Secret {name}", k.core.read_namespaced_secret, name, ns) is None:
                k.call(f"create Secret {name}", k.core.create_namespaced_secret, ns, objects.secret(name, values, ns))

    def _node_port(self) -> int:
        """The hub's node port: the one it has, else the highest free port of the range (the
        lowest ports are the labs' static band)."""
        k = kube()
        service = self._proxy_service()
        if service is not None:
            return int(service.spec.ports[0].node_port)
        used = {
            p.node_port
            for s in k.call("list Services", k.core.list_service_for_all_namespaces).items
            for p in s.spec.ports or []
            if p.node_port
        }
        free = [p for p in reversed(self.settings.node_ports) if p not in used]
        if not free:
            raise HubError(
                "every node port of the cluster is taken", "delete a NodePort Service, or `svclab up --class-size N`"
            )
        return free[0]

    def _check_mount(self) -> None:
        """Every node sees the data folder (kind's extraMount; clusters made before the hub existed lack it)."""
        cluster = Cluster(self.settings)
        if cluster.provider != "kind":
            raise HubError(
                "svclab hub up deploys onto svclab's kind cluster, and this one was adopted (svclab up --kubeconfig)",
                "README, 'The same hub on a real cluster', says what another cluster needs",
            )
        for node in cluster.node_containers():
            try:
                runner.run(["docker", "exec", node, "test", "-d", HUB_MOUNT], timeout=30)
            except CommandFailed:
                raise ClusterError(
                    f"node {node} does not mount the hub's data folder at {HUB_MOUNT}: the cluster predates the hub",
                    "run `svclab up`: it recreates the cluster with the mount (the images are cached)",
                ) from None

    def _folders(self, *paths: str) -> None:
        """Make folders of the data folder that pods write, owned by the images' user, through
        a node (so this needs no root on this machine); existing ones are left as they are."""
        script = 'for d; do [ -d "$d" ] || install -d -o 1000 -g 100 -m 0750 "$d"; done'
        self._on_node("sh", "-c", script, "sh", *(f"{HUB_MOUNT}/{p}" for p in paths))

    def _on_node(self, *argv: str) -> None:
        """A command on the control-plane node, which sees the data folder at HUB_MOUNT."""
        runner.run(["docker", "exec", f"{CLUSTER_NAME}-control-plane", *argv], timeout=60)

    def _logs_hint(self) -> str:
        return f"its log: kubectl -n {HUB_NAMESPACE} logs deploy/hub"
