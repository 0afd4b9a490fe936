"""What the daemon's main thread waits for, on a real daemon: writes by other processes
(heard from the kernel, not looked for), logind's resume, and nothing at all at rest."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from reminderd.daemon.watch import JUMP_S, WATCH_S
from tests.conftest import Cli, at, config_text, rows
from tests.daemon_process import DaemonProcess
from tests.screensaver import IdleSession
from tests.test_grouping_desktop import EIGHT, config_with

pytestmark = pytest.mark.system  # real processes: the daemon, strace, a bus, libfaketime

# The promise of the README's Performance table: a dose due during a suspend is reminded
# within this long of the wake-up.
JUMP_TO_REMINDER_S = 5.0


def test_an_answer_is_heard_even_when_its_commit_shows_after_its_write(clocked: Cli, daemon) -> None:
    """The kernel reports a write to the -wal file before SQLite makes the commit visible
    (after the writer's fsync); the daemon waits for the writer, so the answer is not lost.
    Here each fsync of the CLI is held for a second (strace), well after its write."""
    clocked.config.write_text(config_with("baclofen", "vitamin D", remind_every="60s")
                              .replace('backend = "dbus"', 'backend = "log"'))
    d = daemon()
    d.wait_for(r"REMINDER 3 doses due")
    took = subprocess.run(["strace", "-f", "-o", os.devnull, "-e", "trace=fsync,fdatasync",
                           "-e", "inject=fsync,fdatasync:delay_enter=1000000",
                           sys.executable, "-m", "reminderd", "take", "baclofen"],
                          env=clocked.env(), capture_output=True, text=True, timeout=60)
    assert took.returncode == 0, took.stderr
    d.wait_for(r"REMINDER 2 doses due: gabapentin 300 mg \(08:00\) \| vitamin D", timeout=10)

    # Any SQLite tool, holding its connection open (here an UPDATE of the row itself).
    tool = sqlite3.connect(clocked.db, isolation_level=None)
    try:
        tool.execute(f"UPDATE doses SET status = 'skipped' WHERE medication = 'vitamin D' AND {EIGHT}")
        d.wait_for(r"REMINDER gabapentin 300 mg: gabapentin 300 mg \(08:00\) \| Answer", timeout=10)
    finally:
        tool.close()
    assert d.count(r"reminder 2:") == 0  # updates, not reminders


def far_from_now_config() -> str:
    """The slots four and ten hours from now (UTC): nothing falls due during the test."""
    now = datetime.now(timezone.utc)
    times = [f"{now + timedelta(hours=h):%H:%M}" for h in (4, 10)]
    return config_text(timezone="UTC", times=str(times).replace("'", '"'))


def test_at_rest_the_daemon_only_waits(cli: Cli) -> None:
    """No query of the log, no file and no other thread: the main thread's wait, which
    returns every WATCH_S for a look at the clock (two reads of the vDSO, no system call)."""
    cli.config.write_text(far_from_now_config())
    d = DaemonProcess(cli)
    try:
        d.wait_for(r"dose\(s\) scheduled")
        d.wait_for(r"doctor: run `reminderd doctor`")  # the start-up self-check is done
        window = 3 * WATCH_S
        strace = subprocess.Popen(["strace", "-f", "-c", "-U", "name,calls", "-p", str(d.proc.pid)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Event().wait(window)  # at rest: nothing to wait on but time
        strace.send_signal(signal.SIGINT)  # detach, and print the count
        _, summary = strace.communicate(timeout=30)
        calls = {m["name"]: int(m["calls"]) for m in re.finditer(r"^\s*(?P<name>[a-z_0-9]+)\s+(?P<calls>\d+)\s*$",
                                                                  summary, re.M) if m["name"] != "total"}
        assert set(calls) <= {"poll", "restart_syscall"}, summary
        assert calls.get("poll", 0) <= window / WATCH_S + 2, summary
    finally:
        d.stop()


def test_a_resume_reported_by_logind_reminds_the_dose_due_meanwhile(clocked: Cli, tmp_path) -> None:
    logind = IdleSession(tmp_path / "system-bus")
    clocked.clock.set(at("2026-11-28 12:00:00"))
    clocked.config.write_text(config_text(remind_every="15m", give_up_after="3h"))
    d = DaemonProcess(clocked, env=clocked.env() | {"DBUS_SYSTEM_BUS_ADDRESS": logind.address})
    try:
        d.wait_for(r"dose\(s\) scheduled")
        d.wait_for(r"doctor: run `reminderd doctor`")  # listening to logind by now
        assert d.count(r"not listening for suspend") == 0
        logind.prepare_for_sleep(True)
        d.wait_for(r"logind: going to sleep")
        clocked.clock.set(at("2026-11-28 16:30:00"))  # asleep from 12:00 to 16:30, over 14:00
        logind.prepare_for_sleep(False)
        woke = time.monotonic()
        d.wait_for(r"reminder 1: gabapentin 300 mg, 14:00 dose of 2026-11-28, 150 min late", timeout=15)
        assert time.monotonic() - woke < JUMP_TO_REMINDER_S
        d.wait_for(r"logind: woke from sleep; checking every dose")
        assert d.count(r"reminder 1: gabapentin") == 1
    finally:
        d.stop()
        logind.stop()
    assert JUMP_S < (datetime(2026, 11, 28, 16, 30) - datetime(2026, 11, 28, 12)).total_seconds()
