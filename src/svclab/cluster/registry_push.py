"""Filling svclab's registry with the local docker images, over the registry's HTTP API (the
OCI distribution spec), from what `docker save` writes.

No `docker push`: it sends plain HTTP only to loopback addresses unless daemon.json lists the
registry as insecure, and it would gzip every layer on this machine's cores for a registry a
few hops away. The layers go up as they are saved, uncompressed (an OCI layer type containerd
and every registry know), so a layer's digest is its diff id and `docker image inspect`
tells the whole image without saving it. A blob already in the registry is not sent again (one
in another repository is mounted), and an image whose manifest is there unchanged is not even
saved: a second `svclab images serve` pushes nothing."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import shutil
import tarfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from svclab import runner
from svclab.cluster.registry import ImageRef, parse_address, parse_image
from svclab.errors import ClusterError, InvalidInput

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"

#: progress: (image, what happened: "pushed" or "unchanged", bytes sent for it)
Report = Callable[[str, str, int], None]


def oci_manifest(config: tuple[str, int], layers: list[tuple[str, int]]) -> bytes:
    """An OCI image manifest for a config and layers given as (digest, size); byte for byte
    the same for the same image, so its digest says whether the registry has it already."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config[0], "size": config[1]},
        "layers": [{"mediaType": OCI_LAYER, "digest": d, "size": s} for d, s in layers],
    }
    return json.dumps(manifest, separators=(",", ":")).encode()


def repositories(images: list[str]) -> dict[str, ImageRef]:
    """Each image's place in the registry (its path and tag, without the host); InvalidInput
    when two images would land on the same place."""
    refs = {image: parse_image(image) for image in images}
    seen: dict[tuple[str, str], str] = {}
    for image, ref in refs.items():
        if (other := seen.setdefault((ref.path, ref.tag), image)) != image:
            raise InvalidInput(f"{image} and {other} would both be {ref.path}:{ref.tag} in the registry")
    return refs


