"""The daemon as a real process under libfaketime, with the log backend.

Times are in November, when Europe/London is on UTC. The reminder intervals are seconds
long so that a test sees several of them; the rules do not care about the scale."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from reminderd.daemon.watch import JUMP_REMINDED_WITHIN_S
from reminderd.install.unit import STOP_TIMEOUT_S
from reminderd.store import SCHEMA_VERSION
from tests.conftest import Cli, at, config_text, rows
from tests.desktop import wait_for

pytestmark = pytest.mark.system  # real processes: the daemon, a bus, dunst, libfaketime


def test_reminds_at_the_due_time_and_again_until_taken(clocked: Cli, daemon) -> None:
    clocked.clock.set(at("2026-11-28 07:59:00"))  # up and waiting before the slot, however slow the start
    d = daemon()
    d.wait_for(r"dose\(s\) scheduled")
    clocked.clock.set(at("2026-11-28 07:59:55"))  # noticed within the 2 s watch, before 08:00
    first = d.wait_for(r"reminder 1: gabapentin 300 mg, 08:00 dose of 2026-11-28$")
    assert "08:00:00" in first[0] or "08:00:01" in first[0]  # on time (the log line's own stamp)
    d.wait_for(r"REMINDER gabapentin 300 mg: 08:00 dose")
    d.wait_for(r"reminder 3: gabapentin", timeout=15)
    took = clocked("take")
    assert took.returncode == 0, took.stderr
    sent = rows(clocked, "SELECT reminders_sent FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'")[0][0]
    # No reminder may follow the answer: move on to the 14:00 dose, whose reminder comes
    # after every timer the 08:00 dose could still have had.
    clocked.clock.set(at("2026-11-28 13:59:57"))
    d.wait_for(r"reminder 1: gabapentin 300 mg, 14:00 dose of 2026-11-28$")
    assert rows(clocked, "SELECT status, via, reminders_sent FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'") == [("taken", "cli", sent)]
    assert d.count(r"reminder \d+: gabapentin 300 mg, 08:00 dose") == sent
    kinds = [k for (k,) in rows(clocked, "SELECT e.kind FROM events e JOIN doses d ON d.id = e.dose_id "
                                         "WHERE d.slot = '08:00' ORDER BY e.id")]
    assert kinds == ["reminded"] * sent + ["taken"]


def test_unanswered_dose_becomes_missed_with_a_last_reminder(clocked: Cli, daemon) -> None:
    d = daemon()
    d.wait_for(r"reminder 1: gabapentin")
    clocked.clock.set(at("2026-11-28 08:00:31"))  # near the end of the 40 s window, without waiting it out
    d.wait_for(r"reminder \d+: gabapentin .*\(last reminder\)", timeout=20)
    d.wait_for(r"missed: gabapentin 08:00 dose of 2026-11-28 \(not answered\)", timeout=20)
    d.wait_for(r"REMINDER Missed: gabapentin 300 mg: .*counted as missed.*Never take two doses at once")
    assert rows(clocked, "SELECT status, reason FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'") == [("missed", "not answered")]
    # A dose counted as missed can still be recorded as taken, late.
    late = clocked("take", "--at", "08:00")
    assert late.returncode == 0, late.stderr
    assert rows(clocked, "SELECT status, via FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'") == [("taken", "cli")]


def test_snooze_from_the_cli_delays_the_next_reminder(clocked: Cli, daemon) -> None:
    clocked.config.write_text(config_text(remind_every="4s", give_up_after="60s", min_gap="1h", snooze="5s"))
    d = daemon()
    d.wait_for(r"reminder 1: gabapentin")
    out = clocked("snooze", "--for", "12s")
    assert out.returncode == 0, out.stderr
    snoozed_at = time.monotonic()
    d.wait_for(r"reminder 2: gabapentin", timeout=20)
    assert time.monotonic() - snoozed_at >= 10


def test_restart_keeps_answers_and_reminds_the_open_dose_again(clocked: Cli, daemon) -> None:
    first = daemon()
    first.wait_for(r"reminder 2: gabapentin")
    first.kill9()
    count = rows(clocked, "SELECT count(*) FROM doses")[0][0]
    second = daemon()
    second.wait_for(r"reminder 3: gabapentin")  # "at once" is timed in test_daemon_clock.py
    assert rows(clocked, "SELECT count(*) FROM doses")[0][0] == count  # no slot got a second row
    second.stop()
    assert clocked("take").returncode == 0
    third = daemon()
    third.wait_for(r"reminderd started")
    third.wait_for(r"dose\(s\) scheduled|notifications:")
    clocked.clock.set(at("2026-11-28 13:59:57"))  # the next dose's reminder comes after any for 08:00
    third.wait_for(r"reminder 1: gabapentin 300 mg, 14:00 dose of 2026-11-28$")
    assert third.count(r"reminder \d+: gabapentin 300 mg, 08:00 dose") == 0
    assert rows(clocked, "SELECT status FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'") == [("taken",)]


def test_dose_left_unanswered_while_stopped_is_missed_not_running(clocked: Cli, daemon) -> None:
    first = daemon()
    first.wait_for(r"reminder 1: gabapentin")
    first.stop()
    clocked.clock.set(at("2026-11-28 09:00:00"))
    second = daemon()
    second.wait_for(r"missed: gabapentin 08:00 dose of 2026-11-28 \(not running\)")
    # The line is logged inside the write; the row is there once it commits.
    wait_for(lambda: rows(clocked, "SELECT status, reason FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'")
             == [("missed", "not running")], what="the dose recorded as missed")


def test_clock_jump_over_a_dose_reminds_it_at_once_marked_late(clocked: Cli, daemon) -> None:
    clocked.clock.set(at("2026-11-28 12:00:00"))
    clocked.config.write_text(config_text(remind_every="15m", give_up_after="3h"))
    d = daemon()
    d.wait_for(r"dose\(s\) scheduled")
    assert d.count(r"reminder \d+") == 0  # nothing due at noon: 08:00 was before any row existed
    clocked.clock.set(at("2026-11-28 16:30:00"))  # "suspended" from 12:00 to 16:30, over 14:00
    jumped = time.monotonic()
    d.wait_for(r"reminder 1: gabapentin 300 mg, 14:00 dose of 2026-11-28, 150 min late", timeout=10)
    took = time.monotonic() - jumped
    assert took < JUMP_REMINDED_WITHIN_S, f"reminded {took:.1f} s after the jump (JUMP_REMINDED_WITHIN_S)"
    d.wait_for(r"the clock jumped by")
    clocked.clock.set(at("2026-11-28 16:45:05"))  # one `remind_every` on: the next reminder is the 2nd
    d.wait_for(r"reminder 2: gabapentin 300 mg, 14:00 dose of 2026-11-28")
    assert d.count(r"reminder 1: gabapentin") == 1  # reminded once, not once per timer


def test_no_config_uses_the_example_into_a_throwaway_log_and_its_hints_work_as_written(
        clocked: Cli, daemon, tmp_path) -> None:
    env = clocked.env()
    del env["REMINDERD_CONFIG"]
    env["XDG_CONFIG_HOME"] = str(tmp_path / "empty-config")
    d = daemon(env=env)
    d.wait_for(r"no config at .*empty-config/reminderd/config.toml: reminding of the example config.s medication")
    d.wait_for(r"notifications: showing reminders with the log backend")
    d.wait_for(r"reminder 1: gabapentin 300 mg, 08:00 dose")
    # What the reminder suggests works as written: the command finds the example and its log.
    hint = re.search(r"Answer with: reminderd (take gabapentin)  \(or skip / (snooze) gabapentin\)",
                     d.wait_for(r"REMINDER gabapentin 300 mg")[0])
    assert hint is not None
    for command in (["snooze", "gabapentin"], hint[1].split()):
        done = subprocess.run([sys.executable, "-m", "reminderd", *command], env=env, capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, done.stderr
        assert "using the example config and the throwaway log of the daemon running on it" in done.stderr
    assert done.stdout.startswith("Recorded: gabapentin 300 mg, 08:00 dose of 2026-11-28, taken at 08:0")
    throwaway = clocked.home / "run" / "reminderd-example" / "reminderd.db"
    assert rows(throwaway, "SELECT status FROM doses WHERE local_date = '2026-11-28' AND slot = '08:00'") == [("taken",)]
    assert not clocked.db.exists()  # his own log ($REMINDERD_DB) was never touched


def test_first_start_creates_the_log_in_a_child_so_sqlite_utils_never_loads_in_the_daemon(
        clocked: Cli, daemon) -> None:
    env = clocked.env()
    env["PYTHONPROFILEIMPORTTIME"] = "1"  # every import the daemon makes, on its stderr (the log)
    d = daemon(env=env)
    d.wait_for(r"dose\(s\) scheduled")
    imports = [line for line in d.output.splitlines() if line.startswith("import time:")]
    assert any(line.endswith(" reminderd.daemon") for line in imports)
    assert not [line for line in imports if "sqlite_utils" in line]
    assert rows(clocked, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert rows(clocked, "SELECT status FROM doses WHERE local_date = '2026-11-28' AND slot = '08:00'") == [
        ("pending",)]


def test_sigterm_stops_within_the_units_stop_timeout(clocked: Cli, daemon) -> None:
    d = daemon()
    d.wait_for(r"dose\(s\) scheduled")
    start = time.monotonic()
    assert d.stop() == 0
    took = time.monotonic() - start
    assert took < STOP_TIMEOUT_S, f"stopped in {took:.1f} s; systemd kills it after TimeoutStopSec (STOP_TIMEOUT_S)"
    assert "reminderd stopped" in d.output


def test_a_second_daemon_is_refused(clocked: Cli, daemon) -> None:
    d = daemon()
    d.wait_for(r"dose\(s\) scheduled")
    second = clocked("run", timeout=20)
    assert second.returncode == 3
    assert second.stderr.endswith(f"reminderd: a reminderd daemon is already running (pid {d.proc.pid}, lock "
                                  f"{clocked.home / 'run' / 'reminderd.lock'}); stop it first: kill {d.proc.pid}\n")


def test_daemon_refuses_a_foreign_or_damaged_log_and_leaves_it(clocked: Cli) -> None:
    clocked.db.parent.mkdir(parents=True, exist_ok=True)
    clocked.db.write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 3000)
    before = clocked.db.read_bytes()
    out = clocked("run", timeout=30)
    assert out.returncode == 1
    assert f"reminderd: {clocked.db} cannot be used as the dose log" in out.stderr
    assert "it was left untouched" in out.stderr
    assert clocked.db.read_bytes() == before
