"""SVG building blocks for the course's diagrams: a box with lines of text, an arrow,
and :class:`Diagram`, which a notebook cell shows with its caption."""

from __future__ import annotations

import re
from html import escape


class Diagram:
    """SVG that a notebook shows when it is a cell's value; ``.svg`` is the markup."""

    def __init__(self, svg: str, caption: str = "") -> None:
        self.svg = svg
        self.caption = caption

    def _repr_html_(self) -> str:
        caption = (
            f"<div style='font-size:12px;color:#555;max-width:980px'>{escape(self.caption)}</div>"
            if self.caption
            else ""
        )
        return f"<div class='svclab-diagram'>{self.svg}{caption}</div>"

    @property
    def text(self) -> str:
        """The diagram's visible words (for quick checks)."""
        return " ".join(re.findall(r">([^<>]+)<", self.svg))


COLORS = {"ready": "#2e7d32", "not ready": "#ef6c00", "no endpoint": "#9e9e9e", "client": "#6a1b9a"}
ARROW = (
    "<defs><marker id='sl-arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' "
    "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#444'/></marker></defs>"
)


def box(
    x: float,
    y: float,
    w: float,
    h: float,
    lines: list[str],
    stroke: str = "#455a64",
    fill: str = "#fff",
    bold_first: bool = True,
    dash: bool = False,
    cls: str = "",
) -> str:
    dash_attr = " stroke-dasharray='5 4'" if dash else ""
    bold = " font-weight='bold'"
    text = "".join(
        f"<text x='{x + 6}' y='{y + 15 + 13 * i}' font-size='{11 if i == 0 else 10}'"
        f"{bold if i == 0 and bold_first else ''} fill='{'#222' if i == 0 else '#555'}'>"
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    group = f" class='{cls}'" if cls else ""
    return (
        f"<g{group}><rect x='{x}' y='{y}' width='{w}' height='{h}' rx='6' fill='{fill}' stroke='{stroke}'"
        f"{dash_attr}/>{text}</g>"
    )


def arrow(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    color: str = "#444",
    label: str = "",
    dash: bool = False,
    at: float = 0.5,
) -> str:
    dash_attr = " stroke-dasharray='5 4'" if dash else ""
    mid = (
        (
            f"<text x='{x1 + (x2 - x1) * at}' y='{y1 + (y2 - y1) * at - 4}' font-size='10' text-anchor='middle' "
            f"fill='{color}'>{escape(label)}</text>"
        )
        if label
        else ""
    )
    return (
        f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{color}' stroke-width='1.4'{dash_attr} "
        f"marker-end='url(#sl-arrow)'/>{mid}"
    )


def short(name: str, keep: int = 28) -> str:
    return name if len(name) <= keep else "…" + name[-(keep - 1) :]
