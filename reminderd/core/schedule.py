"""Expand the config into dose slots: (medication, local date, slot "08:00") -> due instant.

A slot exists exactly once per local day whatever daylight saving does:
- in the skipped hour (01:30 on London's spring night) it falls due once, shifted forward
  by the gap (RFC 5545: 02:30 BST);
- in the repeated hour (01:30 on the autumn night) it falls due once, at the first 01:30.
Both rules are what `fold=0` means in zoneinfo, which `local_instant` spells out.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Iterator, NamedTuple
from zoneinfo import ZoneInfo

from reminderd.core.clock import UTC
from reminderd.core.config.settings import Config, Medication
from reminderd.core.config.values import format_slot


class Slot(NamedTuple):
    """One scheduled dose of one medication on one local day."""

    due: datetime  # aware, UTC; first so that slots sort by due time
    medication: str
    local_date: date
    slot: str  # "HH:MM", the wall-clock time the prescription names
    dose: str
    # The medication as the prescription that planned the slot has it: the rules (early
    # window, give-up, minimum gap) its dose is judged by. Not part of what the slot is:
    # equality and hash leave it out (the first five fields are the slot).
    prescribed: Medication | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Slot) and self[:5] == other[:5]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[:5])


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day.

    fold=0 picks the first of a repeated time, and for a time that does not exist it
    reads the wall time with the offset in force before the gap, which lands the same
    distance past the gap (01:30 GMT-read on the spring night is 02:30 BST).
    """
    if wall.fold:
        wall = wall.replace(fold=0)
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def slots_on(config: Config, day: date) -> list[Slot]:
    """Every slot of every medication on one local day, by due time, with the times and
    dose of the prescription step in force that day."""
    tz = config.timezone
    return sorted([Slot(local_instant(day, t, tz), med.name, day, _slot_name(t), step.dose, med)
                   for med in config.medications if (step := med.step_on(day)) is not None for t in step.times],
                  key=by_due)


@lru_cache(maxsize=256)
def _slot_name(wall: time) -> str:
    return format_slot(wall)  # the same few times, day after day


def by_due(slot: Slot) -> tuple[datetime, str]:
    """How slots are ordered: by due instant, then by medication (a key, not the tuple's
    own order, which compares every field and is slow over years of slots)."""
    return slot.due, slot.medication


def local_days(start: datetime, end: datetime, tz: ZoneInfo) -> Iterator[date]:
    """Local dates from the one holding `start` to the one holding `end`, inclusive."""
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def slots_between(config: Config, start: datetime, end: datetime) -> list[Slot]:
    """Slots due in [start, end). A day either side is looked at because a slot's local
    date and its UTC date can differ."""
    days = local_days(start - timedelta(days=1), end + timedelta(days=1), config.timezone)
    return [s for day in days for s in slots_on(config, day) if start <= s.due < end]


def next_local_midnight(now: datetime, tz: ZoneInfo) -> datetime:
    """The first instant of the next local day (a zone may skip midnight itself)."""
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return local_instant(tomorrow, time(0, 0), tz)
