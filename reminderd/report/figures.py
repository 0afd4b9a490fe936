"""The report's figures as words and table rows, the same in the terminal text and the
HTML page: the adherence tables, the key figures, and the missed-dose comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reminderd.core.analysis.adherence import DoseCounts
from reminderd.core.analysis.effect import COMPARED
from reminderd.core.analysis.records import EARLY, LATE, ON_TIME
from reminderd.core.doses import MISSED

if TYPE_CHECKING:
    from reminderd.report.build import Report

LABEL_NAMES = {ON_TIME: "every dose on time", EARLY: "some early", LATE: "some late", MISSED: "some missed"}


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def signed(x: float) -> str:
    text = f"{x:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "\u2212")


COUNT_HEADERS = ["due", "taken", "on time", "early", "late", "skipped", "missed", "not recorded", "taken %", "on time %"]


def count_cells(c: DoseCounts) -> list[Any]:
    return [c.due, c.taken, c.on_time, c.early, c.late, c.skipped, c.missed, c.not_recorded,
            _percent(c.taken_share), _percent(c.on_time_share)]


def adherence_rows(report: Report) -> list[tuple[str, list[tuple[str, DoseCounts]]]]:
    """(heading, [(row name, counts)]) for each adherence table: all, medication, slot, weekday."""
    a = report.analysis.adherence
    return [("All doses", [("all doses", a.total)]),
            ("By medication", list(a.by_medication.items())),
            ("By slot", list(a.by_slot.items())),
            ("By weekday", list(a.by_weekday.items()))]


def _days(k: int) -> str:
    return f"{k} day" if k == 1 else f"{k} days"


def key_figures(report: Report) -> list[str]:
    a = report.analysis.adherence
    lateness = a.median_lateness_minutes
    figures = [
        "Median lateness: " + ("-" if lateness is None else f"{lateness:+.0f} min") + " (taken doses; early is negative)",
        f"Streak of days with every dose taken: {_days(a.current_streak)} now; longest {_days(a.longest_streak)}",
        f"Days with a missed, skipped or unrecorded dose: {a.days_with_missed_dose}",
    ]
    prn = prn_line(report)
    return figures + ([prn] if prn else [])


def prn_line(report: Report) -> str | None:
    if not report.as_needed:
        return None  # no as-needed medicine configured or taken
    return "As needed: " + "; ".join(
        f"{p.medication} taken {p.taken} time{'s' if p.taken != 1 else ''} on {p.days} of "
        f"{report.period_days} days (at most {p.most_in_a_day} in a day)" if p.taken
        else f"{p.medication} not taken" for p in report.as_needed) + "."


def effect_rows(report: Report) -> list[list[Any]]:
    e = report.analysis.effect
    rows = []
    for label, name in LABEL_NAMES.items():
        s = e.by_label[label]
        rows.append([name, s.nights, _num(s.severity.mean, 2), _num(s.severity.median),
                     _num(s.frequency.mean, 2), _num(s.frequency.median), _num(s.woke.mean, 2), _num(s.woke.median)])
    return rows


EFFECT_HEADERS = ["nights after", "nights", "severity mean", "median", "frequency mean", "median",
                  "wake-ups mean", "median"]


def comparison_lines(report: Report) -> list[str]:
    e = report.analysis.effect
    lines = []
    for label in COMPARED:
        c, name = e.comparisons[label], LABEL_NAMES[label]
        if c.difference is None or c.ci95 is None:
            if label != MISSED and c.nights == 0:
                continue  # no late or early night at all: nothing to say
            lines.append(f"Severity, {name} \u2212 every dose on time: no number yet, {c.refused}")
        else:
            lines.append(f"Severity, {name} \u2212 every dose on time: {signed(c.difference)} points "
                         f"(95% interval {signed(c.ci95[0])} to {signed(c.ci95[1])}; rotation p = {c.p_value:.2g}; "
                         f"{c.nights} vs {c.on_time_nights} nights, {c.episodes} episodes)")
    lines.append(f"Lag-1 autocorrelation of severity: {_num(e.severity_autocorrelation, 2)} (the test rotates the "
                 "night labels along the calendar, which keeps runs of bad nights and of missed doses intact)")
    lines.append(f"Missed-dose episodes: {e.missed_episodes} (runs of consecutive nights after a missed "
                 f"dose; {e.nights[MISSED]} nights)")
    lines.append(f"Nights without a check-in: {e.nights['no_checkin']} (gaps in the calendar); with no dose due: "
                 f"{e.nights['no_doses']}")
    return lines
