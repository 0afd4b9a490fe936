"""Queries of the `checkins` table: one morning check-in per night (the date of its
evening); a later answer replaces it, and both stay in `events`."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable

from reminderd.core.words import CHECKIN, CHECKIN_ASKED, VIA_DAEMON
from reminderd.store.events import Events
from reminderd.store.instants import from_iso, iso

if TYPE_CHECKING:  # imported where used: `reminderd take` never needs the check-in code
    from reminderd.core.checkin import Checkin

CHECKIN_FIELDS = ("night", "severity", "frequency", "woke", "note", "answered_at", "via", "other_cause")


class Checkins(Events):
    def save_checkin(self, checkin: Checkin, now: datetime, source: str) -> Checkin | None:
        """Record a night's check-in; one answered again replaces the values, and both
        answers stay in `events` (kind "checkin"). Returns the answer it replaced."""
        row = _checkin_to_row(checkin)
        with self.write():
            previous = self.checkin(checkin.night)
            self.conn.execute(
                "INSERT INTO checkins (night, severity, frequency, woke, note, answered_at, via, other_cause,"
                " updated_at) VALUES (:night, :severity, :frequency, :woke, :note, :answered_at, :via,"
                " :other_cause, :updated_at)"
                " ON CONFLICT (night) DO UPDATE SET severity = excluded.severity,"
                " frequency = excluded.frequency, woke = excluded.woke, note = excluded.note,"
                " answered_at = excluded.answered_at, via = excluded.via, other_cause = excluded.other_cause,"
                " updated_at = excluded.updated_at",
                row | {"updated_at": iso(now)},
            )
            self.add_event(CHECKIN, source, now, None, row | {"replaced": previous is not None})
        return previous

    def checkin(self, night: date) -> Checkin | None:
        rows = self._checkins("night = ?", (night.isoformat(),))
        return rows[0] if rows else None

    def checkins_between(self, first: date, last: date) -> list[Checkin]:
        """Check-ins for the nights in [first, last], by night."""
        return self._checkins("night >= ? AND night <= ?", (first.isoformat(), last.isoformat()))

    def checkin_asked(self, night: date, now: datetime) -> None:
        """The daemon asked about `night` (a notification was shown)."""
        self.add_event(CHECKIN_ASKED, VIA_DAEMON, now, None, {"night": night.isoformat()})

    def last_checkin_asked(self, night: date) -> datetime | None:
        """When the daemon last asked about `night`, from the log: it survives restarts."""
        return self.last_event_at(CHECKIN_ASKED, night=night.isoformat())

    def _checkins(self, where: str, params: Iterable[Any]) -> list[Checkin]:
        with self._lock:
            cursor = self.conn.execute(
                f"SELECT {', '.join(CHECKIN_FIELDS)} FROM checkins WHERE {where} ORDER BY night",
                tuple(params),
            )
            return [_row_to_checkin(row) for row in cursor]


def _checkin_to_row(checkin: Checkin) -> dict[str, Any]:
    values = {k: getattr(checkin, k) for k in CHECKIN_FIELDS}
    values["night"] = checkin.night.isoformat()
    values["answered_at"] = iso(checkin.answered_at)
    values["other_cause"] = None if checkin.other_cause is None else int(checkin.other_cause)
    return values


def _row_to_checkin(row: tuple) -> Checkin:
    from reminderd.core.checkin import Checkin

    values = dict(zip(CHECKIN_FIELDS, row))
    values["night"] = date.fromisoformat(values["night"])
    values["answered_at"] = from_iso(values["answered_at"])
    values["other_cause"] = None if values["other_cause"] is None else bool(values["other_cause"])
    return Checkin(**values)
