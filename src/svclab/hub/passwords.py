"""Students' hub passwords: made here, shown once, stored only as a salted scrypt hash.

The format, ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``, is what the hub's authenticator
(cluster/hub/svclab_hub/passwords.py) checks; both use only the standard library."""

from __future__ import annotations

import hashlib
import secrets

N, R, P = 2**14, 8, 1


def new_password() -> str:
    """A password a student can type: 12 characters of letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479"  # nothing that reads as another
    return "".join(secrets.choice(alphabet) for _ in range(12))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"
