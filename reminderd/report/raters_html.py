"""A second rater on the report's HTML page: her figures beside his with their intervals
(a chart and a table), their agreement, which figure to trust most, a calendar of the nights
with his severity and hers, and the nightly chart of both."""

from __future__ import annotations

import math
from datetime import timedelta
from html import escape
from typing import TYPE_CHECKING

from reminderd.core.analysis.raters import RaterAnalysis, agreement_words
from reminderd.core.analysis.records import EARLY, LATE, date_range
from reminderd.core.doses import MISSED
from reminderd.report.figures import LABEL_NAMES, signed
from reminderd.report.html import COLOURS, _html_table
from reminderd.report.raters import FIGURE_HEADERS, counts_line, figure_cells, figure_rows

if TYPE_CHECKING:
    from reminderd.report.build import Report

HIS, HERS = COLOURS["bar"], "#8e44ad"  # his bars as in the severity chart; hers apart from every dose colour

CSS = """
.raters td.night { width: 44px; } .raters td.told { outline: 2px dashed #5b6670; outline-offset: -3px; }
.pair { display: flex; gap: 2px; justify-content: center; } .pair span { min-width: 14px; color: #fff; }
"""


def section(report: Report) -> str:
    """One section per rater (nothing without one)."""
    return "".join(_one(report, r) for r in report.raters)


def _one(report: Report, r: RaterAnalysis) -> str:
    anchor = f"rater-{_slug(r.rater)}"
    return "\n".join([
        f'<section id="{anchor}" class="raters"><style>{CSS}</style>',
        f"<h2>A second rater: {escape(r.rater)}</h2>",
        f"<p>{escape(counts_line(r))}</p>",
        _figures_chart(report, r),
        _html_table("", FIGURE_HEADERS, [figure_cells(*row) for row in figure_rows(report, r)]),
        f'<p class="agreement">{escape(agreement_words(r.agreement))}</p>',
        f'<p class="finding trust">{escape(r.trust)}</p>',
        f"<h3>Nights: his severity and {escape(r.rater)}'s</h3>",
        _legend(r), _calendar(report, r), _chart(report, r),
        '<p class="note">Blinded: she rated the night before anything reminderd sent her (a missed-dose, '
        "not-running or summary alert to her as a contact) had named its doses. What she heard any other way "
        "cannot be recorded.</p></section>",
    ])


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()) or "rater"


def _legend(r: RaterAnalysis) -> str:
    keys = [(HIS, "his severity"), (HERS, f"{r.rater}'s severity"), (COLOURS[MISSED], "night after a missed dose"),
            (COLOURS[LATE], "after a late dose")]
    return ('<div class="legend">' + "".join(f'<span style="--c:{c}">{escape(t)}</span>' for c, t in keys)
            + '<span style="--c:#fff">dashed: not blinded</span></div>')


def _figures_chart(report: Report, r: RaterAnalysis) -> str:
    """Each figure's difference (a missed dose against every dose taken) with its interval."""
    rows = figure_rows(report, r)
    colours = (HIS, HERS, HERS, COLOURS["ink"])
    width, left, right, lo, hi = 1040, 220, 40, -3.0, 3.0
    height = 40 + 30 * len(rows)
    scale = (width - left - right) / (hi - lo)
    x = lambda v: left + (min(max(v, lo), hi) - lo) * scale  # noqa: E731
    out = [f'<svg class="rater-figures" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg">'
           "<title>A missed dose's difference in severity by each rater, with 95% intervals</title>"]
    for v in range(-3, 4):
        zero = ' stroke-width="2" stroke-dasharray="4 3"' if v == 0 else ""
        out.append(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="8" y2="{height - 28}" stroke="{COLOURS["grid"]}"{zero}/>'
                   f'<text x="{x(v):.1f}" y="{height - 14}" text-anchor="middle">{signed(v) if v else "0"}</text>')
    for row, ((name, e, _), colour) in enumerate(zip(rows, colours)):
        y = 24 + row * 30
        out.append(f'<text x="{left - 10}" y="{y + 4}" text-anchor="end">{escape(name)}</text>')
        if e.difference is None or e.ci95 is None:
            out.append(f'<text x="{x(0) + 8:.1f}" y="{y + 4}" fill="{COLOURS["muted"]}">no number yet</text>')
            continue
        lo_ci, hi_ci = e.ci95
        out.append(f'<line class="interval" x1="{x(lo_ci):.1f}" x2="{x(hi_ci):.1f}" y1="{y}" y2="{y}" '
                   f'stroke="{colour}" stroke-width="4"/><circle cx="{x(e.difference):.1f}" cy="{y}" r="7" '
                   f'fill="{colour}" stroke="#fff" stroke-width="2"/>'
                   f'<text x="{x(hi_ci) + 10:.1f}" y="{y + 4}">{signed(e.difference)} ({signed(lo_ci)} to '
                   f"{signed(hi_ci)})</text>")
    return "".join(out) + "</svg>"


