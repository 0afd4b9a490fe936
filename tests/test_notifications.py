"""The daemon answering through real notifications: dunst on Xvfb on a private session
bus, buttons pressed through dunst's context menu, the daemon a real process under
libfaketime. Times are in November, when Europe/London is on UTC."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import Cli, config_text
from tests.daemon_process import DaemonProcess
from tests.desktop import Desktop, wait_for
from tests.fakeclock import FakeClock
from tests.conftest import at, rows

pytestmark = pytest.mark.system  # real processes: the daemon, a bus, dunst, libfaketime

TITLE = "gabapentin 300 mg"
TODAY = "local_date = '2026-11-28' AND slot = '08:00'"


@pytest.fixture
def session(cli: Cli, tmp_path, desktop: Desktop):
    """The daemon started three seconds before the 08:00 dose, showing on dunst."""
    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 07:59:57"))
    cli.config.write_text(config_text(remind_every="6s", give_up_after="5m", min_gap="1h", snooze="4s")
                          .replace('backend = "log"', 'backend = "dbus"'))
    started: list[DaemonProcess] = []

    def start(**config) -> DaemonProcess:
        if config:
            cli.config.write_text(config_text(**config).replace('backend = "log"', 'backend = "dbus"'))
        d = DaemonProcess(cli, env=desktop_env(cli, desktop))
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def desktop_env(cli: Cli, desktop: Desktop) -> dict[str, str]:
    return cli.env() | {"DBUS_SESSION_BUS_ADDRESS": desktop.bus_address, "DISPLAY": desktop.display}


def dose_row(cli: Cli) -> tuple:
    return rows(cli, f"SELECT status, via, reminders_sent FROM doses WHERE {TODAY}")[0]


def shown(desktop: Desktop, title: str = TITLE) -> list[dict]:
    return [n for n in desktop.shown() if n["summary"] == title]


def test_reminder_has_three_buttons_and_taken_records_it(session, desktop: Desktop, cli: Cli) -> None:
    d = session()
    first = wait_for(lambda: shown(desktop), timeout=15, what="the reminder on dunst")[0]
    assert first["body"].startswith("08:00 dose")
    assert first["category"] == "x-reminderd.dose" and first["desktop_entry"] == "reminderd"
    menu = {item.key: item.label for item in desktop.menu()}
    assert menu == {"default": "Show the answers", "taken": "Taken", "snooze": "Snooze 4s", "skip": "Skip"}
    desktop.press("taken")
    wait_for(lambda: dose_row(cli)[0] == "taken", what="the dose recorded as taken")
    assert dose_row(cli)[:2] == ("taken", "notification")
    wait_for(lambda: desktop.displayed() == 0, what="the notification to close")
    sent = dose_row(cli)[2]
    # No reminder may follow the answer: the 14:00 dose's reminder comes after any timer
    # the 08:00 dose could still have had.
    cli.clock.set(at("2026-11-28 13:59:57"))
    d.wait_for(r"reminder 1: gabapentin 300 mg, 14:00 dose of 2026-11-28")
    wait_for(lambda: len(shown(desktop)) == sent + 1, what="the 14:00 reminder on dunst")
    assert dose_row(cli)[2] == sent and d.count(r"reminder \d+: gabapentin 300 mg, 08:00 dose") == sent
    assert d.count(r"taken: gabapentin 08:00 dose of 2026-11-28 at 08:0\d via notification") == 1


def test_snooze_reminds_again_after_the_snooze(session, desktop: Desktop, cli: Cli) -> None:
    session(remind_every="60s", give_up_after="5m", min_gap="1h", snooze="4s")
    wait_for(lambda: shown(desktop), timeout=15, what="the reminder")
    desktop.press("snooze")
    wait_for(lambda: rows(cli, f"SELECT snoozed_until FROM doses WHERE {TODAY}")[0][0], what="the snooze recorded")
    pressed = time.monotonic()
    wait_for(lambda: desktop.displayed() == 0, what="the notification to close")
    wait_for(lambda: len(shown(desktop)) == 2, timeout=15, what="the reminder after the snooze")
    assert time.monotonic() - pressed >= 3  # not before the 4 s snooze (less the press's own latency)
    assert dose_row(cli)[0] == "pending"


def test_skip_records_a_skipped_dose(session, desktop: Desktop, cli: Cli) -> None:
    session()
    wait_for(lambda: shown(desktop), timeout=15, what="the reminder")
    desktop.press("skip")
    wait_for(lambda: dose_row(cli)[0] == "skipped", what="the dose recorded as skipped")
    assert dose_row(cli)[1] == "notification"
    wait_for(lambda: desktop.displayed() == 0, what="the notification to close")


def test_closing_without_an_answer_leaves_the_dose_due(session, desktop: Desktop, cli: Cli) -> None:
    session()
    wait_for(lambda: shown(desktop), timeout=15, what="the reminder")
    desktop.close_last()
    wait_for(lambda: desktop.displayed() == 0, what="the dismissal")
    assert dose_row(cli)[0] == "pending"
    wait_for(lambda: len(shown(desktop)) >= 2, timeout=10, what="the next reminder")
    assert dose_row(cli)[0] == "pending" and desktop.displayed() == 1


def test_third_reminder_is_critical_and_replaces_the_last(session, desktop: Desktop, cli: Cli) -> None:
    session(remind_every="3s", give_up_after="5m", min_gap="1h", snooze="4s")
    wait_for(lambda: len(shown(desktop)) >= 3, timeout=20, what="three reminders")
    urgencies = [n["urgency"] for n in shown(desktop)[:3]]
    assert urgencies == ["NORMAL", "NORMAL", "CRITICAL"]
    assert len({n["id"] for n in shown(desktop)}) == 1  # replaced, never stacked
    assert desktop.displayed() == 1


def test_take_from_the_cli_closes_the_notification(session, desktop: Desktop, cli: Cli) -> None:
    session(remind_every="60s", give_up_after="5m", min_gap="1h", snooze="4s")
    wait_for(lambda: desktop.displayed() == 1, timeout=15, what="the reminder")
    took = cli("take")
    assert took.returncode == 0, took.stderr
    answered = time.monotonic()
    wait_for(lambda: desktop.displayed() == 0, timeout=5, what="the notification closed within 5 s")
    assert time.monotonic() - answered < 5


def test_dunst_restart_shows_the_reminder_again(session, desktop: Desktop, cli: Cli) -> None:
    d = session(remind_every="60s", give_up_after="5m", min_gap="1h", snooze="4s")
    wait_for(lambda: desktop.displayed() == 1, timeout=15, what="the reminder")
    desktop.kill_and_restart_dunst()
    wait_for(lambda: desktop.displayed() == 1, timeout=10, what="the reminder on the new dunst")
    assert d.proc.poll() is None
    desktop.press("taken")
    wait_for(lambda: dose_row(cli)[0] == "taken", what="the answer from the new server")


def test_private_notifications_hide_the_name(session, desktop: Desktop, cli: Cli) -> None:
    cli.config.write_text(config_text(remind_every="60s", give_up_after="5m", min_gap="1h")
                          .replace('backend = "log"', 'backend = "dbus"\nprivate = true'))
    d = DaemonProcess(cli, env=desktop_env(cli, desktop))
    try:
        note = wait_for(lambda: shown(desktop, "Medication due"), timeout=15, what="a private reminder")[0]
        assert "gabapentin" not in note["body"].lower()
    finally:
        d.stop()


def test_without_a_bus_the_daemon_falls_back_to_the_log_and_says_so_once(cli: Cli, tmp_path) -> None:
    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 07:59:57"))
    cli.config.write_text(config_text(remind_every="3s", give_up_after="5m", min_gap="1h")
                          .replace('backend = "log"', 'backend = "auto"'))
    env = cli.env() | {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus"}
    d = DaemonProcess(cli, env=env)
    try:
        # The REMINDER line is written after the "reminder N" line: wait for the third of them.
        d.wait_for(r"REMINDER gabapentin 300 mg: 08:00 dose", timeout=20, count=3)
        assert d.count(r"notifications: showing reminders with the log backend") == 1
        assert d.count(r"notifications: dbus backend unavailable") == 1
    finally:
        d.stop()


def test_notify_test_prints_the_button_pressed(desktop: Desktop, cli: Cli) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "reminderd", "notify-test", "--backend", "dbus", "--timeout", "20"],
                            env=desktop_env(cli, desktop), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: shown(desktop, "reminderd test"), timeout=10, what="the test notification")
    desktop.press("snooze")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out.splitlines() == ["Shown with the dbus backend.", "Pressed: snooze"]


@pytest.mark.system
def test_notify_test_without_a_desktop_exits_1_with_one_plain_sentence(cli: Cli) -> None:
    done = cli("notify-test", "--backend", "auto")  # the test's environment has no session bus and no display
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "reminderd: no test notification could be shown: there is no desktop session here "
        "(DBUS_SESSION_BUS_ADDRESS is not set). Run it inside your desktop session, where reminders appear."]
