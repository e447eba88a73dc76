"""`svclab bench`: how long `up` takes and how much memory the cluster's nodes use."""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

from svclab import runner
from svclab.cluster.kind import Cluster


def node_memory_mib(cluster: Cluster) -> dict[str, float]:
    """Memory in use by each node container, from `docker stats`."""
    nodes = cluster.node_containers()
    out = runner.run(["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *nodes]).stdout
    usage = {}
    for line in out.splitlines():
        name, used = line.split()[0], line.split()[1]
        usage[name] = _mib(used)
    return usage


def _mib(text: str) -> float:
    units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "B": 1 / 2**20}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(f"unknown memory figure {text!r}")


def bench_up(console: Console, cold: bool = False) -> dict[str, float]:
    """Time `up` on the existing cluster (warm) and, with ``cold``, from no cluster
    (images cached); print and return the figures."""
    cluster = Cluster()
    figures: dict[str, float] = {}
    if cold:
        cluster.down()
        started = time.monotonic()
        cluster.up()
        figures["cold up, images cached (s)"] = time.monotonic() - started
    else:
        cluster.up()  # make sure it exists before timing the warm path
    started = time.monotonic()
    cluster.up()
    figures["warm up (s)"] = time.monotonic() - started
    memory = node_memory_mib(cluster)
    figures["cluster memory (MiB, sum of node containers)"] = sum(memory.values())
    table = Table("figure", "value", box=None)
    for name, value in figures.items():
        table.add_row(name, f"{value:.1f}")
    for name, value in memory.items():
        table.add_row(f"  {name} (MiB)", f"{value:.0f}")
    console.print(table)
    return figures


def bench_bundle(console: Console) -> dict[str, float]:
    """The classroom-without-internet path, timed: export the image bundle, delete the cluster
    and the node image, import the bundle, `up`. Recreates the cluster (images come back from
    the bundle, nothing is rebuilt)."""
    import tempfile
    from pathlib import Path

    from svclab.cluster import bundle
    from svclab.cluster.images import ImageBuilder
    from svclab.settings import settings

    s, cluster = settings(), Cluster()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="svclab-bench-bundle-") as tmp:
        started = time.monotonic()
        made = bundle.export(s, Path(tmp) / "svclab-images.tar")
        figures["export (s)"] = time.monotonic() - started
        figures["bundle size (MiB)"] = made.size / 2**20
        cluster.down()
        runner.run(["docker", "rmi", made.node_image])
        started = time.monotonic()
        bundle.import_(s, made.path)
        figures["import: verify and load (s)"] = time.monotonic() - started
        assert ImageBuilder(s).runnable()
        up_started = time.monotonic()
        cluster.up()
        figures["up after the import, to hello-world ready (s)"] = time.monotonic() - up_started
        figures["import to a ready cluster (s)"] = time.monotonic() - started
    table = Table("figure", "value", box=None)
    for name, value in figures.items():
        table.add_row(name, f"{value:.1f}")
    console.print(table)
    return figures