def _calendar(report: Report, r: RaterAnalysis) -> str:
    """A month grid per month of the nights shown: each night's two severities, in the
    colour of its doses."""
    his = {n.night: n.severity for n in report.nights.nights}
    hers = {n.night: n.severity for n in r.nights.nights}
    if not report.shown:
        return ""
    first, last = report.shown[0], report.shown[-1]
    months, day = [], first.replace(day=1)
    while day <= last:
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        cells = [""] * day.weekday()
        for d in date_range(day, following - timedelta(days=1)):
            if not first <= d <= last:
                cells.append(f'<td style="color:#aab">{d.day}</td>')
                continue
            label = r.nights.labels.get(d) or report.nights.labels.get(d)
            told = d in hers and d not in r.blinded_nights
            shade = COLOURS.get(label, "#fff") if label in (MISSED, LATE, EARLY) else "#fff"
            pair = "".join(f'<span style="background:{c}">{v}</span>' for c, v in
                           ((HIS, his.get(d, "\u2013")), (HERS, hers.get(d, "\u2013"))))
            title = (f"{d}: {LABEL_NAMES.get(label, 'no dose due')}; his severity {his.get(d, 'not rated')}, "
                     f"{r.rater}'s {hers.get(d, 'not rated')}" + (" (not blinded)" if told else ""))
            cells.append(f'<td class="night{" told" if told else ""}" style="background:{shade}" '
                         f'title="{escape(title)}"><b>{d.day}</b><div class="pair">{pair}</div></td>')
        cells = [c or "<td></td>" for c in cells]
        weeks = ["<tr>" + "".join(cells[i:i + 7]) + "</tr>" for i in range(0, len(cells), 7)]
        head = "".join(f"<th>{n}</th>" for n in ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"))
        months.append(f'<table class="month"><caption>{day:%B %Y}</caption><thead><tr>{head}</tr></thead>'
                      f"<tbody>{''.join(weeks)}</tbody></table>")
        day = following
    return f'<div class="months">{"".join(months)}</div>'


def _chart(report: Report, r: RaterAnalysis) -> str:
    """Each night shown, his bar and hers, with its doses marked below."""
    nights = list(report.shown)
    his = {n.night: n.severity for n in report.nights.nights}
    hers = {n.night: n.severity for n in r.nights.nights}
    width, left, top, plot_h = 1040, 84, 10, 150
    step = (width - left - 10) / max(len(nights), 1)
    bottom = top + plot_h
    bar = max(step * 0.38, 0.4)
    out = [f'<svg class="rater-nights" viewBox="0 0 {width} {bottom + 60}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg"><title>Nightly severity by him and by {escape(r.rater)}</title>']
    for level in range(4):
        y = bottom - level * plot_h / 3
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{level}</text>')
    for i, night in enumerate(nights):
        x = left + i * step + (step - 2 * bar) / 2
        for k, (who, values, colour) in enumerate((("his", his, HIS), (r.rater, hers, HERS))):
            if night not in values:
                continue
            h = max(values[night] * plot_h / 3, 2.5)  # a 0 still shows it was rated
            dashed = ' stroke="#1d2329" stroke-dasharray="2 2"' if k and night not in r.blinded_nights else ""
            out.append(f'<rect class="{"his" if k == 0 else "hers"}" x="{x + k * bar:.2f}" y="{bottom - h:.1f}" '
                       f'width="{bar:.2f}" height="{h:.1f}" fill="{colour}"{dashed}>'
                       f"<title>{night}: {escape(who)} {values[night]}</title></rect>")
        label = r.nights.labels.get(night) or report.nights.labels.get(night)
        if label in (MISSED, LATE, EARLY):
            out.append(f'<rect class="mark-{label}" x="{x:.2f}" y="{bottom + 8}" width="{2 * bar:.2f}" height="12" '
                       f'fill="{COLOURS[label]}"><title>{night}: {LABEL_NAMES[label]}</title></rect>')
    every = max(1, math.ceil(len(nights) / 12))
    for i in range(0, len(nights), every):
        out.append(f'<text x="{left + (i + 0.5) * step:.1f}" y="{bottom + 46}" text-anchor="middle">'
                   f"{nights[i]:%d %b}</text>")
    return "".join(out) + "</svg>"
