"""Where svclab keeps things, and the pinned versions it builds."""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

CLUSTER_NAME = "svclab"
#: NodePorts of a cluster for one person; each one is published on 127.0.0.1 by the control-plane node.
NODE_PORT_RANGE = range(30000, 30050)
#: grading namespaces that may hold a node port (and a LoadBalancer IP) at once: autograde --parallel
GRADING_SLOTS = 4


def node_port_range(class_size: int = 0) -> range:
    """The node ports of a cluster for a class: Kubernetes sets the lowest 1/32 of a range
    (at least 16) aside for fixed ports, and each student's NodePort lab holds one of them,
    grading a few more. At most Kubernetes' default 2768 ports: a class of 82."""
    if class_size + GRADING_SLOTS <= 16:
        return NODE_PORT_RANGE
    size = min(32 * (class_size + GRADING_SLOTS), 2768)
    return range(NODE_PORT_RANGE.start, NODE_PORT_RANGE.start + size)


def port_span(ports: range) -> str:
    return f"{ports.start}-{ports.stop - 1}"


#: a checkout this module runs from (an editable install, or PYTHONPATH=src): its own folders
CHECKOUT = Path(__file__).resolve().parents[2]
#: the copy of those folders a wheel installs beside the package (pyproject.toml, `sources`)
PACKAGE_DATA = Path(__file__).resolve().parent / "_data"


def data_root() -> Path:
    """The one place svclab's data is found: the folder holding cluster/ (build recipes, Go
    wrapper modules, node files, manifests, versions.env), labs/, course/ and
    grader/nbgrader_config.py. ``SVCLAB_CLUSTER_DIR``'s parent when that is set; else the
    checkout this module runs from, so an editable install reads (and a change to) the
    repository's own files; else the package data of an installed wheel."""
    if chosen := os.environ.get("SVCLAB_CLUSTER_DIR"):
        return Path(chosen).parent
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "cluster/versions.env").is_file():
        return CHECKOUT
    return PACKAGE_DATA


def _home_dir(env: str, xdg: str, default: str) -> Path:
    if value := os.environ.get(env):
        return Path(value)
    return Path(os.environ.get(xdg) or Path.home() / default) / "svclab"


def _hub_dir() -> Path:
    """``SVCLAB_HUB_DATA``, else svclab's folder of the XDG data home (~/.local/share/svclab/hub)."""
    if value := os.environ.get("SVCLAB_HUB_DATA"):
        return Path(value)
    return _home_dir("SVCLAB_DATA", "XDG_DATA_HOME", ".local/share") / "hub"


@dataclass(frozen=True)
class Settings:
    """Paths and versions, resolved once from the environment."""

    #: cluster/ (recipes, wrapper modules, manifests) of the data root (see data_root); read only:
    #: what svclab builds or writes goes to cache_dir, config_dir and the workspace
    cluster_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("SVCLAB_CLUSTER_DIR") or data_root() / "cluster")
    )
    #: build outputs and logs, keyed by pinned versions; safe to delete
    cache_dir: Path = field(default_factory=lambda: _home_dir("SVCLAB_CACHE", "XDG_CACHE_HOME", ".cache"))
    #: svclab's own kubeconfig and the record of which cluster it drives
    config_dir: Path = field(default_factory=lambda: _home_dir("SVCLAB_CONFIG", "XDG_CONFIG_HOME", ".config"))
    #: the class's data on the hub: students' homes, submissions, released labs, the hub's
    #: database; every node mounts it (HUB_MOUNT), so it outlives the cluster. Not a cache
    hub_dir: Path = field(default_factory=lambda: _hub_dir())

    @property
    def data_dir(self) -> Path:
        """The data root: a checkout, or an installed wheel's package data (see data_root)."""
        return self.cluster_dir.parent

    @property
    def installed(self) -> bool:
        """Whether the data is a wheel's package data (read only, inside site-packages), not a checkout."""
        return not (self.data_dir / "pyproject.toml").is_file()

    @property
    def labs_dir(self) -> Path:
        """nbgrader source notebooks, one folder per lab."""
        return self.data_dir / "labs"

    @property
    def course_dir(self) -> Path:
        """The course notebooks (lectures and demos) as shipped."""
        return self.data_dir / "course"

    @property
    def nbgrader_config(self) -> Path:
        """svclab's nbgrader_config.py, which every course root holds a copy of."""
        return self.data_dir / "grader" / "nbgrader_config.py"

    @property
    def workspace_dir(self) -> Path:
        """Where `svclab lab` opens a student's workspace (course + student versions of the labs)."""
        return Path(os.environ.get("SVCLAB_WORKSPACE") or Path.home() / "svclab")

    @property
    def course_root(self) -> Path:
        """The nbgrader course root `svclab grade` uses without --course: ``SVCLAB_COURSE``; else a
        checkout's grader/ (as always); else, installed from a wheel, grader/ in the user's
        workspace folder (~/svclab/grader) – never the package data in site-packages."""
        if chosen := os.environ.get("SVCLAB_COURSE"):
            return Path(chosen)
        return self.workspace_dir / "grader" if self.installed else self.data_dir / "grader"

    def setup_hint(self) -> str:
        """How to prepare this host (Docker, mmdebstrap, Go, svclab-runc): the Makefile of a
        checkout, or the packaged script run with the Python that has svclab."""
        if not self.installed:
            return "run `make setup`"
        return f"run `sudo SVCLAB_PYTHON={sys.executable} bash {self.cluster_dir / 'setup-host.sh'}`"

    @property
    def state_file(self) -> Path:
        """Which cluster svclab drives, and how `svclab up` made it."""
        return self.config_dir / "cluster.json"

    @property
    def node_ports(self) -> range:
        """The node ports of svclab's cluster, as `svclab up` recorded them (else the default)."""
        recorded = json.loads(self.state_file.read_text()).get("node_ports") if self.state_file.exists() else None
        if not recorded:
            return NODE_PORT_RANGE
        first, last = (int(x) for x in recorded.split("-"))
        return range(first, last + 1)

    @property
    def build_dir(self) -> Path:
        return self.cache_dir / "build"

    @property
    def bin_dir(self) -> Path:
        """kind and kubectl built by svclab; put first on PATH for students."""
        return self.cache_dir / "bin"

    @property
    def log_dir(self) -> Path:
        return self.cache_dir / "logs"

    @property
    def kubeconfig(self) -> Path:
        """``SVCLAB_KUBECONFIG``; else svclab's own (written by `svclab up`); else, where svclab
        made no cluster (a student's kernel on a class's hub), the first file of ``KUBECONFIG``."""
        if chosen := os.environ.get("SVCLAB_KUBECONFIG"):
            return Path(chosen)
        own = self.config_dir / "kubeconfig"
        if not own.exists() and (given := os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]):
            return Path(given)
        return own

    @cached_property
    def versions(self) -> dict[str, str]:
        """cluster/versions.env as a dict (shell quoting removed)."""
        result: dict[str, str] = {}
        for line in (self.cluster_dir / "versions.env").read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                result[key] = " ".join(shlex.split(value))
        return result

    @property
    def kubernetes_version(self) -> str:
        return "v" + self.versions["KUBERNETES_VERSION"]

    def tool_env(self) -> dict[str, str]:
        """Environment for kubectl/kind: svclab's bin first on PATH, its kubeconfig."""
        return {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "KUBECONFIG": str(self.kubeconfig),
        }


def settings() -> Settings:
    return Settings()
