"""ExternalName lab: full marks, zero, and the partial credit of typical mistakes."""

from __future__ import annotations

import re

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
            # the namespace the student worked in, typed into the name: another namespace's hello-world
            "typed-namespace": variant(
                LAB,
                backend="!kubectl create service externalname backend "
                "--external-name=hello-world.lab-externalname.svc.cluster.local",
            ),
            "target-typo": variant(
                LAB,
                backend="!kubectl create service externalname backend "
                "--external-name=hello-wrold.{lab.namespace}.svc.cluster.local",
            ),
            # a URL is no DNS name: kubectl refuses it
            "url-as-name": variant(
                LAB,
                backend="!kubectl create service externalname backend "
                "--external-name=http://hello-world.{lab.namespace}.svc.cluster.local",
            ),
            # an address where a name is asked: a CNAME cannot point at an IP
            "cluster-ip-as-name": variant(
                LAB,
                backend="ip = !kubectl get service hello-world -o jsonpath='{.spec.clusterIP}'\n"
                "!kubectl create service externalname backend --external-name={ip[0]}",
            ),
            "cname-typed": variant(LAB, cname='cname_target = "hello-world.lab-externalname.svc.cluster.local."'),
            # the address behind the alias instead of the alias
            "cname-cluster-ip": variant(
                LAB, cname="cname_target = !kubectl get service hello-world -o jsonpath='{.spec.clusterIP}'"
            ),
            # the command that worked in the student's own namespace, with it
            "expose-other-namespace": variant(
                LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=8080 -n lab-externalname"
            ),
            "expose-udp": variant(
                LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=8080 --protocol=UDP"
            ),
            # the target Service under another name: the alias points at nothing
            "target-named-hello": variant(
                LAB, expose="!kubectl expose deployment hello-world --name=hello --port=80 --target-port=8080"
            ),
            "cname-full-dig": variant(
                LAB, cname="cname_target = !kubectl exec toolbox -- dig CNAME backend.{lab.namespace}.svc.cluster.local"
            ),
            "cname-short-name": variant(LAB, cname="cname_target = !kubectl exec toolbox -- dig +short CNAME backend"),
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


def test_typed_namespace_points_at_another_namespace(graded: dict[str, Graded]) -> None:
    g = graded["typed-namespace"]
    assert g.scores == {"hello-world": 1, "type": 1, "external-name": 0, "cname": 0, "cname-answer": 1, "reachable": 0}
    assert (
        "Service backend points at 'hello-world.lab-externalname.svc.cluster.local'; the task asks for "
        "'hello-world.g-typed-namespace-externalname.svc.cluster.local'"
    ) in g.messages["external-name"]


def test_typo_in_the_target_name(graded: dict[str, Graded]) -> None:
    g = graded["target-typo"]
    assert g.scores == {"hello-world": 1, "type": 1, "external-name": 0, "cname": 0, "cname-answer": 1, "reachable": 0}
    assert (
        "Service backend points at 'hello-wrold.g-target-typo-externalname.svc.cluster.local'; the task asks for "
        "'hello-world.g-target-typo-externalname.svc.cluster.local'"
    ) in g.messages["external-name"]


def test_url_as_external_name_is_refused(graded: dict[str, Graded]) -> None:
    g = graded["url-as-name"]
    assert g.scores == {"hello-world": 1, "type": 0, "external-name": 0, "cname": 0, "cname-answer": 0, "reachable": 0}
    assert (
        "there is no service named 'backend' in namespace g-url-as-name-externalname; it has: hello-world – and "
        "kubectl refused `kubectl create service externalname backend --external-name=http://hello-world."
    ) in g.messages["type"]
    assert "error: invalid service external name http://hello-world." in g.messages["type"]


def test_cluster_ip_as_external_name_is_no_name(graded: dict[str, Graded]) -> None:
    g = graded["cluster-ip-as-name"]
    assert g.scores == {"hello-world": 1, "type": 1, "external-name": 0, "cname": 0, "cname-answer": 0, "reachable": 0}
    assert re.search(
        r"Service backend points at '10\.96\.\d+\.\d+'; the task asks for "
        r"'hello-world\.g-cluster-ip-as-name-externalname\.svc\.cluster\.local'",
        g.messages["external-name"],
    ), g.messages["external-name"]


def test_typed_cname_answer_names_another_namespace(graded: dict[str, Graded]) -> None:
    g = graded["cname-typed"]
    assert {k for k, v in g.scores.items() if v == 0} == {"cname-answer"}
    assert g.total == FULL - 1
    assert (
        "cname_target is 'hello-world.lab-externalname.svc.cluster.local.', which is not the CNAME that DNS "
        "gives for backend"
    ) in g.messages["cname-answer"]


def test_cluster_ip_is_not_the_cname(graded: dict[str, Graded]) -> None:
    g = graded["cname-cluster-ip"]
    assert {k for k, v in g.scores.items() if v == 0} == {"cname-answer"}
    assert g.total == FULL - 1
    assert re.search(
        r"cname_target is '10\.96\.\d+\.\d+', which is not the CNAME that DNS gives for backend",
        g.messages["cname-answer"],
    ), g.messages["cname-answer"]


def test_target_exposed_in_another_namespace_is_refused(graded: dict[str, Graded]) -> None:
    g = graded["expose-other-namespace"]
    assert g.scores == {"hello-world": 0, "type": 1, "external-name": 1, "cname": 0, "cname-answer": 1, "reachable": 0}
    assert (
        "there is no service named 'hello-world' in namespace g-expose-other-namespace-externalname; it has none "
        "– and kubectl refused `kubectl expose deployment hello-world --port=80 --target-port=8080 "
        "-n lab-externalname`"
    ) in g.messages["hello-world"]


def test_udp_target_does_not_carry_http(graded: dict[str, Graded]) -> None:
    g = graded["expose-udp"]
    assert {k for k, v in g.scores.items() if v == 0} == {"hello-world", "reachable"}
    assert g.total == FULL - 3
    assert (
        "port 80 of Service hello-world uses protocol UDP; the pods speak HTTP, over TCP" in g.messages["hello-world"]
    )


def test_target_under_another_name(graded: dict[str, Graded]) -> None:
    g = graded["target-named-hello"]
    assert g.scores == {"hello-world": 0, "type": 1, "external-name": 1, "cname": 0, "cname-answer": 1, "reachable": 0}
    assert (
        "there is no service named 'hello-world' in namespace g-target-named-hello-externalname; it has: hello"
    ) in g.messages["hello-world"]


def test_dig_without_short_is_named(graded: dict[str, Graded]) -> None:
    g = graded["cname-full-dig"]
    assert g.total == FULL - 1 and g.scores["cname-answer"] == 0, g.scores
    assert "cname_target holds dig's whole report, not a name" in g.messages["cname-answer"]


def test_a_short_name_for_dig_says_what_is_missing(graded: dict[str, Graded]) -> None:
    g = graded["cname-short-name"]
    assert g.total == FULL - 1 and g.scores["cname-answer"] == 0, g.scores
    said = g.messages["cname-answer"]
    assert "cname_target is empty: dig looked up backend, which has no" in said and "'svc'" in said, said
