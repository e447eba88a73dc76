"""A class on the live cluster: the instructor provisions two students; each works with
only their own kubeconfig. What a student may do works; what they may not is denied with
a sentence, never a traceback – and `remove` takes away exactly what `add` made."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import svclab.labs
from svclab import course, identity, kubeproxy
from svclab.classroom import Classroom, student_namespaces
from svclab.errors import ClusterError, CommandFailed, Forbidden, SvclabError
from svclab.k8s import quota, reads, tenancy
from svclab.k8s.api import kube
from svclab.k8s.kubectl import Kubectl
from svclab.poll import poll

pytestmark = pytest.mark.live


@dataclass
class Student:
    name: str
    kubeconfig: Path


@pytest.fixture(scope="module")
def students(cluster: Kubectl, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Student, Student]]:
    room = Classroom()
    names = [f"t{x}{uuid.uuid4().hex[:5]}" for x in "ab"]
    folder = tmp_path_factory.mktemp("classroom")
    try:
        made = [Student(n, room.kubeconfig(n, folder / f"{n}.kubeconfig")) for n in names if room.add(n)]
        yield made[0], made[1]
    finally:
        for n in names:
            room.remove(n)


@pytest.fixture
def as_student(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Switch this process to a student's kubeconfig; labs change os.environ, so restore it whole."""
    saved = dict(os.environ)

    def use(student: Student) -> None:
        monkeypatch.setenv("SVCLAB_KUBECONFIG", str(student.kubeconfig))

    yield use
    os.environ.clear()
    os.environ.update(saved)


def test_add_provisions_every_namespace_and_a_private_kubeconfig(students: tuple[Student, Student]) -> None:
    a, _ = students
    mine = tenancy.labelled_namespaces(f"svclab.dev/student={a.name}")
    assert mine == sorted(f"{a.name}-{r.name}" for r in student_namespaces())
    assert oct(a.kubeconfig.stat().st_mode & 0o777) == "0o600"
    assert any(s.name == a.name and s.has_account and len(s.namespaces) == len(mine) for s in Classroom().students())
    Classroom().add(a.name)  # idempotent
    assert tenancy.labelled_namespaces(f"svclab.dev/student={a.name}") == mine


def test_a_student_runs_a_lab_to_full_marks_with_only_their_kubeconfig(
    students: tuple[Student, Student], as_student: object
) -> None:
    a, _ = students
    as_student(a)  # type: ignore[operator]
    assert identity.student() == a.name
    lab = svclab.labs.start("clusterip", fresh=True)
    assert lab.namespace == f"{a.name}-clusterip" and lab.mode == "classroom"
    Kubectl()("expose", "deployment", "hello-world", "--port=80", "--target-port=8080")
    cluster_ip = reads.service("hello-world", lab.namespace).cluster_ip  # type: ignore[union-attr]
    results = [lab.run_check(c.name, cluster_ip=cluster_ip) for c in lab.spec.checks]
    assert all(r.passed for r in results), [str(r) for r in results]


def test_a_student_is_denied_everything_outside_their_namespaces(
    students: tuple[Student, Student], as_student: object
) -> None:
    a, b = students
    proxy = next(iter(reads.kube_proxy_pods().values()))  # found with the instructor's rights
    viewer = reads.pods("svclab-system")[0].name
    as_student(a)  # type: ignore[operator]
    k = kube()
    denials = {
        "read B's Service": lambda: reads.service("hello-world", f"{b.name}-clusterip"),
        "list B's pods": lambda: reads.pods(f"{b.name}-clusterip"),
        "create a namespace": lambda: k.call(
            "create Namespace x", k.core.create_namespace, {"metadata": {"name": f"{a.name}-mine"}}
        ),
        "read Secrets in kube-system": lambda: k.call(
            "list Secrets in kube-system", k.core.list_namespaced_secret, "kube-system"
        ),
        "read the class's tokens": lambda: k.call(
            "read a token", k.core.read_namespaced_secret, f"{b.name}-token", "svclab-classroom"
        ),
        "write through svclab-nodeview": lambda: k.call(
            "POST to svclab-nodeview",
            k.core.connect_post_namespaced_pod_proxy_with_path,
            f"{viewer}:10290",
            "svclab-system",
            "iptables-nat",
        ),
        "exec in kube-system": lambda: k.exec(proxy, "kube-system", ["true"]),
    }
    for what, attempt in denials.items():
        with pytest.raises(Forbidden) as caught:
            attempt()
        assert "not allowed" in caught.value.message and caught.value.hint, what
        assert caught.value.status == 403, what
    with pytest.raises(SvclabError, match="forbidden"):
        Kubectl()("get", "pods", "-n", f"{b.name}-clusterip")


