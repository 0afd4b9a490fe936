"""Queries of the `events` table: the append-only record of every reminder sent, answer
and correction, with its time and source. Callers ask by kind, dose, source, time or detail
values; no SQL text passes in."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Mapping, TypedDict

from reminderd.core.words import CORRECTED, DAEMON_STARTED, DAEMON_STOPPED, SKIPPED, SNOOZED, TAKEN, UNDONE
from reminderd.store.connection import Connection
from reminderd.store.instants import from_iso, iso

# The answers `reminderd undo` can take back (their events keep the state they replaced).
UNDOABLE = (TAKEN, SKIPPED, SNOOZED, CORRECTED)


class Event(TypedDict):
    """One row of `events`, as stored: `at` is UTC text, `detail` JSON text or None."""

    id: int
    at: str
    dose_id: int | None
    kind: str
    source: str
    detail: str | None


class Events(Connection):
    def add_event(
        self, kind: str, source: str, at: datetime, dose_id: int | None = None, detail: dict | None = None
    ) -> None:
        with self.write():
            self.conn.execute(
                "INSERT INTO events (at, dose_id, kind, source, detail) VALUES (?, ?, ?, ?, ?)",
                (iso(at), dose_id, kind, source, json.dumps(detail, sort_keys=True) if detail else None),
            )

    def events(self, *kinds: str, dose_id: int | None = None, source: str | None = None,
               after_id: int | None = None, since: datetime | None = None,
               detail: Mapping[str, str] | None = None, newest_first: bool = False,
               limit: int | None = None) -> list[Event]:
        """The events of any of `kinds` (every kind when none is given) that match every
        filter given: of dose `dose_id`, from `source`, recorded after event `after_id`,
        at or after `since`, whose detail holds these values. In the order they were
        recorded, or the newest first; at most `limit`."""
        where, params = [], []
        if kinds:
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        for clause, value in (("dose_id = ?", dose_id), ("source = ?", source), ("id > ?", after_id),
                              ("at >= ?", since and iso(since))):
            if value is not None:
                where.append(clause)
                params.append(value)
        where, params = _with_detail(where, params, detail or {})
        return self._select(where, params, "id DESC" if newest_first else "id", limit)

    def last_event_at(self, kind: str, **detail: str) -> datetime | None:
        """When the last `kind` event whose detail holds these values was recorded: the
        daemon's memory of what it already did (asked, warned) across restarts."""
        where, params = _with_detail(["kind = ?"], [kind], detail)
        rows = self._select(where, params, "at DESC, id DESC", 1)
        return from_iso(rows[0]["at"]) if rows else None

    def daemon_runs(self) -> tuple[datetime | None, datetime | None]:
        """When a daemon last started on this log, and when one last stopped cleanly.
        Which came last is told by the order of the rows, not by their times: a clean stop
        and the next start can fall in the same second (or a clock can step back)."""
        last = self._select(["kind IN (?, ?)"], [DAEMON_STARTED, DAEMON_STOPPED], "id DESC", 1)
        started = self.last_event_at(DAEMON_STARTED)
        if not last or last[0]["kind"] == DAEMON_STARTED:
            return started, None
        return started, from_iso(last[0]["at"])

    def undoable_events(self) -> list[Event]:
        """Answers that can still be undone, newest first (undoing one leaves the others)."""
        events = self.events(*UNDOABLE, UNDONE, newest_first=True)
        undone = {json.loads(e["detail"])["event"] for e in events if e["kind"] == UNDONE}
        return [e for e in events if e["kind"] != UNDONE and e["id"] not in undone]

    def _select(self, where: list[str], params: Iterable[Any], order: str, limit: int | None) -> list[Event]:
        with self._lock:
            cursor = self.conn.execute(
                f"SELECT id, at, dose_id, kind, source, detail FROM events WHERE {' AND '.join(where) or '1'} "
                f"ORDER BY {order} LIMIT {-1 if limit is None else int(limit)}",
                tuple(params),
            )
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row)) for row in cursor]  # type: ignore[misc]


def _with_detail(where: list[str], params: list[Any], detail: Mapping[str, str]) -> tuple[list[str], list[Any]]:
    # The JSON path is a parameter too: a detail key never becomes SQL text.
    for key, value in detail.items():
        where.append("json_extract(detail, ?) = ?")
        params.extend((f"$.{key}", value))
    return where, params
