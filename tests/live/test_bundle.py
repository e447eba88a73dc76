"""An image bundle carries the cluster to a machine that cannot build it: export, take the
images and build stamps away, import, and `svclab up` runs with nothing built."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from svclab import runner
from svclab.cluster import bundle
from svclab.cluster.images import RUNTIME_FILES, ImageBuilder
from svclab.cluster.kind import Cluster
from svclab.errors import BundleError
from svclab.settings import settings

pytestmark = pytest.mark.live


def image_id(image: str) -> str:
    return runner.run(["docker", "image", "inspect", "--format", "{{.Id}}", image], check=False).stdout.strip()


def test_a_bundle_round_trip_starts_the_cluster_with_nothing_built(tmp_path: Path) -> None:
    s = settings()
    builder = ImageBuilder(s)
    node, node_id = builder.node_image, image_id(builder.node_image)
    made = bundle.export(s, tmp_path / "svclab-images.tar")
    assert made.manifest["node_image"] == {"name": node, "id": node_id}
    aside = tmp_path / "aside"
    moved = {s.build_dir / f: aside / bundle._part_name(f) for f in RUNTIME_FILES}
    moved[s.cache_dir / "stamps"] = aside / "stamps"
    try:  # a machine without them: the running cluster keeps the node image's layers, not its name
        for source, target in moved.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
        runner.run(["docker", "rmi", "--force", node])
        assert not builder.runnable() and image_id(node) == ""

        truncated = tmp_path / "truncated.tar"
        with made.path.open("rb") as whole, truncated.open("wb") as part:
            part.write(whole.read(made.size // 2))
        with pytest.raises(BundleError, match="truncated"):
            bundle.import_(s, truncated)
        assert not any(path.exists() for path in moved) and image_id(node) == ""  # nothing half loaded

        loaded = bundle.import_(s, made.path)
        assert loaded.fingerprint == made.fingerprint and image_id(node) == node_id
        assert builder.runnable() and builder.ensure() == []  # nothing to build
        assert (s.bin_dir / "kubectl").stat().st_mode & 0o111
        assert Cluster().up().healthy
    finally:  # leave this machine's build cache as it was
        if image_id(node) == "":
            runner.run(["docker", "tag", node_id, node])
        for source, target in moved.items():
            if target.exists():
                if source.is_dir():
                    shutil.rmtree(source)
                source.unlink(missing_ok=True)
                shutil.move(target, source)
