"""`svclab hub up | down | status | add-students | remove-students`: the class's JupyterHub on the cluster."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import TextColumn
from rich.table import Table

from svclab.cli.app import app, console, friendly, progress
from svclab.errors import InvalidInput
from svclab.hub.deploy import Hub, Report
from svclab.identity import server_namespace
from svclab.settings import settings

hub_app = typer.Typer(
    help="The class's JupyterHub on the cluster: each student's server in their own namespace.", no_args_is_help=True
)
app.add_typer(hub_app, name="hub")


@contextmanager
def _progress() -> Iterator[Report]:
    """A one-line progress display (plain lines in CI logs) and the function that feeds it."""
    with progress(TextColumn("{task.description}")) as bar:
        task = bar.add_task("")

        def report(stage: str, detail: str) -> None:
            bar.update(task, description=escape(f"[{stage}] {detail}"[:100]))  # the brackets are text
            if not console.is_terminal:
                console.print(f"[{stage}] {detail}", highlight=False, markup=False)

        yield report


@hub_app.command("up")
@friendly
def hub_up(
    cull_after: Annotated[
        int, typer.Option(min=60, help="Stop a student's server after this many idle seconds.")
    ] = 3600,
) -> None:
    """Deploy the hub (idempotent): build its images if needed, start it, print its URL."""
    from svclab.cli.cluster import bring_up

    bring_up()  # a no-op on a healthy cluster; recreates one made before the hub's folder was mounted
    with _progress() as report:
        url = Hub().up(report, cull_after=cull_after)
    console.print(f"hub: {url}/  (students log in with the password `svclab hub add-students` printed)")


@hub_app.command("down")
@friendly
def hub_down() -> None:
    """Remove the hub and stop every student's server; students and their files stay."""
    Hub().down()
    console.print(
        "hub removed; students, their namespaces and files are kept (svclab classroom remove NAME deletes a student)"
    )


@hub_app.command("status")
@friendly
def hub_status() -> None:
    """The hub's URL, its users, their servers and where those run."""
    status = Hub().status()
    if status.url is None:
        console.print("no hub on this cluster: svclab hub up")
        raise typer.Exit(1)
    console.print(f"hub: {status.url}/  {'ready' if status.ready else '[red]not answering[/]'}")
    table = Table("student", "server", "pod", "node", "namespace", "last activity", box=None)
    for s in status.servers:
        state = "ready" if s.ready else (s.pending or "stopped")
        phase, node = status.pods.get(s.name, ("-", "-"))
        activity = (s.last_activity or "-")[:19].replace("T", " ")
        table.add_row(s.name, state, phase, node, server_namespace(s.name), activity)
    console.print(table if status.servers else "no students yet: svclab hub add-students NAME…")
    if not status.ready:
        raise typer.Exit(1)


def _class_list(path: Path) -> list[str]:
    """Names from a class-list file: one per line; blank lines and ``#`` comments ignored."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise InvalidInput(
            f"cannot read the class list {path}: {exc.strerror}", "give a file with one name per line"
        ) from None
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


@hub_app.command("add-students")
@friendly
def hub_add_students(
    names: Annotated[list[str] | None, typer.Argument(help="Student names (lower-case, e.g. alice).")] = None,
    class_list: Annotated[Path | None, typer.Option("--from", help="A file with one name per line.")] = None,
    reset_password: Annotated[bool, typer.Option(help="Give students who have a password a new one.")] = False,
) -> None:
    """Add students to the hub (and the class); prints each new password once."""
    everyone = [*(names or []), *(_class_list(class_list) if class_list else [])]
    if not everyone:
        raise InvalidInput("no student names given", "svclab hub add-students alice bob, or --from class.txt")
    with _progress() as report:
        passwords = Hub().add_students(everyone, reset_password, report)
    table = Table("student", "password", box=None)
    for name in everyone:
        table.add_row(name, passwords.get(name, "(unchanged)"))
    console.print(table)
    if passwords:
        console.print("passwords are shown only now: hand them out; --reset-password makes new ones")


@hub_app.command("remove-students")
@friendly
def hub_remove_students(
    names: list[str],
    purge: Annotated[bool, typer.Option(help="Also delete their home and submissions from the data folder.")] = False,
) -> None:
    """Take students off the hub and out of the class (their files stay, unless --purge)."""
    Hub().remove_students(names, purge)
    for name in names:
        kept = "their files deleted" if purge else f"their files kept in {settings().hub_dir}"
        console.print(f"{name}: removed from the hub and the class; {kept}", highlight=False)
