"""Real prescriptions: titration steps, as-needed medicines and supply, in the config and
the schedule (pure core, explicit dates)."""

from __future__ import annotations

import json
import signal
import sqlite3
from datetime import date, datetime, timezone

import pytest

from reminderd import services
from reminderd.config_file import load_config
from reminderd.core.config.load import parse_config
from reminderd.errors import ConfigError
from reminderd.core.schedule import slots_on
from reminderd.store import Store
from tests.conftest import Cli, at, config_text, rows as rows_of
from tests.daemon_process import DaemonProcess
from tests.fakeclock import FakeClock

UTC = timezone.utc

TITRATION = '''
timezone = "Europe/London"

[[medication]]
name = "gabapentin"
until = 2026-12-31
min_gap = "4h"

[[medication.schedule]]
from = 2026-11-01
times = ["22:00"]
dose = "300 mg"

[[medication.schedule]]
from = "2026-11-04"
times = ["08:00", "22:00"]
dose = "300 mg"

[[medication.schedule]]
from = 2026-11-07
times = ["08:00", "14:00", "22:00"]
dose = "300 mg"

[[medication.schedule]]
from = 2026-11-20
times = ["08:00", "14:00", "22:00"]
dose = "600 mg"

[[medication]]
name = "baclofen"
dose = "10 mg"
as_needed = true
max_per_day = 3
min_gap = "2h"
supply = 40
per_dose = 0.5
'''


def parse(text: str):
    return parse_config(text, "test.toml", lambda: "UTC")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return info.value.problems


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 10, 31), []),
        (date(2026, 11, 1), [("22:00", "300 mg")]),
        (date(2026, 11, 3), [("22:00", "300 mg")]),
        (date(2026, 11, 4), [("08:00", "300 mg"), ("22:00", "300 mg")]),
        (date(2026, 11, 7), [("08:00", "300 mg"), ("14:00", "300 mg"), ("22:00", "300 mg")]),
        (date(2026, 11, 19), [("08:00", "300 mg"), ("14:00", "300 mg"), ("22:00", "300 mg")]),
        (date(2026, 11, 20), [("08:00", "600 mg"), ("14:00", "600 mg"), ("22:00", "600 mg")]),
        (date(2026, 12, 31), [("08:00", "600 mg"), ("14:00", "600 mg"), ("22:00", "600 mg")]),
        (date(2027, 1, 1), []),
    ],
    ids=["before-start", "first-step", "last-day-of-first-step", "second-step", "third-step",
         "day-before-dose-change", "dose-change", "until-is-inclusive", "after-until"],
)
def test_slots_follow_the_step_in_force(day: date, expected: list) -> None:
    config = parse(TITRATION)
    assert [(s.slot, s.dose) for s in slots_on(config, day) if s.medication == "gabapentin"] == expected


def test_as_needed_medicine_has_no_slots_and_its_settings_parse() -> None:
    config = parse(TITRATION)
    baclofen = config.medication("baclofen")
    assert baclofen.as_needed and baclofen.max_per_day == 3 and baclofen.supply == 40 and baclofen.per_dose == 0.5
    assert all(s.medication != "baclofen" for d in range(1, 31) for s in slots_on(config, date(2026, 11, d)))


def test_step_on_a_dst_night_uses_the_dst_rules() -> None:
    config = parse(TITRATION.replace('times = ["22:00"]', 'times = ["01:30"]').replace("2026-11-01", "2026-10-24"))
    [slot] = [s for s in slots_on(config, date(2026, 10, 25)) if s.medication == "gabapentin"]
    assert slot.due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 01:30


BASE = 'timezone = "UTC"\n[[medication]]\nname = "gabapentin"\n'


