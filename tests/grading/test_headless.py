"""Headless lab: full marks, zero, and the partial credit of typical mistakes."""

from __future__ import annotations

import re

import pytest

from svclab.grading.course import Course
from svclab.labs import LABS

from .conftest import Graded, grade_lab, reference, variant

pytestmark = pytest.mark.live
LAB = "headless"
FULL = LABS[LAB].max_points


def _apply(old: str, new: str) -> str:
    """The reference manifest with one change."""
    cell = next(c for c in reference(LAB).cells if c.metadata["nbgrader"]["grade_id"] == "task-apply")
    body = re.search(r"### BEGIN SOLUTION\n(.*)\n### END SOLUTION", cell.source, re.S)[1]
    assert body.count(old) == 1, old
    return body.replace(old, new)


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_lab(
        course,
        LAB,
        {
            "clusterip-service": variant(LAB, apply=_apply("  clusterIP: None\n", "")),
            "unnamed-port": variant(
                LAB,
                apply=_apply(
                    "    - name: http\n      port: 8080\n      targetPort: http\n",
                    "    - port: 8080\n      targetPort: 8080\n",
                ),
            ),
            "wrong-service-name": variant(
                LAB, apply=_apply("  serviceName: hello\n", "  serviceName: hello-headless\n")
            ),
            # the Service's selector misses the pods' label
            "selector-typo": variant(
                LAB, apply=_apply("  selector:\n    app: hello\n", "  selector:\n    app: helo\n")
            ),
            "two-replicas": variant(LAB, apply=_apply("  replicas: 3\n", "  replicas: 2\n")),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero(graded: dict[str, Graded]) -> None:
    g = graded["blank"]
    assert g.total == 0
    assert "there is no statefulset named 'hello'" in g.messages["statefulset"]


def test_clusterip_service_is_not_headless(graded: dict[str, Graded]) -> None:
    g = graded["clusterip-service"]
    # CoreDNS still serves the per-pod names (the EndpointSlice carries the pods' hostnames),
    # but the Service name gives the cluster IP and a single SRV record.
    assert {k for k, v in g.scores.items() if v == 0} == {"headless", "a-records", "srv"}
    assert g.total == FULL - 3
    assert re.search(r"Service hello has the cluster IP [\d.]+: it is not headless", g.messages["headless"])
    assert re.search(
        r"hello\.g-clusterip-service-headless\.svc\.cluster\.local resolves to [\d.]+; "
        r"expected [\d., ]+ \(the IPs of the ready pods of StatefulSet hello\)",
        g.messages["a-records"],
    )
    assert "has 1 SRV record (hello.g-clusterip-service-headless.svc.cluster.local:8080)" in g.messages["srv"]


def test_unnamed_port_has_no_srv_records(graded: dict[str, Graded]) -> None:
    g = graded["unnamed-port"]
    assert {k for k, v in g.scores.items() if v == 0} == {"port-name", "srv"}
    assert g.total == FULL - 2
    assert "port 8080 of Service hello has no name; the task asks for the name 'http'" in g.messages["port-name"]
    assert "_http._tcp.hello.g-unnamed-port-headless.svc.cluster.local has no SRV record" in g.messages["srv"]
    assert "SRV records exist only for named ports" in g.messages["srv"]


def test_wrong_service_name_loses_the_pod_names(graded: dict[str, Graded]) -> None:
    g = graded["wrong-service-name"]
    assert {k for k, v in g.scores.items() if v == 0} == {"statefulset", "pod-dns", "reach-pod"}
    assert g.total == FULL - 3
    assert (
        "StatefulSet hello has serviceName 'hello-headless'; its pods get DNS names only under the "
        "headless Service it names, 'hello'"
    ) in g.messages["statefulset"]
    assert re.search(
        r"hello-\d\.hello\.g-wrong-service-name-headless\.svc\.cluster\.local resolves to nothing; "
        r"expected [\d.]+ \(each pod's own IP\)",
        g.messages["pod-dns"],
    )


def test_a_selector_typo_leaves_the_headless_service_empty(graded: dict[str, Graded]) -> None:
    g = graded["selector-typo"]
    zero = {k for k, v in g.scores.items() if v == 0}
    assert {"a-records", "srv"} <= zero and "headless" not in zero and "ready" not in zero, g.scores
    assert "resolves to nothing" in g.messages["a-records"], g.messages["a-records"]


def test_two_replicas_lose_the_ready_check(graded: dict[str, Graded]) -> None:
    g = graded["two-replicas"]
    assert g.scores["ready"] == 0 and g.scores["headless"] == 1, g.scores
    assert "2" in g.messages["ready"] and "3" in g.messages["ready"], g.messages["ready"]
