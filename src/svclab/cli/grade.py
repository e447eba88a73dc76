"""`svclab grade …`: the instructor's nbgrader workflow on the live cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from svclab.cli.app import console, friendly, grade_app, progress
from svclab.errors import ToolMissing

if TYPE_CHECKING:
    from svclab.grading.course import Course
    from svclab.grading.outcomes import Outcome

CourseRoot = Annotated[
    Path | None,
    typer.Option(
        "--course",
        help="nbgrader course root, set up when new or empty (default: a checkout's grader/, else ~/svclab/grader).",
    ),
]


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
    labs: Annotated[list[str], typer.Argument(help="One or more labs, e.g. clusterip nodeport.")],
    students: Annotated[list[str] | None, typer.Option("--student", help="Only these (repeatable).")] = None,
    parallel: Annotated[int, typer.Option(help="Submissions graded at once.")] = 2,
    retry_errors: Annotated[
        bool, typer.Option("--retry-errors", help="Regrade exactly the submissions that met an environment error.")
    ] = False,
    on_this_machine: Annotated[
        bool,
        typer.Option(
            "--on-this-machine",
            help="Run the submissions' code in kernels on this machine, with your rights, instead of in "
            "grading pods (the old way: only for notebooks you trust).",
        ),
    ] = False,
    course: CourseRoot = None,
) -> None:
    """Replay every submission into its own fresh namespace and grade it; its code runs in a
    pod there, with a student's rights in that namespace only."""
    c = _course(course)
    todo = {
        lab: list(c.regrade.students(lab)) if retry_errors else students or c.submitted_students(lab) for lab in labs
    }
    for lab in [lab for lab, who in todo.items() if not who]:
        console.print(f"nothing to regrade for {lab}" if retry_errors else f"no submissions of {lab} yet")
        del todo[lab]
    if not todo:
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with progress(*columns) as bar:
        task = bar.add_task(f"autograding {', '.join(todo)}", total=sum(map(len, todo.values())))

        def building(line: str) -> None:  # the grading pods' image, when svclab changed
            bar.update(task, description=f"autograding {', '.join(todo)} – {line[-90:]}")

        def report(outcome: Outcome) -> None:
            bar.update(task, advance=1, description=f"autograding {', '.join(todo)}")
            if not outcome.graded:
                console.print(f"[red]{outcome.lab}/{outcome.student}:[/] {outcome.note}", highlight=False)

        results = c.autograde_labs(todo, parallel, report, on_host=on_this_machine, building=building)
    table = Table("lab", "student", "points", "note", box=None)
    scores = {lab: c.scores(lab) for lab in todo}
    for outcome in sorted(results, key=lambda o: (o.lab, o.student)):
        points = f"{sum(scores[outcome.lab].get(outcome.student, {}).values()):g}" if outcome.graded else "-"
        table.add_row(outcome.lab, outcome.student, points, outcome.note)
    console.print(table)
    for lab in todo:
        if waiting := c.regrade.students(lab):
            console.print(
                f"[red]{len(waiting)} {lab} submission(s) met an environment error and have no trustworthy "
                f"score:[/] {', '.join(sorted(waiting))}. Repair the cluster (svclab doctor, svclab status), "
                f"then: svclab grade autograde {lab} --retry-errors",
                highlight=False,
            )
    if not all(o.graded for o in results):
        raise typer.Exit(1)


@grade_app.command("feedback")
@friendly
def grade_feedback(lab: str, course: CourseRoot = None) -> None:
    """HTML feedback for every graded submission."""
    for page in _course(course).feedback(lab):
        console.print(str(page))


@grade_app.command("release")
@friendly
def grade_release(labs: list[str], course: CourseRoot = None) -> None:
    """Release labs to the hub's students (their Assignments tab offers them to fetch)."""
    for name in labs:
        console.print(f"{name}: released ({_course(course).release(name)})", highlight=False)


@grade_app.command("collect")
@friendly
def grade_collect(lab: str, course: CourseRoot = None) -> None:
    """Collect the hub students' latest submissions of a lab, ready for autograde."""
    from svclab.classroom import Classroom

    found = _course(course).collect(lab, [s.name for s in Classroom().students()])
    for line in found.refused:
        console.print(f"[red]refused:[/] {line}", highlight=False)
    if found.students:
        console.print(f"{lab}: collected {len(found.students)} ({', '.join(sorted(found.students))})", highlight=False)
    else:
        console.print(f"{lab}: no submissions on the hub yet")


@grade_app.command("release-feedback")
@friendly
def grade_release_feedback(lab: str, course: CourseRoot = None) -> None:
    """Feedback pages for the graded submissions, released to the students on the hub."""
    pages = _course(course).release_feedback(lab)
    console.print(f"{lab}: feedback released for {len(pages)} submission(s)")


@grade_app.command("stats")
@friendly
def grade_stats(lab: str, course: CourseRoot = None) -> None:
    """Per-check class statistics: mean points and full marks."""
    table = Table("check", "max", "mean", "full marks", box=None)
    for s in _course(course).stats(lab):
        table.add_row(s.check, f"{s.max_points:g}", f"{s.mean:.2f}", f"{s.full_marks}/{s.students}")
    console.print(table)
