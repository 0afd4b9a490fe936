"""What is pushed and to whom (alerts.py, plain values and an explicit `now`), the
[push] and [[contact]] config, and URLs kept secret (pushurl.py, url_file, check-config)."""

from __future__ import annotations

import base64
import os
import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from reminderd.config_file import load_config
from reminderd.core import alerts, delivery
from reminderd.core.config.load import parse_config
from reminderd.core.config.settings import Contact
from reminderd.core.doses import Dose, Remind
from reminderd.core.prescriptions import no_row_yet
from reminderd.core.schedule import slots_on
from reminderd.core.words import MISSED, PENDING, SKIPPED, TAKEN
from reminderd.errors import BadUrl, ConfigError
from reminderd.push.deliver import _read
from reminderd.push.urls import mask, read_url_file, scrub
from tests.conftest import Cli, config_text

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
SECRET = "ntfy://user:hunter2@ntfy.example.net/pills-7f3a9c"


def config(extra: str = "", private: bool = False):
    """`extra` after the example's tables; one starting with "^" goes before them (a top-level key)."""
    text = extra[1:] + config_text() if extra.startswith("^") else config_text(extra=extra)
    if private:
        text = text.replace('backend = "log"', 'backend = "log"\nprivate = true')
    return parse_config(text, "test.toml", lambda: "UTC")


def contact_toml(name: str, alerts_: str, summary_time: str = "21:00", url: str = "json://localhost/x") -> str:
    return f'\n[[contact]]\nname = "{name}"\nurl = "{url}"\nalerts = {alerts_}\nsummary_time = "{summary_time}"\n'


def dose(slot: str = "08:00", status: str = PENDING, day: int = 28, **kw) -> Dose:
    hour, minute = map(int, slot.split(":"))
    due = datetime(2026, 11, day, hour, minute, tzinfo=UTC)
    return Dose(id=kw.pop("id", 7), medication=kw.pop("medication", "gabapentin"), local_date=date(2026, 11, day),
                slot=slot, dose="300 mg", due=due, status=status, **kw)


# --- escalation ---------------------------------------------------------------------


@pytest.mark.parametrize("number, after, away, pushed", [
    (1, 2, False, False),
    (2, 2, False, True),
    (5, 2, False, True),
    (1, 2, True, True),
    (1, 1, False, True),
], ids=["first-at-the-desk", "second", "later", "first-while-away", "after-one"])
def test_escalates(number, after, away, pushed):
    assert alerts.escalates(number, after, away) is pushed


def test_escalation_is_the_reminder_once_per_reminder_and_private_hides_the_name():
    c = config()
    med = c.medications[0]
    now = datetime(2026, 11, 28, 8, 30, tzinfo=UTC)
    message = alerts.escalation(dose(), med, c, now, Remind(number=3, last=False))
    assert (message.key, message.to, message.title) == ("escalate:7:3", "push", "gabapentin 300 mg")
    assert message.body == "08:00 dose, 30 min late"
    private = alerts.escalation(dose(), med, config(private=True), now, Remind(number=3, last=True))
    assert private.title == "Medication due" and "gabapentin" not in private.body


def test_doses_reminded_together_are_one_escalation():
    message = alerts.group_escalation([(dose(id=3), 2), (dose(id=4, medication="baclofen"), 1)],
                                      "2 doses due", "gabapentin 300 mg\nbaclofen 300 mg")
    assert (message.key, message.to, message.dose_id) == ("escalate:3.2+4.1", "push", 3)
    assert (message.title, message.body) == ("2 doses due", "gabapentin 300 mg\nbaclofen 300 mg")


# --- caregiver alerts ---------------------------------------------------------------


def test_missed_alert_goes_to_each_contact_that_asked_for_it():
    c = config(contact_toml("Partner", '["missed"]') + contact_toml("Sister", '["summary"]')
               + contact_toml("Nurse", '["missed", "not-running"]'))
    messages = alerts.missed_alerts(dose(status=MISSED), c.medications[0], c)
    assert [(m.to, m.key) for m in messages] == [("Partner", "missed:7"), ("Nurse", "missed:7")]
    assert messages[0].title == "Missed: gabapentin 300 mg"
    assert messages[0].body.startswith("gabapentin 300 mg due at 08:00 on Sat 28 Nov was not answered by 11:00 "
                                       "and is counted as missed. If you forget a dose")


