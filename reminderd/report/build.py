"""The report's data, built once from the log and the prescription in force at each time:
the adherence figures over the report's period and the missed-dose effect over the whole
log (`reminderd.core.analysis`), the prescriptions of the time, each day's outcomes for the
calendar, what is worth saying beside each night, and the as-needed medicines; one
`Report` the renderers read.

Scheduled doses are analysed; as-needed (PRN) doses are only counted, and listed beside
their nights. A slot the schedule had on a day since the log began, but with no row at
all, counts as not recorded: the daemon was not running and nobody answered it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from reminderd.core.analysis.adherence import Adherence, adherence
from reminderd.core.analysis.effect import Effect, effect
from reminderd.core.analysis.nights import EVENING, NightLabels, label_nights
from reminderd.core.analysis.raters import RaterAnalysis, analyse, rater_checkins
from reminderd.core.analysis.records import ON_TIME, DoseOutcome, NightCheckin, date_range, dose_outcome
from reminderd.core.config.settings import Config
from reminderd.core.config.values import format_slot
from reminderd.core.doses import timing
from reminderd.core.prescriptions import History, unrecorded, what_is_prescribed
from reminderd.core.schedule import local_instant
from reminderd.core.words import AS_NEEDED_SLOT, MISSED, PENDING, TAKEN

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
class PrescriptionPeriod:
    """A prescription as the report shows it: each medication's plan, and the days it held."""

    start: date  # the local day it came into force (or the first day shown)
    end: date | None  # the last day it held; None: it still does
    plans: tuple[tuple[str, str], ...]  # (medication, what was prescribed)


@dataclass(frozen=True)
class NightDetail:
    """What is worth saying beside a night: its check-in, and its doses that were not on time."""

    night: date
    label: str | None
    severity: int | None  # None: no check-in
    doses: tuple[str, ...]  # "22:00 gabapentin: missed (not answered)"
    as_needed: tuple[str, ...]  # "baclofen at 21:05"
    note: str | None
    other_cause: bool


@dataclass(frozen=True)
class Report:
    """Everything the report shows; the renderers only lay it out."""

    since: date
    until: date
    now: datetime
    tz: ZoneInfo
    log_begins: date | None
    analysis: Analysis
    nights: NightLabels  # every night of the effect's period
    days: dict[date, Counter]  # outcomes of the scheduled doses due each day in the period
    # The scheduled doses of the period's days that the figures count (rows, and the plan's
    # slots with none), as `status` and the answers see them too.
    doses: tuple[DoseOutcome, ...]
    as_needed: tuple[AsNeeded, ...]
    period_days: int
    bedtime: str  # "23:00": when a night begins
    evening_from: str  # "19:00": a dose due from then to bedtime is the evening dose
    on_time_window: timedelta  # today's: what "on time" means in the words
    prescriptions: tuple[PrescriptionPeriod, ...]  # in force over the effect's period, oldest first
    shown: tuple[date, ...]  # the nights of the period drawn and listed (at most SHOWN_NIGHTS, the last)
    details: tuple[NightDetail, ...]  # the shown nights with something to say
    # Each second rater (configured, or in the log) beside him; empty without any.
    raters: tuple[RaterAnalysis, ...] = ()


DAY = timedelta(days=1)
# (medication, local date, slot, due, status, taken_at), as Store.dose_outcome_rows gives them
Row = tuple[str, date, str, datetime, str, datetime | None]
# The page draws and lists at most this many nights (the last of the period): a quarter is
# what a neurologist reads beside the figures, which use every night.
SHOWN_NIGHTS = 92