@pytest.mark.parametrize(
    "body, expected",
    [
        ('dose = "300 mg"\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n'
         '[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["22:00"]\n',
         ['medication[0].schedule[1].from: "2026-11-04" is not valid; expected a date after the previous '
          "step's from (2026-11-04); steps must not overlap"]),
        ('dose = "300 mg"\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n'
         '[[medication.schedule]]\nfrom = 2026-11-01\ntimes = ["22:00"]\n',
         ['medication[0].schedule[1].from: "2026-11-01" is not valid; expected a date after the previous '
          "step's from (2026-11-04); steps must not overlap"]),
        ('until = 2026-11-03\ndose = "300 mg"\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n',
         ['medication[0].until: "2026-11-03" is not valid; expected a date on or after the last step\'s from (2026-11-04)']),
        ('dose = "1"\ntimes = ["08:00"]\nsupply = -5\n',
         ["medication[0].supply: -5 is not valid; expected a number of tablets from 0 to 100000"]),
        ('dose = "1"\ntimes = ["08:00"]\nper_dose = 0\n',
         ["medication[0].per_dose: 0 is not valid; expected a number of tablets per dose from 0.01 to 100 (e.g. 1 or 0.5)"]),
        ('dose = "1"\ntimes = ["08:00"]\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n',
         ["medication[0].times: not allowed beside [[medication.schedule]] steps; expected the times inside each step"]),
        ('[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n',
         ["medication[0].schedule[0].dose: missing; give a dose here or for the whole medication"]),
        ('dose = "1"\n[[medication.schedule]]\nfrom = "soon"\ntimes = ["08:00"]\n',
         ['medication[0].schedule[0].from: "soon" is not valid; expected a date YYYY-MM-DD from 1970-01-01 to 2999-12-31']),
        ('dose = "1"\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00", "10:00"]\n',
         ['medication[0].min_gap: "4h (the default)" is not valid; expected at most 2h, the time between '
          "its slots 08:00 and 10:00 in medication[0].schedule[0]"]),
        ('dose = "1"\nas_needed = true\ntimes = ["08:00"]\n',
         ["medication[0].times: an as-needed medication has no times; expected no times or schedule with as_needed = true"]),
        ('dose = "1"\ntimes = ["08:00"]\nmax_per_day = 2\n',
         ["medication[0].max_per_day: only for as-needed medicines; expected as_needed = true beside it"]),
        ('dose = "1"\nas_needed = true\nmax_per_day = 0\n',
         ["medication[0].max_per_day: 0 is not valid; expected a whole number from 1 to 1000"]),
    ],
    ids=["overlapping-steps", "steps-out-of-order", "from-after-until", "negative-supply", "zero-per-dose",
         "times-beside-steps", "step-without-dose", "bad-from", "step-gap-too-short", "as-needed-with-times",
         "max-per-day-not-prn", "max-per-day-zero"],
)
def test_prescription_errors(body: str, expected: list[str]) -> None:
    assert problems(BASE + body) == expected


# --- as a user does it: the CLI and the daemon as real processes ------------------------

PRN = '\n[[medication]]\nname = "baclofen"\ndose = "10 mg"\nas_needed = true\nmax_per_day = 2\nmin_gap = "2h"\n'