def test_missed_alert_in_private_mode_names_no_medication():
    c = config(contact_toml("Partner", '["missed"]'), private=True)
    message, = alerts.missed_alerts(dose(status=MISSED), c.medications[0], c)
    assert message.title == "A dose was missed"
    assert message.body.startswith("A dose due at 08:00 on Sat 28 Nov was not answered by 11:00")
    assert "gabapentin" not in message.body and "300 mg" not in message.body


def test_not_running_alert_lists_the_doses_in_one_message_each_with_its_date():
    c = config(contact_toml("Partner", '["not-running"]'))
    started = datetime(2026, 11, 29, 15, 2, tzinfo=UTC)
    message, = alerts.not_running_alerts([dose("14:00", id=9), dose("08:00", MISSED, id=8),
                                          dose("22:00", MISSED, day=27, id=7)], c, started)
    assert message.key == f"not-running:{started.isoformat()}"
    assert message.body.splitlines() == [
        "reminderd was not running when these doses fell due; it started again at Sun 29 Nov 15:02.",
        "Fri 27 Nov 22:00 gabapentin 300 mg: counted as missed",
        "Sat 28 Nov 08:00 gabapentin 300 mg: counted as missed",
        "Sat 28 Nov 14:00 gabapentin 300 mg: reminded late, when it started",
    ]
    assert alerts.not_running_alerts([], c, started) == []


def summary_day(day: int, *doses, night: str | None = None) -> alerts.SummaryDay:
    return alerts.SummaryDay(date(2026, 11, day), tuple(doses), night)


def test_summary_lists_the_day_and_last_night():
    c = config(contact_toml("Partner", '["summary"]'))
    now = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
    doses = (dose("08:00", TAKEN, id=1, taken_at=datetime(2026, 11, 28, 8, 12, tzinfo=UTC)),
             dose("14:00", SKIPPED, id=2), dose("22:00", id=3))
    message = alerts.summary_message(c.contacts[0], [summary_day(28, *doses, night="severity 1 (mild)")], c, now)
    assert (message.key, message.title) == ("summary:2026-11-28", "Doses on Sat 28 Nov")
    assert message.body.splitlines() == [
        "08:00 gabapentin 300 mg: taken at 08:12",
        "14:00 gabapentin 300 mg: skipped",
        "22:00 gabapentin 300 mg: due at 22:00",
        "Last night: severity 1 (mild)",
    ]
    private = alerts.summary_message(config(contact_toml("P", '["summary"]'), private=True).contacts[0],
                                     [summary_day(28, *doses)], config(private=True), now)
    assert private.body.splitlines()[0] == "08:00 dose: taken at 08:12"
    assert private.body.splitlines()[-1] == "Last night: no check-in"


def test_a_summary_sent_after_its_time_says_so_and_names_the_slots_no_daemon_saw():
    c = config(contact_toml("Partner", '["summary"]'))
    # The day as the plan gives it: the 08:00 dose's row, and two slots no running daemon saw (no row).
    doses = (dose("08:00", TAKEN, id=1, taken_at=datetime(2026, 11, 28, 8, 5, tzinfo=UTC)),
             *map(no_row_yet, slots_on(c, date(2026, 11, 28))[1:]))
    late = datetime(2026, 11, 28, 23, 10, tzinfo=UTC)
    message = alerts.summary_message(c.contacts[0], [summary_day(28, *doses)], c, late)
    assert (message.key, message.title) == ("summary:2026-11-28", "Doses on Sat 28 Nov")
    assert message.body.splitlines() == [
        "Sent late: this summary was due at 21:00, when reminderd was not running.",
        "08:00 gabapentin 300 mg: taken at 08:05",
        "14:00 gabapentin 300 mg: not recorded: reminderd was not running",
        "22:00 gabapentin 300 mg: not recorded: reminderd was not running",
        "Last night: no check-in",
    ]
    on_time = alerts.summary_message(c.contacts[0], [summary_day(28, *doses)], c, late.replace(hour=21, minute=1))
    assert not on_time.body.startswith("Sent late")


