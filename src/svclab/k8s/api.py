"""The Kubernetes API, through the official Python client.

Reads and exec go through one kept-alive HTTPS connection pool per kubeconfig: a
read takes ~10 ms and an exec ~80 ms on a warm kind cluster, where a ``kubectl``
process costs 100-150 ms. Every API failure becomes an svclab error here, mapped
once from its HTTP status (:func:`error_from_status`); callers never see
``ApiException`` or urllib3 errors."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from svclab.errors import APIError, ClusterError, Conflict, Forbidden, NotFound, Rejected
from svclab.settings import Settings
from svclab.settings import settings as default_settings

T = TypeVar("T")
#: request timeout (connect, read) in seconds for every API call
TIMEOUT = (5, 30)
#: the exec websocket channel that carries the exit status (v4.channel.k8s.io)
STATUS_CHANNEL = 3
UNREACHABLE_HINT = "start it with `svclab up`; `svclab status` shows what is wrong"


@dataclass(frozen=True)
class ExecResult:
    """What a command run inside a container printed, and its exit code."""

    stdout: str
    stderr: str
    returncode: int


class Kube:
    """API clients for one kubeconfig. Use :func:`kube` to get the shared one."""

    def __init__(self, settings: Settings | None = None) -> None:
        from kubernetes import client, config

        self.settings = settings or default_settings()
        path = self.settings.kubeconfig
        if not path.exists():
            raise ClusterError(f"no kubeconfig at {path}", hint="start the cluster with `svclab up`")
        try:
            api = config.new_client_from_config(config_file=str(path))
            # exec patches its ApiClient while it runs: it gets its own, behind a lock
            exec_api = config.new_client_from_config(config_file=str(path))
        except Exception as exc:  # noqa: BLE001 – any kubeconfig problem
            raise ClusterError(f"cannot read kubeconfig {path}: {exc}", hint="recreate it with `svclab up`") from None
        self._api, self._client = api, client
        self.core = client.CoreV1Api(api)
        self.apps = client.AppsV1Api(api)
        self.discovery = client.DiscoveryV1Api(api)
        self._exec_core = client.CoreV1Api(exec_api)
        self._exec_lock = threading.Lock()

    # the API groups a lab kernel seldom needs are built on first use (each costs import time)
    @cached_property
    def custom(self) -> Any:
        return self._client.CustomObjectsApi(self._api)

    @cached_property
    def networking(self) -> Any:
        return self._client.NetworkingV1Api(self._api)

    @cached_property
    def rbac(self) -> Any:
        return self._client.RbacAuthorizationV1Api(self._api)

    @cached_property
    def authentication(self) -> Any:
        return self._client.AuthenticationV1Api(self._api)

    @cached_property
    def admission(self) -> Any:
        return self._client.AdmissionregistrationV1Api(self._api)

    @cached_property
    def coordination(self) -> Any:
        return self._client.CoordinationV1Api(self._api)

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` with a timeout; API errors become svclab errors
        that name ``what`` ("read Service web in default")."""
        with api_errors(what):
            return fn(*args, _request_timeout=TIMEOUT, **kwargs)

    def get(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Like :meth:`call` for a read of one object, but None when it does not exist."""
        try:
            return self.call(what, fn, *args, **kwargs)
        except NotFound:
            return None

    def exec(
        self, pod: str, namespace: str, argv: list[str], container: str | None = None, timeout: float = 30
    ) -> ExecResult:
        """Run ``argv`` in a running container (no shell, no tty) and wait for it."""
        from kubernetes.stream import stream

        kwargs = {"container": container} if container else {}
        with self._exec_lock, api_errors(f"exec {argv[0]} in Pod {pod} in {namespace}"):
            ws = stream(
                self._exec_core.connect_get_namespaced_pod_exec,
                pod,
                namespace,
                command=argv,
                stdout=True,
                stderr=True,
                stdin=False,
                tty=False,
                _preload_content=False,
                **kwargs,
            )
            try:
                ws.run_forever(timeout=timeout)
                if ws.is_open():
                    raise ClusterError(f"`{' '.join(argv)}` in Pod {pod} did not finish within {timeout:.0f}s")
                stdout, stderr = ws.read_stdout(), ws.read_stderr()
                returncode, message = exit_status(ws.read_channel(STATUS_CHANNEL))
                return ExecResult(stdout, stderr or message, returncode)
            finally:
                ws.close()


def exit_status(status_json: str) -> tuple[int, str]:
    """Exit code and message from exec's status channel; 127 when the command could not start."""
    try:
        status = json.loads(status_json or "{}")
    except ValueError:
        return 127, status_json
    if status.get("status", "Success") == "Success":
        return 0, ""
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause["message"]), ""
    return 127, str(status.get("message", status_json))


