"""The `svclab` Typer app and what its commands share: one console, the error display
(`error:` and `hint:` lines, never a traceback) and progress bars that stay quiet in CI."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn, SpinnerColumn, TimeElapsedColumn

from svclab.errors import SvclabError

app = typer.Typer(
    help="Kubernetes Services course: cluster, labs and grading.", no_args_is_help=True, pretty_exceptions_enable=False
)
grade_app = typer.Typer(help="Instructor workflow: nbgrader on the live cluster.", no_args_is_help=True)
app.add_typer(grade_app, name="grade")
classroom_app = typer.Typer(
    help="A class on this cluster: each student's namespaces, rights and kubeconfig.", no_args_is_help=True
)
app.add_typer(classroom_app, name="classroom")
console = Console()
P = ParamSpec("P")
R = TypeVar("R")


def friendly(command: Callable[P, R]) -> Callable[P, R]:
    """Show an SvclabError as `error:` and `hint:` lines and exit 1 – never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except SvclabError as exc:
            # escaped: a message is plain text (`pip install 'svclab[lab]'` is no markup tag)
            console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
            if exc.hint:
                console.print(f"[yellow]hint:[/] {escape(exc.hint)}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper


def progress(*columns: ProgressColumn | str) -> Progress:
    """A progress display that prints nothing when the output is not a terminal (CI logs)."""
    return Progress(SpinnerColumn(), *columns, TimeElapsedColumn(), console=console, disable=not console.is_terminal)
