"""The Go the build uses: version parsing, the go.mod files' minimum, the module zip's
`h1:` hash, the checksum database's signature and inclusion proof, and an install that
either completes or leaves nothing. The last tests talk to the Go module proxy."""

from __future__ import annotations

import hashlib
import http.server
import subprocess
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from svclab.cluster import gosumdb, gotoolchain
from svclab.cluster.doctor import go_check
from svclab.cluster.gotoolchain import TOOLCHAIN, hash1, parse_version, required_version
from svclab.errors import BuildError
from svclab.settings import Settings

REPO_CLUSTER = Settings().cluster_dir

# --- versions and go.mod ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "version"),
    [("1.24", (1, 24, 0)), ("1.24.0", (1, 24, 0)), ("go1.24.13", (1, 24, 13)), ("go1.25rc1", (1, 25, -1))],
)
def test_versions_parse_and_compare(text: str, version: tuple[int, int, int]) -> None:
    assert parse_version(text) == version


def test_a_pre_release_sorts_between_its_minor_and_the_one_before() -> None:
    assert parse_version("1.24.13") < parse_version("go1.25rc1") < parse_version("1.25.0")
    with pytest.raises(ValueError):
        parse_version("devel go1.26-abcdef")


def test_the_build_needs_the_highest_go_directive(tmp_path: Path) -> None:
    for rel, line in (("a", "go 1.22"), ("b/c", "go 1.24.3"), ("d", "go 1.23.9")):
        (tmp_path / rel).mkdir(parents=True)
        (tmp_path / rel / "go.mod").write_text(f"module example.com/x\n\n{line}\n\nrequire example.com/y v1.0.0\n")
    assert required_version(tmp_path) == (1, 24, 3)
    assert required_version(REPO_CLUSTER) >= (1, 24, 0)


def test_no_go_mod_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"no go\.mod"):
        required_version(tmp_path)


def test_goproxy_is_its_first_url_and_direct_or_off_is_refused() -> None:
    assert gotoolchain.goproxy({}) == "https://proxy.golang.org"
    assert gotoolchain.goproxy({"GOPROXY": "direct|https://mirror.example/go/,off"}) == "https://mirror.example/go"
    with pytest.raises(BuildError, match="no module proxy"):
        gotoolchain.goproxy({"GOPROXY": "direct"})


def test_gosumdb_defaults_to_sum_golang_org_and_off_is_refused() -> None:
    assert gotoolchain.gosumdb_of({}) == ("sum.golang.org", gosumdb.SUM_GOLANG_ORG_KEY, "https://sum.golang.org")
    with pytest.raises(BuildError, match="needs a checksum database"):
        gotoolchain.gosumdb_of({"GOSUMDB": "off"})


# --- the h1 hash ---------------------------------------------------------------------------
TINY = {  # example.com/tiny@v0.1.0; `go mod download -json` from a file:// proxy says its Sum is:
    "example.com/tiny@v0.1.0/go.mod": "module example.com/tiny\n\ngo 1.24\n",
    "example.com/tiny@v0.1.0/tiny.go": "package tiny\n\nconst Answer = 42\n",
    "example.com/tiny@v0.1.0/LICENSE": "Public domain.\n",
    "example.com/tiny@v0.1.0/sub/doc.go": "// Package sub is empty.\npackage sub\n",
}
TINY_H1 = "h1:CuiJ+YrcfxybIIHQNW7vU5cDAIFWo05rLTHSzfuVQXc="


def write_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_h1_is_go_s_dirhash(tmp_path: Path) -> None:
    assert hash1(write_zip(tmp_path / "tiny.zip", TINY)) == TINY_H1
    tampered = {**TINY, "example.com/tiny@v0.1.0/tiny.go": "package tiny\n\nconst Answer = 43\n"}
    assert hash1(write_zip(tmp_path / "tampered.zip", tampered)) != TINY_H1


# --- the checksum database -----------------------------------------------------------------
# sum.golang.org's answer to lookup/golang.org/toolchain@v0.0.1-go1.24.13.linux-amd64
NOTE = (
    "go.sum database tree\n66327379\nxWutPmGGbpWR/1iGpo4T2OIen8osXrozOwt4QinWKyg=\n\n"
    "— sum.golang.org Az3grh7C5yhBIx4LGre+Cxy+IpZfAQbghxRv7p159h49g8+zHJS+EDmfu3UMGCrx93kygGV0LR6jZIFivT37qTUmIgM=\n"
).encode()


