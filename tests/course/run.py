"""What the course and classroom tests share: the guard cell that reports failed shell
commands and widget errors, and the list of every problem in an executed notebook."""

from __future__ import annotations

import os
import re
from pathlib import Path

from nbclient import NotebookClient
from nbformat import NotebookNode

#: per-cell limit: set-up cells wait for rollouts, checks poll for convergence
CELL_TIMEOUT = 300

#: what a failing shell command or kubectl prints on stdout (``!cmd`` merges stderr into it)
SHELL_ERRORS = re.compile(
    r"^(Error from server|error: |.*: command not found|.*: not found$|"
    r"curl: \(\d+\)|command terminated with exit code|Traceback)",
    re.M,
)

#: run first, not saved: reports ``!`` commands that exited non-zero and widgets that show an error
GUARD = """
import sys as _sys
from IPython import get_ipython as _get_ipython

def _svclab_pre(info=None):
    _get_ipython().user_ns["_exit_code"] = 0

def _svclab_post(result=None):
    ns = _get_ipython().user_ns
    if ns.get("_exit_code", 0):
        print(f"SVCLAB-TEST: a shell command exited with status {ns['_exit_code']}", file=_sys.stderr)
    from svclab.widgets.base import View
    for name, value in list(ns.items()):
        if isinstance(value, View) and value.error is not None:
            print(f"SVCLAB-TEST: widget {name} shows an error: {value.error}", file=_sys.stderr)

_get_ipython().events.register("pre_run_cell", _svclab_pre)
_get_ipython().events.register("post_run_cell", _svclab_post)
"""


def problems_in(nb: NotebookNode) -> list[str]:
    """Every error output, stderr stream and failed shell command, with its cell."""
    found = []
    for index, cell in enumerate(nb.cells[1:], start=1):
        if cell.cell_type != "code":
            continue
        where = f"cell {index} ({cell.source.splitlines()[0][:70] if cell.source else ''!r})"
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"{where}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr" and out.text.strip():
                found.append(f"{where}: stderr: {out.text.strip()[:600]}")
            elif out.output_type == "stream" and (m := SHELL_ERRORS.search(out.text)):
                found.append(f"{where}: shell error: {m.group(0)[:300]}")
    return found


def client(nb: NotebookNode, path: Path) -> NotebookClient:
    """A python3 kernel of this venv for ``nb``, run in the notebook's folder; errors are kept as outputs."""
    return NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )


def student_env(kubeconfig: Path) -> dict[str, str]:
    """A kernel's environment with a student's kubeconfig as its only credential."""
    from svclab.settings import settings

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SVCLAB_NAMESPACE", "NBGRADER_EXECUTION", "SVCLAB_COURSE_PREFIX", "JUPYTERHUB_USER")
    }
    return env | {
        "SVCLAB_KUBECONFIG": str(kubeconfig),
        "KUBECONFIG": str(kubeconfig),
        "PATH": f"{settings().bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
