"""The log's schema: whose file it is, its version (SQLite's `user_version`) and the
migrations that bring an older log up to date, in order.

sqlite-utils builds and migrates the schema; it is imported only when a migration runs,
which keeps `reminderd take` quick on an up-to-date log. The CLI runs a needed migration in
a short-lived child process (see `schema_is_current`).
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

from reminderd.core.words import PENDING
from reminderd.errors import StoreError
from reminderd.store.connection import Connection, LogPath

APP = "reminderd"


def _migrate_1(db: Any) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["meta"].insert({"key": "app", "value": APP})
    db["doses"].create(
        {
            "id": int, "medication": str, "local_date": str, "slot": str, "dose": str,
            "due": str, "status": str, "taken_at": str, "via": str, "late_minutes": int,
            "snoozed_until": str, "reminders_sent": int, "last_reminded_at": str,
            "reason": str, "answered_at": str, "created_at": str,
        },
        pk="id",
        not_null={"medication", "local_date", "slot", "due", "status", "reminders_sent"},
        defaults={"status": PENDING, "reminders_sent": 0},
    )
    db["doses"].create_index(["medication", "local_date", "slot"], unique=True)
    db["doses"].create_index(["due"])
    db["doses"].create_index(["status", "due"])
    db["events"].create(
        {"id": int, "at": str, "dose_id": int, "kind": str, "source": str, "detail": str},
        pk="id",
        not_null={"at", "kind", "source"},
        foreign_keys=[("dose_id", "doses", "id")],
    )
    db["events"].create_index(["dose_id"])
    db["events"].create_index(["at"])


def _migrate_2(db: Any) -> None:
    """The morning check-ins: one row per night (the date of its evening)."""
    db["checkins"].create(
        {
            "id": int, "night": str, "severity": int, "frequency": int, "woke": int,
            "note": str, "answered_at": str, "via": str, "updated_at": str,
        },
        pk="id",
        not_null={"night", "severity", "answered_at", "via", "updated_at"},
    )
    db["checkins"].create_index(["night"], unique=True)
    # "checkin-asked" events are looked up by kind and night when the daemon starts.
    db["events"].create_index(["kind", "at"])


def _migrate_3(db: Any) -> None:
    """Tablets on hand: the starting count and each refill; taken doses count down."""
    db["supply"].create(
        {"id": int, "medication": str, "at": str, "change": float, "kind": str, "note": str},
        pk="id",
        not_null={"medication", "at", "change", "kind"},
    )
    db["supply"].create_index(["medication", "at"])


def _migrate_4(db: Any) -> None:
    """The prescription history: each prescription (canonical JSON) from the instant it
    came into force, so that the past is judged by what was prescribed then."""
    db["prescriptions"].create(
        {"id": int, "in_force_from": str, "prescription": str},
        pk="id",
        not_null={"in_force_from", "prescription"},
    )
    db["prescriptions"].create_index(["in_force_from"])


def _migrate_5(db: Any) -> None:
    """The check-in's optional "anything else that could explain the night?" (1 yes, 0 no,
    NULL not answered): the one common cause of a missed dose and a bad night the report
    can allow for."""
    db["checkins"].add_column("other_cause", int)


def _migrate_6(db: Any) -> None:
    """A second rater's nights: one row per rater and night, with whether anything sent to
    her had told her about that night's doses before she answered (`blinded`, `told`)."""
    db["ratings"].create(
        {
            "id": int, "rater": str, "night": str, "severity": int, "frequency": int, "woke": int, "note": str,
            "answered_at": str, "via": str, "blinded": int, "told": str, "updated_at": str,
        },
        pk="id",
        not_null={"rater", "night", "severity", "answered_at", "via", "blinded", "updated_at"},
    )
    db["ratings"].create_index(["rater", "night"], unique=True)


# Each entry upgrades the schema by one version; never edit one that has shipped.
MIGRATIONS = [_migrate_1, _migrate_2, _migrate_3, _migrate_4, _migrate_5, _migrate_6]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_is_current(path: LogPath) -> bool:
    """Whether the log at `path` exists and has this reminderd's schema: a read-only
    look, so that the daemon can leave creating or migrating it to a short-lived process.
    Any doubt answers False; Store.open makes every real check."""
    from pathlib import Path  # the daemon's, at start: the quick commands need no pathlib

    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except (sqlite3.Error, OSError, ValueError):
        return False
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _sqlite_utils() -> Any:
    """sqlite-utils, imported only here: it is slow to import and needed only to migrate. It
    imports numpy whenever numpy is installed (as it is, for the report), only to name
    numpy's types, which the log never holds; kept from it, a migration costs 12 MB and
    0.1-1 s less."""
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        import sqlite_utils

        return sqlite_utils
    sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` now fails fast
    try:
        import sqlite_utils
    finally:
        del sys.modules["numpy"]
    return sqlite_utils


def check_ours(log: Connection, integrity_check: bool) -> None:
    """Refuse a file reminderd did not make, a damaged one (with `integrity_check`) or one
    from a newer reminderd, before anything is written to it."""
    conn = log.conn
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if tables:
        check = conn.execute("PRAGMA quick_check").fetchone()[0] if integrity_check else "ok"
        if check != "ok":
            raise StoreError(f"{log.path} is damaged (quick_check: {check}); it was left untouched")
        app = None
        if "meta" in tables:
            row = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
            app = row[0] if row else None
        if app != APP:
            raise StoreError(
                f"{log.path} is an SQLite database that reminderd did not make; "
                "it was left untouched. Pass another file with --db"
            )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{log.path} has schema version {version}, newer than this reminderd "
            f"understands ({SCHEMA_VERSION}); upgrade reminderd"
        )


# meta's key for a file `reminderd restore` made to be read: its value says where from.
RESTORED_COPY = "restored-copy"
COPY_REFUSED = ("it is read-only: one writer per log, and a copy is for reading (report, log and status read "
                "it). Nothing was changed. To carry on writing it instead of the lost original, restore it "
                "again with --writable")


def restored_copy(log: Connection) -> str | None:
    """What the file is, when it is a copy restored from a replica to be read; else None."""
    try:
        row = log.conn.execute("SELECT value FROM meta WHERE key = ?", (RESTORED_COPY,)).fetchone()
    except sqlite3.OperationalError:  # no meta table: a new, empty file
        return None
    return row[0] if row else None


def mark_restored_copy(log: Connection, what: str) -> None:
    with log.write():
        log.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (RESTORED_COPY, what))


def check_readable_as_is(log: Connection) -> None:
    """A log opened read-only cannot be migrated: refuse one older than this reminderd reads."""
    version = log.conn.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        raise StoreError(f"{log.path} is read-only and has schema version {version}, older than this "
                         f"reminderd reads ({SCHEMA_VERSION}); make it writable once so it is upgraded")


def migrate(log: Connection) -> None:
    """Run the migrations the log lacks, in one write transaction."""
    conn = log.conn
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    db = _sqlite_utils().Database(conn)
    with log.write():
        # Re-read inside the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, SCHEMA_VERSION):
            MIGRATIONS[number](db)
            conn.execute(f"PRAGMA user_version = {number + 1}")
