"""Check a password against the hash `svclab hub add-students` stored (svclab.hub.passwords):
``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``. Standard library only."""

from __future__ import annotations

import hashlib
import hmac


def matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        found = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except ValueError:  # a malformed entry is no password
        return False
    return hmac.compare_digest(found.hex(), digest)
