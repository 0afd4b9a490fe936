"""Every answer from the notification alone, on GNOME Shell itself (headless, tests/gnome.py),
which shows three buttons at most: a dose's Taken / Snooze / Skip, a group's answers a page
at a time, and each severity of the morning check-in with how often and how many times
spasms woke him. A click on a dose or a group records nothing. The daemon is a real process
whose clock libfaketime sets (November: London is on UTC)."""

from __future__ import annotations

import pytest

from tests.conftest import Cli, at, config_text, rows
from tests.daemon_process import DaemonProcess
from tests.desktop import wait_for
from tests.fakeclock import FakeClock
from tests.gnome import GnomeShell
from tests.test_grouping_desktop import EIGHT, config_with

pytestmark = pytest.mark.system

QUESTION = "How were your spasms last night?"
HOW_OFTEN = "How often did you have spasms?"
WOKE = "How many times did spasms wake you?"
ANYTHING = "Anything else that could explain the night: unwell, an infection, heat, alcohol, a relapse?"
YES = (ANYTHING, ["Yes, something else"])
CRITICAL = 3  # GNOME's own urgency scale: 1 normal, 3 critical


@pytest.fixture
def on_gnome(cli: Cli, tmp_path, gnome: GnomeShell):
    """start(config text, at) -> the daemon, showing its notifications on GNOME Shell."""
    gnome.clear()
    started: list[DaemonProcess] = []

    def start(config: str, clock: str = "2026-11-28 07:59:57") -> DaemonProcess:
        cli.clock = FakeClock(tmp_path / "clock", at(clock))
        cli.config.write_text(config)
        d = DaemonProcess(cli, env=cli.env() | {"DBUS_SESSION_BUS_ADDRESS": gnome.bus_address})
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def dose_config() -> str:
    return config_text(times='["08:00"]', remind_every="5m", give_up_after="1h", min_gap="1h",
                       snooze="4m").replace('backend = "log"', 'backend = "dbus"')


def doses(cli: Cli) -> dict[str, tuple]:
    return {m: (s, v) for m, s, v in rows(cli, f"SELECT medication, status, via FROM doses WHERE {EIGHT}")}


def press_through(gnome: GnomeShell, title: str, labels: list[str], other_than: int | None = None) -> dict:
    """Press `labels` in turn on the banner titled `title` ("More…" shows the next page as a
    new notification); the banner of the last press."""
    banner = gnome.wait_for_banner(title, other_than=other_than)
    for label in labels:
        assert label in banner["buttons"], (label, banner)
        gnome.press(banner["id"], label)
        if label == "More…":
            banner = gnome.wait_for_banner(title, other_than=banner["id"])
            assert banner["expanded"] and banner["urgency"] == CRITICAL  # its buttons show at once
    return banner


def test_gnome_shows_three_buttons_and_drops_the_rest(gnome: GnomeShell) -> None:
    gnome.clear()
    gnome.notify("Four answers", ["default", "Click", "a", "A", "b", "B", "c", "C", "d", "D"])
    banner = gnome.wait_for_banner("Four answers")
    assert banner["buttons"] == ["A", "B", "C"]  # MAX_NOTIFICATION_BUTTONS = 3: "D" is dropped
    assert not banner["expanded"]  # and even these show only once the banner is expanded (hovered)


@pytest.mark.parametrize(("label", "status"), [("Taken", "taken"), ("Snooze 4 min", "pending"), ("Skip", "skipped")])
def test_a_dose_is_answered_from_the_notification_alone(on_gnome, gnome: GnomeShell, cli: Cli, label, status) -> None:
    d = on_gnome(dose_config())
    banner = gnome.wait_for_banner("gabapentin 300 mg")
    assert banner["buttons"] == ["Taken", "Snooze 4 min", "Skip"]
    gnome.press(banner["id"], label)
    wait_for(lambda: rows(cli, f"SELECT status, via, snoozed_until IS NOT NULL FROM doses WHERE {EIGHT}") ==
             [(status, "notification" if status != "pending" else None, status == "pending")],
             what=f"{label} recorded")
    wait_for(lambda: gnome.banner() is None, what="the reminder withdrawn once answered")
    assert d.count(r"reminder \d+: gabapentin") == 1


