"""A log that cannot be written (a read-only file or folder): the commands that only read
(log, status, report, export, doctor) read it, opened read-only, and write nothing, not
even the prescription; the commands that write refuse in one line (issue 11, item 5).

Real processes on a real read-only folder: as root, permission bits do not stop a write,
so `read_only` mounts the folder read-only in a private mount namespace (else chmod)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli, config_text
from tests.test_import import read_only

pytestmark = pytest.mark.system  # real processes on a read-only mount

REFUSAL = ("is read-only; reminderd writes every answer to the dose log, so it must be writable. Nothing was "
           "changed; make it writable or pass another file with --db\n")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def kept(cli: Cli) -> Cli:
    """A log with a dose taken and a check-in, closed cleanly (no -wal left); then the
    config changed, so a command that records prescriptions would have one to record."""
    assert cli("take", "--at", "2026-11-20 08:05", at="2026-11-20 09:00:00").returncode == 0
    assert cli("checkin", "--night", "2026-11-19", "--severity", "2", at="2026-11-20 09:01:00").returncode == 0
    cli.config.write_text(config_text(times='["08:00", "21:00"]'))
    return cli


@pytest.mark.parametrize("args, expect", [
    (("log", "--since", "2026-11-20", "--format", "json"), '"taken_at": "2026-11-20T08:05:00+00:00"'),
    (("log", "--checkins", "--since", "2026-11-19"), "2026-11-19"),
    (("log", "--prescriptions"), "08:00, 14:00, 22:00"),
    (("status",), "Today,"),
    (("report", "--since", "2026-11-20", "--until", "2026-11-20", "--format", "json"), '"taken": 1'),
    (("export", "--output", "-"), '"version": 4'),
])
def test_a_command_that_only_reads_reads_a_read_only_log(kept: Cli, args: tuple, expect: str) -> None:
    before = snapshot(kept.db.parent)
    out = read_only(kept, kept.db.parent, *args)
    assert (out.returncode, out.stderr) == (0, "")
    assert expect in out.stdout
    assert snapshot(kept.db.parent) == before


def test_doctor_reads_a_read_only_log(kept: Cli) -> None:
    before = snapshot(kept.db.parent)
    out = read_only(kept, kept.db.parent, "doctor", "--format", "json")
    found = {f["check"]: f for f in json.loads(out.stdout)}
    assert found["log"]["status"] == "ok" and "intact" in found["log"]["found"], out.stdout
    assert (found["log writable"]["status"], found["log writable"]["found"]) == (
        "problem", f"{kept.db} (or its folder) is read-only")
    assert snapshot(kept.db.parent) == before


@pytest.mark.parametrize("args", [
    ("take", "--at", "2026-11-20 14:05"),
    ("skip",),
    ("edit", "--date", "2026-11-20", "--slot", "14:00", "--status", "skipped"),
    ("refill", "gabapentin", "30"),
    ("checkin", "--night", "2026-11-20", "--severity", "1"),
])
def test_a_command_that_writes_refuses_a_read_only_log_in_one_line(kept: Cli, args: tuple) -> None:
    before = snapshot(kept.db.parent)
    out = read_only(kept, kept.db.parent, *args)
    assert (out.returncode, out.stdout, out.stderr) == (1, "", f"reminderd: {kept.db} {REFUSAL}")
    assert snapshot(kept.db.parent) == before


def test_a_read_only_log_whose_last_writes_are_still_in_its_wal_file_is_read_whole(kept: Cli,
                                                                                tmp_path: Path) -> None:
    """A log copied (or left by a crash) with its -wal and -shm files: what is in the -wal
    counts too."""
    writer = sqlite3.connect(kept.db)
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # keep the change in the -wal file
    writer.execute("UPDATE doses SET taken_at = '2026-11-20T08:07:00+00:00'")
    writer.commit()
    copy = tmp_path / "copy"
    copy.mkdir()
    for suffix in ("", "-wal", "-shm"):
        shutil.copy(f"{kept.db}{suffix}", copy / f"{kept.db.name}{suffix}")
    writer.close()
    before = snapshot(copy)
    out = read_only(kept, copy, "--db", str(copy / kept.db.name), "log", "--since", "2026-11-20",
                    "--format", "json")
    assert (out.returncode, out.stderr) == (0, "")
    assert '"taken_at": "2026-11-20T08:07:00+00:00"' in out.stdout
    assert snapshot(copy) == before
