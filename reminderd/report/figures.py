"""The report's figures as words and table rows, the same in the terminal text and the
HTML page: the finding and which figure is which, the prescription, the adherence tables
and key figures, the nights, and the methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reminderd.core.analysis.adherence import DoseCounts
from reminderd.core.analysis.effect import (
    EARLIER,
    EVENING,
    FIGURES,
    MIN_EPISODES,
    MIN_NIGHTS,
    UNITS,
    WEEKDAY_NIGHTS,
    Figure,
    nights_text,
    p_text,
)
from reminderd.core.analysis.records import EARLY, LATE, ON_TIME
from reminderd.core.checkin import OTHER_CAUSE_SHORT, SEVERITY
from reminderd.core.words import MISSED
from reminderd.core.durations import format_duration

if TYPE_CHECKING:
    from reminderd.report.build import NightDetail, Report

LABEL_NAMES = {ON_TIME: "every dose on time", EARLY: "a dose early", LATE: "a dose late", MISSED: "a dose missed"}


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def signed(x: float) -> str:
    text = f"{x:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "\u2212")


# --- the finding ------------------------------------------------------------------------


def figure_name(report: Report, exposure: str) -> str:
    """Which figure is which, in words: the headline is the effect of that night's misses."""
    return {
        MISSED: "a missed dose, any (that night's own effect)",
        EVENING: f"the evening dose missed (due {report.evening_from}\u2013{report.bedtime})",
        EARLIER: f"an earlier dose missed (due before {report.evening_from})",
        LATE: "each hour a dose was taken late",
        EARLY: "a dose taken early",
    }[exposure]


def shown_figures(report: Report) -> list[Figure]:
    """The headline, then the others that have a night to speak of."""
    figures = report.analysis.effect.figures
    return [figures[f] for f in FIGURES if f == MISSED or figures[f].nights]


def figure_text(f: Figure) -> str:
    """ "+0.6 points (95% interval +0.2 to +1.0; p = 0.01; 14 vs 40 nights, 9 episodes)" """
    if f.estimate is None or f.ci95 is None:
        return f"no number yet: {f.refused}"
    unit = "point" + ("s" if abs(round(f.estimate, 1)) != 1 else "") + (f" {UNITS[f.exposure]}" if f.exposure in UNITS
                                                                        else "")
    return (f"{signed(f.estimate)} {unit} (95% interval {signed(f.ci95[0])} to {signed(f.ci95[1])}; "
            f"{p_text(f.p_value or 1.0, f.smallest_p)}; {f.nights} vs {f.reference_nights} nights, "
            f"{f.episodes} episodes)")


def figure_lines(report: Report) -> list[str]:
    """One line per figure: its name and its number, or why there is none."""
    return [f"{figure_name(report, f.exposure)}: {figure_text(f)}" for f in shown_figures(report)]


def period_line(report: Report) -> str:
    e = report.analysis.effect
    if e.first is None or e.last is None:
        return "No nights yet."
    whole = " (the whole log)" if report.log_begins is not None and e.first <= report.log_begins else ""
    return (f"Each against nights after every dose was taken on time, over every night from {e.first:%-d %B %Y} "
            f"to {e.last:%-d %B %Y}{whole}; the adherence below covers {report.since:%-d %B} to "
            f"{report.until:%-d %B %Y}.")


# --- the prescription ---------------------------------------------------------------------


def prescription_rows(report: Report) -> list[list[str]]:
    """[days, medication, what was prescribed] for each prescription over the figures' period."""
    rows = []
    for p in report.prescriptions:
        days = f"from {p.start:%-d %b %Y}" + (f" to {p.end:%-d %b %Y}" if p.end else "")
        for i, (name, text) in enumerate(p.plans):
            rows.append([days if i == 0 else "", name, text])
    return rows


PRESCRIPTION_HEADERS = ["in force", "medication", "prescribed"]


# --- adherence ------------------------------------------------------------------------


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


