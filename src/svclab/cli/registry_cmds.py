"""`svclab images serve | push`: every image a node runs, from a registry of svclab's own on this
machine (for `svclab up --mirror`), or pushed to an instructor's registry for a real cluster."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, TextColumn

from svclab.cli.app import console, friendly, progress
from svclab.cli.images import images_app
from svclab.settings import settings


def _say(line: str) -> None:
    if not console.is_terminal:
        console.print(line, highlight=False, markup=False)


def _built_images(extra: tuple[str, ...] = ()) -> list[str]:
    """Build what is out of date (and the ``extra`` steps), with progress; the images a node runs."""
    from svclab.cluster.images import ImageBuilder

    builder = ImageBuilder(settings())
    with progress(TextColumn("{task.description}")) as bar:
        task = bar.add_task("checking cached images")

        def report(title: str, line: str) -> None:
            bar.update(task, description=f"{title}: {line}"[:100])
            _say(f"{title}: {line}")

        builder.build(lambda step, line: report(step.title, line), extra=extra)
    return builder.preload_images()


@images_app.command()
@friendly
def serve(
    listen: Annotated[
        str | None,
        typer.Option(
            help="HOST:PORT to serve on, an address of this machine (default: kind's network gateway, port 5000)."
        ),
    ] = None,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the registry instead (its images stay cached).")] = False,
) -> None:
    """Run svclab's own registry on this machine with every image a node runs (for `svclab up --mirror`)."""
    from svclab.cluster.registry import Registry, parse_address
    from svclab.cluster.registry_push import push_images

    s = settings()
    registry = Registry(s)
    if stop:
        console.print("registry stopped" if registry.stop() else "no registry was running")
        return
    if listen is not None:
        parse_address(listen)  # before any build
    images = _built_images(extra=("registry",))
    addr = registry.start(listen)
    _say(f"registry on http://{addr}")
    with progress(BarColumn(bar_width=20), TextColumn("{task.description}")) as bar:
        task = bar.add_task(f"pushing {len(images)} images to {addr}", total=len(images))

        def report(image: str, what: str, sent: int) -> None:
            bar.advance(task)
            bar.update(task, description=f"{image}: {what}")
            _say(f"{image}: {what} ({sent / 1e6:.1f} MB sent)")

        result = push_images(images, addr, s.cache_dir / "work/registry-push", registry.root / "pushed.json", report)
    console.print(
        f"registry on http://{addr} (log: {registry.log}): {len(result.pushed)} images pushed "
        f"({result.bytes_sent / 1e6:.0f} MB in {result.seconds:.0f}s), {len(result.unchanged)} unchanged",
        highlight=False,
    )
    console.print(f"clusters pull through it after `svclab up --mirror {addr}`; `svclab images serve --stop` ends it")


@images_app.command()
@friendly
def push(
    registry: Annotated[str, typer.Argument(help="HOST[:PORT][/PREFIX] of the registry, e.g. registry.example.edu")],
) -> None:
    """Push every image a node runs to another registry, with docker and its logins.

    Each goes under its path without the original host: what a containerd mirror of that host asks for."""
    from svclab.cluster.registry import docker_push, parse_registry

    target = parse_registry(registry)
    images = _built_images()
    with progress(BarColumn(bar_width=20), TextColumn("{task.description}")) as bar:
        task = bar.add_task(f"pushing {len(images)} images to {target}", total=len(images))

        def report(image: str, pushed_as: str) -> None:
            bar.advance(task)
            bar.update(task, description=pushed_as)
            _say(f"pushed {pushed_as}")

        docker_push(images, target, report)
    console.print(
        f"{len(images)} images pushed to {target}; the cluster's nodes find them with a containerd mirror of "
        "docker.io, gcr.io, registry.k8s.io and quay.io pointing at it",
        highlight=False,
    )
