"""`svclab bench --grading`: autograde time per lab, and for a class."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import nbformat
from rich.console import Console
from rich.table import Table

from svclab.grading.course import Course
from svclab.labs import LABS
from svclab.settings import settings

#: a typical mistake per benchmarked lab: (task id, the student's code)
MISTAKE = {"clusterip": ("expose", "!kubectl expose deployment hello-world --port=80 --target-port=80")}
_SOLUTION = re.compile(r"### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)


def with_mistake(lab: str, folder: Path) -> Path:
    """The lab's reference notebook with its typical mistake in place of one answer."""
    task, code = MISTAKE[lab]
    nb = nbformat.read(settings().labs_dir / lab / f"{lab}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"task-{task}")
    cell.source = _SOLUTION.sub(f"### BEGIN SOLUTION\n{code}\n### END SOLUTION", cell.source)
    path = folder / f"{lab}-mistake.ipynb"
    nbformat.write(nb, path)
    return path


def bench_grading(
    console: Console, class_size: int = 20, parallel: int = 2, lab: str = "clusterip"
) -> dict[str, float]:
    """Autograde the reference solution of every lab once; the lab's typical mistake once;
    then a class of ``class_size`` mixed submissions (half right, half the mistake)."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="svclab-bench-") as tmp:
        course = Course.create(Path(tmp) / "course")
        for name in LABS:
            course.generate(name)
            course.submit("reference", name, settings().labs_dir / name / f"{name}.ipynb")
            started = time.monotonic()
            outcome = course.autograde(name, ["reference"])["reference"]
            figures[f"autograde one {name} submission (s)"] = time.monotonic() - started
            if not outcome.graded:
                console.print(f"[red]{name}: {outcome.note}[/]")
        figures["the 8 labs' references, in total (s)"] = sum(figures.values())
        mistake = with_mistake(lab, Path(tmp))
        course.submit("mistake", lab, mistake)
        started = time.monotonic()
        course.autograde(lab, ["mistake"])
        figures[f"autograde one {lab} submission with a typical mistake (s)"] = time.monotonic() - started
        students = [f"student{i:02d}" for i in range(class_size)]
        for i, student in enumerate(students):
            course.submit(student, lab, mistake if i % 2 else settings().labs_dir / lab / f"{lab}.ipynb")
        started = time.monotonic()
        course.autograde(lab, students, parallel=parallel)
        figures[f"autograde a class of {class_size} mixed {lab} submissions, {parallel} at once (s)"] = (
            time.monotonic() - started
        )
    table = Table("figure", "seconds", box=None)
    for name, value in figures.items():
        table.add_row(name, f"{value:.1f}")
    console.print(table)
    return figures
