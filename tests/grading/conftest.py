"""Grading is tested like a product: real nbgrader, the live cluster, and
notebooks built in code from the lab's reference solution."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

from svclab.grading.course import Course
from svclab.k8s.kubectl import Kubectl
from svclab.settings import settings

_SOLUTION = re.compile(r"### BEGIN SOLUTION\n.*?### END SOLUTION", re.S)


@dataclass
class Graded:
    """One autograded submission: points per check and the message each failed check showed."""

    scores: dict[str, float]
    messages: dict[str, str]

    @property
    def total(self) -> float:
        return sum(self.scores.values())


def reference(lab: str) -> NotebookNode:
    return nbformat.read(settings().labs_dir / lab / f"{lab}.ipynb", as_version=4)


def variant(lab: str, **tasks: str) -> NotebookNode:
    """The reference solution with some tasks answered differently (task id → code;
    use underscores for dashes in ids)."""
    nb = reference(lab)
    for task, code in tasks.items():
        grade_id = "task-" + task.replace("_", "-")
        cell = next((c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id), None)
        assert cell is not None, f"{lab} has no {grade_id}"
        cell.source = _SOLUTION.sub(lambda m, code=code: f"### BEGIN SOLUTION\n{code}\n### END SOLUTION", cell.source)
    return nb


def grade_all(course: Course, lab: str, submissions: dict[str, NotebookNode], tmp: Path) -> dict[str, Graded]:
    """Submit each notebook as its own student, autograde them all, read back the results."""
    for student, nb in submissions.items():
        path = tmp / f"{student}.ipynb"
        nbformat.write(nb, path)
        course.submit(student, lab, path)
    outcomes = course.autograde(lab, list(submissions), parallel=2)
    assert all(o.graded for o in outcomes.values()), outcomes
    scores = course.scores(lab)
    return {s: Graded(scores[s], _messages(course.root / "autograded" / s / lab / f"{lab}.ipynb")) for s in submissions}


def grade_lab(course: Course, lab: str, wrong: dict[str, NotebookNode], tmp: Path) -> dict[str, Graded]:
    """Grade the lab's reference solution ("reference"), its blank student version ("blank")
    and the given wrong answers in one batch."""
    blank = nbformat.read(course.generate(lab), as_version=4)
    return grade_all(course, lab, {"reference": reference(lab), "blank": blank, **wrong}, tmp)


def _messages(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    found = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and grade_id.startswith("check-"):
            text = "\n".join(o.get("evalue", "") for o in cell.outputs if o.output_type == "error")
            if text:
                found[grade_id.removeprefix("check-")] = text
    return found


@pytest.fixture(scope="session")
def course(cluster: Kubectl, tmp_path_factory: pytest.TempPathFactory) -> Course:
    return Course.create(tmp_path_factory.mktemp("course"))
