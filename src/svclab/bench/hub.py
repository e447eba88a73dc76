"""`svclab bench --hub N`: N students on the class's hub at once. Their servers are started
together through the hub's REST API, then each runs the ClusterIP lab's reference inside its
server; prints spawn and lab times, the memory each student costs (server, kernel and lab
namespace, read from the node containers) and the largest class this machine's memory holds."""

from __future__ import annotations

import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from svclab.bench.classroom import available_mib
from svclab.bench.cluster import node_memory_mib
from svclab.classroom import students_that_fit
from svclab.cluster.kind import Cluster
from svclab.errors import InvalidInput
from svclab.hub.deploy import Hub
from svclab.identity import server_namespace
from svclab.k8s.api import kube
from svclab.k8s.kubectl import Kubectl
from svclab.poll import poll
from svclab.settings import settings


def run_reference(student: str) -> float:
    """Run the ClusterIP lab's reference in the student's server; seconds it took."""
    pod, ns = f"jupyter-{student}", server_namespace(student)
    source = settings().labs_dir / "clusterip" / "clusterip.ipynb"
    Kubectl()("cp", str(source), f"{ns}/{pod}:/tmp/reference.ipynb")
    started = time.monotonic()
    ran = kube().exec(
        pod, ns, ["jupyter", "nbconvert", "--to", "notebook", "--execute", "/tmp/reference.ipynb"], timeout=900
    )
    if ran.returncode != 0:
        raise InvalidInput(f"the ClusterIP lab failed in the server of {student}:\n{ran.stderr[-2000:]}")
    return time.monotonic() - started


def bench_hub(console: Console, students: int) -> dict[str, float]:
    if students > (room := students_that_fit()):
        raise InvalidInput(
            f"{students} students do not fit this cluster's node ports ({room} more fit)",
            f"svclab up --class-size {students} first (it recreates the cluster), or bench fewer",
        )
    hub, cluster = Hub(), Cluster()
    hub.up()
    names = [f"hub{i}-{uuid.uuid4().hex[:4]}" for i in range(students)]
    figures: dict[str, float] = {}
    before_nodes, before_host = sum(node_memory_mib(cluster).values()), available_mib()
    try:
        with Progress(console=console, transient=True) as progress:
            progress.add_task("adding students", total=None)
            hub.add_students(names)
            api = hub.api()
            task = progress.add_task("starting their servers", total=students)
            started = time.monotonic()
            for name in names:
                api.start(name)
            ready: dict[str, float] = {}

            def all_ready() -> bool:
                for s in api.servers():
                    if s.name in names and s.ready and s.name not in ready:
                        ready[s.name] = time.monotonic() - started
                        progress.advance(task)
                return len(ready) == students

            poll(all_ready, timeout=180 + 30 * students, every=1, what="every server to be ready")
            task = progress.add_task("running the ClusterIP lab in each", total=students)
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=students) as pool:
                labs = []
                for seconds in pool.map(run_reference, names):
                    labs.append(seconds)
                    progress.advance(task)
            figures["labs, whole class (s)"] = time.monotonic() - started
        each = (sum(node_memory_mib(cluster).values()) - before_nodes) / students
        figures |= {
            "spawn, median (s)": statistics.median(ready.values()),
            "spawn, max (s)": max(ready.values()),
            "lab, median (s)": statistics.median(labs),
            "lab, max (s)": max(labs),
            "memory per student: server, kernel, lab namespace (MiB)": each,
            "host memory used by the class (MiB)": before_host - available_mib(),
            "largest class for this machine's memory": students + int(available_mib() * 0.9 / each),
        }
    finally:
        hub.remove_students(names, purge=True)
    table = Table("figure", "value", box=None, title=f"{students} students on the hub")
    for figure, value in figures.items():
        table.add_row(figure, f"{value:.1f}")
    console.print(table)
    return figures