def test_summaries_missed_for_days_are_folded_into_one_each_dose_with_its_date():
    c = config(contact_toml("Partner", '["summary"]'))
    days = [summary_day(27, *map(no_row_yet, slots_on(c, date(2026, 11, 27)))),
            summary_day(28, *map(no_row_yet, slots_on(c, date(2026, 11, 28))[:1]), night="severity 0 (none)")]
    message = alerts.summary_message(c.contacts[0], days, c, datetime(2026, 11, 28, 22, 30, tzinfo=UTC))
    assert (message.key, message.title) == ("summary:2026-11-28", "Doses from Fri 27 Nov to Sat 28 Nov")
    assert message.body.splitlines() == [
        "Sent late, 2 days in one message: reminderd was not running at 21:00 on Fri 27 Nov, Sat 28 Nov.",
        "Fri 27 Nov 08:00 gabapentin 300 mg: not recorded: reminderd was not running",
        "Fri 27 Nov 14:00 gabapentin 300 mg: not recorded: reminderd was not running",
        "Fri 27 Nov 22:00 gabapentin 300 mg: not recorded: reminderd was not running",
        "Night before Fri 27 Nov: no check-in",
        "Sat 28 Nov 08:00 gabapentin 300 mg: not recorded: reminderd was not running",
        "Night before Sat 28 Nov: severity 0 (none)",
    ]
    assert alerts.summary_day(message.key) == date(2026, 11, 28)
    assert alerts.summary_day("missed:7") is None


@pytest.mark.parametrize("now, last_sent, owed", [
    (datetime(2026, 11, 28, 20, 59, tzinfo=UTC), date(2026, 11, 27), []),
    (datetime(2026, 11, 28, 21, 0, tzinfo=UTC), date(2026, 11, 27), [date(2026, 11, 28)]),
    (datetime(2026, 11, 28, 21, 0, tzinfo=UTC), date(2026, 11, 28), []),
    (datetime(2026, 11, 28, 23, 0, tzinfo=UTC), None, [date(2026, 11, 28)]),
    (datetime(2026, 11, 28, 8, 0, tzinfo=UTC), None, []),
    (datetime(2026, 11, 29, 8, 0, tzinfo=UTC), date(2026, 11, 27), [date(2026, 11, 28)]),
    (datetime(2026, 11, 29, 22, 0, tzinfo=UTC), date(2026, 11, 27), [date(2026, 11, 28), date(2026, 11, 29)]),
    (datetime(2026, 12, 20, 22, 0, tzinfo=UTC), date(2026, 11, 27), [date(2026, 12, d) for d in range(14, 21)]),
    # London in summer: 21:00 BST is 20:00 UTC
    (datetime(2026, 6, 1, 20, 30, tzinfo=UTC), date(2026, 5, 31), [date(2026, 6, 1)]),
], ids=["before", "at", "already-sent", "new-contact-after", "new-contact-before", "stopped-overnight",
        "stopped-a-whole-day", "a-week-at-most", "summer-time"])
def test_summaries_owed(now, last_sent, owed):
    partner = Contact("Partner", ("summary",), url="json://x/y", summary_time=time(21, 0))
    assert alerts.summaries_owed(partner, last_sent, now, LONDON) == owed


@pytest.mark.parametrize("now, next_at", [
    (datetime(2026, 11, 28, 20, 59, tzinfo=UTC), datetime(2026, 11, 28, 21, 0, tzinfo=UTC)),
    (datetime(2026, 11, 28, 21, 0, tzinfo=UTC), datetime(2026, 11, 29, 21, 0, tzinfo=UTC)),
    (datetime(2026, 6, 1, 20, 30, tzinfo=UTC), datetime(2026, 6, 2, 20, 0, tzinfo=UTC)),
], ids=["before", "at", "summer-time"])
def test_next_summary_in_the_zone(now, next_at):
    partner = Contact("Partner", ("summary",), url="json://x/y", summary_time=time(21, 0))
    assert alerts.next_summary_at(partner, now, LONDON) == next_at


# --- delivery -----------------------------------------------------------------------


def test_retries_back_off_and_stop_after_twelve_hours():
    first = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    delays = [delivery.next_try(first, n, first) - first for n in range(1, 9)]
    assert delays == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
                      timedelta(minutes=8), timedelta(minutes=15), timedelta(minutes=15), timedelta(minutes=15)]
    assert delivery.next_try(first, 40, first + timedelta(hours=12)) is None


