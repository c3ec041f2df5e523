"""How secureml's values show themselves in IPython and Jupyter.

Each readable class gives a title and rows of facts (label, value); this
module turns them into the two forms IPython asks for: ``_repr_pretty_``
(text, in a terminal or ``print``-less cell) and ``_repr_html_`` (a small
table in a notebook). Nothing here imports IPython: the methods only receive
its printer object.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["Facts", "Readable", "html_block", "text_block"]

Facts = Sequence[tuple[str, str]]
"""Rows of (label, value); a value may span several lines."""


def text_block(title: str, facts: Facts, body: str = "") -> str:
    """The title, then one ``label: value`` line per fact (continuation lines
    indented), then ``body``."""
    lines = [title]
    width = max((len(label) for label, _ in facts), default=0)
    for label, value in facts:
        first, *rest = str(value).splitlines() or [""]
        lines.append(f"  {label.ljust(width)}  {first}")
        lines.extend(f"  {' ' * width}  {line}" for line in rest)
    if body:
        lines.append(body)
    return "\n".join(lines)


def html_block(title: str, facts: Facts, body: str = "", *, pre: bool = False) -> str:
    """The same as :func:`text_block` as an HTML table (``body`` escaped; in a
    ``<pre>`` when ``pre``)."""
    rows = "".join(
        f"<tr><th style='text-align:left;vertical-align:top'>{html.escape(label)}</th>"
        f"<td style='text-align:left;white-space:pre-wrap'>{html.escape(str(value))}</td></tr>"
        for label, value in facts
    )
    parts = [f"<div><strong>{html.escape(title)}</strong>"]
    if rows:
        parts.append(f"<table>{rows}</table>")
    if body:
        escaped = html.escape(body)
        parts.append(f"<pre>{escaped}</pre>" if pre else f"<p>{escaped}</p>")
    parts.append("</div>")
    return "".join(parts)


def table_html(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain HTML table (every cell escaped)."""
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='text-align:left;white-space:pre-wrap'>{html.escape(c)}</td>" for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


class _Printer(Protocol):
    def text(self, text: str) -> None: ...


class Readable:
    """Mixin: ``_repr_pretty_`` and ``_repr_html_`` from ``_display_title`` and
    ``_display_facts`` (and an optional ``_display_body``)."""

    __slots__ = ()

    def _display_title(self) -> str:
        return type(self).__name__

    def _display_facts(self) -> Facts:
        return ()

    def _display_body(self) -> str:
        return ""

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        printer: _Printer = p
        if cycle:
            printer.text(f"{type(self).__name__}(...)")
            return
        printer.text(text_block(self._display_title(), self._display_facts(), self._display_body()))

    def _repr_html_(self) -> str:
        return html_block(self._display_title(), self._display_facts(), self._display_body())


def words(items: Sequence[str], empty: str = "none") -> str:
    """``a, b and c`` (``empty`` when there are none)."""
    items = list(items)
    if not items:
        return empty
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]