class RegistryAPI:
    """The few calls of the distribution API a push needs, over plain HTTP to one address."""

    def __init__(self, addr: str, timeout: float = 120) -> None:
        host, port = parse_address(addr)
        self.addr = addr
        self._conn = http.client.HTTPConnection(host.strip("[]"), port, timeout=timeout, blocksize=1 << 20)

    def close(self) -> None:
        self._conn.close()

    def _call(
        self, method: str, path: str, body: bytes | IO[bytes] | None = None, headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        try:
            self._conn.request(method, path, body=body, headers=headers or {})
            reply = self._conn.getresponse()
            reply.read()
        except OSError as exc:
            self._conn.close()
            raise ClusterError(
                f"the registry on {self.addr} did not answer {method} {path}: {exc}",
                hint="is it running? `svclab images serve` starts it",
            ) from None
        return reply

    def _expect(self, reply: http.client.HTTPResponse, what: str, *codes: int) -> None:
        if reply.status not in codes:
            raise ClusterError(
                f"the registry on {self.addr} refused {what}: HTTP {reply.status} {reply.reason}",
                hint="its log says why: ~/.cache/svclab/logs/registry.log",
            )

    def manifest_digest(self, repo: str, tag: str) -> str | None:
        reply = self._call("HEAD", f"/v2/{repo}/manifests/{tag}", headers={"Accept": OCI_MANIFEST})
        return reply.getheader("Docker-Content-Digest") if reply.status == 200 else None

    def has_blob(self, repo: str, digest: str) -> bool:
        return self._call("HEAD", f"/v2/{repo}/blobs/{digest}").status == 200

    def mount(self, repo: str, digest: str, source: str) -> bool:
        query = urllib.parse.urlencode({"mount": digest, "from": source})
        reply = self._call("POST", f"/v2/{repo}/blobs/uploads/?{query}", headers={"Content-Length": "0"})
        return reply.status == 201

    def upload(self, repo: str, digest: str, data: IO[bytes], size: int) -> None:
        """A monolithic upload: POST for a session, one PUT with the whole blob."""
        reply = self._call("POST", f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
        self._expect(reply, f"an upload to {repo}", 202)
        where = urllib.parse.urlsplit(reply.getheader("Location") or "")
        query = "&".join(q for q in (where.query, urllib.parse.urlencode({"digest": digest})) if q)
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        self._expect(self._call("PUT", f"{where.path}?{query}", data, headers), f"blob {digest} of {repo}", 201)

    def put_manifest(self, repo: str, tag: str, manifest: bytes) -> None:
        headers = {"Content-Type": OCI_MANIFEST, "Content-Length": str(len(manifest))}
        self._expect(self._call("PUT", f"/v2/{repo}/manifests/{tag}", manifest, headers), f"{repo}:{tag}", 201)


@dataclass
class PushResult:
    pushed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    bytes_sent: int = 0
    seconds: float = 0.0


def push_images(images: list[str], addr: str, work: Path, record: Path, report: Report) -> PushResult:
    """Push local docker images to the registry on ``addr``, each under its path without the
    host. ``record`` remembers each image's id and manifest digest, so unchanged ones are
    skipped; ``work`` holds one `docker save` at a time."""
    started = time.monotonic()
    refs = repositories(images)
    ids = runner.run(["docker", "image", "inspect", "--format", "{{.Id}}", *images]).stdout.split()
    known: dict[str, dict[str, str]] = json.loads(record.read_text()) if record.exists() else {}
    api = RegistryAPI(addr)
    result = PushResult()
    blobs: dict[str, str] = {}  # digest → a repository that has it (for mounts)
    try:
        for image, image_id in zip(images, ids, strict=True):
            ref = refs[image]
            before = known.get(image, {})
            if before.get("id") == image_id and api.manifest_digest(ref.path, ref.tag) == before.get("manifest"):
                result.unchanged.append(image)
                report(image, "unchanged", 0)
                continue
            sent, digest = _push_one(api, image, ref, work, blobs)
            known[image] = {"id": image_id, "manifest": digest}
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(json.dumps(known, indent=1))
            result.pushed.append(image)
            result.bytes_sent += sent
            report(image, "pushed", sent)
    finally:
        api.close()
        shutil.rmtree(work, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


def _push_one(api: RegistryAPI, image: str, ref: ImageRef, work: Path, blobs: dict[str, str]) -> tuple[int, str]:
    """`docker save` one image and send what the registry lacks; returns (bytes sent, manifest digest)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    tar = work / "image.tar"
    runner.run(["docker", "save", "-o", tar, image], timeout=600)
    sent = 0
    with tarfile.open(tar) as saved:
        entry = json.load(_member(saved, "manifest.json"))[0]
        config = _member(saved, entry["Config"]).read()
        diff_ids = json.loads(config)["rootfs"]["diff_ids"]
        config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
        layers: list[tuple[str, int]] = []
        for path, digest in zip(entry["Layers"], diff_ids, strict=True):
            size = saved.getmember(path).size
            layers.append((digest, size))
            if not _blob_there(api, ref.path, digest, blobs):
                api.upload(ref.path, digest, _member(saved, path), size)
                sent += size
            blobs[digest] = ref.path
        if not _blob_there(api, ref.path, config_digest, blobs):
            api.upload(ref.path, config_digest, io.BytesIO(config), len(config))
            sent += len(config)
        blobs[config_digest] = ref.path
    manifest = oci_manifest((config_digest, len(config)), layers)
    api.put_manifest(ref.path, ref.tag, manifest)
    return sent, "sha256:" + hashlib.sha256(manifest).hexdigest()


def _blob_there(api: RegistryAPI, repo: str, digest: str, blobs: dict[str, str]) -> bool:
    if api.has_blob(repo, digest):
        return True
    source = blobs.get(digest)
    return source is not None and source != repo and api.mount(repo, digest, source)


def _member(saved: tarfile.TarFile, name: str) -> IO[bytes]:
    data = saved.extractfile(name)
    if data is None:
        raise ClusterError(f"`docker save` wrote no file {name}", hint="is the image complete? `svclab build`")
    return data
