"""ClusterIP lab: full marks, zero, and the partial credit of typical mistakes."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from svclab.grading.course import Course
from svclab.labs import LABS

from .conftest import Graded, grade_all, grade_lab, reference, variant

pytestmark = pytest.mark.live
LAB = "clusterip"
FULL = LABS[LAB].max_points


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_lab(
        course,
        LAB,
        {
            "wrong-target-port": variant(
                LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=80"
            ),
            "wrong-type": variant(
                LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=8080 --type=NodePort"
            ),
            "name-typo": variant(
                LAB, expose="!kubectl expose deployment hello-world --name=hello-wrld --port=80 --target-port=8080"
            ),
            "wrong-namespace": variant(
                LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=8080 -n default"
            ),
            "typed-ip": variant(LAB, cluster_ip='cluster_ip = "10.96.0.99"'),
            "refused-port": variant(LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=80800"),
            "udp": variant(
                LAB,
                expose="!kubectl expose deployment hello-world --port=80 --target-port=8080 --protocol=UDP",
            ),
            # port and targetPort swapped
            "swapped-ports": variant(LAB, expose="!kubectl expose deployment hello-world --port=8080 --target-port=80"),
            "selector-typo": variant(
                LAB,
                expose='lab.apply("""\napiVersion: v1\nkind: Service\nmetadata:\n  name: hello-world\nspec:\n'
                '  selector:\n    run: hello-wrold\n  ports:\n    - port: 80\n      targetPort: 8080\n""")',
            ),
            # a pod's address, read from the EndpointSlice, where the Service's is asked
            "pod-ip-read": variant(
                LAB,
                cluster_ip="cluster_ip = !kubectl get endpointslices -l kubernetes.io/service-name=hello-world "
                "-o jsonpath='{.items[0].endpoints[0].addresses[0]}'\ncluster_ip = cluster_ip[0]",
            ),
            # the list field clusterIPs: a JSON list, not an address
            "cluster-ips-list": variant(
                LAB,
                cluster_ip="cluster_ip = !kubectl get service hello-world -o jsonpath='{.spec.clusterIPs}'\n"
                "cluster_ip = cluster_ip[0]",
            ),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero(graded: dict[str, Graded]) -> None:
    assert graded["blank"].total == 0


def test_wrong_target_port_loses_ports_and_reachability(graded: dict[str, Graded]) -> None:
    g = graded["wrong-target-port"]
    assert g.scores == {"exists": 1, "type": 1, "ports": 0, "endpoints": 1, "cluster-ip": 1, "reachable": 0}
    assert "forwards port 80 to targetPort 80; the pods listen on 8080" in g.messages["ports"]


def test_wrong_type_loses_only_the_type(graded: dict[str, Graded]) -> None:
    g = graded["wrong-type"]
    assert g.total == FULL - 1 and g.scores["type"] == 0
    assert "has type NodePort; the task asks for ClusterIP" in g.messages["type"]


def test_name_typo_names_what_was_found(graded: dict[str, Graded]) -> None:
    g = graded["name-typo"]
    assert g.total == 0
    assert "no service named 'hello-world'" in g.messages["exists"]
    assert "it has: hello-wrld" in g.messages["exists"]


def test_wrong_namespace_gets_nothing_and_touches_nothing_outside(graded: dict[str, Graded]) -> None:
    g = graded["wrong-namespace"]
    assert g.total == 0
    assert "it has none" in g.messages["exists"]


def test_typed_ip_does_not_replay(graded: dict[str, Graded]) -> None:
    g = graded["typed-ip"]
    assert g.total == FULL - 1 and g.scores["cluster-ip"] == 0
    assert "'10.96.0.99', which is not the cluster IP" in g.messages["cluster-ip"]


def test_feedback_is_written_for_every_student(course: Course, graded: dict[str, Graded]) -> None:
    pages = course.feedback(LAB)
    assert {p.parent.parent.name for p in pages} >= set(graded)
    text = next(p for p in pages if p.parent.parent.name == "wrong-type").read_text()
    assert "the task asks for ClusterIP" in text


