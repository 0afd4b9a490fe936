"""The morning check-in from the real daemon on a real notification server (dunst on
Xvfb on a private bus), the daemon's clock set with libfaketime. November: London is UTC."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import Cli, config_text
from tests.daemon_process import DaemonProcess
from tests.desktop import Desktop, wait_for
from tests.fakeclock import FakeClock
from tests.conftest import at, rows

pytestmark = pytest.mark.system  # real processes: the daemon, a bus, dunst, libfaketime

QUESTION = "How were your spasms last night?"
CHECKIN = '\n[checkin]\ntime = "08:30"\nremind_every = "{every}"\nuntil = "{until}"\n'


@pytest.fixture
def morning(cli: Cli, tmp_path, desktop: Desktop):
    started: list[DaemonProcess] = []

    def start(every: str = "4s", until: str = "08:31", clock: str = "2026-11-28 08:29:57",
              display: bool = True) -> DaemonProcess:
        cli.clock = FakeClock(tmp_path / "clock", at(clock))
        cli.config.write_text(config_text(times='["20:00"]', min_gap="1h").replace('backend = "log"', 'backend = "dbus"')
                              + CHECKIN.format(every=every, until=until))
        env = cli.env() | {"DBUS_SESSION_BUS_ADDRESS": desktop.bus_address} | (
            {"DISPLAY": desktop.display} if display else {})
        d = DaemonProcess(cli, env=env)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def asked(desktop: Desktop) -> list[dict]:
    return [n for n in desktop.shown() if n["summary"] == QUESTION]


def test_one_click_answer_is_stored_then_each_later_question_adds_to_it(morning, desktop: Desktop, cli: Cli) -> None:
    d = morning(until="21:00")
    wait_for(lambda: asked(desktop), timeout=15, what="the check-in question at 08:30")
    keys = {item.key for item in desktop.menu()}
    assert keys == {"default", "severity-0", "severity-1", "severity-2", "severity-3", "full"}
    desktop.press("severity-2")
    wait_for(lambda: rows(cli, "SELECT night, severity, via FROM checkins"), what="the answer stored")
    assert rows(cli, "SELECT night, severity, frequency, woke, via FROM checkins") == [
        ("2026-11-27", 2, None, None, "notification")]
    # The one click is recorded; then how often, how many times he woke, and whether anything
    # else could explain the night, one at a time.
    for question, answer, recorded in (("How often did you have spasms?", "frequency-3", (2, 3, None, None)),
                                       ("How many times did spasms wake you?", "woke-1", (2, 3, 1, None)),
                                       ("Anything else that could explain the night: unwell, an infection, heat, "
                                        "alcohol, a relapse?", "other_cause-1", (2, 3, 1, 1))):
        shown = wait_for(lambda question=question: [n for n in desktop.shown() if n["summary"] == question],
                         what=question)[-1]
        assert shown["body"].startswith("Recorded: severity 2 (moderate)") and shown["urgency"] == "CRITICAL"
        desktop.press(answer, notification_id=shown["id"])
        wait_for(lambda recorded=recorded: rows(cli, "SELECT severity, frequency, woke, other_cause FROM checkins")
                 == [recorded],
                 what=f"{answer} added to the night's answer")
    wait_for(lambda: desktop.displayed() == 0, what="the question closed")
    count = len(asked(desktop))
    # Still in the asking window: the 20:00 dose's reminder comes after any re-ask would.
    cli.clock.set(at("2026-11-28 19:59:57"))
    d.wait_for(r"reminder 1: gabapentin 300 mg, 20:00 dose of 2026-11-28")
    assert len(asked(desktop)) == count
    assert d.count(r"check-in: night of 2026-11-27 recorded from the notification") == 4


def test_unanswered_question_is_asked_again_until_the_end_of_the_morning(morning, desktop: Desktop, cli: Cli) -> None:
    d = morning(every="3s", until="08:31", clock="2026-11-28 08:30:40")
    wait_for(lambda: len(asked(desktop)) >= 3, timeout=20, what="three asks")
    cli.clock.set(at("2026-11-28 08:30:57"))  # up to `until`, instead of waiting it out
    d.wait_for(r"check-in: the night of 2026-11-27 was not answered", timeout=30)
    wait_for(lambda: desktop.displayed() == 0, what="the question withdrawn at `until`")
    n = len(asked(desktop))
    cli.clock.set(at("2026-11-28 19:59:57"))  # the 20:00 dose's reminder comes after any re-ask would
    d.wait_for(r"reminder 1: gabapentin 300 mg, 20:00 dose of 2026-11-28")
    assert len(asked(desktop)) == n
    assert rows(cli, "SELECT count(*) FROM checkins") == [(0,)]
    late = cli("checkin", "--severity", "1", "--frequency", "2")  # it can still be filled in
    assert late.returncode == 0, late.stderr
    assert rows(cli, "SELECT night, severity FROM checkins") == [("2026-11-27", 1)]


def test_answering_in_the_terminal_withdraws_the_question(morning, desktop: Desktop, cli: Cli) -> None:
    morning(every="60s")
    wait_for(lambda: desktop.displayed() == 1, timeout=15, what="the question")
    out = cli("checkin", "--severity", "0")
    assert out.returncode == 0, out.stderr
    wait_for(lambda: desktop.displayed() == 0, timeout=5, what="the question closed within 5 s")


def test_answer_in_full_opens_the_window(morning, desktop: Desktop, cli: Cli) -> None:
    d = morning(every="60s")
    wait_for(lambda: desktop.displayed() == 1, timeout=15, what="the question")
    desktop.press("full")

    def window() -> str:
        out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^reminderd check-in$"],
                             env={"DISPLAY": desktop.display, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
        return out.stdout.strip()

    win = wait_for(window, timeout=15, what="the check-in window")
    assert win
    d.wait_for(r"check-in: opened the window for the night of 2026-11-27")
    subprocess.run(["xdotool", "key", "--window", win.split()[0], "Escape"],
                   env={"DISPLAY": desktop.display, "PATH": "/usr/bin:/bin"}, timeout=10)


def test_a_window_that_cannot_open_says_why_on_the_desktop(morning, desktop: Desktop, cli: Cli) -> None:
    d = morning(every="60s", display=False)  # a session bus, but no X display for Tk
    wait_for(lambda: desktop.displayed() == 1, timeout=15, what="the question")
    desktop.press("full")
    told = wait_for(lambda: [n for n in desktop.shown() if n["summary"] == "The check-in window did not open"],
                    timeout=15, what="why, on the desktop")[0]
    assert told["body"] == ("the check-in window cannot open: there is no display here (DISPLAY is not set: not "
                            "inside a desktop session). Answer in a terminal with: reminderd checkin")
    d.wait_for(r"WARNING check-in: the window for the night of 2026-11-27 did not open: the check-in window cannot "
               r"open: there is no display here")
