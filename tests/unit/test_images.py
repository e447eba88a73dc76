"""Cache keys of the offline image build: a change rebuilds exactly its dependants."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from svclab import runner
from svclab.cluster import gotoolchain
from svclab.cluster.images import STEPS, ImageBuilder
from svclab.errors import ToolMissing
from svclab.settings import Settings

REPO_CLUSTER = Settings().cluster_dir


@pytest.fixture
def cluster_copy(tmp_path: Path) -> Path:
    """A copy of cluster/ without the large wrapper-module sums."""
    target = tmp_path / "cluster"
    shutil.copytree(REPO_CLUSTER, target)
    return target


def keys(cluster_dir: Path, cache: Path) -> dict[str, str]:
    builder = ImageBuilder(Settings(cluster_dir=cluster_dir, cache_dir=cache))
    return {s.name: builder.key(s.name) for s in STEPS}


def test_keys_are_stable(cluster_copy: Path, tmp_path: Path) -> None:
    assert keys(cluster_copy, tmp_path) == keys(cluster_copy, tmp_path / "other")


def test_a_version_bump_changes_every_key(cluster_copy: Path, tmp_path: Path) -> None:
    before = keys(cluster_copy, tmp_path)
    env = cluster_copy / "versions.env"
    env.write_text(env.read_text().replace("METALLB_VERSION=", "METALLB_VERSION=9"))
    after = keys(cluster_copy, tmp_path)
    assert all(before[name] != after[name] for name in before)


def test_editing_hello_app_rebuilds_programs_and_their_dependants_only(cluster_copy: Path, tmp_path: Path) -> None:
    before = keys(cluster_copy, tmp_path)
    with (cluster_copy / "images/hello-app/main.go").open("a") as f:
        f.write("\n// changed\n")
    after = keys(cluster_copy, tmp_path)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"programs", "node-rootfs", "images", "node"}


def test_nothing_is_fresh_in_an_empty_cache(tmp_path: Path) -> None:
    builder = ImageBuilder(Settings(cache_dir=tmp_path))
    assert not builder.is_fresh("kind")
    assert builder.node_image.startswith("svclab/node:v1.34.")


def test_preload_lists_what_kubeadm_needs() -> None:
    builder = ImageBuilder(Settings())
    preload = builder.preload_images()
    k8s = Settings().kubernetes_version
    assert f"registry.k8s.io/kube-apiserver:{k8s}" in preload
    assert any(i.startswith("registry.k8s.io/etcd:") for i in preload)
    assert {"registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10.1"} <= set(preload)


def test_the_build_scripts_run_the_go_find_go_chose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, str] = {}
    monkeypatch.setattr(gotoolchain, "find_go", lambda s: Path("/opt/svclab-go/bin/go"))
    monkeypatch.setattr(runner, "stream", lambda cmd, **kw: seen.update(kw["env"]))
    ImageBuilder(Settings(cache_dir=tmp_path))._run(STEPS[0], lambda step, line: None)
    assert seen["PATH"].startswith("/opt/svclab-go/bin" + os.pathsep)


def test_without_a_new_enough_go_the_build_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gotoolchain, "find_go", lambda s: None)
    with pytest.raises(ToolMissing, match=r"needs Go >= 1\.") as caught:
        ImageBuilder(Settings(cache_dir=tmp_path))._run(STEPS[0], lambda step, line: None)
    assert "make setup" in str(caught.value)
