"""svclab's registry: image names mapped to what a containerd mirror asks for, its config,
the mirror patch of kind's config, and the build step no image depends on."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from svclab.cli import app
from svclab.cluster.config import kind_config
from svclab.cluster.images import STEPS, ImageBuilder
from svclab.cluster.registry import (
    MIRRORED,
    ImageRef,
    containerd_mirror_patch,
    parse_address,
    parse_image,
    parse_registry,
    registry_config,
    remote_name,
)
from svclab.cluster.registry_push import OCI_LAYER, oci_manifest, repositories
from svclab.errors import InvalidInput
from svclab.settings import NODE_PORT_RANGE, Settings


@pytest.mark.parametrize(
    ("image", "ref"),
    [
        ("gcr.io/google-samples/hello-app:1.0", ImageRef("gcr.io", "google-samples/hello-app", "1.0")),
        ("registry.k8s.io/coredns/coredns:v1.12.1", ImageRef("registry.k8s.io", "coredns/coredns", "v1.12.1")),
        ("docker.io/svclab/toolbox:v1", ImageRef("docker.io", "svclab/toolbox", "v1")),
        ("svclab/toolbox:v1", ImageRef("docker.io", "svclab/toolbox", "v1")),
        ("busybox", ImageRef("docker.io", "library/busybox", "latest")),
        ("localhost:5000/team/app", ImageRef("localhost:5000", "team/app", "latest")),
        ("quay.io/metallb/speaker:v0.14.9", ImageRef("quay.io", "metallb/speaker", "v0.14.9")),
    ],
)
def test_an_image_lands_under_its_path_without_the_host(image: str, ref: ImageRef) -> None:
    assert parse_image(image) == ref


@pytest.mark.parametrize("image", ["gcr.io/a/b@sha256:00", "gcr.io/UPPER/case:1", "gcr.io/a/b:bad tag"])
def test_what_cannot_be_pushed_by_tag_is_refused(image: str) -> None:
    with pytest.raises(InvalidInput):
        parse_image(image)


def test_every_image_a_node_runs_has_a_place_of_its_own() -> None:
    images = ImageBuilder(Settings()).preload_images()
    places = repositories(images)
    assert places["gcr.io/google-samples/hello-app:1.0"].path == "google-samples/hello-app"
    assert len({(r.path, r.tag) for r in places.values()}) == len(images)


def test_two_images_on_one_place_are_refused() -> None:
    with pytest.raises(InvalidInput, match="would both be library/pause:1"):
        repositories(["docker.io/library/pause:1", "pause:1"])


def test_the_mirror_patch_sends_every_course_registry_to_the_mirror() -> None:
    patch = tomllib.loads(containerd_mirror_patch("172.18.0.1:5000"))
    mirrors = patch["plugins"]["io.containerd.grpc.v1.cri"]["registry"]["mirrors"]
    assert set(mirrors) == set(MIRRORED) == {"docker.io", "gcr.io", "registry.k8s.io", "quay.io"}
    assert all(m == {"endpoint": ["http://172.18.0.1:5000"]} for m in mirrors.values())


def test_kind_config_has_the_patch_only_with_a_mirror() -> None:
    plain = kind_config("svclab/node:x", NODE_PORT_RANGE)
    assert "containerdConfigPatches" not in yaml.safe_load(plain)
    assert kind_config("svclab/node:x", NODE_PORT_RANGE, None) == plain  # a cluster made before keeps its digest
    mirrored = yaml.safe_load(kind_config("svclab/node:x", NODE_PORT_RANGE, "10.0.0.5:5000"))
    (patch,) = mirrored["containerdConfigPatches"]
    assert patch == containerd_mirror_patch("10.0.0.5:5000")


@pytest.mark.parametrize("text", ["172.18.0.1", "172.18.0.1:0", "host:99999", "http://h:1", ""])
def test_a_mirror_address_is_host_and_port(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_address(text)


def test_addresses_parse() -> None:
    assert parse_address("172.18.0.1:5000") == ("172.18.0.1", 5000)
    assert parse_address("[fc00::1]:5000") == ("[fc00::1]", 5000)


def test_the_registry_config_serves_one_address_from_the_cache(tmp_path: Path) -> None:
    config = yaml.safe_load(registry_config(tmp_path / "storage", "172.18.0.1:5000"))
    assert config["http"]["addr"] == "172.18.0.1:5000"
    assert config["storage"]["filesystem"]["rootdirectory"] == str(tmp_path / "storage")
    assert config["version"] == 0.1


def test_push_targets_keep_the_path_and_drop_the_host() -> None:
    assert parse_registry("registry.example.edu:5000/k8s-course/") == "registry.example.edu:5000/k8s-course"
    assert parse_registry("localhost:5001") == "localhost:5001"
    target = remote_name("gcr.io/google-samples/hello-app:1.0", "registry.example.edu/course")
    assert target == "registry.example.edu/course/google-samples/hello-app:1.0"
    with pytest.raises(InvalidInput, match="names no registry host"):
        parse_registry("myaccount")  # docker would push to Docker Hub


def test_the_manifest_is_the_same_bytes_for_the_same_image() -> None:
    layers = [("sha256:" + "a" * 64, 10), ("sha256:" + "b" * 64, 20)]
    first = oci_manifest(("sha256:" + "c" * 64, 5), layers)
    assert first == oci_manifest(("sha256:" + "c" * 64, 5), list(layers))
    manifest = json.loads(first)
    assert manifest["schemaVersion"] == 2
    assert [x["mediaType"] for x in manifest["layers"]] == [OCI_LAYER, OCI_LAYER]
    assert manifest["config"]["size"] == 5


def test_the_registry_is_built_on_demand_and_no_image_depends_on_it(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster"
    shutil.copytree(Settings().cluster_dir, cluster)
    assert "registry" not in {d for s in STEPS for d in s.uses}
    before = ImageBuilder(Settings(cluster_dir=cluster, cache_dir=tmp_path))
    assert "registry" not in {s.name for s in before.stale()}
    assert "registry" in {s.name for s in before.stale(("registry",))}
    keys = {s.name: before.key(s.name) for s in STEPS}
    (cluster / "gomod/registry/go.mod").write_text((cluster / "gomod/registry/go.mod").read_text() + "\n")
    after = ImageBuilder(Settings(cluster_dir=cluster, cache_dir=tmp_path))
    assert {s.name for s in STEPS if after.key(s.name) != keys[s.name]} == {"registry"}


@pytest.mark.parametrize(
    "args",
    [["images", "serve", "--listen", "nowhere"], ["images", "push", "myaccount"], ["up", "--mirror", "1.2.3.4"]],
)
def test_bad_addresses_fail_before_any_build(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SVCLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SVCLAB_CONFIG", str(tmp_path / "config"))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "error:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "cache").exists()
