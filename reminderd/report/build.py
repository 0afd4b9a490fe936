"""The report's data, built once from the log and the prescription in force at each time:
the adherence figures and the missed-dose effect (`reminderd.core.analysis`), each day's
outcomes for the calendar, and the as-needed medicines; one `Report` the renderers read.

Scheduled doses are analysed; as-needed (PRN) doses are only counted. A slot the
schedule had on a day since the log began, but with no row at all, counts as not
recorded: the daemon was not running and nobody answered it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from reminderd.core.analysis.adherence import Adherence, adherence
from reminderd.core.analysis.effect import Effect, effect
from reminderd.core.analysis.nights import NightLabels, label_nights
from reminderd.core.analysis.records import DoseOutcome, NightCheckin, date_range, dose_outcome
from reminderd.core.config.settings import Config
from reminderd.core.config.values import format_slot
from reminderd.core.doses import TAKEN
from reminderd.core.prescriptions import History, unrecorded
from reminderd.core.schedule import local_instant

if TYPE_CHECKING:
    from reminderd.store import Store


@dataclass(frozen=True)
class Analysis:
    """The two figures the report is about: adherence, and the missed-dose effect."""

    adherence: Adherence
    effect: Effect

    def to_json_dict(self) -> dict[str, Any]:
        return {"adherence": self.adherence.to_json_dict(), "effect": self.effect.to_json_dict()}


@dataclass(frozen=True)
class AsNeeded:
    """An as-needed (PRN) medicine over the period: counted, never due, so not analysed."""

    medication: str
    taken: int
    days: int  # days it was taken at least once
    most_in_a_day: int


@dataclass(frozen=True)
class Report:
    """Everything the report shows; the renderers only lay it out."""

    since: date
    until: date
    now: datetime
    tz: ZoneInfo
    log_begins: date | None
    analysis: Analysis
    nights: NightLabels
    days: dict[date, Counter]  # outcomes of the scheduled doses due each day in the period
    # The scheduled doses of the period's days that the figures count (rows, and the plan's
    # slots with none), as `status` and the answers see them too.
    doses: tuple[DoseOutcome, ...]
    as_needed: tuple[AsNeeded, ...]
    period_days: int
    bedtime: str  # "23:00": when a night begins


DAY = timedelta(days=1)
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
    # A local day's midnight, bedtime and check-in are in the zone of the prescription in
    # force on it: a move abroad does not shift the nights lived before it.
    zone_on = lambda day: history.on(day).timezone  # noqa: E731
    # The as-needed medicines prescribed at some time in the period, not those of today.
    prn_names = sorted({m.name for c in history.between(local_instant(since, time(0, 0), zone_on(since)),
                                                        local_instant(until + timedelta(days=1), time(0, 0),
                                                                      zone_on(until + timedelta(days=1))))
                        for m in c.medications if m.as_needed})
    # An as-needed dose has a "PRN n" slot; the prescription of its time also catches the
    # rows of a medicine that was as-needed then.
    in_force = history.indexes_at(r[3] for r in rows)
    prn_then = [frozenset(m.name for m in r.config.medications if m.as_needed) for r in history.records]
    is_prn = [r[2].startswith("PRN ") or r[0] in prn_then[k] for r, k in zip(rows, in_force)]
    # Each dose is judged by the on-time window of the prescription in force when it fell due.
    windows = [r.config.on_time_window for r in history.records]
    scheduled = [DoseOutcome(*r, on_time_window=windows[k]) for r, k, prn in zip(rows, in_force, is_prn) if not prn]
    # The log began under the first prescription (or before it, judged by it): its zone.
    began_at = store.log_began_at()
    log_begins = began_at and began_at.astimezone(history.records[0].config.timezone).date()
    scheduled += _not_recorded(history, rows, max(first, log_begins or last + timedelta(days=1)), last,
                               now, began_at or now)
    stored = store.checkins_between(since, until)
    checkins = [NightCheckin(c.night, c.severity, c.frequency, c.woke) for c in stored]
    answered = {c.night: c.answered_at for c in stored}
    # A night counts once its check-in time has come (and only since the log began).
    nights = [n for n in date_range(since, until) if n in answered or (
        log_begins is not None and n >= log_begins
        and local_instant(n + timedelta(days=1), config.checkin.time, zone_on(n + timedelta(days=1))) <= now)]
    labelled = label_nights(scheduled, checkins, nights, bedtime=config.checkin.bedtime,
                            checkin_time=config.checkin.time, tz=tz, on_time_window=config.on_time_window,
                            answered=answered, zone_on=zone_on)
    analysis = Analysis(
        adherence(scheduled, since, until, now, tz=tz, on_time_window=config.on_time_window),
        effect(labelled),
    )
    days: dict[date, Counter] = {}
    for d in scheduled:
        outcome = dose_outcome(d, now, config.on_time_window)
        if since <= d.local_date <= until and outcome is not None:
            days.setdefault(d.local_date, Counter())[outcome] += 1
    taken_prn = [r for r, prn in zip(rows, is_prn) if prn and since <= r[1] <= until and r[4] == TAKEN]
    return Report(since, until, now, tz, log_begins, analysis, labelled, days,
                  tuple(d for d in scheduled if since <= d.local_date <= until), _as_needed(taken_prn, prn_names),
                  (until - since).days + 1, format_slot(config.checkin.bedtime))


def _not_recorded(history: History, rows: Sequence[Row], first: date, last: date,
                  now: datetime, began_at: datetime) -> list[DoseOutcome]:
    """The slots of the plan (`History.plan`, as `status` and the answers have it) of the
    local dates first..last that fell due with no row in the log, as unanswered doses. A
    slot due before the log began (on its first day, before the first record) is not one:
    nothing was being recorded then."""
    if first > last:
        return []
    start = local_instant(first, time(0), history.on(first).timezone) - DAY
    end = min(local_instant(last + DAY, time(0), history.on(last + DAY).timezone) + DAY, now)
    planned = [s for s in history.plan(max(start, began_at), end) if first <= s.local_date <= last]
    return [DoseOutcome(s.medication, s.local_date, s.slot, s.due, "pending",
                        on_time_window=history.at(s.due).on_time_window)
            for s in unrecorded(planned, ((medication, day, slot) for medication, day, slot, *_ in rows))]


def _as_needed(taken: Iterable[Row], configured: Iterable[str]) -> tuple[AsNeeded, ...]:
    """Each as-needed medicine configured or taken: how often, on how many days."""
    per_day: dict[str, Counter] = {name: Counter() for name in configured}
    for medication, day, *_ in taken:
        per_day.setdefault(medication, Counter())[day] += 1
    return tuple(AsNeeded(med, sum(c.values()), len(c), max(c.values(), default=0))
                 for med, c in sorted(per_day.items()))
