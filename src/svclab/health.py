"""Is the cluster fit to grade on? The environment probe that autograde runs before and after
each submission, and a grading kernel runs when a check fails: the API server answers, the
nodes are Ready and hold the lab images, CoreDNS and kube-proxy run, and – from a namespace
with a toolbox pod – DNS answers. It reads only what a student may read.

A failed probe means a score would say more about the cluster than about the student: the
submission is recorded as an environment error, to regrade, never as a wrong answer."""

from __future__ import annotations

import time

from svclab.constants import HELLO_IMAGE, TOOLBOX_IMAGE, TOOLBOX_POD
from svclab.errors import ClusterError, Forbidden, SvclabError
from svclab.k8s import reads, tenancy
from svclab.toolbox import run_in_probe

LAB_IMAGES = (HELLO_IMAGE, TOOLBOX_IMAGE)
_recent: tuple[float, str | None, list[str]] = (0.0, None, [])


def problems(namespace: str | None = None) -> list[str]:
    """What is wrong with the cluster, one sentence each; empty when it is fit to grade on."""
    try:
        tenancy.whoami()
        found = _cluster_problems()
    except SvclabError as exc:
        return [f"the API server does not answer ({exc.message.splitlines()[0]})"]
    if namespace and not found:
        found += _dns_problems(namespace)
    return found


def _cluster_problems() -> list[str]:
    found: list[str] = []
    try:
        nodes = reads.nodes()
    except Forbidden:
        nodes = []  # a kubeconfig without the class's view rights: judge what it can see
    for node in nodes:
        if not node.ready:
            found.append(f"node {node.name} is not Ready")
        elif missing := [i for i in LAB_IMAGES if i not in node.images]:
            found.append(f"node {node.name} lacks the lab image {', '.join(missing)}")
    try:
        coredns = reads.deployment("coredns", "kube-system")
        if coredns is not None and not (coredns.status.ready_replicas or 0):
            found.append("CoreDNS has no ready replica, so no DNS name resolves")
        if not reads.daemonset_ready("kube-proxy", "kube-system"):
            found.append("kube-proxy is not ready on every node, so Service rules may be missing")
    except Forbidden:
        pass
    return found


def _dns_problems(namespace: str) -> list[str]:
    """The cluster's own name resolves from the namespace's toolbox (if it has one)."""
    try:
        pod = reads.pod(TOOLBOX_POD, namespace)
        if pod is None or not pod.ready:
            return []
        answer = run_in_probe(
            ["dig", "+short", "+time=2", "+tries=2", "kubernetes.default.svc.cluster.local"], namespace, timeout=15
        )
    except ClusterError as exc:
        return [f"the toolbox pod in {namespace} could not be reached ({exc.message.splitlines()[0]})"]
    if answer.returncode != 0 or not answer.stdout.strip():
        return [f"DNS does not answer in {namespace}: kubernetes.default.svc.cluster.local did not resolve"]
    return []


def recent_problems(namespace: str, within: float = 10) -> list[str]:
    """:func:`problems`, probed at most once per ``within`` seconds (a kernel asks after every
    failed check)."""
    global _recent
    when, where, found = _recent
    if where != namespace or time.monotonic() - when > within:
        found = problems(namespace)
        _recent = (time.monotonic(), namespace, found)
    return found
