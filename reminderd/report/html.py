"""The report as one self-contained printable HTML page for the neurologist (inline CSS and
SVG, nothing fetched): the adherence table, a calendar of the days, the nightly severity
chart with the doses marked, and the missed-dose effect with its intervals."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from html import escape
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from reminderd.core.analysis.effect import COMPARED
from reminderd.core.analysis.records import EARLY, LATE, ON_TIME, date_range
from reminderd.core.checkin import SEVERITY
from reminderd.core.doses import MISSED
from reminderd.report.figures import (
    COUNT_HEADERS,
    EFFECT_HEADERS,
    LABEL_NAMES,
    adherence_rows,
    comparison_lines,
    count_cells,
    effect_rows,
    key_figures,
    signed,
)

if TYPE_CHECKING:
    from reminderd.report.build import Report


COLOURS = {"on_time": "#1b7a3e", "early": "#3d7dca", "late": "#e0a100", "missed": "#c8322b", "partly": "#f08a4b",
           "none": "#eceff1", "grid": "#c9ced3", "ink": "#1d2329", "muted": "#5b6670"}

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2329;
       max-width: 1100px; margin: 24px auto; padding: 0 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px;
     border-bottom: 2px solid #1d2329; padding-bottom: 3px; } h3 { font-size: 14px; margin: 14px 0 4px; }
.meta, .note { color: #5b6670; } .note { font-size: 12px; }
table { border-collapse: collapse; margin: 4px 0 10px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 9px; border-bottom: 1px solid #dde1e5; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { font-weight: 600; background: #f4f6f8; }
tr.group th { background: none; padding-top: 10px; border-bottom: 1px solid #1d2329; }
table.adherence td:first-child { padding-left: 18px; }
.tables { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
ul.figures { padding-left: 18px; margin: 6px 0; }
.months { display: flex; flex-wrap: wrap; gap: 14px 22px; }
table.month { margin: 0; } table.month td, table.month th { width: 34px; height: 30px; padding: 1px;
  text-align: center; border: 2px solid #fff; font-size: 11px; line-height: 1.15; }
table.month caption { font-weight: 600; text-align: left; padding-bottom: 2px; }
table.month td.day b { display: block; font-size: 12px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; margin: 8px 0; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px; margin-right: 5px;
  vertical-align: -2px; background: var(--c); border: 1px solid #0002; }
svg { display: block; max-width: 100%; height: auto; } svg text { font: 11px system-ui, sans-serif; fill: #1d2329; }
.summary { font-size: 15px; background: #f4f6f8; border-left: 4px solid #1d2329; padding: 10px 14px; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section { break-inside: avoid-page; } h2 { break-after: avoid; } table.month { break-inside: avoid; }
}
"""


def render(report: Report) -> str:
    """The whole page, one string."""
    a, e = report.analysis.adherence, report.analysis.effect
    generated = report.now.astimezone(report.tz).strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Medication and night-time spasms, {report.since} to {report.until}</title>",
        f"<style>{CSS}</style></head><body>",
        "<header><h1>Medication adherence and night-time spasms</h1>",
        f'<p class="meta">{report.since:%d %B %Y} to {report.until:%d %B %Y} ({escape(report.tz.key)}), '
        f"{a.total.due} scheduled doses and {sum(e.nights[k] for k in LABEL_NAMES) + e.nights['no_doses']} "
        f"nights with a check-in. Made by reminderd on {generated} from the patient's own log.</p></header>",
        '<section id="adherence"><h2>Adherence</h2><div class="tables">',
    ]
    parts.append(_adherence_table(report))
    parts.append("</div><ul class=\"figures\">" + "".join(f"<li>{escape(f)}</li>" for f in key_figures(report))
                 + "</ul><p class=\"note\">On time: taken within the on-time window of the due time. Not recorded: "
                 "a dose with no answer at all, counted apart from a reminded and missed dose.</p></section>")
    parts += ['<section id="calendar"><h2>Calendar</h2>', _legend(), _calendar(report), "</section>"]
    parts += ['<section id="nights"><h2>Nightly spasm severity</h2>', _severity_chart(report),
              '<p class="note">Bars: severity reported the next morning (0 none to 3 severe). The marks under '
              f"each night show the doses due in the 24 hours before it began (bedtime {escape(report.bedtime)}), "
              "as they stood at its check-in: red, some not taken by then; amber, all taken but some late "
              "or during the night; blue, all taken but some early. A flat bar is severity 0; "
              "a pale band, a night without a check-in.</p></section>"]
    parts += ['<section id="effect"><h2>Missed doses and the next night</h2>',
              _html_table("", EFFECT_HEADERS, effect_rows(report)), _effect_chart(report),
              "<ul class=\"figures\">" + "".join(f"<li>{escape(x)}</li>" for x in comparison_lines(report)) + "</ul>",
              f'<p class="summary" id="summary">{escape(e.summary)}</p></section>']
    if report.raters:  # a second rater's figures and nights beside his (none without one)
        from reminderd.report.raters_html import section

        parts.append(section(report))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _adherence_table(report: Report) -> str:
    """All doses, then per medication, slot and weekday, in one table with group rows."""
    head = "".join(f"<th>{escape(h)}</th>" for h in ["", *COUNT_HEADERS])
    body = []
    for heading, rows in adherence_rows(report):
        body.append(f'<tr class="group"><th colspan="{len(COUNT_HEADERS) + 1}">{escape(heading)}</th></tr>')
        body += ["<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in [name, *count_cells(c)]) + "</tr>"
                 for name, c in rows]
    return f'<table class="adherence"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _html_table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    title = f"<h3>{escape(caption)}</h3>" if caption else ""
    return f"<div>{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


