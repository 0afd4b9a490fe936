"""Whether anyone is reminding: `status`, `take` and `snooze` tell the truth about the
daemon, from the lock it holds and the start and clean stop it records in the log."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from reminderd import services
from reminderd.config_file import load_config
from reminderd.lock import Holder, running_daemon, take_lock
from reminderd.reminding import banner
from reminderd.core.words import DAEMON_STARTED, DAEMON_STOPPED
from reminderd.store import Store
from tests.conftest import config_text

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
LOG = "/home/him/.local/share/reminderd/reminderd.db"
START = "reminderd run"


def at(hour: int, minute: int = 0, day: int = 28) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("holder", "started", "stopped", "says"), [
    (Holder(42, None, LOG), at(9), None, None),
    (Holder(None, None, None), None, None, None),  # a daemon between taking the lock and saying who it is
    (Holder(42, None, "/tmp/other.db"), at(9), None,
     "Reminders are off for this log: the running daemon (pid 42) reminds from /tmp/other.db."),
    (None, at(9), at(13, 2), "Reminders are off: the daemon is not running since 13:02 — start it with: reminderd run"),
    (None, at(9, day=26), at(13, 2, day=27),
     "Reminders are off: the daemon is not running since Fri 27 Nov 13:02 — start it with: reminderd run"),
    (None, at(9), None, "Reminders are off: the daemon is not running: it started 09:00 and stopped without "
                         "saying so (a crash, a kill or a power cut) — start it with: reminderd run"),
    (None, None, None, "Reminders are off: the daemon is not running — start it with: reminderd run"),
], ids=["running", "running-unsaid", "another-log", "stopped-today", "stopped-yesterday", "crashed", "no-record"])
def test_what_the_lock_and_the_log_say(holder, started, stopped, says):
    assert banner(holder, LOG, started, stopped, START, NOW, LONDON) == says


def test_a_look_at_the_lock_never_takes_it_from_the_daemon(tmp_path):
    lock = tmp_path / "reminderd.lock"
    assert running_daemon(lock) is None  # no file: nobody
    fd = take_lock(lock, tmp_path / "config.toml", tmp_path / "reminderd.db")
    try:
        assert running_daemon(lock) == Holder(os.getpid(), str(tmp_path / "config.toml"), str(tmp_path / "reminderd.db"))
    finally:
        os.close(fd)
    assert running_daemon(lock) is None  # released: the file stays, the lock does not
    fd = take_lock(lock)  # and a daemon can take it again
    os.close(fd)


def test_take_says_so_on_stderr_above_the_answer(cli):
    out = cli("take", at="2026-11-28 08:05:00")
    assert out.stdout == "Recorded: gabapentin 300 mg, 08:00 dose of 2026-11-28, taken at 08:05 (on time, 5 min after).\n"
    assert out.stderr.startswith("Reminders are off: the daemon is not running — start it with: reminderd run")


def test_status_and_snooze_with_the_daemon_running_then_stopped_then_killed(clocked, daemon):
    d = daemon()
    d.wait_for(r"reminder 1: gabapentin")
    running = clocked("status")
    assert running.stdout.startswith("Today, Saturday 28 November 2026") and "Reminders are off" not in running.stdout
    snoozed = clocked("snooze")
    assert "reminding again at 08:0" in snoozed.stdout and snoozed.stderr == ""
    assert d.stop() == 0

    stopped = clocked("status").stdout.splitlines()[0]
    assert stopped.startswith("Reminders are off: the daemon is not running since 08:0"), stopped
    assert stopped.endswith("start it with: reminderd run (or have your desktop start it: reminderd install-service)")
    snoozed = clocked("snooze")
    assert "but no reminder will come: the daemon is not running." in snoozed.stdout
    assert snoozed.stderr.startswith("Reminders are off: the daemon is not running since 08:0")

    killed = daemon()
    killed.wait_for(r"reminder \d+: gabapentin")
    assert "Reminders are off" not in clocked("status").stdout
    killed.kill9()
    crashed = clocked("status").stdout.splitlines()[0]
    assert crashed.startswith("Reminders are off: the daemon is not running: it started 08:0")
    assert "stopped without saying so (a crash, a kill or a power cut)" in crashed


def test_a_start_in_the_second_of_the_last_clean_stop_is_a_run_that_has_not_stopped(store):
    """The order of the rows says which came last: a kill -9 after a restart within one
    second is a crash, not the clean stop that shares its time."""
    store.add_event(DAEMON_STARTED, "daemon", at(8))
    store.add_event(DAEMON_STOPPED, "daemon", at(8, 1))
    assert store.daemon_runs() == (at(8), at(8, 1))
    store.add_event(DAEMON_STARTED, "daemon", at(8, 1))
    assert store.daemon_runs() == (at(8, 1), None)
    store.add_event(DAEMON_STOPPED, "daemon", at(7))  # a clock stepped back: still the last row
    assert store.daemon_runs() == (at(8, 1), at(7))


def test_status_never_says_the_daemon_is_not_running_while_one_reminds(cli):
    # He changes his prescription at 13:30 while the daemon runs (holding its lock, as a
    # daemon does): `status` records it, and the new 13:00 slot has no row for a second.
    cli("status", at="2026-11-28 09:00:00")
    cli.config.write_text(config_text(times='["08:00", "13:00", "18:00", "22:00"]'))
    fd = take_lock(cli.home / "run" / "reminderd.lock", cli.config, cli.db)
    try:
        running = cli("status", at="2026-11-28 13:30:00").stdout.splitlines()
    finally:
        os.close(fd)
    assert running[4].split() == ["13:00", "gabapentin", "300", "mg", "DUE"], running
    assert "Waiting for an answer: gabapentin 13:00 dose of 2026-11-28 (due Sat 13:00); answer with: " \
           "reminderd take gabapentin" in running
    stopped = cli("status", at="2026-11-28 13:31:00").stdout.splitlines()
    assert stopped[5].split() == ["13:00", "gabapentin", "300", "mg", "DUE", "(daemon", "not", "running)"], stopped


def test_status_offers_a_bare_take_only_for_the_dose_it_takes(cli):
    # The daemon made the day's rows, then stopped before anything was answered: at 16:30
    # the 08:00 dose is long past its window and `take` would answer the 14:00 one.
    store = Store.open(cli.db)
    config = load_config(cli.config)
    store.ensure_doses(services.planned(store, config, at(0), at(23, 59)), at(7))
    store.close()
    lines = cli("status", at="2026-11-28 16:30:00").stdout.splitlines()
    assert lines[4].split() == ["08:00", "gabapentin", "300", "mg", "not", "recorded", "(daemon", "not", "running)"]
    assert lines[5].split() == ["14:00", "gabapentin", "300", "mg", "DUE"]
    assert lines[7:9] == [
        'Not answered: gabapentin 08:00 dose of 2026-11-28 (due Sat 08:00); if you took it, record it with: '
        'reminderd take gabapentin --at "2026-11-28 08:00"',
        "Waiting for an answer: gabapentin 14:00 dose of 2026-11-28 (due Sat 14:00); answer with: "
        "reminderd take gabapentin"]
    # Each command does what it says.
    assert "14:00 dose of 2026-11-28" in cli("take", "gabapentin", at="2026-11-28 16:30:00").stdout
    assert "08:00 dose of 2026-11-28" in cli("take", "gabapentin", "--at", "2026-11-28 08:00",
                                             at="2026-11-28 16:31:00").stdout


def test_check_config_says_a_running_daemon_needs_a_reload_and_how(clocked, daemon):
    assert "running daemon" not in clocked("check-config").stdout  # nobody to tell
    d = daemon()
    d.wait_for(r"reminder 1: gabapentin")
    clocked.config.write_text(config_text(times='["08:00", "13:00", "18:00", "22:00"]', remind_every="3s",
                                          give_up_after="40s", min_gap="1h", snooze="5s"))
    said = clocked("check-config").stdout.splitlines()[1]  # first, below "ok"
    assert said == (f"The running daemon (pid {d.proc.pid}) reminds by this file as it was when it started or "
                    f"was last reloaded; to put a change in force: kill -HUP {d.proc.pid}")
    subprocess.run(said.rpartition(": ")[2].split(), check=True)  # the command, as written
    d.wait_for(r"config reloaded: 1 medication")


@pytest.mark.parametrize("unit, pid, stop, reload", [
    (True, 42, "systemctl --user stop reminderd", "systemctl --user reload reminderd"),
    (False, 42, "kill 42", "kill -HUP 42"),
    (False, None, "stop `reminderd run` (Ctrl-C)", "stop `reminderd run` (Ctrl-C) and start it again"),
], ids=["systemd-unit", "autostart-or-terminal", "pid-unknown"])
def test_how_to_stop_and_reload_the_daemon_the_way_it_was_started(tmp_path, monkeypatch, unit, pid, stop, reload):
    from reminderd import paths
    from reminderd.reminding import how_to_reload, how_to_stop

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    if unit:
        paths.unit_path().parent.mkdir(parents=True)
        paths.unit_path().write_text("[Unit]\n")
    assert (how_to_stop(pid), how_to_reload(pid)) == (stop, reload)


def test_every_command_suggested_works_as_typed_for_a_name_with_a_space(cli):
    import shlex

    from reminderd.core.doses import Dose, missed_text
    from reminderd.core.grouping import cli_hint

    cli.config.write_text(config_text().replace('name = "gabapentin"', 'name = "vitamin D"'))
    config = load_config(cli.config)
    [line] = [x for x in cli("status", at="2026-11-28 08:05:00").stdout.splitlines() if x.startswith("Waiting")]
    suggested = shlex.split(line.rpartition("answer with: ")[2])
    assert suggested == ["reminderd", "take", "vitamin D"]
    assert cli(*suggested[1:], at="2026-11-28 08:06:00").returncode == 0  # as a shell would pass it
    dose = Dose(1, "vitamin D", at(8).date(), "08:00", "300 mg", at(8), status="missed")
    assert "`reminderd take 'vitamin D' --at 08:00`" in missed_text(dose, config.medications[0], config, False)[1]
    assert cli_hint([dose], private=False).endswith("(or one: reminderd take 'vitamin D'; skip / snooze likewise)")
