"""Offline image builds: every binary from a pinned Go module, every userland
from Debian packages, nothing pulled from a registry.

The build is a short list of steps (data below). Each step's cache key hashes
its recipe, its inputs and the keys of the steps it uses, so a warm run skips
everything and a version bump rebuilds exactly what depends on it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from svclab import runner
from svclab.cluster import gotoolchain
from svclab.errors import BuildError, CommandFailed, ToolMissing
from svclab.settings import Settings

#: images `kind load` puts on every node after the cluster exists (the course's own)
ADDON_IMAGES = (
    "gcr.io/google-samples/hello-app:1.0",
    "docker.io/svclab/toolbox:v1",
    "docker.io/svclab/nodeview:v1",
)


@dataclass(frozen=True)
class Step:
    """One cached build step: runs `bash cluster/<script> <args>`."""

    name: str
    title: str
    script: str
    args: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()  # paths under cluster/ whose content feeds the key
    uses: tuple[str, ...] = ()  # steps whose outputs this one consumes
    files: tuple[str, ...] = ()  # outputs under the build folder
    images: tuple[str, ...] = ()  # docker images it creates (`{key}` is filled in)


KUBERNETES_BINARIES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
    "kubeadm",
    "kubelet",
    "kubectl",
)


def _go(name: str, title: str, inputs: tuple[str, ...], files: tuple[str, ...]) -> Step:
    return Step(name, title, "build/go.sh", (name,), inputs, files=files)


STEPS: tuple[Step, ...] = (
    _go("kind", "kind CLI", ("gomod/kind",), ("../bin/kind",)),
    _go(
        "programs",
        "hello-app, pause, svclab-cni, svclab-nodeview, svclab-runc",
        ("images", "runtime"),
        ("images/hello-app", "images/pause", "images/cni", "images/nodeview", "images/svclab-runc"),
    ),
    _go(
        "kubernetes",
        "Kubernetes binaries",
        ("gomod/kubernetes",),
        (*(f"k8s/{b}" for b in KUBERNETES_BINARIES), "../bin/kubectl"),
    ),
    _go("etcd", "etcd", ("gomod/etcd",), ("etcd/etcd",)),
    _go("coredns", "CoreDNS", ("gomod/coredns",), ("coredns/coredns",)),
    _go(
        "metallb",
        "MetalLB",
        ("gomod/metallb",),
        ("metallb/controller", "metallb/speaker", "metallb/metallb-native.yaml"),
    ),
    # `svclab images serve`'s: no image uses it, so it is built on demand only (ON_DEMAND)
    Step(
        "registry",
        "distribution registry",
        "build/registry.sh",
        inputs=("gomod/registry",),
        files=("registry/registry",),
    ),
    Step(
        "tools-rootfs", "Debian network-tools userland", "build/tools-rootfs.sh", images=("svclab/debian-tools:{key}",)
    ),
    Step(
        "node-rootfs",
        "kind node userland (Debian, systemd, containerd)",
        "build/node-rootfs.sh",
        inputs=("node/customize.sh",),
        uses=("kind", "programs"),
        images=("svclab/node-base:{key}",),
    ),
    Step(
        "images",
        "container images",
        "build/images.sh",
        uses=("kubernetes", "etcd", "coredns", "metallb", "programs", "tools-rootfs"),
    ),
    Step(
        "node",
        "kind node image",
        "build/node.sh",
        inputs=("node/default-cni.yaml",),
        uses=("node-rootfs", "images", "kubernetes"),
        images=("svclab/node:{k8s}-{key}",),
    ),
)

_BY_NAME = {s.name: s for s in STEPS}
#: steps that `build` runs only when they are asked for by name
ON_DEMAND = frozenset({"registry"})
#: what a running cluster needs besides the node image, under the build folder (an image
#: bundle carries exactly these; the rest of the build is only the way to them)
RUNTIME_FILES = ("../bin/kind", "../bin/kubectl", "metallb/metallb-native.yaml", "images/svclab-runc")
_COMMON = ("versions.env", "build/common.sh")


def _hash_path(digest: hashlib._Hash, path: Path) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        digest.update(str(f.relative_to(path.parent)).encode())
        digest.update(f.read_bytes())


class ImageBuilder:
    """Runs the steps that are out of date, with progress, logs and cache stamps."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._keys: dict[str, str] = {}

    def key(self, name: str) -> str:
        """The cache key of a step (12 hex digits)."""
        if name not in self._keys:
            step = _BY_NAME[name]
            digest = hashlib.sha256(name.encode())
            for rel in (*_COMMON, step.script, *step.inputs):
                _hash_path(digest, self.settings.cluster_dir / rel)
            for dep in step.uses:
                digest.update(self.key(dep).encode())
            if name == "node":  # what it preloads is a list in this file, not a file of cluster/
                digest.update(" ".join(self.preload_images()).encode())
            self._keys[name] = digest.hexdigest()[:12]
        return self._keys[name]

    def images_of(self, name: str) -> list[str]:
        if name == "images":  # its list follows the pinned versions
            return self.preload_images()
        step = _BY_NAME[name]
        return [i.format(key=self.key(name), k8s=self.settings.kubernetes_version) for i in step.images]

    @property
    def node_image(self) -> str:
        return self.images_of("node")[0]

    def is_fresh(self, name: str) -> bool:
        """Built with the current key, and its outputs still exist."""
        stamp = self._stamp(name)
        if not stamp.exists() or json.loads(stamp.read_text()).get("key") != self.key(name):
            return False
        build = self.settings.build_dir
        if not all((build / f).exists() for f in _BY_NAME[name].files):
            return False
        return all(_image_exists(i) for i in self.images_of(name))

    def runnable(self) -> bool:
        """The node image of today's key and the runtime files are here, built or imported
        from a bundle. The node image's key covers every step it is made of."""
        build = self.settings.build_dir
        return all((build / f).exists() for f in RUNTIME_FILES) and _image_exists(self.node_image)

    def ensure(self, report: Callable[[Step, str], None] = lambda step, line: None) -> list[tuple[str, float]]:
        """What `svclab up` needs: nothing when the cluster can run as it is, else a build."""
        return [] if self.runnable() else self.build(report)

    def stale(self, extra: tuple[str, ...] = ()) -> list[Step]:
        return [s for s in STEPS if (s.name not in ON_DEMAND or s.name in extra) and not self.is_fresh(s.name)]

    def build(
        self, report: Callable[[Step, str], None] = lambda step, line: None, extra: tuple[str, ...] = ()
    ) -> list[tuple[str, float]]:
        """Build what is out of date (with the ON_DEMAND steps named in ``extra``); returns
        (step, seconds) for each step run."""
        done: list[tuple[str, float]] = []
        for step in self.stale(extra):
            started = time.monotonic()
            self._run(step, report)
            seconds = time.monotonic() - started
            self._stamp(step.name).write_text(json.dumps({"key": self.key(step.name), "seconds": round(seconds, 1)}))
            done.append((step.name, seconds))
        return done

    def _run(self, step: Step, report: Callable[[Step, str], None]) -> None:
        s = self.settings
        go = self._go()  # the scripts' `go`: first on their PATH
        work = s.cache_dir / "work" / step.name
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        self._stamp(step.name).unlink(missing_ok=True)
        images = self.images_of(step.name)
        env = {
            "SVCLAB_CLUSTER_DIR": str(s.cluster_dir),
            "SVCLAB_WORK": str(work),
            "SVCLAB_BUILD": str(s.build_dir),
            "SVCLAB_OUT": images[0] if images else "",
            "SVCLAB_RUNC_WRAPPER": str(s.build_dir / "images/svclab-runc"),
            "SVCLAB_TOOLS_IMAGE": self.images_of("tools-rootfs")[0],
            "SVCLAB_NODE_BASE": self.images_of("node-rootfs")[0],
            "SVCLAB_PRELOAD": " ".join(self.preload_images()),
            "PATH": f"{go.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        log = s.log_dir / f"build-{step.name}.log"
        log.unlink(missing_ok=True)
        report(step, step.title)
        try:
            runner.stream(
                ["bash", s.cluster_dir / step.script, *step.args],
                log=log,
                env=env,
                on_line=lambda line: report(step, line[4:]) if line.startswith("==> ") else None,
            )
        except CommandFailed as exc:
            raise BuildError(
                f"building {step.title} failed:\n{exc.stderr}",
                hint=f"fix the cause above and run `svclab up` again; finished steps are kept (log: {log})",
            ) from None
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _go(self) -> Path:
        go = gotoolchain.find_go(self.settings)
        if go is None:
            need = gotoolchain.version_text(gotoolchain.required_version(self.settings.cluster_dir))
            raise ToolMissing(f"the build needs Go >= {need}, and none is installed", runner.install_hint("go"))
        return go

    def preload_images(self) -> list[str]:
        """Every image a node runs: what `kubeadm init` and the CNI need, MetalLB, the course's."""
        v = self.settings.versions
        k8s = self.settings.kubernetes_version
        return [
            *(
                f"registry.k8s.io/{c}:{k8s}"
                for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")
            ),
            f"registry.k8s.io/etcd:{v['ETCD_IMAGE_TAG']}",
            f"registry.k8s.io/coredns/coredns:v{v['COREDNS_VERSION']}",
            *(f"registry.k8s.io/pause:{t}" for t in v["PAUSE_TAGS"].split()),
            "docker.io/svclab/cni:v1",
            # the course's own, so that no cluster ever pulls or `kind load`s anything
            *self.metallb_images(),
            *ADDON_IMAGES,
        ]

    def metallb_images(self) -> list[str]:
        v = self.settings.versions["METALLB_VERSION"]
        return [f"quay.io/metallb/{c}:v{v}" for c in ("controller", "speaker")]

    def _stamp(self, name: str) -> Path:
        path = self.settings.cache_dir / "stamps" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def _image_exists(image: str) -> bool:
    return runner.run(["docker", "image", "inspect", "--format", "{{.Id}}", image], check=False).returncode == 0
