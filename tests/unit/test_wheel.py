"""The wheel works outside any checkout: it carries the build recipes, Go wrapper modules,
node files, manifests, labs and course, and an installation from it finds them in its own
site-packages – with the same image cache keys as the checkout, so `svclab up` from it
rebuilds nothing. No cluster is needed: svclab runs with its own cache, config and
workspace in a temporary folder, so `svclab doctor` only reads Docker's state.

Builds the wheel (hatchling from PyPI, in pip's build isolation) and installs it into a fresh
venv (dependencies from PyPI, through pip's cache). Select with `-m wheel`; about a minute
with a warm pip cache. The live half, `svclab up` from the wheel, is tests/live/test_wheel_up.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from svclab.cluster.images import STEPS, ImageBuilder
from svclab.labs import LABS
from svclab.settings import Settings

pytestmark = pytest.mark.wheel
REPO = Path(__file__).resolve().parents[2]
DATA = "svclab/_data"


@dataclass
class Installed:
    wheel: Path
    venv: Path
    home: Path  # cache, config, workspace and the cwd of every command

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SVCLAB_")}
        for name in ("PYTHONPATH", "KUBECONFIG", "VIRTUAL_ENV"):
            env.pop(name, None)
        return env | {
            "PATH": f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "SVCLAB_CACHE": str(self.home / "cache"),
            "SVCLAB_CONFIG": str(self.home / "config"),
            "SVCLAB_WORKSPACE": str(self.home / "svclab"),
            "COLUMNS": "250",
        }

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        exe = self.venv / "bin" / argv[0]
        return subprocess.run(
            [str(exe), *argv[1:]], cwd=self.home, env=self.env(), capture_output=True, text=True, timeout=timeout
        )

    def pip_install(self, requirement: str) -> float:
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(self.venv / "bin/python"), "install", "-q", requirement],
            check=True,
            timeout=900,
        )
        return time.monotonic() - started

    @property
    def site_data(self) -> Path:
        return next(self.venv.glob("lib/python*/site-packages")) / DATA


def build_wheel(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)], check=True, timeout=600
    )
    return next(out.glob("svclab-*.whl"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The wheel, installed without the lab extra into a venv of its own (no system site-packages)."""
    tmp = tmp_path_factory.mktemp("wheel")
    started = time.monotonic()
    wheel = build_wheel(tmp / "dist")
    built = time.monotonic() - started
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    (tmp / "home").mkdir()
    inst = Installed(wheel, venv, tmp / "home")
    seconds = inst.pip_install(str(wheel))
    print(f"wheel {wheel.stat().st_size / 1024:.0f} KiB built in {built:.1f} s, installed in {seconds:.1f} s")
    yield inst


