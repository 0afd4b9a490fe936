"""The delivery fault matrix (README, "What is guaranteed"): a real daemon under a moved
clock sending to real servers on loopback (HTTP for json:// and ntfy://, aiosmtpd for
mailto://) that are slow, hang, reset, fail, die with the daemon mid-send, or echo the
password back. Each row's goal is checked as the README states it.

Timeouts: a server "answering after 30 s" is tested scaled down by ten against the same
rule: answered within the recipient's `timeout` (SEND_TIMEOUT, 60 s by default; "6s" here)
it is sent once. Where the default itself is the point (an answer after 5 s, which the old
4 s limit called a failure; a hang cut short by a stop), the default is used. The dose's
missed-dose alert is the message; baclofen, reminded every 3 s throughout, shows that the
reminders keep time while the server misbehaves."""

from __future__ import annotations

import base64
import json
import re
import time as clock
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from reminderd.core.config.settings import SEND_TIMEOUT
from reminderd.install.unit import STOP_TIMEOUT_S
from reminderd.push.deliver import STARTUP_S
from reminderd.push.outbox import STOP_WAIT_S
from reminderd.push.send import HEARD_CHARS
from reminderd.store import from_iso
from tests.conftest import Cli, at, rows
from tests.daemon_process import DaemonProcess, daemon_at  # noqa: F401  (a fixture)
from tests.desktop import GIVE_UP_S, wait_for
from tests.receivers import free_port, http, smtp, text_of  # noqa: F401  (fixtures)
from tests.test_push import assert_on_time, baclofen, contact, stamps, through_sending, write_config

pytestmark = pytest.mark.system
LONDON = ZoneInfo("Europe/London")
SENT_AGAIN = "(Sent again: reminderd stopped while sending this at"
# The default timeout and "an answer after 30 s", scaled down by ten.
SCALED_TIMEOUT_S = SEND_TIMEOUT.total_seconds() / 10
SCALED_ANSWER_S = SCALED_TIMEOUT_S / 2
SHORT_TIMEOUT_S = 2  # a hang given up soon: its rule is the same at any timeout


START = at("2026-11-28 08:00:04")  # six seconds before the 08:00 dose is given up (give_up_after = 10s)


def alert_to(cli: Cli, url: str, timeout: float | None = None) -> None:
    """gabapentin given up at 08:00:10 (a missed-dose alert to Partner); baclofen reminded
    every 3 s all along; the recipient's `timeout` in seconds, or the default."""
    extra = contact("Partner", url, '["missed"]') + (f'timeout = "{timeout:g}s"\n' if timeout else "")
    write_config(cli, baclofen() + extra, give_up_after="10s")


def missed_at(d: DaemonProcess):
    d.wait_for(r"INFO missed: gabapentin 08:00 dose")
    return stamps(d.output, r"INFO missed: gabapentin 08:00 dose")[0]


def reminders_kept_time(d: DaemonProcess, since) -> None:
    """The baclofen reminders since `since` (at least three) each on its 3 s grid."""
    wait_for(lambda: len([t for t in stamps(d.output, r"reminder \d+: baclofen") if t >= since]) >= 3,
             timeout=GIVE_UP_S, what="three baclofen reminders")
    assert_on_time(d.output, "baclofen", 3, since=since)


def kinds(cli: Cli) -> list[str]:
    return [k for (k,) in rows(cli, "SELECT kind FROM events WHERE kind LIKE 'push-%' ORDER BY id")]


def id_of(post) -> str:
    return post.headers["Idempotency-Key"]


# --- slow, hanging, resetting and failing servers ----------------------------------------


@pytest.mark.parametrize("delay, timeout", [(5.0, None), (SCALED_ANSWER_S, SCALED_TIMEOUT_S)],
                         ids=["after-5s", "after-30s-scaled"])
def test_a_slow_server_gets_the_alert_once_and_reminders_keep_time(cli: Cli, daemon_at, http, delay, timeout) -> None:
    assert delay < (timeout or SEND_TIMEOUT.total_seconds())  # within the recipient's timeout (SEND_TIMEOUT)
    http.delay = delay
    alert_to(cli, f"json://127.0.0.1:{http.port}/alerts", timeout)
    d = daemon_at(cli, START)
    since = missed_at(d)
    line, = d.wait_for(r"push: missed to Partner \(json://…, id rmd-\w+\) sent: HTTP 200")
    assert (stamps(line, "sent")[0] - since).total_seconds() >= delay  # it did wait for the answer
    d.wait_for(r"push: nothing left to send")
    reminders_kept_time(d, since)
    assert len(http.received) == len(http.posts) == 1
    assert kinds(cli) == ["push-due", "push-try", "push-sent"]


