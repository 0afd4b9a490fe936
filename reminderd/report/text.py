"""The report as terminal text: the adherence tables, the key figures, and the missed-dose
effect with its plain-English summary."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from tabulate import tabulate

from reminderd.report.figures import (
    COUNT_HEADERS,
    EFFECT_HEADERS,
    adherence_rows,
    comparison_lines,
    count_cells,
    effect_rows,
    key_figures,
)
from reminderd.terminal import visible

if TYPE_CHECKING:
    from reminderd.report.build import Report


def render(report: Report) -> str:
    """The whole report as lines of text for a terminal 88 columns wide."""
    out = [f"reminderd report, {report.since} to {report.until} ({report.tz.key})"]
    if report.log_begins is None or report.log_begins > report.since:
        out.append(f"The log begins {report.log_begins or 'after this period'}; nothing before it is counted.")
    out += ["", "ADHERENCE"]
    for heading, rows in adherence_rows(report):
        out += ["", heading, tabulate([[visible(name), *count_cells(c)] for name, c in rows],
                                      headers=["", *COUNT_HEADERS], disable_numparse=True,
                                      colalign=("left",) + ("right",) * len(COUNT_HEADERS))]
    out += ["", *map(visible, key_figures(report)), "", "MISSED DOSES AND THE NEXT NIGHT",
            "(severity 0\u20133, Penn frequency 0\u20134, wake-ups: where answered)", "",
            tabulate(effect_rows(report), headers=EFFECT_HEADERS, disable_numparse=True,
                     colalign=("left",) + ("right",) * (len(EFFECT_HEADERS) - 1)),
            "", *comparison_lines(report), ""]
    out += textwrap.wrap(report.analysis.effect.summary, 88)
    return "\n".join(out) + "\n"
