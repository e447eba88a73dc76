"""IPython integration, shared by labs and lectures: the `%%apply` cell magic, short,
readable errors (message and hint) instead of tracebacks, and a memory of the kubectl
commands the API server refused (so a check can say why the object it looks for is missing)."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Callable
from typing import Any

from svclab import runner
from svclab.constants import ENVIRONMENT_MARKER
from svclab.errors import CommandFailed, SvclabError, ToolMissing

#: kubectl verbs that change the cluster and return at once (their output is captured)
CHANGING = frozenset({"apply", "create", "expose", "patch", "label", "annotate", "set", "scale", "delete", "run"})
_SHELL = re.compile(r"[|;&$()<>`\n]")
_refused: list[str] = []
#: what kubectl says when the API server, not the command, failed
_UNREACHABLE = re.compile(
    r"Unable to connect to the server|The connection to the server .* was refused|"
    r"the server is currently unable to handle|TLS handshake timeout|i/o timeout|context deadline exceeded"
)


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def register_apply(apply_manifest: Callable[[str], object]) -> None:
    """Make `%%apply` cells call ``apply_manifest(cell text)``, and show svclab errors briefly."""
    shell = _ipython()
    if shell is None:
        return

    def apply(line: str, cell: str) -> None:
        apply_manifest(cell)

    shell.register_magic_function(apply, magic_kind="cell", magic_name="apply")
    show_errors_briefly()


def show_errors_briefly() -> None:
    """In IPython, show every svclab error as its message and hint, not a traceback."""
    shell = _ipython()
    if shell is not None:
        shell.set_custom_exc((SvclabError,), _show_error)


def _show_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> list[str]:
    """Show `error: message` and `hint: …` as the cell's error output, no traceback."""
    assert isinstance(value, SvclabError)
    lines = [f"\x1b[1;31m{etype.__name__}\x1b[0m: {value.message}"]
    if value.hint:
        lines.append(f"\x1b[33mhint\x1b[0m: {value.hint}")
    shell._showtraceback(etype, value, lines)
    return lines


def refused() -> tuple[str, ...]:
    """``command: what kubectl said`` for each refused command of this kernel, newest last."""
    return tuple(_refused)


def note_refused(command: str, said: str) -> None:
    """Remember a refused command; one the cluster failed (no answer) marks the output unfit."""
    lines = [line for line in said.strip().splitlines() if line.strip()]
    # a client-side refusal's reason is its "error:" line, not the usage hint printed after it
    reason = next((ln for ln in lines if ln.startswith("error:")), None)
    _refused.append(f"`{command}`: {reason or (lines[-1] if lines else 'refused')}")
    del _refused[:-5]
    if _UNREACHABLE.search(said):
        mark_unfit(f"the API server did not answer `{command}`")


def mark_unfit(reason: str) -> None:
    """Say, where autograde reads it, that this output was made on an unfit cluster."""
    print(f"{ENVIRONMENT_MARKER} {reason}", file=sys.stderr)


def watch_kubectl() -> None:
    """Run a notebook's plain `!kubectl <changing verb> …` commands with their output kept
    (printed as usual), and note the ones that were refused."""
    shell = _ipython()
    if shell is None or getattr(shell, "_svclab_watching", False):
        return
    original = shell.system

    def system(cmd: str) -> None:
        line = shell.var_expand(cmd, depth=1)
        try:
            argv = shlex.split(line)
        except ValueError:
            argv = []
        if len(argv) < 2 or argv[0] != "kubectl" or argv[1] not in CHANGING or _SHELL.search(line):
            return original(line)  # expanded here already: its variables are the notebook's
        try:
            result = runner.run(argv, check=False, timeout=120)
        except (ToolMissing, CommandFailed) as exc:  # not installed, or it hung
            print(exc.message)
            shell.user_ns["_exit_code"] = 1
            return None
        print(result.stdout + result.stderr, end="")
        shell.user_ns["_exit_code"] = result.returncode
        if result.returncode:
            note_refused(line, result.stderr or result.stdout)
        return None

    shell.system = system
    shell._svclab_watching = True


def source_of(variable: str) -> str | None:
    """The notebook line that last set ``variable`` (as typed, `!` commands included)."""
    shell = _ipython()
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None) or []
    assignment = re.compile(rf"^\s*{re.escape(variable)}\s*=(?!=)")
    for cell in reversed(history):
        for line in reversed(cell.splitlines()):
            if assignment.match(line):
                return line.strip()
    return None
