"""`svclab bench --classroom N`: provision N students, run each one's working set (the
ClusterIP and NodePort labs set up, with their Services), and print the time to provision,
the memory each student costs and the largest class this machine's memory holds."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from svclab.bench.cluster import node_memory_mib
from svclab.classroom import Classroom, make_room, students_that_fit
from svclab.cluster.kind import Cluster
from svclab.k8s import manifests, quota, reads
from svclab.k8s.kubectl import Kubectl


def kernel_mib() -> float:
    """Resident memory of a student's kernel (ipykernel) once a lab's imports are done."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        client.execute_interactive("import svclab, svclab.labs, svclab.widgets, svclab.course", timeout=120)
        pid = manager.provisioner.process.pid  # type: ignore[union-attr]
        status = Path(f"/proc/{pid}/status").read_text()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return int(next(x for x in status.splitlines() if x.startswith("VmRSS:")).split()[1]) / 1024


def available_mib() -> float:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return int(meminfo["MemAvailable"].split()[0]) / 1024


def working_set(name: str) -> None:
    """What a student has running while they work: two labs' set-ups and their Services."""
    kubectl = Kubectl()
    for lab in ("clusterip", "nodeport"):
        ns = f"{name}-{lab}"
        kubectl.apply(manifests.dump(manifests.hello_world(), manifests.toolbox("toolbox")), "-n", ns)
    kubectl("expose", "deployment", "hello-world", "--port=80", "--target-port=8080", "-n", f"{name}-clusterip")
    port = quota.own_node_port(f"{name}-nodeport")
    kubectl(
        "create", "service", "nodeport", "hello-world", "--tcp=80:8080", f"--node-port={port}", "-n", f"{name}-nodeport"
    )
    for lab in ("clusterip", "nodeport"):
        reads.wait_rolled_out("hello-world", f"{name}-{lab}", timeout=300)
        reads.wait_pod_ready("toolbox", f"{name}-{lab}", timeout=300)


def bench_classroom(console: Console, students: int) -> dict[str, float]:
    """Provision ``students``, run their working sets, measure, and remove them again."""
    cluster, room = Cluster(), Classroom()
    names = [f"bench{i}-{uuid.uuid4().hex[:4]}" for i in range(students)]
    figures: dict[str, float] = {}
    before_nodes, before_host = sum(node_memory_mib(cluster).values()), available_mib()
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("provisioning students", total=students)
            started = time.monotonic()
            make_room(names)
            for name in names:
                room.add(name)
                progress.advance(task)
            figures["provision, whole class (s)"] = time.monotonic() - started
            task = progress.add_task("starting their labs", total=students)
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=4) as pool:
                for _ in pool.map(working_set, names):
                    progress.advance(task)
            figures["labs set up, whole class (s)"] = time.monotonic() - started
        cluster_each = (sum(node_memory_mib(cluster).values()) - before_nodes) / students
        kernel = kernel_mib()
        each = cluster_each + kernel
        figures |= {
            "provision per student (s)": figures["provision, whole class (s)"] / students,
            "cluster memory per student (MiB)": cluster_each,
            "kernel per student (MiB)": kernel,
            "memory per student (MiB)": each,
            "largest class for this machine's memory": students + int(available_mib() * 0.9 / each),
            "largest class for the node ports set aside": students + students_that_fit(),
            "host memory used by the class (MiB)": before_host - available_mib(),
        }
    finally:
        for name in names:
            room.remove(name)
    table = Table("figure", "value", box=None, title=f"a class of {students}")
    for figure, value in figures.items():
        table.add_row(figure, f"{value:.1f}" if isinstance(value, float) else str(value))
    console.print(table)
    return figures
