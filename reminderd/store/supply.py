"""Queries of the `supply` table: tablets on hand, as the starting count and each refill;
taken doses count down."""

from __future__ import annotations

import math
from datetime import datetime

from reminderd.core.words import SUPPLY_EVENT, SUPPLY_REFILL, TAKEN, VIA_CLI, VIA_CONFIG
from reminderd.errors import UsageError
from reminderd.store.events import Events
from reminderd.store.instants import from_iso, iso

MAX_TABLETS = 1_000_000  # more than anyone keeps: a typo, or a value that would break the counts


class Supply(Events):
    def add_supply(self, medication: str, change: float, kind: str, at: datetime, note: str | None = None) -> None:
        # The last guard: infinity or NaN in the log would break every later count.
        if not (isinstance(change, (int, float)) and math.isfinite(change) and abs(change) <= MAX_TABLETS):
            raise UsageError(f"{change!r} tablets is not valid; expected a number from {-MAX_TABLETS:g} "
                             f"to {MAX_TABLETS:g}")
        with self.write():
            self.conn.execute("INSERT INTO supply (medication, at, change, kind, note) VALUES (?, ?, ?, ?, ?)",
                              (medication, iso(at), change, kind, note))
            self.add_event(f"{SUPPLY_EVENT}{kind}", VIA_CLI if kind == SUPPLY_REFILL else VIA_CONFIG, at, None,
                           {"medication": medication, "change": change})

    def supply_since_start(self, medication: str) -> tuple[datetime, float, int] | None:
        """(when counting started, tablets added since, doses taken since), or None."""
        with self._lock:
            start = self.conn.execute(
                "SELECT min(at), sum(change) FROM supply WHERE medication = ?", (medication,)).fetchone()
            if start[0] is None:
                return None
            # By when the take was recorded: `take --at 07:55` typed at 08:05, the first
            # command after `supply` was set, still counts.
            taken = self.conn.execute(
                "SELECT count(*) FROM doses WHERE medication = ? AND status = ? AND coalesce(answered_at, taken_at) >= ?",
                (medication, TAKEN, start[0])).fetchone()[0]
        return from_iso(start[0]), start[1], taken
