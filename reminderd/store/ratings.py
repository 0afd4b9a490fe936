"""Queries of the `ratings` table: a second rater's nights, one row per rater and night (the
date of its evening). A later answer replaces the row and an undo puts back the one before;
every answer and every undo stays in `events` ("rating", "rating-undone"), each answer with
the row it replaced, so nothing she said is ever lost."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable

from reminderd.core.words import RATING, RATING_UNDONE
from reminderd.store.events import Event, Events
from reminderd.store.instants import from_iso, iso

if TYPE_CHECKING:  # imported where used: `reminderd take` never needs the rating code
    from reminderd.core.rating import Rating

RATING_FIELDS = ("rater", "night", "severity", "frequency", "woke", "note", "answered_at", "via", "blinded", "told")


class Ratings(Events):
    def save_rating(self, rating: Rating, now: datetime, source: str) -> Rating | None:
        """Record a rater's answers for a night; answered again, the row is replaced and the
        event keeps the row it replaced (`before`). Returns the answer it replaced."""
        row = _rating_to_row(rating)
        with self.write():
            previous = self.rating(rating.rater, rating.night)
            self._put(row, now)
            self.add_event(RATING, source, now, None,
                           row | {"before": None if previous is None else _rating_to_row(previous)})
        return previous

    def undo_rating(self, event: Event, now: datetime, source: str) -> Rating | None:
        """Take back the answer `event` recorded: the row it replaced comes back, or the
        night has no rating again. Returns the rating now in force for that night, if any."""
        detail = json.loads(event["detail"])
        before = detail["before"]
        with self.write():
            if before is None:
                self.conn.execute("DELETE FROM ratings WHERE rater = ? AND night = ?",
                                  (detail["rater"], detail["night"]))
            else:
                self._put(before, now)
            self.add_event(RATING_UNDONE, source, now, None,
                           {"event": event["id"], "rater": detail["rater"], "night": detail["night"]})
        return None if before is None else _row_to_rating(tuple(before[k] for k in RATING_FIELDS))

    def last_rating_event(self, rater: str) -> Event | None:
        """The rater's newest answer not yet undone (undoing it leaves the older ones)."""
        events = self.events(RATING, RATING_UNDONE, detail={"rater": rater}, newest_first=True)
        undone = {json.loads(e["detail"])["event"] for e in events if e["kind"] == RATING_UNDONE}
        return next((e for e in events if e["kind"] == RATING and e["id"] not in undone), None)

    def rating(self, rater: str, night: date) -> Rating | None:
        rows = self._ratings("rater = ? AND night = ?", (rater, night.isoformat()))
        return rows[0] if rows else None

    def ratings_between(self, first: date, last: date, rater: str | None = None) -> list[Rating]:
        """Ratings of the nights in [first, last] (of one rater, or all), by night and rater."""
        where, params = "night >= ? AND night <= ?", [first.isoformat(), last.isoformat()]
        if rater is not None:
            where, params = where + " AND rater = ?", params + [rater]
        return self._ratings(where, params)

    def _put(self, row: dict[str, Any], now: datetime) -> None:
        self.conn.execute(
            f"INSERT INTO ratings ({', '.join(RATING_FIELDS)}, updated_at)"
            f" VALUES ({', '.join(':' + k for k in RATING_FIELDS)}, :updated_at)"
            " ON CONFLICT (rater, night) DO UPDATE SET "
            + ", ".join(f"{k} = excluded.{k}" for k in RATING_FIELDS[2:]) + ", updated_at = excluded.updated_at",
            {k: row[k] for k in RATING_FIELDS} | {"updated_at": iso(now)},
        )

    def _ratings(self, where: str, params: Iterable[Any]) -> list[Rating]:
        with self._lock:
            cursor = self.conn.execute(
                f"SELECT {', '.join(RATING_FIELDS)} FROM ratings WHERE {where} ORDER BY night, rater", tuple(params))
            return [_row_to_rating(row) for row in cursor]


def _rating_to_row(rating: Rating) -> dict[str, Any]:
    values = {k: getattr(rating, k) for k in RATING_FIELDS}
    values["night"] = rating.night.isoformat()
    values["answered_at"] = iso(rating.answered_at)
    values["blinded"] = int(rating.blinded)
    return values


def _row_to_rating(row: tuple) -> Rating:
    from reminderd.core.rating import Rating

    values = dict(zip(RATING_FIELDS, row))
    values["night"] = date.fromisoformat(values["night"])
    values["answered_at"] = from_iso(values["answered_at"])
    del values["blinded"]  # it says what `told` says: kept as a column so any SQLite tool reads it
    return Rating(**values)