def log_rows(cli: Cli, *args: str) -> list[dict]:
    out = cli("log", "--since", "2026-11-01", "--until", "2026-12-31", "--format", "json", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_as_needed_doses_respect_max_per_day_and_min_gap(cli: Cli) -> None:
    cli.config.write_text(config_text() + PRN)
    assert cli("take", "baclofen", "--at", "09:00", at="2026-11-28 12:00:00").returncode == 0
    too_soon = cli("take", "baclofen", "--at", "10:30", at="2026-11-28 12:00:00")
    assert too_soon.returncode == 2
    assert too_soon.stderr == ("reminderd: baclofen was last taken 1h30m before that (the PRN 1 dose of 2026-11-28); "
                               "doses should be at least 2h apart. If you really took it, record it with --force\n")
    assert cli("take", "baclofen", at="2026-11-28 12:00:00").returncode == 0
    third = cli("take", "baclofen", at="2026-11-28 18:00:00")
    assert third.returncode == 2
    assert third.stderr == ("reminderd: baclofen was already taken 2 time(s) on 2026-11-28, the most allowed a day "
                            "(max_per_day = 2). If you really took another, record it with --force\n")
    assert cli("take", "baclofen", "--force", at="2026-11-28 18:00:00").returncode == 0
    prn = [(r["slot"], r["status"], r["taken_at"]) for r in log_rows(cli, "--medication", "baclofen")]
    assert prn == [("PRN 1", "taken", "2026-11-28T09:00:00+00:00"), ("PRN 2", "taken", "2026-11-28T12:00:00+00:00"),
                   ("PRN 3", "taken", "2026-11-28T18:00:00+00:00")]
    status = cli("status", at="2026-11-28 19:00:00").stdout
    assert "As needed: baclofen 10 mg taken today: 09:00, 12:00, 18:00 (at most 2 a day)." in status
    assert cli("skip", "baclofen", at="2026-11-28 19:00:00").returncode == 2


def test_supply_counts_down_with_takes_undo_and_refill(cli: Cli) -> None:
    cli.config.write_text(config_text(extra="") .replace('snooze = "10m"\n', 'snooze = "10m"\nsupply = 10\nper_dose = 1\n'))
    assert "Supply: gabapentin 10 tablets, about 3 day(s) - time to refill." in cli("status", at="2026-11-28 07:00:00").stdout
    assert cli("take", at="2026-11-28 08:01:00").returncode == 0
    assert cli("take", at="2026-11-28 14:02:00").returncode == 0
    assert "Supply: gabapentin 8 tablets, about 2 day(s)" in cli("status", at="2026-11-28 15:00:00").stdout
    undo = cli("undo", "--yes", at="2026-11-28 15:00:00")
    assert undo.returncode == 0, undo.stderr
    assert undo.stdout.splitlines() == [
        "Last answer: taken gabapentin 14:00 dose of 2026-11-28 (recorded 2026-11-28 14:02 via cli)",
        "Undone: the 14:00 dose of gabapentin on 2026-11-28 is waiting for an answer again."]
    assert "Supply: gabapentin 9 tablets" in cli("status", at="2026-11-28 15:00:00").stdout
    refilled = cli("refill", "gabapentin", "90", at="2026-11-28 15:05:00")
    assert refilled.stdout == "Refilled: gabapentin now 99 tablets, about 33 day(s).\n"
    status = cli("status", at="2026-11-28 15:06:00").stdout
    assert "Supply: gabapentin 99 tablets, about 33 day(s)." in status
    bad = cli("refill", "gabapentin", "-3")
    assert bad.returncode == 2


def test_undo_walks_back_and_keeps_every_answer_in_events(cli: Cli) -> None:
    assert cli("take", at="2026-11-28 08:01:00").returncode == 0
    assert cli("skip", at="2026-11-28 14:00:00").returncode == 0
    assert cli("undo", "--yes", at="2026-11-28 14:01:00").returncode == 0
    undone = cli("undo", "--yes", at="2026-11-28 14:02:00")
    assert undone.returncode == 0
    # The 08:00 dose's window ended at 11:00: undone, it is missed, not revived to be given up again.
    assert undone.stdout.splitlines()[1] == ("Undone: the 08:00 dose of gabapentin on 2026-11-28 is missed "
                                             "(not answered); its time to be answered ended at 2026-11-28 11:00.")
    nothing = cli("undo", "--yes", at="2026-11-28 14:03:00")
    assert nothing.returncode == 2 and nothing.stderr == "reminderd: there is no answer to undo\n"
    assert [r["status"] for r in log_rows(cli)] == ["missed", "pending"]
    conn = sqlite3.connect(cli.db)
    kinds = [k for (k,) in conn.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["taken", "skipped", "undone", "undone"]
    declined = cli("take", at="2026-11-28 14:05:00")
    assert declined.returncode == 0
    asked = cli("undo", at="2026-11-28 14:06:00", input="n\n")
    assert "Nothing changed." in asked.stdout
    assert [r["status"] for r in log_rows(cli)] == ["missed", "taken"]


def test_undo_says_what_the_dose_is_again_in_the_words_of_status(cli: Cli) -> None:
    cli.config.write_text(config_text(extra=PRN))
    assert cli("take", "baclofen", at="2026-11-28 10:00:00").returncode == 0
    store = Store.open(cli.db)  # the 14:00 row, made by the daemon
    store.ensure_doses(services.planned(store, load_config(cli.config), at("2026-11-28 14:00:00"),
                                        at("2026-11-28 14:00:01")), at("2026-11-28 07:00:00"))
    store.close()
    assert cli("snooze", "--for", "10m", at="2026-11-28 14:00:00").returncode == 0
    assert cli("snooze", "--for", "20m", at="2026-11-28 14:01:00").returncode == 0
    undone = [cli("undo", "--yes", at=f"2026-11-28 14:0{m}:00").stdout.splitlines()[1] for m in (2, 3, 4)]
    assert undone == [
        "Undone: the 14:00 dose of gabapentin on 2026-11-28 is snoozed until 14:10 again.",  # as `status` shows it
        "Undone: the 14:00 dose of gabapentin on 2026-11-28 is waiting for an answer again.",
        # An as-needed dose was never skipped: it no longer counts, and the log says how.
        'Undone: the PRN 1 dose of baclofen on 2026-11-28 no longer counts as taken (the log keeps it as '
        'skipped, "undone: recorded by mistake").']


def test_edit_refuses_to_call_a_dose_not_due_yet_missed(cli: Cli) -> None:
    out = cli("edit", "--date", "2026-11-28", "--slot", "14:00", "--status", "missed", at="2026-11-28 12:00:00")
    assert (out.returncode, out.stderr) == (2, "reminderd: the 14:00 dose of gabapentin on 2026-11-28 is not due "
                                               "until 2026-11-28 14:00, so it cannot have been missed; to leave it "
                                               "out, use --status skipped\n")
    assert rows_of(cli, "SELECT count(*) FROM doses") == [(0,)]  # nothing written: its reminders still come
    assert cli("edit", "--date", "2026-11-28", "--slot", "08:00", "--status", "missed",
               at="2026-11-28 12:00:00").returncode == 0


def test_edit_corrects_a_dose_and_keeps_what_it_was(cli: Cli) -> None:
    assert cli("take", "--at", "22:10", at="2026-11-27 22:30:00").returncode == 0
    out = cli("edit", "gabapentin", "--date", "2026-11-27", "--slot", "22:00", "--taken-at", "2026-11-27 22:40",
              at="2026-11-28 09:00:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Corrected: gabapentin 22:00 dose of 2026-11-27 is taken, taken at 2026-11-27 22:40.\n"
    missed = cli("edit", "--date", "2026-11-27", "--slot", "14:00", "--status", "missed", "--reason", "asleep",
                 at="2026-11-28 09:00:00")
    assert missed.returncode == 0, missed.stderr
    rows = {r["slot"]: r for r in log_rows(cli)}
    assert (rows["22:00"]["taken_at"], rows["22:00"]["late_minutes"]) == ("2026-11-27T22:40:00+00:00", 40)
    assert (rows["14:00"]["status"], rows["14:00"]["reason"]) == ("missed", "asleep")
    conn = sqlite3.connect(cli.db)
    before = json.loads(conn.execute("SELECT detail FROM events WHERE kind = 'corrected' ORDER BY id").fetchone()[0])
    assert before["before"]["taken_at"] == "2026-11-27T22:10:00+00:00"
    bad = cli("edit", "--date", "2026-11-27", "--slot", "15:00", "--status", "taken", at="2026-11-28 09:00:00")
    assert bad.returncode == 2
    assert bad.stderr == "reminderd: gabapentin has no 15:00 dose on 2026-11-27; its slots that day are 08:00, 14:00, 22:00\n"


def test_changing_the_prescription_keeps_past_doses(cli: Cli) -> None:
    assert cli("take", at="2026-11-28 08:00:00").returncode == 0
    cli.config.write_text(TITRATION.replace("2026-11-20", "2026-11-28"))
    assert cli("take", at="2026-11-28 14:00:00").returncode == 0
    rows = {r["slot"]: r["dose"] for r in log_rows(cli, "--since", "2026-11-28")}
    assert rows == {"08:00": "300 mg", "14:00": "600 mg"}


@pytest.mark.system
def test_refill_warning_from_the_daemon_once_a_day(cli: Cli, tmp_path) -> None:
    cli.clock = FakeClock(tmp_path / "clock", datetime(2026, 11, 28, 7, 59, 58, tzinfo=UTC))
    cli.config.write_text(config_text(remind_every="1h", min_gap="1h")
                          .replace('snooze = "10m"\n', 'snooze = "10m"\nsupply = 10\nrefill_warn_days = 7\n'))
    d = DaemonProcess(cli)
    try:
        d.wait_for(r"supply: gabapentin 10 tablets, about 3 day\(s\) left; refill warning shown")
        d.wait_for(r"REMINDER Refill soon: gabapentin: 10 tablets, about 3 day\(s\) left")
        cli.clock.set(datetime(2026, 11, 28, 13, 59, 58, tzinfo=UTC))
        d.wait_for(r"reminder 1: gabapentin 300 mg, 14:00 dose")
        assert d.count(r"refill warning shown") == 1  # once a day
        cli.clock.set(datetime(2026, 11, 29, 7, 59, 58, tzinfo=UTC))
        d.wait_for(r"reminder 1: gabapentin 300 mg, 08:00 dose of 2026-11-29")
        d.wait_for(r"refill warning shown", count=2)
        assert cli("refill", "gabapentin", "90").returncode == 0
        cli.clock.set(datetime(2026, 11, 29, 13, 59, 58, tzinfo=UTC))
        d.wait_for(r"reminder 1: gabapentin 300 mg, 14:00 dose of 2026-11-29")
        cli.clock.set(datetime(2026, 11, 30, 7, 59, 58, tzinfo=UTC))
        d.wait_for(r"reminder 1: gabapentin 300 mg, 08:00 dose of 2026-11-30")
        assert d.count(r"refill warning shown") == 2
    finally:
        d.stop()


@pytest.mark.system
def test_reload_drops_slots_the_new_config_no_longer_has(cli: Cli, tmp_path) -> None:
    cli.clock = FakeClock(tmp_path / "clock", datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    d = DaemonProcess(cli)
    try:
        d.wait_for(r"dose\(s\) scheduled")
        cli.config.write_text(config_text(times='["08:00", "20:00"]'))
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for(r"no longer scheduled: gabapentin 14:00 dose of 2026-11-28")
        d.wait_for(r"config reloaded")
        slots = {(r["local_date"], r["slot"]) for r in log_rows(cli, "--since", "2026-11-28")}
        assert ("2026-11-28", "14:00") not in slots and ("2026-11-28", "20:00") in slots
        assert ("2026-11-28", "08:00") in slots  # the past stays
    finally:
        d.stop()
