"""The Go that builds svclab's images: a Go on PATH when it is new enough, else one svclab
installs into its own cache – never into /usr/local/go, never over a system Go.

The build needs the highest `go` directive of the go.mod files under cluster/. Which
release to install: the newest 1.N.x the module proxy lists for that minor. Patch releases
carry fixes only, so this follows the go.mod files without a version to bump by hand;
once installed it stays (svclab's cache, `go/go1.N.x/`) and is used before any other.

The download is the Go module proxy's `golang.org/toolchain` module, as `go` itself fetches
toolchains (GOPROXY's first URL, default proxy.golang.org). Before anything is unpacked its
`h1:` hash must equal the checksum database's (GOSUMDB, default sum.golang.org, reached
through the proxy when the proxy offers it): the database's tree head signature and the
record's inclusion proof are checked as `go` checks them (svclab.cluster.gosumdb)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import platform
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from svclab import runner
from svclab.cluster import gosumdb
from svclab.errors import BuildError, SvclabError
from svclab.settings import Settings, settings

TOOLCHAIN = "golang.org/toolchain"
DEFAULT_PROXY = "https://proxy.golang.org"
ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "armv6l"}
Version = tuple[int, int, int]  # (1, 24, 13); a pre-release (1.25rc1) has patch -1


def parse_version(text: str) -> Version:
    """`1.24`, `1.24.0`, `go1.24.13`, `go1.25rc1` → a comparable (major, minor, patch)."""
    words = text.split()
    match = re.fullmatch(r"(?:go)?(\d+)\.(\d+)(?:\.(\d+))?((?:rc|beta)\d+)?", words[0] if words else "")
    if not match:
        raise ValueError(f"not a Go version: {text!r}")
    major, minor, patch, pre = match.groups()
    return int(major), int(minor), -1 if pre else int(patch or 0)


def version_text(version: Version) -> str:
    return ".".join(map(str, version))


def required_version(cluster_dir: Path) -> Version:
    """The highest `go` directive of the go.mod files under ``cluster_dir``."""
    found = [
        parse_version(m.group(1))
        for mod in cluster_dir.rglob("go.mod")
        if (m := re.search(r"^go\s+(\S+)", mod.read_text(), re.MULTILINE))
    ]
    if not found:
        raise BuildError(f"no go.mod with a `go` line under {cluster_dir}", "is SVCLAB_CLUSTER_DIR right?")
    return max(found)


@dataclass(frozen=True)
class Go:
    """A `go` program: where, which release, and whether it is svclab's own toolchain."""

    path: Path
    version: Version
    own: bool

    def __str__(self) -> str:
        source = "svclab's own toolchain" if self.own else "from PATH"
        return f"{self.path} (go{version_text(self.version)}, {source})"


def toolchains_dir(s: Settings) -> Path:
    return s.cache_dir / "go"


def found_gos(s: Settings | None = None) -> list[Go]:
    """svclab's own toolchains (newest first), then the `go` on PATH – new enough or not."""
    s = s or settings()
    gos = []
    for root in toolchains_dir(s).glob("go1.*"):
        try:
            if (root / "bin/go").is_file():
                gos.append(Go(root / "bin/go", parse_version(root.name), own=True))
        except ValueError:
            continue
    gos.sort(key=lambda g: g.version, reverse=True)
    on_path = shutil.which("go")
    if on_path and (version := _version_of(Path(on_path))):
        gos.append(Go(Path(on_path), version, own=False))
    return gos


def usable_go(s: Settings | None = None) -> Go | None:
    s = s or settings()
    need = required_version(s.cluster_dir)
    return next((g for g in found_gos(s) if g.version >= need), None)


def find_go(s: Settings | None = None) -> Path | None:
    """The `go` the build uses: svclab's own toolchain first, then PATH's; None when neither is new enough."""
    go = usable_go(s)
    return go.path if go else None


