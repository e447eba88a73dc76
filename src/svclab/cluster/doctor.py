"""`svclab doctor`: every prerequisite, checked, with the fix for each failure."""

from __future__ import annotations

import json
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from svclab import runner
from svclab.cluster import gotoolchain
from svclab.cluster.images import ImageBuilder
from svclab.cluster.kind import Cluster
from svclab.errors import SvclabError
from svclab.settings import Settings, port_span

MIN_FREE_MEMORY_GIB = 4
MIN_FREE_DISK_GIB = 20


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def missing_capabilities(status: str | None = None) -> int:
    """Capability bits absent from this process's bounding set (0..40)."""
    text = status if status is not None else Path("/proc/self/status").read_text()
    bounding = next(int(line.split()[1], 16) for line in text.splitlines() if line.startswith("CapBnd:"))
    full = (1 << 41) - 1
    return full & ~bounding


def cgroup_mode(root: Path = Path("/sys/fs/cgroup")) -> str:
    if (root / "cgroup.controllers").exists():
        return "v2"
    return "hybrid (v1 + v2)" if (root / "unified").is_dir() else "v1"


def run_checks(settings: Settings) -> list[Check]:
    checks: list[Check] = []
    add = checks.append
    setup = settings.setup_hint()
    add(data_check(settings))

    docker = shutil.which("docker")
    add(Check("docker client", bool(docker), docker or "not found", setup))
    engine = runner.run(["docker", "info", "--format", "{{json .}}"], check=False, timeout=20) if docker else None
    engine_ok = engine is not None and engine.returncode == 0
    add(Check("docker engine", engine_ok, "running" if engine_ok else "not answering", f"{setup} (starts dockerd)"))
    if engine is not None and engine_ok:
        info = json.loads(engine.stdout)
        default_runtime = info.get("DefaultRuntime", "")
        missing = missing_capabilities()
        needs_wrapper = missing != 0
        ok = default_runtime == "svclab-runc" or not needs_wrapper
        detail = f"default runtime {default_runtime}; " + (
            f"capability bounding set lacks mask {missing:#x}, privileged containers need svclab-runc"
            if needs_wrapper
            else "full capability set, plain runc works"
        )
        add(Check("privileged containers", ok, detail, f"{setup} (registers svclab-runc as Docker's default runtime)"))
    add(Check("cgroups", True, cgroup_mode()))
    add(go_check(settings))
    debstrap = shutil.which("mmdebstrap")
    hint = runner.install_hint("mmdebstrap") or ""
    add(Check("mmdebstrap", bool(debstrap), debstrap or "not found (builds the Debian userlands)", hint))
    for tool in ("kind", "kubectl"):
        found = runner.which(tool, [settings.bin_dir])
        built = found is not None and Path(found).parent == settings.bin_dir
        add(
            Check(
                tool,
                built,
                found if found and built else f"not built yet{f' (found {found})' if found else ''}",
                "`svclab up` builds it",
            )
        )
    if engine_ok:
        builder = ImageBuilder(settings)
        stale = [s.title for s in builder.stale()]
        add(
            Check(
                "images",
                not stale,
                "all built" if not stale else "to build: " + ", ".join(stale),
                "`svclab up` builds them (about 20 minutes the first time)",
            )
        )

    mem = _meminfo_gib("MemAvailable")
    add(
        Check(
            "memory",
            mem >= MIN_FREE_MEMORY_GIB,
            f"{mem:.1f} GiB available",
            f"free memory: the cluster needs about {MIN_FREE_MEMORY_GIB} GiB",
        )
    )
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    for label, folder in (("disk (cache)", settings.cache_dir), ("disk (docker)", Path("/var/lib/docker"))):
        target = folder if folder.exists() else folder.parent
        free = shutil.disk_usage(target).free / 2**30
        add(
            Check(
                label,
                free >= MIN_FREE_DISK_GIB,
                f"{free:.0f} GiB free at {folder}",
                f"free at least {MIN_FREE_DISK_GIB} GiB",
            )
        )

    cluster = Cluster(settings)
    published = set(_published_ports(cluster)) if engine_ok else set()
    ports = settings.node_ports
    busy = [p for p in ports if p not in published and _port_busy(p)]
    add(
        Check(
            "node ports",
            not busy,
            f"127.0.0.1:{port_span(ports)} " + ("free" if not busy else f"in use: {busy}"),
            "stop what listens on those ports (`ss -ltnp`)",
        )
    )
    try:
        status = cluster.status()
        add(Check("cluster", status.healthy, "ready" if status.healthy else "; ".join(status.problems), "`svclab up`"))
    except SvclabError as exc:
        add(Check("cluster", False, exc.message, "`svclab up`"))
    return checks


def data_check(settings: Settings) -> Check:
    """Where the build recipes, labs and course come from: a checkout, or an installed wheel."""
    wanted = [settings.cluster_dir / "versions.env", settings.labs_dir, settings.course_dir, settings.nbgrader_config]
    missing = [str(p) for p in wanted if not p.exists()]
    source = "installed package data" if settings.installed else "checkout"
    detail = f"{settings.data_dir} ({source})" + (f"; missing {', '.join(missing)}" if missing else "")
    return Check("data", not missing, detail, "reinstall svclab, or set SVCLAB_CLUSTER_DIR to a checkout's cluster/")


def go_check(settings: Settings) -> Check:
    """Which Go builds kind, Kubernetes and the images – or why none does."""
    need = gotoolchain.required_version(settings.cluster_dir)
    gos = gotoolchain.found_gos(settings)
    usable = next((g for g in gos if g.version >= need), None)
    if usable:
        return Check("go", True, str(usable))
    too_old = "".join(f"{g} is older than {gotoolchain.version_text(need)}; " for g in gos)
    detail = f"{too_old or 'none found; '}the set-up installs Go {need[0]}.{need[1]}.x into svclab's cache"
    return Check("go", False, detail, runner.install_hint("go") or "")


def _published_ports(cluster: Cluster) -> list[int]:
    result = runner.run(["docker", "port", "svclab-control-plane"], check=False)
    return [int(line.split("/")[0]) for line in result.stdout.splitlines() if line[:1].isdigit()]


def _port_busy(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _meminfo_gib(key: str) -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 2**20
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")) / 2**30
