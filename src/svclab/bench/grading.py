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
from svclab.grading.outcomes import Outcome
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

        course.submit("warm-up", lab, settings().labs_dir / lab / f"{lab}.ipynb")
        course.submit("mistake", lab, with_mistake(lab, Path(tmp)))
        ended: dict[str, float] = {}

        def note_end(outcome: Outcome) -> None:
            ended[outcome.student] = time.monotonic()

        course.autograde(lab, ["warm-up", "reference", "mistake"], 1, note_end)
        right, wrong = ended["reference"] - ended["warm-up"], ended["mistake"] - ended["reference"]
        figures[f"one {lab} reference in a running batch (s)"] = right
        figures[f"one {lab} typical mistake in a running batch (s)"] = wrong
        figures["mistake / reference"] = wrong / right

        students = [f"student{i:02d}" for i in range(class_size)]
        mistake = course.root / "submitted" / "mistake" / lab / f"{lab}.ipynb"
        for i, student in enumerate(students):
            course.submit(student, lab, mistake if i % 2 else settings().labs_dir / lab / f"{lab}.ipynb")
        started = time.monotonic()
        course.autograde(lab, students, parallel=parallel)
        figures[f"autograde a class of {class_size} mixed {lab} submissions, {parallel} at once (s)"] = (
            time.monotonic() - started
        )
    table = Table("figure", "value", box=None)
    for name, value in figures.items():
        table.add_row(name, f"{value:.2f}" if name.startswith("mistake /") else f"{value:.1f}")
    console.print(table)
    return figures