def test_quota_caps_node_ports_and_load_balancers(students: tuple[Student, Student], as_student: object) -> None:
    a, _ = students
    as_student(a)  # type: ignore[operator]
    k = kube()
    service = {
        "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}], "selector": {"run": "hello-world"}},
    }
    with pytest.raises(Forbidden, match="exceeded quota"):
        k.call("create Service lb", k.core.create_namespaced_service, f"{a.name}-clusterip", service)


def test_a_student_may_run_plain_pods_but_no_pod_that_would_be_root_on_a_node(
    students: tuple[Student, Student], as_student: object
) -> None:
    a, _ = students
    ns = f"{a.name}-clusterip"
    as_student(a)  # type: ignore[operator]
    k = kube()

    def pod(name: str, **spec: object) -> dict[str, object]:
        container = {"name": "c", "image": "docker.io/svclab/toolbox:v1", "command": ["sleep", "600"]}
        return {"metadata": {"name": name}, "spec": {"containers": [container], **spec}}

    plain = pod("plain")
    k.call("create Pod plain", k.core.create_namespaced_pod, ns, plain)  # what the labs do works
    privileged = pod("privileged")
    privileged["spec"]["containers"][0]["securityContext"] = {"privileged": True}  # type: ignore[index]
    refused = {
        "a privileged container": privileged,
        "the node's root folder": pod("host-path", volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
        "the node's network": pod("host-network", hostNetwork=True),
    }
    for what, manifest in refused.items():
        with pytest.raises(Forbidden) as caught:
            k.call("create Pod", k.core.create_namespaced_pod, ns, manifest)
        assert "Pod Security level refuses it" in caught.value.message, what
        assert caught.value.hint and "without privileges, host paths" in caught.value.hint, what
    k.call("delete Pod plain", k.core.delete_namespaced_pod, "plain", ns, grace_period_seconds=0)


def test_a_student_lab_without_provisioning_says_what_to_ask_for(
    students: tuple[Student, Student], as_student: object
) -> None:
    a, _ = students
    tenancy.delete_namespaces([f"{a.name}-headless"], wait=True)
    try:
        as_student(a)  # type: ignore[operator]
        with pytest.raises(ClusterError, match=f"your lab namespace {a.name}-headless does not exist") as caught:
            svclab.labs.start("headless")
        assert f"svclab classroom add {a.name}" in (caught.value.hint or "")
    finally:
        os.environ.pop("SVCLAB_KUBECONFIG", None)
        Classroom().add(a.name)


def test_remove_takes_away_exactly_what_add_made(cluster: Kubectl) -> None:
    name = f"tc{uuid.uuid4().hex[:5]}"
    room = Classroom()
    room.add(name)
    assert len(room.remove(name)) == len(student_namespaces())
    poll(
        lambda: not tenancy.labelled_namespaces(f"svclab.dev/student={name}"),
        timeout=180,
        what=f"{name}'s namespaces to go",
    )
    assert all(s.name != name for s in room.students())


def test_a_student_sees_the_clusters_internals_read_only(students: tuple[Student, Student], as_student: object) -> None:
    a, _ = students
    as_student(a)  # type: ignore[operator]
    nodes = kubeproxy.nodes()
    assert len(nodes) == 3
    assert "-A KUBE-SERVICES" in kubeproxy.iptables_nat(nodes[0])  # through svclab-nodeview, not exec
    assert any(line.startswith("eth0") for line in course.node_addresses(nodes[-1]).splitlines())
    assert course.kube_proxy_settings("mode") == "mode: iptables"
    assert reads.load_balancer_pools()


def test_no_student_takes_anothers_node_port_and_bs_grade_holds_whatever_a_does(
    students: tuple[Student, Student], as_student: object
) -> None:
    a, b = students
    ports = {s.name: quota.own_node_port(f"{s.name}-nodeport") for s in (a, b)}
    assert ports[a.name] and ports[b.name] and ports[a.name] != ports[b.name], ports
    theirs = f"--node-port={ports[b.name]}"
    mine = ["-n", f"{a.name}-nodeport"]

    as_student(a)  # type: ignore[operator]
    with pytest.raises(CommandFailed, match=rf"node port {ports[b.name]} is reserved: .* set aside, one per lab"):
        Kubectl()("create", "service", "nodeport", "taken", "--tcp=80:8080", theirs, *mine)  # before B uses it
    Kubectl()("create", "service", "nodeport", "own", "--tcp=80:8080", f"--node-port={ports[a.name]}", *mine)
    patch = f'{{"spec":{{"ports":[{{"port":80,"targetPort":8080,"nodePort":{ports[b.name]}}}]}}}}'
    with pytest.raises(CommandFailed, match="is reserved"):  # nor by changing a Service it holds
        Kubectl()("patch", "service", "own", "-p", patch, *mine)
    k = kube()
    with pytest.raises(Forbidden):  # nor by rewriting the record of its own port
        k.call(
            "annotate the quota",
            k.core.patch_namespaced_resource_quota,
            "svclab-student",
            f"{a.name}-nodeport",
            {"metadata": {"annotations": {"svclab.dev/node-port": str(ports[b.name])}}},
        )

    as_student(b)  # type: ignore[operator]
    lab_b = svclab.labs.start("nodeport", fresh=True)
    assert lab_b.node_port == ports[b.name]
    Kubectl()("create", "service", "nodeport", "hello-world", "--tcp=80:8080", f"--node-port={lab_b.node_port}")
    b_config = os.environ["SVCLAB_KUBECONFIG"]
    before = [str(lab_b.run_check(c.name)) for c in lab_b.spec.checks]
    assert all(line.startswith("✓") for line in before), before

    as_student(a)  # type: ignore[operator]
    with pytest.raises(CommandFailed, match="provided port is already allocated"):  # once B holds it
        Kubectl()("create", "service", "nodeport", "taken", "--tcp=80:8080", theirs, *mine)
    with pytest.raises(Forbidden):
        kube().call("delete B's Service", kube().core.delete_namespaced_service, "hello-world", f"{b.name}-nodeport")

    os.environ["SVCLAB_KUBECONFIG"] = os.environ["KUBECONFIG"] = b_config
    assert [str(lab_b.run_check(c.name)) for c in lab_b.spec.checks] == before


def test_a_lab_namespace_deleted_mid_lab_is_its_own_message(
    students: tuple[Student, Student], as_student: object, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = students
    os.environ.pop("SVCLAB_KUBECONFIG", None)  # the instructor's own lab first
    own = svclab.labs.start("externalname", fresh=True)
    tenancy.delete_namespaces([own.namespace])
    result = own.run_check("hello-world")
    assert result.message == f"your lab namespace {own.namespace} is gone (it was deleted)"
    assert "run the set-up cell again" in result.hint

    as_student(a)  # type: ignore[operator]
    lab = svclab.labs.start("externalname", fresh=True)
    tenancy_admin = Classroom()
    try:
        os.environ.pop("SVCLAB_KUBECONFIG")
        tenancy.delete_namespaces([lab.namespace])  # as the instructor
        os.environ["SVCLAB_KUBECONFIG"] = os.environ["KUBECONFIG"]
        capsys.readouterr()
        lab.check_all()
        said = capsys.readouterr().out
        assert said.count("✗") == 1, said
        assert f"your lab namespace {lab.namespace} is gone, or no longer yours" in said
        assert f"svclab classroom add {a.name}" in said
    finally:
        os.environ.pop("SVCLAB_KUBECONFIG", None)
        tenancy_admin.add(a.name)
