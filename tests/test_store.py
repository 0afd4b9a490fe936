"""The dose log on a real SQLite file: schema, privacy, idempotence, concurrency, and
refusing files that are not ours."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from reminderd.core import doses as rules
from reminderd.core.config.settings import Medication
from reminderd.core.config.values import parse_time
from reminderd.errors import StoreError
from reminderd.core.schedule import Slot
from reminderd.store import SCHEMA_VERSION, Store, schema_is_current

UTC = timezone.utc
NOW = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
MED = Medication(name="gabapentin", dose="300 mg", times=(parse_time("08:00"), parse_time("14:00")))


def slots(day: date = date(2026, 11, 28)) -> list[Slot]:
    return [Slot(datetime(day.year, day.month, day.day, h, 0, tzinfo=UTC), "gabapentin", day, f"{h:02d}:00", "300 mg")
            for h in (8, 14)]


def test_new_log_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "private" / "reminderd.db"
    s = Store.open(path)
    s.ensure_doses(slots(), NOW)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for part in (path, Path(f"{path}-wal")):
        assert stat.S_IMODE(part.stat().st_mode) == 0o600, part
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_existing_log_with_loose_mode_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "reminderd.db"
    Store.open(path).close()
    os.chmod(path, 0o644)
    Store.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_creating_doses_twice_makes_one_row_per_slot(store: Store) -> None:
    assert store.ensure_doses(slots(), NOW) == 2
    assert store.ensure_doses(slots(), NOW) == 0
    assert store.ensure_doses(slots() + slots(date(2026, 11, 29)), NOW) == 2
    assert len(store.doses_between(NOW - timedelta(days=1), NOW + timedelta(days=3))) == 4


def test_dose_round_trips_and_every_change_is_an_event(store: Store) -> None:
    store.ensure_doses(slots(), NOW)
    dose = store.doses_between(NOW, NOW + timedelta(hours=2))[0]
    assert (dose.medication, dose.slot, dose.status, dose.due) == ("gabapentin", "08:00", "pending", slots()[0].due)
    at = datetime(2026, 11, 28, 8, 7, 30, tzinfo=UTC)
    taken = rules.take(dose, MED, at, at, "cli")
    store.save_dose(taken, "taken", "cli", at, {"note": "x"})
    again = store.dose(dose.id)
    assert again == taken
    assert again.late_minutes == 7 and again.taken_at == at and again.via == "cli"  # 08:07 by the clock
    events = store.events()
    assert [(e["dose_id"], e["kind"], e["source"], e["at"]) for e in events] == [
        (dose.id, "taken", "cli", "2026-11-28T08:07:30+00:00")]


EVENTS = [  # (minutes after NOW, dose, kind, source, detail)
    (10, 1, "reminder", "daemon", {"to": "desktop"}),
    (5, 1, "taken", "cli", None),
    (9, None, "push-sent", "daemon", {"to": "phone"}),
    (7, 2, "reminder", "daemon", {"to": "phone"}),  # recorded last, yet the earlier reminder: a clock set back
    (20, None, "push-sent", "daemon", {"to": "desktop"}),
]


@pytest.fixture
def logged(store: Store) -> Store:
    store.ensure_doses(slots(), NOW)
    for minutes, dose_id, kind, source, detail in EVENTS:
        store.add_event(kind, source, NOW + timedelta(minutes=minutes), dose_id, detail)
    return store


@pytest.mark.parametrize(("query", "expected"), [
    ({}, [1, 2, 3, 4, 5]),
    ({"kinds": ("reminder",)}, [1, 4]),
    ({"kinds": ("reminder", "taken")}, [1, 2, 4]),
    ({"dose_id": 1}, [1, 2]),
    ({"source": "cli"}, [2]),
    ({"after_id": 3}, [4, 5]),
    ({"since": NOW + timedelta(minutes=9)}, [1, 3, 5]),
    ({"detail": {"to": "phone"}}, [3, 4]),
    ({"kinds": ("push-sent",), "detail": {"to": "desktop"}}, [5]),
    ({"newest_first": True}, [5, 4, 3, 2, 1]),
    ({"kinds": ("reminder",), "newest_first": True, "limit": 1}, [4]),
    ({"detail": {"to') OR 1 --": "x"}}, []),  # a detail key is a value, never SQL text
], ids=["all", "one-kind", "two-kinds", "dose", "source", "after-event", "since", "detail", "kind-and-detail",
        "newest-first", "last-of-kind", "odd-key"])
def test_events_are_asked_for_by_typed_filters(logged: Store, query: dict, expected: list[int]) -> None:
    query = dict(query)
    kinds = query.pop("kinds", ())
    assert [e["id"] for e in logged.events(*kinds, **query)] == expected


def test_last_event_at_goes_by_time_not_by_order_of_recording(logged: Store) -> None:
    assert logged.last_event_at("reminder") == NOW + timedelta(minutes=10)
    assert logged.last_event_at("reminder", to="phone") == NOW + timedelta(minutes=7)
    assert logged.last_event_at("push-sent", to="nobody") is None


def test_failed_write_changes_nothing(store: Store) -> None:
    store.ensure_doses(slots(), NOW)
    with pytest.raises(RuntimeError):
        with store.write():
            dose = store.doses_between(NOW, NOW + timedelta(hours=2))[0]
            store.save_dose(rules.skip(dose, NOW, "cli"), "skipped", "cli", NOW)
            raise RuntimeError("boom")
    assert store.doses_between(NOW, NOW + timedelta(hours=2))[0].status == "pending"
    assert store.events() == []


def test_foreign_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="reminderd did not make"):
        Store.open(path)
    assert path.read_bytes() == before


def test_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("my private notes\n" * 100)
    os.chmod(path, 0o644)
    with pytest.raises(StoreError, match="left untouched"):
        Store.open(path)
    assert path.read_text() == "my private notes\n" * 100
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_damaged_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reminderd.db"
    s = Store.open(path)
    s.ensure_doses([Slot(NOW + timedelta(hours=i), "gabapentin", date(2026, 1, 1) + timedelta(days=i), "08:00", "x" * 500)
                    for i in range(200)], NOW)
    s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.close()
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page:3 * page + 2000] = b"\xff" * 2000  # scribble over a b-tree page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err:
        Store.open(path, integrity_check=True)  # as the daemon opens it
    assert "left untouched" in str(err.value) or "damaged" in str(err.value)
    assert path.read_bytes() == bytes(data)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reminderd.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this reminderd"):
        Store.open(path)


def test_schema_is_current_only_for_a_log_at_this_version(tmp_path: Path) -> None:
    path = tmp_path / "reminderd.db"
    assert not schema_is_current(path)
    assert not path.exists()  # the look creates nothing
    Store.open(path).close()
    assert schema_is_current(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.commit()
    conn.close()
    assert not schema_is_current(path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert not schema_is_current(junk)
    assert junk.read_bytes() == b"not a database at all" * 100


WRITER = """
import sys
from datetime import datetime, timezone
from pathlib import Path
from reminderd.store import Store
s = Store.open(Path(sys.argv[1]))
for i in range(int(sys.argv[3])):
    with s.write():
        s.add_event("test", sys.argv[2], datetime.now(timezone.utc), detail={"i": i})
        # read, then write again in the same transaction: the pattern that fails with a
        # deferred BEGIN in WAL mode
        s.events(source=sys.argv[2], newest_first=True, limit=1)
        s.add_event("test2", sys.argv[2], datetime.now(timezone.utc))
print("done")
"""


@pytest.mark.system
def test_two_processes_writing_at_once_never_fail(tmp_path: Path) -> None:
    path = tmp_path / "reminderd.db"
    Store.open(path).close()
    writes = 300
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, str(writes)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("cli", "daemon")]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == "done"
    s = Store.open(path)
    assert len(s.events()) == 4 * writes


def test_a_migration_leaves_numpy_alone(tmp_path: Path) -> None:
    """sqlite-utils imports numpy when it can; a migration keeps it from that (and numpy
    still imports afterwards, for a report in the same process)."""
    probe = ("import sys\nfrom reminderd.store import Store\nStore.open(sys.argv[1]).close()\n"
             "print('numpy' in sys.modules, 'sqlite_utils' in sys.modules)\nimport numpy\n")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "new.db")], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout) == (0, "False True\n"), done.stderr
