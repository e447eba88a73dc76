"""NodePort lab: full marks, zero, and the partial credit of typical mistakes. Each
grading namespace holds a node port of its own, so the submissions grade side by side."""

from __future__ import annotations

import re

import nbformat
import pytest

from svclab.grading.course import Course
from svclab.k8s import nodehost, quota, reads
from svclab.labs import LABS

from .conftest import Graded, grade_lab, variant

pytestmark = pytest.mark.live
LAB = "nodeport"
FULL = LABS[LAB].max_points


def _yaml(
    port: str = "      nodePort: {lab.node_port}\n", selector: str = "    app: hello-world\n", extra: str = ""
) -> str:
    """The Service as YAML, applied with lab.apply, with one field changed."""
    return (
        'lab.apply(f"""\napiVersion: v1\nkind: Service\nmetadata:\n  name: hello-world\nspec:\n  type: NodePort\n'
        f"  selector:\n{selector}  ports:\n    - port: 80\n      targetPort: 8080\n{port}{extra}" + '""")'
    )


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
                LAB, expose="!kubectl create service nodeport hello-world --tcp=80:80 --node-port={lab.node_port}"
            ),
            # the number the student saw in their own namespace, typed in: another namespace's port
            "typed-in-port": variant(
                LAB,
                expose="port = lab.node_port + (1 if lab.node_port % 2 == 0 else -1)\n"
                "!kubectl create service nodeport hello-world --tcp=80:8080 --node-port={port}",
            ),
            "name-typo": variant(
                LAB, expose="!kubectl create service nodeport hello-wrold --tcp=80:8080 --node-port={lab.node_port}"
            ),
            # the command that worked in the student's own namespace, with it
            "other-namespace": variant(
                LAB,
                expose="!kubectl create service nodeport hello-world --tcp=80:8080 --node-port={lab.node_port} "
                "-n lab-nodeport",
            ),
            # the port clients use inside the cluster, as the node port: out of the node-port range
            "node-port-80": variant(LAB, expose=_yaml(port="      nodePort: 80\n")),
            # a nodePort on a ClusterIP Service: refused
            "no-type": variant(LAB, expose=_yaml().replace("  type: NodePort\n", "")),
            "selector-typo": variant(LAB, expose=_yaml(selector="    app: hello-wrold\n")),
            "udp": variant(LAB, expose=_yaml(extra="      protocol: UDP\n")),
            # the braces forgotten: kubectl refuses the flag's value
            "no-braces": variant(
                LAB, expose="!kubectl create service nodeport hello-world --tcp=80:8080 --node-port=lab.node_port"
            ),
            "swapped-ports": variant(
                LAB, expose="!kubectl create service nodeport hello-world --tcp=8080:80 --node-port={lab.node_port}"
            ),
            # only nodes with a pod answer: 127.0.0.1 reaches the control-plane node, which has none
            "local-traffic": variant(
                LAB,
                expose="""lab.apply(f\"\"\"
apiVersion: v1
kind: Service
metadata:
  name: hello-world
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector:
    run: hello-world
  ports:
    - port: 80
      targetPort: 8080
      nodePort: {lab.node_port}
\"\"\")""",
            ),
        },
        tmp_path_factory.mktemp("submissions"),
    )


def _node_host() -> str:
    """Where a grading pod reaches a node port: the control-plane node's address."""
    return nodehost.control_plane_ip(reads.nodes())


def test_every_submission_is_graded_on_a_port_of_the_band(course: Course, graded: dict[str, Graded]) -> None:
    said = [_output(course, "reference", "reachable"), graded["wrong-target-port"].messages["reachable"]]
    ports = [re.search(rf"{re.escape(_node_host())}:(\d+)", text) for text in said]
    assert all(ports), said
    assert all(int(p[1]) in quota.static_band() for p in ports if p), said  # (a port is free again once graded)


def test_reference_solution_gets_full_marks(graded: dict[str, Graded]) -> None:
    assert graded["reference"].total == FULL, graded["reference"].messages


def test_blank_notebook_gets_zero(graded: dict[str, Graded]) -> None:
    g = graded["blank"]
    assert g.total == 0
    assert "there is no service named 'hello-world'" in g.messages["exists"]


def test_random_node_port_loses_only_the_ports(graded: dict[str, Graded]) -> None:
    g = graded["random-node-port"]
    assert g.scores == {"exists": 1, "type": 1, "ports": 0, "endpoints": 1, "reachable": 2, "every-node": 1}
    assert re.search(
        r"port 80 of Service hello-world has nodePort 300\d\d; your node port is 300\d\d", g.messages["ports"]
    ), g.messages["ports"]
    assert re.search(r"hint: set ports\[\]\.nodePort: 300\d\d – write \{lab\.node_port\}", g.messages["ports"])


def test_cluster_ip_type_opens_no_node_port(graded: dict[str, Graded]) -> None:
    g = graded["cluster-ip-type"]
    assert g.scores == {"exists": 1, "type": 0, "ports": 0, "endpoints": 1, "reachable": 0, "every-node": 0}
    assert "Service hello-world has type ClusterIP; the task asks for NodePort" in g.messages["type"]
    assert re.search(
        r"port 80 of Service hello-world has no nodePort \(a ClusterIP Service opens none\); your node port is 300\d\d",
        g.messages["ports"],
    )
    assert (
        f"Service hello-world has type ClusterIP, so no node opens a port for it and nothing answers on {_node_host()}"
    ) in g.messages["reachable"]


