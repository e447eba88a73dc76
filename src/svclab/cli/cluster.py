"""`svclab up | build | down | reset | status | doctor | bench | lab`: the cluster and JupyterLab."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, TextColumn
from rich.table import Table

from svclab.cli.app import app, console, friendly, progress
from svclab.cluster.kind import STAGES, Cluster, ClusterStatus
from svclab.settings import settings


def bring_up(kubeconfig: Path | None = None, class_size: int | None = None, mirror: str | None = None) -> ClusterStatus:
    """`Cluster.up` with a progress bar over its stages, or plain lines in CI logs."""
    with progress(
        TextColumn("[bold]{task.fields[stage]:<11}"), BarColumn(bar_width=20), TextColumn("{task.description}")
    ) as bar:
        task = bar.add_task("", total=len(STAGES), stage="")

        def report(stage: str, detail: str) -> None:
            bar.update(task, completed=STAGES.index(stage), stage=stage, description=detail[:90])
            if not console.is_terminal:
                console.print(f"[{stage}] {detail}", highlight=False, markup=False)

        status = Cluster().up(kubeconfig, report, class_size, mirror)
        bar.update(task, completed=len(STAGES), stage="done", description="cluster ready")
    return status


@app.command()
@friendly
def up(
    kubeconfig: Annotated[Path | None, typer.Option(help="Use this existing cluster instead of kind.")] = None,
    class_size: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=82,
            help="Size the node ports for a class of N (recreates the cluster when it changes; default: as it is).",
        ),
    ] = None,
    mirror: Annotated[
        str | None,
        typer.Option(
            help="HOST:PORT of a registry (`svclab images serve`) the nodes pull through; '' for none "
            "(recreates the cluster when it changes; default: as it is)."
        ),
    ] = None,
) -> None:
    """Build the offline images (cached), create the kind cluster, deploy hello-world."""
    if mirror:
        from svclab.cluster.registry import answering, parse_address

        parse_address(mirror)
        if not answering(mirror):
            console.print(
                f"[yellow]note:[/] no registry answers on {mirror} yet; the nodes pull elsewhere until one does"
            )
    status = bring_up(kubeconfig, class_size, mirror)
    _print_status(status)
    if not status.healthy:
        raise typer.Exit(1)


@app.command()
@friendly
def build() -> None:
    """Build (or verify) the offline images without touching the cluster."""
    from svclab.cluster.images import ImageBuilder

    builder = ImageBuilder(settings())
    with progress(TextColumn("{task.description}")) as bar:
        task = bar.add_task("checking cached images")

        def report(step: object, line: str) -> None:
            bar.update(task, description=line[:100])
            if not console.is_terminal:
                console.print(line, highlight=False, markup=False)

        done = builder.build(lambda step, line: report(step, f"{step.title}: {line}"))
    for name, seconds in done:
        console.print(f"built {name} in {seconds:.0f}s")
    console.print(f"node image: {builder.node_image}")


@app.command()
@friendly
def down() -> None:
    """Delete the kind cluster (images stay cached)."""
    Cluster().down()
    console.print("cluster deleted")


@app.command()
@friendly
def reset() -> None:
    """Back to the course's starting state in seconds (the cluster is kept)."""
    removed = Cluster().reset(lambda stage, detail: console.print(f"[{stage}] {detail}", highlight=False, markup=False))
    console.print(f"removed {len(removed)} objects; hello-world is back to 3 ready replicas")


@app.command()
@friendly
def status() -> None:
    """Show the nodes, hello-world and the LoadBalancer pool."""
    result = Cluster().status()
    _print_status(result)
    if not result.healthy:
        raise typer.Exit(1)


@app.command()
@friendly
def doctor() -> None:
    """Check every prerequisite and say how to fix what fails."""
    from svclab.cluster.doctor import run_checks

    table = Table("check", "", "detail", "fix", box=None)
    checks = run_checks(settings())
    for c in checks:
        table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]FAIL[/]", c.detail, "" if c.ok else c.fix)
    console.print(table)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
