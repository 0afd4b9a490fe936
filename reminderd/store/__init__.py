"""The dose log: one SQLite file, the only module that writes it.

- `doses`: one row per (medication, local date, slot), created idempotently.
- `events`: append-only; every reminder sent, answer and correction, with time and source.
- `checkins`: one row per night (the date of its evening); a later answer replaces it.
- `prescriptions`: each prescription (canonical JSON) with the UTC instant it came into force.
- `meta`: marks the file as reminderd's, so a foreign database is never written to.
- the schema version is SQLite's `user_version`; migrations run in order at open.

Every write runs in `BEGIN IMMEDIATE`, so the daemon and the CLI writing at the same
moment queue on the busy timeout instead of failing with "database is locked" (a plain
deferred BEGIN that reads first and then writes can fail despite the timeout in WAL mode).
sqlite-utils builds and migrates the schema; it is imported only when a migration runs,
which keeps `reminderd take` quick on an up-to-date log.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from reminderd.core.clock import UTC
from reminderd.core.doses import PENDING, TAKEN, Dose
from reminderd.errors import StoreError, UsageError
from reminderd.core.schedule import Slot
from reminderd.store import read_only

if TYPE_CHECKING:  # imported where used: `reminderd take` never needs the check-in code
    from reminderd.core.checkin import Checkin

APP = "reminderd"
BUSY_TIMEOUT_S = 30.0

DOSE_FIELDS = (
    "id", "medication", "local_date", "slot", "dose", "due", "status", "taken_at", "via",
    "late_minutes", "snoozed_until", "reminders_sent", "last_reminded_at", "reason",
    "answered_at",
)
# What an answer changes on a dose row, and so what an undo restores.
ANSWER_FIELDS = ("status", "taken_at", "via", "late_minutes", "snoozed_until", "reason", "answered_at")
MAX_TABLETS = 1_000_000  # more than anyone keeps: a typo, or a value that would break the counts
UNDOABLE = ("taken", "skipped", "snoozed", "corrected")
_INSTANTS = ("due", "taken_at", "snoozed_until", "last_reminded_at", "answered_at")


def iso(instant: datetime | None) -> str | None:
    """An aware instant as the UTC text stored in the log; text order is time order."""
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


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


# Each entry upgrades the schema by one version; never edit one that has shipped.
MIGRATIONS = [_migrate_1, _migrate_2, _migrate_3, _migrate_4]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_is_current(path: Path) -> bool:
    """Whether the log at `path` exists and has this reminderd's schema: a read-only
    look, so that the daemon can leave creating or migrating it to a short-lived process.
    Any doubt answers False; Store.open makes every real check."""
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


class Store:
    """The open log. Safe to share between the daemon's threads (one lock per store)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, read_only: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only  # opened read-only: any write is refused
        self._lock = threading.RLock()
        self._depth = 0

    # --- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, integrity_check: bool = False, reads_only: bool = False) -> "Store":
        """Open (or create) the log. Whose file it is and its schema version are always
        checked; `integrity_check` also reads every page (PRAGMA quick_check), which the
        daemon does at start and a quick CLI command skips: it grows with the log.
        `reads_only`: the caller only reads, so a log that cannot be written is opened
        read-only instead of refused."""
        path = Path(path)
        if reads_only and read_only.cannot_be_written(path):
            return cls._open_read_only(path, integrity_check)
        _check_writable(path)
        try:
            _prepare_private_file(path)
        except OSError as err:  # a folder that cannot be made: a file in the way, no permission
            raise StoreError(f"{path} cannot be used as the dose log: {err.strerror} ({err.filename}); "
                             "nothing was changed. Pass another file with --db") from None
        try:
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            store = cls(conn, path)
            store._check_and_migrate(integrity_check)
            _make_private(path)
        except sqlite3.DatabaseError as err:
            if "readonly" in str(err):
                raise StoreError(f"{path} is read-only ({err}); {READ_ONLY_HINT}") from None
            raise StoreError(
                f"{path} cannot be used as the dose log ({err}); it was left untouched. "
                "Move it aside or pass another file with --db"
            ) from None
        return store

    @classmethod
    def _open_read_only(cls, path: Path, integrity_check: bool) -> "Store":
        try:
            store = cls(read_only.connect(path, BUSY_TIMEOUT_S), path, read_only=True)
            store._check_and_migrate(integrity_check)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{path} is read-only and cannot be read ({err}); it was left untouched") from None
        return store

    def _check_and_migrate(self, integrity_check: bool) -> None:
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if tables:
            check = conn.execute("PRAGMA quick_check").fetchone()[0] if integrity_check else "ok"
            if check != "ok":
                raise StoreError(f"{self.path} is damaged (quick_check: {check}); it was left untouched")
            app = None
            if "meta" in tables:
                row = conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
                app = row[0] if row else None
            if app != APP:
                raise StoreError(
                    f"{self.path} is an SQLite database that reminderd did not make; "
                    "it was left untouched. Pass another file with --db"
                )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this reminderd "
                f"understands ({SCHEMA_VERSION}); upgrade reminderd"
            )
        if self.read_only:
            if version < SCHEMA_VERSION:
                raise StoreError(f"{self.path} is read-only and has schema version {version}, older than this "
                                 f"reminderd reads ({SCHEMA_VERSION}); make it writable once so it is upgraded")
            return
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < SCHEMA_VERSION:
            import sqlite_utils  # only here: it is slow to import and needed only to migrate

            db = sqlite_utils.Database(conn)
            with self.write():
                # Re-read inside the write lock: another process may have migrated meanwhile.
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                for number in range(version, SCHEMA_VERSION):
                    MIGRATIONS[number](db)
                    conn.execute(f"PRAGMA user_version = {number + 1}")

    def close(self) -> None:
        self.conn.close()

    # --- transactions --------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction, taken at once (BEGIN IMMEDIATE). Nests."""
        if self.read_only:
            raise StoreError(f"{self.path} is read-only; {READ_ONLY_HINT}")
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0

    def data_version(self) -> int:
        """Changes when another connection commits: the daemon's cue that the CLI wrote."""
        with self._lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]

    # --- doses ---------------------------------------------------------------------

    def ensure_doses(self, slots: Iterable[Slot], now: datetime) -> int:
        """Create the rows for these slots that do not exist yet. Returns how many were new."""
        rows = [
            (s.medication, s.local_date.isoformat(), s.slot, s.dose, iso(s.due), iso(now))
            for s in slots
        ]
        with self.write():
            before = self.conn.total_changes
            self.conn.executemany(
                "INSERT OR IGNORE INTO doses (medication, local_date, slot, dose, due, status,"
                " reminders_sent, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)",
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

    def undoable_events(self) -> list[dict]:
        """Answers that can still be undone, newest first (undoing one leaves the others)."""
        events = self.events(where=f"kind IN ({', '.join('?' * len(UNDOABLE))}) OR kind = 'undone'",
                             params=UNDOABLE, order="id DESC")
        undone = {json.loads(e["detail"])["event"] for e in events if e["kind"] == "undone"}
        return [e for e in events if e["kind"] != "undone" and e["id"] not in undone]

    # --- supply --------------------------------------------------------------------

    def add_supply(self, medication: str, change: float, kind: str, at: datetime, note: str | None = None) -> None:
        # The last guard: infinity or NaN in the log would break every later count.
        if not (isinstance(change, (int, float)) and math.isfinite(change) and abs(change) <= MAX_TABLETS):
            raise UsageError(f"{change!r} tablets is not valid; expected a number from {-MAX_TABLETS:g} "
                             f"to {MAX_TABLETS:g}")
        with self.write():
            self.conn.execute("INSERT INTO supply (medication, at, change, kind, note) VALUES (?, ?, ?, ?, ?)",
                              (medication, iso(at), change, kind, note))
            self.add_event(f"supply-{kind}", "cli" if kind == "refill" else "config", at, None,
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

    def _doses(self, where: str, params: Iterable[Any]) -> list[Dose]:
        with self._lock:
            cursor = self.conn.execute(
                f"SELECT {', '.join(DOSE_FIELDS)} FROM doses WHERE {where} ORDER BY due, medication",
                tuple(params),
            )
            return [_row_to_dose(row) for row in cursor]

    # --- events --------------------------------------------------------------------

    def add_event(
        self, kind: str, source: str, at: datetime, dose_id: int | None = None, detail: dict | None = None
    ) -> None:
        with self.write():
            self.conn.execute(
                "INSERT INTO events (at, dose_id, kind, source, detail) VALUES (?, ?, ?, ?, ?)",
                (iso(at), dose_id, kind, source, json.dumps(detail, sort_keys=True) if detail else None),
            )

    def last_event_at(self, kind: str, **detail: str) -> datetime | None:
        """When the last `kind` event whose detail holds these values was recorded: the
        daemon's memory of what it already did (asked, warned) across restarts."""
        where = "kind = ?" + "".join(f" AND json_extract(detail, '$.{key}') = ?" for key in detail)
        rows = self.events(where=where, params=(kind, *detail.values()), order="at DESC, id DESC", limit=1)
        return from_iso(rows[0]["at"]) if rows else None

    def events(self, where: str = "1", params: Iterable[Any] = (), order: str = "id", limit: int = -1) -> list[dict]:
        with self._lock:
            cursor = self.conn.execute(
                f"SELECT id, at, dose_id, kind, source, detail FROM events WHERE {where} "
                f"ORDER BY {order} LIMIT {int(limit)}",
                tuple(params),
            )
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row)) for row in cursor]

    # --- check-ins -----------------------------------------------------------------

    def save_checkin(self, checkin: Checkin, now: datetime, source: str) -> Checkin | None:
        """Record a night's check-in; one answered again replaces the values, and both
        answers stay in `events` (kind "checkin"). Returns the answer it replaced."""
        row = _checkin_to_row(checkin)
        with self.write():
            previous = self.checkin(checkin.night)
            self.conn.execute(
                "INSERT INTO checkins (night, severity, frequency, woke, note, answered_at, via, updated_at)"
                " VALUES (:night, :severity, :frequency, :woke, :note, :answered_at, :via, :updated_at)"
                " ON CONFLICT (night) DO UPDATE SET severity = excluded.severity,"
                " frequency = excluded.frequency, woke = excluded.woke, note = excluded.note,"
                " answered_at = excluded.answered_at, via = excluded.via, updated_at = excluded.updated_at",
                row | {"updated_at": iso(now)},
            )
            self.add_event("checkin", source, now, None, row | {"replaced": previous is not None})
        return previous

    def checkin(self, night: date) -> Checkin | None:
        rows = self._checkins("night = ?", (night.isoformat(),))
        return rows[0] if rows else None

    def checkins_between(self, first: date, last: date) -> list[Checkin]:
        """Check-ins for the nights in [first, last], by night."""
        return self._checkins("night >= ? AND night <= ?", (first.isoformat(), last.isoformat()))

    def checkin_asked(self, night: date, now: datetime) -> None:
        """The daemon asked about `night` (a notification was shown)."""
        self.add_event("checkin-asked", "daemon", now, None, {"night": night.isoformat()})

    def last_checkin_asked(self, night: date) -> datetime | None:
        """When the daemon last asked about `night`, from the log: it survives restarts."""
        return self.last_event_at("checkin-asked", night=night.isoformat())

    def _checkins(self, where: str, params: Iterable[Any]) -> list[Checkin]:
        with self._lock:
            cursor = self.conn.execute(
                f"SELECT {', '.join(CHECKIN_FIELDS)} FROM checkins WHERE {where} ORDER BY night",
                tuple(params),
            )
            return [_row_to_checkin(row) for row in cursor]

    # --- the prescription history -----------------------------------------------

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

    # --- the whole log: where it begins, export and import -----------------------

    # Every table that holds the user's records, parents first (events point at doses).
    LOG_TABLES = ("doses", "events", "checkins", "supply", "prescriptions")

    def log_begins(self, tz: tzinfo) -> date | None:
        """Where the log begins: the local date of the first prescription recorded or the
        first dose row written, whichever came first. By when rows were written, not the
        dates they are about: a back-filled check-in or an edit of an old date never
        moves it."""
        with self._lock:
            first = self.conn.execute(
                "SELECT min(at) FROM (SELECT min(in_force_from) AS at FROM prescriptions"
                " UNION ALL SELECT min(created_at) FROM doses)").fetchone()[0]
        return None if first is None else from_iso(first).astimezone(tz).date()

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

    def row_counts(self) -> dict[str, int]:
        with self._lock:
            return {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in self.LOG_TABLES}

    def restore(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        """Put exported rows back, ids and all, into an empty log: all of it or nothing.

        Refused (UsageError) when the log already holds a dose, event, check-in or supply
        row: merging two logs could make two rows of one dose. The check is inside the write transaction, so a
        daemon writing meanwhile cannot slip a row in between.
        """
        with self.write():
            # Prescriptions recorded by the command that opened this new log are no record
            # of the past: a file that brings its own history replaces them.
            held = {t: n for t, n in self.row_counts().items() if n and t != "prescriptions"}
            if not held and tables.get("prescriptions"):
                self.conn.execute("DELETE FROM prescriptions")
            if held:
                counts = ", ".join(f"{n} {t}" for t, n in held.items())
                raise UsageError(f"{self.path} is not empty (it holds {counts}); import restores only "
                                 "into an empty log, and nothing was changed. Pass a new file with --db")
            for table in self.LOG_TABLES:
                columns = [c[0] for c in self.table_columns(table)]
                try:
                    self.conn.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                        [tuple(row[c] for c in columns) for row in tables.get(table, [])],
                    )
                except sqlite3.IntegrityError as err:
                    raise UsageError(f"the {table} rows cannot be restored ({err}); nothing was imported") from None

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

    def _check_log_table(self, table: str) -> None:
        if table not in self.LOG_TABLES:  # names go into SQL text: only known ones
            raise ValueError(f"{table!r} is not one of the log's tables {self.LOG_TABLES}")


