"""The dose log: one SQLite file, and `Store`, the one way in (this package is the only
code that writes the file). Each part has its module:

- `connection`: opening the file, its privacy, WAL, the busy timeout, write transactions.
- `schema`: whose file it is, the schema version (`user_version`) and the migrations.
- `doses`, `events`, `checkins`, `supply`, `prescriptions`: typed queries of each table.
- `tables`: the log as a whole (its rows as stored, where it begins, restoring an export).
- `backup`: the export file format; `instants`: how an instant is written in the log.
"""

from __future__ import annotations

from pathlib import Path

from reminderd.store import connection, schema
from reminderd.store.checkins import CHECKIN_FIELDS, Checkins
from reminderd.store.connection import BUSY_TIMEOUT_S, READ_ONLY_HINT
from reminderd.store.doses import ANSWER_FIELDS, DOSE_FIELDS, Doses
from reminderd.store.events import UNDOABLE, Event, Events
from reminderd.store.instants import UTC, from_iso, iso
from reminderd.store.prescriptions import Prescriptions
from reminderd.store.schema import APP, MIGRATIONS, SCHEMA_VERSION, schema_is_current
from reminderd.store.supply import MAX_TABLETS, Supply
from reminderd.store.tables import Tables

__all__ = [
    "ANSWER_FIELDS", "APP", "BUSY_TIMEOUT_S", "CHECKIN_FIELDS", "DOSE_FIELDS", "MAX_TABLETS", "MIGRATIONS",
    "READ_ONLY_HINT", "SCHEMA_VERSION", "UNDOABLE", "UTC", "Event", "Store", "from_iso", "iso",
    "schema_is_current",
]


class Store(Doses, Checkins, Supply, Events, Prescriptions, Tables):
    """The open log. Safe to share between the daemon's threads (one lock per store)."""

    @classmethod
    def open(cls, path: Path, integrity_check: bool = False) -> "Store":
        """Open (or create) the log. Whose file it is and its schema version are always
        checked; `integrity_check` also reads every page (PRAGMA quick_check), which the
        daemon does at start and a quick CLI command skips: it grows with the log."""
        path = Path(path)
        connection.prepare(path)
        with connection.explained(path):
            store = cls(connection.connect(path), path)
            schema.check_ours(store, integrity_check)
            connection.use_wal(store.conn)
            schema.migrate(store)
            connection.make_private(path)
        return store