DAY_KINDS = (("on_time", "every dose taken on time"), ("late", "every dose taken, some late"),
             ("partly", "some doses not taken"), ("missed", "no dose taken"), ("none", "no dose due yet"))


def _day_kind(outcomes: Counter | None) -> str:
    if not outcomes:
        return "none"
    taken = outcomes[ON_TIME] + outcomes[LATE]
    if taken == 0:
        return "missed"
    if taken < sum(outcomes.values()):
        return "partly"
    return "late" if outcomes[LATE] else "on_time"


def _legend() -> str:
    return '<div class="legend">' + "".join(
        f'<span style="--c:{COLOURS[k]}">{escape(text)}</span>' for k, text in DAY_KINDS) + "</div>"


def _calendar(report: Report) -> str:
    """One small month grid per month of the period, each day coloured by doses taken."""
    months, day = [], report.since.replace(day=1)
    while day <= report.until:
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        cells = [""] * day.weekday()
        for d in date_range(day, following - timedelta(days=1)):
            if not report.since <= d <= report.until:
                cells.append(f'<td style="color:#aab">{d.day}</td>')
                continue
            outcomes = report.days.get(d)
            kind = _day_kind(outcomes)
            taken = (outcomes[ON_TIME] + outcomes[LATE]) if outcomes else 0
            count = f"{taken}/{sum(outcomes.values())}" if outcomes else ""
            ink = "#fff" if kind in ("on_time", "missed") else COLOURS["ink"]
            cells.append(f'<td class="day {kind}" style="background:{COLOURS[kind]};color:{ink}" '
                         f'title="{d}: {escape(dict(DAY_KINDS)[kind])}"><b>{d.day}</b>{count}</td>')
        cells = [c or "<td></td>" for c in cells]
        weeks = ["<tr>" + "".join(cells[i:i + 7]) + "</tr>" for i in range(0, len(cells), 7)]
        head = "".join(f"<th>{n}</th>" for n in ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"))
        months.append(f'<table class="month"><caption>{day:%B %Y}</caption><thead><tr>{head}</tr></thead>'
                      f"<tbody>{''.join(weeks)}</tbody></table>")
        day = following
    return f'<div class="months">{"".join(months)}</div>'


def _severity_chart(report: Report) -> str:
    nights = date_range(report.since, report.until)
    width, left, top, plot_h, mark_h = 1040, 84, 10, 150, 30
    step = (width - left - 10) / max(len(nights), 1)
    bottom = top + plot_h
    out = [f'<svg id="severity-chart" viewBox="0 0 {width} {bottom + mark_h + 30}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg"><title>Nightly spasm severity with missed and late doses marked</title>']
    for level, name in enumerate(SEVERITY):
        y = bottom - level * plot_h / 3
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{level} {name}</text>')
    by_night = {n.night: n for n in report.nights.nights}
    bar = max(step * 0.7, 0.6)
    for i, night in enumerate(nights):
        x = left + i * step + (step - bar) / 2
        checked = by_night.get(night)
        if checked is None:
            out.append(f'<rect class="no-checkin" x="{x:.2f}" y="{top}" width="{bar:.2f}" height="{plot_h}" '
                       f'fill="#eef0f2"><title>{night}: no check-in</title></rect>')
        else:
            h = max(checked.severity * plot_h / 3, 2.5)  # severity 0 still shows it was answered
            out.append(f'<rect class="night" x="{x:.2f}" y="{bottom - h:.1f}" width="{bar:.2f}" height="{h:.1f}" '
                       f'fill="#4a6fa5"><title>{night}: severity {checked.severity}</title></rect>')
        label = report.nights.labels.get(night)
        if label in (MISSED, LATE, EARLY):
            out.append(f'<rect class="mark-{label}" x="{x:.2f}" y="{bottom + 8}" width="{bar:.2f}" height="12" '
                       f'fill="{COLOURS[label]}"><title>{night}: {LABEL_NAMES[label]}</title></rect>')
    out.append(f'<text x="{left - 6}" y="{bottom + 18}" text-anchor="end">doses</text>')
    every = max(1, math.ceil(len(nights) / 12))
    for i in range(0, len(nights), every):
        x = left + (i + 0.5) * step
        out.append(f'<text x="{x:.1f}" y="{bottom + mark_h + 16}" text-anchor="middle">{nights[i]:%d %b}</text>')
    return "".join(out) + "</svg>"


def _effect_chart(report: Report) -> str:
    """The differences against nights with every dose on time, with their 95% intervals."""
    e = report.analysis.effect
    rows = [(LABEL_NAMES[g], e.comparisons[g].difference, e.comparisons[g].ci95, COLOURS[g])
            for g in COMPARED if g == MISSED or e.comparisons[g].nights]
    width, left, right, lo, hi = 1040, 220, 40, -3.0, 3.0
    scale = (width - left - right) / (hi - lo)
    x = lambda v: left + (min(max(v, lo), hi) - lo) * scale  # noqa: E731
    out = [f'<svg id="effect-chart" viewBox="0 0 {width} 130" role="img" xmlns="http://www.w3.org/2000/svg">'
           "<title>Difference in mean severity against nights with every dose on time, with 95% intervals</title>"]
    for v in range(-3, 4):
        zero = ' stroke-width="2" stroke-dasharray="4 3"' if v == 0 else ""
        out.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="8" y2="92" stroke="{COLOURS["grid"]}"{zero}/>'
                   f'<text x="{x(v):.1f}" y="108" text-anchor="middle">{signed(v) if v else "0"}</text>')
    out.append(f'<text x="{x(0):.1f}" y="124" text-anchor="middle">points of severity (0\u20133 scale): '
               "\u2190 better, worse \u2192</text>")
    for row, (name, diff, ci, colour) in enumerate(rows):
        y = 24 + row * 30
        out.append(f'<text x="{left - 10}" y="{y + 4}" text-anchor="end">{escape(name)} \u2212 on time</text>')
        if diff is None or ci is None:
            out.append(f'<text x="{x(0) + 8:.1f}" y="{y + 4}" fill="{COLOURS["muted"]}">no number yet</text>')
            continue
        out.append(f'<line class="interval" x1="{x(ci[0]):.1f}" x2="{x(ci[1]):.1f}" y1="{y}" y2="{y}" '
                   f'stroke="{colour}" stroke-width="4"/>'
                   f'<circle cx="{x(diff):.1f}" cy="{y}" r="7" fill="{colour}" stroke="#fff" stroke-width="2"/>')
        # The figures beside the interval, on whichever side has room.
        side = (f'x="{x(ci[1]) + 10:.1f}"' if x(ci[1]) < width - right - 170
                else f'x="{x(ci[0]) - 10:.1f}" text-anchor="end"')
        out.append(f'<text {side} y="{y + 4}">{signed(diff)} ({signed(ci[0])} to {signed(ci[1])})</text>')
    return "".join(out) + "</svg>"
