"""The dose log: one SQLite file, and `Store`, the one way in (this package is the only
code that writes the file). Each part has its module:

- `connection`: opening the file, its privacy, WAL, the busy timeout, write transactions.
- `read_only`: reading a log that cannot be written, for the commands that only read.
- `schema`: whose file it is, the schema version (`user_version`) and the migrations.
- `doses`, `events`, `checkins`, `ratings`, `supply`, `prescriptions`: typed queries of each table.
- `tables`: the log as a whole (its rows as stored, where it begins, restoring an export).
- `backup`: the export file format; `instants`: how an instant is written in the log.
"""

from __future__ import annotations

import sqlite3

from reminderd.errors import StoreError
from reminderd.store import connection, read_only, schema
from reminderd.store.checkins import CHECKIN_FIELDS, Checkins
from reminderd.store.connection import BUSY_TIMEOUT_S, READ_ONLY_HINT, LogPath
from reminderd.store.doses import ANSWER_FIELDS, DOSE_FIELDS, Doses
from reminderd.store.events import UNDOABLE, Event, Events
from reminderd.store.instants import from_iso, iso
from reminderd.store.prescriptions import Prescriptions
from reminderd.store.ratings import RATING_FIELDS, Ratings
from reminderd.store.schema import APP, MIGRATIONS, SCHEMA_VERSION, schema_is_current
from reminderd.store.supply import MAX_TABLETS, Supply
from reminderd.store.tables import Tables

__all__ = [
    "ANSWER_FIELDS", "APP", "BUSY_TIMEOUT_S", "CHECKIN_FIELDS", "DOSE_FIELDS", "MAX_TABLETS", "MIGRATIONS",
    "RATING_FIELDS", "READ_ONLY_HINT", "SCHEMA_VERSION", "UNDOABLE", "Event", "Store", "from_iso", "iso",
    "schema_is_current",
]


class Store(Doses, Checkins, Ratings, Supply, Events, Prescriptions, Tables):
    """The open log. Safe to share between the daemon's threads (one lock per store)."""

    @classmethod
    def open(cls, path: LogPath, integrity_check: bool = False, reads_only: bool = False) -> "Store":
        """Open (or create) the log. Whose file it is and its schema version are always
        checked; `integrity_check` also reads every page (PRAGMA quick_check), which the
        daemon does at start and a quick CLI command skips: it grows with the log.
        `reads_only`: the caller only reads, so a log that cannot be written is opened
        read-only instead of refused."""
        if reads_only and read_only.cannot_be_written(path):
            return cls._open_read_only(path, integrity_check)
        connection.prepare(path)
        with connection.explained(path):
            store = cls(connection.connect(path), path)
            schema.check_ours(store, integrity_check)
            copy = schema.restored_copy(store)
            if copy is not None:  # one writer per log: a restored copy is only read
                store.close()
                if reads_only:
                    return cls._open_read_only(path, integrity_check)
                raise StoreError(f"{path} is {copy}; {schema.COPY_REFUSED}")
            connection.use_wal(store.conn)
            schema.migrate(store)
            connection.make_private(path)
        return store

    @classmethod
    def _open_read_only(cls, path: LogPath, integrity_check: bool) -> "Store":
        try:
            store = cls(read_only.connect(path, BUSY_TIMEOUT_S), path, read_only=True)
            connection.wait_for_writers(store.conn)
            schema.check_ours(store, integrity_check)
            schema.check_readable_as_is(store)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{path} is read-only and cannot be read ({err}); it was left untouched") from None
        return store
