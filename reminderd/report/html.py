"""The report as one self-contained printable HTML page for the neurologist (inline CSS and
SVG, nothing fetched), in the order it is read: the finding (one sentence, the figure and
its interval), the prescription, adherence, the nights, and the methods last.

One colour means one thing everywhere: green every dose on time, blue a dose taken early,
amber a dose taken late, red a dose not taken (missed, skipped or not recorded); the
calendar, the marks under the nights and the figures use the same four. Severity bars are
grey, and a night without a check-in is a gap."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from reminderd.core.analysis.effect import CAVEAT, EARLIER, EVENING
from reminderd.core.analysis.records import EARLY, FAILED_OUTCOMES, LATE, ON_TIME
from reminderd.core.checkin import SEVERITY
from reminderd.core.words import MISSED
from reminderd.report.drawing import COLOURS, html_table, interval_chart, month_grids
from reminderd.report.figures import (
    COUNT_HEADERS,
    DETAIL_HEADERS,
    EFFECT_HEADERS,
    LABEL_NAMES,
    PRESCRIPTION_HEADERS,
    adherence_rows,
    count_cells,
    detail_cells,
    effect_rows,
    figure_name,
    figure_text,
    key_figures,
    methods_lines,
    nights_line,
    period_line,
    prescription_rows,
    shown_figures,
)

if TYPE_CHECKING:
    from reminderd.report.build import Report

# The colour of each figure is the colour of its doses.
FIGURE_COLOURS = {MISSED: COLOURS[MISSED], EVENING: COLOURS[MISSED], EARLIER: COLOURS[MISSED],
                  LATE: COLOURS[LATE], EARLY: COLOURS[EARLY]}
KINDS = ((ON_TIME, "every dose on time"), (EARLY, "a dose taken early"), (LATE, "a dose taken late"),
         (MISSED, "a dose not taken (missed, skipped or not recorded)"), ("none", "no dose due"))

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2329;
       max-width: 1100px; margin: 24px auto; padding: 0 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px;
     border-bottom: 2px solid #1d2329; padding-bottom: 3px; } h3 { font-size: 14px; margin: 14px 0 4px; }
.meta, .note { color: #5b6670; } .note { font-size: 12px; }
table { border-collapse: collapse; margin: 4px 0 10px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 9px; border-bottom: 1px solid #dde1e5; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; } th { font-weight: 600; background: #f4f6f8; }
table.words td, table.words th { text-align: left; }
tr.group th { background: none; padding-top: 10px; border-bottom: 1px solid #1d2329; }
table.adherence td:first-child { padding-left: 18px; }
ul.figures { padding-left: 18px; margin: 6px 0; }
.months { display: flex; flex-wrap: wrap; gap: 14px 22px; }
table.month { margin: 0; } table.month td, table.month th { width: 34px; height: 30px; padding: 1px;
  text-align: center; border: 2px solid #fff; font-size: 11px; line-height: 1.15; }
table.month caption { font-weight: 600; text-align: left; padding-bottom: 2px; }
table.month td.day b { display: block; font-size: 12px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; margin: 8px 0; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px; margin-right: 5px;
  vertical-align: -2px; background: var(--c); border: 1px solid #0002; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 5px; border: 1px solid #0002; }
svg { display: block; max-width: 100%; height: auto; } svg text { font: 11px system-ui, sans-serif; fill: #1d2329; }
.finding { font-size: 17px; background: #f4f6f8; border-left: 4px solid #1d2329; padding: 10px 14px; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section { break-inside: avoid-page; } h2 { break-after: avoid; } table.month { break-inside: avoid; }
}
"""


def render(report: Report) -> str:
    """The whole page, one string."""
    e = report.analysis.effect
    generated = report.now.astimezone(report.tz).strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Missed doses and night-time spasms, {report.since} to {report.until}</title>",
        f"<style>{CSS}</style></head><body>",
        "<header><h1>Missed doses and night-time spasms</h1>",
        f'<p class="meta">From the patient\'s own reminderd log ({escape(report.tz.key)}), made on {generated}.</p>'
        "</header>",
        '<section id="finding"><h2>Finding</h2>',
        f'<p class="finding" id="summary">{escape(e.finding)}</p>',
        f"<p>{escape(period_line(report))}</p>",
        '<ul class="figures">' + "".join(
            f'<li><span class="swatch" style="background:{FIGURE_COLOURS[f.exposure]}"></span>'
            f"<b>{escape(figure_name(report, f.exposure))}</b>: {escape(figure_text(f))}</li>"
            for f in shown_figures(report)) + "</ul>",
        _effect_chart(report),
        f'<p class="note">{escape(CAVEAT)}</p></section>',
        '<section id="prescription"><h2>Prescription</h2>',
        html_table("", PRESCRIPTION_HEADERS, prescription_rows(report), "words"), "</section>",
        f'<section id="adherence"><h2>Adherence, {report.since:%-d %B} to {report.until:%-d %B %Y}</h2>',
        _adherence_table(report),
        '<ul class="figures">' + "".join(f"<li>{escape(f)}</li>" for f in key_figures(report)) + "</ul>",
        _legend(), _calendar(report), "</section>",
        '<section id="nights"><h2>The nights</h2>', f"<p>{escape(nights_line(report))}</p>",
        _severity_chart(report),
        '<p class="note">Grey bars: severity reported the next morning (0 none to 3 severe); a night without a '
        "check-in is left empty. The marks under the nights are their doses, in the colours above.</p>",
        html_table("Nights with something to say", DETAIL_HEADERS,
                    [detail_cells(d) for d in report.details], "words", "details") if report.details else "",
        html_table("Severity after each kind of night", EFFECT_HEADERS, effect_rows(report)), "</section>",
        _raters(report),  # a second rater's figures and nights beside his (nothing without one)
        '<section id="methods"><h2>Methods</h2>',
        "".join(f'<p class="note">{escape(line)}</p>' for line in methods_lines(report)), "</section>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _raters(report: Report) -> str:
    if not report.raters:
        return ""
    from reminderd.report.raters_html import section

    return section(report)


