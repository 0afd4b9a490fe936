"""Escalation and caregiver alerts through Apprise, end to end: the daemon as a real
process under a moved clock, sending to real servers on loopback (an HTTP server for
json:// and ntfy://, aiosmtpd for mailto://). Times are in November (London on UTC)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from reminderd.push.outbox import STOP_WAIT_S
from tests.conftest import Cli, at, config_text, rows
from tests.daemon_process import DaemonProcess, daemon_at  # noqa: F401  (a fixture)
from tests.desktop import wait_for
from tests.receivers import http, smtp, text_of  # noqa: F401  (fixtures)

pytestmark = pytest.mark.system
TOPIC = "pills-7f3a9c"  # the secret part of the ntfy URL: it must never be shown


def write_config(cli: Cli, extra: str, private: bool = False, **settings: str) -> None:
    values = dict(remind_every="3s", give_up_after="40s", min_gap="1h", snooze="5s") | settings
    text = config_text(extra=extra, **values)
    if private:
        text = text.replace('backend = "log"', 'backend = "log"\nprivate = true')
    cli.config.write_text(text)


def contact(name: str, url: str, alerts: str, summary_time: str = "21:00") -> str:
    return f'\n[[contact]]\nname = "{name}"\nurl = "{url}"\nalerts = {alerts}\nsummary_time = "{summary_time}"\n'


def baclofen(remind_every: str = "3s", give_up_after: str = "3h") -> str:
    """A second medication due with the first, reminded on throughout a test."""
    return (f'\n[[medication]]\nname = "baclofen"\ndose = "10 mg"\ntimes = ["08:00"]\n'
            f'remind_every = "{remind_every}"\ngive_up_after = "{give_up_after}"\nmin_gap = "1h"\n')


def settled(cli: Cli) -> None:
    """Every message decided has been sent or given up (events)."""
    def done() -> bool:
        due = rows(cli, "SELECT count(*) FROM events WHERE kind = 'push-due'")[0][0]
        ended = rows(cli, "SELECT count(*) FROM events WHERE kind IN ('push-sent', 'push-unconfirmed', "
                          "'push-cancelled')")[0][0]
        return due > 0 and due == ended
    wait_for(done, timeout=30, what="every push-due settled")


def through_sending(daemon: DaemonProcess) -> None:
    """The daemon has been through its sending phase at start: the messages the last run
    left, the not-running alert and the summaries due have each been sent or settled, so
    anything it would send again has reached the server by now (the line comes after)."""
    daemon.wait_for(r"push: nothing left to send")


def stamps(output: str, pattern: str) -> list[datetime]:
    """The log's own (fake-clock) stamps of the lines matching `pattern`."""
    found = []
    for line in output.splitlines():
        if re.search(pattern, line):
            found.append(datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f"))
    return found


def assert_on_time(output: str, medication: str, every: float, since: datetime) -> None:
    """From `since` on, the reminders kept to their grid of `every` seconds, each within
    1 s of it (the log stamps have milliseconds; one held up by a send would be late by
    more). The first seconds are left out: a start-up on a loaded machine is slow."""
    times = [t for t in stamps(output, rf"reminder \d+: {medication}") if t >= since]
    offsets = [(t - times[0]).total_seconds() - i * every for i, t in enumerate(times)]
    assert len(times) >= 3 and max(offsets) - min(offsets) <= 1.0, offsets


def test_unanswered_dose_is_pushed_from_the_second_reminder_once_each(clocked: Cli, daemon, http) -> None:
    write_config(clocked, f'\n[push]\nurl = "ntfy://127.0.0.1:{http.port}/{TOPIC}"\nafter_reminders = 2\n')
    d = daemon()
    d.wait_for(r"push: escalate .* sent", count=2, timeout=40)
    taken = clocked("take")
    assert taken.returncode == 0, taken.stderr
    settled(clocked)
    keys = sorted(k for (k,) in rows(clocked, "SELECT json_extract(detail, '$.key') FROM events "
                                              "WHERE kind = 'push-sent'"))
    dose_id = keys[0].split(":")[1]
    # Reminders 2, 3, … each pushed once (the 1st only on screen); one that came as he
    # answered is dropped, not sent.
    assert len(keys) >= 2 and keys == [f"escalate:{dose_id}:{n}" for n in range(2, len(keys) + 2)]
    posts = http.posts
    assert len(posts) == len(keys)
    assert {p.body["topic"] for p in posts} == {TOPIC}
    assert all(p.body["title"] == "gabapentin 300 mg" and p.body["message"].startswith("08:00 dose") for p in posts)
    assert TOPIC not in d.output and re.search(r"push: escalate to your phone \(ntfy://…, id rmd-\w+\) sent: HTTP 200", d.output)
    # A restart sends nothing again: each message is recorded as sent.
    d.stop()
    again = daemon()
    through_sending(again)
    assert len(http.posts) == len(keys)


def test_missed_dose_alerts_each_contact_once_by_email_and_json(clocked: Cli, daemon, http, smtp) -> None:
    write_config(clocked, contact("Partner", smtp.url(), '["missed"]')
                 + contact("Sister", f"json://127.0.0.1:{http.port}/alerts", '["missed", "summary"]'),
                 give_up_after="10s")
    d = daemon()
    d.wait_for(r"missed: gabapentin 08:00 dose of 2026-11-28 \(not answered\)", timeout=30)
    mail, = smtp.wait_for(1)
    post, = http.wait_for(1)
    assert mail["Subject"] == "Missed: gabapentin 300 mg" and mail["To"] == "partner@example.org"
    body = text_of(mail)
    assert "gabapentin 300 mg due at 08:00 on Sat 28 Nov was not answered by 08:00" in body
    assert "Never take two doses at once" in body
    assert post.path == "/alerts" and post.body["title"] == "Missed: gabapentin 300 mg"
    assert post.body["message"].strip() == body.strip()
    settled(clocked)
    d.stop()
    again = daemon()
    through_sending(again)
    assert (len(smtp.messages), len(http.posts)) == (1, 1)


def test_private_mode_hides_the_medication_in_what_is_sent(clocked: Cli, daemon, http) -> None:
    write_config(clocked, f'\n[push]\nurl = "ntfy://127.0.0.1:{http.port}/{TOPIC}"\nafter_reminders = 1\n'
                 + contact("Partner", f"json://127.0.0.1:{http.port}/alerts", '["missed"]'),
                 private=True, give_up_after="7s")
    d = daemon()
    d.wait_for(r"missed: gabapentin", timeout=60)
    settled(clocked)
    # a reminder or more (one still queued when the dose was given up is dropped) and the alert
    assert {p.body["title"] for p in http.posts} == {"Medication due", "A dose was missed"}
    for post in http.posts:
        text = post.body["title"] + post.body["message"]
        assert "gabapentin" not in text.lower() and "300 mg" not in text


def test_doses_due_while_stopped_give_one_not_running_alert(cli: Cli, daemon_at, http) -> None:
    write_config(cli, baclofen() + contact("Partner", f"json://127.0.0.1:{http.port}/alerts", '["not-running"]'),
                 give_up_after="3m")
    d = daemon_at(cli, at("2026-11-28 08:05:00"))
    d.wait_for(r"missed: gabapentin 08:00 dose of 2026-11-28 \(not running\)")
    post, = http.wait_for(1)
    assert post.body["title"] == "reminderd was not running"
    assert post.body["message"].splitlines()[1:] == ["Sat 28 Nov 08:00 baclofen 10 mg: reminded late, when it started",
                                                     "Sat 28 Nov 08:00 gabapentin 300 mg: counted as missed"]
    settled(cli)
    d.stop()
    again = daemon_at(cli, None)
    through_sending(again)
    assert len(http.posts) == 1


def test_summary_once_a_day_with_the_doses_and_last_night(clocked: Cli, daemon, http) -> None:
    write_config(clocked, contact("Partner", f"json://127.0.0.1:{http.port}/day", '["summary"]', "08:01"))
    checkin = clocked("checkin", "--night", "2026-11-27", "--severity", "2", "--frequency", "3", "--woke", "1")
    assert checkin.returncode == 0, checkin.stderr
    d = daemon()
    d.wait_for(r"reminder 1: gabapentin", timeout=30)
    assert clocked("take").returncode == 0
    clocked.clock.set(at("2026-11-28 08:00:57"))
    post, = http.wait_for(1, timeout=20)
    assert post.body["title"] == "Doses on Sat 28 Nov"
    lines = post.body["message"].splitlines()
    assert lines[0].startswith("08:00 gabapentin 300 mg: taken at 08:00")
    assert lines[1:3] == ["14:00 gabapentin 300 mg: due at 14:00", "22:00 gabapentin 300 mg: due at 22:00"]
    assert lines[3].startswith("Last night: severity 2 (moderate), frequency 3")
    settled(clocked)
    d.stop()
    again = daemon()
    through_sending(again)
    assert len(http.posts) == 1


def test_server_down_at_the_alert_then_up_gets_one_alert_and_reminders_stay_on_time(
        clocked: Cli, daemon, http) -> None:
    http.stop()
    write_config(clocked, baclofen() + contact("Partner", f"json://127.0.0.1:{http.port}/alerts", '["missed"]'),
                 give_up_after="10s")
    d = daemon()
    d.wait_for(r"push: missed to Partner \(json://…, id rmd-\w+\) failed, try 1: .*; trying again at 08:00:4", timeout=40)
    n = len(stamps(d.output, r"reminder \d+: baclofen"))
    d.wait_for(r"reminder \d+: baclofen", count=n + 3)
    # baclofen was reminded every 3 s while the alert failed
    missed_at, = stamps(d.output, r"INFO missed: gabapentin 08:00 dose")
    assert_on_time(d.output, "baclofen", 3, since=missed_at)
    assert rows(clocked, "SELECT count(*) FROM events WHERE kind = 'push-failed'")[0][0] == 1
    failed = clocked("status")
    assert re.search(r"Last push failure: Sat 08:00 to Partner: .*Connection error", failed.stdout), failed.stdout
    http.start()
    clocked.clock.advance(timedelta(seconds=60))  # a minute later
    post, = http.wait_for(1, timeout=20)
    assert post.body["title"] == "Missed: gabapentin 300 mg"
    d.wait_for(r"push: missed to Partner .* sent")
    d.wait_for(r"reminder \d+: baclofen", count=len(stamps(d.output, "reminder \\d+: baclofen")) + 2)
    settled(clocked)
    assert len(http.posts) == 1
    assert "(sent fine since)" in clocked("status").stdout


def test_a_message_answered_while_the_daemon_stops_is_recorded_so_not_sent_again(clocked: Cli, daemon, http) -> None:
    """The daemon waits a little for a send in flight when it stops (outbox.STOP_WAIT_S),
    so an answer that comes meanwhile is recorded and the next run does not send it again."""
    http.delay = STOP_WAIT_S / 4  # answered well within the wait, even on a loaded machine
    write_config(clocked, contact("Partner", f"json://127.0.0.1:{http.port}/alerts", '["missed"]'),
                 give_up_after="10s")
    d = daemon()
    assert http.hung.wait(60)  # the missed-dose alert has reached the server, which holds it 1 s
    assert d.stop() == 0
    assert rows(clocked, "SELECT count(*) FROM events WHERE kind = 'push-sent'") == [(1,)]
    assert "Traceback" not in d.output


def test_notify_test_sends_through_each_url_and_prints_the_answer(cli: Cli, http, smtp) -> None:
    write_config(cli, f'\n[push]\nurl = "ntfy://127.0.0.1:{http.port}/{TOPIC}"\n'
                 + contact("Partner", smtp.url(), '["missed"]'))
    out = cli("notify-test", "--push", "--contact", "Partner")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        'push (ntfy://…): sent; the server answered: HTTP 200 {"id": "m1", "event": "message"}',
        "Partner (mailto://…): sent; the server answered: SMTP 250 Message accepted for delivery",
    ]
    assert http.posts[0].body == {"topic": TOPIC, "title": "reminderd test",
                                  "message": "A test message from reminderd: this is how it reaches you."}
    assert smtp.wait_for(1)[0]["Subject"] == "reminderd test"
    http.stop()
    down = cli("notify-test", "--push")
    assert down.returncode == 1
    assert down.stdout.startswith("push (ntfy://…): NOT sent; the server answered: ")
    assert down.stderr == "reminderd: 1 of 1 test message(s) not sent\n"
    assert TOPIC not in out.stdout + down.stdout + down.stderr