def test_class_statistics_per_check(course: Course, graded: dict[str, Graded]) -> None:
    stats = {s.check: s for s in course.stats(LAB)}
    assert stats["type"].full_marks == sum(g.scores["type"] == 1 for g in graded.values())
    assert stats["exists"].students >= len(graded)


def test_nbgrader_validate_agrees_with_autograde(course: Course, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(reference(LAB), good)
    nbformat.write(variant(LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=80"), bad)
    assert "Success! Your notebook passes all the tests." in course.nbgrader("validate", str(good))
    report = course.nbgrader("validate", str(bad))
    assert "VALIDATION FAILED ON 2 CELL(S)" in report  # ports and the hidden reachability check
    assert "CheckFailed: ports: Service hello-world forwards port 80 to targetPort 80" in report
    assert "which cannot be converted to" not in report  # check cells show no value nbgrader could misread


def test_regrading_gives_the_same_score(course: Course, graded: dict[str, Graded], tmp_path: Path) -> None:
    again = grade_all(
        course,
        LAB,
        {"wrong-target-port": variant(LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=80")},
        tmp_path,
    )
    assert again["wrong-target-port"].scores == graded["wrong-target-port"].scores


def test_a_refused_command_is_named_where_the_object_is_missing(graded: dict[str, Graded]) -> None:
    g = graded["refused-port"]
    assert g.total == 0
    said = g.messages["exists"]
    assert "there is no service named 'hello-world'" in said
    assert "kubectl refused `kubectl expose deployment hello-world --port=80 --target-port=80800`" in said
    assert "Invalid value: 80800" in said, said
    assert "fix what kubectl named and run that cell again" in said


def test_a_udp_port_loses_the_ports_and_reachability(graded: dict[str, Graded]) -> None:
    g = graded["udp"]
    assert g.scores["exists"] == 1 and g.scores["ports"] == 0 and g.scores["reachable"] == 0, g.scores
    assert "port 80 of Service hello-world uses protocol UDP; the pods speak HTTP, over TCP" in g.messages["ports"]


def test_swapped_ports_have_no_port_80(graded: dict[str, Graded]) -> None:
    g = graded["swapped-ports"]
    assert g.scores == {"exists": 1, "type": 1, "ports": 0, "endpoints": 1, "cluster-ip": 1, "reachable": 0}
    assert "Service hello-world has no port 80 (its ports: 8080)" in g.messages["ports"]


def test_selector_typo_matches_no_pod(graded: dict[str, Graded]) -> None:
    g = graded["selector-typo"]
    assert g.scores == {"exists": 1, "type": 1, "ports": 1, "endpoints": 0, "cluster-ip": 1, "reachable": 0}
    assert "the selector of Service hello-world (run: hello-wrold) matches no pod" in g.messages["endpoints"]


def test_a_pod_ip_is_not_the_cluster_ip(graded: dict[str, Graded]) -> None:
    g = graded["pod-ip-read"]
    assert {k for k, v in g.scores.items() if v == 0} == {"cluster-ip"}
    assert g.total == FULL - 1
    assert re.search(
        r"cluster_ip is '10\.244\.\d+\.\d+', which is not the cluster IP of Service hello-world",
        g.messages["cluster-ip"],
    ), g.messages["cluster-ip"]


def test_the_cluster_ips_list_is_not_an_address(graded: dict[str, Graded]) -> None:
    g = graded["cluster-ips-list"]
    assert {k for k, v in g.scores.items() if v == 0} == {"cluster-ip"}
    assert g.total == FULL - 1
    assert re.search(
        r"cluster_ip is '\[\"10\.96\.\d+\.\d+\"\]', which is not the cluster IP of Service hello-world",
        g.messages["cluster-ip"],
    ), g.messages["cluster-ip"]
