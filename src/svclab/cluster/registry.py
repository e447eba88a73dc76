"""A registry of svclab's own, holding every image a node runs, for a second cluster on this
machine or a room of them (`svclab images serve`, `svclab up --mirror HOST:PORT`).

It is distribution's `registry`, built from its Go module like every other component, run as a
host process rather than a container (there is no image of it to pull, and it outlives the
clusters it serves). It listens on one address only: by default the IPv4 gateway of kind's
docker network, an address of this machine that every kind node reaches and nothing outside
it does; in a room, `--listen` names this machine's address on the room's network instead.
Never 0.0.0.0.

svclab fills it itself, over the registry's HTTP API (svclab.cluster.registry_push), because
`docker push` sends plain HTTP only to loopback registries unless daemon.json lists the
address as insecure. Each image is stored under its path without the registry host: the nodes'
containerd asks a mirror for `/v2/google-samples/hello-app/manifests/1.0` when it wants
`gcr.io/google-samples/hello-app:1.0`, so docker.io, gcr.io, registry.k8s.io and quay.io all
mirror to the one registry (containerd_mirror_patch)."""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from svclab import runner
from svclab.errors import ClusterError, CommandFailed, InvalidInput
from svclab.poll import poll
from svclab.settings import Settings

DEFAULT_PORT = 5000
#: the upstream registries of the course's images, each mirrored to svclab's registry
MIRRORED = ("docker.io", "gcr.io", "registry.k8s.io", "quay.io")


@dataclass(frozen=True)
class ImageRef:
    """An image name split the way a registry sees it: ``host/path:tag``."""

    host: str
    path: str
    tag: str

    def __str__(self) -> str:
        return f"{self.host}/{self.path}:{self.tag}"


