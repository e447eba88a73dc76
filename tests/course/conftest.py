"""A student of a class, provisioned once for the tests that run labs and lectures as one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from svclab.classroom import Classroom
from svclab.k8s.kubectl import Kubectl


@pytest.fixture(scope="session")
def student(cluster: Kubectl, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A provisioned student; yields their kubeconfig, ``<student>.kubeconfig``."""
    name = f"tl{uuid.uuid4().hex[:5]}"
    room = Classroom()
    room.add(name)
    try:
        yield room.kubeconfig(name, tmp_path_factory.mktemp("student") / f"{name}.kubeconfig")
    finally:
        room.remove(name)