def test_a_message_keeps_its_id_and_two_messages_never_share_one():
    at_ = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
    first = delivery.message_id("summary:2026-11-28", "Partner", at_)
    assert first == delivery.message_id("summary:2026-11-28", "Partner", at_)
    assert re.fullmatch(r"rmd-[0-9a-f]{20}", first)
    others = {delivery.message_id("summary:2026-11-28", "Sister", at_),
              delivery.message_id("summary:2026-11-29", "Partner", at_),
              delivery.message_id("summary:2026-11-28", "Partner", at_ + timedelta(microseconds=1))}
    assert first not in others and len(others) == 3


T = [datetime(2026, 11, 28, 8, 0, tzinfo=UTC) + timedelta(minutes=i) for i in range(4)]


@pytest.mark.parametrize("tries, expected", [
    ([], delivery.Resume(True, 0, 0, None)),
    ([delivery.Try(1, T[0], False, True)], delivery.Resume(True, 1, 1, None)),
    ([delivery.Try(1, T[0], False, False)], delivery.Resume(True, 1, 0, T[0])),
    ([delivery.Try(1, T[0], False, True), delivery.Try(2, T[1], False, False)], delivery.Resume(True, 2, 1, T[1])),
    ([delivery.Try(1, T[0], False, False), delivery.Try(2, T[1], True, True)], delivery.Resume(True, 2, 1, T[0])),
    ([delivery.Try(1, T[0], False, False), delivery.Try(2, T[1], True, False)], delivery.Resume(False, 2, 0, None)),
], ids=["never-tried", "failed", "cut-short", "failed-then-cut-short", "repeat-failed-unreached",
        "repeat-cut-short-too"])
def test_a_message_left_by_the_last_run(tries, expected):
    """A try whose end was never seen is repeated once, marked; a repeat cut short too is
    given up (received at most twice)."""
    assert delivery.resume(tries) == expected
    assert delivery.repeat_note(T[0], LONDON) == (
        "(Sent again: reminderd stopped while sending this at 08:00 and cannot tell whether it arrived then.)")


# --- config -------------------------------------------------------------------------


def test_push_and_contacts_are_read():
    c = config('\n[push]\nurl = "ntfy://ntfy.sh/topic"\nafter_reminders = 3\n'
               + contact_toml("Partner", '["missed", "summary"]', "20:30") + 'timeout = "2m"\n')
    assert (c.push.url, c.push.after_reminders, c.push.timeout) == ("ntfy://ntfy.sh/topic", 3, timedelta(seconds=60))
    assert c.contacts == (Contact("Partner", ("missed", "summary"), url="json://localhost/x",
                                  summary_time=time(20, 30), timeout=timedelta(minutes=2)),)
    assert config().push is None and config().contacts == ()


