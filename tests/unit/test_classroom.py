"""Classroom provisioning without a cluster: names, the namespaces a student gets, and the
identity a kernel reads from its kubeconfig."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from svclab import classroom
from svclab.classroom import LECTURES, check_name, student_namespaces
from svclab.errors import InvalidInput
from svclab.identity import namespace, student_of
from svclab.k8s.quota import static_band
from svclab.labs import LABS
from svclab.labs.session import lab_namespaces

COURSE = Path(__file__).resolve().parents[2] / "course"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Alice Smith", "is not a name Kubernetes accepts"),
        ("../x", "is not a name Kubernetes accepts"),
        ("a" * 70, "is longer than 40 characters"),
        ("-alice", "is not a name Kubernetes accepts"),
    ],
)
def test_student_names_are_checked_with_a_reason(name: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why) as caught:
        check_name(name)
    assert caught.value.hint and "e.g. alice" in caught.value.hint


def test_every_namespace_a_student_needs_is_a_valid_name() -> None:
    rooms = student_namespaces()
    names = [namespace("a" * 40, r.name) for r in rooms]
    assert all(len(n) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", n) for n in names)
    assert {r.name for r in rooms} >= set(LABS) | {"discovery-b"} | set(LECTURES)
    quotas = {r.name: r.allowance.quota()["spec"]["hard"] for r in rooms}
    assert quotas["nodeport"]["services.nodeports"] == "1" and quotas["clusterip"]["services.nodeports"] == "0"
    assert quotas["loadbalancer"]["services.loadbalancers"] == "1"
    assert next(r for r in rooms if r.name == "selectorless").rules  # admin may not write EndpointSlices
    assert [r.name for r in rooms if r.allowance.own_node_port] == ["nodeport"]


@pytest.mark.parametrize(
    ("ports", "band"),
    [
        (range(30000, 30050), range(30000, 30016)),  # this course's cluster: at least 16
        (range(30000, 32768), range(30000, 30086)),  # Kubernetes' default range: 2768 / 32
        (range(30000, 40000), range(30000, 30128)),  # never more than 128
    ],
)
def test_node_ports_are_set_aside_from_the_static_band_kubernetes_keeps(ports: range, band: range) -> None:
    assert static_band(ports) == band


def test_the_lecture_list_matches_the_notebooks() -> None:
    used = set()
    for path in COURSE.glob("*.ipynb"):
        source = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        for started in re.findall(r'course\.start\("([^"]+)"', source):
            used.add(started)
            used |= {f"{started}-{extra}" for extra in re.findall(r'add_namespace\("([^"]+)"', source)}
    assert used == set(LECTURES)


def test_a_kernel_knows_its_student_from_the_account_alone() -> None:
    assert student_of("system:serviceaccount:svclab-classroom:alice") == "alice"
    assert student_of("system:serviceaccount:default:alice") is None
    assert student_of("kubernetes-admin") is None
    spec = LABS["discovery"]
    assert lab_namespaces(spec, {}, lambda: "alice") == ("alice-discovery", "classroom")
    # grading always wins: a submission is never graded in the student's own namespace
    assert lab_namespaces(spec, {"SVCLAB_NAMESPACE": "g-alice-discovery"}, lambda: "alice")[1] == "grading"


def test_a_class_that_does_not_fit_the_node_ports_is_refused_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    held = {30000 + i: f"s{i}-nodeport" for i in range(10)}  # 10 students hold a port of the 16
    monkeypatch.setattr(classroom.quota, "held", lambda: held)
    monkeypatch.setattr(classroom.quota, "static_band", lambda: range(30000, 30016))
    monkeypatch.setattr(classroom.Classroom, "students", lambda self: [object()] * 10)
    with pytest.raises(InvalidInput) as caught:
        classroom.make_room(["s1", "new1", "new2", "new3"])  # s1 holds one already
    assert caught.value.message == (
        "3 new students do not fit: this cluster sets 16 node ports aside for labs (30000-30015), "
        "10 are held and 4 kept for grading, so 2 more students fit"
    )
    assert "svclab up --class-size 13 (this recreates the cluster)" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("block", "size", "grown"),
    [
        ("172.18.255.224-172.18.255.254", 31, None),
        ("172.18.255.224-172.18.255.254", 94, "172.18.255.161-172.18.255.254"),
        ("172.18.255.224-172.18.255.254", 300, "172.18.254.211-172.18.255.254"),
        ("10.0.0.0/24", 300, None),  # a CIDR is the instructor's own pool
    ],
)
def test_the_loadbalancer_pool_grows_downwards_from_the_top(block: str, size: int, grown: str | None) -> None:
    assert classroom.grown_block(block, size) == grown
