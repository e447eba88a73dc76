"""`svclab up` from the wheel, installed into a fresh venv outside any checkout, on the
running cluster: it finds the images the checkout built (same cache keys, same cache) and
leaves the healthy cluster as it is. The wheel's contents and its settings are checked
without a cluster in tests/unit/test_wheel.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from svclab import runner
from svclab.cluster.images import STEPS, ImageBuilder
from svclab.cluster.kind import Cluster
from svclab.k8s.kubectl import Kubectl
from svclab.settings import CLUSTER_NAME, settings

pytestmark = pytest.mark.live
REPO = Path(__file__).resolve().parents[2]
KEYS = "from svclab.cluster.images import STEPS, ImageBuilder; from svclab.settings import settings; import json; "
KEYS += "print(json.dumps([ImageBuilder(settings()).key(s.name) for s in STEPS]))"


def _created(container: str) -> str:
    return runner.run(["docker", "inspect", "--format", "{{.Created}}", container]).stdout.strip()


def test_svclab_up_from_the_wheel_keeps_the_running_cluster(cluster: Kubectl, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(REPO)],
        check=True,
        timeout=600,
    )
    wheel = next((tmp_path / "dist").glob("svclab-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install", "-q", str(wheel)],
        check=True,
        timeout=900,
    )
    # the user's own cache, config and kubeconfig: only the code and data come from the wheel
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SVCLAB_CLUSTER_DIR", "VIRTUAL_ENV")}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", "COLUMNS": "250"}
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()

    def run(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / argv[0]), *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )

    # never let a differently packaged tree rebuild the images or recreate the cluster
    keys = run("python", "-c", KEYS)
    assert keys.returncode == 0, keys.stderr
    checkout = ImageBuilder(settings())
    assert json.loads(keys.stdout) == [checkout.key(s.name) for s in STEPS], "the wheel's image keys differ"
    assert not checkout.stale(), "images are out of date: run `svclab up` from the checkout first"

    doctor = run("svclab", "doctor")
    assert "Traceback" not in doctor.stdout + doctor.stderr, doctor.stdout + doctor.stderr
    assert "installed package data" in doctor.stdout
    assert run("svclab", "lab", "--help").returncode == 0

    control_plane = f"{CLUSTER_NAME}-control-plane"
    before = _created(control_plane) if Cluster().provider == "kind" else None  # an adopted cluster has none
    up = run("svclab", "up", timeout=1800)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "Traceback" not in up.stdout + up.stderr
    if before is not None:
        assert _created(control_plane) == before, "svclab up from the wheel recreated the cluster"
    status = run("svclab", "status")
    assert status.returncode == 0, status.stdout + status.stderr
