"""The log's rows as the analysis takes them, checked on the way in: a dose with its
status, a night's check-in, and what became of a dose once it fell due.

Pure core: no clock, no disk. The store's rows become `DoseOutcome` and `NightCheckin`
values; adherence (`reminderd.core.analysis.adherence`) and the night labels
(`reminderd.core.analysis.nights`) read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reminderd.core.words import MISSED, PENDING, SKIPPED, STATUSES, TAKEN
from reminderd.errors import AnalysisError

# What became of a dose that has fallen due. "not_recorded" is a pending dose nobody
# answered; "missed" is one the daemon reminded about and then gave up on.
ON_TIME, LATE, NOT_RECORDED = "on_time", "late", "not_recorded"
# Adherence tells a dose taken more than the on-time window before it was due apart from
# a late one (night labels still count it as not on time).
EARLY = "early"
FAILED_OUTCOMES = frozenset({SKIPPED, MISSED, NOT_RECORDED})


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
        require_aware(self.due, f"dose {self.medication} {self.local_date} {self.slot}: due")
        if self.taken_at is not None:
            require_aware(
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
    other_cause: bool | None = None  # "anything else that could explain the night?" marked

    def __post_init__(self) -> None:
        if not 0 <= self.severity <= 3:
            raise AnalysisError(f"check-in {self.night}: severity {self.severity} is not 0-3")
        if self.frequency is not None and not 0 <= self.frequency <= 4:
            raise AnalysisError(f"check-in {self.night}: frequency {self.frequency} is not 0-4")
        if self.woke is not None and self.woke < 0:
            raise AnalysisError(f"check-in {self.night}: woke {self.woke} is negative")


def require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise AnalysisError(f"{what} {value.isoformat()} has no time zone")


def date_range(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def dose_outcome(
    dose: DoseOutcome, now: datetime | None, on_time_window: timedelta
) -> str | None:
    """on_time / early / late / skipped / missed / not_recorded, or None if not yet due at
    `now` (`now=None`: everything counts as due). Outside the on-time window, a dose taken
    before it was due is early, never late."""
    if now is not None and dose.due >= now:
        return None
    if dose.status == TAKEN:
        assert dose.taken_at is not None  # guaranteed by DoseOutcome
        window = on_time_window if dose.on_time_window is None else dose.on_time_window
        if abs(dose.taken_at - dose.due) <= window:
            return ON_TIME
        return LATE if dose.taken_at > dose.due else EARLY
    if dose.status == PENDING:
        return NOT_RECORDED
    return dose.status
