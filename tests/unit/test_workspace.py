"""The student workspace: the course and the student versions of the labs, every lab link
resolving, no solution or hidden check in any file, and a student's edits never overwritten."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from svclab.labs import LABS
from svclab.settings import settings
from svclab.workspace import update

_SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def _solution_lines() -> set[str]:
    """Every substantial line of the labs' reference answers that no lab's text shows anyway."""
    answers, given = set(), set()
    for lab in LABS:
        for cell in nbformat.read(settings().labs_dir / lab / f"{lab}.ipynb", as_version=4).cells:
            given |= {line.strip() for line in _SOLUTION.sub("", cell.source).splitlines()}
            for body in _SOLUTION.findall(cell.source):
                answers |= {line.strip() for line in body.splitlines() if len(line.strip()) > 12}
    for lecture in settings().course_dir.rglob("*.ipynb"):  # what the lectures show is no secret
        given |= {line.strip() for c in nbformat.read(lecture, as_version=4).cells for line in c.source.splitlines()}
    return answers - given


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return update(tmp_path_factory.mktemp("home") / "svclab").root


def test_it_holds_the_course_and_every_lab_without_solutions(workspace: Path) -> None:
    texts = {p: p.read_text() for p in workspace.rglob("*") if p.is_file()}
    assert {f"labs/{lab}/{lab}.ipynb" for lab in LABS} <= {str(p.relative_to(workspace)) for p in texts}
    assert (workspace / "course" / "index.ipynb").exists()
    answers = _solution_lines()
    assert answers  # the sources do have answers to hide
    for path, text in texts.items():
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
        for cell in json.loads(text).get("cells", []) if path.suffix == ".ipynb" else []:
            leaked = answers & {line.strip() for line in "".join(cell["source"]).splitlines()}
            assert not leaked, f"{path.relative_to(workspace)} shows reference answers: {sorted(leaked)[:3]}"


def test_every_lab_link_of_the_course_resolves_in_the_workspace(workspace: Path) -> None:
    for path in (workspace / "course").rglob("*.ipynb"):
        for link in re.findall(r"\]\((\.\./labs/[^)#]+)\)", path.read_text()):
            assert (path.parent / link).resolve().exists(), f"{path.name}: {link}"


def test_a_later_run_keeps_the_students_edits(workspace: Path) -> None:
    lab = workspace / "labs" / "clusterip" / "clusterip.ipynb"
    edited = lab.read_text().replace("# YOUR CODE HERE", "!kubectl get pods", 1)
    lab.write_text(edited)
    again = update(workspace)
    assert "labs/clusterip/clusterip.ipynb" in again.kept and lab.read_text() == edited
    assert not again.written and not again.beside


def test_instructor_tools_and_news_are_off_for_students(workspace: Path) -> None:
    server = json.loads((workspace / ".jupyter" / "jupyter_server_config.json").read_text())
    assert server["LabApp"]["news_url"] is None
    assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False
    page = json.loads((workspace / ".jupyter" / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyter/nbgrader:create-assignment"] is True
