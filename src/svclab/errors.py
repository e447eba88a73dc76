"""The errors svclab raises. Every one carries a message for people and a hint
that says what to do next; the CLI, the notebook helpers and the widgets show
both and never a traceback.

    SvclabError
    ├── ToolMissing      a program (docker, kind, kubectl …) is not installed
    ├── CommandFailed    a subprocess exited non-zero (command, exit code, stderr)
    ├── ClusterError     the cluster is missing, unhealthy or unreachable
    │   ├── APIError     the API server refused a request (HTTP status kept)
    │   │   ├── NotFound    404: the object (or its kind) does not exist
    │   │   ├── Forbidden   401/403: the kubeconfig's user may not do this
    │   │   ├── Conflict    409: it exists already, or changed meanwhile
    │   │   └── Rejected    400/422: the object is invalid (also an InvalidInput)
    │   └── HubError     the class's JupyterHub is missing, not ready, or refused a request
    ├── BuildError       an offline image build step failed
    ├── InvalidInput     a name, port or manifest given by the user is wrong
    └── CheckFailed      a lab check found the student's work incomplete or wrong

API errors are mapped from the HTTP status in one place (svclab.k8s.api); nothing
else looks at status codes or matches error text."""

from __future__ import annotations


class SvclabError(Exception):
    """Base of every svclab error."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ToolMissing(SvclabError):
    """A program svclab needs (docker, kind, kubectl, mmdebstrap …) is not installed."""


class CommandFailed(SvclabError):
    """A subprocess exited non-zero; carries the command, exit code and stderr."""

    def __init__(self, cmd: list[str], returncode: int, stderr: str, hint: str | None = None) -> None:
        self.cmd = cmd
        self.returncode = returncode
        self.stderr = stderr
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        message = f"`{' '.join(cmd)}` exited with code {returncode}"
        super().__init__(f"{message}:\n{tail}" if tail else message, hint)


class ClusterError(SvclabError):
    """The cluster is missing, unhealthy or cannot be reached."""


class HubError(ClusterError):
    """The class's JupyterHub is not deployed, not ready, or its REST API refused a request."""


class InvalidInput(SvclabError):
    """A name, port or manifest given by the user is wrong; nothing was changed."""


class APIError(ClusterError):
    """The API server answered a request with an error; ``status`` is its HTTP status."""

    def __init__(self, message: str, hint: str | None = None, status: int = 0, reason: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.reason = reason  # the API server's own words, e.g. 'services "web" not found'


class NotFound(APIError):
    """HTTP 404: the object, its namespace or its kind (a CRD) does not exist."""


class Forbidden(APIError):
    """HTTP 401/403: the kubeconfig's user may not do this (e.g. a student's namespaced one)."""


class Conflict(APIError):
    """HTTP 409: the object exists already, or changed since it was read."""


class Rejected(APIError, InvalidInput):
    """HTTP 400/422: the API server rejected the object as invalid; nothing was changed."""


class BuildError(SvclabError):
    """An offline image build step failed."""


class BundleError(InvalidInput):
    """An image bundle that is truncated, was changed, or was made for another svclab."""


class CheckFailed(SvclabError):
    """A lab check found the student's work incomplete or wrong."""
