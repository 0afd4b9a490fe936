"""One plan for every reader and writer (issue 21, items 1 and 2): the doses of any moment
as prescribed then, the same for `status`, `take`/`skip`/`edit`/`undo`, the report, the
phone page and the daemon. The CLI in-process with an explicit `now`, on a real log.

Times are in November, when Europe/London is on UTC. Baclofen was prescribed at 08:00 and
20:00 since the 20th; on the morning of the 21st the config moves it to 09:00 and 21:00,
and the first command that sees the change runs at 10:00: the change is in force from
10:00, so the 21st keeps its 08:00 dose (already due then) and has its evening dose at
21:00, and there is no 09:00 dose that day.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest

from reminderd import services
from reminderd.core import words
from reminderd.core.config.load import parse_config
from reminderd.core.prescriptions import History, Prescription, canonical_of
from reminderd.core.schedule import slots_on
from reminderd.store import Store
from tests.conftest import Cli, config_text, rows

UTC = timezone.utc
YESTERDAY, TODAY = "2026-11-20", "2026-11-21"


def baclofen(times: str) -> str:
    return f'\n[[medication]]\nname = "baclofen"\ndose = "10 mg"\ntimes = {times}\n'


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def table(out) -> list[list[str]]:
    """`status`'s table of today's doses as (slot, medication, rest of the line) rows."""
    lines = out.stdout.split("\n")
    body = lines[lines.index(next(line for line in lines if line.startswith("Today,"))) + 3:]
    found = []
    for line in body:
        if not line[:2].isdigit():
            break
        found.append(line.split(None, 2))
    return found


def state(rest: str) -> str:
    """The state column of a line of `status`'s table, after the dose ("300 mg")."""
    return rest.split(None, 2)[-1]


def dose_rows(cli: Cli, medication: str) -> list[tuple]:
    return rows(cli, f"SELECT local_date, slot, status, taken_at FROM doses WHERE medication = '{medication}'"
                     " ORDER BY due")


@pytest.fixture
def moved(cli: Cli) -> Cli:
    """Gabapentin at 08:00, 14:00, 22:00 and baclofen at 08:00, 20:00 since the 20th; this
    morning baclofen moved to 09:00 and 21:00 (first seen at 10:00)."""
    cli.config.write_text(config_text(extra=baclofen('["08:00", "20:00"]')))
    assert cli("status", at=f"{YESTERDAY} 07:00:00").returncode == 0  # the log begins
    cli.config.write_text(config_text(extra=baclofen('["09:00", "21:00"]')))
    return cli


# --------------------------------------------------------------------------- item 1


def test_status_shows_the_dose_already_due_when_the_slot_moved_and_not_the_one_moved_into_the_past(
        moved: Cli) -> None:
    out = moved("status", at=f"{TODAY} 10:00:00")
    assert out.returncode == 0, out.stderr
    assert [(slot, state(rest)) for slot, med, rest in table(out) if med == "baclofen"] == [
        ("08:00", "DUE (daemon not running)"), ("21:00", "upcoming")]