def test_ed25519_verifies_rfc_8032_test_1() -> None:
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert gosumdb.ed25519_verify(public, b"", signature)
    assert not gosumdb.ed25519_verify(public, b"x", signature)


def test_a_note_signed_by_sum_golang_org_opens_and_an_altered_one_does_not() -> None:
    assert gosumdb.open_note(NOTE, gosumdb.SUM_GOLANG_ORG_KEY).splitlines()[1] == b"66327379"
    with pytest.raises(BuildError, match=r"not signed by sum\.golang\.org"):
        gosumdb.open_note(NOTE.replace(b"66327379", b"66327380"), gosumdb.SUM_GOLANG_ORG_KEY)


def merkle_root(hashes: list[bytes]) -> bytes:
    """RFC 6962's tree hash, computed the plain way (no tiles)."""
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + merkle_root(hashes[:split]) + merkle_root(hashes[split:])).digest()


def test_the_inclusion_proof_from_tiles_matches_the_plain_tree_hash() -> None:
    size = 700  # level-0 tiles 000, 001 and 002.p/188; level-1 tile 000.p/2
    leaves = [gosumdb.record_hash(f"record {i}\n".encode()) for i in range(size)]
    level1 = [merkle_root(leaves[i : i + 256]) for i in range(0, size - 255, 256)]
    tiles = {
        gosumdb.tile_path(0, n, min(256, size - 256 * n)): b"".join(leaves[256 * n : 256 * n + 256]) for n in range(3)
    }
    tiles[gosumdb.tile_path(1, 0, 2)] = b"".join(level1)
    tree = gosumdb.Tree(size, lambda path: tiles[path])
    root = merkle_root(leaves)
    for index in (0, 255, 256, 511, 600, 699):
        assert tree.root_with(index, leaves[index]) == root
    assert tree.root_with(600, gosumdb.record_hash(b"forged\n")) != root
    assert gosumdb.tile_path(3, 1234067, 1) == "tile/8/3/x001/x234/067.p/1"


# --- installing, from a fake module proxy --------------------------------------------------
RELEASE = "1.24.99"
VERSION = f"v0.0.1-go{RELEASE}.linux-{gotoolchain.go_arch()}"
PREFIX = f"{TOOLCHAIN}@{VERSION}/"
FAKE_TOOLCHAIN = {PREFIX + "bin/go": "#!/bin/sh\necho go version go1.24.99\n", PREFIX + "VERSION": "go1.24.99\n"}


@pytest.fixture
def proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, bytes]]:
    """A module proxy on 127.0.0.1 serving the files of the dict it yields (a value of
    b"TRUNCATE:" + data announces twice its length and sends the data only)."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = files.get(self.path)
            if data is None:
                self.send_error(404)
                return
            short = data.startswith(b"TRUNCATE:")
            data = data.removeprefix(b"TRUNCATE:")
            self.send_response(200)
            self.send_header("Content-Length", str(2 * len(data) if short else len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("GOPROXY", f"http://127.0.0.1:{server.server_port},direct")
    files[f"/{TOOLCHAIN}/@v/list"] = f"v0.0.1-go1.24.5.linux-amd64\n{VERSION}\nv0.0.1-go1.25.1.linux-amd64\n".encode()
    yield files
    server.shutdown()


def fake_settings(tmp_path: Path) -> Settings:
    cluster = tmp_path / "cluster"
    cluster.mkdir()
    (cluster / "go.mod").write_text("module example.com/build\n\ngo 1.24.0\n")
    return Settings(cluster_dir=cluster, cache_dir=tmp_path / "cache")


def serve_toolchain(proxy: dict[str, bytes], tmp_path: Path, files: dict[str, str], truncate: bool = False) -> None:
    data = write_zip(tmp_path / "served.zip", files).read_bytes()
    proxy[f"/{TOOLCHAIN}/@v/{VERSION}.zip"] = b"TRUNCATE:" + data if truncate else data


def nothing_installed(s: Settings) -> bool:
    return list((s.cache_dir / "go").iterdir()) == []


@pytest.fixture
def recorded_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checksum database says the fake toolchain's true hash."""
    true_hash = hash1(write_zip(tmp_path / "true.zip", FAKE_TOOLCHAIN))
    monkeypatch.setattr(gotoolchain, "checksum", lambda version, proxy: true_hash)


