"""Debugging lab: full marks, zero, the partial credit of half-done repairs, and a
set-up that never undoes a repair when it runs again."""

from __future__ import annotations

import json

import pytest

from svclab.grading.course import Course
from svclab.k8s.kubectl import Kubectl
from svclab.labs import LABS
from svclab.labs.session import Lab

from .conftest import Graded, grade_lab, variant

pytestmark = pytest.mark.live
LAB = "debugging"
FULL = LABS[LAB].max_points


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_lab(
        course,
        LAB,
        {
            "selector-only": variant(LAB, fix_port=""),
            "port-only": variant(LAB, fix_selector=""),
            "recreated-wrong-name": variant(
                LAB,
                fix_selector="!kubectl delete service web\n"
                "!kubectl expose deployment hello-world --port=80 --target-port=8080",
                fix_port="",
            ),
            # the typo fixed with another typo
            "selector-still-wrong": variant(
                LAB, fix_selector="""!kubectl patch service web -p '{"spec":{"selector":{"run":"hello-wrld"}}}'"""
            ),
            # the right patch, sent to a Service that does not exist
            "patched-the-wrong-service": variant(
                LAB,
                fix_selector="""!kubectl patch service hello-world -p '{"spec":{"selector":{"run":"hello-world"}}}'""",
            ),
            # the port patched to the Service's own port, not the pods'
            "port-patched-to-80": variant(
                LAB, fix_port="""!kubectl patch service web -p '{"spec":{"ports":[{"port":80,"targetPort":80}]}}'"""
            ),
            # a second label added beside the typo: a merge patch keeps run: hello-wrold
            "added-second-label": variant(
                LAB, fix_selector="""!kubectl patch service web -p '{"spec":{"selector":{"app":"hello-world"}}}'"""
            ),
            # the wrong selector removed instead of corrected
            "selector-removed": variant(
                LAB, fix_selector="""!kubectl patch service web -p '{"spec":{"selector":null}}'"""
            ),
            # a merge patch replaces the whole list: the Service's port moves to 8080 as well
            "port-changed-too": variant(
                LAB,
                fix_port="!kubectl patch service web --type=merge "
                """-p '{"spec":{"ports":[{"port":8080,"targetPort":8080}]}}'""",
            ),
            "patch-udp": variant(
                LAB,
                fix_port="""!kubectl patch service web -p '{"spec":{"ports":[{"port":80,"targetPort":8080,"""
                """"protocol":"UDP"}]}}'""",
            ),
            # a corrected manifest for the selector that leaves out targetPort (it defaults to port, 80)
            "applied-without-target-port": variant(
                LAB,
                fix_selector='lab.apply("""\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n'
                '  selector:\n    run: hello-world\n  ports:\n    - port: 80\n""")',
                fix_port="",
            ),
            # the pods relabelled to fit the typo: the Deployment starts new ones, the typo stays
            "relabelled-pods": variant(
                LAB, fix_selector="!kubectl label pods -l run=hello-world run=hello-wrold --overwrite"
            ),
            # a string where the API wants a number: the patch is refused
            "target-port-string": variant(
                LAB, fix_port="""!kubectl patch service web -p '{"spec":{"ports":[{"port":80,"targetPort":"8080"}]}}'"""
            ),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero_and_names_both_faults(graded: dict[str, Graded]) -> None:
    g = graded["blank"]
    assert g.total == 0
    assert "the selector of Service web (run: hello-wrold) matches no pod" in g.messages["selector"]
    assert "Service web forwards port 80 to targetPort 80; the pods listen on 8080" in g.messages["target-port"]


def test_fixing_only_the_selector(graded: dict[str, Graded]) -> None:
    g = graded["selector-only"]
    assert g.scores == {"selector": 2, "target-port": 0, "reachable": 0}
    assert "forwards port 80 to targetPort 80; the pods listen on 8080" in g.messages["target-port"]
    assert "hint: change the Service in place: kubectl patch service web" in g.messages["target-port"]
    assert "got no 'Hello, world!' from http://web" in g.messages["reachable"]


def test_fixing_only_the_port(graded: dict[str, Graded]) -> None:
    g = graded["port-only"]
    assert g.scores == {"selector": 0, "target-port": 1, "reachable": 0}
    assert "the selector of Service web (run: hello-wrold) matches no pod" in g.messages["selector"]
    assert "kubectl get pods --show-labels" in g.messages["selector"]


def test_recreating_under_another_name_repairs_nothing(graded: dict[str, Graded]) -> None:
    g = graded["recreated-wrong-name"]
    assert g.total == 0
    for check in ("selector", "target-port", "reachable"):
        assert "there is no Service named 'web'" in g.messages[check]
        assert "it has: hello-world. The task is to repair web in place" in g.messages[check]


def test_a_second_typo_in_the_selector_is_shown(graded: dict[str, Graded]) -> None:
    g = graded["selector-still-wrong"]
    assert g.scores == {"selector": 0, "target-port": 1, "reachable": 0}, g.scores
    assert "the selector of Service web (run: hello-wrld) matches no pod" in g.messages["selector"]


def test_patching_a_service_that_does_not_exist_changes_nothing(graded: dict[str, Graded]) -> None:
    g = graded["patched-the-wrong-service"]
    assert g.scores == {"selector": 0, "target-port": 1, "reachable": 0}, g.scores
    assert "the selector of Service web (run: hello-wrold) matches no pod" in g.messages["selector"]


def test_the_services_own_port_as_target_is_still_wrong(graded: dict[str, Graded]) -> None:
    g = graded["port-patched-to-80"]
    assert g.scores == {"selector": 2, "target-port": 0, "reachable": 0}, g.scores
    assert "forwards port 80 to targetPort 80; the pods listen on 8080" in g.messages["target-port"]


def test_a_second_label_beside_the_typo_matches_nothing(graded: dict[str, Graded]) -> None:
    g = graded["added-second-label"]
    assert g.scores == {"selector": 0, "target-port": 1, "reachable": 0}, g.scores
    assert "the selector of Service web (app: hello-world, run: hello-wrold) matches no pod" in g.messages["selector"]


def test_a_removed_selector_gives_no_endpoints(graded: dict[str, Graded]) -> None:
    g = graded["selector-removed"]
    assert g.scores == {"selector": 0, "target-port": 1, "reachable": 0}, g.scores
    assert "Service web has no selector, so Kubernetes adds no endpoints" in g.messages["selector"]


def test_a_merge_patch_that_moves_the_port(graded: dict[str, Graded]) -> None:
    g = graded["port-changed-too"]
    assert g.scores == {"selector": 2, "target-port": 0, "reachable": 0}, g.scores
    assert "Service web has no port 80 (its ports: 8080)" in g.messages["target-port"]


def test_a_udp_port_does_not_carry_http(graded: dict[str, Graded]) -> None:
    g = graded["patch-udp"]
    assert g.scores == {"selector": 2, "target-port": 0, "reachable": 0}, g.scores
    assert "port 80 of Service web uses protocol UDP; the pods speak HTTP, over TCP" in g.messages["target-port"]


def test_a_manifest_without_target_port_forwards_to_80(graded: dict[str, Graded]) -> None:
    g = graded["applied-without-target-port"]
    assert g.scores == {"selector": 2, "target-port": 0, "reachable": 0}, g.scores
    assert "Service web forwards port 80 to targetPort 80; the pods listen on 8080" in g.messages["target-port"]


def test_running_the_setup_again_keeps_the_repair(cluster: Kubectl, namespace: str) -> None:
    lab = Lab(LABS[LAB], namespace, "grading")  # grading mode: the namespace exists, no kubeconfig switch
    lab.prepare()
    cluster("patch", "service", "web", "-n", namespace, "-p", '{"spec":{"selector":{"run":"hello-world"}}}')
    lab.prepare()
    svc = json.loads(cluster("get", "service", "web", "-n", namespace, "-o", "json"))
    assert svc["spec"]["selector"] == {"run": "hello-world"}
    cluster("delete", "service", "web", "-n", namespace)
    lab.prepare()  # a deleted web comes back, broken as at the start
    svc = json.loads(cluster("get", "service", "web", "-n", namespace, "-o", "json"))
    assert svc["spec"]["selector"] == {"run": "hello-wrold"}


def test_relabelling_the_pods_instead_of_the_selector_is_not_a_repair(graded: dict[str, Graded]) -> None:
    g = graded["relabelled-pods"]
    assert g.scores["selector"] == 0 and g.scores["target-port"] == 1, g.scores
    assert "that no Deployment keeps" in g.messages["selector"]
    assert "fix the Service's selector, not the pods' labels" in g.messages["selector"]


def test_a_refused_patch_is_named(graded: dict[str, Graded]) -> None:
    g = graded["target-port-string"]
    assert g.scores == {"selector": 2, "target-port": 0, "reachable": 0}, g.scores
    said = g.messages["target-port"]
    assert "forwards port 80 to targetPort 80" in said and "kubectl refused `kubectl patch service web" in said