CHECKIN_FIELDS = ("night", "severity", "frequency", "woke", "note", "answered_at", "via")


def _checkin_to_row(checkin: Checkin) -> dict[str, Any]:
    values = {k: getattr(checkin, k) for k in CHECKIN_FIELDS}
    values["night"] = checkin.night.isoformat()
    values["answered_at"] = iso(checkin.answered_at)
    return values


def _row_to_checkin(row: tuple) -> Checkin:
    from reminderd.core.checkin import Checkin

    values = dict(zip(CHECKIN_FIELDS, row))
    values["night"] = date.fromisoformat(values["night"])
    values["answered_at"] = from_iso(values["answered_at"])
    return Checkin(**values)


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


READ_ONLY_HINT = ("reminderd writes every answer to the dose log, so it must be writable. Nothing was "
                  "changed; make it writable or pass another file with --db")


def _check_writable(path: Path) -> None:
    """Say what is wrong with a path that cannot be the log, before SQLite says something
    vaguer ("unable to open database file", or a read-only file taken for a damaged one)."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder; expected the dose log's file. Pass another file with --db")
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(f"{path} is read-only; {READ_ONLY_HINT}")
    folder = path.parent
    if folder.is_dir() and not os.access(folder, os.W_OK):
        raise StoreError(f"the folder {folder} is read-only; SQLite writes its -wal and -shm files beside "
                         f"the log {path.name}, so it must be writable. Nothing was changed; pass another "
                         "file with --db")


def _prepare_private_file(path: Path) -> None:
    """Health data: the folder is the user's alone (0700) and so is the file (0600).

    The file is created empty with mode 0600 before SQLite opens it; SQLite gives its
    -wal and -shm files the same mode as the database file.
    """
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is cut by the umask
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def _make_private(path: Path) -> None:
    """Tighten a log made by hand or by an older version; only once it proved to be ours."""
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if part.exists() and part.stat().st_mode & 0o077:
            os.chmod(part, 0o600)
