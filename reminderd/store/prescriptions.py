"""Queries of the `prescriptions` table: each prescription (canonical JSON) with the UTC
instant it came into force, so that the past is judged by what was prescribed then."""

from __future__ import annotations

from datetime import datetime

from reminderd.store.connection import Connection
from reminderd.store.instants import from_iso, iso


class Prescriptions(Connection):
    def record_prescription(self, text: str, now: datetime) -> bool:
        """Record a prescription (canonical JSON) as in force from `now`, unless it is the
        one recorded last. Returns whether it was recorded."""
        with self.write():
            last = self.conn.execute("SELECT prescription, in_force_from FROM prescriptions"
                                     " ORDER BY in_force_from DESC, id DESC LIMIT 1").fetchone()
            if last is not None and last[0] == text:
                return False
            # A clock set back cannot put a prescription in force before the one it replaces.
            at = iso(now) if last is None else max(iso(now), last[1])
            self.conn.execute("INSERT INTO prescriptions (in_force_from, prescription) VALUES (?, ?)", (at, text))
            return True

    def prescription_rows(self) -> list[tuple[datetime, str]]:
        """(instant it came into force, canonical JSON) of every recorded prescription, oldest first."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT in_force_from, prescription FROM prescriptions ORDER BY in_force_from, id").fetchall()
        return [(from_iso(at), text) for at, text in rows]