def _adherence_table(report: Report) -> str:
    """All doses, then per medication, slot and weekday, in one table with group rows."""
    head = "".join(f"<th>{escape(h)}</th>" for h in ["", *COUNT_HEADERS])
    body = []
    for heading, rows in adherence_rows(report):
        body.append(f'<tr class="group"><th colspan="{len(COUNT_HEADERS) + 1}">{escape(heading)}</th></tr>')
        body += ["<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in [name, *count_cells(c)]) + "</tr>"
                 for name, c in rows]
    return f'<table class="adherence"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _day_kind(outcomes: Counter | None) -> str:
    """The day's worst: a dose not taken, else one late, else one early, else on time."""
    if not outcomes:
        return "none"
    if any(outcomes[o] for o in FAILED_OUTCOMES):
        return MISSED
    return LATE if outcomes[LATE] else EARLY if outcomes[EARLY] else ON_TIME


def _legend() -> str:
    return '<div class="legend">' + "".join(
        f'<span style="--c:{COLOURS[k]}">{escape(text)}</span>' for k, text in KINDS) + "</div>"


def _calendar(report: Report) -> str:
    """One small month grid per month of the period, each day in the colour of its worst dose,
    with how many of its doses were taken."""
    names = dict(KINDS)

    def cell(d: date) -> str:
        outcomes = report.days.get(d)
        kind = _day_kind(outcomes)
        taken = sum(outcomes[o] for o in (ON_TIME, EARLY, LATE)) if outcomes else 0
        count = f"{taken}/{sum(outcomes.values())}" if outcomes else ""
        ink = "#fff" if kind in (ON_TIME, MISSED, EARLY) else COLOURS["ink"]
        return (f'<td class="day {kind}" style="background:{COLOURS[kind]};color:{ink}" '
                f'title="{d}: {escape(names[kind])}, {count} taken"><b>{d.day}</b>{count}</td>')

    return month_grids(report.since, report.until, cell)


def _severity_chart(report: Report) -> str:
    """A bar per night that has come to its check-in (tonight is not drawn), a gap for one
    without a check-in, and under each night a mark in the colour of its doses."""
    nights = list(report.shown)
    width, left, top, plot_h, mark_h = 1040, 84, 10, 150, 30
    step = (width - left - 10) / max(len(nights), 1)
    bottom = top + plot_h
    out = [f'<svg id="severity-chart" viewBox="0 0 {width} {bottom + mark_h + 30}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg"><title>Nightly spasm severity, with the nights after a missed, '
           "late or early dose marked</title>"]
    for level, name in enumerate(SEVERITY):
        y = bottom - level * plot_h / 3
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{level} {name}</text>')
    by_night = {n.night: n for n in report.nights.nights}
    bar = max(step * 0.7, 0.6)
    for i, night in enumerate(nights):
        x = left + i * step + (step - bar) / 2
        checked = by_night.get(night)
        if checked is None:  # a gap: nothing drawn, only its name when pointed at
            out.append(f'<rect class="no-checkin" x="{x:.2f}" y="{top}" width="{bar:.2f}" height="{plot_h}" '
                       f'fill="none" pointer-events="all"><title>{night}: no check-in</title></rect>')
        else:
            h = max(checked.severity * plot_h / 3, 2.5)  # severity 0 still shows it was answered
            out.append(f'<rect class="night" x="{x:.2f}" y="{bottom - h:.1f}" width="{bar:.2f}" height="{h:.1f}" '
                       f'fill="{COLOURS["bar"]}"><title>{night}: severity {checked.severity}</title></rect>')
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
    """Each figure with its 95% interval, against 0 (no difference)."""
    return interval_chart('id="effect-chart"', "Each figure with its 95% interval; 0 is no difference",
                          [(figure_name(report, f.exposure), f.estimate, f.ci95, FIGURE_COLOURS[f.exposure])
                           for f in shown_figures(report)])
