"""Adherence: of the doses that fell due in a period, how many were taken, on time,
early, late, skipped, missed or not recorded (in all, per medication, slot and weekday),
the median lateness, and the streaks of days with every dose taken.

Pure core: no clock, no disk; `now`, the dates and the time zone are arguments. The inputs
are `reminderd.core.analysis.records`; the nights and the missed-dose effect are in
`reminderd.core.analysis.nights` and `reminderd.core.analysis.effect`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from reminderd.core.analysis.records import (
    EARLY,
    FAILED_OUTCOMES,
    LATE,
    NOT_RECORDED,
    ON_TIME,
    DoseOutcome,
    date_range,
    dose_outcome,
    require_aware,
)
from reminderd.core.words import MISSED, SKIPPED, TAKEN
from reminderd.errors import AnalysisError
from reminderd.core.analysis.stats import median

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class DoseCounts:
    """Doses that fell due, and what became of them. taken = on_time + early + late."""

    due: int = 0
    taken: int = 0
    on_time: int = 0
    late: int = 0  # taken more than the on-time window after due
    skipped: int = 0
    missed: int = 0
    not_recorded: int = 0
    early: int = 0  # taken more than the on-time window before due

    @classmethod
    def of(cls, outcomes: Iterable[str]) -> DoseCounts:
        c = Counter(outcomes)
        return cls(
            due=sum(c.values()),
            taken=c[ON_TIME] + c[LATE] + c[EARLY],
            on_time=c[ON_TIME],
            late=c[LATE],
            early=c[EARLY],
            skipped=c[SKIPPED],
            missed=c[MISSED],
            not_recorded=c[NOT_RECORDED],
        )

    @property
    def taken_share(self) -> float | None:
        return self.taken / self.due if self.due else None

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.due if self.due else None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "taken": self.taken,
            "on_time": self.on_time,
            "early": self.early,
            "late": self.late,
            "skipped": self.skipped,
            "missed": self.missed,
            "not_recorded": self.not_recorded,
            "taken_share": self.taken_share,
            "on_time_share": self.on_time_share,
        }


@dataclass(frozen=True)
class Adherence:
    since: date
    until: date
    total: DoseCounts
    by_medication: dict[str, DoseCounts]  # sorted by name
    by_slot: dict[str, DoseCounts]  # sorted by "HH:MM"
    by_weekday: dict[str, DoseCounts]  # all seven, "Monday" first, of the dose's local date
    median_lateness_minutes: float | None  # taken_at - due of taken doses; early is negative
    current_streak: int  # days, ending today (or yesterday while today is still open)
    longest_streak: int
    days_with_missed_dose: int  # a missed, skipped or not-recorded dose that day

    def to_json_dict(self) -> dict[str, Any]:
        return {
            **self.total.to_json_dict(),
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "by_medication": {k: v.to_json_dict() for k, v in self.by_medication.items()},
            "by_slot": {k: v.to_json_dict() for k, v in self.by_slot.items()},
            "by_weekday": {k: v.to_json_dict() for k, v in self.by_weekday.items()},
            "median_lateness_minutes": self.median_lateness_minutes,
            "current_streak": self.current_streak,
            "longest_streak": self.longest_streak,
            "days_with_missed_dose": self.days_with_missed_dose,
        }


def adherence(
    doses: Iterable[DoseOutcome],
    since: date,
    until: date,
    now: datetime,
    *,
    tz: ZoneInfo,
    on_time_window: timedelta = timedelta(hours=1),
) -> Adherence:
    """Adherence over the local dates `since`..`until` (both included), as seen at `now`.

    Only doses due before `now` count. A streak is a run of days on which every dose was
    taken; a day joins it once all its doses are taken. Today, while some of its doses
    are still ahead and none has failed, neither extends nor breaks the current streak.
    A day with no dose rows at all breaks a streak: nothing shows the doses were taken.
    """
    if since > until:
        raise AnalysisError(f"since {since} is after until {until}")
    require_aware(now, "now")
    in_range = [d for d in doses if since <= d.local_date <= until]
    due = [(d, o) for d in in_range if (o := dose_outcome(d, now, on_time_window)) is not None]

    def counts_by(key: Any) -> dict[Any, DoseCounts]:
        groups: dict[Any, list[str]] = {}
        for d, o in due:
            groups.setdefault(key(d), []).append(o)
        return {k: DoseCounts.of(groups[k]) for k in sorted(groups)}

    by_weekday = counts_by(lambda d: d.local_date.weekday())
    lateness = [
        (d.taken_at - d.due).total_seconds() / 60
        for d, o in due
        if o in (ON_TIME, LATE, EARLY) and d.taken_at is not None
    ]
    today = now.astimezone(tz).date()
    current, longest, failed_days = _streaks(in_range, due, since, until, today)
    return Adherence(
        since=since,
        until=until,
        total=DoseCounts.of(o for _, o in due),
        by_medication=counts_by(lambda d: d.medication),
        by_slot=counts_by(lambda d: d.slot),
        by_weekday={name: by_weekday.get(i, DoseCounts()) for i, name in enumerate(WEEKDAYS)},
        median_lateness_minutes=median(lateness),
        current_streak=current,
        longest_streak=longest,
        days_with_missed_dose=failed_days,
    )


def _streaks(
    in_range: Sequence[DoseOutcome],
    due: Sequence[tuple[DoseOutcome, str]],
    since: date,
    until: date,
    today: date,
) -> tuple[int, int, int]:
    """(current streak, longest streak, days with a failed dose) over since..min(until, today)."""
    all_taken: dict[date, bool] = {}
    for d in in_range:
        all_taken[d.local_date] = all_taken.get(d.local_date, True) and d.status == TAKEN
    failed = {d.local_date for d, o in due if o in FAILED_OUTCOMES}
    run = longest = 0
    for day in date_range(since, min(until, today)):  # empty when the period is all ahead
        if day in failed or day not in all_taken:
            run = 0
        elif all_taken[day]:
            run += 1
            longest = max(longest, run)
        # else: doses still ahead today and none failed yet; the day is not decided
    return run, longest, len(failed)