# --- the nights -------------------------------------------------------------------------


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


def severity_words(detail: NightDetail) -> str:
    return "no check-in" if detail.severity is None else f"severity {detail.severity} ({SEVERITY[detail.severity]})"


def detail_cells(detail: NightDetail) -> list[str]:
    """[night, severity, doses not on time, as needed, check-in]"""
    said = ([f"\u201c{detail.note}\u201d"] if detail.note else []) + ([OTHER_CAUSE_SHORT] if detail.other_cause else [])
    return [f"{detail.night:%a %-d %b}", severity_words(detail), "; ".join(detail.doses),
            ", ".join(detail.as_needed), "; ".join(said)]


DETAIL_HEADERS = ["night", "spasms", "doses not on time", "as needed", "check-in note"]


def nights_line(report: Report) -> str:
    shown = report.shown
    if not shown:
        return "No night of this period has come to its check-in yet."
    checked = sum(1 for n in report.nights.nights if shown[0] <= n.night <= shown[-1])
    return (f"{nights_text(len(shown))}, {shown[0]:%-d %b} to {shown[-1]:%-d %b %Y}: {checked} with a check-in; a night "
            f"is labelled by the doses due in the 24 hours before bedtime ({report.bedtime}), as they stood at its "
            f"check-in.")


# --- methods ----------------------------------------------------------------------------


def methods_lines(report: Report) -> list[str]:
    e = report.analysis.effect
    calendar = (e.last - e.first).days + 1 if e.first and e.last else 0
    phi = "-" if e.severity_autocorrelation is None else f"{e.severity_autocorrelation:.2f}"
    weekday = ("the day of the week" if calendar >= WEEKDAY_NIGHTS else
               f"weekend (Friday and Saturday nights) or not (the log is under {WEEKDAY_NIGHTS // 7} weeks)")
    lines = [
        "What each figure is: the difference in severity (0 none to 3 severe, reported the next morning) that goes "
        "with what became of the night's doses, as one coefficient of a regression that holds them all: a missed "
        "dose (or the evening dose and earlier doses apart), hours late, an early dose, and a missed dose the night "
        "before, so that each figure is that night's own effect and a miss that carries into the next night is not "
        "counted twice. The reference is a night after every dose was taken on time.",
        f"Allowed for in every figure: the night before (the nights' autocorrelation, {phi}, taken out by "
        "prewhitening: regression with AR(1) errors, a gap of d nights counting as phi^d); a slow trend; "
        f"{weekday}; and the {nights_text(e.nights.get('other_cause', 0))} whose check-in said "
        f"{OTHER_CAUSE_SHORT} (unwell, an infection, heat, alcohol, a relapse). Only a cause recorded that way "
        "can be allowed for.",
        "p-values and 95% intervals: the whole sequence of the nights' doses is rotated round the calendar against "
        "the severities (one rotation per night; runs of bad nights and runs of misses stay intact) and the "
        "regression's t is ranked among them; the interval is every effect that same test does not reject. "
        + (f"With {calendar} nights no p-value can be below 1/{calendar} ({1 / calendar:.2g}). " if calendar else "")
        + "Nothing is drawn at random: the same log always gives the same report.",
        f"No number is given with fewer than {MIN_NIGHTS} nights in either group, when the nights come from fewer "
        f"than {MIN_EPISODES} separate episodes, or when the runs are too long for a 95% interval. "
        f"Nights without a check-in: {e.nights['no_checkin']} (gaps, never filled in); with no dose due: "
        f"{e.nights['no_doses']} (left out).",
        f"Adherence: on time is within {format_duration(report.on_time_window)} of the time due; early or "
        "late outside it; not recorded is a dose with no answer at all.",
        "How often these figures are right was measured on simulated logs, including a bad night that makes the "
        "next dose forgotten, trends, weekends, a common cause and check-ins skipped after bad nights "
        "(benchmarks/bench_validity.py in reminderd's source).",
    ]
    return lines
