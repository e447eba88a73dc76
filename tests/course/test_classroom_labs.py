"""A student of a class runs every lab's reference answers to full marks, in a kernel whose
only credential is the kubeconfig `svclab classroom kubeconfig` wrote: no namespace is
created, no cluster-wide right is used, every check and hidden check passes."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from svclab.k8s import tenancy
from svclab.labs import LABS
from svclab.settings import settings

from .run import client, student_env

pytestmark = [pytest.mark.live, pytest.mark.timeout(900)]


@pytest.mark.parametrize("lab", sorted(LABS))
def test_a_student_runs_the_lab_reference_to_full_marks(student: Path, lab: str) -> None:
    path = settings().labs_dir / lab / f"{lab}.ipynb"
    nb = nbformat.read(path, as_version=4)
    env = student_env(student)
    runner = client(nb, path)
    try:
        runner.execute(env=env)
    finally:  # the lab's pods and Services go; the namespace (and its node port) stay
        tenancy.empty_namespace(f"{student.stem}-{lab}")
    # a lab shows some commands failing on purpose (a broken Service): only Python errors count
    errors = [
        f"{o.ename}: {o.evalue}"
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors, f"{lab} as a student:\n" + "\n".join(errors)
    checks = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert len(checks) == len(LABS[lab].checks)
    assert all(any("✓" in o.get("text", "") for o in c.outputs) for c in checks), f"{lab}: a check printed no ✓"
