"""Queries of the `doses` table: one row per (medication, local date, slot), created
idempotently; each change of a dose is written with the event that explains it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable

from reminderd.core.doses import Dose
from reminderd.core.schedule import Slot
from reminderd.core.words import PENDING, TAKEN
from reminderd.store.events import UNDOABLE, Events
from reminderd.store.instants import from_iso, iso

DOSE_FIELDS = (
    "id", "medication", "local_date", "slot", "dose", "due", "status", "taken_at", "via",
    "late_minutes", "snoozed_until", "reminders_sent", "last_reminded_at", "reason",
    "answered_at",
)
# What an answer changes on a dose row, and so what an undo restores.
ANSWER_FIELDS = ("status", "taken_at", "via", "late_minutes", "snoozed_until", "reason", "answered_at")
_INSTANTS = ("due", "taken_at", "snoozed_until", "last_reminded_at", "answered_at")


class Doses(Events):
    def ensure_doses(self, slots: Iterable[Slot], now: datetime) -> int:
        """Create the rows for these slots that do not exist yet. Returns how many were new."""
        rows = [
            (s.medication, s.local_date.isoformat(), s.slot, s.dose, iso(s.due), PENDING, iso(now))
            for s in slots
        ]
        with self.write():
            before = self.conn.total_changes
            self.conn.executemany(
                "INSERT OR IGNORE INTO doses (medication, local_date, slot, dose, due, status,"
                " reminders_sent, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                rows,
            )
            return self.conn.total_changes - before

    def dose(self, dose_id: int) -> Dose | None:
        rows = self._doses("id = ?", (dose_id,))
        return rows[0] if rows else None

    def dose_at(self, medication: str, local_date: date, slot: str) -> Dose | None:
        rows = self._doses(
            "medication = ? AND local_date = ? AND slot = ?",
            (medication, local_date.isoformat(), slot),
        )
        return rows[0] if rows else None

    def doses_between(self, start: datetime, end: datetime, medication: str | None = None) -> list[Dose]:
        """Doses due in [start, end), by due time."""
        where, params = "due >= ? AND due < ?", [iso(start), iso(end)]
        if medication is not None:
            where += " AND medication = ?"
            params.append(medication)
        return self._doses(where, params)

    def doses_on_dates(self, first: date, last: date, medication: str | None = None) -> list[Dose]:
        """Doses whose local date is in [first, last], by due time."""
        where, params = "local_date >= ? AND local_date <= ?", [first.isoformat(), last.isoformat()]
        if medication is not None:
            where += " AND medication = ?"
            params.append(medication)
        return self._doses(where, params)

    def medication_names(self) -> list[str]:
        """Every medication the log has a dose of."""
        with self._lock:
            return [name for (name,) in self.conn.execute("SELECT DISTINCT medication FROM doses ORDER BY medication")]

    def open_doses(self) -> list[Dose]:
        return self._doses("status = ?", (PENDING,))

    def taken_doses(self, medication: str, start: datetime, end: datetime) -> list[Dose]:
        return self._doses(
            "medication = ? AND status = ? AND taken_at >= ? AND taken_at < ?",
            (medication, TAKEN, iso(start), iso(end)),
        )

    def save_dose(self, dose: Dose, kind: str, source: str, at: datetime, detail: dict | None = None) -> None:
        """Write a dose's new state and the event that explains it, in one transaction.

        An answer's event keeps the state it replaced (`before`), so `reminderd undo`
        can put it back and the log can be audited without losing a wrong click.
        """
        values = _dose_to_row(dose)
        sets = ", ".join(f"{k} = ?" for k in values if k != "id")
        with self.write():
            if kind in UNDOABLE:
                old = self.dose(dose.id)
                if old is not None:
                    row = _dose_to_row(old)
                    detail = dict(detail or {}, before={k: row[k] for k in ANSWER_FIELDS})
            self.conn.execute(
                f"UPDATE doses SET {sets} WHERE id = ?",
                [v for k, v in values.items() if k != "id"] + [dose.id],
            )
            self.add_event(kind, source, at, dose.id, detail)

    def delete_unstarted_doses(self, keep: set[tuple[str, str, str]], after: datetime) -> list[Dose]:
        """Drop future rows that the config no longer schedules (a reload changed the
        times). Only rows nothing has happened to: pending, never reminded, no event."""
        with self.write():
            gone = [d for d in self._doses("status = ? AND due > ? AND reminders_sent = 0", (PENDING, iso(after)))
                    if (d.medication, d.local_date.isoformat(), d.slot) not in keep
                    and not self.conn.execute("SELECT 1 FROM events WHERE dose_id = ?", (d.id,)).fetchone()]
            self.conn.executemany("DELETE FROM doses WHERE id = ?", [(d.id,) for d in gone])
        return gone

    def replan_dose(self, dose_id: int, dose: str, due: datetime) -> None:
        """A future dose follows a changed prescription or time zone until it is due."""
        with self.write():
            self.conn.execute("UPDATE doses SET dose = ?, due = ? WHERE id = ? AND status = ? AND reminders_sent = 0",
                              (dose, iso(due), dose_id, PENDING))

    def _doses(self, where: str, params: Iterable[Any]) -> list[Dose]:
        with self._lock:
            cursor = self.conn.execute(
                f"SELECT {', '.join(DOSE_FIELDS)} FROM doses WHERE {where} ORDER BY due, medication",
                tuple(params),
            )
            return [_row_to_dose(row) for row in cursor]

    def dose_outcome_rows(self, first: date, last: date) -> list[tuple[str, date, str, datetime, str, datetime | None]]:
        """(medication, local date, slot, due, status, taken_at) of the doses whose local
        date is in [first, last], by due time: what the report needs of ten years of doses,
        without building a full Dose for each."""
        days: dict[str, date] = {}
        with self._lock:
            cursor = self.conn.execute(
                "SELECT medication, local_date, slot, due, status, taken_at FROM doses"
                " WHERE local_date >= ? AND local_date <= ? ORDER BY due, medication",
                (first.isoformat(), last.isoformat()))
            return [(med, days.get(day) or days.setdefault(day, date.fromisoformat(day)), slot,
                     datetime.fromisoformat(due), status, taken_at and datetime.fromisoformat(taken_at))
                    for med, day, slot, due, status, taken_at in cursor]



def _row_to_dose(row: tuple) -> Dose:
    values = dict(zip(DOSE_FIELDS, row))
    for key in _INSTANTS:
        values[key] = from_iso(values[key])
    values["local_date"] = date.fromisoformat(values["local_date"])
    return Dose(**values)


def _dose_to_row(dose: Dose) -> dict[str, Any]:
    values = {k: getattr(dose, k) for k in DOSE_FIELDS}
    for key in _INSTANTS:
        values[key] = iso(values[key])
    values["local_date"] = dose.local_date.isoformat()
    return values