@contextmanager
def api_errors(what: str) -> Iterator[None]:
    """Turn API and connection failures inside the block into svclab errors."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except ApiException as exc:
        raise _from_api_exception(what, exc) from None
    except (HTTPError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ClusterError(
            f"the cluster is not reachable (cannot {what}: {type(reason).__name__})", hint=UNREACHABLE_HINT
        ) from None


def _from_api_exception(what: str, exc: Any) -> ClusterError:
    try:
        reason = json.loads(exc.body or "{}").get("message") or exc.reason
    except (ValueError, AttributeError):
        reason = exc.reason
    status = exc.status
    if status == 0:  # exec's websocket handshake: "Handshake status 404 Not Found -+-+- {...}"
        found = re.search(r"Handshake status (\d+)", str(exc.reason))
        if not found:
            return ClusterError(f"cannot {what}: {exc.reason}", hint="`svclab status` shows what is wrong")
        status = int(found.group(1))
        reason = str(exc.reason).split("-+-+-")[-1].strip()[:300]
    return error_from_status(what, status, str(reason))


def error_from_status(what: str, status: int, reason: str) -> APIError:
    """The svclab error for an API answer with HTTP ``status`` – the one place that maps them."""
    if status == 404:
        return NotFound(f"cannot {what}: not found", reason, status, reason)
    if status == 403 and "exceeded quota" in reason:
        return Forbidden(
            f"cannot {what}: it would exceed the namespace's quota ({reason})",
            "delete what you no longer need in this namespace, or ask the instructor for more",
            status,
            reason,
        )
    if status == 403 and "violates PodSecurity" in reason:
        return Forbidden(
            f"cannot {what}: the namespace's Pod Security level refuses it ({reason})",
            "pods of a course namespace run without privileges, host paths, host ports or the host's "
            "network: remove those fields",
            status,
            reason,
        )
    if status in (401, 403):
        return Forbidden(
            f"cannot {what}: your kubeconfig's user is not allowed to ({reason})",
            "it needs rights your kubeconfig does not have: ask the instructor, who holds them",
            status,
            reason,
        )
    if status == 409:
        return Conflict(
            f"cannot {what}: {reason}", "it exists already or changed meanwhile: read it again", status, reason
        )
    if status in (400, 422):
        return Rejected(f"cannot {what}: {reason}", "nothing was changed; fix the input and try again", status, reason)
    return APIError(f"cannot {what}: HTTP {status} {reason}", "`svclab status` shows what is wrong", status, reason)


_shared: dict[Path, tuple[float, Kube]] = {}
_shared_lock = threading.Lock()


def kube(settings: Settings | None = None) -> Kube:
    """The shared :class:`Kube` for svclab's kubeconfig, rebuilt when the file changes
    (`svclab up` writes a new one when it recreates the cluster)."""
    s = settings or default_settings()
    path = s.kubeconfig
    stamp = path.stat().st_mtime if path.exists() else -1.0
    with _shared_lock:
        cached = _shared.get(path)
        if cached is None or cached[0] != stamp:
            cached = (stamp, Kube(s))
            _shared[path] = cached
        return cached[1]
