"""Each night labelled by its own doses: those due in the 24 hours before it begins, as they
stood when the night was over.

A night (named by the date of its evening) begins at `bedtime` and ends at the next
morning's check-in. The doses that can act on it are those due in the 24 h before bedtime,
counted on the wall clock (from bedtime the evening before: the spring night's window lasts
23 h, the autumn night's 25 h, so every dose belongs to exactly one night). A dose due after
the night began never labels it: the morning dose after a bad night cannot have caused it,
and a bad night could have made it forgotten.

Each dose is judged as it stood at the night's check-in (the moment answered, or the
check-in time if answered later or not at all), from its recorded `taken_at`:

- *on time*: taken before bedtime, within the on-time window of its due time (the
  prescription's in force then);
- *early*: taken before bedtime, more than `on_time_window` before its due time;
- *late*: taken more than `on_time_window` after due, or during the night;
- *missed*: not taken by the check-in (skipped, given up on, never answered, or taken
  only after the check-in: it came too late for that night).

A night is *missed* if any of its doses is, else *late* if any is, else *early* if any is,
else *on time*; a night with no dose due is unlabelled. Early is kept apart from on time
and from late: a dose taken hours early leaves a long gap before the next, which is a
different question from a late one.

The label's parts are kept as the exposures the effect separates (`NightDoses`): whether
the *evening* dose (one due in the `EVENING` hours before bedtime) was missed, whether an
*earlier* one was, how many hours after due the latest late dose was taken, and whether
one was taken early.

Pure core: the dose rows, check-ins, bedtime and zone are arguments.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from reminderd.core.analysis.records import EARLY, LATE, ON_TIME, DoseOutcome, NightCheckin
from reminderd.core.words import MISSED, TAKEN
from reminderd.errors import AnalysisError
from reminderd.core.schedule import local_instant

NIGHT_LABELS = (ON_TIME, EARLY, LATE, MISSED)
# The worst label of a night's doses is the night's.
_RANK = {ON_TIME: 0, EARLY: 1, LATE: 2, MISSED: 3}
# A dose due this close before bedtime is the night's evening dose: the one whose level in
# the blood carries into the night (for gabapentin, three times a day, the 22:00 dose).
EVENING = timedelta(hours=4)


@dataclass(frozen=True)
class NightDoses:
    """What became of a night's doses, as the exposures the effect separates."""

    label: str | None  # on_time / early / late / missed; None when no dose was due
    evening_missed: bool = False  # a dose due in the EVENING before bedtime was not taken by the check-in
    earlier_missed: bool = False  # one due before that was not
    hours_late: float = 0.0  # the latest of its late doses: hours from due to taken; 0 when none
    early: bool = False  # one was taken early
    judged: tuple[tuple[DoseOutcome, str], ...] = ()  # each dose and its label, by due time

    @property
    def missed(self) -> bool:
        return self.evening_missed or self.earlier_missed


@dataclass(frozen=True)
class LabelledNight:
    night: date  # date of the evening
    label: str | None  # on_time / early / late / missed; None when no dose was due
    severity: int
    frequency: int | None
    woke: int | None
    doses_due: int
    window_start: datetime  # UTC, included: bedtime the evening before
    window_end: datetime  # UTC, excluded: bedtime, when the night begins
    judged_at: datetime  # UTC: the check-in, when the doses are judged
    # The check-in's "anything else that could explain the night?" (illness, heat, alcohol,
    # a relapse): True when marked, None when not.
    other_cause: bool | None = None


@dataclass(frozen=True)
class NightLabels:
    nights: tuple[LabelledNight, ...]  # nights with a check-in, by date
    no_checkin: tuple[date, ...]  # nights in the range without one: gaps in the calendar
    labels: dict[date, str | None]  # every night in the range, checked in or not
    doses: dict[date, NightDoses]  # every night in the range: the label's parts


def judge_dose(dose: DoseOutcome, begins: datetime, judged_at: datetime,
               on_time_window: timedelta) -> str:
    """on_time / early / late / missed for the night that begins at `begins`, as the dose
    stood at `judged_at`; by the dose's own on-time window (the prescription's then) if it
    has one."""
    if dose.status != TAKEN or dose.taken_at is None or dose.taken_at > judged_at:
        return MISSED
    if dose.on_time_window is not None:
        on_time_window = dose.on_time_window
    if dose.taken_at >= begins or dose.taken_at - dose.due > on_time_window:
        return LATE
    if dose.due - dose.taken_at > on_time_window:
        return EARLY
    return ON_TIME