def build(store: Store, config: Config, since: date, until: date, now: datetime,
          effect_since: date | None = None) -> Report:
    """Everything the report shows, from the log as it is at `now`: adherence over the
    local dates `since`..`until`, the missed-dose effect over the nights from
    `effect_since` (default: the whole log) to `until`."""
    tz = config.timezone
    began_at = store.log_began_at()
    history = History.of(store.prescription_rows(), config)
    # The log began under the first prescription (or before it, judged by it): its zone.
    log_begins = began_at and began_at.astimezone(history.records[0].config.timezone).date()
    effect_first = min(effect_since or log_begins or since, until)
    # A night's doses are due from bedtime the evening before, and its check-in is the
    # morning after.
    first = min(since, effect_first) - timedelta(days=2)
    last = until + timedelta(days=1)
    rows = store.dose_outcome_rows(first, last)
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
    is_prn = [r[2].startswith(AS_NEEDED_SLOT) or r[0] in prn_then[k] for r, k in zip(rows, in_force)]
    # Each dose is judged by the on-time window of the prescription in force when it fell due.
    windows = [r.config.on_time_window for r in history.records]
    scheduled = [DoseOutcome(*r, on_time_window=windows[k]) for r, k, prn in zip(rows, in_force, is_prn) if not prn]
    scheduled += _not_recorded(history, rows, max(first, log_begins or last + timedelta(days=1)), last,
                               now, began_at or now)
    stored = store.checkins_between(effect_first, until)
    checkins = [NightCheckin(c.night, c.severity, c.frequency, c.woke, c.other_cause) for c in stored]
    answered = {c.night: c.answered_at for c in stored}
    # A night counts once its check-in time has come (and only since the log began).
    nights = [n for n in date_range(effect_first, until) if n in answered or (
        log_begins is not None and n >= log_begins
        and local_instant(n + timedelta(days=1), config.checkin.time, zone_on(n + timedelta(days=1))) <= now)]
    label = lambda checkins, nights: label_nights(  # noqa: E731  (every rater's nights labelled alike)
        scheduled, checkins, nights, bedtime=config.checkin.bedtime, checkin_time=config.checkin.time, tz=tz,
        on_time_window=config.on_time_window, answered=answered, zone_on=zone_on)
    labelled = label(checkins, nights)
    analysis = Analysis(
        adherence(scheduled, since, until, now, tz=tz, on_time_window=config.on_time_window),
        effect(labelled),
    )
    days: dict[date, Counter] = {}
    for d in scheduled:
        outcome = dose_outcome(d, now, config.on_time_window)
        if since <= d.local_date <= until and outcome is not None:
            days.setdefault(d.local_date, Counter())[outcome] += 1
    in_period = [n for n in nights if n >= since]
    shown = tuple(in_period[-SHOWN_NIGHTS:])
    taken_prn = [r for r, prn in zip(rows, is_prn) if prn and r[4] == TAKEN]
    raters = _raters(store, config, effect_first, until, nights, labelled, analysis.effect, label,
                     {c.night: c.other_cause for c in stored})
    details = _details(store, config, labelled, shown, {c.night: c for c in stored}, taken_prn, zone_on)
    return Report(since, until, now, tz, log_begins, analysis, labelled, days,
                  tuple(d for d in scheduled if since <= d.local_date <= until),
                  _as_needed([r for r in taken_prn if since <= r[1] <= until], prn_names), (until - since).days + 1,
                  format_slot(config.checkin.bedtime),
                  format_slot((datetime.combine(since, config.checkin.bedtime) - EVENING).time()),
                  config.on_time_window, _prescriptions(history, effect_first, until), shown, details, raters)


def _raters(store: Store, config: Config, since: date, until: date, nights: list[date], his: NightLabels,
            his_effect: Effect, label, other_cause: dict) -> tuple[RaterAnalysis, ...]:
    """Each rater of the config, and each who rated a night in the effect's period though no
    longer configured: her ratings on the same calendar, labelled by the same doses (judged
    at his check-in, so a night's label is the same whoever rates it), with what his
    check-in marked as something else that could explain the night (`other_cause`)."""
    ratings: dict[str, list] = {r.name: [] for r in config.raters}
    for rating in store.ratings_between(since, until):
        known = config.rater(rating.rater)
        ratings.setdefault(known.name if known else rating.rater, []).append(rating)
    return tuple(analyse(name, his, label(rater_checkins(rated, other_cause),
                                          sorted(set(nights) | {r.night for r in rated})),
                         {r.night for r in rated if r.blinded}, his_effect)
                 for name, rated in ratings.items())


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
    return [DoseOutcome(s.medication, s.local_date, s.slot, s.due, PENDING,
                        on_time_window=history.at(s.due).on_time_window)
            for s in unrecorded(planned, ((medication, day, slot) for medication, day, slot, *_ in rows))]


