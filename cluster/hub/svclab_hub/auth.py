"""Log in with the password `svclab hub add-students` printed once.

The hub keeps no passwords: the Secret ``hub-users`` in the hub's namespace holds one
salted scrypt hash per student (svclab_hub.passwords), written by the instructor's CLI
and read at every login, so a student added a second ago can log in and a removed one
cannot. No user may log in as
another: each name has its own password (unlike a shared-password authenticator)."""

from __future__ import annotations

import asyncio
import base64

from jupyterhub.auth import Authenticator
from kubespawner.clients import load_config, shared_client
from traitlets import Unicode, default

from svclab_hub.passwords import matches

#: the Secret of the students' password hashes, and its key for a student: the name itself
USERS_SECRET = "hub-users"


class SvclabAuthenticator(Authenticator):
    """Students of `svclab hub add-students`: a password hash each, in a Secret."""

    secret = Unicode(USERS_SECRET, config=True, help="Secret of the password hashes, one key per student")
    secret_namespace = Unicode(config=True, help="its namespace (default: the hub's own)")

    @default("secret_namespace")
    def _hub_namespace(self) -> str:
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace") as f:
            return f.read().strip()

    @default("allow_all")
    def _every_student(self) -> bool:
        return True  # who may log in is who has a hash: the Secret is the class list

    async def password_hash(self, name: str) -> str | None:
        """The stored hash of a student, or None when there is no such student."""
        load_config()
        secret = await shared_client("CoreV1Api").read_namespaced_secret(self.secret, self.secret_namespace)
        value = (secret.data or {}).get(name)
        return base64.b64decode(value).decode() if value else None

    async def authenticate(self, handler: object, data: dict[str, str]) -> str | None:
        name = self.normalize_username(data.get("username", ""))
        password = data.get("password", "")
        stored = await self.password_hash(name) if name and password else None
        if stored is None or not await asyncio.to_thread(matches, password, stored):
            self.log.warning("failed login for %r", name)
            return None
        return name