def _version_of(go: Path) -> Version | None:
    # GOTOOLCHAIN=local: report this go's own release, never switch to (or fetch) another
    result = runner.run([go, "env", "GOVERSION"], env={"GOTOOLCHAIN": "local"}, cwd=Path("/"), timeout=60, check=False)
    try:
        return parse_version(result.stdout) if result.returncode == 0 else None
    except ValueError:
        return None


# --- installing ----------------------------------------------------------------------------
def goproxy(env: Mapping[str, str] = os.environ) -> str:
    """GOPROXY's first entry that is a URL (entries are separated by `,` or `|`)."""
    value = env.get("GOPROXY") or DEFAULT_PROXY
    urls = [e for e in re.split(r"[,|]", value) if "://" in e]
    if not urls:
        raise BuildError(
            f"GOPROXY={value} names no module proxy: svclab installs Go only from one",
            f"set GOPROXY={DEFAULT_PROXY}, or put a Go new enough for cluster/'s go.mod files on PATH",
        )
    return urls[0].rstrip("/")


def gosumdb_of(env: Mapping[str, str] = os.environ) -> tuple[str, str, str]:
    """GOSUMDB as (name, verifier key, URL); `off` is refused: svclab never installs Go unverified."""
    value = env.get("GOSUMDB") or "sum.golang.org"
    words = value.split()
    if words[0] == "sum.golang.org":
        vkey = gosumdb.SUM_GOLANG_ORG_KEY
    elif words[0].count("+") >= 2:
        vkey = words[0]
    else:
        raise BuildError(f"GOSUMDB={value}: svclab needs a checksum database to verify Go", "unset GOSUMDB")
    name = vkey.split("+")[0]
    return name, vkey, (words[1] if len(words) > 1 else f"https://{name}").rstrip("/")


def go_arch() -> str:
    machine = platform.machine().lower()
    if machine not in ARCHES:
        raise BuildError(f"no Go toolchain for this machine ({machine})", "install Go for it on PATH by hand")
    return ARCHES[machine]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as answer:
        data: bytes = answer.read()
        return data


def newest_release(proxy: str, need: Version, arch: str) -> Version:
    """The newest 1.N.x (N: the needed minor, x ≥ the needed patch) the proxy has for linux-``arch``."""
    listed = _get(f"{proxy}/{TOOLCHAIN}/@v/list").decode().split()
    pattern = re.compile(rf"v0\.0\.1-go{need[0]}\.{need[1]}\.(\d+)\.linux-{arch}")
    patches = [int(m.group(1)) for v in listed if (m := pattern.fullmatch(v)) and int(m.group(1)) >= need[2]]
    if not patches:
        raise BuildError(f"{proxy} lists no Go {need[0]}.{need[1]}.x for linux-{arch}", "try another GOPROXY")
    return need[0], need[1], max(patches)


def module_version(release: Version, arch: str) -> str:
    return f"v0.0.1-go{version_text(release)}.linux-{arch}"


def checksum(module_version: str, proxy: str) -> str:
    """The `h1:` hash the checksum database records for the toolchain module, authenticated."""
    name, vkey, direct = gosumdb_of()
    try:
        _get(f"{proxy}/sumdb/{name}/supported")
        base = f"{proxy}/sumdb/{name}"
    except OSError:
        base = direct
    lines = gosumdb.lookup(TOOLCHAIN, module_version, lambda path: _get(f"{base}/{path}"), vkey)
    for line in lines:
        module, version, h1 = line.split()
        if (module, version) == (TOOLCHAIN, module_version):
            return h1
    raise BuildError(f"the checksum database has no hash for {TOOLCHAIN}@{module_version}", gosumdb.HINT)


def hash1(zip_path: Path) -> str:
    """Go's dirhash Hash1 of a module zip: sha256 over the sorted lines "sha256hex  name\\n"."""
    lines = []
    with zipfile.ZipFile(zip_path) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if "\n" in info.filename:
                raise BuildError(f"{zip_path.name} holds a file name with a newline", gosumdb.HINT)
            digest = hashlib.sha256()
            with archive.open(info) as member:
                while chunk := member.read(1 << 20):
                    digest.update(chunk)
            lines.append(f"{digest.hexdigest()}  {info.filename}\n")
    return "h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode()