@pytest.fixture
def locked_screen(tmp_path):
    from tests.screensaver import LockedScreen

    screen = LockedScreen(tmp_path / "session-bus")
    yield screen
    screen.stop()


def test_first_reminder_is_pushed_while_the_screen_is_locked(clocked: Cli, daemon, http, locked_screen) -> None:
    from reminderd.push import away

    write_config(clocked, f'\n[push]\nurl = "ntfy://127.0.0.1:{http.port}/{TOPIC}"\nafter_reminders = 3\n')
    env = clocked.env() | {"DBUS_SESSION_BUS_ADDRESS": locked_screen.address}
    d = daemon(env=env)
    d.wait_for(r"reminder 1: gabapentin", timeout=30)
    first, = http.wait_for(1)
    assert first.body["message"].startswith("08:00 dose")
    d.wait_for(r"push: away from the screen")
    d.wait_for(r"push: escalate .* sent", count=2, timeout=30)
    assert clocked("take").returncode == 0
    settled(clocked)
    keys = sorted(k for (k,) in rows(clocked, "SELECT json_extract(detail, '$.key') FROM events "
                                              "WHERE kind = 'push-sent'"))
    dose_id = keys[0].split(":")[1]
    # Every reminder from the first, each once; one that came as he answered is dropped.
    assert len(keys) >= 2 and keys == [f"escalate:{dose_id}:{n}" for n in range(1, len(keys) + 1)]
    assert len(http.posts) == len(keys)
    assert locked_screen.asked >= 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBUS_SESSION_BUS_ADDRESS", locked_screen.address)
        assert away.screen_locked() is True
        locked_screen.locked = False
        assert away.screen_locked() is False
        mp.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        assert away.screen_locked() is False  # no bus: not known to be away


