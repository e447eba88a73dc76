"""An image bundle: what `svclab up` needs to start the cluster on a machine with no Go, no
Debian mirror and no registry, in one verified file – for a classroom without internet.

The bundle is a plain tar: ``manifest.json`` first (versions, the node image and its ID, the
sha256 and size of every other part), then the node image as ``docker save`` output compressed
with zstd, then the runtime files (kind, kubectl, MetalLB's manifest, svclab-runc). Import
checks every part against the manifest before it loads anything, and puts files in place only
once the image is loaded: a truncated or tampered bundle changes nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from svclab import runner
from svclab.cluster.images import RUNTIME_FILES, STEPS, ImageBuilder
from svclab.errors import BundleError, InvalidInput, ToolMissing
from svclab.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
IMAGE_PART = "images/node.tar.zst"
#: progress callback: (what is being done, bytes done, bytes in all)
Progress = Callable[[str, int, int], None]
CHUNK = 1 << 20


def _quiet(what: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class Bundle:
    """What a bundle holds, as its manifest says; ``fingerprint`` is the manifest's sha256
    (compare it with the one printed at export to know it is the instructor's bundle)."""

    path: Path
    manifest: dict[str, Any]
    fingerprint: str

    @property
    def node_image(self) -> str:
        return str(self.manifest["node_image"]["name"])

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def _part_name(runtime_file: str) -> str:
    """``../bin/kind`` → ``bin/kind``; ``metallb/x.yaml`` → ``build/metallb/x.yaml``."""
    return os.path.normpath(f"build/{runtime_file}")


def _hash(
    stream: IO[bytes], report: Progress = _quiet, what: str = "", start: int = 0, total: int = 0
) -> tuple[str, int]:
    """The sha256 and size of what ``stream`` holds, reporting progress as ``start`` + bytes read."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        report(what, start + size, total)
    return digest.hexdigest(), size


def _part(path: Path, report: Progress, name: str) -> dict[str, Any]:
    """A part's manifest entry: sha256, size and (files but the image) mode."""
    with path.open("rb") as f:
        sha256, size = _hash(f, report, f"hashing {name}", total=path.stat().st_size)
    return {"sha256": sha256, "size": size} | ({"mode": path.stat().st_mode & 0o777} if name != IMAGE_PART else {})


def _zstd() -> str:
    found = runner.which("zstd")
    if found is None:
        raise ToolMissing("image bundles are compressed with zstd, which is not installed", runner.install_hint("zstd"))
    return found


def export(settings: Settings, target: Path, report: Progress = _quiet) -> Bundle:
    """Write the bundle of the images this svclab runs to ``target`` (atomically)."""
    builder = ImageBuilder(settings)
    if not builder.runnable():
        raise InvalidInput(
            "there is nothing to export yet: the node image or a runtime file is missing",
            hint="build them first with `svclab build` (or `svclab up`)",
        )
    zstd = _zstd()
    node = builder.node_image
    image_id = runner.run(["docker", "image", "inspect", "--format", "{{.Id}}", node]).stdout.strip()
    target = target.expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".svclab-bundle-") as work:
        image_file = Path(work) / "node.tar.zst"
        report(f"saving {node}", 0, 0)
        with image_file.open("wb") as out:
            runner.pipeline([["docker", "save", node], [zstd, "-q", "-T0", "-3"]], sink=out)
        files = {IMAGE_PART: image_file} | {_part_name(f): settings.build_dir / f for f in RUNTIME_FILES}
        parts = {name: _part(path, report, name) for name, path in files.items()}
        manifest = {
            "format": FORMAT,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "kubernetes": settings.kubernetes_version,
            "node_image": {"name": node, "id": image_id},
            "keys": {step.name: builder.key(step.name) for step in STEPS},
            "parts": parts,
        }
        text = json.dumps(manifest, indent=2).encode()
        partial = Path(work) / "bundle.tar"
        total, done = sum(p["size"] for p in parts.values()), 0
        with tarfile.open(partial, "w", dereference=True) as tar:  # files, never links
            _add_bytes(tar, MANIFEST, text)
            for name, path in files.items():
                tar.add(path, arcname=name, recursive=False)
                done += parts[name]["size"]
                report("writing the bundle", done, total)
        os.replace(partial, target)
    return Bundle(target, manifest, hashlib.sha256(text).hexdigest())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
    tar.addfile(info, io.BytesIO(data))