@pytest.mark.parametrize("fault", ["hang", "reset"])
def test_a_server_that_takes_the_alert_and_never_answers_gets_it_once(cli: Cli, daemon_at, http, fault) -> None:
    """The request went out, so the alert may have arrived: it is recorded as unconfirmed
    and never sent again, neither by this run nor after a restart with its retries due."""
    setattr(http, fault, True)
    alert_to(cli, f"json://127.0.0.1:{http.port}/alerts", timeout=SHORT_TIMEOUT_S)
    d = daemon_at(cli, START)
    since = missed_at(d)
    line, = d.wait_for(r"push: missed to Partner \(json://…, id rmd-\w+\) not confirmed, try 1: the message was "
                       r"written, then no answer came: .*; not sent again")
    took = (stamps(line, "not confirmed")[0] - since).total_seconds()
    # The send limit: the recipient's timeout, and the child's start (deliver.STARTUP_S).
    assert took < SHORT_TIMEOUT_S + STARTUP_S, f"given up after {took:.1f} s: beyond the timeout plus STARTUP_S"
    d.wait_for(r"push: nothing left to send")  # no retry waiting
    reminders_kept_time(d, since)
    status = cli("status")
    assert re.search(r"Last push failure: Sat 08:00 to Partner: the message was written, then no answer came: "
                     r".*not sent again \(it may have arrived", status.stdout), status.stdout
    d.stop()
    cli.clock.advance(timedelta(minutes=20))  # every retry the back-off could have planned is due
    again = daemon_at(cli, None)
    through_sending(again)
    assert len(http.received) == 1 and http.posts == []
    assert kinds(cli) == ["push-due", "push-try", "push-unconfirmed"]


@pytest.mark.parametrize("everything", [False, True], ids=["push", "with-the-page-and-a-replica"])
def test_a_stop_during_a_hanging_send_is_not_held_up_and_the_alert_is_not_repeated(
        cli: Cli, daemon_at, http, tmp_path, everything: bool) -> None:
    """With the default 60 s timeout the daemon stops within the unit's TimeoutStopSec: it
    waits STOP_WAIT_S for the answer, then cuts the send short and records it unconfirmed;
    with the page and a replica too, every wait of the stop still fits, and the stop is
    recorded (a stop cut short by systemd's kill would read as a crash)."""
    assert SEND_TIMEOUT.total_seconds() > STOP_TIMEOUT_S  # else a send would end by itself
    http.hang = True
    alert_to(cli, f"json://127.0.0.1:{http.port}/alerts")
    if everything:
        with cli.config.open("a", encoding="utf-8") as config:
            config.write(f'\n[remote]\nlisten = "127.0.0.1:{free_port()}"\n'
                         f'\n[replica]\nurl = "file://{tmp_path / "replica"}"\nsync_interval = "1s"\n')
    d = daemon_at(cli, START)
    since = missed_at(d)
    assert http.hung.wait(20)
    reminders_kept_time(d, since)
    begun = clock.monotonic()
    assert d.stop() == 0
    took = clock.monotonic() - begun
    assert STOP_WAIT_S < took < STOP_TIMEOUT_S, f"stopped in {took:.1f} s: not after STOP_WAIT_S within STOP_TIMEOUT_S"
    assert kinds(cli) == ["push-due", "push-try", "push-unconfirmed"], took
    assert "Traceback" not in d.output
    assert "the daemon is not running since" in cli("status").stdout.splitlines()[0]  # a clean stop, recorded
    again = daemon_at(cli, None)
    through_sending(again)
    assert len(http.received) == 1


def test_a_failing_server_is_tried_again_with_back_off_and_the_same_id(cli: Cli, daemon_at, http) -> None:
    http.fail_first = 2
    alert_to(cli, f"json://127.0.0.1:{http.port}/alerts")
    d = daemon_at(cli, START)
    missed_at(d)
    for n, delay in ((1, 30), (2, 60)):
        line, = d.wait_for(rf"push: missed to Partner .* failed, try {n}: HTTP 500 .*; trying again at")
        failed_at = from_iso(rows(cli, "SELECT at FROM events WHERE kind = 'push-failed' ORDER BY id")[n - 1][0])
        again_at = (failed_at + timedelta(seconds=delay)).astimezone(LONDON)
        assert line.endswith(f"trying again at {again_at:%H:%M:%S}")  # backing off: 30 s, then 60 s
        cli.clock.advance(timedelta(seconds=delay))
    sent, = d.wait_for(r"push: missed to Partner .* sent: HTTP 200")
    reminders_kept_time(d, stamps(sent, "sent")[0])  # and after the clock's jumps
    assert len(http.received) == 3 and len(http.posts) == 1
    assert len({id_of(p) for p in http.received}) == 1  # one message, tried three times
    assert kinds(cli) == ["push-due", "push-try", "push-failed", "push-try", "push-failed", "push-try", "push-sent"]


