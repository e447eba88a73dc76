"""`svclab images export | import`: carry the built images to machines without internet
(`serve` and `push`, the registry's, are in ``registry_cmds``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, TextColumn

from svclab.cli.app import app, console, friendly, progress
from svclab.cluster import bundle
from svclab.settings import Settings, settings

images_app = typer.Typer(
    help="The course's images: one file for a classroom without internet, or a registry.", no_args_is_help=True
)
app.add_typer(images_app, name="images")


def _timed(
    work: str, step: Callable[[Settings, Path, bundle.Progress], bundle.Bundle], file: Path
) -> tuple[bundle.Bundle, float]:
    """``step(settings, file, report)`` under a byte progress bar; the bundle and the seconds it took."""
    started = time.monotonic()
    with progress(TextColumn("{task.description:<40}"), BarColumn(bar_width=30), DownloadColumn()) as bar:
        task = bar.add_task(work, total=None)

        def report(what: str, done: int, total: int) -> None:
            bar.update(task, description=what[:40], completed=done, total=total or None)

        made = step(settings(), file, report)
    return made, time.monotonic() - started


@images_app.command("export")
@friendly
def export_(
    file: Annotated[Path, typer.Argument(help="Where to write the bundle (e.g. svclab-images.tar).")],
) -> None:
    """Write the node image, kind, kubectl and the cluster's manifests into one verified file."""
    made, seconds = _timed("exporting", bundle.export, file)
    console.print(f"wrote {made.path} ({made.size / 2**20:.0f} MiB) in {seconds:.0f}s")
    console.print(f"node image: {made.node_image}")
    console.print(f"fingerprint: {made.fingerprint}  (`svclab images import` prints it too)")


@images_app.command("import")
@friendly
def import_(file: Annotated[Path, typer.Argument(help="A bundle made by `svclab images export`.")]) -> None:
    """Verify a bundle and load it; `svclab up` then needs no Go, no mmdebstrap and no mirror."""
    loaded, seconds = _timed("verifying", bundle.import_, file)
    console.print(f"imported {loaded.node_image} in {seconds:.0f}s")
    console.print(f"fingerprint: {loaded.fingerprint}")
    console.print("next: `svclab up`")
