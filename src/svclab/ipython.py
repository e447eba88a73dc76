"""IPython integration, shared by labs and lectures: the `%%apply` cell magic and
short, readable errors (message and hint) instead of tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from svclab.errors import SvclabError


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
