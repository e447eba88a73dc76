"""Autograde's outcomes without a cluster: the environment marker a grading kernel writes is
found in the executed notebook, and the regrade list keeps exactly the submissions to redo."""

from __future__ import annotations

from pathlib import Path

import nbformat

from svclab.constants import ENVIRONMENT_MARKER as MARKER
from svclab.grading.outcomes import Outcome, RegradeList, marked_problems


def executed(tmp_path: Path, *streams: str) -> Path:
    cell = nbformat.v4.new_code_cell("lab.check('dns')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=text) for text in streams]
    path = tmp_path / "lab.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x"), cell]), path)
    return path


def test_the_kernels_marker_is_read_back_once_per_problem(tmp_path: Path) -> None:
    dns = f"{MARKER} CoreDNS has no ready replica, so no DNS name resolves\n"
    path = executed(tmp_path, "warning: ignore me\n", dns, dns)
    assert marked_problems(path) == "CoreDNS has no ready replica, so no DNS name resolves"
    assert marked_problems(executed(tmp_path, "all fine\n")) is None
    assert marked_problems(tmp_path / "missing.ipynb") is None


def test_the_regrade_list_keeps_environment_errors_until_graded(tmp_path: Path) -> None:
    waiting = RegradeList(tmp_path)
    waiting.record("dns", Outcome("alice", environment="CoreDNS is down"))
    waiting.record("dns", Outcome("bob"))
    assert waiting.students("dns") == {"alice": "CoreDNS is down"}
    assert RegradeList(tmp_path).students("dns") == {"alice": "CoreDNS is down"}  # kept on disk
    waiting.record("dns", Outcome("alice"))
    assert waiting.students("dns") == {}
    assert Outcome("a", environment="x").note == "environment error, regrade: x"
    assert not Outcome("a", error="nbgrader failed").graded
