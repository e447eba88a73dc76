"""`svclab bench --grading`: autograde time per lab, and for a class."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from svclab.grading.course import Course
from svclab.labs import LABS
from svclab.settings import settings


def bench_grading(
    console: Console, class_size: int = 20, parallel: int = 2, lab: str = "clusterip"
) -> dict[str, float]:
    """Autograde the reference solution of every lab once, then a class of ``class_size``
    submissions of one lab; print and return the seconds."""
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
        students = [f"student{i:02d}" for i in range(class_size)]
        for student in students:
            course.submit(student, lab, settings().labs_dir / lab / f"{lab}.ipynb")
        started = time.monotonic()
        course.autograde(lab, students, parallel=parallel)
        figures[f"autograde a class of {class_size} {lab} submissions, {parallel} at once (s)"] = (
            time.monotonic() - started
        )
    table = Table("figure", "seconds", box=None)
    for name, value in figures.items():
        table.add_row(name, f"{value:.1f}")
    console.print(table)
    return figures