def test_a_take_after_the_move_answers_the_dose_status_shows(moved: Cli) -> None:
    out = moved("take", "baclofen", at=f"{TODAY} 10:00:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"Recorded: baclofen 10 mg, 08:00 dose of {TODAY}, taken at 10:00 (late, 2 h after).")
    status = moved("status", at=f"{TODAY} 10:05:00")
    assert [(slot, med) for slot, med, _ in table(status)] == [
        ("08:00", "baclofen"), ("08:00", "gabapentin"), ("14:00", "gabapentin"), ("21:00", "baclofen"),
        ("22:00", "gabapentin")]
    assert [state(rest) for _, med, rest in table(status) if med == "baclofen"] == ["taken 10:00 (+120 min)",
                                                                                     "upcoming"]
    # The dose is recorded once, whichever way it is asked for again.
    again = moved("take", "baclofen", "--at", "08:05", "--force", at=f"{TODAY} 10:10:00")
    assert again.returncode == 2 and f"08:00 dose of baclofen on {TODAY} was already taken" in again.stderr


def test_take_at_a_time_before_the_move_answers_the_dose_due_then(moved: Cli) -> None:
    out = moved("take", "baclofen", "--at", "08:05", at=f"{TODAY} 10:00:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"Recorded: baclofen 10 mg, 08:00 dose of {TODAY}, taken at 08:05 (on time, 5 min after).")
    assert dose_rows(moved, "baclofen") == [(TODAY, "08:00", "taken", f"{TODAY}T08:05:00+00:00")]


def test_edit_finds_the_dose_status_shows_and_not_the_slot_moved_into_the_past(moved: Cli) -> None:
    out = moved("edit", "baclofen", "--date", TODAY, "--slot", "08:00", "--status", "taken", "--taken-at", "08:10",
                at=f"{TODAY} 10:00:00")
    assert out.returncode == 0, out.stderr
    refused = moved("edit", "baclofen", "--date", TODAY, "--slot", "09:00", "--status", "taken",
                    at=f"{TODAY} 10:01:00")
    assert refused.returncode == 2
    assert refused.stderr == (f"reminderd: baclofen has no 09:00 dose on {TODAY}; its slots that day are "
                              "08:00, 21:00\n")


def test_the_report_counts_the_doses_status_showed_and_take_answered(moved: Cli) -> None:
    assert moved("take", "baclofen", at=f"{TODAY} 10:00:00").returncode == 0
    out = moved("report", "--since", TODAY, "--until", TODAY, "--format", "json", at="2026-11-22 12:00:00")
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout)["adherence"]["by_medication"]["baclofen"]
    assert (counts["due"], counts["taken"], counts["late"], counts["not_recorded"]) == (2, 1, 1, 1)
    assert "09:00" not in json.loads(out.stdout)["adherence"]["by_slot"]


@pytest.fixture
def abroad(cli: Cli) -> Cli:
    """Gabapentin in London since the 20th; this morning the config says Tokyo (first seen
    at 10:00 UTC, 19:00 in Tokyo)."""
    assert cli("status", at=f"{YESTERDAY} 07:00:00").returncode == 0
    cli.config.write_text(config_text(timezone="Asia/Tokyo"))
    return cli


def test_a_zone_change_during_the_day_keeps_the_dose_already_due_and_takes_it(abroad: Cli) -> None:
    status = abroad("status", at=f"{TODAY} 10:00:00")
    assert [(slot, state(rest)) for slot, _, rest in table(status)] == [
        ("08:00", "DUE (daemon not running)"), ("22:00", "upcoming")]
    out = abroad("take", at=f"{TODAY} 10:00:00")
    assert out.returncode == 0, out.stderr
    # Taken at 19:00 in Tokyo: the 08:00 dose of the 21st (08:00 in London, where the day began).
    assert out.stdout.startswith(f"Recorded: gabapentin 300 mg, 08:00 dose of {TODAY}, taken at 19:00 (late, 2 h after).")
    assert [(r[1], r[2]) for r in dose_rows(abroad, "gabapentin")] == [("08:00", "taken")]


# --------------------------------------------------------------------------- item 2


def test_take_all_at_a_past_time_takes_every_dose_prescribed_then(moved: Cli) -> None:
    out = moved("take", "--all", "--at", f"{YESTERDAY} 08:03", at=f"{TODAY} 10:00:00")
    assert out.returncode == 0, out.stderr
    assert [r[:3] for r in rows(moved, "SELECT medication, local_date, slot, status FROM doses ORDER BY medication")] \
        == [("baclofen", YESTERDAY, "08:00"), ("gabapentin", YESTERDAY, "08:00")]


def test_a_bare_take_at_a_past_time_finds_the_one_medication_due_then(moved: Cli) -> None:
    out = moved("take", "--at", f"{YESTERDAY} 20:05", at=f"{TODAY} 10:00:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"Recorded: baclofen 10 mg, 20:00 dose of {YESTERDAY}, taken at 20:05 (on time, 5 min after).")


@pytest.fixture
def added(cli: Cli) -> Cli:
    """Gabapentin alone since the 20th; baclofen added this morning (first seen at 10:00)."""
    assert cli("status", at=f"{YESTERDAY} 07:00:00").returncode == 0
    cli.config.write_text(config_text(extra=baclofen('["08:00", "20:00"]')))
    return cli


def test_take_all_at_a_time_before_a_medication_was_added_takes_only_what_was_prescribed(added: Cli) -> None:
    out = added("take", "--all", "--at", f"{YESTERDAY} 08:03", at=f"{TODAY} 10:00:00")
    assert out.returncode == 0, out.stderr
    assert rows(added, "SELECT medication, local_date, slot FROM doses") == [("gabapentin", YESTERDAY, "08:00")]


def test_a_bare_take_never_offers_a_medication_for_a_day_it_was_not_prescribed(added: Cli) -> None:
    out = added("take", "--at", f"{YESTERDAY} 08:03", at=f"{TODAY} 10:00:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"Recorded: gabapentin 300 mg, 08:00 dose of {YESTERDAY}")


def test_a_medication_taken_off_the_config_can_still_be_answered_for_a_day_it_was_prescribed(cli: Cli) -> None:
    cli.config.write_text(config_text(extra=baclofen('["08:00", "20:00"]')))
    assert cli("status", at=f"{YESTERDAY} 07:00:00").returncode == 0
    cli.config.write_text(config_text())
    report = cli("report", "--since", YESTERDAY, "--until", YESTERDAY, "--format", "json", at=f"{TODAY} 10:00:00")
    assert json.loads(report.stdout)["adherence"]["by_medication"]["baclofen"]["not_recorded"] == 2
    out = cli("take", "baclofen", "--at", f"{YESTERDAY} 20:05", at=f"{TODAY} 10:01:00")
    assert out.returncode == 0, out.stderr
    assert dose_rows(cli, "baclofen") == [(YESTERDAY, "20:00", "taken", f"{YESTERDAY}T20:05:00+00:00")]


# --------------------------------------------------------------------------- the rule of a change during a day


def test_a_slot_moved_to_a_time_already_past_is_that_days_dose_due_at_its_new_time(cli: Cli) -> None:
    """22:00 moved to 21:00 at 21:30: tonight's dose is the 21:00 one, due (late) at once,
    shown by status and answered by take; no 22:00 dose is left that day."""
    assert cli("status", at=f"{YESTERDAY} 07:00:00").returncode == 0
    cli.config.write_text(config_text(times='["08:00", "14:00", "21:00"]'))
    status = cli("status", at=f"{TODAY} 21:30:00")
    assert [(slot, state(rest)) for slot, _, rest in table(status)][2:] == [
        ("21:00", "DUE (daemon not running)")]
    out = cli("take", at=f"{TODAY} 21:35:00")
    assert out.stdout.startswith(f"Recorded: gabapentin 300 mg, 21:00 dose of {TODAY}, taken at 21:35 (on time, 35 min after).")


def test_a_slot_moved_later_after_its_dose_was_due_is_not_due_again_that_day(cli: Cli) -> None:
    """14:00 moved to 15:00 at 14:30, after the 14:00 dose was taken: the day keeps its
    three doses (08:00, the 14:00 one taken, 22:00), not a fourth at 15:00."""
    assert cli("take", "--at", "14:05", at=f"{TODAY} 14:10:00").returncode == 0
    cli.config.write_text(config_text(times='["08:00", "15:00", "22:00"]'))
    status = cli("status", at=f"{TODAY} 14:30:00")
    assert [slot for slot, _, _ in table(status)] == ["08:00", "14:00", "22:00"]
    refused = cli("take", "--at", "15:00", "--force", at=f"{TODAY} 15:00:00")
    assert refused.returncode == 2 and "the 14:00 dose of gabapentin on 2026-11-21 was already taken" in refused.stderr
    tomorrow = cli("status", at="2026-11-22 07:00:00")
    assert [slot for slot, _, _ in table(tomorrow)] == ["08:00", "15:00", "22:00"]


def test_an_answered_dose_of_a_slot_that_moved_stays_visible_and_answerable(cli: Cli) -> None:
    """Tonight's 22:00 dose skipped early at 20:30, then the slot moved to 23:00 at 21:00:
    the skipped 22:00 dose has no slot in the plan any more, and is still shown, edited
    and undone; the 23:00 dose is that night's dose."""
    assert cli("skip", "--at", "20:30", at=f"{TODAY} 20:30:00").returncode == 0
    cli.config.write_text(config_text(times='["08:00", "14:00", "23:00"]'))
    status = cli("status", at=f"{TODAY} 21:00:00")
    assert [(slot, state(rest)) for slot, _, rest in table(status)][2:] == [
        ("22:00", "skipped"), ("23:00", "upcoming")]
    out = cli("edit", "--date", TODAY, "--slot", "22:00", "--reason", "nausea", at=f"{TODAY} 21:01:00")
    assert out.returncode == 0, out.stderr
    out = cli("undo", "--yes", at=f"{TODAY} 21:02:00")
    assert out.returncode == 0 and "22:00 dose of gabapentin" in out.stdout, out.stderr


# --------------------------------------------------------------------------- the rules of a dose's own time


def test_each_candidate_dose_is_judged_by_the_rules_in_force_at_its_own_due_time(store: Store) -> None:
    """The early window went from 2 h to 30 min at 13:00. A take at 12:30, recorded at 13:10,
    is not the 14:00 dose taken early (by the rules of 12:30 its window opened at 12:00, but
    the 14:00 dose is prescribed with a 30 min window, opening at 13:30) but the forgotten
    08:00 dose, whose window stays open until the 14:00 dose's opens."""
    before = parse_config(config_text(extra='early_window = "2h"\n'), "test", lambda: "UTC")
    after = parse_config(config_text(extra='early_window = "30m"\n'), "test", lambda: "UTC")
    store.record_prescription(canonical_of(before), utc(f"{YESTERDAY} 07:00"))
    store.record_prescription(canonical_of(after), utc(f"{TODAY} 13:00"))
    d = services.take(store, after, "gabapentin", utc(f"{TODAY} 12:30"), utc(f"{TODAY} 13:10")).dose
    assert (d.slot, d.late_minutes) == ("08:00", 270)


# --------------------------------------------------------------------------- the plan in the core


def prescription(times: str, zone: str = "Europe/London"):
    return parse_config(config_text(timezone=zone, times=times), "test", lambda: "UTC")


THREE = prescription('["08:00", "14:00", "22:00"]')


def plan_of(*changes: tuple[str, object], day: str = TODAY) -> list[tuple[str, str]]:
    """(slot, due) of the plan on `day`, given (instant, prescription) records."""
    history = History([Prescription(utc(f"{YESTERDAY} 00:00"), THREE)]
                      + [Prescription(utc(at), p) for at, p in changes])
    midnight = datetime.combine(date.fromisoformat(day), time(0), UTC)
    return [(s.slot, s.due.strftime("%d %H:%M")) for s in history.plan(midnight - timedelta(days=1),
                                                                       midnight + timedelta(days=2))
            if s.local_date.isoformat() == day]


@pytest.mark.parametrize("changes, expected", [
    pytest.param([], [("08:00", "21 08:00"), ("14:00", "21 14:00"), ("22:00", "21 22:00")], id="no-change"),
    pytest.param([(f"{TODAY} 10:00", prescription('["09:00", "15:00", "21:00"]'))],
                 [("08:00", "21 08:00"), ("15:00", "21 15:00"), ("21:00", "21 21:00")], id="moved-later-at-10"),
    pytest.param([(f"{TODAY} 21:30", prescription('["08:00", "14:00", "21:00"]'))],
                 [("08:00", "21 08:00"), ("14:00", "21 14:00"), ("21:00", "21 21:00")], id="moved-into-the-past"),
    pytest.param([(f"{TODAY} 14:30", prescription('["09:00", "15:00", "21:00"]'))],
                 [("08:00", "21 08:00"), ("14:00", "21 14:00"), ("21:00", "21 21:00")], id="moved-after-it-was-due"),
    pytest.param([(f"{TODAY} 10:00", prescription('["08:00", "22:00"]'))],
                 [("08:00", "21 08:00"), ("22:00", "21 22:00")], id="fewer-doses"),
    pytest.param([(f"{TODAY} 15:00", prescription('["09:00", "21:00"]'))],
                 [("08:00", "21 08:00"), ("14:00", "21 14:00")], id="fewer-doses-all-already-due"),
    pytest.param([(f"{TODAY} 13:00", prescription('["08:00", "12:00", "18:00", "22:00"]'))],
                 [("08:00", "21 08:00"), ("12:00", "21 12:00"), ("18:00", "21 18:00"), ("22:00", "21 22:00")],
                 id="more-doses"),
    pytest.param([(f"{TODAY} 12:00", prescription('["08:00", "20:00"]')),
                  (f"{TODAY} 13:00", THREE)],
                 [("08:00", "21 08:00"), ("14:00", "21 14:00"), ("22:00", "21 22:00")], id="changed-and-back"),
    pytest.param([(f"{TODAY} 10:00", prescription('["08:00", "14:00", "22:00"]', "Asia/Tokyo"))],
                 [("08:00", "21 08:00"), ("22:00", "21 13:00")], id="to-tokyo"),
    pytest.param([(f"{TODAY} 19:00", prescription('["08:00", "14:00", "22:00"]', "Asia/Tokyo"))],
                 [("08:00", "21 08:00"), ("14:00", "21 14:00")], id="to-tokyo-in-the-evening"),
    pytest.param([(f"{TODAY} 12:00", prescription('["08:00", "14:00", "22:00"]', "America/New_York"))],
                 [("08:00", "21 08:00"), ("14:00", "21 19:00"), ("22:00", "22 03:00")], id="to-new-york"),
])
def test_the_plan_of_a_day_when_the_prescription_changes_during_it(changes, expected) -> None:
    assert plan_of(*changes) == expected


def test_a_medication_added_during_a_day_has_no_dose_before_it_was_added() -> None:
    added = parse_config(config_text(extra=baclofen('["08:00", "20:00"]')), "test", lambda: "UTC")
    history = History([Prescription(utc(f"{YESTERDAY} 00:00"), THREE), Prescription(utc(f"{TODAY} 08:30"), added)])
    planned = history.plan(utc(f"{TODAY} 00:00"), utc("2026-11-22 00:00"))
    assert [(s.medication, s.slot) for s in planned if s.medication == "baclofen"] == [("baclofen", "20:00")]


# --------------------------------------------------------------------------- the daemon and the phone page


def test_the_daemon_makes_rows_for_the_doses_status_shows(store: Store) -> None:
    """Started at 10:00 after the move, the daemon reminds the 08:00 dose (late) and plans
    21:00; it makes no 09:00 dose that neither status nor the report has."""
    from tests.test_daemon_clock import DrivenDaemon

    before = parse_config(config_text(extra=baclofen('["08:00", "20:00"]')), "test", lambda: "UTC")
    after = parse_config(config_text(extra=baclofen('["09:00", "21:00"]')), "test", lambda: "UTC")
    store.record_prescription(canonical_of(before), utc(f"{YESTERDAY} 07:00"))
    store.record_prescription(canonical_of(after), utc(f"{TODAY} 10:00"))
    d = DrivenDaemon(after, store, utc(f"{TODAY} 10:00"))
    try:
        assert store.conn.execute("SELECT slot, reminders_sent FROM doses WHERE medication = 'baclofen' AND "
                                  "local_date = ? ORDER BY due", (TODAY,)).fetchall() == [("08:00", 1), ("21:00", 0)]
    finally:
        d.close()



def baclofen_events(store: Store) -> list[tuple[str, str]]:
    """What the daemon did with baclofen's doses of today: (kind, slot) of each reminder and give-up."""
    return store.conn.execute(
        "SELECT e.kind, d.slot FROM events e JOIN doses d ON d.id = e.dose_id WHERE d.medication = 'baclofen' "
        "AND d.local_date = ? AND e.kind IN ('reminded', 'missed') ORDER BY e.id", (TODAY,)).fetchall()


def missed_at(store: Store, medication: str) -> list[tuple[str, str]]:
    return store.conn.execute(
        "SELECT d.slot, e.at FROM events e JOIN doses d ON d.id = e.dose_id WHERE e.kind = 'missed' AND "
        "d.medication = ? AND d.local_date = ? ORDER BY e.id", (medication, TODAY)).fetchall()



def run_with_a_reload(store: Store, before: str, after: str, reload_at: str, until: str) -> None:
    """A driven daemon on the config `before` (in force since yesterday) from 07:00 today,
    reloaded to `after` at `reload_at`, run on to `until`."""
    from tests.test_daemon_clock import DrivenDaemon

    first = parse_config(before, "test", lambda: "UTC")
    store.record_prescription(canonical_of(first), utc(f"{YESTERDAY} 07:00"))
    d = DrivenDaemon(first, store, utc(f"{TODAY} 07:00"))
    d.daemon._reload_config = lambda: parse_config(after, "test", lambda: "UTC")
    try:
        d.advance_to(utc(f"{TODAY} {reload_at}"))
        d.daemon.reload()
        d.advance_to(utc(f"{TODAY} {until}"))
    finally:
        d.close()

def test_the_daemon_reminds_and_gives_up_a_dose_the_log_plans_before_it_reloads(store: Store) -> None:
    """Baclofen added to the file and recorded by a command at 07:30: the daemon, still on
    the config without it, hears the write and makes its rows. Its 08:00 dose is reminded,
    and given up after the 1 h of its prescription, as status and the report judge it."""
    from tests.test_daemon_clock import DrivenDaemon

    before = parse_config(config_text(remind_every="20m"), "test", lambda: "UTC")
    added = parse_config(config_text(remind_every="20m", extra=baclofen('["08:00", "20:00"]') + 'give_up_after = "1h"\n'),
                         "test", lambda: "UTC")
    store.record_prescription(canonical_of(before), utc(f"{YESTERDAY} 07:00"))
    d = DrivenDaemon(before, store, utc(f"{TODAY} 07:00"))
    try:
        d.advance_to(utc(f"{TODAY} 07:30"))
        store.record_prescription(canonical_of(added), utc(f"{TODAY} 07:30"))  # as a command does
        d.answered_elsewhere()  # the watch hears the write
        d.advance_to(utc(f"{TODAY} 12:00"))
    finally:
        d.close()
    assert ("reminded", "08:00") in baclofen_events(store)
    assert missed_at(store, "baclofen") == [("08:00", f"{TODAY}T09:00:00+00:00")]



def test_a_running_daemon_reminds_a_medication_a_command_recorded_before_any_reload(clocked: Cli, daemon) -> None:
    """The same as a real process: baclofen added to the file while the daemon runs, and
    recorded by `status` before any reload. The daemon hears the write, reminds the 08:00
    dose at 08:00 and gives it up after the 4 s its prescription allows."""
    from tests.conftest import at

    clocked.clock.set(at("2026-11-28 07:58:00"))
    d = daemon()
    d.wait_for(r"dose\(s\) scheduled")
    clocked.config.write_text(clocked.config.read_text() + baclofen('["08:00"]') + 'give_up_after = "4s"\n')
    assert clocked("status").returncode == 0
    d.wait_for(r"2 dose\(s\) scheduled")  # its rows (today's, tomorrow's), made when it heard the write
    clocked.clock.set(at("2026-11-28 07:59:57"))
    d.wait_for(r"reminder 1: baclofen 10 mg, 08:00 dose of 2026-11-28")
    d.wait_for(r"missed: baclofen 08:00 dose of 2026-11-28 \(not answered\)")

def test_the_daemon_judges_a_dose_by_the_rules_it_fell_due_under_after_a_reload(store: Store) -> None:
    """Gabapentin's give-up window cut from 3 h to 1 h by a reload at 08:30: the 08:00 dose,
    due before the change, is given up at 11:00 as status shows it, not at 09:00."""
    run_with_a_reload(store, config_text(), config_text(give_up_after="1h"), reload_at="08:30", until="16:00")
    assert missed_at(store, "gabapentin") == [("08:00", f"{TODAY}T11:00:00+00:00"),
                                               ("14:00", f"{TODAY}T15:00:00+00:00")]


def test_the_daemon_gives_up_the_dose_of_a_medication_taken_off_the_config_after_it_was_due(store: Store) -> None:
    """Baclofen taken off the config by a reload at 08:30: its 08:00 dose, due then, stays
    in the plan (status shows it); the daemon reminds it on and gives it up at its time,
    and makes nothing of its 20:00 slot."""
    run_with_a_reload(store, config_text(extra=baclofen('["08:00", "20:00"]')), config_text(), reload_at="08:30",
                      until="23:00")
    assert missed_at(store, "baclofen") == [("08:00", f"{TODAY}T11:00:00+00:00")]
    assert [e for e in baclofen_events(store) if e[0] == "reminded"] == [("reminded", "08:00")] * 12


def test_the_daemon_leaves_open_a_row_that_nothing_prescribes(store: Store) -> None:
    """A pending row of a medication that neither the config nor any prescription of its
    days has (left by an old version, or imported): nothing says how to judge it, so it is
    neither reminded nor given up, and stays as the log has it."""
    from reminderd.core.schedule import Slot
    from tests.test_daemon_clock import DrivenDaemon

    config = parse_config(config_text(), "test", lambda: "UTC")
    store.record_prescription(canonical_of(config), utc(f"{YESTERDAY} 07:00"))
    store.ensure_doses([Slot(utc(f"{YESTERDAY} 20:00"), "ibuprofen", date(2026, 11, 20), "20:00", "200 mg")],
                       utc(f"{YESTERDAY} 06:00"))
    d = DrivenDaemon(config, store, utc(f"{TODAY} 07:00"))
    try:
        d.advance_to(utc(f"{TODAY} 16:00"))
    finally:
        d.close()
    assert store.conn.execute("SELECT status, reminders_sent FROM doses WHERE medication = 'ibuprofen'").fetchall() \
        == [("pending", 0)]

def test_rows_made_ahead_for_the_old_plan_go_when_the_change_is_recorded(moved: Cli) -> None:
    """The daemon made today's rows at midnight and stopped; the move is first seen at
    10:00. Its 20:00 row would otherwise stay beside the new 21:00 dose: two evening doses."""
    store = Store.open(moved.db)
    try:
        before = parse_config(config_text(extra=baclofen('["08:00", "20:00"]')), "test", lambda: "UTC")
        store.ensure_doses(slots_on(before, date(2026, 11, 21)), utc(f"{TODAY} 00:00"))
    finally:
        store.close()
    assert moved("log", at=f"{TODAY} 10:00:00").returncode == 0  # any command records the change
    status = moved("status", at=f"{TODAY} 20:30:00")
    assert [(slot, state(rest)) for slot, med, rest in table(status) if med == "baclofen"] == [
        ("08:00", "not recorded (daemon not running)"), ("21:00", "upcoming")]  # 08:00: its window is over
    assert rows(moved, "SELECT slot FROM doses WHERE medication = 'baclofen' ORDER BY due") == [("08:00",)]


def test_a_row_made_ahead_moves_with_its_slot_when_the_zone_change_is_recorded(cli: Cli) -> None:
    """Rows made in Tokyo for the day; back to London (first seen at 06:00 UTC): the row
    of the 22:00 dose, not yet due, follows London's 22:00 (21:00 UTC in summer time)
    instead of staying due at Tokyo's 22:00 (13:00 UTC)."""
    cli.config.write_text(config_text(timezone="Asia/Tokyo"))
    assert cli("status", at="2026-10-20 05:50:00").returncode == 0
    store = Store.open(cli.db)
    try:
        tokyo = parse_config(config_text(timezone="Asia/Tokyo"), "test", lambda: "UTC")
        store.ensure_doses(slots_on(tokyo, date(2026, 10, 20)), utc("2026-10-20 05:50"))
    finally:
        store.close()
    cli.config.write_text(config_text())
    assert cli("status", at="2026-10-20 06:00:00").returncode == 0
    assert rows(cli, "SELECT slot, due FROM doses WHERE local_date = '2026-10-20' AND due > '2026-10-20T06'") == [
        ("22:00", "2026-10-20T21:00:00+00:00")]
    out = cli("take", "--at", "22:05", at="2026-10-20 21:10:00")
    assert out.stdout.startswith("Recorded: gabapentin 300 mg, 22:00 dose of 2026-10-20, taken at 22:05 (on time, 5 min after)"), \
        out.stderr


def test_the_phone_page_lists_and_answers_the_doses_status_shows(moved: Cli) -> None:
    from reminderd.core.config.settings import RemoteSettings
    from reminderd.remote.app import PageApp
    from tests.test_remote import request

    assert moved("status", at=f"{TODAY} 10:00:00").returncode == 0  # as the daemon does, records the change
    config = parse_config(config_text(extra=baclofen('["09:00", "21:00"]')), "test", lambda: "UTC")
    app = PageApp(lambda: config, moved.db, lambda: utc(f"{TODAY} 10:00"), RemoteSettings(host="127.0.0.1", port=8765))
    try:
        phone, _ = app.pairings.redeem(app.pairings.new_code(None, words.PATIENT, utc(f"{TODAY} 10:00")),
                                       utc(f"{TODAY} 10:00"))
        page = request(app, cookie=phone).body
    finally:
        app.close()
    listed = re.findall(r"<h3>(\d\d:\d\d): (\w+)", page)
    assert [x for x in listed if x[1] == "baclofen"] == [("08:00", "baclofen"), ("21:00", "baclofen")]
    assert "Taken: 08:00 baclofen" in page and "09:00" not in page


# --------------------------------------------------------------------------- a medication the running config lacks


@pytest.fixture
def removed(cli: Cli) -> Cli:
    """Gabapentin and baclofen (08:00, 20:00) since the 20th; baclofen taken off the config
    this morning, the change first seen at 08:30: its 08:00 dose was due then and stays."""
    cli.config.write_text(config_text(extra=baclofen('["08:00", "20:00"]')))
    assert cli("status", at=f"{YESTERDAY} 07:00:00").returncode == 0
    cli.config.write_text(config_text())
    assert cli("status", at=f"{TODAY} 08:30:00").returncode == 0
    return cli


class Phone:
    """The phone page of a daemon whose running config is `config`, over the test's log,
    at `now`; a paired phone reads it and posts its buttons."""

    def __init__(self, cli: Cli, config: str, now: datetime) -> None:
        from reminderd.core.config.settings import RemoteSettings
        from reminderd.remote.app import PageApp

        parsed = parse_config(config, "test", lambda: "UTC")
        self.app = PageApp(lambda: parsed, cli.db, lambda: now, RemoteSettings(host="127.0.0.1", port=8765))
        self.cookie, _ = self.app.pairings.redeem(self.app.pairings.new_code(None, words.PATIENT, now), now)

    def page(self) -> str:
        from tests.test_remote import request

        return request(self.app, cookie=self.cookie).body

    def post(self, dose: str, action: str):
        from urllib.parse import urlencode

        from tests.test_remote import request

        token = re.search(r'name="form" value="([^"]+)"', self.page())[1]
        return request(self.app, "/dose", "POST", urlencode({"form": token, "dose": dose, "action": action}),
                       cookie=self.cookie)

    def close(self) -> None:
        self.app.close()


def listed(page: str) -> list[tuple[str, str]]:
    """The (slot, medication) of each dose the page lists, in order."""
    return re.findall(r"<h3>(\d\d:\d\d): (\w+)", page)


def with_buttons(page: str) -> list[str]:
    return re.findall(r'name="dose" value="([^"]+)"', page)


def said(answer) -> str:
    return re.search(r'class="status" role="status">([^<]*)', answer.body)[1]


def test_a_medication_taken_off_the_config_is_taken_as_status_says_for_its_dose_already_due(removed: Cli) -> None:
    status = removed("status", at=f"{TODAY} 08:40:00")
    assert [(slot, state(rest)) for slot, med, rest in table(status) if med == "baclofen"] == [
        ("08:00", "DUE (daemon not running)")]
    assert (f"Waiting for an answer: baclofen 08:00 dose of {TODAY} (due Sat 08:00); answer with: reminderd take "
            "baclofen") in status.stdout
    out = removed("take", "baclofen", at=f"{TODAY} 08:40:00")
    assert out.returncode == 0, out.stderr
    assert dose_rows(removed, "baclofen") == [(TODAY, "08:00", "taken", f"{TODAY}T08:40:00+00:00")]


def answer_on_the_page(cli: Cli, at: str, dose: str, action: str) -> tuple[str, object]:
    """The page of a daemon still on the config without baclofen, at `at` today: it lists
    the doses status lists, and `dose` with its buttons; (the page, the answer to `action`)."""
    status = cli("status", at=f"{TODAY} {at}:00")
    phone = Phone(cli, config_text(), utc(f"{TODAY} {at}"))
    try:
        page = phone.page()
        assert listed(page) == [(slot, med) for slot, med, _ in table(status)]
        assert dose in with_buttons(page)
        answer = phone.post(dose, action)
    finally:
        phone.close()
    assert answer.status == "200 OK", answer.body
    return page, answer


def test_the_phone_page_shows_and_answers_a_dose_of_a_medication_taken_off_the_config(removed: Cli) -> None:
    page, answer = answer_on_the_page(removed, "08:40", f"baclofen|{TODAY}|08:00", "taken")
    assert with_buttons(page) == [f"baclofen|{TODAY}|08:00", f"gabapentin|{TODAY}|08:00"]
    assert said(answer) == "Recorded: baclofen 10 mg, 08:00 dose taken at 08:40."
    assert rows(removed, "SELECT slot, status, via FROM doses WHERE medication = 'baclofen'") == [
        ("08:00", "taken", "phone")]


def test_the_phone_page_answers_a_dose_the_log_plans_before_the_daemon_reloads(added: Cli) -> None:
    """Baclofen added to the file and recorded by a command at 07:30; the daemon serving
    the page still runs on the config without it."""
    assert added("status", at=f"{TODAY} 07:30:00").returncode == 0
    _, answer = answer_on_the_page(added, "08:05", f"baclofen|{TODAY}|08:00", "skip")
    assert said(answer) == "Recorded: baclofen 08:00 dose skipped."
    assert rows(added, "SELECT local_date, slot, status, via FROM doses WHERE medication = 'baclofen'") == [
        (TODAY, "08:00", "skipped", "phone")]


@pytest.mark.parametrize("dose", [f"baclofen|{TODAY}|09:00", f"baclofen|{YESTERDAY}|20:00", f"nobody|{TODAY}|08:00",
                                  f"baclofen|{TODAY}|20:00"],
                         ids=["a-slot-never-planned", "given-up-and-not-shown", "no-such-medication",
                              "dropped-by-the-change"])
def test_the_phone_page_never_records_a_dose_it_does_not_show(removed: Cli, dose: str) -> None:
    phone = Phone(removed, config_text(), utc(f"{TODAY} 08:40"))
    try:
        assert dose not in with_buttons(phone.page())
        answer = phone.post(dose, "taken")
    finally:
        phone.close()
    assert answer.status == "409 Conflict"
    assert said(answer).endswith("cannot be answered taken now; nothing was changed.")
    assert rows(removed, "SELECT count(*) FROM doses") == [(0,)]


def test_an_old_open_row_given_up_at_start_is_not_reported_as_missed_while_stopped(store: Store) -> None:
    """A row an older version left open (baclofen taken off the config after its dose fell
    due, weeks ago) is given up at the first start by its own prescription; its contact is
    not told that reminderd "was not running" for a dose weeks old: only what fell due in
    the hours before a start is news."""
    from tests.test_daemon_clock import DrivenDaemon
    from tests.test_push import contact

    partner = contact("Partner", "json://127.0.0.1:9/alerts", '["not-running"]')
    before = parse_config(config_text(extra=baclofen('["08:00"]') + partner), "test", lambda: "UTC")
    after = parse_config(config_text(extra=partner), "test", lambda: "UTC")
    store.record_prescription(canonical_of(before), utc("2026-10-01 07:00"))
    store.ensure_doses([s for s in slots_on(before, date(2026, 10, 1)) if s.medication == "baclofen"],
                       utc("2026-10-01 07:00"))
    store.record_prescription(canonical_of(after), utc("2026-10-01 08:30"))
    d = DrivenDaemon(after, store, utc(f"{TODAY} 07:00"))
    try:
        d.daemon.push.started(utc(f"{TODAY} 07:00"))
    finally:
        d.daemon.push.stop()
        d.close()
    assert store.conn.execute("SELECT status FROM doses WHERE medication = 'baclofen'").fetchall() == [("missed",)]
    assert store.conn.execute("SELECT detail FROM events WHERE kind = 'push-due'").fetchall() == []
