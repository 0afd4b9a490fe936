"""The report as terminal text, in the page's order: the finding, the prescription,
adherence, the nights, and the methods last. Text from the log or the config (names,
reasons, notes) is shown with its control characters as visible escapes."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from tabulate import tabulate

from reminderd.report.figures import (
    COUNT_HEADERS,
    EFFECT_HEADERS,
    PRESCRIPTION_HEADERS,
    adherence_rows,
    count_cells,
    detail_cells,
    effect_rows,
    figure_lines,
    key_figures,
    methods_lines,
    nights_line,
    period_line,
    prescription_rows,
)
from reminderd.terminal import visible, visible_lines

if TYPE_CHECKING:
    from reminderd.report.build import Report

WIDTH = 88


def _wrapped(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  " if indent else "")


def _table(rows, headers) -> str:
    return tabulate(rows, headers=headers, disable_numparse=True,
                    colalign=("left",) + ("right",) * (len(headers) - 1))


def render(report: Report) -> str:
    """The whole report as lines of text for a terminal 88 columns wide."""
    out = [f"reminderd report, {report.since} to {report.until} ({report.tz.key})"]
    if report.log_begins is None or report.log_begins > report.since:
        # An answer recorded for an earlier day still counts (see "Where the log begins").
        out.append(f"The log begins {report.log_begins or 'after this period'}; before it, only what was "
                   "recorded for those days is counted.")
    out += ["", "WHAT A MISSED DOSE COSTS AT NIGHT", ""]
    out += _wrapped(report.analysis.effect.summary)
    out += ["", *_wrapped(period_line(report))]
    for line in figure_lines(report):
        out += _wrapped(line, "  ")
    if report.raters:  # a second rater's figures beside his, and which to trust most
        from reminderd.report.raters import text_lines

        out += [visible_lines(line) for line in text_lines(report)]
    out += ["", "PRESCRIPTION", "", _table([[visible(v) for v in row] for row in prescription_rows(report)],
                                           PRESCRIPTION_HEADERS)]
    out += ["", "ADHERENCE"]
    for heading, rows in adherence_rows(report):
        out += ["", heading, _table([[visible(name), *count_cells(c)] for name, c in rows], ["", *COUNT_HEADERS])]
    out += ["", *map(visible, key_figures(report))]
    out += ["", "THE NIGHTS", "", *_wrapped(nights_line(report)),
            "(severity 0\u20133, Penn frequency 0\u20134, wake-ups: where answered)", "",
            _table(effect_rows(report), EFFECT_HEADERS)]
    if report.details:
        out += ["", "Nights with something to say:", ""]
        for detail in report.details:
            night, severity, doses, prn, said = detail_cells(detail)
            parts = [p for p in (doses, prn and f"as needed: {prn}", said) if p]
            out += _wrapped(visible(f"{night} ({severity}): {'; '.join(parts)}"), "  ")
    if report.raters:  # her nights beside his
        from reminderd.report.raters import night_lines

        out += [visible_lines(line) for line in night_lines(report)]
    out += ["", "METHODS", ""]
    for line in methods_lines(report):
        out += _wrapped(line) + [""]
    return "\n".join(out).rstrip("\n") + "\n"