def parse_image(image: str) -> ImageRef:
    """``gcr.io/google-samples/hello-app:1.0`` → (gcr.io, google-samples/hello-app, 1.0); a
    name without a registry host is Docker Hub's (``busybox`` → docker.io, library/busybox)."""
    if "@" in image:
        raise InvalidInput(f"{image}: images are pushed by tag, not by digest", "name the image with a tag")
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, remainder = first, rest
    else:
        host, remainder = "docker.io", image
    name, _, tag = remainder.rpartition(":") if ":" in remainder.rsplit("/", 1)[-1] else (remainder, "", "latest")
    if host == "docker.io" and "/" not in name:
        name = f"library/{name}"
    if not re.fullmatch(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*", name) or not re.fullmatch(r"[\w][\w.-]{0,127}", tag):
        raise InvalidInput(f"{image!r} is not an image name", "e.g. gcr.io/google-samples/hello-app:1.0")
    return ImageRef(host, name, tag)


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (an IPv6 host in brackets) → (host, port); else InvalidInput."""
    match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})", text.strip())
    if not match or not 0 < int(match.group(2)) < 65536:
        raise InvalidInput(f"{text!r} is not HOST:PORT", f"e.g. 172.18.0.1:{DEFAULT_PORT}")
    return match.group(1), int(match.group(2))


def containerd_mirror_patch(mirror: str) -> str:
    """A containerd 1.6 config patch (kind's ``containerdConfigPatches``) that sends the pulls
    of every MIRRORED registry to ``http://HOST:PORT`` first (containerd falls back to the
    registry itself when the mirror lacks an image)."""
    host, port = parse_address(mirror)
    lines = []
    for upstream in MIRRORED:
        lines.append(f'[plugins."io.containerd.grpc.v1.cri".registry.mirrors."{upstream}"]')
        lines.append(f'  endpoint = ["http://{host}:{port}"]')
    return "\n".join(lines) + "\n"


def registry_config(storage: Path, addr: str, secret: str = "") -> str:
    """distribution's config: images under ``storage``, HTTP on ``addr`` only, one access-log
    line per request, no health checker polling the disk; ``secret`` signs upload state."""
    config = {
        "version": 0.1,
        "log": {"level": "warn", "formatter": "text", "fields": {"service": "registry"}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage)},
            "cache": {"blobdescriptor": "inmemory"},
            "delete": {"enabled": True},
        },
        "http": {"addr": addr, "secret": secret, "headers": {"X-Content-Type-Options": ["nosniff"]}},
    }
    return yaml.safe_dump(config, sort_keys=False)


def kind_gateway(network: str = "kind") -> str:
    """The IPv4 gateway of kind's docker network: this machine, as every kind node sees it."""
    try:
        data = json.loads(runner.run(["docker", "network", "inspect", network]).stdout)[0]
    except CommandFailed:
        raise ClusterError(
            f"docker has no network {network!r}, where kind's nodes would reach the registry",
            hint="`svclab up` creates it with the first cluster; or pass --listen with an address of this machine",
        ) from None
    for c in data["IPAM"]["Config"]:
        if c.get("Gateway") and ipaddress.ip_address(c["Gateway"]).version == 4:
            return str(c["Gateway"])
    raise ClusterError(f"docker's network {network!r} has no IPv4 gateway", hint="pass --listen ADDR:PORT")


class Registry:
    """The registry process: its config, storage and log under svclab's cache, its pid and
    address in ``registry/state.json``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.cache_dir / "registry"
        self.log = settings.log_dir / "registry.log"

    @property
    def binary(self) -> Path:
        return self.settings.build_dir / "registry/registry"

    @property
    def _state_file(self) -> Path:
        return self.root / "state.json"

    def running(self) -> str | None:
        """The address of the registry svclab started, if it still runs."""
        if not self._state_file.exists():
            return None
        state = json.loads(self._state_file.read_text())
        pid = int(state["pid"])
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            cmdline = ""
        if runner.alive(pid) and cmdline == str(self.binary):
            return str(state["addr"])
        self._state_file.unlink(missing_ok=True)
        return None

    def start(self, listen: str | None = None) -> str:
        """Start the registry on ``listen`` (HOST:PORT; default: kind's gateway, port 5000) and
        return its address once it answers; one already running there is kept."""
        if listen is None:
            listen = f"{kind_gateway()}:{DEFAULT_PORT}"
        parse_address(listen)
        current = self.running()
        if current == listen:
            return listen
        if current is not None:
            self.stop()
        if not self.binary.is_file():
            raise ClusterError("the registry is not built yet", hint="`svclab images serve` builds it")
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(registry_config(self.root / "storage", listen, secrets.token_hex(16)))
        config.chmod(0o600)
        # distribution sends traces to an OTLP collector on localhost unless told not to
        env = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}
        mark = self.log.stat().st_size if self.log.exists() else 0
        pid = runner.daemon([self.binary, "serve", config], log=self.log, env=env)
        self._state_file.write_text(json.dumps({"pid": pid, "addr": listen}))

        def answer() -> bool | None:
            if not runner.alive(pid):
                return False
            return True if answering(listen) else None

        if not poll(answer, timeout=30, every=0.2, until=lambda result: result is not None):
            self._state_file.unlink(missing_ok=True)
            runner.end(pid)
            said = self.log.read_bytes()[mark:].decode(errors="replace").strip().splitlines()[-3:]
            raise ClusterError(
                f"the registry did not start on {listen}: " + "\n".join(_message(line) for line in said),
                hint=f"is {listen.rsplit(':', 1)[0]} an address of this machine, and the port free? (log: {self.log})",
            )
        return listen

    def stop(self) -> bool:
        """Stop the registry svclab started; False when none was running. Its images stay."""
        if self.running() is None:
            return False
        runner.end(int(json.loads(self._state_file.read_text())["pid"]))
        self._state_file.unlink(missing_ok=True)
        return True


def _message(line: str) -> str:
    """The ``msg`` of a logrus line of the registry's log (the line itself if it has none)."""
    found = re.search(r'msg="((?:[^"\\]|\\.)*)"', line)
    return found.group(1) if found else line


def answering(addr: str, timeout: float = 2) -> bool:
    """Whether a registry answers ``GET /v2/`` on ``addr`` (HOST:PORT)."""
    host, port = parse_address(addr)
    conn = http.client.HTTPConnection(host.strip("[]"), port, timeout=timeout)
    try:
        conn.request("GET", "/v2/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def parse_registry(text: str) -> str:
    """``HOST[:PORT][/PREFIX]`` of a registry to push to; the host must look like one (a dot, a
    port or `localhost`), else docker would take it for a Docker Hub account."""
    host, _, prefix = text.strip().rstrip("/").partition("/")
    if not re.fullmatch(
        r"(localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+:\d+)(:\d+)?", host
    ):
        raise InvalidInput(f"{text!r} names no registry host", "e.g. registry.example.edu:5000/k8s-course")
    if prefix and not re.fullmatch(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*", prefix):
        raise InvalidInput(f"{prefix!r} is not a repository prefix", "lower-case letters, digits, . _ - and /")
    return f"{host}/{prefix}" if prefix else host


def remote_name(image: str, registry: str) -> str:
    """Where `svclab images push REGISTRY` puts an image: REGISTRY/PATH:TAG, its path without
    the original host (what a containerd mirror of that host asks for)."""
    ref = parse_image(image)
    return f"{registry}/{ref.path}:{ref.tag}"


def docker_push(images: list[str], registry: str, report: Callable[[str, str], None]) -> None:
    """Push images to another registry with docker, which has its TLS trust and `docker login`
    credentials; the extra tag each one gets for the push is removed afterwards."""
    for image in images:
        target = remote_name(image, registry)
        runner.run(["docker", "tag", image, target])
        try:
            runner.run(["docker", "push", "--quiet", target], timeout=1800)
        except CommandFailed as exc:
            raise ClusterError(
                f"docker could not push {target}:\n{exc.stderr.strip()}",
                hint=f"`docker login {registry.split('/')[0]}` if it needs credentials; a registry on plain HTTP "
                "must be in insecure-registries of /etc/docker/daemon.json (loopback ones need not)",
            ) from None
        finally:
            runner.run(["docker", "rmi", target], check=False)
        report(image, target)
