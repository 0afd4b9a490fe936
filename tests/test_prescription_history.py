"""The prescription history: recorded when it changes, and the past judged by the
prescription in force then (issue 11, items 1 and 2).

The core (`reminderd.core.prescriptions`) is tested with plain values; the report and the
CLI over a real SQLite log, with an explicit `now` (in-process) or a fake clock (CLI).
"""

from __future__ import annotations

import json
import signal
from datetime import date, datetime, time, timedelta, timezone

import pytest

from reminderd import services as answers

from reminderd.report.build import build
from reminderd.core import doses as rules
from reminderd.core.checkin import Checkin
from reminderd.core.config.load import parse_config
from reminderd.core.prescriptions import History, Prescription, canonical_of, config_of
from reminderd.core.schedule import slots_on
from reminderd.store import Store
from tests.conftest import Cli, config_text, rows

UTC = timezone.utc
LONDON = "Europe/London"
FIRST = date(2026, 11, 1)  # ten days, Nov 1-10; Europe/London is on UTC in November

GABAPENTIN = '''
timezone = "Europe/London"

[[medication]]
name = "gabapentin"
dose = "300 mg"
times = {times}
'''
VITAMIN_D = '''
[[medication]]
name = "vitamin D"
dose = "1000 IU"
times = ["08:00", "20:00"]
'''


def config(times: str = '["08:00", "14:00", "22:00"]', extra: str = "", top: str = ""):
    return parse_config(top + GABAPENTIN.format(times=times) + extra, "test", lambda: "UTC")


BEFORE = config()
AFTER = config('["08:00", "14:00", "21:00"]', VITAMIN_D)  # evening moved to 21:00, vitamin D added


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --------------------------------------------------------------------------- the core


def test_a_prescription_is_kept_in_one_canonical_spelling_and_read_back() -> None:
    text = canonical_of(AFTER)
    assert json.loads(text)["medications"][1] == {
        "name": "vitamin D", "dose": "1000 IU", "times": ["08:00", "20:00"], "steps": [], "until": None,
        "as_needed": False, "max_per_day": None, "give_up_after": "3h", "early_window": "2h", "min_gap": "4h"}
    assert canonical_of(config_of(text)) == text
    assert canonical_of(config(top='on_time_window = "30m"\n')) != canonical_of(BEFORE)


@pytest.mark.parametrize("text", [
    "not json", "[]", '{"timezone": "Europe/London"}',
    canonical_of(BEFORE).replace('"Europe/London"', '"Mars/Olympus"'),
    canonical_of(BEFORE).replace('"08:00"', '"8:00"'),
    canonical_of(BEFORE).replace('"3h"', '"forever"'),
    canonical_of(BEFORE).replace(",", ", "),  # the right values, not the canonical spelling
])
def test_text_that_is_not_a_stored_prescription_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        config_of(text)


def history(*records: tuple[str, object]) -> History:
    return History([Prescription(utc(at), cfg) for at, cfg in records])


def slot_names(slots) -> list[tuple[str, str]]:
    return [(s.slot, s.medication) for s in slots]


def day_plan(h: History, day: date) -> list:
    """The plan's slots of one local day."""
    midnight = datetime.combine(day, time(0), UTC)
    return [s for s in h.plan(midnight - timedelta(days=1), midnight + timedelta(days=2)) if s.local_date == day]


def test_a_medication_added_today_has_no_due_doses_before_it_was_added() -> None:
    h = history(("2026-11-01 00:00", BEFORE), ("2026-11-11 15:00", AFTER))
    assert slot_names(day_plan(h, date(2026, 11, 10))) == [("08:00", "gabapentin"), ("14:00", "gabapentin"),
                                                         ("22:00", "gabapentin")]
    # The day of the change: slots before 15:00 by the old prescription, later ones by the new.
    assert slot_names(day_plan(h, date(2026, 11, 11))) == [("08:00", "gabapentin"), ("14:00", "gabapentin"),
                                                         ("20:00", "vitamin D"), ("21:00", "gabapentin")]
    assert slot_names(day_plan(h, date(2026, 11, 12))) == slot_names(slots_on(AFTER, date(2026, 11, 12)))


def test_a_slot_moved_after_it_was_taken_stays_where_it_was_that_day() -> None:
    h = history(("2026-11-01 00:00", BEFORE), ("2026-11-11 23:00", AFTER))
    assert slot_names(day_plan(h, date(2026, 11, 11))) == [("08:00", "gabapentin"), ("14:00", "gabapentin"),
                                                         ("22:00", "gabapentin")]