def test_an_idle_session_counts_as_away(tmp_path) -> None:
    from reminderd.push import away
    from tests.screensaver import IdleSession

    logind = IdleSession(tmp_path / "system-bus")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DBUS_SYSTEM_BUS_ADDRESS", logind.address)
            mp.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")  # no screen saver
            assert away.session_idle() is True and away.is_away() is True
            logind.idle = False
            assert away.session_idle() is False and away.is_away() is False
            assert logind.asked == 4
    finally:
        logind.stop()


def test_doses_due_together_are_pushed_as_one_message(clocked: Cli, daemon, http) -> None:
    write_config(clocked, baclofen() + f'\n[push]\nurl = "ntfy://127.0.0.1:{http.port}/{TOPIC}"\nafter_reminders = 1\n')
    d = daemon()
    d.wait_for(r"push: escalate .* sent", count=2, timeout=40)
    taken = clocked("take", "--all")
    assert taken.returncode == 0, taken.stderr
    settled(clocked)
    keys = [k for (k,) in rows(clocked, "SELECT json_extract(detail, '$.key') FROM events WHERE kind = 'push-sent'")]
    assert len(keys) == len(set(keys)) == len(http.posts) >= 2
    assert all("+" in k for k in keys)  # one message per group reminder, never one per dose
    for post in http.posts:
        assert "gabapentin" in post.body["title"] + post.body["message"]
        assert "baclofen" in post.body["title"] + post.body["message"]
