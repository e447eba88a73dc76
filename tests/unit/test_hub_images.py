"""The JupyterHub images' build steps: on demand only, keyed by what they are made of (svclab's
own sources too, the same from a checkout and from a wheel), without touching any other key;
their Python packages pinned with hashes. Nothing here builds an image."""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from svclab import runner
from svclab.cluster import gotoolchain, images
from svclab.cluster.images import HUB_STEPS, ON_DEMAND, STEPS, ImageBuilder
from svclab.errors import BuildError
from svclab.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("cluster", "src/svclab", "course", "labs", "grader/nbgrader_config.py", "pyproject.toml")
_LEFTOVERS = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the checkout's data root: cluster/, svclab's sources, course, labs."""
    root = tmp_path / "checkout"
    for rel in SOURCES:
        src, dst = REPO / rel, root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=_LEFTOVERS)
        else:
            shutil.copy(src, dst)
    return root


def keys(root: Path, cache: Path) -> dict[str, str]:
    builder = ImageBuilder(Settings(cluster_dir=root / "cluster", cache_dir=cache))
    return {s.name: builder.key(s.name) for s in STEPS}


def changed_by(root: Path, cache: Path, path: str, text: str = "\n# changed\n") -> set[str]:
    before = keys(root, cache)
    with (root / path).open("a") as f:
        f.write(text)
    after = keys(root, cache)
    return {name for name in before if before[name] != after[name]}


def test_the_hub_images_are_built_on_demand_only(checkout: Path, tmp_path: Path) -> None:
    assert set(HUB_STEPS) <= ON_DEMAND
    assert not {d for s in STEPS for d in s.uses} & set(HUB_STEPS)  # nothing `svclab up` builds needs them
    builder = ImageBuilder(Settings(cluster_dir=checkout / "cluster", cache_dir=tmp_path / "cache"))
    assert not {s.name for s in builder.stale()} & set(HUB_STEPS)
    assert set(HUB_STEPS) <= {s.name for s in builder.stale(HUB_STEPS)}
    hub, singleuser = builder.hub_images()
    assert hub == f"docker.io/svclab/hub:{builder.key('hub-image')}"
    assert singleuser == f"docker.io/svclab/singleuser:{builder.key('singleuser-image')}"


def _old_key(builder: ImageBuilder, name: str) -> str:
    """The key of a step as svclab computed it before the hub images existed."""
    step = next(s for s in STEPS if s.name == name)
    digest = hashlib.sha256(name.encode())
    for rel in ("versions.env", "build/common.sh", step.script, *step.inputs):
        path = builder.settings.cluster_dir / rel
        for f in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
            digest.update(str(f.relative_to(path.parent)).encode())
            digest.update(f.read_bytes())
    for dep in step.uses:
        digest.update(_old_key(builder, dep).encode())
    if name == "node":
        digest.update(" ".join(builder.preload_images()).encode())
    return digest.hexdigest()[:12]


def test_the_keys_of_the_other_steps_are_those_of_before(tmp_path: Path) -> None:
    builder = ImageBuilder(Settings(cluster_dir=REPO / "cluster", cache_dir=tmp_path))
    for step in STEPS:
        if step.name not in HUB_STEPS:
            assert builder.key(step.name) == _old_key(builder, step.name), step.name


def test_the_keys_are_stable(checkout: Path, tmp_path: Path) -> None:
    first = keys(checkout, tmp_path / "a")
    assert first == keys(checkout, tmp_path / "b")
    assert first == keys(REPO, tmp_path / "c")  # the copy is the checkout: the keys do not hold paths


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/svclab/workspace.py", {"singleuser-image"}),  # svclab's code, and the students' Jupyter config
        ("labs/clusterip/clusterip.md", {"singleuser-image"}),
        ("course/index.ipynb", {"singleuser-image"}),
        ("pyproject.toml", set()),  # a comment: the image carries none of it
        ("cluster/hub/singleuser/svclab-singleuser", {"singleuser-image"}),
        ("cluster/hub/requirements-singleuser.txt", {"singleuser-image"}),
        ("cluster/hub/svclab_hub/auth.py", {"hub-image"}),
        ("cluster/hub/requirements-hub.txt", {"hub-image"}),
        ("cluster/hub/chp/package-lock.json", {"hub-image"}),
        ("cluster/build/hub.sh", {"hub-image", "singleuser-image"}),
        ("cluster/hub/jupyterhub_config.py", set()),  # a ConfigMap of the deployment, in no image
    ],
)
def test_a_change_rebuilds_the_images_it_is_part_of(checkout: Path, tmp_path: Path, path: str, expected: set) -> None:
    assert changed_by(checkout, tmp_path, path) == expected


def test_the_project_metadata_is_part_of_the_single_user_key(checkout: Path, tmp_path: Path) -> None:
    pyproject = checkout / "pyproject.toml"
    before = keys(checkout, tmp_path)
    pyproject.write_text(pyproject.read_text().replace('version = "', 'version = "9', 1))
    after = keys(checkout, tmp_path)
    assert {name for name in before if before[name] != after[name]} == {"singleuser-image"}


def test_what_running_python_and_jupyter_leave_behind_is_not_a_change(checkout: Path, tmp_path: Path) -> None:
    before = keys(checkout, tmp_path)
    for leftover in (
        "src/svclab/__pycache__/workspace.cpython-311.pyc",
        "course/.ipynb_checkpoints/index-checkpoint.ipynb",
        "labs/clusterip/.ipynb_checkpoints/clusterip-checkpoint.ipynb",
        "cluster/hub/svclab_hub/__pycache__/auth.cpython-311.pyc",
        "cluster/hub/singleuser/jupyter/__pycache__/nbgrader_config.cpython-311.pyc",
    ):
        (checkout / leftover).parent.mkdir(parents=True, exist_ok=True)
        (checkout / leftover).write_bytes(b"\0")
    assert keys(checkout, tmp_path) == before


def _wheel_install(checkout: Path, site: Path) -> Path:
    """The layout a wheel installs: the package, its data in svclab/_data, and the dist-info."""
    shutil.copytree(checkout / "src/svclab", site / "svclab")
    data = site / "svclab/_data"
    for rel in ("cluster", "labs", "course", "grader/nbgrader_config.py"):
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (checkout / rel).is_dir() else shutil.copy)(checkout / rel, data / rel)
    project = tomllib.loads((checkout / "pyproject.toml").read_text())["project"]
    info = site / f"svclab-{project['version']}.dist-info"
    info.mkdir()
    requires = [f"Requires-Dist: {d}" for d in project["dependencies"]]
    requires += [
        f"Requires-Dist: {d}; extra == '{x}'" for x, ds in project["optional-dependencies"].items() for d in ds
    ]
    (info / "METADATA").write_text(
        "\n".join(["Metadata-Version: 2.4", f"Name: {project['name']}", f"Version: {project['version']}", *requires])
        + "\n"
    )
    scripts = "".join(f"{k} = {v}\n" for k, v in project["scripts"].items())
    (info / "entry_points.txt").write_text(f"[console_scripts]\n{scripts}")
    for py in list((site / "svclab").rglob("*.py")):  # pip compiles every module, the data's too
        (py.parent / "__pycache__").mkdir(exist_ok=True)
        (py.parent / "__pycache__" / f"{py.stem}.cpython-311.pyc").write_bytes(b"\0")
    return data


def test_a_wheel_install_has_the_checkouts_keys_and_cannot_build_the_single_user_image(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _wheel_install(checkout, tmp_path / "site")
    from_checkout = keys(checkout, tmp_path / "cache")
    monkeypatch.setattr(images, "PACKAGE_DIR", tmp_path / "site/svclab")
    installed = Settings(cluster_dir=data / "cluster", cache_dir=tmp_path / "cache")
    assert installed.installed
    assert keys(data, tmp_path / "cache") == from_checkout
    monkeypatch.setattr(gotoolchain, "find_go", lambda s: Path("/usr/bin/go"))
    monkeypatch.setattr(runner, "stream", lambda cmd, **kw: pytest.fail("no build may start"))
    step = next(s for s in STEPS if s.name == "singleuser-image")
    with pytest.raises(BuildError, match="needs a checkout") as caught:
        ImageBuilder(installed)._run(step, lambda step, line: None)
    assert "pyproject.toml" in str(caught.value) and "src/svclab" in str(caught.value)


def test_the_build_scripts_get_the_drivers_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, str] = {}
    monkeypatch.setattr(gotoolchain, "find_go", lambda s: Path("/usr/bin/go"))
    monkeypatch.setattr(runner, "stream", lambda cmd, **kw: seen.update(kw["env"]))
    step = next(s for s in STEPS if s.name == "singleuser-image")
    ImageBuilder(Settings(cluster_dir=REPO / "cluster", cache_dir=tmp_path))._run(step, lambda step, line: None)
    assert Path(seen["SVCLAB_PYTHON"]).name.startswith("python")
    assert seen["SVCLAB_OUT"].startswith("docker.io/svclab/singleuser:")


_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


def pins(requirements: Path) -> dict[str, str]:
    """name → version of a pip requirements file, each one checked: pinned, with sha256 hashes."""
    found: dict[str, str] = {}
    text = requirements.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("--only-binary"):
            continue
        match = _PIN.match(line)
        assert match, f"{requirements.name}: not a pin: {line}"
        hashes = re.findall(r"--hash=sha256:([0-9a-f]+)", line)
        assert hashes and all(len(h) == 64 for h in hashes), f"{requirements.name}: no hash for {line[:60]}"
        found[match["name"].lower().replace("_", "-")] = match["version"]
    return found


def test_the_hub_requirements_are_pinned_with_hashes() -> None:
    hub = pins(REPO / "cluster/hub/requirements-hub.txt")
    assert {k: hub[k] for k in ("jupyterhub", "jupyterhub-kubespawner", "jupyterhub-idle-culler")} == {
        "jupyterhub": "6.1.1",
        "jupyterhub-kubespawner": "7.1.0",
        "jupyterhub-idle-culler": "2.0.0",
    }
    assert "bcrypt" not in hub  # passwords are scrypt hashes, checked with the standard library


def test_the_single_user_requirements_are_pinned_with_hashes_and_match_svclabs() -> None:
    singleuser = pins(REPO / "cluster/hub/requirements-singleuser.txt")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for dep in [*project["dependencies"], *project["optional-dependencies"]["lab"]]:
        name, version = dep.split("==")
        assert singleuser[name.lower()] == version, dep  # the notebooks run on what svclab pins
    assert singleuser["jupyterhub"] == "6.1.1" and singleuser["notebook"] == "7.6.5" and "ipykernel" in singleuser
