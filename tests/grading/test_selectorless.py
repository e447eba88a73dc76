"""Selector-less lab: full marks, zero, and the partial credit of typical mistakes."""

from __future__ import annotations

import re

import pytest

from svclab.grading.course import Course
from svclab.labs import LABS

from .conftest import Graded, grade_lab, reference, variant

pytestmark = pytest.mark.live
LAB = "selectorless"
FULL = LABS[LAB].max_points


def _slice(old: str, new: str) -> str:
    """The reference EndpointSlice task with one change."""
    cell = next(c for c in reference(LAB).cells if c.metadata["nbgrader"]["grade_id"] == "task-slice")
    body = re.search(r"### BEGIN SOLUTION\n(.*)\n### END SOLUTION", cell.source, re.S)[1]
    assert body.count(old) == 1, old
    return body.replace(old, new)


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_lab(
        course,
        LAB,
        {
            # kubectl create service adds a selector (app: hello-manual) and names the port 80-8080
            "created-with-kubectl": variant(
                LAB, service="!kubectl create service clusterip hello-manual --tcp=80:8080"
            ),
            "no-label": variant(LAB, slice=_slice("  labels:\n    kubernetes.io/service-name: hello-manual\n", "")),
            "service-port-in-slice": variant(LAB, slice=_slice("  - port: 8080\n", "  - port: 80\n")),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero(graded: dict[str, Graded]) -> None:
    g = graded["blank"]
    assert g.total == 0
    assert "there is no EndpointSlice of your own in namespace g-blank-selectorless" in g.messages["slice-label"]


def test_service_made_with_kubectl_create_has_a_selector_and_a_port_name(graded: dict[str, Graded]) -> None:
    g = graded["created-with-kubectl"]
    assert {k for k, v in g.scores.items() if v == 0} == {"no-selector", "port", "reachable"}
    assert g.total == FULL - 4
    assert (
        "Service hello-manual has a selector (app: hello-manual), so Kubernetes manages its endpoints"
        in g.messages["no-selector"]
    )
    assert (
        "the port of EndpointSlice hello-manual-1 is named '', but the port of Service hello-manual is "
        "named '80-8080': kube-proxy pairs them by name"
    ) in g.messages["port"]


def test_slice_without_label_is_not_connected(graded: dict[str, Graded]) -> None:
    g = graded["no-label"]
    assert {k for k, v in g.scores.items() if v == 0} == {"slice-label", "reachable"}
    assert g.total == FULL - 3
    assert (
        "EndpointSlice hello-manual-1 has no label kubernetes.io/service-name, so nothing connects it to "
        "Service hello-manual"
    ) in g.messages["slice-label"]


def test_service_port_in_the_slice_misses_the_pods(graded: dict[str, Graded]) -> None:
    g = graded["service-port-in-slice"]
    assert {k for k, v in g.scores.items() if v == 0} == {"port", "reachable"}
    assert g.total == FULL - 3
    assert "EndpointSlice hello-manual-1 sends to port 80; the pods listen on 8080" in g.messages["port"]
