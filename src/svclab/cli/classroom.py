"""`svclab classroom add | remove | list | kubeconfig`: a class's students on this cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from svclab.classroom import Classroom, check_name, make_room
from svclab.cli.app import classroom_app, console, friendly


@classroom_app.command("add")
@friendly
def classroom_add(names: list[str]) -> None:
    """Provision students: their namespaces, ServiceAccount, RBAC and quotas (idempotent)."""
    for name in names:
        check_name(name)  # all names first: a typo in the fifth adds nobody
    if grown := make_room(names):  # and the whole class fits, or nobody is added
        console.print(f"MetalLB's pool grown to {grown}, so every student may hold their LoadBalancer IPs at once")
    room = Classroom()
    for name in names:
        made = room.add(name)
        console.print(
            f"{name}: {len(made)} namespaces ({made[0]} … {made[-1]}); kubeconfig: svclab classroom kubeconfig {name}",
            highlight=False,
        )


@classroom_app.command("remove")
@friendly
def classroom_remove(names: list[str]) -> None:
    """Delete exactly what `add` made for these students (their work included)."""
    for name in names:
        check_name(name)
    room = Classroom()
    for name in names:
        gone = room.remove(name)
        console.print(f"{name}: removed the account and {len(gone)} namespaces", highlight=False)


@classroom_app.command("list")
@friendly
def classroom_list() -> None:
    """The students of this cluster's class."""
    students = Classroom().students()
    table = Table("student", "account", "namespaces", box=None)
    for s in students:
        table.add_row(s.name, "yes" if s.has_account else "[red]missing[/]", str(len(s.namespaces)))
    console.print(table if students else "no students yet: svclab classroom add NAME…")


@classroom_app.command("kubeconfig")
@friendly
def classroom_kubeconfig(
    name: str,
    out: Annotated[Path | None, typer.Option(help="Where to write it (default: svclab's config folder).")] = None,
) -> None:
    """Write a student's kubeconfig (only their rights) and print its path."""
    console.print(str(Classroom().kubeconfig(name, out)), highlight=False, soft_wrap=True)
