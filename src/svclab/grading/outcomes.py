"""What autograde made of each submission – graded, failed, or an environment error to
regrade – and the course's list of submissions to regrade (``svclab-regrade.json`` in the
course root), which ``svclab grade autograde --retry-errors`` works through."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from svclab.constants import ENVIRONMENT_MARKER as MARKER


@dataclass(frozen=True)
class Outcome:
    student: str
    error: str | None = None  # nbgrader itself failed on the submission
    environment: str | None = None  # the cluster was unfit to grade on: regrade
    lab: str = ""

    @property
    def graded(self) -> bool:
        return self.error is None and self.environment is None

    @property
    def note(self) -> str:
        if self.environment:
            return f"environment error, regrade: {self.environment}"
        return f"error: {self.error}" if self.error else ""


def marked_problems(notebook: Path) -> str | None:
    """The environment problems a grading kernel wrote into the executed notebook, if any."""
    if not notebook.is_file():
        return None
    nb = nbformat.read(notebook, as_version=4)
    found = [
        line.split(MARKER, 1)[1].strip()
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.output_type == "stream"
        for line in out.text.splitlines()
        if MARKER in line
    ]
    return "; ".join(dict.fromkeys(found)) or None


class RegradeList:
    """{lab: {student: reason}} of the submissions graded on an unfit cluster."""

    def __init__(self, root: Path) -> None:
        self.path = root / "svclab-regrade.json"

    def _load(self) -> dict[str, dict[str, str]]:
        return json.loads(self.path.read_text()) if self.path.is_file() else {}

    def students(self, lab: str) -> dict[str, str]:
        return dict(self._load().get(lab, {}))

    def record(self, lab: str, outcome: Outcome) -> None:
        """Keep an environment error on the list; take a graded (or failed) submission off it.
        (Autograde records from one thread.)"""
        todo = self._load()
        waiting = todo.setdefault(lab, {})
        if outcome.environment:
            waiting[outcome.student] = outcome.environment
        else:
            waiting.pop(outcome.student, None)
        if not waiting:
            del todo[lab]
        self.path.write_text(json.dumps(todo, indent=1, sort_keys=True))
