"""A broken cluster is never a student's zero. Faults are made on the live cluster before and
during grading; each submission ends with either its right score or an environment error on
the regrade list – and a regrade once the cluster is repaired gives the right score."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

from svclab import health, runner
from svclab.cluster.kind import Cluster
from svclab.grading.course import Course
from svclab.grading.environment import grading_namespace
from svclab.k8s import reads
from svclab.labs import LABS
from svclab.poll import poll
from svclab.services import kill_pod, scale

from .conftest import reference

pytestmark = pytest.mark.live


@pytest.fixture
def coredns_restored() -> Iterator[None]:
    yield
    scale("coredns", 2, "kube-system")
    reads.wait_rolled_out("coredns", "kube-system", timeout=180)
    poll(lambda: not health.problems(), timeout=120, what="the cluster to be fit to grade on again")


def submit(course: Course, tmp: Path, student: str, lab: str) -> None:
    course.generate(lab)
    path = tmp / f"{student}.ipynb"
    nbformat.write(reference(lab), path)
    course.submit(student, lab, path)


def during(student: str, lab: str, fault: Callable[[str], None]) -> threading.Thread:
    """Start ``fault(namespace)`` once the submission's grading namespace runs its pods."""
    namespace = grading_namespace(student, lab)

    def wait_then_break() -> None:
        poll(lambda: len([p for p in reads.pods(namespace) if p.ready]) >= 3, timeout=300, every=0.3, what=namespace)
        fault(namespace)

    thread = threading.Thread(target=wait_then_break, daemon=True)
    thread.start()
    return thread


def full(course: Course, lab: str, student: str) -> bool:
    return sum(course.scores(lab)[student].values()) == LABS[lab].max_points


def test_coredns_down_before_grading_is_an_environment_error_then_regraded(
    course: Course, tmp_path: Path, coredns_restored: None
) -> None:
    submit(course, tmp_path, "dns-down", "discovery")
    scale("coredns", 0, "kube-system")
    poll(lambda: health.problems(), timeout=120, what="the probe to see CoreDNS gone")
    outcome = course.autograde("discovery", ["dns-down"])["dns-down"]
    assert not outcome.graded
    assert outcome.environment == "CoreDNS has no ready replica, so no DNS name resolves"
    assert outcome.note.startswith("environment error, regrade: CoreDNS")
    assert course.regrade.students("discovery") == {"dns-down": outcome.environment}

    scale("coredns", 2, "kube-system")
    poll(lambda: not health.problems(), timeout=180, what="CoreDNS back")
    again = course.autograde("discovery", list(course.regrade.students("discovery")))["dns-down"]
    assert again.graded, again.note
    assert full(course, "discovery", "dns-down")
    assert course.regrade.students("discovery") == {}


def test_coredns_down_during_grading_is_an_environment_error(
    course: Course, tmp_path: Path, coredns_restored: None
) -> None:
    submit(course, tmp_path, "dns-during", "discovery")
    fault = during("dns-during", "discovery", lambda ns: scale("coredns", 0, "kube-system"))
    outcome = course.autograde("discovery", ["dns-during"])["dns-during"]
    fault.join(timeout=10)
    assert outcome.environment and "CoreDNS has no ready replica" in outcome.environment, outcome
    assert "dns-during" in course.regrade.students("discovery")


def test_a_pod_killed_during_grading_costs_no_points(course: Course, tmp_path: Path) -> None:
    submit(course, tmp_path, "pod-killed", "clusterip")

    def kill_one(namespace: str) -> None:
        kill_pod(next(p.name for p in reads.pods(namespace, {"app": "hello-world"})), namespace)

    fault = during("pod-killed", "clusterip", kill_one)
    outcome = course.autograde("clusterip", ["pod-killed"])["pod-killed"]
    fault.join(timeout=10)
    assert outcome.environment or full(course, "clusterip", "pod-killed"), (outcome, course.scores("clusterip"))


def test_the_control_plane_paused_during_grading_costs_no_points(course: Course, tmp_path: Path) -> None:
    submit(course, tmp_path, "paused", "clusterip")

    def pause(namespace: str) -> None:
        runner.run(["docker", "pause", "svclab-control-plane"])
        try:
            time.sleep(20)  # the fault: 20 s without an API server
        finally:
            runner.run(["docker", "unpause", "svclab-control-plane"])

    fault = during("paused", "clusterip", pause)
    try:
        outcome = course.autograde("clusterip", ["paused"])["paused"]
    finally:
        fault.join(timeout=60)
        poll(lambda: not health.problems(), timeout=180, what="the cluster to recover from the pause")
    assert outcome.environment or full(course, "clusterip", "paused"), (outcome, course.scores("clusterip"))
    if outcome.environment:  # then a regrade on the repaired cluster gives the right score
        again = course.autograde("clusterip", list(course.regrade.students("clusterip")))["paused"]
        assert again.graded and full(course, "clusterip", "paused"), again


def restart_dockerd() -> None:
    """Stop the Docker engine and start it again the way it was started (systemd's unit, or
    the same command line in a session of its own); return once it answers."""
    if Path("/run/systemd/system").is_dir():
        runner.run(["systemctl", "restart", "docker"], timeout=180)
    else:
        pid = runner.run(["pgrep", "-o", "-x", "dockerd"]).stdout.split()[0]
        argv = [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
        runner.run(["kill", "-TERM", pid])
        poll(lambda: not Path(f"/proc/{pid}").exists(), timeout=90, what="dockerd to stop")
        with open("/var/log/svclab-dockerd.log", "a") as log:
            subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    poll(lambda: runner.run(["docker", "info"], check=False).returncode == 0, timeout=90, what="dockerd to answer")


def test_dockerd_restarted_between_two_submissions_costs_no_points(course: Course, tmp_path: Path) -> None:
    submit(course, tmp_path, "before-restart", "clusterip")
    submit(course, tmp_path, "after-restart", "nodeport")
    first = course.autograde("clusterip", ["before-restart"])["before-restart"]
    engine = runner.run(["pgrep", "-o", "-x", "dockerd"]).stdout.strip()
    restart_dockerd()
    assert runner.run(["pgrep", "-o", "-x", "dockerd"]).stdout.strip() != engine, "dockerd was not restarted"
    try:
        second = course.autograde("nodeport", ["after-restart"])["after-restart"]
    finally:
        Cluster().up()  # what the instructor runs after a restart: it also repairs the nodes' DNS
        poll(lambda: not health.problems(), timeout=240, what="the cluster to be fit to grade on after the restart")
    assert first.graded and full(course, "clusterip", "before-restart"), first  # nothing lost from the gradebook
    assert second.environment or full(course, "nodeport", "after-restart"), (second, course.scores("nodeport"))
    for node in Cluster().node_containers():  # names outside the cluster resolve again from the nodes
        assert (
            runner.run(["docker", "exec", node, "getent", "hosts", "svclab-control-plane"], check=False).returncode == 0
        )