@contextmanager
def _opened(path: Path) -> Iterator[tarfile.TarFile]:
    if not path.is_file():
        raise InvalidInput(f"no image bundle at {path}", hint="give the path of a file made by `svclab images export`")
    try:
        with tarfile.open(path, "r:") as tar:
            yield tar
    except (tarfile.TarError, EOFError) as exc:
        raise BundleError(f"{path} is truncated or is not an image bundle ({exc})") from None


def read(path: Path) -> Bundle:
    """The bundle's manifest, read and checked for form (not yet its parts)."""
    path = path.expanduser().resolve()
    with _opened(path) as tar:
        first = tar.next()
        if first is None or first.name != MANIFEST:
            raise BundleError(f"{path} is not an svclab image bundle: it does not start with {MANIFEST}")
        text = _member(tar, first).read()
    try:
        manifest = json.loads(text)
        parts = manifest["parts"]
        manifest["node_image"]["name"]
    except (ValueError, KeyError, TypeError):
        raise BundleError(f"the manifest of {path} is damaged") from None
    if manifest.get("format") != FORMAT:
        raise BundleError(f"{path} has bundle format {manifest.get('format')}; this svclab reads format {FORMAT}")
    if set(parts) != {IMAGE_PART, *map(_part_name, RUNTIME_FILES)}:
        raise BundleError(f"{path} does not hold the parts an image bundle holds: {sorted(parts)}")
    return Bundle(path, manifest, hashlib.sha256(text).hexdigest())


def _member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> IO[bytes]:
    handle = tar.extractfile(info)
    if handle is None:
        raise BundleError(f"{info.name} in the bundle is not a file")
    return handle


def verify(bundle: Bundle, report: Progress = _quiet) -> None:
    """Every part present once, with the size and sha256 the manifest gives."""
    parts: dict[str, dict[str, Any]] = bundle.manifest["parts"]
    total, done, seen = sum(int(p["size"]) for p in parts.values()), 0, set()
    with _opened(bundle.path) as tar:
        for info in tar:
            if info.name == MANIFEST:
                continue
            want = parts.get(info.name)
            if want is None or info.name in seen or not info.isfile():
                raise BundleError(f"{bundle.path} holds a part its manifest does not list: {info.name}")
            seen.add(info.name)
            sha256, size = _hash(_member(tar, info), report, "verifying", done, total)
            if size != want["size"] or sha256 != want["sha256"]:
                raise BundleError(
                    f"{info.name} in {bundle.path} is not what the bundle's manifest says "
                    f"({size} bytes, expected {want['size']}): the file is truncated or was changed"
                )
            done += size
    missing = sorted(set(parts) - seen)
    if missing:
        raise BundleError(f"{bundle.path} is truncated: {', '.join(missing)} missing")


def import_(settings: Settings, path: Path, report: Progress = _quiet) -> Bundle:
    """Verify the bundle, load its node image into Docker, then put its files in place."""
    bundle = read(path)
    expected = ImageBuilder(settings).node_image
    if bundle.node_image != expected:
        raise BundleError(
            f"this bundle holds {bundle.node_image}, but this svclab runs {expected}",
            hint="export the bundle with the same svclab version as the one installed here",
        )
    verify(bundle, report)
    zstd = _zstd()
    staged = settings.cache_dir / ".import"
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    try:
        with _opened(bundle.path) as tar:
            for info in tar:
                if info.name == IMAGE_PART:
                    report(f"loading {bundle.node_image}", 0, 0)
                    runner.pipeline([[zstd, "-q", "-d", "-c"], ["docker", "load", "-q"]], source=_member(tar, info))
                elif info.name != MANIFEST:
                    tar.extract(info, staged, set_attrs=False, filter="data")
        loaded = runner.run(["docker", "image", "inspect", "--format", "{{.Id}}", bundle.node_image], check=False)
        if loaded.stdout.strip() != bundle.manifest["node_image"]["id"]:
            raise BundleError(f"docker did not load {bundle.node_image} with the ID the bundle gives")
        for name, part in bundle.manifest["parts"].items():
            if name == IMAGE_PART:
                continue
            source, target = staged / name, settings.cache_dir / name
            source.chmod(int(part["mode"]))
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return bundle