@friendly
def bench(
    cold: Annotated[bool, typer.Option(help="Also delete and recreate the cluster (images stay cached).")] = False,
    bundle: Annotated[
        bool, typer.Option(help="Time an image bundle: export, delete cluster and node image, import, up.")
    ] = False,
    grading: Annotated[
        bool, typer.Option(help="Time autograde instead: every lab once, a typical mistake, then a mixed class of 20.")
    ] = False,
    grading_pods: Annotated[
        bool,
        typer.Option(help="Time where submissions run: in grading pods or on this machine, alone and a class of 20."),
    ] = False,
    widgets: Annotated[bool, typer.Option(help="Time warm DNS lookups and Endpoints refreshes instead.")] = False,
    classroom: Annotated[
        int, typer.Option(help="Provision N students and run their labs: time, memory per student, largest class.")
    ] = 0,
    hub: Annotated[
        int,
        typer.Option(help="Start N students' servers on the hub at once and run a lab in each: spawn time, memory."),
    ] = 0,
) -> None:
    """Time `up` to hello-world ready and the cluster's memory; or autograde; or the widgets; or a class."""
    if hub:
        from svclab.bench.hub import bench_hub

        bench_hub(console, hub)
    elif classroom:
        from svclab.bench.classroom import bench_classroom

        bench_classroom(console, classroom)
    elif grading:
        from svclab.bench.grading import bench_grading

        bench_grading(console)
    elif grading_pods:
        from svclab.bench.grading import bench_grading_pods

        bench_grading_pods(console)
    elif bundle:
        from svclab.bench.cluster import bench_bundle

        bench_bundle(console)
    elif widgets:
        from svclab.bench.widgets import bench_widgets

        bench_widgets()
    else:
        from svclab.bench.cluster import bench_up

        bench_up(console, cold=cold)


@app.command()
@friendly
def workspace(
    folder: Annotated[Path | None, typer.Argument(help="Where (default: ~/svclab).")] = None,
) -> Path:
    """Create or update a student workspace: the course and the student versions of the labs."""
    from svclab.workspace import update

    result = update(folder)
    console.print(
        f"workspace {result.root}: {len(result.written)} files written, {len(result.kept)} kept as they are"
        + (f", newer versions beside {len(result.beside)}: {', '.join(result.beside)}" if result.beside else ""),
        highlight=False,
    )
    return result.root


@app.command()
@friendly
def lab(
    port: Annotated[int, typer.Option(help="Port of the JupyterLab server (on 127.0.0.1).")] = 8888,
    browser: Annotated[bool, typer.Option(help="Open a browser.")] = True,
    instructor: Annotated[
        bool, typer.Option(help="Open the sources (labs with solutions, grader/): the checkout, or the installed data.")
    ] = False,
    folder: Annotated[Path | None, typer.Option("--dir", help="The student workspace (default: ~/svclab).")] = None,
) -> None:
    """Start JupyterLab on the course (a student workspace, or the sources with --instructor),
    with kubectl and the cluster's kubeconfig set."""
    s = settings()
    env = {**os.environ, **s.tool_env()}
    if instructor:  # a checkout, or an installed wheel's package data (edits there are lost on upgrade)
        root = s.data_dir
    else:
        root = workspace(folder)
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            p for p in (str(root / ".jupyter"), os.environ.get("JUPYTER_CONFIG_PATH", "")) if p
        )
    jupyter = Path(sys.executable).with_name("jupyter")
    argv = [str(jupyter), "lab", f"--ServerApp.root_dir={root}", f"--port={port}", "--ip=127.0.0.1"]
    if (root / "course/index.ipynb").exists():
        argv.append("course/index.ipynb")
    if not browser:
        argv.append("--no-browser")
    if os.geteuid() == 0:
        argv.append("--allow-root")
    console.print(f"JupyterLab on http://127.0.0.1:{port}/lab, serving {root} (kubeconfig {s.kubeconfig})")
    os.chdir(root)
    os.execve(argv[0], argv, env)


def _print_status(status: ClusterStatus) -> None:
    table = Table("node", "roles", "ready", "internal IP", box=None)
    for n in status.nodes:
        table.add_row(n.name, ",".join(n.roles), "[green]yes[/]" if n.ready else "[red]no[/]", n.ip)
    console.print(f"cluster: [bold]{status.provider}[/]  kubeconfig: {status.kubeconfig}")
    if status.nodes:
        console.print(table)
    console.print(f"hello-world: {status.hello_world}   LoadBalancer pool: {status.loadbalancer_pool or '-'}")
    for problem in status.problems:
        console.print(f"[red]problem:[/] {problem}")