@pytest.mark.parametrize("fault", ["delay", "hang"])
def test_a_slow_or_hanging_mail_server_gets_the_alert_once(cli: Cli, daemon_at, smtp, fault) -> None:
    """Scaled down by ten: answering the data after 3 s within a 6 s timeout, or never."""
    smtp.delay, smtp.hang = (SCALED_ANSWER_S, False) if fault == "delay" else (0.0, True)
    alert_to(cli, smtp.url(), timeout=SCALED_TIMEOUT_S if fault == "delay" else SHORT_TIMEOUT_S)
    d = daemon_at(cli, START)
    since = missed_at(d)
    if fault == "delay":
        d.wait_for(r"push: missed to Partner \(mailto://…, id rmd-\w+\) sent: SMTP 250")
    else:
        d.wait_for(r"push: missed to Partner \(mailto://…, id rmd-\w+\) not confirmed, try 1")
    d.wait_for(r"push: nothing left to send")
    reminders_kept_time(d, since)
    assert len(smtp.received) == 1 and len(smtp.messages) == (1 if fault == "delay" else 0)
    message_id, = rows(cli, "SELECT json_extract(detail, '$.id') FROM events WHERE kind = 'push-due'")[0]
    assert smtp.received[0]["Message-ID"] == f"<{message_id}@reminderd>"


# --- the daemon killed while it sends -----------------------------------------------------