def test_a_click_on_a_dose_records_nothing_and_brings_its_answers_back(on_gnome, gnome: GnomeShell, cli: Cli) -> None:
    d = on_gnome(dose_config())
    banner = gnome.wait_for_banner("gabapentin 300 mg")
    assert not banner["expanded"]
    gnome.click(banner["id"])  # on GNOME, how a banner is opened or dismissed
    again = gnome.wait_for_banner("gabapentin 300 mg", other_than=banner["id"])
    assert again["expanded"] and again["urgency"] == CRITICAL and again["buttons"] == ["Taken", "Snooze 4 min", "Skip"]
    assert rows(cli, f"SELECT status, via, reminders_sent FROM doses WHERE {EIGHT}") == [("pending", None, 1)]
    assert d.count(r"taken:|skipped:|snoozed:") == 0
    gnome.press(again["id"], "Taken")  # one more step, and the answer is his
    wait_for(lambda: doses(cli) == {"gabapentin": ("taken", "notification")}, what="Taken recorded")


def test_a_group_click_records_nothing_and_every_answer_is_a_page_away(on_gnome, gnome: GnomeShell, cli: Cli) -> None:
    on_gnome(config_with("baclofen", remind_every="5m"))
    banner = gnome.wait_for_banner("2 doses due")
    assert banner["buttons"] == ["All taken", "Snooze 4s", "More…"]
    gnome.click(banner["id"])
    banner = gnome.wait_for_banner("2 doses due", other_than=banner["id"])
    assert banner["expanded"] and banner["buttons"] == ["All taken", "Snooze 4s", "More…"]
    assert doses(cli) == {"gabapentin": ("pending", None), "baclofen": ("pending", None)}

    banner = press_through(gnome, "2 doses due", ["More…"], other_than=None)
    assert sorted(banner["buttons"][:2]) == ["Taken: baclofen", "Taken: gabapentin"] and banner["buttons"][2] == "More…"
    banner = press_through(gnome, "2 doses due", ["More…", "Skip: baclofen"], other_than=None)
    wait_for(lambda: doses(cli)["baclofen"] == ("skipped", "notification"), what="baclofen skipped")
    # The dose still open, as a dose of its own: Taken, Snooze, Skip.
    alone = gnome.wait_for_banner("gabapentin 300 mg")
    assert alone["buttons"] == ["Taken", "Snooze 4s", "Skip"]
    gnome.press(alone["id"], "Taken")
    wait_for(lambda: doses(cli) == {"gabapentin": ("taken", "notification"), "baclofen": ("skipped", "notification")},
             what="gabapentin taken")


@pytest.mark.parametrize(("presses", "recorded"), [
    ([(QUESTION, ["None"]), YES], (0, 0, 0, 1)),
    ([(QUESTION, ["Mild"]), (HOW_OFTEN, ["Only when moved or touched"]), (WOKE, ["Not at all"]), YES], (1, 1, 0, 1)),
    ([(QUESTION, ["More…", "Moderate"]), (HOW_OFTEN, ["More…", "Over one an hour"]), (WOKE, ["Once"]), YES],
     (2, 3, 1, 1)),
    ([(QUESTION, ["More…", "Severe"]), (HOW_OFTEN, ["More…", "Over ten an hour"]),
      (WOKE, ["More…", "More…", "4 times"]), YES], (3, 4, 4, 1)),
], ids=["none", "mild", "moderate", "severe"])
def test_the_checkin_is_answered_from_the_notification_alone(on_gnome, gnome: GnomeShell, cli: Cli,
                                                             presses, recorded) -> None:
    config = config_text(times='["20:00"]', min_gap="1h").replace('backend = "log"', 'backend = "dbus"')
    on_gnome(config + '\n[checkin]\ntime = "08:30"\nremind_every = "60m"\nuntil = "21:00"\n',
             clock="2026-11-28 08:29:57")
    first = gnome.wait_for_banner(QUESTION)
    assert first["buttons"] == ["None", "Mild", "More…"]
    for title, labels in presses:
        press_through(gnome, title, labels)
        if title == QUESTION:  # the one click is recorded at once, whatever follows
            wait_for(lambda: rows(cli, "SELECT severity FROM checkins") == [(recorded[0],)], what="the severity")
    wait_for(lambda: rows(cli, "SELECT night, severity, frequency, woke, other_cause, via FROM checkins") ==
             [("2026-11-27", *recorded, "notification")], what=f"the night recorded as {recorded}")
    wait_for(lambda: gnome.banner() is None, what="the check-in withdrawn once answered")


def test_a_body_reads_on_screen_as_it_was_written(on_gnome, gnome: GnomeShell) -> None:
    # GNOME reads a body as markup: "&" and "<b>" in his instructions must not become bold
    # text or vanish.
    on_gnome(dose_config().replace('name = "gabapentin"',
                                   'name = "gabapentin"\ninstructions = "with food & <b>water</b>, 5 &lt; 6"'))
    banner = gnome.wait_for_banner("gabapentin 300 mg")
    assert "with food & <b>water</b>, 5 &lt; 6" in banner["text"], banner
