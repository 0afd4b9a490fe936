"""Adherence metrics, and what a missed dose costs in spasms the next night.

Pure core: no clock, no disk. The store turns rows into `DoseOutcome` and `NightCheckin`
values; `now`, the dates and the time zone are arguments.

The nights are labelled in `reminderd.core.analysis.nights`, and compared in `reminderd.core.analysis.effect` (its
statistics in `reminderd.core.analysis.stats`); this module keeps the inputs, adherence and the whole.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from reminderd.core.doses import MISSED, PENDING, SKIPPED, STATUSES, TAKEN
from reminderd.errors import AnalysisError

if TYPE_CHECKING:
    from reminderd.core.analysis.effect import Effect

# What became of a dose that has fallen due. "not_recorded" is a pending dose nobody
# answered; "missed" is one the daemon reminded about and then gave up on.
ON_TIME, LATE, NOT_RECORDED = "on_time", "late", "not_recorded"
# Adherence tells a dose taken more than the on-time window before it was due apart from
# a late one (night labels still count it as not on time).
EARLY = "early"
FAILED_OUTCOMES = frozenset({SKIPPED, MISSED, NOT_RECORDED})

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

CAVEAT = (
    "Missed doses are not randomised: other causes (illness, heat, a relapse, a bad day) "
    "can make a dose easier to miss and a night worse at the same time. "
    "This is an observation of your own log, not a clinical trial; talk to your prescriber "
    "before changing anything. Never skip a dose to test this."
)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class DoseOutcome:
    """One dose row as the analysis needs it."""

    medication: str
    local_date: date
    slot: str  # "HH:MM" as the prescription names it
    due: datetime  # aware
    status: str  # one of STATUSES
    taken_at: datetime | None = None  # aware; required when status is "taken"
    # The on-time window of the prescription in force when it fell due; None: the caller's.
    on_time_window: timedelta | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise AnalysisError(
                f"dose {self.medication} {self.local_date} {self.slot}: status "
                f"{self.status!r} is not one of {', '.join(STATUSES)}"
            )
        _require_aware(self.due, f"dose {self.medication} {self.local_date} {self.slot}: due")
        if self.taken_at is not None:
            _require_aware(
                self.taken_at, f"dose {self.medication} {self.local_date} {self.slot}: taken_at"
            )
        elif self.status == TAKEN:
            # Without the time we cannot tell on time from late; refuse rather than guess.
            raise AnalysisError(
                f"dose {self.medication} {self.local_date} {self.slot}: taken without taken_at"
            )


@dataclass(frozen=True)
class NightCheckin:
    """The morning answers about one night; `night` is the date of the evening."""

    night: date
    severity: int  # 0 none, 1 mild, 2 moderate, 3 severe
    frequency: int | None = None  # Penn Spasm Frequency Scale 0-4, if answered
    woke: int | None = None  # times spasms woke them, if answered

    def __post_init__(self) -> None:
        if not 0 <= self.severity <= 3:
            raise AnalysisError(f"check-in {self.night}: severity {self.severity} is not 0-3")
        if self.frequency is not None and not 0 <= self.frequency <= 4:
            raise AnalysisError(f"check-in {self.night}: frequency {self.frequency} is not 0-4")
        if self.woke is not None and self.woke < 0:
            raise AnalysisError(f"check-in {self.night}: woke {self.woke} is negative")


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise AnalysisError(f"{what} {value.isoformat()} has no time zone")


def date_range(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def dose_outcome(
    dose: DoseOutcome, now: datetime | None, on_time_window: timedelta
) -> str | None:
    """on_time / late / skipped / missed / not_recorded, or None if not yet due at `now`
    (`now=None`: everything counts as due)."""
    if now is not None and dose.due >= now:
        return None
    if dose.status == TAKEN:
        assert dose.taken_at is not None  # guaranteed by DoseOutcome
        window = on_time_window if dose.on_time_window is None else dose.on_time_window
        return ON_TIME if abs(dose.taken_at - dose.due) <= window else LATE
    if dose.status == PENDING:
        return NOT_RECORDED
    return dose.status


# --------------------------------------------------------------------------- adherence


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
    _require_aware(now, "now")
    in_range = [d for d in doses if since <= d.local_date <= until]
    due = [(d, _early_or(o, d)) for d in in_range if (o := dose_outcome(d, now, on_time_window)) is not None]

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


def _early_or(outcome: str, dose: DoseOutcome) -> str:
    """A dose outside the on-time window is early when it was taken before it was due."""
    return EARLY if outcome == LATE and dose.taken_at is not None and dose.taken_at < dose.due else outcome


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


# --------------------------------------------------------------------------- statistics


def mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None



# --------------------------------------------------------------------------- together


@dataclass(frozen=True)
class Analysis:
    adherence: Adherence
    effect: "Effect"

    def to_json_dict(self) -> dict[str, Any]:
        return {"adherence": self.adherence.to_json_dict(), "effect": self.effect.to_json_dict()}
