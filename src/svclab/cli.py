"""The `svclab` command: up, down, status, doctor, bench."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from svclab.cluster.kind import STAGES, Cluster, ClusterStatus
from svclab.errors import SvclabError

app = typer.Typer(help="Kubernetes Services course: cluster, labs and grading.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console()


def _fail(exc: SvclabError) -> None:
    console.print(f"[bold red]error:[/] {exc.message}")
    if exc.hint:
        console.print(f"[yellow]hint:[/] {exc.hint}")
    raise typer.Exit(1)


def bring_up(kubeconfig: Path | None = None) -> ClusterStatus:
    """`Cluster.up` with a progress bar over its stages (plain lines in CI logs)."""
    if not console.is_terminal:
        return Cluster().up(kubeconfig, lambda stage, detail: console.print(f"[{stage}] {detail}", highlight=False))
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[stage]:<11}"), BarColumn(bar_width=20),
                  TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task("", total=len(STAGES), stage="")

        def report(stage: str, detail: str) -> None:
            bar.update(task, completed=STAGES.index(stage), stage=stage, description=detail[:90])

        status = Cluster().up(kubeconfig, report)
        bar.update(task, completed=len(STAGES), stage="done", description="cluster ready")
    return status


@app.command()
def up(
    kubeconfig: Annotated[Optional[Path], typer.Option(help="Use this existing cluster instead of kind.")] = None,
) -> None:
    """Build the offline images (cached), create the kind cluster, deploy hello-world."""
    try:
        status = bring_up(kubeconfig)
    except SvclabError as exc:
        _fail(exc)
    _print_status(status)
    if not status.healthy:
        raise typer.Exit(1)


@app.command()
def build() -> None:
    """Build (or verify) the offline images without touching the cluster."""
    from svclab.cluster.images import ImageBuilder
    from svclab.settings import settings

    builder = ImageBuilder(settings())
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console, disable=not console.is_terminal) as bar:
            task = bar.add_task("checking cached images")

            def report(step: object, line: str) -> None:
                bar.update(task, description=line[:100])
                if not console.is_terminal:
                    console.print(line, highlight=False)

            done = builder.build(lambda step, line: report(step, f"{step.title}: {line}"))
    except SvclabError as exc:
        _fail(exc)
    for name, seconds in done:
        console.print(f"built {name} in {seconds:.0f}s")
    console.print(f"node image: {builder.node_image}")


@app.command()
def down() -> None:
    """Delete the kind cluster (images stay cached)."""
    try:
        Cluster().down()
    except SvclabError as exc:
        _fail(exc)
    console.print("cluster deleted")


@app.command()
def status() -> None:
    """Show the nodes, hello-world and the LoadBalancer pool."""
    try:
        result = Cluster().status()
    except SvclabError as exc:
        _fail(exc)
    _print_status(result)
    if not result.healthy:
        raise typer.Exit(1)


@app.command()
def doctor() -> None:
    """Check every prerequisite and say how to fix what fails."""
    from svclab.cluster.doctor import run_checks
    from svclab.settings import settings

    table = Table("check", "", "detail", "fix", box=None)
    checks = run_checks(settings())
    for c in checks:
        table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]FAIL[/]", c.detail, "" if c.ok else c.fix)
    console.print(table)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
def bench(
    cold: Annotated[bool, typer.Option(help="Also delete and recreate the cluster (images stay cached).")] = False,
) -> None:
    """Time `up` to hello-world ready, and measure the cluster's memory."""
    from svclab.bench import bench_up

    try:
        bench_up(console, cold=cold)
    except SvclabError as exc:
        _fail(exc)


@app.command()
def lab(
    port: Annotated[int, typer.Option(help="Port of the JupyterLab server (on 127.0.0.1).")] = 8888,
    browser: Annotated[bool, typer.Option(help="Open a browser.")] = True,
) -> None:
    """Start JupyterLab on the course, with kubectl and the cluster's kubeconfig set."""
    import os

    from svclab.settings import settings

    s = settings()
    repo = s.cluster_dir.parent
    jupyter = Path(sys.executable).with_name("jupyter")
    argv = [str(jupyter), "lab", f"--ServerApp.root_dir={repo}", f"--port={port}", "--ip=127.0.0.1",
            "course/index.ipynb" if (repo / "course/index.ipynb").exists() else ""]
    if not browser:
        argv.append("--no-browser")
    if os.geteuid() == 0:
        argv.append("--allow-root")
    console.print(f"JupyterLab on http://127.0.0.1:{port}/lab (kubeconfig {s.kubeconfig})")
    os.execve(argv[0], [a for a in argv if a], {**os.environ, **s.tool_env()})


def _print_status(status: ClusterStatus) -> None:
    table = Table("node", "roles", "ready", "internal IP", box=None)
    for n in status.nodes:
        table.add_row(n.name, ",".join(n.roles), "[green]yes[/]" if n.ready else "[red]no[/]", n.internal_ip)
    console.print(f"cluster: [bold]{status.provider}[/]  kubeconfig: {status.kubeconfig}")
    if status.nodes:
        console.print(table)
    console.print(f"hello-world: {status.hello_world}   LoadBalancer pool: {status.loadbalancer_pool or '-'}")
    for problem in status.problems:
        console.print(f"[red]problem:[/] {problem}")


if __name__ == "__main__":
    sys.exit(app())