def test_days_before_the_first_record_are_judged_by_the_first() -> None:
    h = history(("2026-11-05 12:00", BEFORE), ("2026-11-11 15:00", AFTER))
    assert h.on(date(2020, 1, 1)) is BEFORE and h.at(utc("2000-01-01 00:00")) is BEFORE
    assert h.on(date(2026, 11, 11)) is BEFORE  # as the day began
    assert h.on(date(2026, 11, 12)) is AFTER and h.at(utc("2026-11-11 15:00")) is AFTER


def test_a_log_with_no_record_yet_is_judged_by_the_config() -> None:
    h = History.of([], BEFORE)
    assert h.on(date(2026, 11, 1)) is BEFORE and h.at(utc("2026-11-01 12:00")) is BEFORE


# --------------------------------------------------------------------------- the store


def test_a_prescription_is_recorded_only_when_it_changed(store: Store) -> None:
    assert store.record_prescription(canonical_of(BEFORE), utc("2026-11-01 00:00"))
    assert not store.record_prescription(canonical_of(BEFORE), utc("2026-11-02 00:00"))
    assert store.record_prescription(canonical_of(AFTER), utc("2026-11-11 15:00"))
    assert store.record_prescription(canonical_of(BEFORE), utc("2026-11-12 09:00"))  # and back again
    assert [(at.isoformat(), json.loads(text)["medications"][0]["times"][-1])
            for at, text in store.prescription_rows()] == [
        ("2026-11-01T00:00:00+00:00", "22:00"), ("2026-11-11T15:00:00+00:00", "21:00"),
        ("2026-11-12T09:00:00+00:00", "22:00")]
    # Any SQLite tool reads it: an instant column and canonical JSON.
    assert store.conn.execute("SELECT in_force_from, json_extract(prescription, '$.timezone') FROM prescriptions"
                              " ORDER BY id LIMIT 1").fetchone() == ("2026-11-01T00:00:00+00:00", LONDON)


def test_a_clock_set_back_never_puts_a_prescription_before_the_one_it_replaces(store: Store) -> None:
    store.record_prescription(canonical_of(BEFORE), utc("2026-11-11 10:00"))
    assert store.record_prescription(canonical_of(AFTER), utc("2026-11-11 09:00"))  # the clock went back
    assert not store.record_prescription(canonical_of(AFTER), utc("2026-11-11 09:05"))
    assert [(at.isoformat(), config_of(text).medication("vitamin D") is not None)
            for at, text in store.prescription_rows()] == [
        ("2026-11-11T10:00:00+00:00", False), ("2026-11-11T10:00:00+00:00", True)]
    assert History.of(store.prescription_rows(), BEFORE).at(utc("2026-11-11 10:00")).medication("vitamin D")


# --------------------------------------------------------------------------- the report


def ten_perfect_days(store: Store) -> None:
    """Nov 1-10: every dose taken 5 min after it fell due, a check-in (severity 1) for nights
    1-9, and the prescription recorded when the log began."""
    store.record_prescription(canonical_of(BEFORE), utc("2026-11-01 00:00"))
    med = BEFORE.medication("gabapentin")
    for i in range(10):
        for s in slots_on(BEFORE, FIRST + timedelta(days=i)):
            store.ensure_doses([s], s.due)
            dose = store.dose_at(s.medication, s.local_date, s.slot)
            taken = s.due + timedelta(minutes=5)
            store.save_dose(rules.take(dose, med, taken, taken, "notification"), "taken", "notification", taken)
    for i in range(9):
        night = FIRST + timedelta(days=i)
        answered = datetime.combine(night + timedelta(days=1), time(8, 40), UTC)
        store.save_checkin(Checkin(night, 1, 2, 0, None, answered, "cli"), answered, "cli")


def figures(store: Store, cfg, now: datetime) -> tuple:
    built = build(store, cfg, FIRST, date(2026, 11, 10), now)
    a = built.analysis.adherence.total
    return a.due, a.taken, a.not_recorded, built.analysis.effect.nights, built.log_begins


def test_a_later_config_change_does_not_rewrite_a_finished_period(store: Store) -> None:
    """The issue's case: ten days, 30 doses taken on time and 9 check-ins; then the evening
    dose moves to 21:00 and vitamin D is added. Judged by today's config, the same ten days
    became due 50, 20 not recorded and 9 nights missed."""
    ten_perfect_days(store)
    before = figures(store, BEFORE, utc("2026-11-11 12:00"))
    assert before[:3] == (30, 30, 0) and before[3]["on_time"] == 9 and before[3]["missed"] == 0
    store.record_prescription(canonical_of(AFTER), utc("2026-11-11 15:00"))
    assert figures(store, AFTER, utc("2026-11-12 12:00")) == before


