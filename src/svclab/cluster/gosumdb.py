"""A client of Go's checksum database (sum.golang.org) with the standard library only:
look a module version up, check the signed tree head's ed25519 signature against the
database's verifier key, and prove that the record is in that tree (a Merkle inclusion
proof from the log's tiles) – what `go` does before it trusts a download.

Ed25519 verification is the pure-Python reference algorithm of RFC 8032 (verification
only: no secrets, so its speed and timing do not matter; about 10 ms a signature)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from svclab.errors import BuildError

#: the verifier key `go` builds in for its default GOSUMDB (cmd/go/internal/modfetch/key.go)
SUM_GOLANG_ORG_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
TILE_HEIGHT = 8  # sum.golang.org's tiles hold 2**8 hashes
HINT = "the download or the checksum database answer was altered: try again, or another GOPROXY"

Fetch = Callable[[str], bytes]  # GET a path below the database's URL; raises on errors

# --- ed25519 (RFC 8032, section 5.1.7) -----------------------------------------------
_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T)


def _add(a: Point, b: Point) -> Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    k1, k2 = (y1 - x1) * (y2 - x2) % _P, (y1 + x1) * (y2 + x2) % _P
    k3, k4 = 2 * t1 * t2 * _D % _P, 2 * z1 * z2 % _P
    e, f, g, h = k2 - k1, k4 - k3, k4 + k3, k2 + k1
    return e * f % _P, g * h % _P, f * g % _P, e * h % _P


def _times(n: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)
    while n:
        if n & 1:
            result = _add(result, point)
        point, n = _add(point, point), n >> 1
    return result


def _decode(data: bytes) -> Point | None:
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P or (x == 0 and sign):
        return None
    if x & 1 != sign:
        x = _P - x
    return x, y, 1, x * y % _P


def _same(a: Point, b: Point) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


_BASE = _decode((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public``'s ed25519 signature of ``message``."""
    if len(public) != 32 or len(signature) != 64 or _BASE is None:
        return False
    a, r, s = _decode(public), _decode(signature[:32]), int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _L
    return _same(_times(s, _BASE), _add(r, _times(h, a)))


# --- signed notes (golang.org/x/mod/sumdb/note) ----------------------------------------
def parse_key(vkey: str) -> tuple[str, bytes, bytes]:
    """A verifier key `name+hash+base64(0x01 ‖ ed25519 key)` → (name, 4-byte key hash, key)."""
    name, key_hash, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    if (
        raw[:1] != b"\x01"
        or len(raw) != 33
        or hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() != key_hash
    ):
        raise ValueError(f"not an ed25519 verifier key: {vkey}")
    return name, bytes.fromhex(key_hash), raw[1:]


def open_note(note: bytes, vkey: str) -> bytes:
    """The text of a signed note when ``vkey`` signed it; BuildError otherwise."""
    name, key_hash, public = parse_key(vkey)
    text, _, signatures = note.rpartition(b"\n\n")
    for line in signatures.decode(errors="replace").splitlines():
        signer, _, encoded = line.removeprefix("— ").partition(" ")
        sig = base64.b64decode(encoded)
        if signer == name and sig[:4] == key_hash and ed25519_verify(public, text + b"\n", sig[4:]):
            return text + b"\n"
    raise BuildError(f"the checksum database's answer is not signed by {name}", HINT)


# --- the log: record lookup and inclusion proof (golang.org/x/mod/sumdb/tlog) ------------
def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def record_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def tile_path(level: int, index: int, width: int) -> str:
    """`tile/H/L/NNN[.p/W]`, NNN in 3-digit elements of which all but the last begin with x."""
    parts = [f"{index % 1000:03d}"]
    while index >= 1000:
        index //= 1000
        parts.insert(0, f"x{index % 1000:03d}")
    suffix = f".p/{width}" if width < 2**TILE_HEIGHT else ""
    return f"tile/{TILE_HEIGHT}/{level}/{'/'.join(parts)}{suffix}"


class Tree:
    """The hashes of a tree of ``size`` records, read from tiles as needed."""

    def __init__(self, size: int, fetch: Fetch) -> None:
        self.size, self.fetch = size, fetch
        self._tiles: dict[tuple[int, int], bytes] = {}

    def _tile(self, level: int, index: int) -> bytes:
        full = 2**TILE_HEIGHT
        width = min(full, (self.size >> (TILE_HEIGHT * level)) - index * full)
        if (level, index) not in self._tiles:
            try:
                data = self.fetch(tile_path(level, index, width))
            except OSError:  # a partial tile is gone once the tile is complete
                data = self.fetch(tile_path(level, index, full))[: width * 32]
            if len(data) != width * 32:
                raise BuildError(f"the checksum database sent a tile of {len(data)} bytes, not {width * 32}", HINT)
            self._tiles[level, index] = data
        return self._tiles[level, index]

    def subtree(self, start: int, size: int) -> bytes:
        """The hash of the complete subtree of ``size`` (a power of two) records from ``start``."""
        height = size.bit_length() - 1
        level, rest = divmod(height, TILE_HEIGHT)
        first = start >> (TILE_HEIGHT * level)  # its first hash at the tile level below it
        tile = self._tile(level, first >> TILE_HEIGHT)
        offset = first % 2**TILE_HEIGHT
        hashes = [tile[32 * i : 32 * i + 32] for i in range(offset, offset + 2**rest)]
        while len(hashes) > 1:
            hashes = [_node(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def root_with(self, index: int, leaf: bytes, start: int = 0, end: int | None = None) -> bytes:
        """The root hash of records [start, end) when record ``index`` hashes to ``leaf`` (RFC 6962)."""
        end = self.size if end is None else end
        if end - start == 1:
            return leaf
        split = 1 << ((end - start - 1).bit_length() - 1)  # the largest power of two below the size
        if index < start + split:
            return _node(self.root_with(index, leaf, start, start + split), self._hash(start + split, end))
        return _node(self.subtree(start, split), self.root_with(index, leaf, start + split, end))

    def _hash(self, start: int, end: int) -> bytes:
        size = end - start
        if size & (size - 1) == 0:
            return self.subtree(start, size)
        split = 1 << ((size - 1).bit_length() - 1)
        return _node(self.subtree(start, split), self._hash(start + split, end))


def lookup(module: str, version: str, fetch: Fetch, vkey: str = SUM_GOLANG_ORG_KEY) -> list[str]:
    """The go.sum lines of ``module@version``, authenticated: the tree head is signed by
    ``vkey`` and the record is proven to be in it. BuildError when either check fails."""
    answer = fetch(f"lookup/{module}@{version}")
    head, _, note = answer.partition(b"\n\n")
    record_id, _, text = head.partition(b"\n")
    text += b"\n"
    _, size, root = open_note(note, vkey).decode().splitlines()
    tree = Tree(int(size), fetch)
    if tree.root_with(int(record_id), record_hash(text)) != base64.b64decode(root):
        raise BuildError(f"the checksum database's record of {module}@{version} is not in its signed tree", HINT)
    return text.decode().splitlines()
