"""`svclab images …`: the course's images beyond the cluster – a registry of svclab's own,
or another registry to push them to."""

from __future__ import annotations

import typer

from svclab.cli.app import app

images_app = typer.Typer(
    help="The course's images: serve them from a registry, push them to another.", no_args_is_help=True
)
app.add_typer(images_app, name="images")
