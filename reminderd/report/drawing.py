"""What both report pages draw the same way (his, and a second rater's section): the four
colours of doses, a table, the month grids of a calendar, and a chart of figures with their
intervals."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any, Callable, Iterable, Sequence

from reminderd.core.analysis.records import EARLY, LATE, ON_TIME, date_range
from reminderd.core.words import MISSED
from reminderd.report.figures import signed

COLOURS = {ON_TIME: "#1b7a3e", EARLY: "#3d7dca", LATE: "#e0a100", MISSED: "#c8322b", "none": "#eceff1",
           "bar": "#6b7785", "grid": "#c9ced3", "ink": "#1d2329", "muted": "#5b6670"}


def html_table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], kind: str = "",
                table_id: str = "") -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    title = f"<h3>{escape(caption)}</h3>" if caption else ""
    attributes = (f' class="{kind}"' if kind else "") + (f' id="{table_id}"' if table_id else "")
    return f"<div>{title}<table{attributes}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def month_grids(first: date, last: date, cell: Callable[[date], str]) -> str:
    """A small month grid for each month from `first` to `last`, Monday first; `cell` draws
    each day in the span (the days outside it are greyed)."""
    months, day = [], first.replace(day=1)
    while day <= last:
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        cells = [""] * day.weekday()
        for d in date_range(day, following - timedelta(days=1)):
            cells.append(cell(d) if first <= d <= last else f'<td style="color:#aab">{d.day}</td>')
        cells = [c or "<td></td>" for c in cells]
        weeks = ["<tr>" + "".join(cells[i:i + 7]) + "</tr>" for i in range(0, len(cells), 7)]
        head = "".join(f"<th>{n}</th>" for n in ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"))
        months.append(f'<table class="month"><caption>{day:%B %Y}</caption><thead><tr>{head}</tr></thead>'
                      f"<tbody>{''.join(weeks)}</tbody></table>")
        day = following
    return f'<div class="months">{"".join(months)}</div>'


def interval_chart(attributes: str, title: str,
                   rows: Sequence[tuple[str, float | None, tuple[float, float] | None, str]]) -> str:
    """(name, estimate, 95% interval, colour) of each figure, drawn against 0 on the 0-3
    severity scale; a figure without a number says so."""
    width, left, right, lo, hi = 1040, 300, 40, -3.0, 3.0
    height = 40 + 30 * len(rows)
    scale = (width - left - right) / (hi - lo)
    x = lambda v: left + (min(max(v, lo), hi) - lo) * scale  # noqa: E731
    axis = height - 36
    out = [f'<svg {attributes} viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg">'
           f"<title>{escape(title)}</title>"]
    for v in range(-3, 4):
        zero = ' stroke-width="2" stroke-dasharray="4 3"' if v == 0 else ""
        out.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="8" y2="{axis}" stroke="{COLOURS["grid"]}"{zero}/>'
                   f'<text x="{x(v):.1f}" y="{axis + 14}" text-anchor="middle">{signed(v) if v else "0"}</text>')
    out.append(f'<text x="{x(0):.1f}" y="{axis + 30}" text-anchor="middle">points of severity (0\u20133 scale): '
               "\u2190 better, worse \u2192</text>")
    for row, (name, estimate, ci95, colour) in enumerate(rows):
        y = 24 + row * 30
        out.append(f'<text x="{left - 10}" y="{y + 4}" text-anchor="end">{escape(name)}</text>')
        if estimate is None or ci95 is None:
            out.append(f'<text x="{x(0) + 8:.1f}" y="{y + 4}" fill="{COLOURS["muted"]}">no number yet</text>')
            continue
        out.append(f'<line class="interval" x1="{x(ci95[0]):.1f}" x2="{x(ci95[1]):.1f}" y1="{y}" y2="{y}" '
                   f'stroke="{colour}" stroke-width="4"/>'
                   f'<circle cx="{x(estimate):.1f}" cy="{y}" r="7" fill="{colour}" stroke="#fff" stroke-width="2"/>')
        # The figures beside the interval, on whichever side has room.
        side = (f'x="{x(ci95[1]) + 10:.1f}"' if x(ci95[1]) < width - right - 170
                else f'x="{x(ci95[0]) - 10:.1f}" text-anchor="end"')
        out.append(f'<text {side} y="{y + 4}">{signed(estimate)} ({signed(ci95[0])} to {signed(ci95[1])})</text>')
    return "".join(out) + "</svg>"
