"""Shared fixtures. Live tests need the running svclab cluster: when it is
missing they fail with the fix, they never skip."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from svclab.constants import TEST_LABEL
from svclab.errors import SvclabError
from svclab.k8s import manifests, tenancy
from svclab.k8s.kubectl import Kubectl


@pytest.fixture(scope="session")
def kubectl() -> Kubectl:
    return Kubectl()


@pytest.fixture(scope="session")
def cluster(kubectl: Kubectl) -> Kubectl:
    """The live cluster, or a failed test that says how to start it."""
    try:
        kubectl("get", "nodes", timeout=20)
    except SvclabError as exc:
        pytest.fail(f"the svclab cluster is not reachable: {exc.message}\nstart it with `svclab up`", pytrace=False)
    return kubectl


@pytest.fixture
def namespace(cluster: Kubectl, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    short = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"t-{short}-{uuid.uuid4().hex[:5]}"
    tenancy.create_namespace(name, {TEST_LABEL: "true"})
    try:
        yield name
    finally:
        cluster("delete", "namespace", name, "--wait=false")


@pytest.fixture
def hello_world(cluster: Kubectl, namespace: str) -> str:
    """The course's hello-world Deployment (3 replicas, its labels and readiness probe) in the
    test's namespace, rolled out; returns the namespace."""
    cluster.apply(manifests.dump(manifests.hello_world(namespace)))
    cluster("rollout", "status", "deployment/hello-world", "-n", namespace, "--timeout=120s", timeout=150)
    return namespace
