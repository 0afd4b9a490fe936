"""A second rater in the report, as words and table rows the text and the HTML share, and as
JSON: each rater's figures beside his, their agreement, which figure to trust most, and her
nights beside his. A report with no rater has none of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reminderd.core.analysis.effect import Effect, nights_text
from reminderd.core.analysis.raters import RaterAnalysis, agreement_words
from reminderd.report.figures import LABEL_NAMES, signed

if TYPE_CHECKING:
    from reminderd.report.build import Report

FIGURE_HEADERS = ["figure", "nights rated", "after a missed dose", "difference", "95% interval", "p"]
NIGHT_HEADERS = ["night", "doses", "his severity", "her severity", "she was"]


def figure_rows(report: Report, r: RaterAnalysis) -> list[tuple[str, Effect, int]]:
    """(name, effect, nights rated) of each figure: his, hers, hers blinded, both."""
    his = report.analysis.effect
    return [("his check-ins", his, len(report.nights.nights)),
            (f"{r.rater}, every rating", r.hers, r.rated),
            (f"{r.rater}, blinded only", r.hers_blinded, r.blinded),
            ("both (their mean)", r.together, r.both)]


def figure_cells(name: str, e: Effect, rated: int) -> list[Any]:
    if e.difference is None or e.ci95 is None:
        return [name, rated, e.missed.nights, "-", f"no number: {e.missed.refused}", ""]
    return [name, rated, e.missed.nights, signed(e.difference), f"{signed(e.ci95[0])} to {signed(e.ci95[1])}",
            f"{e.p_value:.2g}"]


def counts_line(r: RaterAnalysis) -> str:
    return (f"{r.rater} rated {nights_text(r.rated)} ({r.blinded} blinded: nothing reminderd sent had named that "
            f"night's doses before she answered); {nights_text(r.both)} were rated by both.")


def night_rows(report: Report, r: RaterAnalysis) -> list[list[Any]]:
    """Every night shown that either of them rated: its doses, his severity and hers, and
    whether she was blinded."""
    his = {n.night: n.severity for n in report.nights.nights}
    hers = {n.night: n.severity for n in r.nights.nights}
    rows = []
    for night in [n for n in report.shown if n in his or n in hers]:
        label = r.nights.labels.get(night) or report.nights.labels.get(night)
        rows.append([f"{night:%a %d %b}", LABEL_NAMES.get(label, "no dose due"), his.get(night, "-"),
                     hers.get(night, "-"),
                     "" if night not in hers else "blinded" if night in r.blinded_nights else "told"])
    return rows


def text_lines(report: Report) -> list[str]:
    """Each rater's figures beside his, their agreement, and which to trust (nothing
    without a rater)."""
    import textwrap

    from tabulate import tabulate

    out: list[str] = []
    for r in report.raters:
        out += ["", f"A SECOND RATER: {r.rater.upper()}", "", *textwrap.wrap(counts_line(r), 88), "",
                tabulate([figure_cells(*row) for row in figure_rows(report, r)], headers=FIGURE_HEADERS,
                         disable_numparse=True, colalign=("left", "right", "right", "right", "left", "right")),
                "", *textwrap.wrap(agreement_words(r.agreement), 88), "", *textwrap.wrap(r.trust, 88)]
    return out


def night_lines(report: Report) -> list[str]:
    """Each rater's nights beside his, as a table."""
    from tabulate import tabulate

    out: list[str] = []
    for r in report.raters:
        rows = night_rows(report, r)
        if rows:
            out += ["", f"Nights, his severity beside {r.rater}'s (0\u20133):", "",
                    tabulate(rows, headers=NIGHT_HEADERS, disable_numparse=True,
                             colalign=("left", "left", "right", "right", "left"))]
    return out


def json_list(report: Report) -> list[dict[str, Any]]:
    """Each rater's figures, agreement and nights (with his severity beside hers)."""
    his = {n.night.isoformat(): n.severity for n in report.nights.nights}
    out = []
    for r in report.raters:
        data = r.to_json_dict()
        data["nights"] = [night | {"his_severity": his.get(night["night"])} for night in data["nights"]]
        out.append(data)
    return out
