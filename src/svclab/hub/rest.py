"""JupyterHub's REST API, as the instructor's CLI uses it: with the token of the hub
service ``svclab`` (roles in cluster/hub/jupyterhub_config.py), from this machine, on
the hub's node port at 127.0.0.1. Every failure becomes a HubError here."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from svclab.errors import HubError


@dataclass(frozen=True)
class Server:
    """A student's hub user and their default server."""

    name: str
    ready: bool
    pending: str | None  # "spawn", "stop" or None
    last_activity: str | None
    url: str | None


class HubAPI:
    """A few calls of ``/hub/api`` with the service token."""

    def __init__(self, base_url: str, token: str, timeout: float = 15) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = ()) -> Any:
        """The decoded JSON answer of one request; statuses in ``ok`` count as success (None)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/hub/api{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
        try:
            with opener.open(request, timeout=self.timeout) as reply:
                text = reply.read().decode()
        except urllib.error.HTTPError as exc:
            if exc.code in ok:
                return None
            detail = exc.read().decode(errors="replace")
            try:
                detail = json.loads(detail).get("message", detail)
            except (ValueError, AttributeError):
                pass
            raise HubError(
                f"the hub refused {method} {path}: {exc.code} {detail}".strip(), "`svclab hub status` shows its state"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise HubError(
                f"the hub does not answer at {self.base_url}: {getattr(exc, 'reason', exc)}",
                "start it with `svclab hub up`; `svclab hub status` says what is wrong",
            ) from None
        return json.loads(text) if text else None

    def health(self) -> bool:
        try:
            self.call("GET", "/")
            return True
        except HubError:
            return False

    def servers(self) -> list[Server]:
        return sorted((_server(u) for u in self.call("GET", "/users") or []), key=lambda s: s.name)

    def server(self, name: str) -> Server:
        return _server(self.call("GET", f"/users/{name}"))

    def add_users(self, names: list[str]) -> None:
        known = {s.name for s in self.servers()}
        if new := [n for n in names if n not in known]:
            self.call("POST", "/users", {"usernames": new})

    def start(self, name: str) -> None:
        """Ask for the student's server (202: starting, 201: started; 400: running already)."""
        self.call("POST", f"/users/{name}/server", ok=(400,))

    def stop(self, name: str) -> None:
        self.call("DELETE", f"/users/{name}/server", ok=(400, 404))


def _server(user: dict[str, Any]) -> Server:
    server = (user.get("servers") or {}).get("", {})
    pending = server.get("pending") or user.get("pending")
    return Server(user["name"], bool(server.get("ready")), pending, user.get("last_activity"), server.get("url"))
