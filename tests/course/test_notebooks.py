"""The course: every lecture and demo notebook runs top to bottom on the live cluster,
as a student runs it in JupyterLab (kernel python3 of this venv, KUBECONFIG and PATH
set as `svclab lab` sets them), without any error in its outputs.

Each run uses throwaway namespaces (``t-nb-<id>-<notebook>``, labelled svclab.dev/test)
so it never collides with a class working on the same cluster."""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from svclab.course import PREFIX_ENV
from svclab.k8s.kubectl import Kubectl
from svclab.settings import settings

from .run import GUARD, client, problems_in, student_env

COURSE = settings().course_dir
NOTEBOOKS = sorted(COURSE.glob("*.ipynb")) + sorted((COURSE / "demos").glob("*.ipynb"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "course"


def _label(path: Path) -> str:
    return str(path.relative_to(COURSE)).removesuffix(".ipynb")


def _delete_namespaces(kubectl: Kubectl, prefix: str) -> None:
    """What a notebook that failed half-way left behind: its namespaces and kubeconfigs."""
    names = [
        n for n in kubectl("get", "namespaces", "-o", "name").split() if n.removeprefix("namespace/").startswith(prefix)
    ]
    if names:
        kubectl("delete", *names, "--wait=false", "--ignore-not-found")
    for leftover in (settings().config_dir / "course").glob(f"{prefix}*.kubeconfig"):
        leftover.unlink(missing_ok=True)


@pytest.mark.live
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_label)
def test_notebook_runs_top_to_bottom_without_errors(cluster: Kubectl, path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(GUARD))
    prefix = f"t-nb-{uuid.uuid4().hex[:4]}-"
    env = {**os.environ, **settings().tool_env(), PREFIX_ENV: prefix}
    env.pop("JUPYTERHUB_USER", None)
    runner = client(nb, path)
    started = time.monotonic()
    try:
        runner.execute(env=env)
    except (CellExecutionError, CellTimeoutError) as exc:
        pytest.fail(f"{_label(path)} did not finish: {exc}", pytrace=False)
    finally:
        _delete_namespaces(cluster, prefix)  # after a failure the clean-up cell may not have run
    seconds = time.monotonic() - started
    out = ARTIFACTS / f"{_label(path)}.ipynb"  # the executed notebook, to look at after a failure
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    problems = problems_in(nb)
    assert not problems, f"{_label(path)} ({seconds:.0f} s):\n" + "\n".join(problems)
    print(f"{_label(path)}: {len(nb.cells) - 1} cells in {seconds:.0f} s")


@pytest.mark.live
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("path", sorted((COURSE / "demos").glob("*.ipynb")), ids=_label)
def test_demo_reruns_from_the_top_after_stopping_half_way(cluster: Kubectl, path: Path) -> None:
    """In class: run the demo up to the clean-up cell, then Run All again in the same kernel;
    the reset cell must bring back the starting state and every cell work again."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(GUARD))
    prefix = f"t-nb-{uuid.uuid4().hex[:4]}-"
    env = {**os.environ, **settings().tool_env(), PREFIX_ENV: prefix}
    env.pop("JUPYTERHUB_USER", None)
    runner = client(nb, path)
    problems = []
    try:
        with runner.setup_kernel(env=env):
            runner.execute_cell(nb.cells[0], 0)
            for index, cell in list(enumerate(nb.cells))[1:-1]:  # all but the clean-up cell
                runner.execute_cell(cell, index)
            problems += [f"first run: {p}" for p in problems_in(nb)]
            for index, cell in list(enumerate(nb.cells))[1:]:
                runner.execute_cell(cell, index)
            problems += [f"second run: {p}" for p in problems_in(nb)]
    except (CellExecutionError, CellTimeoutError) as exc:
        pytest.fail(f"{_label(path)} did not finish: {exc}", pytrace=False)
    finally:
        _delete_namespaces(cluster, prefix)
    assert not problems, f"{_label(path)}:\n" + "\n".join(problems)


# -- structure (no cluster) ---------------------------------------------------------------------
def test_every_outline_part_has_a_notebook() -> None:
    names = {_label(p) for p in NOTEBOOKS}
    assert {
        "index",
        "01-understanding-services",
        "02-service-types",
        "03-deployments-and-services",
        "04-network-internals",
        "05-service-discovery",
        "06-other-service-types",
        "07-review",
        "demos/exposing-applications",
        "demos/service-discovery",
        "demos/externalname",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_label)
def test_notebook_is_committed_clean(path: Path) -> None:
    """No outputs or execution counts in the repository; the python3 kernel; links that resolve."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, cell.source[:80]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for target in re.findall(r"\]\(([^)#\s]+\.ipynb)\)", cell.source):
                assert (path.parent / target).resolve().is_file(), f"broken link {target} in {path.name}"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != "index"], ids=_label)
def test_notebook_starts_from_a_known_state_and_cleans_up(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    assert "course.start(" in sources[0], "the first code cell must be the reset cell"
    assert sources[-1].strip() == "s.finish()", "the last code cell must clean up"
    assert sum("course.start(" in s for s in sources) == 1
    assert "Cluster().reset()" not in "".join(sources), "never reset the whole cluster from a notebook"
    if path.parent == COURSE:  # lectures link the lab that practises them
        assert any("../labs/" in c.source for c in nb.cells if c.cell_type == "markdown")


LECTURES = [p for p in NOTEBOOKS if p.parent == COURSE and p.stem != "index"]


@pytest.mark.live
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("path", LECTURES, ids=_label)
def test_a_student_of_a_class_runs_the_lecture(cluster: Kubectl, student: Path, path: Path) -> None:
    """The same notebook with only a student's kubeconfig: it works in the namespaces the
    instructor provisioned, sees kube-proxy's rules through svclab-nodeview, never execs."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(GUARD))
    env = student_env(student)
    runner = client(nb, path)
    try:
        runner.execute(env=env)
    except (CellExecutionError, CellTimeoutError) as exc:
        pytest.fail(f"{_label(path)} as a student did not finish: {exc}", pytrace=False)
    problems = problems_in(nb)
    assert not problems, f"{_label(path)} as a student:\n" + "\n".join(problems)