def download(url: str, dest: Path, title: str) -> None:
    """Stream ``url`` into ``dest`` with a progress bar (on stderr, when it is a terminal)."""
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with urllib.request.urlopen(url, timeout=60) as answer, dest.open("wb") as sink:
        size = int(answer.headers.get("Content-Length") or 0) or None
        if not console.is_terminal:
            line = f"{title} ({(size or 0) / 1e6:.0f} MB) from {url}"
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        with Progress(*columns, console=console, disable=not console.is_terminal, transient=True) as bar:
            task = bar.add_task(title, total=size)
            try:
                while chunk := answer.read(1 << 20):
                    sink.write(chunk)
                    bar.advance(task, len(chunk))
            except http.client.IncompleteRead as short:  # the connection ended early
                sink.write(short.partial)
    got = dest.stat().st_size
    if size is not None and got != size:
        raise BuildError(
            f"the download of {url} stopped after {got} of {size} bytes",
            f"nothing was installed: {settings().setup_hint()} again",
        )


def unpack(zip_path: Path, prefix: str, dest: Path) -> None:
    """Extract the module zip's files below ``prefix`` into ``dest``; bin/ and pkg/tool/ executable."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            rel = info.filename.removeprefix(prefix)
            if rel == info.filename or not rel or rel.startswith("/") or ".." in rel.split("/"):
                raise BuildError(f"{zip_path.name} holds an unexpected file: {info.filename}", gosumdb.HINT)
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as member, target.open("wb") as sink:
                shutil.copyfileobj(member, sink, 1 << 20)
            target.chmod(0o755 if rel.startswith(("bin/", "pkg/tool/")) else 0o644)


def install_go(s: Settings | None = None) -> Path:
    """Download, verify and unpack the Go the build needs into svclab's cache; its `go` binary.

    A failed download or a hash that does not match raises BuildError and leaves nothing."""
    s = s or settings()
    proxy, arch = goproxy(), go_arch()
    try:
        release = newest_release(proxy, required_version(s.cluster_dir), arch)
        target = toolchains_dir(s) / f"go{version_text(release)}"
        if (target / "bin/go").is_file():
            return target / "bin/go"
        version = module_version(release, arch)
        toolchains_dir(s).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=toolchains_dir(s), prefix=".install-") as tmp:
            archive = Path(tmp) / "toolchain.zip"
            download(f"{proxy}/{TOOLCHAIN}/@v/{version}.zip", archive, f"Go {version_text(release)}")
            expected, actual = checksum(version, proxy), hash1(archive)
            if actual != expected:
                raise BuildError(
                    f"the Go {version_text(release)} download has hash {actual}, the checksum database says {expected}",
                    gosumdb.HINT,
                )
            unpack(archive, f"{TOOLCHAIN}@{version}/", Path(tmp) / "go")
            try:
                (Path(tmp) / "go").rename(target)
            except OSError:  # another setup installed it meanwhile
                if not (target / "bin/go").is_file():
                    raise
    except zipfile.BadZipFile as exc:
        raise BuildError(f"the Go download is not a whole zip ({exc})", "nothing was installed: try again") from None
    except (OSError, http.client.HTTPException) as exc:
        what = f"{exc.code} {exc.reason} from {exc.url}" if isinstance(exc, urllib.error.HTTPError) else exc
        raise BuildError(f"installing Go failed: {what}", f"check the network and GOPROXY ({proxy})") from None
    return target / "bin/go"


def main() -> int:
    """Print the path of a usable `go`, installing svclab's own toolchain when there is none."""
    try:
        go = find_go() or install_go()
    except SvclabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(go)
    return 0


if __name__ == "__main__":
    sys.exit(main())
