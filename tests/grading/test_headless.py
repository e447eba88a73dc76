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
#: what a submission without Service hello (but with its StatefulSet) loses
SERVICE_CHECKS = ("headless", "port-name", "a-records", "pod-dns", "srv", "reach-pod")


def _reference_apply() -> str:
    """The reference solution of the manifest task."""
    cell = next(c for c in reference(LAB).cells if c.metadata["nbgrader"]["grade_id"] == "task-apply")
    return re.search(r"### BEGIN SOLUTION\n(.*)\n### END SOLUTION", cell.source, re.S)[1]


def _apply(old: str, new: str) -> str:
    """The reference manifest with one change."""
    body = _reference_apply()
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
            "port-name-typo": variant(
                LAB, apply=_apply("    - name: http\n      port: 8080\n", "    - name: htpp\n      port: 8080\n")
            ),
            # a lowercase RFC 1123 label: kubectl refuses the Service (and applies the StatefulSet)
            "port-name-uppercase": variant(
                LAB, apply=_apply("    - name: http\n      port: 8080\n", "    - name: HTTP\n      port: 8080\n")
            ),
            "service-port-80": variant(LAB, apply=_apply("      port: 8080\n", "      port: 80\n")),
            "no-service-name": variant(LAB, apply=_apply("  serviceName: hello\n", "")),
            "service-name-typo": variant(
                LAB,
                apply=_apply("kind: Service\nmetadata:\n  name: hello\n", "kind: Service\nmetadata:\n  name: helo\n"),
            ),
            # None is a keyword: "none" is taken for an address, and refused
            "clusterip-lowercase-none": variant(LAB, apply=_apply("  clusterIP: None\n", "  clusterIP: none\n")),
            # first applied without clusterIP: None, then fixed and applied again: the cluster IP stays
            "made-headless-in-place": variant(
                LAB,
                apply=_apply("  clusterIP: None\n", "").replace("!kubectl rollout", "#") + "\n" + _reference_apply(),
            ),
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


def test_typo_in_the_port_name_has_no_srv_records(graded: dict[str, Graded]) -> None:
    g = graded["port-name-typo"]
    assert {k for k, v in g.scores.items() if v == 0} == {"port-name", "srv"}
    assert g.total == FULL - 2
    assert "port 8080 of Service hello is named 'htpp'; the task asks for the name 'http'" in g.messages["port-name"]
    assert "_http._tcp.hello.g-port-name-typo-headless.svc.cluster.local has no SRV record" in g.messages["srv"]


def test_uppercase_port_name_is_refused(graded: dict[str, Graded]) -> None:
    g = graded["port-name-uppercase"]
    assert {k for k, v in g.scores.items() if v == 0} == {*SERVICE_CHECKS}
    assert g.total == FULL - 6
    assert (
        "there is no service named 'hello' in namespace g-port-name-uppercase-headless; it has none – and kubectl "
        'refused `kubectl apply (the manifest of this cell)`: The Service "hello" is invalid: spec.ports[0].name: '
        'Invalid value: "HTTP": a lowercase RFC 1123 label'
    ) in g.messages["headless"]


def test_service_port_80_is_not_the_port_8080(graded: dict[str, Graded]) -> None:
    g = graded["service-port-80"]
    assert {k for k, v in g.scores.items() if v == 0} == {"port-name"}
    assert g.total == FULL - 1
    assert "Service hello has no port 8080 (its ports: 80)" in g.messages["port-name"]


def test_statefulset_without_service_name_has_no_pod_names(graded: dict[str, Graded]) -> None:
    g = graded["no-service-name"]
    assert {k for k, v in g.scores.items() if v == 0} == {"statefulset", "pod-dns", "reach-pod"}
    assert g.total == FULL - 3
    assert (
        "StatefulSet hello has no serviceName; its pods get DNS names only under the headless Service it names, 'hello'"
    ) in g.messages["statefulset"]
    assert re.search(
        r"hello-0\.hello\.g-no-service-name-headless\.svc\.cluster\.local resolves to nothing; "
        r"expected [\d.]+ \(each pod's own IP\)",
        g.messages["pod-dns"],
    ), g.messages["pod-dns"]


def test_typo_in_the_service_name(graded: dict[str, Graded]) -> None:
    g = graded["service-name-typo"]
    assert {k for k, v in g.scores.items() if v == 0} == {*SERVICE_CHECKS}
    assert g.total == FULL - 6
    assert (
        "there is no service named 'hello' in namespace g-service-name-typo-headless; it has: helo"
        in g.messages["headless"]
    )


def test_lowercase_none_is_refused_as_an_address(graded: dict[str, Graded]) -> None:
    g = graded["clusterip-lowercase-none"]
    assert {k for k, v in g.scores.items() if v == 0} == {*SERVICE_CHECKS}
    assert g.total == FULL - 6
    assert (
        'kubectl refused `kubectl apply (the manifest of this cell)`: The Service "hello" is invalid: '
        'spec.clusterIPs[0]: Invalid value: "none": must be a valid IP address'
    ) in g.messages["headless"]


def test_a_service_made_headless_in_place_keeps_its_cluster_ip(graded: dict[str, Graded]) -> None:
    g = graded["made-headless-in-place"]
    assert {k for k, v in g.scores.items() if v == 0} == {"headless", "a-records", "srv"}
    assert g.total == FULL - 3
    assert re.search(r"Service hello has the cluster IP [\d.]+: it is not headless", g.messages["headless"])
    assert (
        "An existing Service's cluster IP cannot be changed: kubectl delete service hello, then apply it again"
        in g.messages["headless"]
    )
