"""A second rater on the report's HTML page: her figures beside his with their intervals
(a chart and a table), their agreement, which figure to trust most, a calendar of the nights
with his severity and hers, and the nightly chart of both."""

from __future__ import annotations

import math
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from reminderd.core.analysis.raters import RaterAnalysis, agreement_words
from reminderd.core.analysis.records import EARLY, LATE
from reminderd.core.words import MISSED
from reminderd.report.figures import LABEL_NAMES
from reminderd.report.drawing import COLOURS, html_table, interval_chart, month_grids
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
        html_table("", FIGURE_HEADERS, [figure_cells(*row) for row in figure_rows(report, r)]),
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
    colours = (HIS, HERS, HERS, COLOURS["ink"])
    return interval_chart('class="rater-figures"', "A missed dose's difference in severity by each rater, with "
                          "95% intervals", [(name, e.difference, e.ci95, colour) for (name, e, _), colour
                                            in zip(figure_rows(report, r), colours)])


def _calendar(report: Report, r: RaterAnalysis) -> str:
    """A month grid per month of the nights shown: each night's two severities, in the
    colour of its doses."""
    his = {n.night: n.severity for n in report.nights.nights}
    hers = {n.night: n.severity for n in r.nights.nights}
    if not report.shown:
        return ""

    def cell(d: date) -> str:
        label = r.nights.labels.get(d) or report.nights.labels.get(d)
        told = d in hers and d not in r.blinded_nights
        shade = COLOURS.get(label, "#fff") if label in (MISSED, LATE, EARLY) else "#fff"
        pair = "".join(f'<span style="background:{c}">{v}</span>' for c, v in
                       ((HIS, his.get(d, "\u2013")), (HERS, hers.get(d, "\u2013"))))
        title = (f"{d}: {LABEL_NAMES.get(label, 'no dose due')}; his severity {his.get(d, 'not rated')}, "
                 f"{r.rater}'s {hers.get(d, 'not rated')}" + (" (not blinded)" if told else ""))
        return (f'<td class="night{" told" if told else ""}" style="background:{shade}" '
                f'title="{escape(title)}"><b>{d.day}</b><div class="pair">{pair}</div></td>')

    return month_grids(report.shown[0], report.shown[-1], cell)


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