def _prescriptions(history: History, first: date, last: date) -> tuple[PrescriptionPeriod, ...]:
    """Each prescription in force over [first, last] whose plans differ from the one before
    (a change of a reminder setting alone is no change of prescription), with its days."""
    periods: list[PrescriptionPeriod] = []
    for record in history.records:
        tz = record.config.timezone
        # A log with no prescription recorded is judged by today's from the beginning of time.
        starts = (first if record.in_force_from <= local_instant(first, time(0, 0), tz)
                  else record.in_force_from.astimezone(tz).date())
        if starts > last:
            break
        plans = tuple((m.name, what_is_prescribed(m)) for m in record.config.medications)
        if periods and periods[-1].plans == plans:
            continue
        if periods and periods[-1].start >= starts:
            periods.pop()  # replaced before the first day shown (or on the same day)
        elif periods:
            periods[-1] = replace(periods[-1], end=starts - timedelta(days=1))
        periods.append(PrescriptionPeriod(starts, None, plans))
    return tuple(periods)


def _details(store: Store, config: Config, labelled: NightLabels, shown: Sequence[date],
             checkins: dict[date, Any], taken_prn: Sequence[Row], zone_on) -> tuple[NightDetail, ...]:
    """The shown nights with something to say: a dose not on time (with the reason given),
    an as-needed dose, a check-in note, or "something else could explain the night"."""
    if not shown:
        return ()
    reasons = {(d.medication, d.local_date, d.slot): d.reason
               for d in store.doses_on_dates(shown[0] - timedelta(days=1), shown[-1]) if d.reason}
    # An as-needed dose is beside the night of the day it was taken on, counted from the
    # morning check-in: one at 02:00 belongs to the night it was taken in.
    prn: dict[date, list[str]] = {}
    for medication, _, _, _, _, taken_at in taken_prn:
        assert taken_at is not None  # a taken row
        local = taken_at.astimezone(zone_on(taken_at.date()))
        night = (local - timedelta(hours=config.checkin.time.hour, minutes=config.checkin.time.minute)).date()
        prn.setdefault(night, []).append(f"{medication} at {local:%H:%M}")
    out = []
    for night in shown:
        parts = labelled.doses.get(night)
        doses = tuple(_dose_words(dose, outcome, reasons.get((dose.medication, dose.local_date, dose.slot)), zone_on,
                                  config.on_time_window)
                      for dose, outcome in (parts.judged if parts else ()) if outcome != ON_TIME)
        checkin = checkins.get(night)
        note = checkin.note if checkin else None
        other = bool(checkin and checkin.other_cause)
        if doses or prn.get(night) or note or other:
            out.append(NightDetail(night, parts.label if parts else None, checkin.severity if checkin else None,
                                   doses, tuple(prn.get(night, ())), note, other))
    return tuple(out)


def _dose_words(dose: DoseOutcome, outcome: str, reason: str | None, zone_on, window: timedelta) -> str:
    """ "22:00 gabapentin: missed (not answered)", "14:00 gabapentin: late, 1 h 35 min after" """
    window = dose.on_time_window or window
    what = f"{dose.slot} {dose.medication}: "
    if dose.status == TAKEN and dose.taken_at is not None:
        minutes = round((dose.taken_at - dose.due).total_seconds() / 60)
        words = timing(minutes, window)
        if outcome == MISSED:
            local = dose.taken_at.astimezone(zone_on(dose.taken_at.date()))
            return what + f"taken only after the check-in, {local:%a %H:%M} ({words})"
        return what + words
    words = "not recorded" if dose.status == PENDING else dose.status  # skipped, missed: as the log says
    return what + words + (f" ({reason})" if reason else "")


def _as_needed(taken: Iterable[Row], configured: Iterable[str]) -> tuple[AsNeeded, ...]:
    """Each as-needed medicine configured or taken: how often, on how many days."""
    per_day: dict[str, Counter] = {name: Counter() for name in configured}
    for medication, day, *_ in taken:
        per_day.setdefault(medication, Counter())[day] += 1
    return tuple(AsNeeded(med, sum(c.values()), len(c), max(c.values(), default=0))
                 for med, c in sorted(per_day.items()))
