"""Doses due together, on real parts: the daemon under libfaketime showing on dunst (on
Xvfb, on a private bus), a minimal server without buttons, and the CLI as a process."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import Cli, at, config_text, rows
from tests.daemon_process import DaemonProcess
from tests.desktop import Desktop, wait_for
from tests.fakeclock import FakeClock
from tests.test_notify_dbus import ButtonlessServer

OTHERS = {"baclofen": "10 mg", "vitamin D": "1000 IU"}
EIGHT = "local_date = '2026-11-28' AND slot = '08:00'"


def config_with(*others: str, remind_every: str = "6s", give_up_after: str = "5m") -> str:
    extra = "".join(f'\n[[medication]]\nname = "{name}"\ndose = "{OTHERS[name]}"\ntimes = ["08:00"]\n'
                    f'remind_every = "{remind_every}"\ngive_up_after = "{give_up_after}"\nmin_gap = "1h"\n'
                    f'snooze = "4s"\n' for name in others)
    return (config_text(times='["08:00"]', remind_every=remind_every, give_up_after=give_up_after, min_gap="1h",
                        snooze="4s")
            .replace('backend = "log"', 'backend = "dbus"') + extra)


@pytest.fixture
def group_session(cli: Cli, tmp_path, desktop: Desktop):
    """start(*other medications) -> the daemon three seconds before 08:00, on dunst."""
    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 07:59:57"))
    started: list[DaemonProcess] = []

    def start(*others: str, remind_every: str = "6s", give_up_after: str = "5m") -> DaemonProcess:
        cli.config.write_text(config_with(*others, remind_every=remind_every, give_up_after=give_up_after))
        d = DaemonProcess(cli, env=cli.env() | {"DBUS_SESSION_BUS_ADDRESS": desktop.bus_address,
                                                "DISPLAY": desktop.display})
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def statuses(cli: Cli) -> dict[str, tuple]:
    return {m: (s, v) for m, s, v in rows(cli, f"SELECT medication, status, via FROM doses WHERE {EIGHT}")}


def dose_ids(cli: Cli) -> dict[str, int]:
    return {m: i for m, i in rows(cli, f"SELECT medication, id FROM doses WHERE {EIGHT}")}


def listing(cli: Cli, *names: str) -> str:
    """The body of a group's reminder: one line per dose, in the order of their rows."""
    doses = {"gabapentin": "300 mg"} | OTHERS
    return "\n".join(f"{n} {doses[n]} (08:00)" for n in sorted(names, key=dose_ids(cli).get))


def ours(desktop: Desktop) -> list[dict]:
    return [n for n in desktop.shown() if n["app_name"] == "reminderd"]


@pytest.mark.system
def test_two_doses_at_eight_are_one_notification_and_all_taken_records_both(group_session, desktop, cli):
    d = group_session("baclofen", remind_every="60s")
    first = wait_for(lambda: [n for n in desktop.shown() if n["summary"] == "2 doses due"], timeout=20,
                     what="the group's reminder")[0]
    ids = dose_ids(cli)
    assert first["body"] == listing(cli, "gabapentin", "baclofen")
    assert desktop.displayed() == 1  # one notification, not one per dose
    menu = {item.key: item.label for item in desktop.menu()}
    assert menu == {
        "default": "Show the answers", "all-taken": "All taken", "snooze": "Snooze 4s",
        f"taken:{ids['gabapentin']}": "Taken: gabapentin", f"taken:{ids['baclofen']}": "Taken: baclofen",
        f"skip:{ids['gabapentin']}": "Skip: gabapentin", f"skip:{ids['baclofen']}": "Skip: baclofen"}

    desktop.press("all-taken")

    wait_for(lambda: statuses(cli) == {"gabapentin": ("taken", "notification"), "baclofen": ("taken", "notification")},
             what="both doses recorded as taken")
    wait_for(lambda: desktop.displayed() == 0, what="the group's notification to close")
    # Each dose reminded once, each with its own row and events; nothing shown per dose.
    assert rows(cli, f"SELECT reminders_sent FROM doses WHERE {EIGHT}") == [(1,), (1,)]
    assert d.count(r"reminder 1: gabapentin .* \(with group:") == 1
    assert d.count(r"reminder 1: baclofen .* \(with group:") == 1
    assert [n["summary"] for n in ours(desktop)] == ["2 doses due"]


@pytest.mark.system
def test_three_doses_a_cli_answer_and_a_per_dose_button_update_the_one_notification(group_session, desktop, cli):
    d = group_session("baclofen", "vitamin D", remind_every="60s")
    wait_for(lambda: [n for n in desktop.shown() if n["summary"] == "3 doses due"], timeout=20,
             what="the group's reminder")
    ids = dose_ids(cli)

    taken = cli("take", "baclofen")
    assert taken.returncode == 0, taken.stderr

    update = wait_for(lambda: [n for n in desktop.shown() if n["summary"] == "2 doses due"], timeout=10,
                      what="the notification to list the two doses still open")[0]
    assert update["body"] == listing(cli, "gabapentin", "vitamin D")
    assert desktop.displayed() == 1
    assert {i.key for i in desktop.menu()} - {"default"} == {
        "all-taken", "snooze", f"taken:{ids['gabapentin']}", f"taken:{ids['vitamin D']}",
        f"skip:{ids['gabapentin']}", f"skip:{ids['vitamin D']}"}

    desktop.press(f"taken:{ids['gabapentin']}")

    wait_for(lambda: [n for n in desktop.shown() if n["summary"] == "vitamin D 1000 IU"], timeout=10,
             what="the notification to list vitamin D alone")
    assert statuses(cli) == {"gabapentin": ("taken", "notification"), "baclofen": ("taken", "cli"),
                             "vitamin D": ("pending", None)}
    assert desktop.displayed() == 1
    # Updates are not reminders: each dose was reminded once.
    assert rows(cli, f"SELECT sum(reminders_sent) FROM doses WHERE {EIGHT}") == [(3,)]
    assert d.count(r"reminder 2:") == 0