@pytest.mark.usefixtures("recorded_hash")
def test_install_unpacks_the_newest_patch_of_the_needed_minor(
    proxy: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = fake_settings(tmp_path)
    serve_toolchain(proxy, tmp_path, FAKE_TOOLCHAIN)
    go = gotoolchain.install_go(s)
    assert go == s.cache_dir / f"go/go{RELEASE}/bin/go"
    assert go.stat().st_mode & 0o111 and (go.parent.parent / "VERSION").read_text() == "go1.24.99\n"
    assert [p.name for p in (s.cache_dir / "go").iterdir()] == [f"go{RELEASE}"]  # no temporary left
    monkeypatch.setenv("PATH", "/nonexistent")
    assert gotoolchain.find_go(s) == go
    assert str(gotoolchain.usable_go(s)).endswith("(go1.24.99, svclab's own toolchain)")


@pytest.mark.usefixtures("recorded_hash")
def test_a_tampered_toolchain_is_refused_and_nothing_installed(proxy: dict[str, bytes], tmp_path: Path) -> None:
    s = fake_settings(tmp_path)
    serve_toolchain(proxy, tmp_path, {**FAKE_TOOLCHAIN, PREFIX + "bin/go": "#!/bin/sh\necho pwned\n"})
    with pytest.raises(BuildError, match="the checksum database says h1:"):
        gotoolchain.install_go(s)
    assert nothing_installed(s)


@pytest.mark.usefixtures("recorded_hash")
def test_a_truncated_download_is_an_error_and_nothing_installed(proxy: dict[str, bytes], tmp_path: Path) -> None:
    s = fake_settings(tmp_path)
    serve_toolchain(proxy, tmp_path, FAKE_TOOLCHAIN, truncate=True)
    with pytest.raises(BuildError, match=r"stopped after \d+ of \d+ bytes") as caught:
        gotoolchain.install_go(s)
    assert "nothing was installed" in str(caught.value)
    assert nothing_installed(s)


def test_a_missing_release_is_an_error(proxy: dict[str, bytes], tmp_path: Path) -> None:
    s = fake_settings(tmp_path)
    (s.cluster_dir / "go.mod").write_text("module example.com/build\n\ngo 1.23\n")
    with pytest.raises(BuildError, match=r"lists no Go 1\.23\.x"):
        gotoolchain.install_go(s)


def test_doctor_says_which_go_and_why_an_old_one_doesnt_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "old/bin"
    old.mkdir(parents=True)
    (old / "go").write_text("#!/bin/sh\necho go1.22.3\n")
    (old / "go").chmod(0o755)
    monkeypatch.setenv("PATH", str(old))
    s = fake_settings(tmp_path)
    check = go_check(s)
    assert not check.ok
    assert f"{old}/go (go1.22.3, from PATH) is older than 1.24.0" in check.detail
    assert "the set-up installs Go 1.24.x into svclab's cache" in check.detail
    own = s.cache_dir / "go/go1.24.7/bin/go"
    own.parent.mkdir(parents=True)
    own.write_text("")
    assert go_check(s).ok and go_check(s).detail == f"{own} (go1.24.7, svclab's own toolchain)"


# --- the real thing: the Go module proxy and sum.golang.org --------------------------------
def test_a_module_zip_from_the_proxy_has_the_h1_of_the_repo_s_go_sum(tmp_path: Path) -> None:
    line = "github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4="
    assert any(line in p.read_text() for p in REPO_CLUSTER.glob("gomod/*/go.sum"))
    zip_path = tmp_path / "errors.zip"
    url = f"{gotoolchain.goproxy()}/github.com/pkg/errors/@v/v0.9.1.zip"
    with urllib.request.urlopen(url, timeout=60) as answer:
        zip_path.write_bytes(answer.read())
    assert hash1(zip_path) == line.split()[2]

    def fetch(path: str) -> bytes:
        with urllib.request.urlopen(f"{gotoolchain.goproxy()}/sumdb/sum.golang.org/{path}", timeout=60) as answer:
            return bytes(answer.read())

    assert line in gosumdb.lookup("github.com/pkg/errors", "v0.9.1", fetch)


@pytest.mark.timeout(300)
def test_install_go_installs_a_real_toolchain_that_runs(tmp_path: Path) -> None:
    s = Settings(cluster_dir=REPO_CLUSTER, cache_dir=tmp_path / "cache")
    go = gotoolchain.install_go(s)
    need = required_version(REPO_CLUSTER)
    assert go.is_relative_to(s.cache_dir / "go")
    version = subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith(f"go version go{need[0]}.{need[1]}."), version
    assert gotoolchain.install_go(s) == go  # a second call finds it installed
