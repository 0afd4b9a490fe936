"""`reminderd report`: the log and the config turned into the adherence figures and the
missed-dose effect (`reminderd.core.analysis.adherence`), rendered as terminal text, JSON, or one
self-contained printable HTML page for the neurologist (inline CSS and SVG, nothing
fetched).

Scheduled doses are analysed; as-needed (PRN) doses are only counted. A slot the
schedule had on a day since the log began, but with no row at all, counts as not
recorded: the daemon was not running and nobody answered it.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from reminderd.core.analysis.adherence import (
    LATE,
    MISSED,
    ON_TIME,
    Analysis,
    DoseCounts,
    DoseOutcome,
    NightCheckin,
    adherence,
    date_range,
    dose_outcome,
)
from reminderd.core.checkin import SEVERITY
from reminderd.core.config.settings import Config
from reminderd.core.config.values import format_slot
from reminderd.core.analysis.effect import COMPARED, effect
from reminderd.core.analysis.nights import EARLY, NightLabels, label_nights
from reminderd.core.prescriptions import History
from reminderd.core.schedule import local_instant
from reminderd.store import Store

LABEL_NAMES = {ON_TIME: "every dose on time", EARLY: "some early", LATE: "some late", MISSED: "some missed"}


@dataclass(frozen=True)
class AsNeeded:
    """An as-needed (PRN) medicine over the period: counted, never due, so not analysed."""

    medication: str
    taken: int
    days: int  # days it was taken at least once
    most_in_a_day: int


@dataclass(frozen=True)
class Report:
    since: date
    until: date
    now: datetime
    tz: ZoneInfo
    log_begins: date | None
    analysis: Analysis
    nights: NightLabels
    days: dict[date, Counter]  # outcomes of the scheduled doses due each day in the period
    as_needed: tuple[AsNeeded, ...]
    period_days: int
    bedtime: str  # "23:00": when a night begins


# (medication, local date, slot, due, status, taken_at), as Store.dose_outcome_rows gives them
Row = tuple[str, date, str, datetime, str, datetime | None]


def build(store: Store, config: Config, since: date, until: date, now: datetime) -> Report:
    """Everything the report shows, from the log as it is at `now`."""
    tz = config.timezone
    # A night's doses are due from bedtime the evening before, and its check-in is the
    # morning after.
    first = since - timedelta(days=2)
    last = until + timedelta(days=1)
    rows = store.dose_outcome_rows(first, last)
    history = History.of(store.prescription_rows(), config)
    # The as-needed medicines prescribed at some time in the period, not those of today.
    prn_names = sorted({m.name for c in history.between(local_instant(since, time(0, 0), tz),
                                                        local_instant(until + timedelta(days=1), time(0, 0), tz))
                        for m in c.medications if m.as_needed})
    # An as-needed dose has a "PRN n" slot; the prescription of its time also catches the
    # rows of a medicine that was as-needed then.
    in_force = history.indexes_at(r[3] for r in rows)
    prn_then = [frozenset(m.name for m in r.config.medications if m.as_needed) for r in history.records]
    is_prn = [r[2].startswith("PRN ") or r[0] in prn_then[k] for r, k in zip(rows, in_force)]
    # Each dose is judged by the on-time window of the prescription in force when it fell due.
    windows = [r.config.on_time_window for r in history.records]
    scheduled = [DoseOutcome(*r, on_time_window=windows[k]) for r, k, prn in zip(rows, in_force, is_prn) if not prn]
    log_begins = store.log_begins(tz)
    scheduled += _not_recorded(history, rows, max(first, log_begins or last + timedelta(days=1)), last, now)
    stored = store.checkins_between(since, until)
    checkins = [NightCheckin(c.night, c.severity, c.frequency, c.woke) for c in stored]
    answered = {c.night: c.answered_at for c in stored}
    # A night counts once its check-in time has come (and only since the log began).
    nights = [n for n in date_range(since, until) if n in answered or (
        log_begins is not None and n >= log_begins
        and local_instant(n + timedelta(days=1), config.checkin.time, tz) <= now)]
    labelled = label_nights(scheduled, checkins, nights, bedtime=config.checkin.bedtime,
                            checkin_time=config.checkin.time, tz=tz, on_time_window=config.on_time_window,
                            answered=answered)
    analysis = Analysis(
        adherence(scheduled, since, until, now, tz=tz, on_time_window=config.on_time_window),
        effect(labelled),
    )
    days: dict[date, Counter] = {}
    for d in scheduled:
        outcome = dose_outcome(d, now, config.on_time_window)
        if since <= d.local_date <= until and outcome is not None:
            days.setdefault(d.local_date, Counter())[outcome] += 1
    taken_prn = [r for r, prn in zip(rows, is_prn) if prn and since <= r[1] <= until and r[4] == "taken"]
    return Report(since, until, now, tz, log_begins, analysis, labelled, days,
                  _as_needed(taken_prn, prn_names), (until - since).days + 1, format_slot(config.checkin.bedtime))


def _not_recorded(history: History, rows: Sequence[Row], first: date, last: date,
                  now: datetime) -> list[DoseOutcome]:
    """Slots of the prescription in force that fell due with no row in the log, as
    unanswered doses.

    Which slots a day should have comes cheaply from the prescription in force all day
    (the same few sets of slots, day after day); the day is expanded into due instants
    only when one of them has no row, or slot by slot when the prescription changed that day."""
    have: dict[date, set[tuple[str, str]]] = {}
    for medication, day, slot, *_ in rows:
        have.setdefault(day, set()).add((medication, slot))
    slot_sets: dict[tuple, frozenset[tuple[str, str]]] = {}
    missing = []
    for day in date_range(first, last) if first <= last else []:
        recorded = have.get(day, set())
        config = history.whole_day(day)
        if config is not None:
            plan = tuple((m.name, step.times) for m in config.medications if (step := m.step_on(day)) is not None)
            expected = slot_sets.get(plan)
            if expected is None:
                expected = slot_sets[plan] = frozenset((name, format_slot(t)) for name, times in plan for t in times)
            if expected <= recorded:
                continue
        missing += [DoseOutcome(s.medication, s.local_date, s.slot, s.due, "pending",
                                on_time_window=history.at(s.due).on_time_window)
                    for s in history.slots_on(day) if s.due < now and (s.medication, s.slot) not in recorded]
    return missing


def _as_needed(taken: Iterable[Row], configured: Iterable[str]) -> tuple[AsNeeded, ...]:
    """Each as-needed medicine configured or taken: how often, on how many days."""
    per_day: dict[str, Counter] = {name: Counter() for name in configured}
    for medication, day, *_ in taken:
        per_day.setdefault(medication, Counter())[day] += 1
    return tuple(AsNeeded(med, sum(c.values()), len(c), max(c.values(), default=0))
                 for med, c in sorted(per_day.items()))


# --------------------------------------------------------------------------- JSON


def render_json(report: Report) -> str:
    data = {
        "period": {"since": report.since.isoformat(), "until": report.until.isoformat()},
        "timezone": report.tz.key,
        "log_begins": report.log_begins.isoformat() if report.log_begins else None,
        **report.analysis.to_json_dict(),
        "as_needed": {p.medication: {"taken": p.taken, "days": p.days, "most_in_a_day": p.most_in_a_day}
                      for p in report.as_needed},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- text


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _signed(x: float) -> str:
    text = f"{x:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "\u2212")


COUNT_HEADERS = ["due", "taken", "on time", "early", "late", "skipped", "missed", "not recorded", "taken %", "on time %"]


def _count_cells(c: DoseCounts) -> list[Any]:
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
            lines.append(f"Severity, {name} \u2212 every dose on time: {_signed(c.difference)} points "
                         f"(95% interval {_signed(c.ci95[0])} to {_signed(c.ci95[1])}; rotation p = {c.p_value:.2g}; "
                         f"{c.nights} vs {c.on_time_nights} nights, {c.episodes} episodes)")
    lines.append(f"Lag-1 autocorrelation of severity: {_num(e.severity_autocorrelation, 2)} (the test rotates the "
                 "night labels along the calendar, which keeps runs of bad nights and of missed doses intact)")
    lines.append(f"Missed-dose episodes: {e.missed_episodes} (runs of consecutive nights after a missed "
                 f"dose; {e.nights[MISSED]} nights)")
    lines.append(f"Nights without a check-in: {e.nights['no_checkin']} (gaps in the calendar); with no dose due: "
                 f"{e.nights['no_doses']}")
    return lines


def render_text(report: Report) -> str:
    from tabulate import tabulate

    out = [f"reminderd report, {report.since} to {report.until} ({report.tz.key})"]
    if report.log_begins is None or report.log_begins > report.since:
        out.append(f"The log begins {report.log_begins or 'after this period'}; nothing before it is counted.")
    out += ["", "ADHERENCE"]
    for heading, rows in adherence_rows(report):
        out += ["", heading, tabulate([[name, *_count_cells(c)] for name, c in rows],
                                      headers=["", *COUNT_HEADERS], disable_numparse=True,
                                      colalign=("left",) + ("right",) * len(COUNT_HEADERS))]
    out += ["", *key_figures(report), "", "MISSED DOSES AND THE NEXT NIGHT",
            "(severity 0\u20133, Penn frequency 0\u20134, wake-ups: where answered)", "",
            tabulate(effect_rows(report), headers=EFFECT_HEADERS, disable_numparse=True,
                     colalign=("left",) + ("right",) * (len(EFFECT_HEADERS) - 1)),
            "", *comparison_lines(report), ""]
    out += textwrap.wrap(report.analysis.effect.summary, 88)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- HTML

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


def render_html(report: Report) -> str:
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
              f'<p class="summary" id="summary">{escape(e.summary)}</p></section>', "</body></html>"]
    return "\n".join(parts) + "\n"


def _adherence_table(report: Report) -> str:
    """All doses, then per medication, slot and weekday, in one table with group rows."""
    head = "".join(f"<th>{escape(h)}</th>" for h in ["", *COUNT_HEADERS])
    body = []
    for heading, rows in adherence_rows(report):
        body.append(f'<tr class="group"><th colspan="{len(COUNT_HEADERS) + 1}">{escape(heading)}</th></tr>')
        body += ["<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in [name, *_count_cells(c)]) + "</tr>"
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
                   f'<text x="{x(v):.1f}" y="108" text-anchor="middle">{_signed(v) if v else "0"}</text>')
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
        out.append(f'<text {side} y="{y + 4}">{_signed(diff)} ({_signed(ci[0])} to {_signed(ci[1])})</text>')
    return "".join(out) + "</svg>"


RENDERERS = {"text": render_text, "json": render_json, "html": render_html}


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)
