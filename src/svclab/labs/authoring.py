"""Lab notebooks are written as Markdown (labs/<lab>/<lab>.md) and built into
nbgrader source notebooks, so they diff well and their points come from the
lab's checks in the catalog – the one place they are defined.

Fenced blocks become cells:
    ```python setup            the lab's set-up cell (locked)
    ```python task <id>        a task; its body is the reference solution
    ```python check <name>     the graded cell of catalog check <name>
    ```python                  plain code (locked)
Text between blocks becomes locked Markdown cells. A hidden check's cell shows
only a comment to students; autograde runs the check. Every check of the lab
must appear exactly once."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from svclab.errors import InvalidInput
from svclab.labs.catalog import LABS
from svclab.labs.spec import LabSpec

_BLOCK = re.compile(r"^```python(?P<info>[^\n]*)\n(?P<body>.*?)^```\s*$", re.S | re.M)


def _meta(
    grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = True, points: float | None = None
) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def build_notebook(spec: LabSpec, markdown: str) -> NotebookNode:
    """The nbgrader source notebook of ``spec`` from its Markdown text."""
    cells: list[NotebookNode] = []
    seen_checks: list[str] = []
    position = 0

    def text(chunk: str) -> None:
        chunk = chunk.strip()
        if chunk:
            cells.append(nbformat.v4.new_markdown_cell(chunk, metadata=_meta(f"md-{len(cells)}")))

    for match in _BLOCK.finditer(markdown):
        text(markdown[position : match.start()])
        position = match.end()
        info = match["info"].split()
        body = match["body"].rstrip("\n")
        kind = info[0] if info else "code"
        if kind == "setup":
            cells.append(nbformat.v4.new_code_cell(body, metadata=_meta("setup")))
        elif kind == "task":
            source = f"### BEGIN SOLUTION\n{body}\n### END SOLUTION"
            cells.append(
                nbformat.v4.new_code_cell(source, metadata=_meta(f"task-{info[1]}", solution=True, locked=False))
            )
        elif kind == "check":
            check = spec.check(info[1])
            seen_checks.append(check.name)
            call = body or f'lab.check("{check.name}")'
            if check.hidden:
                call = f"# Autograde checks: {check.description}.\n### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS"
            cells.append(
                nbformat.v4.new_code_cell(call, metadata=_meta(f"check-{check.name}", grade=True, points=check.points))
            )
        elif kind == "code":
            cells.append(nbformat.v4.new_code_cell(body, metadata=_meta(f"code-{len(cells)}")))
        else:
            raise InvalidInput(
                f"unknown block kind {kind!r} in lab {spec.name}",
                "use setup, task <id>, check <name> or a plain python block",
            )
    text(markdown[position:])
    expected = [c.name for c in spec.checks]
    if sorted(seen_checks) != sorted(expected):
        raise InvalidInput(
            f"lab {spec.name}: the notebook has checks {seen_checks}, the catalog {expected}",
            "place each catalog check exactly once",
        )
    for cell in cells:  # stable ids: rebuilding gives the same file
        cell["id"] = cell.metadata["nbgrader"]["grade_id"]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata.update(
        {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
    )
    return nb


def build_lab(labs_dir: Path, name: str) -> Path:
    """Write labs/<name>/<name>.ipynb from labs/<name>/<name>.md; return its path."""
    source = labs_dir / name / f"{name}.md"
    target = source.with_suffix(".ipynb")
    nb = build_notebook(LABS[name], source.read_text())
    target.write_text(nbformat.writes(nb) + "\n")
    return target