def test_the_on_time_window_in_force_then_judges_a_dose(store: Store) -> None:
    ten_perfect_days(store)  # every dose 5 min after due: on time within 1h
    store.record_prescription(canonical_of(config(top='on_time_window = "2m"\n')), utc("2026-11-11 15:00"))
    built = build(store, config(top='on_time_window = "2m"\n'), FIRST, date(2026, 11, 10),
                         utc("2026-11-12 12:00"))
    assert (built.analysis.adherence.total.on_time, built.analysis.adherence.total.late) == (30, 0)


def test_a_back_filled_check_in_does_not_move_where_the_log_begins(store: Store) -> None:
    ten_perfect_days(store)
    long_ago = FIRST - timedelta(days=60)
    store.save_checkin(Checkin(long_ago, 2, 3, 1, None, utc("2026-11-11 09:00"), "cli"), utc("2026-11-11 09:00"), "cli")
    built = build(store, BEFORE, long_ago, date(2026, 11, 10), utc("2026-11-11 12:00"))
    assert built.log_begins == FIRST
    a = built.analysis.adherence.total
    assert (a.due, a.not_recorded) == (30, 0)  # not 60 days of "not recorded"


def test_an_edit_of_an_old_date_does_not_move_where_the_log_begins(store: Store) -> None:
    ten_perfect_days(store)
    old = FIRST - timedelta(days=20)
    answers.edit(store, BEFORE, "gabapentin", old, "08:00", utc("2026-11-11 09:00"), "taken", None, None)
    assert store.log_begins(BEFORE.timezone) == FIRST
    built = build(store, BEFORE, old, date(2026, 11, 10), utc("2026-11-11 12:00"))
    a = built.analysis.adherence.total
    # The answer for a day before the log began counts as what it says; that day's other
    # slots are not "not recorded": nothing was being recorded then.
    assert (a.due, a.taken, a.not_recorded) == (31, 31, 0)


def test_slots_due_before_the_log_began_on_its_first_day_are_not_counted(store: Store) -> None:
    # First used at 13:00: the 08:00 dose of that day was never watched, so it is neither
    # due nor "not recorded"; the 14:00 and 22:00 doses with no answer are.
    store.record_prescription(canonical_of(BEFORE), utc("2026-11-05 13:00"))
    a = build(store, BEFORE, date(2026, 11, 5), date(2026, 11, 5), utc("2026-11-06 12:00")).analysis.adherence.total
    assert (a.due, a.not_recorded) == (2, 2)


def test_a_log_begins_at_the_first_prescription_when_no_dose_came_before(store: Store) -> None:
    assert store.log_begins(BEFORE.timezone) is None
    store.record_prescription(canonical_of(BEFORE), utc("2026-11-05 23:30"))
    assert store.log_begins(BEFORE.timezone) == date(2026, 11, 5)


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def changed(cli: Cli) -> Cli:
    """Ten perfect days under the old prescription, then the config file changed."""
    store = Store.open(cli.db)
    ten_perfect_days(store)
    store.close()
    cli.config.write_text(canonical_config_file('["08:00", "14:00", "21:00"]') + VITAMIN_D)
    return cli


def canonical_config_file(times: str) -> str:
    return GABAPENTIN.format(times=times) + '\n[notifications]\nbackend = "log"\n'


def test_every_command_with_a_config_records_a_changed_prescription(changed: Cli) -> None:
    out = changed("status", at="2026-11-11 16:00:00")
    assert out.returncode == 0, out.stderr
    assert rows(changed, "SELECT in_force_from FROM prescriptions ORDER BY id") == [
        ("2026-11-01T00:00:00+00:00",), ("2026-11-11T16:00:00+00:00",)]
    # Vitamin D was added at 16:00: its 08:00 dose today was never due, so not "not recorded".
    table = out.stdout.splitlines()
    assert not any("vitamin D" in line and "08:00" in line for line in table)
    assert any(line.split()[:2] == ["20:00", "vitamin"] and "upcoming" in line for line in table)
    # A second command with the same config records nothing more.
    assert changed("log", at="2026-11-11 16:05:00").returncode == 0
    assert len(rows(changed, "SELECT id FROM prescriptions")) == 2


def test_the_report_of_a_finished_period_is_the_same_after_the_config_changed(changed: Cli) -> None:
    args = ("report", "--since", "2026-11-01", "--until", "2026-11-10", "--format", "json")
    data = json.loads(changed(*args, at="2026-11-12 12:00:00").stdout)
    adherence = data["adherence"]
    assert (adherence["due"], adherence["taken"], adherence["not_recorded"]) == (30, 30, 0)
    assert data["effect"]["nights"]["on_time"] == 9 and data["effect"]["nights"]["missed"] == 0
    assert data["log_begins"] == "2026-11-01"


