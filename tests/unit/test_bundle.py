"""Image bundles are checked before anything is loaded: a whole bundle passes, a truncated,
changed, padded or foreign one is refused with a sentence that says which."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from svclab.cluster import bundle
from svclab.cluster.images import RUNTIME_FILES, ImageBuilder
from svclab.errors import BundleError, InvalidInput
from svclab.settings import Settings

PARTS = {bundle.IMAGE_PART: b"image layers " * 5000, **{bundle._part_name(f): f.encode() * 100 for f in RUNTIME_FILES}}


def make(
    path: Path, parts: dict[str, bytes] = PARTS, listed: dict[str, bytes] | None = None, **manifest: object
) -> str:
    """A bundle of ``parts`` whose manifest lists ``listed`` (default: the same); returns
    the manifest's sha256."""
    entries = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "mode": 0o755}
        for name, data in (parts if listed is None else listed).items()
    }
    text = json.dumps(
        {"format": 1, "node_image": {"name": "svclab/node:test", "id": "sha256:0"}, "parts": entries} | manifest
    ).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in {bundle.MANIFEST: text, **parts}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(text).hexdigest()


def test_a_whole_bundle_reads_and_verifies(tmp_path: Path) -> None:
    fingerprint = make(tmp_path / "b.tar")
    found = bundle.read(tmp_path / "b.tar")
    seen: list[int] = []
    bundle.verify(found, lambda what, done, total: seen.append(done))
    assert found.fingerprint == fingerprint and found.node_image == "svclab/node:test"
    assert seen[-1] == sum(len(d) for d in PARTS.values())  # the progress reaches the end


def test_a_truncated_bundle_is_refused(tmp_path: Path) -> None:
    make(tmp_path / "b.tar")
    data = (tmp_path / "b.tar").read_bytes()
    (tmp_path / "b.tar").write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError, match="truncated"):
        bundle.verify(bundle.read(tmp_path / "b.tar"))


def test_a_changed_part_is_refused_and_named(tmp_path: Path) -> None:
    changed = dict(PARTS, **{"bin/kubectl": b"x" + PARTS["bin/kubectl"][1:]})
    make(tmp_path / "b.tar", changed, listed=PARTS)
    with pytest.raises(BundleError, match=r"bin/kubectl in .* is not what the bundle's manifest says"):
        bundle.verify(bundle.read(tmp_path / "b.tar"))


def test_a_missing_or_unlisted_part_is_refused(tmp_path: Path) -> None:
    fewer = {k: v for k, v in PARTS.items() if k != "bin/kind"}
    make(tmp_path / "short.tar", fewer, listed=PARTS)
    with pytest.raises(BundleError, match="bin/kind missing"):
        bundle.verify(bundle.read(tmp_path / "short.tar"))
    make(tmp_path / "extra.tar", dict(PARTS, **{"bin/evil": b"#!/bin/sh"}), listed=PARTS)
    with pytest.raises(BundleError, match="does not list: bin/evil"):
        bundle.verify(bundle.read(tmp_path / "extra.tar"))


def test_other_files_are_refused_before_any_part_is_read(tmp_path: Path) -> None:
    make(tmp_path / "v2.tar", format=2)
    with pytest.raises(BundleError, match="format 2; this svclab reads format 1"):
        bundle.read(tmp_path / "v2.tar")
    (tmp_path / "notes.txt").write_text("not a bundle")
    with pytest.raises(BundleError, match="not an image bundle"):
        bundle.read(tmp_path / "notes.txt")
    with pytest.raises(InvalidInput, match="no image bundle at"):
        bundle.read(tmp_path / "missing.tar")


def test_a_bundle_of_another_svclab_is_refused_before_loading(tmp_path: Path) -> None:
    make(tmp_path / "b.tar")
    with pytest.raises(BundleError, match=r"holds svclab/node:test, but this svclab runs svclab/node:") as caught:
        bundle.import_(Settings(), tmp_path / "b.tar")
    assert caught.value.hint and "same svclab version" in caught.value.hint
    assert ImageBuilder(Settings()).node_image.startswith("svclab/node:")
