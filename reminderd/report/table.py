"""Plain-text tables for the terminal, in the layout of tabulate's "simple" format.

A few lines written here rather than importing tabulate on every `status` and `log`:
tabulate pulls in importlib.metadata and wcwidth, about 60 ms of a command's start-up.
"""

from __future__ import annotations

from typing import Any, Sequence

from reminderd.terminal import visible


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def simple_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """Columns two spaces apart under a dashed rule; numbers right-aligned, text left.
    A cell's control characters are shown as escapes: a newline in a note cannot break
    the table, nor an escape sequence reach the terminal."""
    cells = [["" if v is None else visible(v) for v in row] for row in rows]
    columns = range(len(headers))
    numeric = [any(r[i] for r in cells) and all(_is_number(r[i]) for r in cells if r[i]) for i in columns]
    widths = [max([len(headers[i]) + 2] + [len(r[i]) for r in cells]) for i in columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in cells)])