def test_log_prescriptions_shows_the_history(changed: Cli) -> None:
    assert changed("status", at="2026-11-11 16:00:00").returncode == 0
    table = changed("log", "--prescriptions", at="2026-11-11 16:05:00")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["in", "force", "from", "medication", "prescription"]
    words = [" ".join(line.split()) for line in lines]
    assert words[2] == ("2026-11-01 00:00 gabapentin 300 mg at 08:00, 14:00, 22:00; missed after 3h, "
                        "early window 2h, at least 4h apart")
    assert any(w.startswith("2026-11-11 16:00 gabapentin 300 mg at 08:00, 14:00, 21:00;") for w in words)
    assert any(w.startswith("vitamin D 1000 IU at 08:00, 20:00;") for w in words)
    assert "zone Europe/London; on time within 1h" in table.stdout
    data = json.loads(changed("log", "--prescriptions", "--format", "json").stdout)
    assert [r["in_force_from"] for r in data] == ["2026-11-01T00:00:00+00:00", "2026-11-11T16:00:00+00:00"]
    assert [m["name"] for m in data[1]["prescription"]["medications"]] == ["gabapentin", "vitamin D"]


def test_log_prescriptions_takes_no_period(changed: Cli) -> None:
    out = changed("log", "--prescriptions", "--since", "2026-11-01")
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == ("reminderd: --prescriptions lists the whole history; expected no --checkins, "
                          "--ratings, --since, --until or --medication with it\n")


# --------------------------------------------------------------------------- the daemon


def test_a_take_recorded_later_for_an_earlier_time_is_judged_by_the_rules_of_its_time(cli: Cli) -> None:
    """On the 27th the 08:00 dose could be taken from 07:00 (early_window 1h); on the 28th
    the window is 30 min. A take at 07:10 on the 27th, recorded on the 28th, is that 08:00
    dose taken early, not the 22:00 dose of the 26th taken nine hours late, as the window
    of the later config would have it."""
    cli.config.write_text(config_text(extra='early_window = "1h"\n'))
    assert cli("take", at="2026-11-26 08:02:00").returncode == 0  # the log begins
    cli.config.write_text(config_text(extra='early_window = "30m"\n'))
    out = cli("take", "--at", "2026-11-27 07:10", at="2026-11-28 09:00:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Recorded: gabapentin 300 mg, 08:00 dose of 2026-11-27, taken at 07:10")
    assert rows(cli, "SELECT local_date, slot, status, taken_at FROM doses ORDER BY due") == [
        ("2026-11-26", "08:00", "taken", "2026-11-26T08:02:00+00:00"),
        ("2026-11-27", "08:00", "taken", "2026-11-27T07:10:00+00:00"),
    ]


def test_a_skip_recorded_later_is_judged_by_the_rules_of_its_time(cli: Cli) -> None:
    cli.config.write_text(config_text(extra='early_window = "1h"\n'))
    assert cli("take", at="2026-11-26 08:02:00").returncode == 0
    cli.config.write_text(config_text(extra='early_window = "30m"\n'))
    out = cli("skip", "--at", "2026-11-27 07:10", at="2026-11-28 09:00:00")
    assert out.returncode == 0, out.stderr
    assert rows(cli, "SELECT local_date, slot, status FROM doses WHERE status = 'skipped'") == [
        ("2026-11-27", "08:00", "skipped")]


@pytest.mark.system
def test_the_daemon_records_the_prescription_at_start_and_on_reload(cli: Cli, tmp_path) -> None:
    from tests.conftest import config_text
    from tests.daemon_process import DaemonProcess
    from tests.fakeclock import FakeClock

    cli.clock = FakeClock(tmp_path / "clock", utc("2026-11-28 09:00"))
    d = DaemonProcess(cli)
    try:
        d.wait_for(r"dose\(s\) scheduled")
        [(first,)] = rows(cli, "SELECT in_force_from FROM prescriptions")
        assert first.startswith("2026-11-28T09:00")
        cli.clock.set(utc("2026-11-28 12:00"))
        d.wait_for(r"the clock jumped by")  # the daemon sees 12:00 (libfaketime shows it within 2 s)
        cli.config.write_text(config_text(times='["08:00", "20:00"]'))
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for(r"config reloaded")
        recorded = rows(cli, "SELECT in_force_from, json_extract(prescription, '$.medications[0].times')"
                             " FROM prescriptions ORDER BY id")
        assert len(recorded) == 2 and recorded[1][0].startswith("2026-11-28T12:00")
        assert json.loads(recorded[1][1]) == ["08:00", "20:00"]
    finally:
        d.stop()
