"""LoadBalancer lab: full marks, zero, and the partial credit of typical mistakes."""

from __future__ import annotations

import re

import pytest

from svclab.grading.course import Course
from svclab.labs import LABS

from .conftest import Graded, grade_lab, variant

pytestmark = pytest.mark.live
LAB = "loadbalancer"
FULL = LABS[LAB].max_points
#: The pool's last address: MetalLB hands out the lowest free one, so a grading namespace never gets it here.
TYPED_IP = "172.18.255.254"


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return grade_lab(
        course,
        LAB,
        {
            "node-port-type": variant(
                LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=8080 --type=NodePort"
            ),
            "typed-ip": variant(LAB, external_ip=f'external_ip = "{TYPED_IP}"'),
            "wrong-target-port": variant(
                LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=80 --type=LoadBalancer"
            ),
            # the cluster IP read where the external one was asked for
            "cluster-ip-read": variant(
                LAB,
                external_ip="external_ip = !kubectl get service hello-world -o jsonpath='{.spec.clusterIP}'\n"
                "external_ip = external_ip[0]",
            ),
            # the Service's port where its node port was asked for
            "port-for-node-port": variant(
                LAB,
                node_port="node_port = !kubectl get service hello-world -o jsonpath='{.spec.ports[0].port}'\n"
                "node_port = node_port[0]",
            ),
            "name-typo": variant(
                LAB,
                expose="!kubectl expose deployment hello-world --name=hello-wrld --port=80 --target-port=8080 "
                "--type=LoadBalancer",
            ),
            # the command that worked in the student's own namespace, with it
            "other-namespace": variant(
                LAB,
                expose="!kubectl expose deployment hello-world --port=80 --target-port=8080 --type=LoadBalancer "
                "-n lab-loadbalancer",
            ),
            # type names are case-sensitive: refused
            "type-lowercase": variant(
                LAB, expose="!kubectl expose deployment hello-world --port=80 --target-port=8080 --type=loadbalancer"
            ),
            # MetalLB sets an IP, never a hostname: the path reads nothing
            "hostname-path": variant(
                LAB,
                external_ip="external_ip = !kubectl get service hello-world "
                "-o jsonpath='{.status.loadBalancer.ingress[0].hostname}'\nexternal_ip = external_ip[0]",
            ),
            # a node port seen elsewhere, typed in
            "typed-node-port": variant(LAB, node_port='node_port = "31234"'),
            "no-node-ports": variant(
                LAB,
                expose="!kubectl expose deployment hello-world --port=80 --target-port=8080 --type=LoadBalancer "
                '--overrides=\'{"spec":{"allocateLoadBalancerNodePorts":false}}\'',
            ),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero(graded: dict[str, Graded]) -> None:
    g = graded["blank"]
    assert g.total == 0
    assert "there is no service named 'hello-world'" in g.messages["external-ip"]


def test_node_port_type_gets_no_external_ip(graded: dict[str, Graded]) -> None:
    g = graded["node-port-type"]
    assert g.scores == {
        "exists": 1,
        "type": 0,
        "ports": 1,
        "external-ip": 0,
        "node-port": 1,
        "reachable": 0,
        "in-cluster": 1,
    }
    assert "Service hello-world has type NodePort; the task asks for LoadBalancer" in g.messages["type"]
    assert (
        "Service hello-world has type NodePort, which gets no external IP, so there is none to find"
        in g.messages["external-ip"]
    )
    assert "hint: make it type LoadBalancer, wait for its EXTERNAL-IP, then read it" in g.messages["external-ip"]
    assert "Service hello-world has type NodePort, so it has no external IP to reach" in g.messages["reachable"]


def test_typed_external_ip_does_not_replay(graded: dict[str, Graded]) -> None:
    g = graded["typed-ip"]
    assert g.total == FULL - 1 and g.scores["external-ip"] == 0
    assert (
        f"external_ip is '{TYPED_IP}', which is not the external IP of Service hello-world" in g.messages["external-ip"]
    )
    assert "instead of typing it" in g.messages["external-ip"]


def test_wrong_target_port_answers_nowhere(graded: dict[str, Graded]) -> None:
    g = graded["wrong-target-port"]
    assert g.scores == {
        "exists": 1,
        "type": 1,
        "ports": 0,
        "external-ip": 1,
        "node-port": 1,
        "reachable": 0,
        "in-cluster": 0,
    }
    assert "forwards port 80 to targetPort 80; the pods listen on 8080" in g.messages["ports"]
    assert "did not answer from this machine" in g.messages["reachable"], g.messages["reachable"]


def test_the_cluster_ip_is_not_the_external_ip(graded: dict[str, Graded]) -> None:
    g = graded["cluster-ip-read"]
    assert g.total == FULL - 1 and g.scores["external-ip"] == 0, g.scores
    assert re.search(r"external_ip is '10\.96\.\d+\.\d+', which is not the external IP", g.messages["external-ip"])


def test_the_service_port_is_not_the_node_port(graded: dict[str, Graded]) -> None:
    g = graded["port-for-node-port"]
    assert g.total == FULL - 1 and g.scores["node-port"] == 0, g.scores
    assert "node_port is '80', which is not the node port of Service hello-world" in g.messages["node-port"]


def test_a_typo_in_the_name_loses_everything_and_names_what_is_there(graded: dict[str, Graded]) -> None:
    g = graded["name-typo"]
    assert g.total == 0
    assert (
        "there is no service named 'hello-world' in namespace g-name-typo-loadbalancer; it has: hello-wrld"
        in (g.messages["exists"])
    )


def test_service_made_in_another_namespace_is_refused(graded: dict[str, Graded]) -> None:
    g = graded["other-namespace"]
    assert g.total == 0
    assert (
        "there is no service named 'hello-world' in namespace g-other-namespace-loadbalancer; it has none – and "
        "kubectl refused `kubectl expose deployment hello-world --port=80 --target-port=8080 --type=LoadBalancer "
        "-n lab-loadbalancer`"
    ) in g.messages["exists"]


def test_lowercase_type_is_refused(graded: dict[str, Graded]) -> None:
    g = graded["type-lowercase"]
    assert g.total == 0
    assert (
        "kubectl refused `kubectl expose deployment hello-world --port=80 --target-port=8080 --type=loadbalancer`: "
        'The Service "hello-world" is invalid: spec.type: Unsupported value: "loadbalancer"'
    ) in g.messages["exists"]


def test_the_hostname_path_reads_no_external_ip(graded: dict[str, Graded]) -> None:
    g = graded["hostname-path"]
    assert {k for k, v in g.scores.items() if v == 0} == {"external-ip"}
    assert g.total == FULL - 1
    assert "external_ip is empty: the command that set it printed nothing" in g.messages["external-ip"]
    assert "-o jsonpath='{.status.loadBalancer.ingress[0].ip}'" in g.messages["external-ip"]


def test_typed_node_port_does_not_replay(graded: dict[str, Graded]) -> None:
    g = graded["typed-node-port"]
    assert {k for k, v in g.scores.items() if v == 0} == {"node-port"}
    assert g.total == FULL - 1
    assert "node_port is '31234', which is not the node port of Service hello-world" in g.messages["node-port"]
    assert "Kubernetes picks it when the Service is created" in g.messages["node-port"]


def test_a_load_balancer_without_node_ports_is_named(graded: dict[str, Graded]) -> None:
    g = graded["no-node-ports"]
    assert g.scores["node-port"] == 0 and g.scores["external-ip"] == 1, g.scores
    assert "allocateLoadBalancerNodePorts: false" in g.messages["node-port"]
    assert "set type" not in g.messages["node-port"]
