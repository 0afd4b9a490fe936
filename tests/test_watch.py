"""What the daemon's threads wait for: writes by other processes (heard from the kernel,
not looked for), logind's resume, a push's next retry, and nothing at all at rest. On a
real daemon (system), and the watch's loop in this process over a real log."""

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

from reminderd.daemon.watch import JUMP_REMINDED_WITHIN_S, WATCH_S
from tests.conftest import Cli, at, config_text
from tests.daemon_process import DaemonProcess
from tests.fakeclock import FakeClock
from tests.screensaver import IdleSession
from tests.test_grouping_desktop import EIGHT, config_with


@pytest.mark.system
def test_an_answer_is_heard_even_when_its_commit_shows_after_its_write(clocked: Cli, daemon) -> None:
    """The kernel reports a write to the -wal file before SQLite makes the commit visible
    (after the writer's fsync); the daemon waits for the writer, so the answer is not lost.
    Here each fsync of the CLI is held for a second (strace), well after its write."""
    # No re-reminder for minutes (the fake clock runs in real time): what follows are updates.
    clocked.config.write_text(config_with("baclofen", "vitamin D", remind_every="5m", give_up_after="10m")
                              .replace('backend = "dbus"', 'backend = "log"'))
    d = daemon()
    d.wait_for(r"REMINDER 3 doses due")
    took = subprocess.run(["strace", "-f", "-o", os.devnull, "-e", "trace=fsync,fdatasync",
                           "-e", "inject=fsync,fdatasync:delay_enter=1000000",
                           sys.executable, "-m", "reminderd", "take", "baclofen"],
                          env=clocked.env(), capture_output=True, text=True, timeout=60)
    assert took.returncode == 0, took.stderr
    d.wait_for(r"REMINDER 2 doses due: gabapentin 300 mg \(08:00\) \| vitamin D", timeout=20)

    # Any SQLite tool, holding its connection open (here an UPDATE of the row itself).
    tool = sqlite3.connect(clocked.db, isolation_level=None)
    try:
        tool.execute(f"UPDATE doses SET status = 'skipped' WHERE medication = 'vitamin D' AND {EIGHT}")
        d.wait_for(r"REMINDER gabapentin 300 mg: gabapentin 300 mg \(08:00\) \| Answer", timeout=20)
    finally:
        tool.close()
    assert d.count(r"reminder 2:") == 0, d.output  # updates, not reminders


def far_from_now_config() -> str:
    """The slots four and ten hours from now (UTC): nothing falls due during the test."""
    now = datetime.now(timezone.utc)
    times = [f"{now + timedelta(hours=h):%H:%M}" for h in (4, 10)]
    return config_text(timezone="UTC", times=str(times).replace("'", '"'))


@pytest.mark.system
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


def test_the_look_at_the_clock_leaves_room_in_the_jump_promise() -> None:
    """A jump that no kernel reports is seen at the next look (WATCH_S), and in the tests
    libfaketime shows it up to SEEN_WITHIN late: both inside JUMP_REMINDED_WITHIN_S, with
    a second left for the reminder itself."""
    assert WATCH_S + FakeClock.SEEN_WITHIN + 1.0 <= JUMP_REMINDED_WITHIN_S


@pytest.mark.system
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
        took = time.monotonic() - woke
        assert took < JUMP_REMINDED_WITHIN_S, f"reminded {took:.1f} s after the resume (JUMP_REMINDED_WITHIN_S)"
        d.wait_for(r"logind: woke from sleep; checking every dose")
        assert d.count(r"reminder 1: gabapentin") == 1
    finally:
        d.stop()
        logind.stop()


@pytest.fixture
def watch(store):
    """The main thread's watch over a real log, its refresh recorded (and ending the loop)."""
    from reminderd.core.config.load import parse_config
    from reminderd.daemon import Daemon
    from reminderd.daemon.watch import Watch
    from reminderd.notify import make_notifier

    config = parse_config(config_text(), "test.toml", lambda: "UTC")
    daemon = Daemon(config, store, make_notifier("log"), now=lambda: at("2026-11-28 12:00:00"))
    daemon.scheduler.start(paused=True)  # woken by the look after a clock step, never run
    shared = daemon.shared
    refreshed: list[float] = []

    def refresh() -> None:
        refreshed.append(time.monotonic())
        watcher.stop.set()

    watcher = Watch(shared, refresh, reload=lambda: None, follow_zone=lambda zone: None)
    watcher.refreshed = refreshed
    yield watcher
    watcher._writes.close()
    watcher._zone.close()
    daemon.scheduler.shutdown(wait=False)


