"""The one place where svclab starts other programs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import IO

from svclab.errors import CommandFailed, ToolMissing
from svclab.settings import settings

#: ``{setup}`` is how this installation prepares the host (Settings.setup_hint)
INSTALL_HINTS = {
    "docker": "{setup} (installs Debian's docker.io and starts dockerd)",
    "dockerd": "{setup} (installs Debian's docker.io and starts dockerd)",
    "mmdebstrap": "apt-get install mmdebstrap",
    "zstd": "apt-get install zstd",
    "go": "{setup}: it installs the Go the build needs into svclab's cache (or uses PATH's, if new enough)",
    "kind": "run `svclab up`: it builds kind from the pinned Go module",
    "kubectl": "run `svclab up`: it builds kubectl from the pinned Kubernetes module",
}


def install_hint(tool: str) -> str | None:
    """How to get ``tool``, for this installation (a checkout or a wheel)."""
    hint = INSTALL_HINTS.get(tool)
    return hint.format(setup=settings().setup_hint()) if hint else None


def which(tool: str, extra_path: Sequence[Path] = ()) -> str | None:
    """Find a program on svclab's own bin folders first, then on PATH."""
    for folder in extra_path:
        candidate = folder / tool
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(tool)


Arg = str | os.PathLike[str]


def run(
    cmd: Sequence[Arg],
    *,
    input: str | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion and capture its output as text.

    Raises ToolMissing when the program is absent, CommandFailed (with the
    command, exit code and stderr) when it fails and ``check`` is set."""
    argv = [str(c) for c in cmd]
    try:
        proc = subprocess.run(
            argv,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_env(env),
            cwd=cwd,
        )
    except FileNotFoundError:
        raise ToolMissing(f"{argv[0]} is not installed", install_hint(Path(argv[0]).name)) from None
    except subprocess.TimeoutExpired as exc:
        raise CommandFailed(argv, -1, f"timed out after {timeout:.0f}s\n{_text(exc.stderr)}") from None
    if check and proc.returncode != 0:
        raise CommandFailed(argv, proc.returncode, proc.stderr or proc.stdout)
    return proc


def stream(
    cmd: Sequence[Arg],
    *,
    log: Path,
    on_line: Callable[[str], None] = lambda line: None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> None:
    """Run a long command, appending everything it prints to ``log`` and handing
    each line to ``on_line`` (for progress). Raises CommandFailed with the log's tail."""
    argv = [str(c) for c in cmd]
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=_env(env),
            cwd=cwd,
        )
    except FileNotFoundError:
        raise ToolMissing(f"{argv[0]} is not installed", install_hint(Path(argv[0]).name)) from None
    assert proc.stdout is not None
    with log.open("a") as sink:
        for line in proc.stdout:
            sink.write(line)
            on_line(line.rstrip("\n"))
    if proc.wait() != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise CommandFailed(argv, proc.returncode, f"{tail}\n(full log: {log})")


def pipeline(cmds: Sequence[Sequence[Arg]], *, source: IO[bytes] | None = None, sink: IO[bytes] | None = None) -> None:
    """Run ``cmd | cmd | …`` on bytes: ``source`` feeds the first command, the last writes
    into ``sink`` (a file). Raises CommandFailed for the first command that failed."""
    with ExitStack() as stack:
        procs: list[tuple[list[str], subprocess.Popen[bytes], IO[bytes]]] = []
        for i, cmd in enumerate(cmds):
            argv = [str(c) for c in cmd]
            stdin = procs[-1][1].stdout if procs else (subprocess.PIPE if source else subprocess.DEVNULL)
            stdout = (sink or subprocess.DEVNULL) if i == len(cmds) - 1 else subprocess.PIPE
            errors = stack.enter_context(tempfile.TemporaryFile())
            try:
                proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=errors)
            except FileNotFoundError:
                raise ToolMissing(f"{argv[0]} is not installed", install_hint(Path(argv[0]).name)) from None
            if procs and procs[-1][1].stdout:
                procs[-1][1].stdout.close()  # the next command holds it now
            procs.append((argv, proc, errors))
        first = procs[0][1]
        if source is not None and first.stdin is not None:
            with suppress(BrokenPipeError), first.stdin:  # a reader that stops: its exit code says why
                shutil.copyfileobj(source, first.stdin, 1 << 20)
        codes = [proc.wait() for _, proc, _ in procs]
        for (argv, _, stderr), code in zip(procs, codes, strict=True):
            if code != 0:
                stderr.seek(0)
                raise CommandFailed(argv, code, _text(stderr.read()))


def converse(cmd: Sequence[Arg], *, log: Path, cwd: Path | None = None) -> subprocess.Popen[str]:
    """Start a long-lived program that takes requests on its stdin and answers on its stdout,
    a line each; what it prints on stderr is appended to ``log``. End it with :func:`stop`."""
    argv = [str(c) for c in cmd]
    with log.open("a") as sink:
        return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sink, text=True, cwd=cwd)


def stop(proc: subprocess.Popen[str], grace: float = 30) -> None:
    """Close a :func:`converse` program's stdin and wait for it; kill it after ``grace`` seconds."""
    if proc.stdin:
        proc.stdin.close()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


#: the servers :func:`daemon` started from this process, kept so that :func:`end` can reap them
_DAEMONS: dict[int, subprocess.Popen[bytes]] = {}


def daemon(cmd: Sequence[Arg], *, log: Path, env: Mapping[str, str] | None = None) -> int:
    """Start a server that outlives svclab's command (its own session, no terminal), appending
    what it prints to ``log``; returns its pid. End it with :func:`end`."""
    argv = [str(c) for c in cmd]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=_env(env),
                start_new_session=True,
            )
        except FileNotFoundError:
            raise ToolMissing(f"{argv[0]} is not installed", install_hint(Path(argv[0]).name)) from None
    _DAEMONS[proc.pid] = proc
    return proc.pid


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a daemon of ours that exited is reaped here)."""
    if (proc := _DAEMONS.get(pid)) is not None:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def end(pid: int, grace: float = 10) -> None:
    """Stop a server (SIGTERM, then SIGKILL after ``grace`` seconds) and wait until it is gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not alive(pid):
            break
    _DAEMONS.pop(pid, None)


def _env(extra: Mapping[str, str] | None) -> dict[str, str] | None:
    return None if extra is None else {**os.environ, **extra}


def _text(data: str | bytes | None) -> str:
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data or ""
