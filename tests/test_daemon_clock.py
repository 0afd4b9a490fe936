"""The daemon in-process, driven by an explicit clock: its timers are run by the test at
the instants they were set for, so hours of reminders take milliseconds. The log is a
real SQLite file and reminders go through the real log backend; the daemon as a real
process under libfaketime is tested in test_daemon.py.

Times are in November, when Europe/London is on UTC."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from reminderd import services as answers
from reminderd.core.config.load import parse_config
from reminderd.core.config.settings import Config
from reminderd.core.prescriptions import canonical_of
from reminderd.daemon import Daemon
from reminderd.notify import make_notifier
from reminderd.store import Store
from tests.conftest import at, config_text

SLOT = "local_date = '2026-11-28' AND slot = '08:00'"


class DrivenDaemon:
    """A Daemon whose clock is `self.clock`; `advance_to` fires its due timers in order."""

    def __init__(self, config: Config, store: Store, start: datetime) -> None:
        self.clock = start
        self.store = store
        self.daemon = Daemon(config, store, make_notifier("log"), now=lambda: self.clock)
        self.daemon.timers.started_at = start  # as Daemon.start sets it
        # Paused: the scheduler keeps the timers, and the test fires them.
        self.daemon.scheduler.start(paused=True)
        self.daemon.notifier.start(self.daemon.on_answer)
        self.daemon.refresh(restarting=True)

    def advance_to(self, instant: datetime) -> None:
        while True:
            due = [j for j in self.daemon.scheduler.get_jobs() if j.next_run_time and j.next_run_time <= instant]
            if not due:
                break
            job = min(due, key=lambda j: j.next_run_time)
            fired_at = job.next_run_time
            self.clock = max(self.clock, fired_at)
            job.func(*job.args, **job.kwargs)
            again = self.daemon.scheduler.get_job(job.id)
            if again is not None and again.next_run_time == fired_at:
                again.remove()  # a date timer that was not set again has fired for good
        self.clock = instant

    def answered_elsewhere(self) -> None:
        """What the watch loop does when the CLI has written: look at every dose again."""
        self.daemon.refresh()

    def close(self) -> None:
        if self.daemon.scheduler.running:
            self.daemon.scheduler.shutdown(wait=False)
            self.daemon.notifier.stop()


@pytest.fixture
def drive(store: Store):
    started: list[DrivenDaemon] = []

    def start(start: str, **settings: str) -> DrivenDaemon:
        config = parse_config(config_text(**settings), "test.toml", lambda: "UTC")
        d = DrivenDaemon(config, store, at(start))
        started.append(d)
        return d

    yield start
    for d in started:
        d.close()


def reminders(caplog, slot: str = "08:00") -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.getMessage().startswith("reminder ") and f", {slot} dose" in r.getMessage()]


def dose_row(store: Store, where: str = SLOT) -> tuple:
    return store.conn.execute(f"SELECT status, reason, reminders_sent, via FROM doses WHERE {where}").fetchone()


def test_reminded_every_interval_then_missed_with_a_last_reminder(drive, store: Store, caplog) -> None:
    caplog.set_level(logging.INFO, logger="reminderd")
    d = drive("2026-11-28 07:59:00", remind_every="15m", give_up_after="1h")
    d.advance_to(at("2026-11-28 09:30:00"))
    assert reminders(caplog) == [
        "reminder 1: gabapentin 300 mg, 08:00 dose of 2026-11-28",
        "reminder 2: gabapentin 300 mg, 08:00 dose of 2026-11-28, 15 min late",
        "reminder 3: gabapentin 300 mg, 08:00 dose of 2026-11-28, 30 min late",
        "reminder 4: gabapentin 300 mg, 08:00 dose of 2026-11-28, 45 min late (last reminder)",
    ]
    assert dose_row(store) == ("missed", "not answered", 4, None)
    assert any("REMINDER Missed: gabapentin 300 mg" in r.getMessage() for r in caplog.records)


def test_a_dose_taken_from_the_cli_is_never_reminded_again(drive, store: Store, caplog) -> None:
    caplog.set_level(logging.INFO, logger="reminderd")
    d = drive("2026-11-28 07:59:00", remind_every="15m", give_up_after="3h")
    d.advance_to(at("2026-11-28 08:20:00"))
    assert len(reminders(caplog)) == 2
    config = d.daemon.config
    answers.take(store, config, None, at("2026-11-28 08:20:00"), at("2026-11-28 08:20:00"), False)
    d.answered_elsewhere()
    d.advance_to(at("2026-11-28 13:00:00"))
    assert len(reminders(caplog)) == 2
    assert dose_row(store) == ("taken", None, 2, "cli")


def test_a_button_answer_is_recorded_and_stops_the_reminders(drive, store: Store, caplog) -> None:
    caplog.set_level(logging.INFO, logger="reminderd")
    d = drive("2026-11-28 07:59:00", remind_every="15m", give_up_after="3h")
    d.advance_to(at("2026-11-28 08:01:00"))
    (dose_id,) = store.conn.execute(f"SELECT id FROM doses WHERE {SLOT}").fetchone()
    d.daemon.on_answer(f"dose:{dose_id}", "taken")
    d.advance_to(at("2026-11-28 13:00:00"))
    assert len(reminders(caplog)) == 1
    assert dose_row(store) == ("taken", None, 1, "notification")


def test_timers_and_buttons_that_come_while_the_daemon_stops_do_nothing(tmp_path: Path, caplog) -> None:
    """Stopping closes the log after the daemon's parts stop: a dose timer, the check-in
    timer or a button still queued then must neither write nor raise (it did, with a
    traceback per queued timer, whenever the daemon was stopped while reminding)."""
    caplog.set_level(logging.INFO, logger="reminderd")
    store = Store.open(tmp_path / "data" / "reminderd.db")
    config = parse_config(config_text(remind_every="15m"), "test.toml", lambda: "UTC")
    d = DrivenDaemon(config, store, at("2026-11-28 07:59:00"))
    (dose_id,) = store.conn.execute(f"SELECT id FROM doses WHERE {SLOT}").fetchone()
    d.daemon.shutdown()
    store.close()
    d.clock = at("2026-11-28 08:30:00")
    caplog.clear()
    d.daemon.tick(dose_id)
    d.daemon.refresh()
    d.daemon.morning.tick()
    d.daemon.push.plan_daily()
    d.daemon.on_answer(f"dose:{dose_id}", "taken")
    d.daemon.on_answer(f"group:{dose_id}", "all-taken")
    assert [r.getMessage() for r in caplog.records] == []
    with sqlite3.connect(tmp_path / "data" / "reminderd.db") as conn:
        assert conn.execute(f"SELECT status, reminders_sent FROM doses WHERE {SLOT}").fetchone() == ("pending", 0)


def test_a_dose_whose_window_passed_while_stopped_is_missed_not_running(drive, store: Store, caplog) -> None:
    caplog.set_level(logging.INFO, logger="reminderd")
    first = drive("2026-11-28 07:00:00", remind_every="15m", give_up_after="3h")
    first.close()
    drive("2026-11-28 11:30:00", remind_every="15m", give_up_after="3h")
    assert dose_row(store) == ("missed", "not running", 0, None)
    assert reminders(caplog) == []


def test_a_restart_reminds_a_dose_being_reminded_at_once_not_after_an_interval(drive, store: Store, caplog) -> None:
    caplog.set_level(logging.INFO, logger="reminderd")
    first = drive("2026-11-28 07:59:00", remind_every="15m", give_up_after="3h")
    first.advance_to(at("2026-11-28 08:01:00"))
    first.close()  # its notification died with it
    caplog.clear()
    drive("2026-11-28 08:02:00", remind_every="15m", give_up_after="3h")
    assert reminders(caplog) == ["reminder 2: gabapentin 300 mg, 08:00 dose of 2026-11-28, 2 min late"]
    assert store.conn.execute(f"SELECT count(*) FROM doses WHERE {SLOT}").fetchone() == (1,)


def test_a_group_due_as_the_daemon_starts_is_reminded_once(drive, store: Store, caplog) -> None:
    """The log keeps instants to the second: a start at 08:00:00.4 whose first reminder is
    recorded as 08:00:00 is still a reminder of this run, not one the last run sent (each
    dose of the group reminded the group again: three reminders at once)."""
    caplog.set_level(logging.INFO, logger="reminderd")
    others = "".join(f'\n[[medication]]\nname = "{name}"\ndose = "10 mg"\ntimes = ["08:00"]\n'
                     'remind_every = "15m"\ngive_up_after = "3h"\n' for name in ("baclofen", "vitamin D"))
    drive("2026-11-28 08:00:00.400", remind_every="15m", give_up_after="3h", extra=others)
    assert dict(store.conn.execute(f"SELECT medication, reminders_sent FROM doses WHERE {SLOT}").fetchall()) == {
        "gabapentin": 1, "baclofen": 1, "vitamin D": 1}
    assert [line.split(":")[0] for line in reminders(caplog)] == ["reminder 1"] * 3
    assert sum("REMINDER 3 doses due" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("start, status", [
    ("2026-11-28 07:50:00", "next: gabapentin 08:00 (Sat 08:00)"),
    ("2026-11-28 08:00:30", "next: gabapentin 14:00 (Sat 14:00)"),
    ("2026-11-28 22:30:00", "next: gabapentin 08:00 (Sun 08:00)"),
], ids=["before-the-dose", "just-after-it", "after-the-last"])
def test_status_line_names_the_next_dose_at_its_now(drive, start: str, status: str) -> None:
    assert drive(start).daemon.status_line() == status


def test_the_rollover_at_midnight_schedules_the_day_after(drive, store: Store) -> None:
    d = drive("2026-11-28 21:00:00")
    assert store.conn.execute("SELECT max(local_date) FROM doses").fetchone() == ("2026-11-29",)
    d.advance_to(at("2026-11-29 00:00:05"))
    assert store.conn.execute("SELECT max(local_date) FROM doses").fetchone() == ("2026-11-30",)


BACLOFEN = """
[[medication]]
name = "baclofen"
dose = "10 mg"
times = ["08:00"]
give_up_after = "3h"
"""


def parsed_config(**settings: str) -> Config:
    return parse_config(config_text(**settings), "test.toml", lambda: "UTC")


def run_with_a_reload(store: Store, before: Config, after: Config, start: str, reload_at: str,
                      until: str | None = None) -> None:
    """A driven daemon on `before` (in force since the day before) from `start`, its config
    reloaded to `after` at `reload_at`, then run on to `until` if given."""
    store.record_prescription(canonical_of(before), at("2026-11-27 12:00:00"))
    d = DrivenDaemon(before, store, at(start))
    d.daemon._reload_config = lambda: after
    try:
        d.advance_to(at(reload_at))
        d.daemon.reload()
        if until is not None:
            d.advance_to(at(until))
    finally:
        d.close()


def baclofen_rows(store: Store) -> list[tuple]:
    return store.conn.execute("SELECT local_date, slot, status FROM doses WHERE medication = 'baclofen'").fetchall()


def test_a_medication_added_at_start_gets_no_row_for_a_slot_before_it_was_prescribed(
        store: Store, caplog) -> None:
    caplog.set_level(logging.INFO, logger="reminderd")
    before = parse_config(config_text(), "test.toml", lambda: "UTC")
    store.record_prescription(canonical_of(before), at("2026-11-27 12:00:00"))
    # Added at 08:30, within the 3 h give-up window of its 08:00 slot.
    added = parse_config(config_text(extra=BACLOFEN), "test.toml", lambda: "UTC")
    store.record_prescription(canonical_of(added), at("2026-11-28 08:30:00"))
    d = DrivenDaemon(added, store, at("2026-11-28 08:30:00"))
    try:
        d.advance_to(at("2026-11-28 12:00:00"))
    finally:
        d.close()
    assert ("2026-11-28", "08:00", "pending") not in baclofen_rows(store)
    assert [r for r in baclofen_rows(store) if r[0] == "2026-11-28"] == []
    assert not [r for r in caplog.records if "baclofen" in r.getMessage() and "2026-11-28" in r.getMessage()]
    assert ("2026-11-29", "08:00", "pending") in baclofen_rows(store)


def test_a_medication_added_by_a_reload_gets_no_row_for_a_slot_before_it_was_prescribed(
        store: Store, caplog) -> None:
    caplog.set_level(logging.INFO, logger="reminderd")
    run_with_a_reload(store, parsed_config(), parsed_config(extra=BACLOFEN), "2026-11-28 07:00:00",
                      reload_at="2026-11-28 08:30:00", until="2026-11-28 12:00:00")
    assert [r for r in baclofen_rows(store) if r[0] == "2026-11-28"] == []
    assert not [r for r in caplog.records if "baclofen" in r.getMessage() and "2026-11-28" in r.getMessage()]
    assert ("2026-11-29", "08:00", "pending") in baclofen_rows(store)


class RowAtLogTime(logging.Handler):
    """Reads the dose's row from a connection of its own the moment a line is logged, as
    a test that waits for the line and then reads the log does."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.seen: list[tuple[str, tuple]] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        if line.startswith(("reminder ", "missed: ")) and "gabapentin" in line:
            conn = sqlite3.connect(self.path)
            try:
                self.seen.append((line.split(":")[0], conn.execute(
                    f"SELECT status, reminders_sent FROM doses WHERE {SLOT} AND medication = 'gabapentin'").fetchone()))
            finally:
                conn.close()