def test_wrong_target_port_is_refused_on_every_node(graded: dict[str, Graded]) -> None:
    g = graded["wrong-target-port"]
    assert g.scores == {"exists": 1, "type": 1, "ports": 0, "endpoints": 1, "reachable": 0, "every-node": 0}
    assert "forwards port 80 to targetPort 80; the pods listen on 8080" in g.messages["ports"]
    assert re.search(rf"http://{re.escape(_node_host())}:300\d\d/ did not answer", g.messages["reachable"])
    assert re.search(
        r"node port 300\d\d of Service hello-world gave no 'Hello, world!' on svclab-worker", g.messages["every-node"]
    )


def test_a_node_port_typed_in_by_hand_is_refused(course: Course, graded: dict[str, Graded]) -> None:
    g = graded["typed-in-port"]
    assert g.total == 0
    assert "there is no service named 'hello-world'" in g.messages["exists"]
    # another namespace's port: set aside for it (the policy), or already in use by it (the API server)
    refused = (
        r"node port 300\d\d is reserved: 30000-300\d\d are set aside, one per lab namespace"
        r"|provided port is already allocated"
    )
    assert re.search(rf"kubectl refused .*({refused})", g.messages["exists"]), g.messages["exists"]
    said = _output(course, "typed-in-port", "expose")
    assert re.search(refused, said), said


def test_typo_in_the_service_name(graded: dict[str, Graded]) -> None:
    g = graded["name-typo"]
    assert g.total == 0
    assert (
        "there is no service named 'hello-world' in namespace g-name-typo-nodeport; it has: hello-wrold"
        in g.messages["exists"]
    )


def test_service_made_in_another_namespace_is_refused(graded: dict[str, Graded]) -> None:
    g = graded["other-namespace"]
    assert g.total == 0
    assert re.search(
        r"there is no service named 'hello-world' in namespace g-other-namespace-nodeport; it has none – and "
        r"kubectl refused `kubectl create service nodeport hello-world --tcp=80:8080 --node-port=300\d\d "
        r"-n lab-nodeport`",
        g.messages["exists"],
    ), g.messages["exists"]


def test_node_port_80_is_out_of_range(graded: dict[str, Graded]) -> None:
    g = graded["node-port-80"]
    assert g.total == 0
    assert (
        'kubectl refused `kubectl apply (the manifest of this cell)`: The Service "hello-world" is invalid: '
        "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range"
    ) in g.messages["exists"]


def test_node_port_without_type_is_refused(graded: dict[str, Graded]) -> None:
    g = graded["no-type"]
    assert g.total == 0
    assert (
        'kubectl refused `kubectl apply (the manifest of this cell)`: The Service "hello-world" is invalid: '
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ) in g.messages["exists"]


def test_selector_typo_matches_no_pod(graded: dict[str, Graded]) -> None:
    g = graded["selector-typo"]
    assert g.scores == {"exists": 1, "type": 1, "ports": 1, "endpoints": 0, "reachable": 0, "every-node": 0}
    assert "the selector of Service hello-world (app: hello-wrold) matches no pod" in g.messages["endpoints"]
    assert "kubectl get pods --show-labels" in g.messages["endpoints"]


def test_udp_port_does_not_carry_http(graded: dict[str, Graded]) -> None:
    g = graded["udp"]
    assert g.scores == {"exists": 1, "type": 1, "ports": 0, "endpoints": 1, "reachable": 0, "every-node": 0}
    assert "port 80 of Service hello-world uses protocol UDP; the pods speak HTTP, over TCP" in g.messages["ports"]


def _output(course: Course, student: str, cell_id: str) -> str:
    """What a cell of a graded submission printed (a passed check prints its message)."""
    nb = nbformat.read(course.root / "autograded" / student / LAB / f"{LAB}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.get("id") in (cell_id, f"check-{cell_id}", f"task-{cell_id}"))
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_a_refused_flag_names_kubectls_own_reason(graded: dict[str, Graded]) -> None:
    g = graded["no-braces"]
    assert g.total == 0
    assert 'invalid argument "lab.node_port" for "--node-port" flag' in g.messages["exists"], g.messages["exists"]


def test_swapped_ports_say_which_port_has_the_node_port(graded: dict[str, Graded]) -> None:
    g = graded["swapped-ports"]
    assert g.scores["reachable"] == 0 and g.scores["type"] == 1, g.scores
    said = g.messages["reachable"]
    assert "Service hello-world has no port 80 (its ports: 8080 (node port 300" in said, said
    assert "so no node port leads to it" in said and "set type" not in said


def test_local_traffic_policy_is_named_where_this_machine_gets_no_answer(graded: dict[str, Graded]) -> None:
    g = graded["local-traffic"]
    assert g.scores["reachable"] == 0 and g.scores["exists"] == 1 and g.scores["type"] == 1, g.scores
    assert "has externalTrafficPolicy: Local, so only nodes that run one of its pods answer" in g.messages["reachable"]
