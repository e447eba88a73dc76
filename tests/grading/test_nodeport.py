"""NodePort lab: full marks, zero, and the partial credit of typical mistakes.
The lab is exclusive (node port 30007 is cluster-wide), so its submissions are
graded one after another; several of them take 30007 in turn."""

from __future__ import annotations

import re

import nbformat
import pytest

from svclab.grading.course import Course
from svclab.labs import LABS

from .conftest import Graded, grade_lab, variant

pytestmark = pytest.mark.live
LAB = "nodeport"
FULL = LABS[LAB].max_points


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_lab(
        course,
        LAB,
        {
            "random-node-port": variant(
                LAB, expose="!kubectl expose deployment hello-world --type=NodePort --port=80 --target-port=8080"
            ),
            "cluster-ip-type": variant(
                LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=8080"
            ),
            "wrong-target-port": variant(
                LAB, expose="!kubectl create service nodeport hello-world --tcp=80:80 --node-port=30007"
            ),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def test_lab_is_graded_one_submission_at_a_time() -> None:
    assert LABS[LAB].exclusive


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero(graded: dict[str, Graded]) -> None:
    g = graded["blank"]
    assert g.total == 0
    assert "there is no service named 'hello-world'" in g.messages["exists"]


def test_random_node_port_loses_only_the_ports(course: Course, graded: dict[str, Graded]) -> None:
    g = graded["random-node-port"]
    chosen = re.search(r"http://127.0.0.1:(\d+)/ answers", _output(course, "random-node-port", "reachable"))
    assert chosen, "the reachable check names the URL it reached"
    if chosen[1] == "30007":  # the range's 4 dynamic ports were taken by others and the dice fell on 30007
        pytest.skip("Kubernetes happened to choose node port 30007 for this submission")
    assert g.scores == {"exists": 1, "type": 1, "ports": 0, "endpoints": 1, "reachable": 2, "every-node": 1}
    assert re.search(
        r"port 80 of Service hello-world has nodePort 300\d\d; the task asks for nodePort 30007", g.messages["ports"]
    ), g.messages["ports"]
    assert "hint: set ports[].nodePort: 30007 (without it Kubernetes picks a free one)" in g.messages["ports"]


def test_cluster_ip_type_opens_no_node_port(graded: dict[str, Graded]) -> None:
    g = graded["cluster-ip-type"]
    assert g.scores == {"exists": 1, "type": 0, "ports": 0, "endpoints": 1, "reachable": 0, "every-node": 0}
    assert "Service hello-world has type ClusterIP; the task asks for NodePort" in g.messages["type"]
    assert (
        "port 80 of Service hello-world has no nodePort (a ClusterIP Service opens none); "
        "the task asks for nodePort 30007"
    ) in g.messages["ports"]
    assert (
        "Service hello-world has type ClusterIP, so no node opens a port for it and nothing answers on 127.0.0.1"
    ) in g.messages["reachable"]


def test_wrong_target_port_is_refused_on_every_node(graded: dict[str, Graded]) -> None:
    g = graded["wrong-target-port"]
    assert g.scores == {"exists": 1, "type": 1, "ports": 0, "endpoints": 1, "reachable": 0, "every-node": 0}
    assert "forwards port 80 to targetPort 80; the pods listen on 8080" in g.messages["ports"]
    assert "http://127.0.0.1:30007/ did not answer from this machine" in g.messages["reachable"]
    assert "node port 30007 of Service hello-world gave no 'Hello, world!' on svclab-worker" in g.messages["every-node"]


def _output(course: Course, student: str, check: str) -> str:
    """What the check cell of a submission printed (a passed check prints its message)."""
    nb = nbformat.read(course.root / "autograded" / student / LAB / f"{LAB}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == f"check-{check}")
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
