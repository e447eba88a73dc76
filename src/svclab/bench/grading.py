"""`svclab bench --grading`: autograde time per lab, and for a class."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import nbformat
from rich.console import Console
from rich.table import Table

from svclab.errors import InvalidInput
from svclab.grading.course import Course
from svclab.labs import LABS
from svclab.settings import settings

#: a typical mistake per lab: (task id, text of the reference answer, what the student wrote instead)
MISTAKE = {
    "clusterip": ("expose", "--target-port=8080", "--target-port=80"),
    "nodeport": ("expose", "--tcp=80:8080", "--tcp=80:80"),
    "loadbalancer": ("expose", "--target-port=8080", "--target-port=80"),
    "debugging": ("fix-port", '"targetPort":8080', '"targetPort":80'),
    "discovery": ("other-service", " -n {lab.other_namespace}", ""),
    "headless": ("apply", "  selector:\n    app: hello\n", "  selector:\n    app: helo\n"),
    "externalname": ("backend", ".{lab.namespace}.svc.cluster.local", ""),
    "selectorless": ("slice", "  - port: 8080", "  - port: 80"),
}


def with_mistake(lab: str, folder: Path) -> Path:
    """The lab's reference notebook with its typical mistake in place of one answer."""
    task, right, wrong = MISTAKE[lab]
    nb = nbformat.read(settings().labs_dir / lab / f"{lab}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"task-{task}")
    if right not in cell.source:
        raise InvalidInput(f"the {lab} lab's task-{task} no longer says {right!r}", "update bench.grading.MISTAKE")
    cell.source = cell.source.replace(right, wrong, 1)
    path = folder / f"{lab}-mistake.ipynb"
    nbformat.write(nb, path)
    return path


def _busy_cpu_seconds() -> float:
    """CPU time this machine has spent busy since boot (every core; /proc/stat's first line)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def bench_grading(
    console: Console, class_size: int = 20, parallel: int = 2, lab: str = "clusterip"
) -> dict[str, float]:
    """Autograde the reference of every lab, one lab at a time and then all in one batch; a
    reference and the lab's typical mistake one after another in a running batch; then a
    class of ``class_size`` mixed submissions (half right, half the mistake)."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="svclab-bench-") as tmp:
        course = Course.create(Path(tmp) / "course")
        for name in LABS:
            course.generate(name)
            course.submit("reference", name, settings().labs_dir / name / f"{name}.ipynb")
        for name in LABS:
            started = time.monotonic()
            outcome = course.autograde(name, ["reference"])["reference"]
            figures[f"autograde one {name} submission, alone (s)"] = time.monotonic() - started
            if not outcome.graded:
                console.print(f"[red]{name}: {outcome.note}[/]")
        figures["the 8 labs' references, one lab at a time, in total (s)"] = sum(figures.values())
        started = time.monotonic()
        course.autograde_labs({name: ["reference"] for name in LABS}, parallel=parallel)
        figures[f"the 8 labs' references in one batch, {parallel} at once (s)"] = time.monotonic() - started

        # per lab, a reference and its typical mistake one after the other in a running batch
        course.submit("warm-up", lab, settings().labs_dir / lab / f"{lab}.ipynb")
        for name in LABS:
            course.submit("mistake", name, with_mistake(name, Path(tmp)))
        ended: list[float] = []
        order = [(lab, "warm-up")] + [(name, who) for name in LABS for who in ("reference", "mistake")]
        course.autograde_jobs(order, 1, lambda outcome: ended.append(time.monotonic()))
        pairs = Table("lab", "reference (s)", "typical mistake (s)", "mistake / reference", box=None)
        ratios = []
        for i, name in enumerate(LABS):
            right, wrong = ended[2 * i + 1] - ended[2 * i], ended[2 * i + 2] - ended[2 * i + 1]
            pairs.add_row(name, f"{right:.1f}", f"{wrong:.1f}", f"{wrong / right:.2f}")
            ratios.append(wrong / right)
        figures["a typical mistake's time / its reference's, worst of the 8 labs"] = max(ratios)

        students = [f"student{i:02d}" for i in range(class_size)]
        mistake = course.root / "submitted" / "mistake" / lab / f"{lab}.ipynb"  # filed above
        for i, student in enumerate(students):
            course.submit(student, lab, mistake if i % 2 else settings().labs_dir / lab / f"{lab}.ipynb")
        started, cpu = time.monotonic(), _busy_cpu_seconds()
        course.autograde(lab, students, parallel=parallel)
        figures[f"autograde a class of {class_size} mixed {lab} submissions, {parallel} at once (s)"] = (
            time.monotonic() - started
        )
        figures["CPU time per submission of that class, whole machine (cluster included) (s)"] = (
            _busy_cpu_seconds() - cpu
        ) / class_size
    table = Table("figure", "value", box=None)
    for name, value in figures.items():
        table.add_row(name, f"{value:.1f}" if name.endswith("(s)") else f"{value:.2f}")
    console.print(pairs)
    console.print(table)
    return figures


def bench_grading_pods(console: Console, class_size: int = 20, lab: str = "clusterip") -> dict[str, float]:
    """Where a submission's code runs: one reference in its grading pod against one on this
    machine (each the second of two runs), then a class of ``class_size`` mixed submissions in
    pods at 2 and 4 at once, and on this machine at 2 at once."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="svclab-bench-") as tmp:
        course = Course.create(Path(tmp) / "course")
        course.generate(lab)
        reference = settings().labs_dir / lab / f"{lab}.ipynb"
        course.submit("reference", lab, reference)
        for on_host, where in ((False, "in its grading pod"), (True, "on this machine")):
            for _ in range(2):
                started = time.monotonic()
                outcome = course.autograde(lab, ["reference"], parallel=1, on_host=on_host)["reference"]
                seconds = time.monotonic() - started
            if not outcome.graded:
                console.print(f"[red]{where}: {outcome.note}[/]")
            figures[f"one {lab} reference alone, {where} (s)"] = seconds
        mistake = with_mistake(lab, Path(tmp))
        students = [f"student{i:02d}" for i in range(class_size)]
        for i, student in enumerate(students):
            course.submit(student, lab, mistake if i % 2 else reference)
        for parallel, on_host in ((2, False), (4, False), (2, True)):
            started, cpu = time.monotonic(), _busy_cpu_seconds()
            outcomes = course.autograde(lab, students, parallel=parallel, on_host=on_host)
            seconds = time.monotonic() - started
            where = "on this machine" if on_host else "in pods"
            figures[f"a class of {class_size} mixed {lab} submissions, {parallel} at once, {where} (s)"] = seconds
            figures[f"  CPU time per submission, whole machine, {where} at {parallel} (s)"] = (
                _busy_cpu_seconds() - cpu
            ) / class_size
            if failed := [o for o in outcomes.values() if not o.graded]:
                console.print(f"[red]{len(failed)} not graded, e.g. {failed[0].student}: {failed[0].note}[/]")
    table = Table("figure", "value", box=None)
    for name, value in figures.items():
        table.add_row(name, f"{value:.1f}")
    console.print(table)
    return figures