def test_the_wheel_carries_the_data_and_no_leftovers(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        infos = {i.filename: i for i in wheel.infolist()}
    names = set(infos)
    tracked = subprocess.run(
        ["git", "ls-files", "cluster", "labs", "course", "grader/nbgrader_config.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {f"{DATA}/{f}" for f in tracked} <= names  # every recipe, module, manifest, lab and lecture
    for must in (
        "cluster/versions.env",
        "cluster/gomod/kubernetes/go.sum",
        "cluster/runtime/main.go",
        "cluster/manifests/hello-world.yaml",
        "course/index.ipynb",
        "grader/nbgrader_config.py",
        *(f"labs/{lab}/{lab}.ipynb" for lab in LABS),
    ):
        assert f"{DATA}/{must}" in names
    assert not [n for n in names if "__pycache__" in n or ".ipynb_checkpoints" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(f"{DATA}/grader/") and not n.endswith("nbgrader_config.py")]
    assert (infos[f"{DATA}/cluster/node/customize.sh"].external_attr >> 16) & 0o111  # mmdebstrap runs it directly


def test_commands_run_from_the_installed_wheel_outside_any_checkout(installed: Installed) -> None:
    for argv in (("svclab", "--help"), ("svclab", "lab", "--help"), ("svclab", "grade", "--help")):
        result = installed.run(*argv)
        assert result.returncode == 0, result.stderr
        assert "Usage" in result.stdout and "Traceback" not in result.stdout + result.stderr

    doctor = installed.run("svclab", "doctor")
    out = doctor.stdout + doctor.stderr
    assert doctor.returncode in (0, 1) and "Traceback" not in out, out  # a failing check is fine here
    data_line = next(line for line in out.splitlines() if line.lstrip().startswith("data "))
    assert " ok " in data_line and "installed package data" in data_line and "site-packages" in data_line
    assert next(line for line in out.splitlines() if line.lstrip().startswith("go ")).split()[1] in ("ok", "FAIL")

    # without the lab extra, grading says what to install
    grade = installed.run("svclab", "grade", "generate", "clusterip")
    assert grade.returncode == 1 and "svclab[lab]" in grade.stdout and "Traceback" not in grade.stdout + grade.stderr


PROBE = """
import json, sys
from svclab.cluster.images import STEPS, ImageBuilder
from svclab.settings import settings
s = settings()
print(json.dumps({
    "cluster_dir": str(s.cluster_dir), "installed": s.installed, "prefix": sys.prefix,
    "versions": (s.cluster_dir / "versions.env").is_file(),
    "labs": sorted(str(p.relative_to(s.labs_dir)) for p in s.labs_dir.glob("*/*.ipynb")),
    "course": (s.course_dir / "index.ipynb").is_file(), "config": s.nbgrader_config.is_file(),
    "course_root": str(s.course_root), "workspace": str(s.workspace_dir),
    "keys": [ImageBuilder(s).key(step.name) for step in STEPS],
}))
"""


def test_settings_find_the_package_data_with_the_checkouts_image_keys(installed: Installed) -> None:
    import json

    result = installed.run("python", "-c", PROBE)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["installed"] and Path(found["cluster_dir"]) == installed.site_data / "cluster"
    assert Path(found["cluster_dir"]).is_relative_to(installed.venv)
    assert found["versions"] and found["course"] and found["config"]
    assert found["labs"] == sorted(f"{lab}/{lab}.ipynb" for lab in LABS)
    assert Path(found["course_root"]) == installed.home / "svclab" / "grader"  # never site-packages
    checkout = Settings(cluster_dir=REPO / "cluster", cache_dir=installed.home / "checkout-cache")
    assert found["keys"] == [ImageBuilder(checkout).key(step.name) for step in STEPS]  # `svclab up` rebuilds nothing


def test_with_the_lab_extra_the_workspace_and_the_course_root_are_the_users(installed: Installed) -> None:
    """What `svclab lab` does before it starts JupyterLab, and the default course root, from the wheel."""
    seconds = installed.pip_install(f"svclab[lab] @ {installed.wheel.as_uri()}")
    print(f"lab extra installed in {seconds:.1f} s")
    shipped = {p for p in installed.site_data.rglob("*") if "__pycache__" not in p.parts}

    first = installed.run("svclab", "workspace", timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    root = installed.home / "svclab"
    lab = root / "labs" / "clusterip" / "clusterip.ipynb"
    assert lab.is_file() and (root / "course" / "index.ipynb").is_file()
    lab.write_text(lab.read_text().replace("# YOUR CODE HERE", "!kubectl get svc", 1))
    again = installed.run("svclab", "workspace", timeout=600)
    assert again.returncode == 0 and "!kubectl get svc" in lab.read_text()  # the student's edit stays

    generate = installed.run("svclab", "grade", "generate", "clusterip", timeout=600)
    assert generate.returncode == 0, generate.stdout + generate.stderr
    assert (root / "grader" / "nbgrader_config.py").is_file()
    assert (root / "grader" / "release" / "clusterip" / "clusterip.ipynb").is_file()
    after = {p for p in installed.site_data.rglob("*") if "__pycache__" not in p.parts}
    assert after == shipped, f"written into site-packages: {sorted(after - shipped)[:5]}"