def commit_from_another_process_later(path, delay: float) -> threading.Thread:
    """Another connection (as the CLI's) changes the log after `delay` seconds."""
    def write() -> None:
        threading.Event().wait(delay)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("INSERT INTO meta (key, value) VALUES ('test-write', 'x')")
        other.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("kernel_watch", [True, False], ids=["heard from the kernel", "looked for on each look"])
def test_a_commit_by_another_process_is_noticed(watch, store, kernel_watch: bool) -> None:
    """With the kernel's word it is noticed within a fraction of the look's interval;
    without it (inotify unavailable), on the next look at the clock."""
    watch.mark()
    if not kernel_watch:
        watch._writes.close()  # as when the kernel refuses a watch (its limits reached)
    guard = threading.Timer(4 * WATCH_S, watch.stop.set)  # bounds a failure: the loop sees it on a look
    guard.start()
    try:
        written = commit_from_another_process_later(store.path, delay=0.2 * WATCH_S)
        started = time.monotonic()
        watch.loop()
        written.join()
    finally:
        guard.cancel()
    assert len(watch.refreshed) == 1
    # The first look is at once, the next WATCH_S later: only the kernel's word comes before it.
    assert watch.refreshed[0] - started < (0.7 if kernel_watch else 2) * WATCH_S


def test_the_daemons_own_writes_are_not_taken_for_another_process(watch, store) -> None:
    watch.mark()
    guard = threading.Timer(0.5 * WATCH_S, watch.stop.set)  # the loop ends on its next look
    guard.start()
    with store.write():
        store.conn.execute("INSERT INTO meta (key, value) VALUES ('own-write', 'x')")
    watch.loop()
    guard.cancel()
    assert watch.refreshed == []


def test_a_look_at_the_zone_follows_the_machine_only_for_a_config_that_names_none(watch) -> None:
    """The machine's zone as it is set here, against a config read when it was elsewhere."""
    from zoneinfo import ZoneInfo

    from reminderd.config_file import system_zone_name
    from reminderd.core.config.load import machine_zone

    machine = machine_zone(system_zone_name(fresh=True))
    elsewhere = ZoneInfo("Pacific/Auckland" if machine.key != "Pacific/Auckland" else "Europe/London")
    followed: list[ZoneInfo] = []
    watch.follow_zone = followed.append
    config = watch.shared.config._replace(timezone=elsewhere)
    watch.shared.config = config  # names its zone: the machine's is not followed
    watch._look_at_zone()
    assert followed == []
    watch.shared.config = config._replace(zone_from_system=True)
    watch._look_at_zone()
    assert followed == [machine]


def test_a_zone_with_no_name_is_said_once_and_never_followed(watch, caplog) -> None:
    """A zone file copied into /etc/localtime alone has no name: kept, and said once, not at
    every look (every 30 s where the kernel refuses the watch of /etc)."""
    from zoneinfo import ZoneInfo

    followed: list[ZoneInfo] = []
    watch.follow_zone = followed.append
    watch.shared.config = watch.shared.config._replace(zone_from_system=True)
    watch._zone.now = lambda: None
    with caplog.at_level("WARNING", logger="reminderd"):
        for _ in range(3):
            watch._look_at_zone()
    assert followed == []
    assert [r.getMessage().startswith("the machine's time zone changed but has no name") for r in caplog.records] \
        == [True]


@pytest.mark.system  # one real try through Apprise's sending child
def test_the_push_thread_waits_for_the_next_retry_not_a_second(store) -> None:
    """At rest it has no timeout; with a retry pending it looks again when the retry is
    due, or every RETRY_LOOK_S in case the wall clock jumped (a suspend), never every second."""
    from reminderd.core.alerts import Message
    from reminderd.core.config.load import parse_config
    from reminderd.daemon import Daemon
    from reminderd.notify import make_notifier
    from reminderd.push.outbox import RETRY_LOOK_S
    from tests.receivers import free_port

    now = at("2026-11-28 12:00:00")
    config = parse_config(config_text() + f'\n[[contact]]\nname = "Partner"\nurl = "json://127.0.0.1:{free_port()}/x"\n'
                          'alerts = ["missed"]\n', "test.toml", lambda: "UTC")
    push = Daemon(config, store, make_notifier("log"), now=lambda: now).push
    assert push.wait_s(now) is None  # nothing to send: no timeout
    push._record(Message("missed:1", "Partner", "missed", "Missed", "a dose"), now)
    [pending] = push._pending.values()
    push._try(pending)  # the port is closed: the first try fails, the next is set
    retry = pending.next_at
    assert retry is not None and (retry - now).total_seconds() > RETRY_LOOK_S
    assert push.wait_s(now) == RETRY_LOOK_S
    assert push.wait_s(retry - timedelta(seconds=2)) == 2.0
    assert push.wait_s(retry) == 1.0
