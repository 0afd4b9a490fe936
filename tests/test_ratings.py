"""A second, blinded rater of the nights (issue 24), in process: the [[rater]] config, her
questions and their rules, whether anything sent to her had told her of a night's doses
before she answered (from the log's own push events), the ratings table with its corrections
and undo, and the CLI (`checkin --rater`, `log --ratings`, check-config)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reminderd import services
from reminderd.core import rating, words
from reminderd.config_file import load_config
from reminderd.core.config.load import parse_config
from reminderd.core.config.settings import Rater
from reminderd.core.prescriptions import canonical_of
from reminderd.core.schedule import slots_on
from reminderd.errors import ConfigError, UsageError
from reminderd.store import Store
from tests.conftest import Cli, at, config_text, rows

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
RATER = '\n[[rater]]\nname = "Partner"\ntime = "07:30"\nuntil = "11:00"\n'
SECRET = "ntfy://ntfy.example.net/partner-7f3a9c-secret"


def config(extra: str = RATER):
    return parse_config(config_text(extra=extra), "test.toml", lambda: "UTC")


def problems(extra: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config(extra)
    return info.value.problems


# --- the config ---------------------------------------------------------------------------


def test_a_rater_is_read_with_her_times_and_defaults():
    assert config().raters == (Rater("Partner", time(7, 30), time(11, 0)),)
    assert config('\n[[rater]]\nname = "Sam"\n').raters == (Rater("Sam", time(8, 0), time(12, 0)),)
    assert config().rater("partner").name == "Partner" and config().rater("Sam") is None
    assert config("").raters == ()


@pytest.mark.parametrize("extra, problem", [
    ('\n[[rater]]\ntime = "07:00"\n', "rater[0].name: missing; this setting is required"),
    ('\n[[rater]]\nname = "-x"\n', "rater[0].name: \"-x\" is not valid; expected a name that does not start with '-'"),
    ('\n[[rater]]\nname = "' + "a" * 41 + '"\n', "rater[0].name: \"" + "a" * 41 + '" is not valid; expected a name '
     "of at most 40 characters, without control characters"),
    ('\n[[rater]]\nname = "A"\n[[rater]]\nname = "a"\n',
     'rater[1].name: "a" is not valid; expected a name not already used by another rater'),
    ('\n[[rater]]\nname = "A"\ntime = "11:00"\nuntil = "10:00"\n',
     'rater[0].until: "10:00" is not valid; expected a time after rater[0].time (11:00)'),
    ('\n[[rater]]\nname = "A"\nurl = "x"\n', 'rater[0].url: "(hidden)" is not valid; expected an Apprise URL'),
    (f'\n[[rater]]\nname = "A"\nurl = "{SECRET}"\nurl_file = "f"\n',
     "rater[0].url: given beside url_file; expected at most one of url or url_file"),
    ('\n[[rater]]\nname = "A"\ncolour = "red"\n', "rater[0].colour: unknown setting; expected one of: name, time, "
     "until, url, url_file, timeout"),
], ids=["no name", "option-like name", "long name", "twice", "until before time", "bad url", "url and file",
        "unknown key"])
def test_a_bad_rater_is_named_and_its_url_never_shown(extra, problem):
    found = problems(extra)
    assert any(p.startswith(problem) for p in found), found
    assert all(SECRET not in p for p in found)


def test_rater_must_be_tables():
    with pytest.raises(ConfigError) as info:  # what was written there may be her URL: never shown
        parse_config(f'rater = "{SECRET}"\n' + config_text(), "test.toml", lambda: "UTC")
    assert info.value.problems == ['rater: "ntfy://…" is not valid; expected [[rater]] tables (an array of tables)']


def test_her_url_file_is_read_like_a_contacts(tmp_path: Path):
    (tmp_path / "partner-url").write_text(SECRET + "\n")
    (tmp_path / "partner-url").chmod(0o600)
    path = tmp_path / "config.toml"
    path.write_text(config_text(extra='\n[[rater]]\nname = "Partner"\nurl_file = "partner-url"\n'))
    assert load_config(path).raters[0].url == SECRET
    (tmp_path / "partner-url").chmod(0o644)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "rater[0].url_file:" in str(info.value) and "chmod 600" in str(info.value)


def test_raters_are_no_part_of_the_prescription():
    assert canonical_of(config()) == canonical_of(config(""))


def test_check_config_warns_of_a_rater_told_of_missed_doses_and_explains_the_trade_off(cli: Cli):
    cli.config.write_text(config_text(extra=RATER + f'\n[[contact]]\nname = "partner"\nurl = "{SECRET}"\n'
                                                   'alerts = ["missed", "not-running"]\n'))
    out = cli("check-config")
    assert out.returncode == 0, out.stderr
    assert "rater Partner: rates the nights on her own page; no message: she opens her page herself" in out.stdout
    warning = next(line for line in out.stdout.splitlines() if line.startswith("warning: rater[0] 'Partner' is also"))
    assert "contact[0], sent missed, not-running alerts" in warning
    assert "recorded as not blinded and left out of her blinded figure" in warning
    assert "The trade-off: an alert lets her help him take a dose in time" in warning
    assert "take them out of contact[0].alerts" in warning
    assert "no url and there is no [remote] page: she can only answer at this machine, with: " \
           "reminderd checkin --rater Partner" in out.stdout
    assert SECRET not in out.stdout


def test_check_config_says_nothing_of_raters_when_there_are_none(cli: Cli):
    out = cli("check-config")
    assert out.returncode == 0 and "rater" not in out.stdout


def test_check_config_shows_her_url_masked(cli: Cli):
    cli.config.write_text(config_text(extra=RATER.replace("\nuntil", f'\nurl = "{SECRET}"\nuntil')))
    out = cli("check-config")
    assert "rater Partner: ntfy://… (the link to her page at 07:30, until 11:00, unless she has rated the night)" \
        in out.stdout
    assert "rater Partner: rates the nights on her own page; sent the link to her page at 07:30 (not after 11:00)" \
        in out.stdout
    assert SECRET not in out.stdout and "warning" not in out.stdout


# --- her questions ------------------------------------------------------------------------

NOW = at("2026-11-28 07:40:00")


def make(severity, frequency=None, woke=None, note=None, told=None, night=date(2026, 11, 27)):
    return rating.make_rating("Partner", night, severity, frequency, woke, note, now=NOW, tz=LONDON, via="phone",
                              told=told)


def test_her_answers_are_checked_as_a_bed_partner_can_give_them():
    assert make(0) == rating.Rating("Partner", date(2026, 11, 27), 0, None, 0, None, NOW, "phone")
    assert make(0, 1).frequency == 1  # she felt one that did not disturb the night
    assert make("2", "3", "1", " left leg ").note == "left leg"
    assert make(3, told="missed:4").blinded is False and make(3).blinded is True


@pytest.mark.parametrize("answers, refusal", [
    ((0, None, 2), "woke 2 does not fit severity 0 (the spasms did not disturb the night)"),
    ((2, 0), "severity 2 (moderate) does not fit frequency 0 (never noticed)"),
    ((4,), "severity 4 is not valid; expected a whole number from 0 to 3 (0 none, 1 mild, 2 moderate, 3 severe)"),
    ((1, 5), "frequency 5 is not valid; expected a whole number from 0 to 4 (0 never, 1 once, 2 a few times, "
             "3 often, 4 all night)"),
    ((None,), "severity is needed"),
])
def test_answers_that_do_not_fit_are_refused(answers, refusal):
    with pytest.raises(UsageError) as info:
        make(*answers)
    assert str(info.value).startswith(refusal)


def test_a_night_not_over_yet_cannot_be_rated():
    with pytest.raises(UsageError, match="the night of 2026-11-28 has not passed yet"):
        make(1, 1, night=date(2026, 11, 28))


def test_describe_says_it_in_her_words():
    assert rating.describe(make(2, 3, 1, "kicks")) == ('disturbed the night: 2 (moderate), felt them: 3 (often), '
                                                      'woke her 1 time, note "kicks"')


# --- which night a message told her of -------------------------------------------------------


@pytest.mark.parametrize("due, night", [
    ("2026-11-27 21:59:00", date(2026, 11, 27)),  # the evening dose, before bedtime
    ("2026-11-27 23:00:00", date(2026, 11, 28)),  # at bedtime: the next night's
    ("2026-11-28 08:00:00", date(2026, 11, 28)),
    ("2026-07-10 21:30:00", date(2026, 7, 10)),  # 22:30 BST: before 23:00
    ("2026-07-10 22:10:00", date(2026, 7, 11)),  # 23:10 BST: after
])
def test_a_dose_labels_the_night_whose_bedtime_follows_it(due, night):
    assert rating.night_of_dose(at(due), time(23, 0), LONDON) == night


def test_each_alert_names_the_nights_of_its_doses():
    due = {7: at("2026-11-27 22:00:00"), 8: at("2026-11-28 08:00:00")}
    nights = lambda key, listed=None: rating.nights_told(key, due, listed, time(23, 0), LONDON)  # noqa: E731
    assert nights("missed:7") == {date(2026, 11, 27)}
    assert nights("missed:99") == set()  # a dose the log does not hold
    assert nights("summary:2026-11-27") == {date(2026, 11, 27)}
    # A summary sent late folds in the days the daemon was not running: each is named.
    folded = rating.nights_told("summary:2026-11-27", due, None, time(23, 0), LONDON,
                                [date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)])
    assert folded == {date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)}
    assert nights("not-running:2026-11-28T09:00:00+00:00", [7, 8]) == {date(2026, 11, 27), date(2026, 11, 28)}
    # Recorded before the listed doses were kept: the day it was sent and the day before.
    assert nights("not-running:2026-11-28T09:00:00+00:00") == {date(2026, 11, 27), date(2026, 11, 28)}
    assert nights("escalate:7:1") == set()


def test_the_first_message_before_she_answered_is_what_told_her():
    night = date(2026, 11, 27)
    sent = [rating.Sent("summary:2026-11-27", at("2026-11-27 21:00:00"), frozenset({night})),
            rating.Sent("missed:7", at("2026-11-28 01:00:00"), frozenset({night})),
            rating.Sent("missed:9", at("2026-11-27 20:00:00"), frozenset({date(2026, 11, 26)}))]
    assert rating.told_of(night, sent, at("2026-11-28 07:00:00")) == "summary:2026-11-27"
    assert rating.told_of(night, sent, at("2026-11-27 20:59:59")) is None
    assert rating.told_of(date(2026, 11, 25), sent, at("2026-11-28 07:00:00")) is None


# --- recorded through the answering path, on a real log ----------------------------------------


@pytest.fixture
def told(tmp_path: Path):
    """A log where a missed-dose alert for the 22:00 dose of 27 November went to the contact
    "partner" (her name, another case) at 01:05, and one to "Someone else"."""
    text = config_text(extra=RATER + f'\n[[contact]]\nname = "partner"\nurl = "{SECRET}"\nalerts = ["missed"]\n')
    cfg = parse_config(text, "test.toml", lambda: "UTC")
    store = Store.open(tmp_path / "log.db")
    slot = next(s for s in slots_on(cfg, date(2026, 11, 27)) if s.slot == "22:00")
    store.ensure_doses([slot], slot.due)
    dose = store.dose_at("gabapentin", date(2026, 11, 27), "22:00")

    def alert(to: str, at_: datetime, ended: str | None = "push-sent", key: str = f"missed:{dose.id}") -> None:
        """As the outbox records a message: due, a try, and how the try ended (None: still going)."""
        store.add_event("push-due", "daemon", at_, dose.id, {"key": key, "to": to, "kind": "missed",
                                                           "title": "Missed", "body": "…"})
        store.add_event("push-try", "daemon", at_ + timedelta(seconds=1), dose.id, {"key": key, "to": to, "try": 1})
        if ended is not None:
            store.add_event(ended, "daemon", at_ + timedelta(seconds=2), dose.id, {"key": key, "to": to, "try": 1})

    yield cfg, store, alert
    store.close()


def test_a_rating_after_an_alert_about_that_night_is_recorded_as_not_blinded(told):
    cfg, store, alert = told
    alert("partner", at("2026-11-28 01:05:00"))
    saved = services.rate(store, cfg, "Partner", date(2026, 11, 27), 2, 2, 1, now=at("2026-11-28 07:40:00"),
                          via="phone")
    assert (saved.entry.blinded, saved.entry.told) == (False, "missed:1")
    # Another night's rating is blinded by it.
    other = services.rate(store, cfg, "Partner", date(2026, 11, 26), 1, 1, now=at("2026-11-28 07:41:00"),
                          via="phone")
    assert other.entry.blinded
    assert [r.blinded for r in store.ratings_between(date(2026, 11, 1), date(2026, 11, 30))] == [True, False]


@pytest.mark.parametrize("ended", ["push-unconfirmed", None], ids=["no answer seen", "still being sent"])
def test_a_message_that_may_have_reached_her_counts_as_telling_her(told, ended):
    cfg, store, alert = told
    alert("partner", at("2026-11-28 01:05:00"), ended)
    saved = services.rate(store, cfg, "Partner", date(2026, 11, 27), 2, 2, now=at("2026-11-28 07:40:00"), via="cli")
    assert saved.entry.told == "missed:1"


@pytest.mark.parametrize("case", ["to someone else", "sent after she answered", "failed, never sent",
                                  "his phone's reminder"])
def test_what_never_reached_her_first_leaves_her_blinded(told, case):
    cfg, store, alert = told
    if case == "to someone else":
        alert("Someone else", at("2026-11-28 01:05:00"))
    elif case == "sent after she answered":
        alert("partner", at("2026-11-28 07:50:00"))
    elif case == "failed, never sent":
        alert("partner", at("2026-11-28 01:05:00"), "push-failed")
    else:
        alert("push", at("2026-11-28 01:05:00"), key="escalate:1:2")
    saved = services.rate(store, cfg, "Partner", date(2026, 11, 27), 2, 2, now=at("2026-11-28 07:40:00"), via="cli")
    assert saved.entry.blinded


def test_a_summary_of_the_day_unblinds_that_night(told):
    cfg, store, alert = told
    alert("partner", at("2026-11-27 21:00:00"), key="summary:2026-11-27")
    saved = services.rate(store, cfg, "Partner", date(2026, 11, 27), 0, now=at("2026-11-28 07:40:00"), via="cli")
    assert saved.entry.told == "summary:2026-11-27"


def test_a_late_summary_unblinds_every_day_it_folded_in(told):
    from reminderd.core import alerts

    cfg, store, _ = told
    message = alerts.Message("summary:2026-11-27", "partner", "summary", "Doses", "…",
                             days=(date(2026, 11, 26), date(2026, 11, 27)))
    store.add_event("push-due", "daemon", at("2026-11-27 21:30:00"), None,
                    {"key": message.key, "to": "partner", "kind": "summary", "title": "", "body": ""}
                    | alerts.what_it_names(message))
    store.add_event("push-sent", "daemon", at("2026-11-27 21:30:02"), None, {"key": message.key, "to": "partner"})
    assert alerts.named(alerts.Message("summary:2026-11-27", "partner", "summary", "", ""),
                        json.loads(store.events("push-due")[-1]["detail"])).days == message.days
    saved = services.rate(store, cfg, "Partner", date(2026, 11, 26), 1, 1, now=at("2026-11-28 07:40:00"), via="cli")
    assert saved.entry.told == "summary:2026-11-27"


def test_answered_again_and_undone_nothing_she_said_is_lost(told):
    cfg, store, _ = told
    night = date(2026, 11, 27)
    first = services.rate(store, cfg, "partner", night, 1, 1, now=at("2026-11-28 07:40:00"), via="phone").entry
    again = services.rate(store, cfg, "Partner", night, 3, 4, 2, "awful", now=at("2026-11-28 07:45:00"), via="phone")
    assert again.replaced == first and store.rating("Partner", night) == again.entry
    undone = services.undo_rating(store, cfg, "Partner", at("2026-11-28 07:46:00"), "phone")
    assert (undone.undone, undone.now) == (again.entry, first)
    assert store.rating("Partner", night) == first
    undone = services.undo_rating(store, cfg, "Partner", at("2026-11-28 07:47:00"), "phone")
    assert (undone.undone, undone.now) == (first, None) and store.rating("Partner", night) is None
    with pytest.raises(UsageError, match="Partner has no answer to undo"):
        services.undo_rating(store, cfg, "Partner", at("2026-11-28 07:48:00"), "phone")
    kinds = [e["kind"] for e in store.events("rating", "rating-undone")]
    assert kinds == ["rating", "rating", "rating-undone", "rating-undone"]
    assert json.loads(store.events("rating")[1]["detail"])["before"]["severity"] == 1


def test_an_unknown_rater_is_refused_with_the_known_ones(told):
    cfg, store, _ = told
    with pytest.raises(UsageError, match="no rater called 'Bob' in the config; expected one of: Partner"):
        services.rate(store, cfg, "Bob", date(2026, 11, 27), 1, 1, now=NOW, via="cli")
    assert store.events("rating") == []


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def partner(cli: Cli) -> Cli:
    cli.config.write_text(config_text(extra=RATER))
    return cli


def test_checkin_as_the_rater_records_her_night_and_says_whether_she_was_blinded(partner: Cli):
    out = partner("checkin", "--rater", "partner", "--severity", "2", "--frequency", "3", "--woke", "1",
                  at="2026-11-28 07:40:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("Recorded Partner's rating of the night of Friday 27 November 2026: disturbed the night: "
                          "2 (moderate), felt them: 3 (often), woke her 1 time.\n"
                          "Blinded: nothing reminderd sent had told her about that night's doses.\n")
    assert rows(partner, "SELECT rater, night, severity, blinded, told, via FROM ratings") == [
        ("Partner", "2026-11-27", 2, 1, None, "cli")]
    # His check-in is untouched.
    assert rows(partner, "SELECT count(*) FROM checkins") == [(0,)]


def test_checkin_as_the_rater_refuses_what_is_not_hers(partner: Cli):
    for args, refusal in [
        (["--rater", "Bob", "--severity", "1"], "no rater called 'Bob' in the config; expected one of: Partner"),
        (["--rater", "Partner", "--window"], "--window is his check-in's"),
        (["--rater", "Partner", "--frequency", "2"], "--frequency given without --severity"),
        (["--rater", "Partner", "--severity", "1", "--frequency", "0"], "--severity 1 (mild) does not fit "
                                                                         "--frequency 0 (never noticed)"),
        (["--undo"], "--undo takes back a rater's last answer; expected --rater NAME with it"),
        (["--rater", "Partner"], "no answers given and no terminal to ask in; expected --rater Partner "
                                 "--severity 0-3"),
    ]:
        out = partner("checkin", *args, at="2026-11-28 07:40:00")
        assert (out.returncode, out.stdout) == (2, ""), args
        assert out.stderr.startswith(f"reminderd: {refusal}"), out.stderr
    assert rows(partner, "SELECT count(*) FROM ratings") == [(0,)]


def test_undo_from_the_command_line(partner: Cli):
    partner("checkin", "--rater", "Partner", "--severity", "0", at="2026-11-28 07:40:00")
    out = partner("checkin", "--rater", "Partner", "--undo", at="2026-11-28 07:41:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("Took back Partner's answer for the night of Friday 27 November 2026 (disturbed the "
                          "night: 0 (none), woke her 0 times).\nThat night has no rating now; the answer stays in "
                          "the log.\n")
    assert rows(partner, "SELECT count(*) FROM ratings") == [(0,)]


def test_log_ratings_lists_her_nights_with_their_blinding(partner: Cli):
    partner("checkin", "--rater", "Partner", "--severity", "1", "--frequency", "2", "--note", "a, b",
            at="2026-11-28 07:40:00")
    table = partner("log", "--ratings", at="2026-11-28 08:00:00")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[2].split() == ["2026-11-27", "Partner", "1", "2", "a,", "b", "yes",
                                                    "2026-11-28", "07:40", "cli"]
    csv = partner("log", "--ratings", "--format", "csv", at="2026-11-28 08:00:00").stdout
    assert csv == ("night,rater,severity,frequency,woke,note,blinded,told,answered_at,via\n"
                   '2026-11-27,Partner,1,2,,"a, b",True,,2026-11-28T07:40:00+00:00,cli\n')
    data = json.loads(partner("log", "--ratings", "--format", "json", at="2026-11-28 08:00:00").stdout)
    assert data[0]["blinded"] is True and data[0]["told"] is None
    refused = partner("log", "--ratings", "--checkins", at="2026-11-28 08:00:00")
    assert refused.returncode == 2 and "expected one of them" in refused.stderr
    empty = partner("log", "--ratings", "--since", "2026-10-01", "--until", "2026-10-02", at="2026-11-28 08:00:00")
    assert empty.stdout == "no ratings recorded in that period\n"


# --- asked at her time ----------------------------------------------------------------------


def test_her_morning_message_carries_her_page_and_nothing_about_his_doses(store: Store):
    from tests.test_daemon_clock import DrivenDaemon

    text = config_text(extra=RATER.replace("\nuntil", '\nurl = "json://localhost/x"\nuntil')
                       + '\n[remote]\nlisten = "127.0.0.1:8765"\n')
    d = DrivenDaemon(parse_config(text, "test.toml", lambda: "UTC"), store, at("2026-11-28 06:00:00"))
    try:
        d.daemon.push.plan_daily()
        d.advance_to(at("2026-11-28 07:29:59"))
        assert store.events("push-due") == []
        d.advance_to(at("2026-11-28 09:00:00"))
        asked = [json.loads(e["detail"]) for e in store.events("push-due")]
        assert [(a["key"], a["to"], a["title"]) for a in asked] == [
            ("rater-ask:2026-11-27", "rater:Partner", "How was last night?")]
        assert asked[0]["body"] == ("How much did his spasms disturb the night of Fri 27 Nov? Answer on your page: "
                                    "http://127.0.0.1:8765/")
        # Rated before the next morning's time: not asked again; nor after her `until`.
        services.rate(store, d.daemon.config, "Partner", date(2026, 11, 28), 1, 1, now=at("2026-11-29 07:00:00"),
                      via="phone")
        d.advance_to(at("2026-11-30 12:00:00"))
        assert [json.loads(e["detail"])["key"] for e in store.events("push-due")] == [
            "rater-ask:2026-11-27", "rater-ask:2026-11-29"]
    finally:
        d.close()


def test_a_daemon_started_after_her_until_does_not_ask_her(store: Store):
    from tests.test_daemon_clock import DrivenDaemon

    text = config_text(extra=RATER.replace("\nuntil", '\nurl = "json://localhost/x"\nuntil'))
    d = DrivenDaemon(parse_config(text, "test.toml", lambda: "UTC"), store, at("2026-11-28 11:00:00"))
    try:
        d.daemon.push.plan_daily()
        d.advance_to(at("2026-11-29 07:29:00"))
        assert store.events("push-due") == []
        d.advance_to(at("2026-11-29 07:30:00"))
        assert [json.loads(e["detail"])["body"][-40:] for e in store.events("push-due")] == [
            "Answer with: reminderd checkin --rater Partner"[-40:]]
    finally:
        d.close()


# --- doctor ---------------------------------------------------------------------------------


def test_doctor_follows_her_link_and_checks_her_url_dry(tmp_path: Path):
    from reminderd import doctor
    from reminderd.remote.pairing import Pairings, rater_role
    from tests.receivers import HttpReceiver, free_port

    db = tmp_path / "reminderd.db"

    page = HttpReceiver().start()  # a real HTTP server: any answer, even a refusal, is a page that answers
    try:
        text = config_text(extra=RATER.replace("\nuntil", f'\nurl = "{SECRET}"\nuntil')
                           + f'\n[remote]\nlisten = "127.0.0.1:{page.port}"\n')
        cfg = parse_config(text, "test.toml", lambda: "UTC")
        (found,) = doctor.check_raters(cfg, db)
        assert (found.check, found.status, found.found) == (
            "rater Partner: her page", doctor.WARNING, f"http://127.0.0.1:{page.port}/ answers (501 Unsupported "
                                                       "method ('GET')); no phone is paired with her page")
        assert found.fix == "Pair her phone: reminderd pair --rater Partner"
        pairings = Pairings(db)
        pairings.redeem(pairings.new_code("Partner", rater_role("Partner"), NOW), NOW)
        (found,) = doctor.check_raters(cfg, db)
        assert found.status == doctor.OK and found.found.endswith("; 1 phone paired with her page")
        assert [f.found for f in doctor.check_push(cfg)] == ["ntfy://… (recognised by Apprise; nothing sent)"]
        closed = free_port()
        (found,) = doctor.check_raters(parse_config(text.replace(str(page.port), str(closed)), "t", lambda: "UTC"), db)
        assert found.status == doctor.PROBLEM and found.found == f"nothing answers at http://127.0.0.1:{closed}/"
        assert found.fix.startswith("Start the daemon (it serves the page)")
    finally:
        page.stop()
    (found,) = doctor.check_raters(config(), db)
    assert (found.status, found.found) == (doctor.WARNING, "no [remote] page")
    assert doctor.check_raters(config(""), db) == []


# --- her page, in process (the real server and browser: test_rater_phones.py) ------------------


def test_her_credential_opens_her_page_only_and_his_cannot_answer_as_her(tmp_path: Path):
    import re
    from urllib.parse import urlencode

    from reminderd.core.config.settings import RemoteSettings
    from reminderd.remote import pairing
    from reminderd.remote.app import PageApp
    from tests.test_remote import request

    cfg = parse_config(config_text(extra=RATER), "test.toml", lambda: "UTC")
    now = at("2026-11-28 07:40:00")
    app = PageApp(lambda: cfg, tmp_path / "reminderd.db", lambda: now, RemoteSettings(host="127.0.0.1", port=8765))
    his, _ = app.pairings.redeem(app.pairings.new_code("his phone", words.PATIENT, now), now)
    hers, _ = app.pairings.redeem(app.pairings.new_code("Partner", pairing.rater_role("Partner"), now), now)

    def post(cookie: str, path: str, page_body: str, **fields: str):
        token = re.search(r'name="form" value="([^"]+)"', page_body)[1]
        return request(app, path, "POST", urlencode({"form": token, **fields}), cookie=cookie)

    page = request(app, cookie=hers)
    assert page.status == "200 OK" and "How much did your partner&#x27;s spasms disturb the night?" in page.body
    for word in ("gabapentin", "300 mg", "dose", "Dose", "check-in", "missed", "Missed"):
        assert word not in page.body
    answered = post(hers, "/rating", page.body, night="2026-11-27", severity="2")
    assert answered.status == "200 OK" and "Recorded last night: disturbed the night: 2 (moderate)." in answered.body
    detail = post(hers, "/rating", answered.body, night="2026-11-27", severity="2", frequency="3", woke="1",
                  note="<b>kicks</b>")
    assert "woke her 1 time, note &quot;&lt;b&gt;kicks&lt;/b&gt;&quot;" in detail.body and "<b>kicks" not in detail.body
    assert "Undo my last answer (the night of Fri 27 Nov)" in detail.body

    # His credential on her form, even with a form token of hers, and hers on his.
    his_page = request(app, cookie=his)
    assert his_page.status == "200 OK" and "gabapentin" in his_page.body
    for refused in (post(his, "/rating", his_page.body, night="2026-11-27", severity="0"),
                    post(his, "/rating/undo", his_page.body, night="2026-11-27"),
                    post(hers, "/checkin", detail.body, night="2026-11-27", severity="3"),
                    post(hers, "/dose", detail.body, dose="gabapentin|2026-11-28|08:00", action="taken")):
        assert refused.status.startswith("403") and "Not this phone’s page" in refused.body
    stolen = request(app, "/rating", "POST", urlencode({"form": re.search(r'name="form" value="([^"]+)"',
                                                                          detail.body)[1], "night": "2026-11-27",
                                                        "severity": "0"}), cookie=his)
    assert stolen.status.startswith("403")
    assert app.store.rating("Partner", date(2026, 11, 27)).severity == 2
    assert app.store.checkin(date(2026, 11, 27)) is None and app.store.doses_on_dates(date(2026, 11, 28),
                                                                                     date(2026, 11, 28)) == []

    # Her undo takes back her last answer, named by its night.
    page = request(app, cookie=hers)
    stale = post(hers, "/rating/undo", page.body, night="2026-11-26")
    assert stale.status.startswith("409") and "nothing was taken back" in stale.body
    undone = post(hers, "/rating/undo", stale.body, night="2026-11-27")
    assert "Took back your answer for the night of Friday 27 November; that night now has: disturbed the night: " \
           "2 (moderate)." in undone.body
    assert app.store.rating("Partner", date(2026, 11, 27)).frequency is None
    app.close()


def test_pair_rater_makes_a_link_for_her_page_only(cli: Cli):
    cli.config.write_text(config_text(extra=RATER + '\n[remote]\nlisten = "127.0.0.1:8765"\n'))
    out = cli("pair", "--rater", "partner")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Open this on the phone to be called 'Partner' (or scan the code)")
    listed = cli("pair", "--list").stdout.splitlines()[2].split()
    assert listed[:3] == ["Partner", "Partner's", "rating"]
    unknown = cli("pair", "--rater", "Bob")
    assert (unknown.returncode, unknown.stderr) == (
        2, "reminderd: no rater called 'Bob' in the config; expected one of: Partner\n")
    both = cli("pair", "--rater", "Partner", "--list")
    assert both.returncode == 2


@pytest.mark.system
def test_her_questions_in_a_terminal(partner: Cli):
    import pexpect

    from tests.test_checkin import spawn

    child = spawn(partner, "--rater", "Partner", at="2026-11-28 07:40:00")
    child.expect_exact("Partner's rating of the night of Friday 27 November 2026.")
    child.expect_exact("How much did your partner's spasms disturb the night?\r\n  0  none\r\n  1  mild\r\n")
    child.expect_exact("Severity 0-3: ")
    child.sendline("0")
    child.expect_exact("How often did you feel or notice them (legs jerking, twitching or going stiff)?\r\n"
                       "  0  never\r\n  1  once\r\n  2  a few times\r\n  3  often\r\n  4  all night\r\n")
    child.expect_exact("Frequency 0-4 (Enter to skip): ")
    child.sendline("1")  # she felt one that did not disturb the night; she is not asked how often it woke her
    index = child.expect_exact(["Times woken", "Note (Enter to skip): "])
    assert index == 1, child.before
    child.sendline("restless but quiet")
    child.expect_exact("Recorded Partner's rating of the night of Friday 27 November 2026: disturbed the night: "
                       '0 (none), felt them: 1 (once), woke her 0 times, note "restless but quiet".')
    child.expect_exact("Blinded: nothing reminderd sent had told her about that night's doses.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(partner, "SELECT severity, frequency, woke, note, via FROM ratings") == [
        (0, 1, 0, "restless but quiet", "cli")]


def test_her_note_is_shown_never_run_on_a_terminal(partner: Cli):
    out = partner("checkin", "--rater", "Partner", "--severity", "1", "--frequency", "1", "--note",
                  "kicks\x1b[2J\nforged line", at="2026-11-28 07:40:00")
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and 'note "kicks\\x1b[2J\\nforged line"' in out.stdout
    table = partner("log", "--ratings", at="2026-11-28 08:00:00").stdout
    assert "\x1b" not in table and "kicks\\x1b[2J\\nforged line" in table
    exact = json.loads(partner("log", "--ratings", "--format", "json", at="2026-11-28 08:00:00").stdout)
    assert exact[0]["note"] == "kicks\x1b[2J\nforged line"  # JSON keeps what was recorded