@pytest.mark.parametrize("extra", ["", BACLOFEN], ids=["one-dose", "a-group"])
def test_reminder_and_missed_lines_are_logged_after_the_commit(drive, store: Store, extra: str) -> None:
    watcher = RowAtLogTime(store.path)
    logger = logging.getLogger("reminderd")
    level = logger.level
    logger.addHandler(watcher)
    logger.setLevel(logging.INFO)  # as `reminderd run` logs: reminders are INFO
    try:
        d = drive("2026-11-28 07:59:00", remind_every="30m", give_up_after="1h", extra=extra)
        d.advance_to(at("2026-11-28 09:30:00"))
    finally:
        logger.removeHandler(watcher)
        logger.setLevel(level)
    assert watcher.seen == [("reminder 1", ("pending", 1)), ("reminder 2", ("pending", 2)), ("missed", ("missed", 2))]


def test_a_slot_moved_earlier_by_a_reload_is_still_reminded_that_day(store: Store, caplog) -> None:
    caplog.set_level(logging.INFO, logger="reminderd")
    run_with_a_reload(store, parsed_config(), parsed_config(times='["08:00", "14:00", "21:00"]'),
                      "2026-11-28 21:00:00", reload_at="2026-11-28 21:30:00")
    assert reminders(caplog, "21:00") == ["reminder 1: gabapentin 300 mg, 21:00 dose of 2026-11-28, 30 min late"]
    assert dose_row(store, "local_date = '2026-11-28' AND slot = '22:00'") is None
