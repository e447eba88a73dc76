"""The Go programs svclab builds into its images (hello-app, pause, svclab-cni,
svclab-nodeview, svclab-runc) pass their own tests."""

from __future__ import annotations

import subprocess

import pytest

from svclab.cluster.gotoolchain import find_go
from svclab.settings import settings


@pytest.mark.parametrize("module", ["images", "runtime"])
def test_go_tests_pass(module: str) -> None:
    go = find_go()
    assert go, "Go is needed to build the cluster images: `make setup` installs it"
    result = subprocess.run(
        [go, "test", "./..."], cwd=settings().cluster_dir / module, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
