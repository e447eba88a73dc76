"""Offline image builds: every binary from a pinned Go module, every userland
from Debian packages, nothing pulled from a registry.

The build is a short list of steps (data below). Each step's cache key hashes
its recipe, its inputs and the keys of the steps it uses, so a warm run skips
everything and a version bump rebuilds exactly what depends on it."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
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
    # svclab's own files it carries, relative to the data root: hashed without what running Python
    # or Jupyter leaves behind, and the same from a wheel install (see _source_files)
    sources: tuple[str, ...] = ()


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
    # a class's JupyterHub in the cluster (ON_DEMAND): the hub, and each student's server
    Step(
        "hub-image",
        "JupyterHub image",
        "build/hub.sh",
        ("hub",),
        inputs=("hub/requirements-hub.txt", "hub/chp/package.json", "hub/chp/package-lock.json"),
        images=("docker.io/svclab/hub:{key}",),
        sources=("cluster/hub/svclab_hub",),
    ),
    Step(
        "singleuser-image",
        "JupyterHub single-user image",
        "build/hub.sh",
        ("singleuser",),
        inputs=("hub/requirements-singleuser.txt",),
        uses=("kubernetes",),
        images=("docker.io/svclab/singleuser:{key}",),
        sources=(
            "cluster/hub/singleuser",  # a source, not an input: it holds Python, which pip compiles in a wheel install
            "pyproject.toml",
            "src/svclab",
            "course",
            "labs",
            "grader/nbgrader_config.py",
        ),
    ),
)

_BY_NAME = {s.name: s for s in STEPS}
#: steps that `build` runs only when they are asked for by name
ON_DEMAND = frozenset({"registry", "hub-image", "singleuser-image"})
#: the JupyterHub images: `build(extra=HUB_STEPS)` makes them, `hub_images()` names them
HUB_STEPS = ("hub-image", "singleuser-image")
#: what a running cluster needs besides the node image, under the build folder (an image
#: bundle carries exactly these; the rest of the build is only the way to them)
RUNTIME_FILES = ("../bin/kind", "../bin/kubectl", "metallb/metallb-native.yaml", "images/svclab-runc")
_COMMON = ("versions.env", "build/common.sh")


def _hash_path(digest: hashlib._Hash, path: Path) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        digest.update(str(f.relative_to(path.parent)).encode())
        digest.update(f.read_bytes())


#: svclab's package as it runs: a checkout's src/svclab, or the installed package of a wheel
PACKAGE_DIR = Path(__file__).resolve().parents[1]
_SKIP = {"__pycache__", ".ipynb_checkpoints"}  # what running Python or Jupyter leaves behind


def _source_files(settings: Settings, rel: str) -> Iterator[tuple[str, bytes]]:
    """The files of svclab's own source ``rel`` (relative to the data root) as (name, content),
    the same from a checkout and from a wheel install, whose data root has no src/ and no
    pyproject.toml: there src/svclab is the installed package (without its _data) and
    pyproject.toml the installed metadata (see _project). Nothing when it is absent; never
    what running Python or Jupyter leaves behind (__pycache__, .pyc, .ipynb_checkpoints)."""
    if rel == "pyproject.toml":
        if (project := _project(settings)) is not None:
            yield f"{rel}[project]", json.dumps(project, sort_keys=True).encode()
        return
    root, top_skip = settings.data_dir / rel, set()
    if rel == "src/svclab" and not root.is_dir():
        root, top_skip = PACKAGE_DIR, {"_data"}  # its data: the other sources, and cluster/
    if root.is_file():
        yield rel, root.read_bytes()
        return
    found: list[Path] = []
    for top, dirs, files in os.walk(root):
        skip = _SKIP | top_skip if top == str(root) else _SKIP
        dirs[:] = [d for d in dirs if d not in skip]
        found += (Path(top, f) for f in files if not f.endswith(".pyc"))
    for f in sorted(found):
        yield f"{rel}/{f.relative_to(root)}", f.read_bytes()


def _project(settings: Settings) -> dict[str, object] | None:
    """What of pyproject.toml an image carries (through svclab's wheel): [project]'s name, version,
    dependencies and scripts; from a wheel install the same, read from the installed dist-info."""
    pyproject = settings.data_dir / "pyproject.toml"
    if pyproject.is_file():
        p = tomllib.loads(pyproject.read_text())["project"]
        name, version, deps, scripts = p["name"], p["version"], p.get("dependencies", []), p.get("scripts", {})
    elif infos := sorted(PACKAGE_DIR.parent.glob("svclab-*.dist-info")):
        dist = metadata.PathDistribution(infos[-1])
        name, version = dist.metadata["Name"], dist.version
        deps = [d for d in dist.requires or [] if "extra ==" not in d]
        scripts = {e.name: e.value for e in dist.entry_points.select(group="console_scripts")}
    else:
        return None
    return {"name": name, "version": version, "dependencies": sorted(deps), "scripts": scripts}


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
            for rel in step.sources:
                for file, data in _source_files(self.settings, rel):
                    digest.update(file.encode())
                    digest.update(data)
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

    def hub_images(self) -> tuple[str, str]:
        """The JupyterHub images of today's keys: (hub, single-user), e.g. `docker.io/svclab/hub:<key>`.
        Built on demand only: `build(extra=HUB_STEPS)`; `is_fresh` says whether each one is here."""
        return self.images_of("hub-image")[0], self.images_of("singleuser-image")[0]

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
        (step, seconds) for each step run. One build at a time on this machine: a second one
        waits, then builds only what is still out of date."""
        done: list[tuple[str, float]] = []
        self.settings.cache_dir.mkdir(parents=True, exist_ok=True)
        with (self.settings.cache_dir / "build.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for step in self.stale(extra):
                started = time.monotonic()
                self._run(step, report)
                seconds = time.monotonic() - started
                stamp = json.dumps({"key": self.key(step.name), "seconds": round(seconds, 1)})
                self._stamp(step.name).write_text(stamp)
                done.append((step.name, seconds))
        return done

    def _run(self, step: Step, report: Callable[[Step, str], None]) -> None:
        s = self.settings
        if s.installed and (missing := [rel for rel in step.sources if not (s.data_dir / rel).exists()]):
            raise BuildError(
                f"building {step.title} needs a checkout of svclab: it is made from svclab's sources, and this "
                f"installation's package data has no {', '.join(missing)}",
                hint="build it from a clone of the repository (with `make setup`)",
            )
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
            "SVCLAB_PYTHON": sys.executable,  # the build driver's, with svclab (the workspace, svclab's wheel)
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
