"""The errors svclab raises. Every one carries a message for people and a hint
that says what to do next; the CLI and the notebook helpers show both and never
a traceback."""

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


class BuildError(SvclabError):
    """An offline image build step failed."""


class InvalidInput(SvclabError):
    """A name, port or manifest given by the user is wrong; nothing was changed."""


class CheckFailed(SvclabError):
    """A lab check found the student's work incomplete or wrong."""
