"""The morning check-in: the pure core with explicit `now`, the store on a real SQLite
file, the CLI as a real process (libfaketime), the terminal questions in a real
pseudo-terminal (pexpect), and the window on a real X server (Xvfb, driven by xdotool).

Times in November are in Europe/London winter time, so a wall time is also its UTC time.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, datetime, time as clock, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pexpect
import pytest

from reminderd.core import checkin as core
from reminderd.core.checkin import Ask, AskLater, Checkin, Stop
from reminderd.core.config.settings import CheckinSettings
from reminderd.errors import UsageError
from reminderd.store import SCHEMA_VERSION, Store
from tests.conftest import Cli
from tests.desktop import wait_for

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
NIGHT = date(2026, 11, 27)
MORNING = datetime(2026, 11, 28, 8, 40, tzinfo=UTC)
SETTINGS = CheckinSettings()  # ask at 08:30, every 30m, until 12:00

SEVERITY_RANGE = "a whole number from 0 to 3 (0 none, 1 mild, 2 moderate, 3 severe)"
FREQUENCY_RANGE = ("a whole number from 0 to 4 (0 none, 1 spasms only when moved or touched, "
                   "2 fewer than one an hour, 3 more than one an hour, 4 more than ten an hour)")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the questions and their scales ---------------------------------------------------


def test_scales_are_the_penn_frequency_scale_and_severity_0_to_3() -> None:
    assert core.FREQUENCY == ("none", "spasms only when moved or touched", "fewer than one an hour",
                              "more than one an hour", "more than ten an hour")
    assert core.SEVERITY == ("none", "mild", "moderate", "severe")
    assert [q.key for q in core.QUESTIONS] == ["severity", "frequency", "woke", "note"]
    assert [q.required for q in core.QUESTIONS] == [True, False, False, False]
    assert core.expected(core.SEVERITY_QUESTION) == SEVERITY_RANGE
    assert core.expected(core.FREQUENCY_QUESTION) == FREQUENCY_RANGE
    assert core.expected(core.WOKE_QUESTION) == "a whole number from 0 to 50"


@pytest.mark.parametrize(
    "question, value, answer",
    [
        (core.SEVERITY_QUESTION, 0, 0),
        (core.SEVERITY_QUESTION, " 3 ", 3),
        (core.FREQUENCY_QUESTION, "4", 4),
        (core.FREQUENCY_QUESTION, "", None),
        (core.FREQUENCY_QUESTION, None, None),
        (core.WOKE_QUESTION, "50", 50),
        (core.WOKE_QUESTION, "  ", None),
        (core.NOTE_QUESTION, "  legs ached  ", "legs ached"),
        (core.NOTE_QUESTION, "", None),
    ],
    ids=["severity-int", "severity-padded", "frequency-top", "frequency-blank", "frequency-none",
         "woke-top", "woke-blank", "note-stripped", "note-blank"],
)
def test_answers_that_are_accepted(question: core.Question, value, answer) -> None:
    assert core.parse_answer(question, value) == answer


@pytest.mark.parametrize(
    "question, value, name, message",
    [
        (core.SEVERITY_QUESTION, "4", "--severity", f"--severity '4' is not valid; expected {SEVERITY_RANGE}"),
        (core.SEVERITY_QUESTION, -1, None, f"severity -1 is not valid; expected {SEVERITY_RANGE}"),
        (core.SEVERITY_QUESTION, "mild", None, f"severity 'mild' is not valid; expected {SEVERITY_RANGE}"),
        (core.SEVERITY_QUESTION, "", None, f"severity is needed; expected {SEVERITY_RANGE}"),
        (core.SEVERITY_QUESTION, True, None, f"severity True is not valid; expected {SEVERITY_RANGE}"),
        (core.SEVERITY_QUESTION, "２", None, f"severity '２' is not valid; expected {SEVERITY_RANGE}"),
        (core.FREQUENCY_QUESTION, "5", "--frequency", f"--frequency '5' is not valid; expected {FREQUENCY_RANGE}"),
        (core.FREQUENCY_QUESTION, "2.5", None, f"frequency '2.5' is not valid; expected {FREQUENCY_RANGE}"),
        (core.WOKE_QUESTION, "51", "--woke", "--woke '51' is not valid; expected a whole number from 0 to 50"),
        (core.WOKE_QUESTION, "-2", "--woke", "--woke '-2' is not valid; expected a whole number from 0 to 50"),
        (core.NOTE_QUESTION, "x" * 1001, "--note", "--note is 1001 characters long; expected at most 1000 characters"),
    ],
    ids=["severity-4", "severity-negative", "severity-word", "severity-missing", "severity-bool",
         "severity-fullwidth-digit", "frequency-5", "frequency-fraction", "woke-51", "woke-negative", "note-long"],
)
def test_answers_out_of_range_are_refused_with_the_range(question, value, name, message) -> None:
    with pytest.raises(UsageError) as err:
        core.parse_answer(question, value, name)
    assert str(err.value) == message


def test_each_later_question_says_how_many_are_left() -> None:
    from reminderd.daemon.morning import MorningCheckin

    night = date(2026, 11, 27)
    answers = Checkin(night=night, severity=2)
    first, *later = core.STEPS[1:]
    bodies = [MorningCheckin(None).question(night, step, answers=answers).body for step in (first, later[-1])]
    # After the one click, every later question is still to come (not "one more"); the last says one.
    assert bodies == [f"Recorded: severity 2 (moderate). {len(core.STEPS) - 1} more questions, or close this.",
                      "Recorded: severity 2 (moderate). One more question, or close this."]


def test_a_checkin_holds_every_answer() -> None:
    entry = core.make_checkin(NIGHT, "2", "3", "1", " left leg ", now=MORNING, tz=LONDON, via="cli")
    assert entry == Checkin(night=NIGHT, severity=2, frequency=3, woke=1, note="left leg",
                            answered_at=MORNING, via="cli")
    assert core.describe(entry) == ('severity 2 (moderate), frequency 3 (more than one an hour), '
                                    'woke 1 time, note "left leg"')
    one_click = core.make_checkin(NIGHT, 1, now=MORNING, tz=LONDON, via="notification")
    assert (one_click.frequency, one_click.woke, one_click.note) == (None, None, None)
    assert core.describe(one_click) == "severity 1 (mild)"


@pytest.mark.parametrize("value, expected", [(None, None), ("", None), (True, True), (False, False), ("1", True),
                                             ("yes", True), (" Y ", True), ("0", False), ("no", False)])
def test_anything_else_is_yes_no_or_not_answered(value, expected) -> None:
    entry = core.make_checkin(NIGHT, 2, other_cause=value, now=MORNING, tz=LONDON, via="phone")
    assert entry.other_cause is expected
    assert core.describe(entry).endswith(", something else could explain the night") is (expected is True)


def test_anything_else_refuses_what_is_neither_yes_nor_no() -> None:
    with pytest.raises(UsageError) as err:
        core.make_checkin(NIGHT, 2, other_cause="2", now=MORNING, tz=LONDON, via="phone")
    assert str(err.value) == "other_cause '2' is not valid; expected yes or no (1 or 0)"


def test_severity_none_means_no_spasms() -> None:
    entry = core.make_checkin(NIGHT, 0, now=MORNING, tz=LONDON, via="notification")
    assert (entry.severity, entry.frequency, entry.woke) == (0, 0, 0)
    assert core.describe(entry) == "severity 0 (none), frequency 0 (none), woke 0 times"


@pytest.mark.parametrize(
    "answers, message",
    [
        ((0, 2, None), "--frequency 2 (fewer than one an hour) does not fit --severity 0 (none, no spasms); "
                       "expected --frequency 0 or a --severity from 1 to 3"),
        ((0, None, 3), "--woke 3 does not fit --severity 0 (none, no spasms); expected 0 wakings or a "
                       "--severity from 1 to 3"),
        ((2, 0, None), "--severity 2 (moderate) does not fit --frequency 0 (none, no spasms); expected a "
                       "--frequency from 1 to 4 or --severity 0"),
    ],
    ids=["no-spasms-but-frequent", "no-spasms-but-woken", "spasms-but-frequency-none"],
)
def test_answers_that_contradict_each_other_are_refused(answers, message) -> None:
    severity, frequency, woke = answers
    with pytest.raises(UsageError) as err:
        core.make_checkin(NIGHT, severity, frequency, woke, now=MORNING, tz=LONDON, via="cli",
                          names={"severity": "--severity", "frequency": "--frequency", "woke": "--woke"})
    assert str(err.value) == message


@pytest.mark.parametrize(
    "now, tz, night",
    [
        (utc(2026, 11, 28, 8, 30), LONDON, date(2026, 11, 27)),
        (utc(2026, 11, 28, 23, 59, 59), LONDON, date(2026, 11, 27)),
        (utc(2026, 11, 29, 0, 0), LONDON, date(2026, 11, 28)),
        # 03:00 UTC is still the evening of the 27th in New York: last night is the 26th.
        (utc(2026, 11, 28, 3, 0), ZoneInfo("America/New_York"), date(2026, 11, 26)),
        (utc(2026, 11, 28, 3, 0), ZoneInfo("Pacific/Auckland"), date(2026, 11, 27)),
        # London's spring night: 00:30 GMT and 02:30 BST are both the morning of the 29th.
        (utc(2026, 3, 29, 0, 30), LONDON, date(2026, 3, 28)),
        (utc(2026, 3, 29, 1, 30), LONDON, date(2026, 3, 28)),
        # 23:30 BST on the autumn Saturday is still the 24th.
        (utc(2026, 10, 24, 22, 30), LONDON, date(2026, 10, 23)),
        # Santiago skips midnight in spring (00:00 -> 01:00): 01:00 is already the 6th.
        (utc(2026, 9, 6, 4, 0), ZoneInfo("America/Santiago"), date(2026, 9, 5)),
    ],
    ids=["morning", "just-before-midnight", "midnight", "new-york-evening", "auckland-afternoon",
         "spring-gmt", "spring-bst", "autumn-evening", "santiago-skipped-midnight"],
)
def test_last_night_is_the_evening_before_todays_local_date(now: datetime, tz: ZoneInfo, night: date) -> None:
    assert core.last_night(now, tz) == night


def test_a_night_is_answered_from_the_next_morning_never_before() -> None:
    just_after_midnight = utc(2026, 11, 28, 0, 0, 1)
    core.check_night(date(2026, 11, 27), just_after_midnight, LONDON)
    core.check_night(date(2026, 1, 1), just_after_midnight, LONDON)  # filled in late
    for night in (date(2026, 11, 28), date(2026, 11, 29)):
        with pytest.raises(UsageError) as err:
            core.make_checkin(night, 1, now=just_after_midnight, tz=LONDON, via="cli")
        assert str(err.value) == (f"the night of {night} has not passed yet; a night is answered from "
                                  "the next morning, so the latest that can be answered now is 2026-11-27")


# --- when the daemon asks ----------------------------------------------------------------

SPRING = CheckinSettings(time=clock(1, 30), until=clock(12, 0))


@pytest.mark.parametrize(
    "now, settings, answered, last_asked, decision",
    [
        (utc(2026, 11, 28, 7, 0), SETTINGS, False, None, AskLater(utc(2026, 11, 28, 8, 30))),
        (utc(2026, 11, 28, 8, 30), SETTINGS, False, None, Ask(NIGHT, last=False)),
        (utc(2026, 11, 28, 8, 45), SETTINGS, False, utc(2026, 11, 28, 8, 30), AskLater(utc(2026, 11, 28, 9, 0))),
        (utc(2026, 11, 28, 9, 0), SETTINGS, False, utc(2026, 11, 28, 8, 30), Ask(NIGHT, last=False)),
        # A restart at 09:05 after asking at 08:50 waits for 09:20: the log remembers.
        (utc(2026, 11, 28, 9, 5), SETTINGS, False, utc(2026, 11, 28, 8, 50), AskLater(utc(2026, 11, 28, 9, 20))),
        # The daemon was down all morning: asked at once, late.
        (utc(2026, 11, 28, 10, 17), SETTINGS, False, None, Ask(NIGHT, last=False)),
        (utc(2026, 11, 28, 11, 40), SETTINGS, False, utc(2026, 11, 28, 11, 0), Ask(NIGHT, last=True)),
        (utc(2026, 11, 28, 11, 45), SETTINGS, False, utc(2026, 11, 28, 11, 40), AskLater(utc(2026, 11, 28, 12, 0))),
        (utc(2026, 11, 28, 12, 0), SETTINGS, False, utc(2026, 11, 28, 11, 40), Stop()),
        (utc(2026, 11, 28, 18, 0), SETTINGS, False, None, Stop()),
        (utc(2026, 11, 28, 9, 0), SETTINGS, True, utc(2026, 11, 28, 8, 30), Stop()),
        (utc(2026, 11, 28, 7, 0), SETTINGS, True, None, Stop()),
        # An ask from yesterday morning does not count for today.
        (utc(2026, 11, 28, 8, 30), SETTINGS, False, utc(2026, 11, 27, 11, 30), Ask(NIGHT, last=False)),
        # London springs forward at 01:00 GMT on 29 March: 08:30 BST is 07:30 UTC ...
        (utc(2026, 3, 29, 7, 29), SETTINGS, False, None, AskLater(utc(2026, 3, 29, 7, 30))),
        (utc(2026, 3, 29, 7, 30), SETTINGS, False, None, Ask(date(2026, 3, 28), last=False)),
        (utc(2026, 3, 29, 11, 0), SETTINGS, False, utc(2026, 3, 29, 10, 45), Stop()),
        # ... and a time in the skipped hour (01:30) is asked once, at 02:30 BST.
        (utc(2026, 3, 29, 0, 59), SPRING, False, None, AskLater(utc(2026, 3, 29, 1, 30))),
        # Autumn: 01:30 happens twice; the first one (BST, 00:30 UTC) is the one.
        (utc(2026, 10, 25, 0, 0), SPRING, False, None, AskLater(utc(2026, 10, 25, 0, 30))),
        (utc(2026, 10, 25, 1, 30), SPRING, False, utc(2026, 10, 25, 1, 0), Ask(date(2026, 10, 24), last=False)),
    ],
    ids=["before-time", "at-time", "between-asks", "ask-again", "after-restart", "late-start",
         "last-ask", "wait-for-until", "at-until", "afternoon", "answered", "answered-early",
         "yesterdays-ask", "dst-spring-before", "dst-spring-at", "dst-spring-until",
         "dst-skipped-hour", "dst-repeated-hour", "dst-autumn-again"],
)
def test_checkin_decision(now, settings, answered, last_asked, decision) -> None:
    assert core.checkin_decision(now, LONDON, settings, answered, last_asked) == decision


def test_asking_twice_at_one_moment_asks_once() -> None:
    now = utc(2026, 11, 28, 8, 31)
    assert isinstance(core.checkin_decision(now, LONDON, SETTINGS, False, None), Ask)
    assert core.checkin_decision(now, LONDON, SETTINGS, False, now) == AskLater(utc(2026, 11, 28, 9, 1))


def test_next_checkin_is_tomorrows_time_in_local_time() -> None:
    assert core.next_checkin_at(utc(2026, 11, 28, 12, 0), LONDON, SETTINGS) == utc(2026, 11, 29, 8, 30)
    assert core.next_checkin_at(utc(2026, 3, 28, 12, 0), LONDON, SETTINGS) == utc(2026, 3, 29, 7, 30)
    assert core.next_checkin_at(utc(2026, 10, 24, 12, 0), LONDON, SETTINGS) == utc(2026, 10, 25, 8, 30)


# --- the store ---------------------------------------------------------------------------


def test_a_second_answer_replaces_the_first_and_both_stay_in_events(store: Store) -> None:
    first = core.make_checkin(NIGHT, 2, 3, 1, "left leg", now=MORNING, tz=LONDON, via="notification")
    assert store.save_checkin(first, MORNING, "daemon") is None
    later = MORNING + timedelta(hours=2)
    second = core.make_checkin(NIGHT, 3, 4, 4, None, now=later, tz=LONDON, via="cli")
    assert store.save_checkin(second, later, "cli") == first
    assert store.checkin(NIGHT) == second
    assert store.conn.execute("SELECT count(*) FROM checkins").fetchone()[0] == 1
    events = store.events("checkin")
    assert [(e["dose_id"], e["source"], e["at"]) for e in events] == [
        (None, "daemon", "2026-11-28T08:40:00+00:00"), (None, "cli", "2026-11-28T10:40:00+00:00")]
    assert [json.loads(e["detail"]) for e in events] == [
        {"night": "2026-11-27", "severity": 2, "frequency": 3, "woke": 1, "note": "left leg",
         "answered_at": "2026-11-28T08:40:00+00:00", "via": "notification", "other_cause": None, "replaced": False},
        {"night": "2026-11-27", "severity": 3, "frequency": 4, "woke": 4, "note": None,
         "answered_at": "2026-11-28T10:40:00+00:00", "via": "cli", "other_cause": None, "replaced": True},
    ]


def test_one_row_per_night_is_enforced_by_the_schema(store: Store) -> None:
    store.save_checkin(core.make_checkin(NIGHT, 1, now=MORNING, tz=LONDON, via="cli"), MORNING, "cli")
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("INSERT INTO checkins (night, severity, answered_at, via, updated_at) "
                           "VALUES ('2026-11-27', 2, 'x', 'cli', 'x')")


def test_checkins_between_is_by_night_inclusive(store: Store) -> None:
    for day in (29, 26, 27, 28):
        night = date(2026, 11, day)
        now = datetime(2026, 11, day + 1, 9, tzinfo=UTC)
        store.save_checkin(core.make_checkin(night, day % 4, now=now, tz=LONDON, via="cli"), now, "cli")
    assert [c.night.day for c in store.checkins_between(date(2026, 11, 27), date(2026, 11, 28))] == [27, 28]
    assert [c.night.day for c in store.checkins_between(date(2026, 11, 1), date(2026, 11, 30))] == [26, 27, 28, 29]
    assert store.checkin(date(2026, 11, 25)) is None


def test_when_last_asked_comes_from_the_log_and_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "reminderd.db"
    s = Store.open(path)
    assert s.last_checkin_asked(NIGHT) is None
    s.checkin_asked(date(2026, 11, 26), utc(2026, 11, 27, 9, 0))
    s.checkin_asked(NIGHT, utc(2026, 11, 28, 8, 30))
    s.checkin_asked(NIGHT, utc(2026, 11, 28, 9, 0))
    s.close()
    s = Store.open(path)
    assert s.last_checkin_asked(NIGHT) == utc(2026, 11, 28, 9, 0)
    assert s.last_checkin_asked(date(2026, 11, 26)) == utc(2026, 11, 27, 9, 0)
    [event] = s.events("checkin-asked", newest_first=True, limit=1)
    assert (event["dose_id"], event["source"], json.loads(event["detail"])) == (None, "daemon", {"night": "2026-11-27"})
    s.close()


def test_a_log_from_before_checkins_is_migrated_and_keeps_its_doses(tmp_path: Path) -> None:
    import sqlite_utils

    from reminderd.store import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO doses (medication, local_date, slot, due, status, reminders_sent) "
                 "VALUES ('gabapentin', '2026-11-27', '22:00', '2026-11-27T22:00:00+00:00', 'missed', 3)")
    conn.close()
    s = Store.open(path)
    assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [d.status for d in s.doses_on_dates(NIGHT, NIGHT)] == ["missed"]
    s.save_checkin(core.make_checkin(NIGHT, 3, 4, now=MORNING, tz=LONDON, via="cli"), MORNING, "cli")
    assert s.checkin(NIGHT).severity == 3
    s.close()


# --- the CLI, by flags, as a real process ------------------------------------------------


def dump(cli: Cli) -> list:
    if not cli.db.exists():
        return []
    conn = sqlite3.connect(cli.db)
    rows = (conn.execute("SELECT * FROM checkins ORDER BY id").fetchall()
            + conn.execute("SELECT * FROM events ORDER BY id").fetchall())
    conn.close()
    return rows


def checkins_json(cli: Cli) -> list[dict]:
    out = cli("log", "--checkins", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_checkin_by_flags_then_again_replaces_it(cli: Cli) -> None:
    out = cli("checkin", "--severity", "2", "--frequency", "3", "--woke", "1", "--note", "left leg",
              at="2026-11-28 08:40:00")
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout == ("Recorded the check-in for the night of Friday 27 November 2026: severity 2 (moderate), "
                          'frequency 3 (more than one an hour), woke 1 time, note "left leg".\n')
    again = cli("checkin", "--severity", "3", at="2026-11-28 10:05:00")
    assert (again.returncode, again.stderr) == (0, "")
    assert again.stdout == (
        "Recorded the check-in for the night of Friday 27 November 2026: severity 3 (severe).\n"
        "It replaces the answer given at 2026-11-28 08:40 (severity 2 (moderate), frequency 3 "
        '(more than one an hour), woke 1 time, note "left leg"); both stay in the log.\n')
    assert checkins_json(cli) == [{"night": "2026-11-27", "severity": 3, "frequency": None, "woke": None,
                                   "note": None, "other_cause": None, "answered_at": "2026-11-28T10:05:00+00:00",
                                   "via": "cli"}]
    conn = sqlite3.connect(cli.db)
    details = [json.loads(d) for (d,) in conn.execute("SELECT detail FROM events WHERE kind = 'checkin' ORDER BY id")]
    conn.close()
    assert [(d["severity"], d["note"], d["replaced"]) for d in details] == [(2, "left leg", False), (3, None, True)]


def test_default_night_is_last_night_in_local_time(cli: Cli) -> None:
    # 00:30 on Sunday: "last night" is Saturday's, though it has only just ended.
    out = cli("checkin", "--severity", "1", at="2026-11-29 00:30:00")
    assert out.returncode == 0, out.stderr
    assert "night of Saturday 28 November 2026" in out.stdout
    late = cli("checkin", "--night", "2026-11-20", "--severity", "0", at="2026-11-29 00:31:00")
    assert late.returncode == 0, late.stderr
    assert [(c["night"], c["severity"], c["frequency"], c["woke"]) for c in checkins_json(cli)] == [
        ("2026-11-20", 0, 0, 0), ("2026-11-28", 1, None, None)]


NO_TTY = ("reminderd: no answers given and no terminal to ask in; expected --severity 0-3 "
          "(and optionally --frequency, --woke, --note, --other-cause)\n")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--severity", "4"], f"reminderd: --severity '4' is not valid; expected {SEVERITY_RANGE}\n"),
        (["--severity", "bad"], f"reminderd: --severity 'bad' is not valid; expected {SEVERITY_RANGE}\n"),
        (["--severity", "1", "--frequency", "9"], f"reminderd: --frequency '9' is not valid; expected {FREQUENCY_RANGE}\n"),
        (["--severity", "1", "--woke", "51"], "reminderd: --woke '51' is not valid; expected a whole number from 0 to 50\n"),
        (["--severity", "0", "--frequency", "3"], "reminderd: --frequency 3 (more than one an hour) does not fit "
         "--severity 0 (none, no spasms); expected --frequency 0 or a --severity from 1 to 3\n"),
        (["--severity", "1", "--night", "2026-11-28"], "reminderd: the night of 2026-11-28 has not passed yet; a night "
         "is answered from the next morning, so the latest that can be answered now is 2026-11-27\n"),
        (["--severity", "1", "--night", "28/11/2026"], "reminderd: --night '28/11/2026' is not valid; expected a date YYYY-MM-DD\n"),
        (["--woke", "2"], "reminderd: --woke given without --severity; expected --severity 0-3 as well, or no "
         "answers as flags to be asked each question\n"),
        ([], NO_TTY),
        (["--window", "--severity", "1"], "reminderd: --window asks every question itself; expected no --severity, "
         "--frequency, --woke, --note or --other-cause with it\n"),
    ],
    ids=["severity-4", "severity-word", "frequency-9", "woke-51", "contradiction", "future-night",
         "bad-night", "woke-without-severity", "no-terminal", "window-with-answers"],
)
def test_bad_checkin_is_refused_with_the_range_and_changes_nothing(cli: Cli, args: list[str], message: str) -> None:
    assert cli("checkin", "--severity", "2", at="2026-11-28 08:40:00").returncode == 0
    before = dump(cli)
    out = cli("checkin", *args, at="2026-11-28 09:00:00", input="")  # input: stdin is no terminal
    assert (out.returncode, out.stdout, out.stderr) == (2, "", message)
    assert dump(cli) == before


def test_log_checkins_in_csv_json_and_table(cli: Cli) -> None:
    cli("checkin", "--night", "2026-11-26", "--severity", "1", "--frequency", "2", at="2026-11-28 08:40:00")
    cli("checkin", "--severity", "3", "--frequency", "4", "--woke", "5", "--note", "bad, very bad", "--other-cause",
        at="2026-11-28 08:41:00")
    csv_out = cli("log", "--checkins", "--since", "2026-11-26", "--format", "csv", at="2026-11-28 09:00:00")
    assert csv_out.returncode == 0, csv_out.stderr
    assert csv_out.stdout == (
        "night,severity,frequency,woke,note,other_cause,answered_at,via\n"
        "2026-11-26,1,2,,,,2026-11-28T08:40:00+00:00,cli\n"
        '2026-11-27,3,4,5,"bad, very bad",True,2026-11-28T08:41:00+00:00,cli\n')
    assert [c["night"] for c in checkins_json(cli)] == ["2026-11-26", "2026-11-27"]
    table = cli("log", "--checkins", "--since", "2026-11-26", at="2026-11-28 09:00:00")
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["night", "severity", "frequency", "woke", "note", "other_cause", "answered_at", "via"]
    assert lines[2].split() == ["2026-11-26", "1", "2", "2026-11-28", "08:40", "cli"]
    assert len(lines) == 4
    empty = cli("log", "--checkins", "--since", "2026-10-01", "--until", "2026-10-02")
    assert empty.stdout == "no check-ins recorded in that period\n"
    both = cli("log", "--checkins", "--medication", "gabapentin")
    assert (both.returncode, both.stderr) == (2, "reminderd: --medication does not apply to --checkins; a check-in "
                                                 "is about a night, not a medication\n")


def test_status_says_whether_last_nights_checkin_is_done(cli: Cli) -> None:
    before = cli("status", at="2026-11-28 08:40:00")
    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines()[-1] == (
        "Last night's check-in (2026-11-27): not answered yet; answer with: reminderd checkin")
    cli("checkin", "--severity", "1", "--woke", "2", at="2026-11-28 08:41:00")
    after = cli("status", at="2026-11-28 08:42:00")
    assert after.stdout.splitlines()[-1] == "Last night's check-in (2026-11-27): done, severity 1 (mild), woke 2 times."


# --- the terminal questions, in a real pseudo-terminal --------------------------------------


def spawn(cli: Cli, *args: str, at: str) -> pexpect.spawn:
    child = pexpect.spawn(sys.executable, ["-m", "reminderd", "checkin", *args], env=cli.env(at=at),
                          encoding="utf-8", timeout=20, dimensions=(50, 200))
    return child


@pytest.mark.system
def test_terminal_checkin_asks_again_until_each_answer_is_valid(cli: Cli) -> None:
    child = spawn(cli, at="2026-11-28 08:40:00")
    child.expect_exact("Check-in for the night of Friday 27 November 2026.")
    child.expect_exact("How bad were your spasms?\r\n  0  none\r\n  1  mild\r\n  2  moderate\r\n  3  severe\r\n")
    child.expect_exact("Severity 0-3: ")
    child.sendline("7")
    child.expect_exact(f"  severity '7' is not valid; expected {SEVERITY_RANGE}\r\nSeverity 0-3: ")
    child.sendline("")  # required: Enter does not skip it
    child.expect_exact(f"  severity is needed; expected {SEVERITY_RANGE}\r\nSeverity 0-3: ")
    child.sendline("2")
    child.expect_exact("How often did you have spasms?\r\n  1  spasms only when moved or touched\r\n")
    child.expect_exact("  4  more than ten an hour\r\nFrequency 1-4 (Enter to skip): ")
    child.sendline("0")  # there were spasms, so not "none"
    child.expect_exact("  frequency '0' is not valid; expected a whole number from 1 to 4 (1 spasms only when "
                       "moved or touched, 2 fewer than one an hour, 3 more than one an hour, 4 more than ten an hour)"
                       "\r\nFrequency 1-4 (Enter to skip): ")
    child.sendline("3")
    child.expect_exact("How many times did spasms wake you?\r\nTimes woken 0-50 (Enter to skip): ")
    child.sendline("lots")
    child.expect_exact("  times woken 'lots' is not valid; expected a whole number from 0 to 50\r\n"
                       "Times woken 0-50 (Enter to skip): ")
    child.sendline("")  # optional: Enter skips it
    child.expect_exact("Anything else about the night?\r\nNote (Enter to skip): ")
    child.sendline("woke at 3 with cramp")
    child.expect_exact("Anything else that could explain the night: unwell, an infection, heat, alcohol, a relapse? "
                       "[y/N]: ")
    child.sendline("y")
    child.expect_exact("Recorded the check-in for the night of Friday 27 November 2026: severity 2 (moderate), "
                       'frequency 3 (more than one an hour), note "woke at 3 with cramp", something else could '
                       "explain the night.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert checkins_json(cli) == [{"night": "2026-11-27", "severity": 2, "frequency": 3, "woke": None,
                                   "note": "woke at 3 with cramp", "other_cause": True,
                                   "answered_at": "2026-11-28T08:40:00+00:00", "via": "cli"}]


@pytest.mark.system
def test_terminal_checkin_of_a_quiet_night_skips_the_counts_and_shows_the_earlier_answer(cli: Cli) -> None:
    assert cli("checkin", "--severity", "1", at="2026-11-28 08:35:00").returncode == 0
    child = spawn(cli, at="2026-11-28 08:40:00")
    child.expect_exact("Already answered at 2026-11-28 08:35: severity 1 (mild). Answering again replaces it.")
    child.expect_exact("Severity 0-3: ")
    child.sendline("0")
    # No spasms: the frequency and wakings are not asked.
    index = child.expect_exact(["Frequency", "Note (Enter to skip): "])
    assert index == 1, child.before
    child.sendline("")
    child.expect_exact("[y/N]: ")
    child.sendline("")  # no: Enter
    child.expect_exact("It replaces the answer given at 2026-11-28 08:35 (severity 1 (mild)); both stay in the log.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    [entry] = checkins_json(cli)
    assert (entry["severity"], entry["frequency"], entry["woke"], entry["note"], entry["other_cause"]) == (
        0, 0, 0, None, False)


@pytest.mark.system
def test_terminal_checkin_abandoned_records_nothing(cli: Cli) -> None:
    child = spawn(cli, at="2026-11-28 08:40:00")
    child.expect_exact("Severity 0-3: ")
    child.sendline("2")
    child.expect_exact("Frequency 1-4 (Enter to skip): ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert checkins_json(cli) == []


# --- the window, on a real X server -------------------------------------------------------


@pytest.fixture(scope="module")
def display() -> str:
    """A private Xvfb; it picks a free display number itself (-displayfd) and says which."""
    assert shutil.which("Xvfb") and shutil.which("xdotool"), "Xvfb and xdotool are needed (.ci/run installs them)"
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1024x768x24",
                               "-nolisten", "tcp"], pass_fds=(write_end,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 20)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        assert number.isdigit(), f"Xvfb did not start (exit code {server.poll()})"
        yield f":{number}"
    finally:
        os.close(read_end)
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def poll(what: str, check, timeout: float = 20.0):
    return wait_for(check, timeout, what)


class Window:
    """`reminderd checkin --window` as a real process, and xdotool to use it."""

    def __init__(self, cli: Cli, display: str, *args: str, at: str) -> None:
        self.env = cli.env(at=at) | {"DISPLAY": display}
        self.xenv = {"DISPLAY": display, "PATH": os.environ["PATH"]}
        self.proc = subprocess.Popen([sys.executable, "-m", "reminderd", "checkin", "--window", *args],
                                     env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.id = poll("the check-in window", self._find)
        # Typing goes where the keyboard focus is: wait until the window has it.
        poll("the window to take the keyboard", lambda: self.xdotool("getwindowfocus") == self.id)

    def xdotool(self, *args: str) -> str:
        out = subprocess.run(["xdotool", *args], env=self.xenv, capture_output=True, text=True, timeout=20)
        return out.stdout.strip()

    def _find(self) -> str | None:
        if self.proc.poll() is not None:
            out, err = self.proc.communicate()
            raise AssertionError(f"reminderd exited ({self.proc.returncode}) before its window showed:\n{out}{err}")
        ids = self.xdotool("search", "--onlyvisible", "--name", f"^{'reminderd check-in'}$").split()
        return ids[0] if ids else None

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "40", text)

    def key(self, *keys: str) -> None:
        self.xdotool("key", "--delay", "40", *keys)

    def still_open(self) -> bool:
        return self.proc.poll() is None and self._find() == self.id

    def finish(self) -> subprocess.CompletedProcess:
        try:
            out, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"the window did not close:\n{out}{err}") from None
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, out, err)


def test_window_is_filled_from_the_keyboard_and_saved(cli: Cli, display: str) -> None:
    window = Window(cli, display, at="2026-11-28 08:40:00")
    window.key("Return")  # Save with no severity: refused in the window, which stays open
    window.type("231")  # severity 2, frequency 3, then 1 into the wakings
    window.key("Tab")
    window.type("legs ache")
    window.key("Tab", "space")  # "anything else that could explain the night?": ticked
    assert window.still_open()
    assert dump(cli) == []
    window.key("Return")
    done = window.finish()
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == ("Recorded the check-in for the night of Friday 27 November 2026: severity 2 (moderate), "
                           'frequency 3 (more than one an hour), woke 1 time, note "legs ache", something else '
                           "could explain the night.\n")
    [entry] = checkins_json(cli)
    # The faked clock runs on from 08:40 while the window is filled in.
    assert utc(2026, 11, 28, 8, 40) <= datetime.fromisoformat(entry.pop("answered_at")) < utc(2026, 11, 28, 8, 41)
    assert entry == {"night": "2026-11-27", "severity": 2, "frequency": 3, "woke": 1, "note": "legs ache",
                     "other_cause": True, "via": "window"}
    conn = sqlite3.connect(cli.db)
    assert conn.execute("SELECT kind, source, dose_id FROM events").fetchall() == [("checkin", "window", None)]
    conn.close()


def test_window_shows_the_earlier_answer_and_saves_it_again(cli: Cli, display: str) -> None:
    assert cli("checkin", "--night", "2026-11-26", "--severity", "3", "--frequency", "4", "--woke", "6",
               "--note", "awful", "--other-cause", at="2026-11-27 09:00:00").returncode == 0
    window = Window(cli, display, "--night", "2026-11-26", at="2026-11-28 08:40:00")
    window.key("Return")
    done = window.finish()
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == (
        "It replaces the answer given at 2026-11-27 09:00 (severity 3 (severe), frequency 4 "
        '(more than ten an hour), woke 6 times, note "awful", something else could explain the night); both stay '
        "in the log.")
    [entry] = checkins_json(cli)
    assert (entry["night"], entry["severity"], entry["woke"], entry["note"], entry["other_cause"], entry["via"]) == (
        "2026-11-26", 3, 6, "awful", True, "window")


def test_window_cancelled_records_nothing(cli: Cli, display: str) -> None:
    window = Window(cli, display, at="2026-11-28 08:40:00")
    window.type("1")
    window.key("Escape")
    done = window.finish()
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == ("Nothing recorded: the check-in window for the night of 2026-11-27 was closed "
                           "without saving.\n")
    assert checkins_json(cli) == []


@pytest.mark.system
@pytest.mark.parametrize(("display", "why"), [
    ({}, "there is no display here (DISPLAY is not set: not inside a desktop session)"),
    ({"DISPLAY": ":4095"}, 'the display :4095 cannot be opened (couldn\'t connect to display ":4095")'),
    ({"WAYLAND_DISPLAY": "wayland-0"},
     "Tk needs an X display (Xwayland), and this Wayland session has none (DISPLAY is not set)"),
], ids=["no-display", "display-not-there", "wayland-only"])
def test_window_that_cannot_open_says_why_and_to_use_the_terminal(cli: Cli, display: dict, why: str) -> None:
    env = cli.env(at="2026-11-28 08:40:00") | display
    out = subprocess.run([sys.executable, "-m", "reminderd", "checkin", "--window"], env=env,
                         capture_output=True, text=True, timeout=30)
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr == f"reminderd: the check-in window cannot open: {why}. Answer in a terminal with: reminderd checkin\n"
    other = subprocess.run([sys.executable, "-m", "reminderd", "checkin", "--window", "--night", "2026-11-20"],
                           env=env, capture_output=True, text=True, timeout=30)
    assert other.stderr.endswith("Answer in a terminal with: reminderd checkin --night 2026-11-20\n")


@pytest.mark.system
def test_window_without_tk_names_the_package_to_install(cli: Cli, display: str) -> None:
    # Python as it is without python3-tk: importing tkinter fails.
    without_tk = "import sys; sys.modules['tkinter'] = None; from reminderd.cli import main; main()"
    out = subprocess.run([sys.executable, "-c", without_tk, "checkin", "--window"],
                         env=cli.env(at="2026-11-28 08:40:00") | {"DISPLAY": display}, capture_output=True, text=True,
                         timeout=30)
    assert (out.returncode, out.stdout) == (1, "")
    assert out.stderr == ("reminderd: the check-in window cannot open: it needs Tk for Python, which is not installed "
                          "(Debian and Ubuntu: sudo apt install python3-tk; install.sh installs it). Answer in a "
                          "terminal with: reminderd checkin\n")