def senders(cli: Cli) -> list[int]:
    """The sending children (push/send.py) of this test's daemons, found by their log."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (b"reminderd.push.send" in (proc / "cmdline").read_bytes()
                    and f"REMINDERD_DB={cli.db}".encode() in (proc / "environ").read_bytes()):
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return found



@pytest.mark.parametrize("service", ["ntfy", "mailto"])
def test_kill_9_during_a_send_gives_at_most_one_repeat_recognisable_by_its_id(
        cli: Cli, daemon_at, http, smtp, service) -> None:
    if service == "ntfy":
        http.delay, url = 10.0, f"ntfy://127.0.0.1:{http.port}/pills-7f3a9c"
        receiver, the_id, text = http, (lambda m: m.headers["X-Sequence-ID"]), (lambda m: m.body["message"])
    else:
        smtp.delay, url = 10.0, smtp.url()
        receiver, the_id, text = smtp, (lambda m: m["Message-ID"]), text_of
    alert_to(cli, url)
    d = daemon_at(cli, START)
    receiver.wait_received(1)  # the server has the alert and holds its answer
    assert senders(cli)
    d.kill9()
    # at once, not when the server answers 10 s later
    wait_for(lambda: not senders(cli), timeout=2, what="the sending child gone with the daemon")
    receiver.delay = 0.0
    again = daemon_at(cli, None)
    through_sending(again)
    assert "1 message(s) left from the last run" in again.output
    first, repeat = receiver.wait_received(2)
    assert the_id(first) == the_id(repeat) and re.search(r"rmd-[0-9a-f]{20}", the_id(first))
    assert SENT_AGAIN not in text(first) and SENT_AGAIN + " 08:00 and cannot tell" in text(repeat)
    assert kinds(cli) == ["push-due", "push-try", "push-try", "push-sent"]
    again.stop()
    third = daemon_at(cli, None)
    through_sending(third)
    assert len(receiver.received) == 2


# --- summaries across a stop --------------------------------------------------------------


@pytest.mark.parametrize("back_at, days", [
    ("2026-11-28 23:00:00", ["2026-11-28"]),
    ("2026-11-29 22:30:00", ["2026-11-28", "2026-11-29"]),
], ids=["stopped-for-hours", "stopped-for-a-whole-day"])
def test_summaries_due_while_the_daemon_was_stopped_are_delivered_once_saying_so(
        cli: Cli, daemon_at, http, back_at, days) -> None:
    write_config(cli, contact("Partner", f"json://127.0.0.1:{http.port}/day", '["summary"]'))
    d = daemon_at(cli, at("2026-11-27 20:59:58"))
    on_time, = http.wait_for(1, timeout=20)
    assert on_time.body["title"] == "Doses on Fri 27 Nov" and "Sent late" not in on_time.body["message"]
    d.wait_for(r"push: summary to Partner .* sent")
    d.stop()
    back = daemon_at(cli, at(back_at))
    through_sending(back)
    late = http.wait_for(2)[1]
    lines = late.body["message"].splitlines()
    if len(days) == 1:
        assert late.body["title"] == "Doses on Sat 28 Nov"
        assert lines[0] == "Sent late: this summary was due at 21:00, when reminderd was not running."
        # the first run made the day's rows; this one gave them up as missed when it started
        assert lines[1:4] == [f"{slot} gabapentin 300 mg: missed (not running)" for slot in ("08:00", "14:00", "22:00")]
    else:
        assert late.body["title"] == "Doses from Sat 28 Nov to Sun 29 Nov"
        assert lines[0] == ("Sent late, 2 days in one message: reminderd was not running at 21:00 on "
                            "Sat 28 Nov, Sun 29 Nov.")
        doses = [line for line in lines if "gabapentin" in line]
        assert [line[:16] for line in doses] == ["Sat 28 Nov 08:00", "Sat 28 Nov 14:00", "Sat 28 Nov 22:00",
                                                 "Sun 29 Nov 08:00", "Sun 29 Nov 14:00", "Sun 29 Nov 22:00"]
        assert doses[3].endswith("not recorded: reminderd was not running")  # no run ever made Sunday's rows
    back.stop()
    third = daemon_at(cli, None)
    through_sending(third)
    assert len(http.posts) == 2
    keys = [k for (k,) in rows(cli, "SELECT json_extract(detail, '$.key') FROM events WHERE kind = 'push-sent'")]
    assert keys == ["summary:2026-11-27", f"summary:{days[-1]}"]


# --- a server that echoes the password ------------------------------------------------------

USER, PASSWORD = "carer", "S3cr@t:pw/9"


def secret_forms() -> list[str]:
    """The password and the Basic credentials in every form a server might echo."""
    basic = f"{USER}:{PASSWORD}".encode()
    forms = [PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD, safe="").lower(), "S3cr"]
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        forms += [encode(basic).decode().rstrip("="), encode(PASSWORD.encode()).decode().rstrip("=")]
    return forms


def test_a_server_that_echoes_basic_auth_never_gets_the_password_into_any_output(
        cli: Cli, daemon_at, http, tmp_path) -> None:
    http.echo_auth, http.fail_first, http.fail_status = True, 1, 401
    url = f"json://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{http.port}/alerts"
    alert_to(cli, url)
    d = daemon_at(cli, START)
    d.wait_for(r"push: missed to Partner .* failed, try 1: HTTP 401")
    failed = cli("status")
    cli.clock.advance(timedelta(seconds=30))
    d.wait_for(r"push: missed to Partner .* sent: HTTP 200")
    assert http.received[0].headers["Authorization"] == "Basic " + base64.b64encode(
        f"{USER}:{PASSWORD}".encode()).decode()  # the server did echo the real thing
    assert "you sent" in json.dumps(rows(cli, "SELECT detail FROM events WHERE kind = 'push-sent'"))
    tested = cli("notify-test", "--contact", "Partner")
    export = tmp_path / "export.json"
    assert cli("export", "--output", str(export)).returncode == 0
    d.stop()
    database = b"".join(p.read_bytes() for p in cli.db.parent.iterdir() if p.name.startswith(cli.db.name))
    outputs = {"daemon log": d.output, "status": failed.stdout + cli("status").stdout,
               "notify-test": tested.stdout + tested.stderr, "export": export.read_text(),
               "database": database.decode("latin-1"), "log": cli("log", "--format", "json").stdout}
    assert "Last push failure: Sat 08:00 to Partner: HTTP 401" in outputs["status"]
    for where, text in outputs.items():
        for form in secret_forms():
            assert form not in text, f"{form!r} in the {where}"


def test_a_secret_where_the_servers_answer_is_cut_short_is_removed_first(cli: Cli, http) -> None:
    """Only the start of an answer is kept: a cut through the token in the path must not
    leave its first characters behind, where no scrub could recognise them."""
    token = "tk_" + "Q7x2Lm9Pz4Rt8Vw1Ks6Hj3Nb5Dc0Fg2Yu7Ie4Oa"
    prefix = " no route for POST /alerts/"
    http.fail_first, http.fail_status = 1, 404
    http.echo_path_after = HEARD_CHARS - len(prefix) - 12  # the cut falls 12 characters into the token
    alert_to(cli, f"json://127.0.0.1:{http.port}/alerts/{token}")
    tested = cli("notify-test", "--contact", "Partner")
    assert http.received[0].path == f"/alerts/{token}"  # the server did echo the real thing
    assert "HTTP 404 ....." in tested.stdout, tested.stdout
    assert token[:6] not in tested.stdout + tested.stderr
