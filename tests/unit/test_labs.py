"""Lab plumbing without a cluster: namespaces per mode, notebooks in sync with
their Markdown sources and the catalog, nbgrader metadata."""

from __future__ import annotations

import nbformat
import pytest

from svclab.errors import InvalidInput
from svclab.labs import LABS
from svclab.labs.authoring import build_notebook
from svclab.labs.defs.clusterip import LAB as CLUSTERIP
from svclab.labs.session import lab_namespaces
from svclab.labs.spec import CheckSpec, LabSpec, Verdict
from svclab.settings import settings


@pytest.mark.parametrize("lab", sorted(LABS))
def test_committed_notebook_is_built_from_its_markdown(lab: str) -> None:
    folder = settings().labs_dir / lab
    built = build_notebook(LABS[lab], (folder / f"{lab}.md").read_text())
    committed = nbformat.read(folder / f"{lab}.ipynb", as_version=4)
    assert nbformat.writes(built) == nbformat.writes(committed), f"rebuild labs/{lab}/{lab}.ipynb from its .md"


@pytest.mark.parametrize("lab", sorted(LABS))
def test_check_cells_carry_the_catalog_points(lab: str) -> None:
    nb = nbformat.read(settings().labs_dir / lab / f"{lab}.ipynb", as_version=4)
    points = {
        c.metadata["nbgrader"]["grade_id"].removeprefix("check-"): c.metadata["nbgrader"]["points"]
        for c in nb.cells
        if c.metadata["nbgrader"]["grade"]
    }
    assert points == {c.name: c.points for c in LABS[lab].checks}
    nbformat.validate(nb)


def test_hidden_checks_are_inside_hidden_test_markers() -> None:
    nb = build_notebook(
        CLUSTERIP,
        "```python check exists\n```\n```python check type\n```\n"
        "```python check ports\n```\n```python check endpoints\n```\n"
        "```python check cluster-ip\n```\n```python check reachable\n```\n",
    )
    hidden = next(c.source for c in nb.cells if c.id == "check-reachable")
    assert hidden.startswith("# Autograde checks: a pod reaches http://hello-world.")
    assert '### BEGIN HIDDEN TESTS\nlab.check("reachable")\n### END HIDDEN TESTS' in hidden


def test_a_missing_check_is_refused() -> None:
    with pytest.raises(InvalidInput, match="place each catalog check exactly once"):
        build_notebook(CLUSTERIP, "```python check exists\n```\n")


def test_tasks_become_solution_cells() -> None:
    spec = LabSpec("x", "X", (CheckSpec("a", 1, "a", lambda ctx: Verdict(True, "ok")),))
    nb = build_notebook(spec, "Intro\n\n```python task one\nprint(1)\n```\n\n```python check a\n```\n")
    task = nb.cells[1]
    assert task.source == "### BEGIN SOLUTION\nprint(1)\n### END SOLUTION"
    assert task.metadata["nbgrader"] | {} == {
        "grade": False,
        "grade_id": "task-one",
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].metadata["nbgrader"]["locked"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"SVCLAB_NAMESPACE": "g-alice-clusterip", "NBGRADER_EXECUTION": "autograde"},
            ("g-alice-clusterip", "grading"),
        ),
        ({"JUPYTERHUB_USER": "Alice.Smith"}, ("alice-smith-clusterip", "student")),
        ({}, ("lab-clusterip", "student")),
    ],
)
def test_namespace_comes_from_the_environment_never_the_notebook(environ: dict, expected: tuple) -> None:
    assert lab_namespaces(CLUSTERIP, environ) == expected


def test_validate_runs_in_a_throwaway_namespace() -> None:
    first, mode = lab_namespaces(CLUSTERIP, {"NBGRADER_EXECUTION": "validate"})
    second, _ = lab_namespaces(CLUSTERIP, {"NBGRADER_EXECUTION": "validate"})
    assert mode == "validate" and first != second and first.startswith("v-clusterip-")
