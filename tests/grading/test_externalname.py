"""ExternalName lab: full marks, zero, and the partial credit of typical mistakes."""

from __future__ import annotations

import pytest

from svclab.grading.course import Course
from svclab.labs import LABS

from .conftest import Graded, grade_lab, variant

pytestmark = pytest.mark.live
LAB = "externalname"
FULL = LABS[LAB].max_points


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_lab(
        course,
        LAB,
        {
            # a CNAME target is never completed with the search path
            "short-external-name": variant(
                LAB, backend="!kubectl create service externalname backend --external-name=hello-world"
            ),
            # an ordinary Service named backend: reachable, but no alias
            "clusterip-backend": variant(
                LAB, backend="!kubectl expose deployment hello-world --name=backend --port=80 --target-port=8080"
            ),
            # the target Service on the wrong port: the alias resolves, port 80 is closed
            "target-on-8080": variant(LAB, expose="!kubectl expose deployment hello-world --port=8080"),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero(graded: dict[str, Graded]) -> None:
    g = graded["blank"]
    assert g.total == 0
    assert "there is no service named 'backend'" in g.messages["type"]


def test_short_external_name_does_not_resolve(graded: dict[str, Graded]) -> None:
    g = graded["short-external-name"]
    assert {k for k, v in g.scores.items() if v == 0} == {"external-name", "cname", "reachable"}
    assert g.total == FULL - 4
    assert (
        "Service backend points at 'hello-world'; the task asks for "
        "'hello-world.g-short-external-name-externalname.svc.cluster.local'"
    ) in g.messages["external-name"]
    assert (
        "backend.g-short-external-name-externalname.svc.cluster.local is a CNAME for hello-world., "
        "which resolves to no address"
    ) in g.messages["cname"]
    assert "never completed with the search path" in g.messages["cname"]


def test_clusterip_backend_is_no_alias(graded: dict[str, Graded]) -> None:
    g = graded["clusterip-backend"]
    assert {k for k, v in g.scores.items() if v == 0} == {"type", "external-name", "cname", "cname-answer"}
    assert g.total == FULL - 4
    assert "Service backend has type ClusterIP; the task asks for ExternalName" in g.messages["type"]
    assert "kubectl create service externalname backend" in g.messages["type"]
    assert "answers with the address" in g.messages["cname"] and "not with a CNAME" in g.messages["cname"]
    assert "cname_target is empty: the command that set it printed nothing" in g.messages["cname-answer"]


def test_target_on_the_wrong_port_is_unreachable(graded: dict[str, Graded]) -> None:
    g = graded["target-on-8080"]
    assert {k for k, v in g.scores.items() if v == 0} == {"hello-world", "reachable"}
    assert g.total == FULL - 3
    assert "Service hello-world has no port 80 (its ports: 8080)" in g.messages["hello-world"]