@pytest.mark.system
def test_re_reminders_come_per_group(group_session, desktop, cli):
    d = group_session("baclofen", remind_every="5s")
    d.wait_for(r"reminder 2: gabapentin", timeout=30)
    d.wait_for(r"reminder 2: baclofen", timeout=10)
    assert statuses(cli)["gabapentin"] == ("pending", None)
    # Both doses reminded in the same turn each time: as many group reminders as each dose's.
    sent = rows(cli, f"SELECT reminders_sent FROM doses WHERE {EIGHT}")
    assert len({s for (s,) in sent}) == 1 or abs(sent[0][0] - sent[1][0]) <= 1
    assert {n["summary"] for n in ours(desktop)} == {"2 doses due"}
    assert desktop.displayed() == 1


@pytest.mark.system
def test_doses_missed_together_get_one_notice(group_session, desktop, cli):
    d = group_session("baclofen", remind_every="60s", give_up_after="15s")
    d.wait_for(r"missed: gabapentin 08:00", timeout=40)
    d.wait_for(r"missed: baclofen 08:00", timeout=10)
    notice = wait_for(lambda: [n for n in desktop.shown() if n["summary"] == "2 doses missed"], timeout=10,
                      what="one notice for both")[-1]
    assert notice["body"].startswith("Not answered, so counted as missed — ")
    assert "gabapentin 300 mg (08:00)" in notice["body"] and "baclofen 10 mg (08:00)" in notice["body"]
    # The group's reminder is withdrawn; the notice is the one notification left.
    wait_for(lambda: desktop.displayed() == 1, what="only the missed notice on screen")
    # Between the two give-ups (same instant, one after the other) the reminder lists the
    # dose still open and the notice the first dose missed: replaced, never added to.
    assert {n["summary"] for n in ours(desktop)} <= {
        "2 doses due", "gabapentin 300 mg", "baclofen 10 mg", "2 doses missed", "Missed: gabapentin 300 mg",
        "Missed: baclofen 10 mg"}
    assert d.count(r"reminder 2:") == 0


@pytest.mark.system
def test_a_server_without_buttons_gets_one_plain_notification_and_the_cli_answers(cli, tmp_path, desktop):
    desktop.stop_dunst()
    server = ButtonlessServer()
    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 07:59:57"))
    cli.config.write_text(config_with("baclofen", remind_every="60s"))
    d = DaemonProcess(cli, env=cli.env() | {"DBUS_SESSION_BUS_ADDRESS": desktop.bus_address, "DISPLAY": desktop.display})
    try:
        wait_for(lambda: server.notified, timeout=20, what="the group's reminder")
        (_, _, _, title, body, actions, _, _), = server.notified
        assert (title, actions) == ("2 doses due", [])
        names = " / ".join(sorted(["gabapentin", "baclofen"], key=dose_ids(cli).get))
        assert body == (listing(cli, "gabapentin", "baclofen") + "\nAnswer with: reminderd take --all  "
                        f"(or one: reminderd take {names}; skip / snooze likewise)")

        bare = cli("take")  # not a terminal: it cannot ask which, so it says what to type
        assert bare.returncode == 2 and bare.stdout == ""
        assert bare.stderr == ("reminderd: 2 doses are due now: 1) gabapentin 300 mg (08:00); "
                               "2) baclofen 10 mg (08:00); name one, or use --all\n")
        assert statuses(cli) == {"gabapentin": ("pending", None), "baclofen": ("pending", None)}

        done = cli("take", "--all")
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("Recorded: ") == 2
        assert statuses(cli) == {"gabapentin": ("taken", "cli"), "baclofen": ("taken", "cli")}
        wait_for(lambda: server.closed, timeout=10, what="the daemon to withdraw the group's notification")
        assert server.closed == [1] and len(server.notified) == 1
    finally:
        d.stop()
        server.close()


@pytest.mark.system
def test_a_bare_take_asks_which_in_a_terminal(cli, tmp_path):
    import pexpect

    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 08:01:00"))
    cli.config.write_text(config_with("baclofen", "vitamin D").replace('backend = "dbus"', 'backend = "log"'))
    # No daemon ran: the doses have no rows yet, and a bare take still knows what is due.
    child = pexpect.spawn(sys.executable, ["-m", "reminderd", "take"], env=cli.env(), encoding="utf-8", timeout=20)
    child.expect_exact("3 doses are due now:")
    child.expect(r"(\d)\) baclofen 10 mg \(08:00\)")
    number = child.match.group(1)
    child.expect_exact("Which did you take? (a number, or 'all'): ")
    child.sendline(number)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # Only the dose answered got a row: the others are left to the daemon, as before.
    assert statuses(cli) == {"baclofen": ("taken", "cli")}
