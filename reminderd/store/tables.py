"""The log as a whole: its tables as stored, where it begins, and restoring an export
into an empty log (the file format itself is in `backup`)."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, tzinfo
from typing import Any

from reminderd.core.words import ANSWERED, SUPPLY_EVENT, SUPPLY_START
from reminderd.errors import UsageError
from reminderd.store.connection import Connection
from reminderd.store.instants import from_iso


class Tables(Connection):

    # Every table that holds the user's records, parents first (events point at doses).
    LOG_TABLES = ("doses", "events", "checkins", "supply", "prescriptions", "ratings")

    def log_began_at(self) -> datetime | None:
        """The instant the log began: the first prescription recorded or the first dose row
        written, whichever came first. By when rows were written, not the dates they are
        about: a back-filled check-in or an edit of an old date never moves it."""
        with self._lock:
            first = self.conn.execute(
                "SELECT min(at) FROM (SELECT min(in_force_from) AS at FROM prescriptions"
                " UNION ALL SELECT min(created_at) FROM doses)").fetchone()[0]
        return None if first is None else from_iso(first)

    def log_begins(self, tz: tzinfo) -> date | None:
        """Where the log begins, as the local date of `log_began_at`."""
        began = self.log_began_at()
        return None if began is None else began.astimezone(tz).date()

    def table_columns(self, table: str) -> list[tuple[str, str, bool]]:
        """(name, declared type, NOT NULL) of each column of a log table, in table order."""
        self._check_log_table(table)
        with self._lock:
            return [(r[1], r[2].upper(), bool(r[3]))
                    for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def table_rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of a log table as stored, by id."""
        self._check_log_table(table)
        with self._lock:
            cursor = self.conn.execute(f"SELECT * FROM {table} ORDER BY id")
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row)) for row in cursor]

    def first_and_last_doses(self) -> tuple[datetime | None, datetime | None, tuple | None]:
        """The first and the last dose's due instant, and the last answer: (medication,
        local date, slot, status, when it was answered)."""
        with self._lock:
            first, last = self.conn.execute("SELECT min(due), max(due) FROM doses").fetchone()
            answer = self.conn.execute(
                "SELECT medication, local_date, slot, status, answered_at FROM doses"
                f" WHERE status IN ({', '.join('?' * len(ANSWERED))}) AND answered_at IS NOT NULL"
                " ORDER BY answered_at DESC, id DESC LIMIT 1", ANSWERED).fetchone()
        return from_iso(first), from_iso(last), answer

    def row_counts(self) -> dict[str, int]:
        with self._lock:
            return {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in self.LOG_TABLES}

    def restore(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        """Put exported rows back, ids and all, into an empty log: all of it or nothing.

        Refused (UsageError) when the log already holds a dose, event, check-in, supply or
        rating row: merging two logs could make two rows of one dose. The check is inside the write transaction, so a
        daemon writing meanwhile cannot slip a row in between.
        """
        with self.write():
            # What a command writes from the config alone into a new log (the prescription,
            # the start of the supply count and its event: `status` after a reset) is no
            # record of the past: the file's own replace them, and the next command starts
            # the count again if the file has none.
            held = {t: n - self._from_config(t) for t, n in self.row_counts().items()}
            held = {t: n for t, n in held.items() if n}
            if held:
                counts = ", ".join(f"{n} {t}" for t, n in held.items())
                raise UsageError(f"{self.path} is not empty (it holds {counts}); import restores only "
                                 "into an empty log, and nothing was changed; to import into a new file "
                                 "instead: reminderd --db NEW-FILE import FILE")
            if tables.get("prescriptions"):
                self.conn.execute("DELETE FROM prescriptions")
            self.conn.execute("DELETE FROM events WHERE kind = ? AND dose_id IS NULL", (SUPPLY_EVENT + SUPPLY_START,))
            self.conn.execute("DELETE FROM supply WHERE kind = ?", (SUPPLY_START,))
            for table in self.LOG_TABLES:
                columns = [c[0] for c in self.table_columns(table)]
                try:
                    self.conn.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                        [tuple(row[c] for c in columns) for row in tables.get(table, [])],
                    )
                except sqlite3.IntegrityError as err:
                    raise UsageError(f"the {table} rows cannot be restored ({err}); nothing was imported") from None

    def _from_config(self, table: str) -> int:
        """How many of a table's rows any command writes from the config alone."""
        where, params = {"prescriptions": ("1", ()), "supply": ("kind = ?", (SUPPLY_START,)),
                         "events": ("kind = ? AND dose_id IS NULL", (SUPPLY_EVENT + SUPPLY_START,))}.get(table, (None, ()))
        return self.conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0] if where else 0

    def _check_log_table(self, table: str) -> None:
        if table not in self.LOG_TABLES:  # names go into SQL text: only known ones
            raise ValueError(f"{table!r} is not one of the log's tables {self.LOG_TABLES}")
