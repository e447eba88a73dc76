"""A class at once: five provisioned students run the ClusterIP and NodePort labs' reference
answers at the same time, each in a kernel whose only credential is their own kubeconfig.
Every one gets full marks and a node port of their own; nothing collides."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from svclab.classroom import Classroom
from svclab.k8s import quota
from svclab.k8s.kubectl import Kubectl
from svclab.settings import settings

from .run import client, student_env

pytestmark = [pytest.mark.live, pytest.mark.timeout(1200)]
CLASS = 5
LABS_RUN = ("clusterip", "nodeport")


@pytest.fixture(scope="module")
def kubeconfigs(cluster: Kubectl, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    room = Classroom()
    names = [f"tc{i}{uuid.uuid4().hex[:4]}" for i in range(CLASS)]
    folder = tmp_path_factory.mktemp("class")
    try:
        for name in names:
            room.add(name)
        yield {name: room.kubeconfig(name, folder / f"{name}.kubeconfig") for name in names}
    finally:
        for name in names:
            room.remove(name)


def run_reference(kubeconfig: Path, lab: str) -> list[str]:
    """Execute the lab's source notebook (answers and hidden checks) as the student; returns
    what went wrong: a Python error, or a check cell that printed no ✓."""
    path = settings().labs_dir / lab / f"{lab}.ipynb"
    nb = nbformat.read(path, as_version=4)
    client(nb, path).execute(env=student_env(kubeconfig))
    code = [c for c in nb.cells if c.cell_type == "code"]
    wrong = [f"{lab}: {o.ename}: {o.evalue}" for c in code for o in c.outputs if o.output_type == "error"]
    checks = [c for c in code if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    wrong += [f"{lab}: {c.id} printed no ✓" for c in checks if not any("✓" in o.get("text", "") for o in c.outputs)]
    return wrong


def test_five_students_run_two_labs_at_once_to_full_marks(kubeconfigs: dict[str, Path]) -> None:
    with ThreadPoolExecutor(max_workers=CLASS * len(LABS_RUN)) as pool:
        runs = {(n, lab): pool.submit(run_reference, kc, lab) for n, kc in kubeconfigs.items() for lab in LABS_RUN}
    wrong = {who: f.result() for who, f in runs.items() if f.result()}
    assert not wrong, wrong


def test_every_student_held_a_node_port_of_their_own(kubeconfigs: dict[str, Path]) -> None:
    ports = {n: quota.own_node_port(f"{n}-nodeport") for n in kubeconfigs}
    assert all(ports.values()) and len(set(ports.values())) == CLASS, ports
    assert all(p in quota.static_band() for p in ports.values() if p)
    held = quota.held()
    assert all(held[p] == f"{n}-nodeport" for n, p in ports.items() if p)
    for name, port in ports.items():  # and the Service each built sits on it
        services = Kubectl()("get", "services", "-n", f"{name}-nodeport", "-o", "jsonpath={..nodePort}")
        assert services.strip() == str(port), (name, services)
