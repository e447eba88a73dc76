"""Hostile submissions, graded in their pods: each is stopped where it reaches beyond its
grading namespace, keeps the score of its own answers, and changes nothing outside.

Every hostile notebook is the ClusterIP reference with one more thing done in its first task
cell. They are graded in one batch with the reference and a wrong answer, which must score
exactly what they score alone (test_clusterip)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
import pytest

from svclab.grading.course import Course
from svclab.grading.sandbox import KERNEL_MEMORY, KERNEL_POD, TOKEN_SECRET
from svclab.k8s.kubectl import Kubectl
from svclab.labs import LABS
from svclab.settings import settings

from .conftest import Graded, grade_all, reference, variant

pytestmark = pytest.mark.live
LAB = "clusterip"
FULL = LABS[LAB].max_points
EXPOSE = "!kubectl expose deployment hello-world --port=80 --target-port=8080"
VICTIM = "hostile-victim"
#: a cell that runs past it is interrupted (the labs' own cells take a few seconds here)
CELL_TIMEOUT = 60


def hostile(code: str) -> nbformat.NotebookNode:
    return variant(LAB, expose=f"{EXPOSE}\n{code}")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def batch(cluster: Kubectl, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    course = Course.create(tmp_path_factory.mktemp("hostile-course"))
    with (course.root / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.Execute.timeout = {CELL_TIMEOUT}\n")
    course.generate(LAB)
    cluster("create", "namespace", VICTIM)
    cluster("-n", VICTIM, "create", "configmap", "keep", "--from-literal=a=b")
    admin = settings().kubeconfig
    before = {
        "kubeconfig": _digest(admin),
        "config": _digest(course.root / "nbgrader_config.py"),
        "classroom": cluster("-n", "svclab-classroom", "get", "secrets", "-o", "name"),
    }
    submissions = {
        "reference": reference(LAB),
        "wrong-target-port": variant(LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=80"),
        "reads-admin": hostile(
            "import os\n"
            f"print('admin kubeconfig here:', os.path.exists({str(admin)!r}), "
            "os.path.exists(os.path.expanduser('~/.config/svclab/kubeconfig')))\n"
            "print('docker socket here:', os.path.exists('/var/run/docker.sock'))\n"
            f"!kubectl --kubeconfig {admin} auth can-i '*' '*'\n"
            "!kubectl auth can-i '*' '*' --all-namespaces"
        ),
        "writes-gradebook": hostile(
            f"try:\n    open({str(course.db_path)!r}, 'w').write('gone')\n"
            "except OSError as exc:\n    print('gradebook:', type(exc).__name__)"
        ),
        "lists-secrets": hostile("!kubectl get secrets --all-namespaces\n!kubectl -n svclab-classroom get secrets"),
        "deletes-namespaces": hostile(
            f"!kubectl delete namespace {VICTIM} --wait=false\n!kubectl -n {VICTIM} delete configmap keep\n"
            "!kubectl delete namespace g-reference-clusterip --wait=false\n"
            "!kubectl -n svclab-classroom delete secrets --all"
        ),
        "eats-memory": hostile(
            "def eat():\n    hog = []\n    while True:\n        hog.append(b'x' * (64 << 20))\n\neat()"
        ),
        "loops-forever": hostile("while True:\n    pass"),
        "removes-its-pod": hostile(
            f"!kubectl delete pod {KERNEL_POD} --wait=false\n!kubectl label pod {KERNEL_POD} taken=yes\n"
            f"!kubectl delete secret {TOKEN_SECRET}"
        ),
    }
    graded = grade_all(course, LAB, submissions, tmp_path_factory.mktemp("hostile"))
    after = {
        "kubeconfig": _digest(admin),
        "config": _digest(course.root / "nbgrader_config.py"),
        "classroom": cluster("-n", "svclab-classroom", "get", "secrets", "-o", "name"),
    }
    victim = cluster("-n", VICTIM, "get", "configmap", "keep", "-o", "jsonpath={.data.a}")
    cluster("delete", "namespace", VICTIM, "--wait=false")
    outputs = {s: _task_output(course, s) for s in submissions}
    return {"graded": graded, "outputs": outputs, "before": before, "after": after, "victim": victim}


def _task_output(course: Course, student: str) -> str:
    """Everything the first task cell printed or raised, in the executed notebook."""
    nb = nbformat.read(course.root / "autograded" / student / LAB / f"{LAB}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "task-expose")
    parts = []
    for out in cell.outputs:
        parts.append(out.get("text", ""))
        parts += [out.get("ename", ""), out.get("evalue", ""), *out.get("traceback", [])]
    return "\n".join(parts)


def scores(batch: dict[str, object]) -> dict[str, Graded]:
    return batch["graded"]  # type: ignore[return-value]


def output(batch: dict[str, object], student: str) -> str:
    return batch["outputs"][student]  # type: ignore[index]


def test_the_batch_scores_as_if_graded_alone(batch: dict[str, object]) -> None:
    graded = scores(batch)
    assert graded["reference"].total == FULL, graded["reference"].messages
    assert graded["wrong-target-port"].scores == {
        "exists": 1,
        "type": 1,
        "ports": 0,
        "endpoints": 1,
        "cluster-ip": 1,
        "reachable": 0,
    }


@pytest.mark.parametrize(
    "student",
    [
        "reads-admin",
        "writes-gradebook",
        "lists-secrets",
        "deletes-namespaces",
        "eats-memory",
        "loops-forever",
        "removes-its-pod",
    ],
)
def test_a_hostile_submission_keeps_the_score_of_its_answers(batch: dict[str, object], student: str) -> None:
    assert scores(batch)[student].total == FULL, scores(batch)[student].messages


def test_the_admin_kubeconfig_and_docker_are_not_in_the_pod(batch: dict[str, object]) -> None:
    out = output(batch, "reads-admin")
    assert "admin kubeconfig here: False False" in out
    assert "docker socket here: False" in out
    assert "yes" not in out.split()
    assert out.split().count("no") >= 1


def test_the_gradebook_is_out_of_reach(batch: dict[str, object]) -> None:
    assert "gradebook: FileNotFoundError" in output(batch, "writes-gradebook")
    assert batch["before"]["config"] == batch["after"]["config"]  # type: ignore[index]


def test_secrets_of_the_cluster_are_forbidden(batch: dict[str, object]) -> None:
    out = output(batch, "lists-secrets")
    assert out.count("forbidden") >= 2, out
    assert 'cannot list resource "secrets"' in out


def test_other_namespaces_cannot_be_deleted(batch: dict[str, object]) -> None:
    out = output(batch, "deletes-namespaces")
    assert out.count("forbidden") >= 4, out
    assert batch["victim"] == "b"
    assert batch["before"]["classroom"] == batch["after"]["classroom"]  # type: ignore[index]
    assert batch["before"]["kubeconfig"] == batch["after"]["kubeconfig"]  # type: ignore[index]


def test_endless_memory_meets_a_memory_error_with_a_note(batch: dict[str, object]) -> None:
    out = output(batch, "eats-memory")
    assert "MemoryError" in out
    assert f"a grading kernel may use at most {KERNEL_MEMORY >> 20} MiB" in out


def test_an_endless_loop_is_interrupted_at_the_cell_timeout(batch: dict[str, object]) -> None:
    out = output(batch, "loops-forever")
    assert "KeyboardInterrupt" in out or "CellTimeoutError" in out, out


def test_the_submission_cannot_remove_its_own_pod(batch: dict[str, object]) -> None:
    out = output(batch, "removes-its-pod")
    assert out.count("a submission may not delete, evict or change it") >= 3, out
