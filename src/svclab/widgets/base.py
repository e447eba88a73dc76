"""What every svclab widget shares: controls on top, a status line, a result area,
and actions that show an svclab error as message + hint, never a traceback."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from html import unescape

import ipywidgets as w

from svclab.errors import SvclabError
from svclab.widgets import render


def html_text(html: str) -> str:
    """The visible text of an HTML fragment (for tests and quick checks)."""
    text = re.sub(r"<(br|/tr|/h4|div|/div|/pre|/p|/table)[^>]*>", "\n", html)
    text = re.sub(r"</t[dh]>", "  ", text)
    return unescape(re.sub(r"<[^>]+>", "", text))


class View(w.VBox):
    """A titled box: ``controls`` rows, then a status line, then the result."""

    def __init__(self, title: str, controls: Sequence[w.Widget]) -> None:
        self.status = w.HTML(layout=w.Layout(min_height="1.5em"))
        self.result = w.HTML()
        self.error: SvclabError | None = None
        self.seconds = 0.0  #: duration of the last action
        super().__init__([w.HTML(f"<b>{title}</b>"), *controls, self.status, self.result])
        self.add_class("svclab-widget")

    @property
    def text(self) -> str:
        """What the widget shows below its controls, as plain text."""
        return html_text(self.status.value + "\n" + self.result.value)

    def act(self, action: Callable[[], str], working: str = "working…", keep: bool = True) -> bool:
        """Run ``action`` (which returns the result's HTML); on error show it, and keep the
        old result only when ``keep``."""
        self.status.value = render.note(working)
        started = time.perf_counter()
        try:
            html = action()
        except SvclabError as exc:
            self._fail(exc, keep)
            return False
        except Exception as exc:  # noqa: BLE001 – a widget shows errors, it never raises into the UI
            self._fail(
                SvclabError(
                    f"unexpected error: {type(exc).__name__}: {exc}",
                    "this is a bug in svclab; the message above helps to report it",
                ),
                keep,
            )
            return False
        self.seconds = time.perf_counter() - started
        self.error = None
        self.result.value = html
        self.status.value = render.note(f"done in {self.seconds * 1000:.0f} ms")
        return True

    def _fail(self, exc: SvclabError, keep: bool) -> None:
        self.error = exc
        self.status.value = render.error(exc.message, exc.hint)
        if not keep:
            self.result.value = ""


def options(load: Callable[[], list[str]], fallback: str | None) -> list[str]:
    """Dropdown choices from the cluster; just the fallback when the cluster cannot be read."""
    try:
        found = load()
    except SvclabError:
        found = []
    if fallback and fallback not in found:
        found.insert(0, fallback)
    return found


def row(*children: w.Widget) -> w.HBox:
    return w.HBox(list(children), layout=w.Layout(flex_flow="row wrap", align_items="center"))