def night_label(outcomes: Sequence[str]) -> str | None:
    return max(outcomes, key=_RANK.__getitem__) if outcomes else None


def night_doses(window: Sequence[DoseOutcome], outcomes: Sequence[str], evening_from: datetime) -> NightDoses:
    """The night's label and its parts, from its doses and how each was judged."""
    evening = earlier = early = False
    hours_late = 0.0
    for dose, outcome in zip(window, outcomes):
        if outcome == MISSED:
            if dose.due >= evening_from:
                evening = True
            else:
                earlier = True
        elif outcome == LATE:
            assert dose.taken_at is not None  # a late dose was taken
            hours_late = max(hours_late, (dose.taken_at - dose.due).total_seconds() / 3600)
        elif outcome == EARLY:
            early = True
    return NightDoses(night_label(outcomes), evening, earlier, hours_late, early, tuple(zip(window, outcomes)))


def label_nights(
    doses: Iterable[DoseOutcome],
    checkins: Iterable[NightCheckin],
    nights: Iterable[date],
    *,
    bedtime: time,
    checkin_time: time,
    tz: ZoneInfo,
    on_time_window: timedelta = timedelta(hours=1),
    answered: Mapping[date, datetime] | None = None,
    zone_on: Callable[[date], ZoneInfo] | None = None,
) -> NightLabels:
    """Label each of `nights` (see the module). `answered` gives when a night's check-in
    was answered; the doses are judged at that moment if it came before the check-in
    time, else at the check-in time, and never before bedtime. `zone_on(day)` is the zone
    of a local day's bedtime and check-in (the prescription's then); else `tz` for all."""
    zone = zone_on or (lambda day: tz)
    if bedtime <= checkin_time:
        raise AnalysisError(f"bedtime {bedtime:%H:%M} is not after the check-in time {checkin_time:%H:%M}")
    by_due = sorted(doses, key=lambda d: d.due)
    due_times = [d.due for d in by_due]
    answers: dict[date, NightCheckin] = {}
    for c in checkins:
        if c.night in answers:
            raise AnalysisError(f"two check-ins for the night of {c.night}")
        answers[c.night] = c
    answered = answered or {}

    labelled: list[LabelledNight] = []
    unchecked: list[date] = []
    labels: dict[date, str | None] = {}
    parts: dict[date, NightDoses] = {}
    bedtimes: dict[date, datetime] = {}

    def bedtime_on(day: date) -> datetime:  # each evening's instant once: it ends one window and starts the next
        if day not in bedtimes:
            bedtimes[day] = local_instant(day, bedtime, zone(day))
        return bedtimes[day]

    for night in sorted(set(nights)):
        start, begins = bedtime_on(night - timedelta(days=1)), bedtime_on(night)
        judged_at = local_instant(night + timedelta(days=1), checkin_time, zone(night + timedelta(days=1)))
        when = answered.get(night)
        if when is not None:
            judged_at = max(begins, min(judged_at, when))
        window = by_due[bisect_left(due_times, start):bisect_left(due_times, begins)]
        outcomes = [judge_dose(d, begins, judged_at, on_time_window) for d in window]
        doses = parts[night] = night_doses(window, outcomes, begins - EVENING)
        label = labels[night] = doses.label
        answer = answers.get(night)
        if answer is None:
            unchecked.append(night)
            continue
        labelled.append(LabelledNight(night, label, answer.severity, answer.frequency, answer.woke,
                                      len(outcomes), start, begins, judged_at, answer.other_cause))
    return NightLabels(nights=tuple(labelled), no_checkin=tuple(unchecked), labels=labels, doses=parts)


def night_of_dose(due: datetime, bedtime: time, tz: ZoneInfo) -> date:
    """The night a dose due at `due` labels: the one whose 24 hours before bedtime hold it,
    so a dose due at or after bedtime is the next night's."""
    day = due.astimezone(tz).date()
    return day if due < local_instant(day, bedtime, tz) else day + timedelta(days=1)
