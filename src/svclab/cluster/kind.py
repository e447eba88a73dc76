"""The course cluster: a kind cluster built offline (or any cluster given by
kubeconfig), with MetalLB and the hello-world Deployment."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from string import Template

from svclab import runner
from svclab.cluster.config import kind_config, loadbalancer_pool
from svclab.cluster.images import ImageBuilder
from svclab.constants import COURSE_NAMESPACE_LABELS, STUDENT_LABEL
from svclab.errors import ClusterError, CommandFailed, InvalidInput, SvclabError
from svclab.k8s import manifests, reads
from svclab.k8s.kubectl import Kubectl
from svclab.k8s.objects import NodeInfo
from svclab.poll import poll
from svclab.settings import CLUSTER_NAME, Settings, node_port_range, port_span
from svclab.settings import settings as default_settings

#: progress callback: (stage, detail)
Report = Callable[[str, str], None]
STAGES = ("engine", "images", "cluster", "addons", "hello-world")


def _quiet(stage: str, detail: str) -> None:
    pass


@dataclass
class ClusterStatus:
    """What `svclab status` shows; ``healthy`` means ready for the course."""

    provider: str  # "kind", "external" or "none"
    kubeconfig: str
    nodes: list[NodeInfo] = field(default_factory=list)
    hello_world: str = "missing"  # "ready/desired" replicas
    loadbalancer_pool: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return bool(self.nodes) and not self.problems


class Cluster:
    """Create, inspect and delete the course cluster."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or default_settings()
        self.kubectl = Kubectl(self.settings)
        self.images = ImageBuilder(self.settings)

    # ---- state: which cluster svclab drives ---------------------------------
    @property
    def _state_file(self) -> Path:
        return self.settings.state_file

    @property
    def provider(self) -> str:
        return self._state().get("provider", "none")

    def _state(self) -> dict[str, str]:
        return json.loads(self._state_file.read_text()) if self._state_file.exists() else {}

    def _save_state(self, provider: str, **extra: str) -> None:
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        self._state_file.write_text(json.dumps({**self._state(), "provider": provider, **extra}))

    # ---- up -----------------------------------------------------------------
    def up(
        self,
        kubeconfig: Path | None = None,
        report: Report = _quiet,
        class_size: int | None = None,
        mirror: str | None = None,
    ) -> ClusterStatus:
        """Bring the course cluster to its ready state; a no-op on a healthy one. ``class_size``
        sizes its node ports for a class, ``mirror`` (HOST:PORT of `svclab images serve`) makes
        its nodes pull through that registry (a change of either recreates the cluster); by
        default they stay as they were."""
        if kubeconfig is not None:
            return self._adopt(kubeconfig, report)
        if self.settings.kubeconfig.is_symlink():  # it pointed at an adopted cluster's own file:
            self.settings.kubeconfig.unlink()  # never let kind write into that one
        report("engine", "checking the Docker engine")
        ensure_engine()
        report("images", "checking cached images")
        self.images.ensure(lambda step, line: report("images", f"{step.title}: {line}"))
        ports = self.settings.node_ports if class_size is None else node_port_range(class_size)
        mirror = self._state().get("mirror") if mirror is None else mirror
        self.settings.hub_dir.mkdir(parents=True, exist_ok=True)
        config = kind_config(self.images.node_image, ports, mirror, self.settings.hub_dir)
        if self._kind_exists() and self._state().get("kind_config") != _digest(config):
            report("cluster", "the cluster was made from another node image or configuration; recreating it")
            self._kind("delete", "cluster", "--name", CLUSTER_NAME, timeout=300)
        if self._kind_exists():
            report("cluster", f"kind cluster {CLUSTER_NAME!r} exists")
            self._start_stopped_nodes()
            self._repair_node_dns(report)
            self._export_kubeconfig()
            try:
                self._wait_nodes(report, timeout=180)
            except ClusterError as exc:
                # e.g. after a host restart that kind could not recover from: images are cached,
                # so a new cluster is a minute away.
                report("cluster", f"the existing cluster is unhealthy ({exc.message}); recreating it")
                self._kind("delete", "cluster", "--name", CLUSTER_NAME, timeout=300)
        if not self._kind_exists():
            self._create(config, report)
        self._save_state("kind", kind_config=_digest(config), node_ports=port_span(ports), mirror=mirror or "")
        self._wait_nodes(report)
        self._install_addons(report)
        self._deploy_hello_world(report)
        return self.status()

    def _adopt(self, kubeconfig: Path, report: Report) -> ClusterStatus:
        """Use an existing cluster (a classroom JupyterHub, a cloud cluster)."""
        if not kubeconfig.is_file():
            raise InvalidInput(f"kubeconfig {kubeconfig} does not exist", "pass the path of a kubeconfig file")
        target = self.settings.kubeconfig
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        target.symlink_to(kubeconfig.resolve())
        self._save_state("external")
        report("cluster", f"using the cluster of {kubeconfig}")
        if not self.kubectl.reachable():
            raise ClusterError(
                f"the cluster of {kubeconfig} does not answer",
                hint="check the server address and credentials in that kubeconfig (`kubectl cluster-info`)",
            )
        self._wait_nodes(report)
        self._deploy_hello_world(report)
        return self.status()

    def _kind(self, *args: str, timeout: float = 600) -> str:
        kind = runner.which("kind", [self.settings.bin_dir]) or "kind"
        return runner.run([kind, *args], timeout=timeout, env=self.settings.tool_env()).stdout

    def _kind_exists(self) -> bool:
        return CLUSTER_NAME in self._kind("get", "clusters").split()

    def node_containers(self) -> list[str]:
        return self._kind("get", "nodes", "--name", CLUSTER_NAME).split()

    def load_images(self, *images: str) -> None:
        """Put images of this machine on the workers that lack them (`kind load` alone takes
        about a minute for a large image even when every node has it)."""
        workers = [n for n in self.node_containers() if not n.endswith("-control-plane")]
        for image in images:
            ls = ["ctr", "-n", "k8s.io", "images", "ls", "-q", f"name=={image}"]
            if nodes := [
                n for n in workers if runner.run(["docker", "exec", n, *ls], check=False).stdout.strip() != image
            ]:
                try:
                    self._kind("load", "docker-image", "--name", CLUSTER_NAME, "--nodes", ",".join(nodes), image)
                except CommandFailed as exc:
                    raise ClusterError(
                        f"cannot load {image} on the workers:\n{exc.stderr}", "`svclab status`"
                    ) from None

    def _create(self, config_text: str, report: Report) -> None:
        s = self.settings
        config = s.cache_dir / "kind-config.yaml"
        config.write_text(config_text)
        s.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        kind = runner.which("kind", [s.bin_dir]) or "kind"
        report("cluster", "creating kind cluster (1 control plane, 2 workers)")
        try:
            runner.stream(
                [
                    kind,
                    "create",
                    "cluster",
                    "--name",
                    CLUSTER_NAME,
                    "--config",
                    config,
                    "--kubeconfig",
                    s.kubeconfig,
                    "--retain",
                ],
                log=s.log_dir / "kind-create.log",
                env=s.tool_env(),
                on_line=lambda line: report("cluster", line.strip(" ✓•")) if line.strip() else None,
            )
        except CommandFailed as exc:
            raise ClusterError(
                f"kind could not create the cluster:\n{exc.stderr}",
                hint="`svclab doctor` checks the prerequisites; the node containers were kept for "
                "inspection (`docker logs svclab-control-plane`); `svclab down` removes them",
            ) from None

    def _start_stopped_nodes(self) -> None:
        for node in self.node_containers():
            state = runner.run(["docker", "inspect", "-f", "{{.State.Running}}", node]).stdout.strip()
            if state != "true":
                runner.run(["docker", "start", node])

    def _repair_node_dns(self, report: Report) -> None:
        """Point each node's resolver address at Docker's embedded DNS again. kind's node
        entrypoint copies Docker's DNAT rules for 127.0.0.11 to the network gateway, the
        nameserver of the node's resolv.conf. A dockerd restart that keeps the nodes running
        (live-restore) moves the embedded DNS to new ports, and nodes that dockerd starts again
        can come up with no such rules at all: then the kubelets cannot resolve the control
        plane and every name outside the cluster gets SERVFAIL."""
        script = (self.settings.cluster_dir / "node" / "repair-dns.sh").read_text()
        for node in self.node_containers():
            try:
                said = runner.run(["docker", "exec", node, "sh", "-c", script], timeout=60).stdout.strip()
            except CommandFailed as exc:
                raise ClusterError(
                    f"cannot repair the DNS of node {node}: {exc.stderr.strip()}",
                    hint="`svclab down && svclab up` recreates the cluster (the images are cached)",
                ) from None
            if said:
                report("cluster", f"{node}: {said}")

    def _export_kubeconfig(self) -> None:
        self.settings.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        self._kind("export", "kubeconfig", "--name", CLUSTER_NAME, "--kubeconfig", str(self.settings.kubeconfig))

    def _wait_nodes(self, report: Report, timeout: float = 300) -> None:
        report("cluster", "waiting for nodes to be Ready")
        why = poll(_nodes_not_ready, timeout=timeout, every=2, until=lambda reason: reason is None)
        if why is not None:
            raise ClusterError(
                f"nodes not Ready after {timeout:.0f}s: {why}",
                hint="`svclab status` lists the nodes; `svclab down && svclab up` recreates the cluster",
            )

    def _wait_system_pods(self, report: Report, timeout: float = 240) -> None:
        """Every pod of the cluster's own namespaces Ready (after a host restart the nodes
        are Ready well before the control plane and MetalLB have recovered)."""
        report("cluster", "waiting for the system pods")
        restarted: set[str] = set()

        def restart_backed_off() -> bool:
            """Pods that crashed while the cluster recovered (MetalLB without an API server, say)
            wait out a back-off of up to 5 minutes; deleted, their controller starts them now."""
            ready = True
            for ns in SYSTEM_NAMESPACES:
                waiting = reads.unready_pods(ns)
                stuck = [p.name for p in waiting if p.waiting == "CrashLoopBackOff" and p.name not in restarted]
                if stuck:
                    report("cluster", f"restarting crash-looping {', '.join(stuck)} in {ns}")
                    self.kubectl("delete", "pod", "-n", ns, "--wait=false", *stuck)
                    restarted.update(stuck)
                ready = ready and not waiting
            return ready

        if not poll(restart_backed_off, timeout=timeout, every=2, until=bool):
            for ns in SYSTEM_NAMESPACES:
                if waiting := reads.unready_pods(ns):
                    raise reads.pods_not_ready(ns, waiting, timeout)

    def _install_addons(self, report: Report) -> None:
        """MetalLB (LoadBalancer IPs), svclab-nodeview and the read-only roles a class's students
        see the cluster's internals with, and hello-world: applied together, then waited for
        together (their images are preloaded in the node image, so nothing is pulled or loaded)."""
        s = self.settings
        report("addons", "MetalLB, svclab-nodeview and hello-world")
        self.kubectl.apply((s.build_dir / "metallb/metallb-native.yaml").read_text())
        self.kubectl.apply((s.cluster_dir / "manifests/nodeview.yaml").read_text())
        self.kubectl.apply(manifests.dump(manifests.hello_world("default")))
        self._wait_system_pods(report)
        reads.wait_rolled_out("controller", "metallb-system", timeout=180)
        for ds, ns in (("speaker", "metallb-system"), ("svclab-nodeview", "svclab-system")):
            poll(partial(reads.daemonset_ready, ds, ns), timeout=180, every=1, what=f"DaemonSet {ds} on every node")
        pool = Template((s.cluster_dir / "manifests/metallb-pool.yaml").read_text()).substitute(
            POOL=loadbalancer_pool()
        )

        def apply_pool() -> CommandFailed | None:  # the webhook serves a few seconds after the rollout
            try:
                self.kubectl.apply(pool)
                return None
            except CommandFailed as exc:
                return exc

        if failed := poll(apply_pool, timeout=120, every=2, until=lambda result: result is None):
            raise failed

    def _deploy_hello_world(self, report: Report) -> None:
        report("hello-world", "deploying hello-world (3 replicas of hello-app)")
        self.kubectl.apply(manifests.dump(manifests.hello_world("default")))
        reads.wait_rolled_out("hello-world", "default", timeout=180)

    # ---- reset -----------------------------------------------------------------

    def reset(self, report: Report = _quiet) -> list[str]:
        """Back to the course's starting state without recreating the cluster:
        course namespaces deleted, `default` holding only hello-world (3 replicas).
        Returns what was removed."""
        removed: list[str] = []
        for label in COURSE_NAMESPACE_LABELS:  # a class's student namespaces stay: `svclab classroom remove`
            names = self.kubectl("get", "namespaces", "-l", f"{label},!{STUDENT_LABEL}", "-o", "name").split()
            if names:
                report("reset", f"deleting {len(names)} namespaces labelled {label}")
                self.kubectl("delete", *names, "--wait=false")
                removed += names
        keep = {"service/kubernetes", "deployment.apps/hello-world"}
        objects = self.kubectl(
            "get", "services,deployments,statefulsets,daemonsets,jobs,pods", "-n", "default", "-o", "name"
        ).split()
        bare = [o for o in objects if o not in keep and not o.startswith("pod/hello-world-")]
        hand_made = "endpointslice.kubernetes.io/managed-by!=endpointslice-controller.k8s.io"
        handmade = self.kubectl("get", "endpointslices", "-n", "default", "-o", "name", "-l", hand_made).split()
        endpoints = [
            e
            for e in self.kubectl("get", "endpoints", "-n", "default", "-o", "name").split()
            if e != "endpoints/kubernetes"
        ]
        for group in (bare, handmade, endpoints):
            if group:
                report("reset", f"deleting {len(group)} objects in default")
                self.kubectl("delete", *group, "-n", "default", "--wait=false", "--ignore-not-found")
                removed += group
        self._deploy_hello_world(report)
        return removed

    # ---- status / down --------------------------------------------------------
    def status(self) -> ClusterStatus:
        status = ClusterStatus(self.provider, str(self.settings.kubeconfig))
        if status.provider == "none":
            status.problems.append("no cluster yet: run `svclab up`")
            return status
        try:
            status.nodes = reads.nodes()
        except SvclabError as exc:
            status.problems.append(f"API server unreachable: {exc.message.splitlines()[0]}")
            return status
        status.problems += [f"node {n.name} is not Ready" for n in status.nodes if not n.ready]
        deploy = reads.deployment("hello-world", "default")
        if deploy is None:
            status.problems.append("deployment hello-world is missing")
        else:
            ready, wanted = deploy.status.ready_replicas or 0, deploy.spec.replicas
            status.hello_world = f"{ready}/{wanted}"
            if ready < wanted:
                status.problems.append(f"hello-world has {status.hello_world} replicas ready")
        if status.provider == "kind":
            status.loadbalancer_pool = ", ".join(reads.load_balancer_pools()) or None
            if status.loadbalancer_pool is None:
                status.problems.append("MetalLB has no address pool: LoadBalancer Services get no IP")
        return status

    def down(self) -> None:
        """Delete the kind cluster (an adopted cluster is only forgotten, never deleted)."""
        if self.provider != "external" and runner.which("kind", [self.settings.bin_dir]):
            self._kind("delete", "cluster", "--name", CLUSTER_NAME, timeout=300)
        self._state_file.unlink(missing_ok=True)
        if self.settings.kubeconfig.is_symlink() or self.provider == "none":
            self.settings.kubeconfig.unlink(missing_ok=True)


def _nodes_not_ready() -> str | None:
    """Why the nodes are not all Ready yet (None when they are)."""
    try:
        found = reads.nodes()
    except SvclabError as exc:
        return exc.message.splitlines()[0]
    waiting = [n.name for n in found if not n.ready]
    if not found or waiting:
        return f"not Ready: {', '.join(waiting) or 'no nodes yet'}"
    try:
        silent = reads.silent_nodes()
    except SvclabError as exc:
        return exc.message.splitlines()[0]
    if silent:  # Ready on paper only: e.g. right after a host restart
        return "no word from the kubelet of " + ", ".join(f"{n} for {age:.0f}s" for n, age in sorted(silent.items()))
    return None


#: the namespaces of the cluster's own pods (empty right after a first apply)
SYSTEM_NAMESPACES = ("kube-system", "metallb-system", "svclab-system")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure_engine() -> None:
    """Fail with a fix when the Docker engine is not answering."""
    try:
        runner.run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=20)
    except CommandFailed as exc:
        raise ClusterError(
            f"the Docker engine is not running: {exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else ''}",
            hint=f"{default_settings().setup_hint()} (it installs docker.io, registers svclab-runc and starts dockerd)",
        ) from None
