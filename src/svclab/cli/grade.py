"""`svclab grade …`: the instructor's nbgrader workflow on the live cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, TextColumn
from rich.table import Table

from svclab.cli.app import console, friendly, grade_app, progress
from svclab.errors import ToolMissing

if TYPE_CHECKING:
    from svclab.grading.course import Course

CourseRoot = Annotated[Path | None, typer.Option("--course", help="nbgrader course root (default: grader/).")]


def _course(root: Path | None) -> Course:
    try:  # nbgrader is heavy, and only in the `lab` extra: import on use
        from svclab.grading.course import Course
    except ModuleNotFoundError as exc:
        raise ToolMissing(
            f"grading needs {exc.name}, which this installation lacks",
            "install svclab with its lab extra: pip install 'svclab[lab]'",
        ) from None
    return Course(root)


@grade_app.command("generate")
@friendly
def grade_generate(labs: list[str], course: CourseRoot = None) -> None:
    """Student versions of the labs (solutions and hidden checks removed)."""
    for name in labs:
        console.print(f"{name}: {_course(course).generate(name)}")


@grade_app.command("submit")
@friendly
def grade_submit(student: str, lab: str, notebook: Path, course: CourseRoot = None) -> None:
    """File a student's notebook as a submission (what `nbgrader collect` does)."""
    console.print(f"submitted {_course(course).submit(student, lab, notebook)}")


@grade_app.command("autograde")
@friendly
def grade_autograde(
    lab: str,
    students: Annotated[list[str] | None, typer.Option("--student", help="Only these (repeatable).")] = None,
    parallel: Annotated[int, typer.Option(help="Submissions graded at once.")] = 2,
    course: CourseRoot = None,
) -> None:
    """Replay every submission into its own fresh namespace and grade it."""
    c = _course(course)
    todo = students or c.submitted_students(lab)
    with progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}")) as bar:
        task = bar.add_task(f"autograding {lab}", total=len(todo))

        def report(student: str, error: str | None) -> None:
            bar.advance(task)
            if error:
                console.print(f"[red]{student}:[/] {error}", highlight=False)

        results = c.autograde(lab, todo, parallel, report)
    scores = c.scores(lab)
    table = Table("student", "points", box=None)
    for student in sorted(results):
        table.add_row(student, "error" if results[student] else f"{sum(scores.get(student, {}).values()):g}")
    console.print(table)
    if any(results.values()):
        raise typer.Exit(1)


@grade_app.command("feedback")
@friendly
def grade_feedback(lab: str, course: CourseRoot = None) -> None:
    """HTML feedback for every graded submission."""
    for page in _course(course).feedback(lab):
        console.print(str(page))


@grade_app.command("stats")
@friendly
def grade_stats(lab: str, course: CourseRoot = None) -> None:
    """Per-check class statistics: mean points and full marks."""
    table = Table("check", "max", "mean", "full marks", box=None)
    for s in _course(course).stats(lab):
        table.add_row(s.check, f"{s.max_points:g}", f"{s.mean:.2f}", f"{s.full_marks}/{s.students}")
    console.print(table)