@pytest.mark.parametrize("extra, problem", [
    ('\n[push]\nafter_reminders = 2\n',
     "push.url: missing; expected url, or url_file (a file holding the URL, mode 0600)"),
    (f'\n[push]\nurl = "{SECRET} x"\n',
     'push.url: "(hidden)" is not valid; expected an Apprise URL such as "ntfy://ntfy.sh/a-long-random-topic" '
     'or "mailto://user:password@example.com"'),
    (f'\n[push]\nurl = "{SECRET}"\nurl_file = "push-url"\n',
     "push.url: given beside url_file; expected exactly one of url or url_file"),
    ('\n[push]\nurl = "ntfy://a/b"\nafter_reminders = 0\n',
     "push.after_reminders: 0 is not valid; expected a whole number of reminders from 1 to 100"),
    ('\n[push]\nurl = "ntfy://a/b"\nonce = true\n',
     "push.once: unknown setting; expected one of: url, url_file, after_reminders, timeout"),
    (f'\n[push]\nurl = ["{SECRET}", "mailto://u:pw@x.org"]\n',
     'push.url: a list (hidden) is not valid; expected an Apprise URL such as "ntfy://ntfy.sh/a-long-random-topic" '
     'or "mailto://user:password@example.com"'),
    (f'^push = "{SECRET}"\n', "push: \"ntfy://…\" is not valid; expected a table"),
    (f'^contact = ["{SECRET}"]\n', "contact[0]: \"ntfy://…\" is not valid; expected a table"),
    (f'^contact = "{SECRET}"\n',
     'contact: "ntfy://…" is not valid; expected [[contact]] tables (an array of tables)'),
    ('\n[push]\nurl = "ntfy://a/b"\ntimeout = "11m"\n',
     'push.timeout: "11m" is not valid; expected a duration from "1s" to "10m", like "60s"'),
    (contact_toml("P", '["missed", "bogus"]'),
     'contact[0].alerts: ["missed", "bogus"] is not valid; expected a non-empty list of "missed", '
     '"not-running", "summary", "replica-failing", each once'),
    (contact_toml("P", '["missed"]', "25:00"),
     'contact[0].summary_time: "25:00" is not valid; expected a time "HH:MM" from "00:00" to "23:59"'),
    (contact_toml("P", '["missed"]') + contact_toml("p", '["summary"]'),
     'contact[1].name: "p" is not valid; expected a name not already used by another contact'),
], ids=["no-url", "bad-url-masked", "both", "after-zero", "unknown-key", "url-list-hidden", "push-a-url",
        "contact-list-of-urls", "contact-a-url", "timeout-too-long", "bad-alert", "bad-time", "same-name"])
def test_bad_push_settings_are_named(extra, problem):
    with pytest.raises(ConfigError) as info:
        config(extra)
    assert info.value.problems == [problem]
    assert not any(secret in str(info.value) for secret in ("hunter2", "pills-7f3a9c", "ntfy.example.net", "pw@"))


def write_url_file(folder: Path, mode: int, text: str = SECRET) -> Path:
    path = folder / "push-url"
    path.write_text(text + "\n")
    os.chmod(path, mode)
    return path


def test_url_file_is_read_when_only_its_owner_can_read_it(tmp_path):
    write_url_file(tmp_path, 0o600)
    (tmp_path / "config.toml").write_text(config_text(extra='\n[push]\nurl_file = "push-url"\n'))
    c = load_config(tmp_path / "config.toml")
    assert c.push.url == SECRET and c.push.url_file == tmp_path / "push-url"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_url_file_that_others_can_read_is_refused(tmp_path, mode):
    path = write_url_file(tmp_path, mode)
    (tmp_path / "config.toml").write_text(config_text(extra=contact_toml("P", '["missed"]').replace(
        'url = "json://localhost/x"', f'url_file = "{path}"')))
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "config.toml")
    assert info.value.problems == [
        f'contact[0].url_file: "{path}" is not valid; expected a file only you can read, but its mode is '
        f"{mode:04o} (fix it with: chmod 600 {path})"]


def test_url_file_missing_or_not_a_url(tmp_path):
    with pytest.raises(BadUrl, match="No such file"):
        read_url_file(tmp_path / "nothing")
    with pytest.raises(BadUrl, match="a file holding one Apprise URL"):
        read_url_file(write_url_file(tmp_path, 0o600, "hunter2"))


def test_masking_and_scrubbing_keep_every_part_of_the_url_out():
    assert mask(SECRET) == "ntfy://…"
    assert mask("not a url") == "(hidden)"
    said = f"Failed to send to {SECRET}: user 'user' denied at ntfy.example.net topic pills-7f3a9c"
    clean = scrub(said, SECRET)
    assert clean.startswith("Failed to send to ntfy://…: ")
    assert not any(part in clean for part in ("hunter2", "ntfy.example.net", "pills-7f3a9c"))


ENCODED = "json://carer:p%40ss%2Fw0rd!@alerts.example.org/hook?token=tk_9f8e7d"


def b64(text: str, alphabet=base64.b64encode) -> str:
    return alphabet(text.encode()).decode()


@pytest.mark.parametrize("echo", [
    f"Authorization: Basic {b64('carer:p@ss/w0rd!')}",
    f"Authorization: Basic {b64('carer:p@ss/w0rd!').rstrip('=')}",
    f"auth={b64('carer:p@ss/w0rd!', base64.urlsafe_b64encode)}",
    f"seen {b64('xx p@ss/w0rd! yy')} in the body",
    f"seen {b64('xxx p@ss/w0rd!')[4:]} cut at the front",
    "password p@ss/w0rd! decoded",
    "password p%40ss%2Fw0rd%21 encoded",
    "password P%40SS%2fW0RD%21 encoded in other cases",
    "password p%40ss%2Fw0rd! as written",
    "password p%40ss/w0rd%21 half encoded",
    'json {"password": "p@ss\\/w0rd!"}',
    "Bearer tk_9f8e7d",
    f"Bearer {b64('tk_9f8e7d')}",
], ids=["basic", "basic-unpadded", "urlsafe", "inside-base64", "base64-cut", "decoded", "encoded", "encoded-case",
        "as-written", "half-encoded", "json-escaped", "token", "token-base64"])
def test_whatever_a_server_echoes_comes_back_without_the_secrets_in_any_form(echo):
    clean = scrub(f"HTTP 401 {echo}", ENCODED)
    assert clean.startswith("HTTP 401 ")
    for secret in ("p@ss/w0rd!", "w0rd", "tk_9f8e7d"):
        assert secret.lower() not in clean.lower()
        for form in (quote(secret, safe=""), b64(secret), b64(f"carer:{secret}")):
            assert form.lower().rstrip("=") not in clean.lower()


def test_a_non_ascii_password_inside_base64_of_its_utf8_is_found():
    url = "json://carer:p%C3%A4ss%E2%82%ACw0rd@alerts.example.org/hook"
    for echo in (b64("carer:päss€w0rd"), b64("xx päss€w0rd yy")[4:]):
        clean = scrub(f"HTTP 401 Authorization: Basic {echo}", url)
        assert clean == "HTTP 401 Authorization: Basic …", echo


def test_the_senders_last_words_are_scrubbed_before_they_are_cut():
    """A sender that died says why on stderr; only its last 300 characters are kept, and a
    cut through the password would leave a piece of it that no scrub could recognise."""
    password = "Xk29vLq8Tr4Wp7Zs"
    url = f"json://carer:{password}@alerts.example.org/hook"
    err = f"Traceback (most recent call last):\nValueError: no such service: {url}\n" + "." * 265
    assert password[-10:] + "@alerts.example.org/hook" in err[-300:]  # the cut falls in the password
    outcome, answer = _read("", err, 1, None, url)
    assert outcome == delivery.UNREACHED and answer.startswith("the sender failed: ")
    assert password[-4:] not in answer


# --- the command line ---------------------------------------------------------------


def test_check_config_names_a_url_apprise_cannot_use_and_masks_it(cli: Cli):
    cli.config.write_text(config_text(extra='\n[push]\nurl = "ntfy://ntfy.sh/topic-x1"\n'
                                      + contact_toml("Partner", '["missed"]', url="nosuchservice://hunter2@host/x")))
    out = cli("check-config")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines()[1:] == [
        '  - contact[0].url: "nosuchservice://…" is not valid; expected a service Apprise knows, with all its '
        'parts: an Apprise URL such as "ntfy://ntfy.sh/a-long-random-topic" or '
        '"mailto://user:password@example.com" (see https://github.com/caronc/apprise/wiki)']
    assert "hunter2" not in out.stderr


def test_check_config_and_status_show_recipients_masked(cli: Cli, tmp_path):
    write_url_file(tmp_path, 0o600)
    cli.config.write_text(config_text(extra='\n[push]\nurl_file = "push-url"\n'
                                      + contact_toml("Partner", '["missed", "summary"]', url="mailto://u:pw1234@x.org")))
    out = cli("check-config")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-2:] == [
        "push to your phone: ntfy://… (reminders from the 2nd on, or the first while the screen is locked or idle)",
        "contact Partner: mailto://… (missed, summary at 21:00)",
    ]
    status = cli("status")
    assert status.returncode == 0, status.stderr
    assert "Contact Partner: mailto://… (missed, summary at 21:00)." in status.stdout
    for secret in ("hunter2", "pills-7f3a9c", "pw1234"):
        assert secret not in out.stdout + status.stdout
    os.chmod(tmp_path / "push-url", 0o644)
    refused = cli("check-config")
    assert refused.returncode == 2 and "push.url_file:" in refused.stderr and "chmod 600" in refused.stderr
