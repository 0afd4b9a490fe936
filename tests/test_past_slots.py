"""A past day's slots come from the prescription in force on it, not today's config: `edit`
and `take --at` for yesterday after the evening slot moved today (issue 11, item 1's
leftovers). Services on a real SQLite log with an explicit `now`; the CLI in-process."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from reminderd import services
from reminderd.core.config.settings import Config, Medication
from reminderd.core.prescriptions import canonical_of
from reminderd.errors import UsageError
from reminderd.store import Store
from tests.conftest import Cli, config_text, rows

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")  # on UTC in November
YESTERDAY, TODAY = date(2026, 11, 20), date(2026, 11, 21)
BEFORE = Config(timezone=LONDON, medications=(
    Medication(name="gabapentin", dose="300 mg", times=(time(8), time(14), time(22))),))
AFTER = Config(timezone=LONDON, medications=(
    Medication(name="gabapentin", dose="300 mg", times=(time(8), time(14), time(21))),))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def moved(store: Store) -> Store:
    """22:00 prescribed since the 19th; moved to 21:00 this morning at 09:00."""
    store.record_prescription(canonical_of(BEFORE), utc("2026-11-19 07:00"))
    store.record_prescription(canonical_of(AFTER), utc("2026-11-21 09:00"))
    return store


def test_edit_of_yesterdays_slot_that_has_no_row_uses_yesterdays_prescription(moved: Store) -> None:
    dose = services.edit(moved, AFTER, "gabapentin", YESTERDAY, "22:00", utc("2026-11-21 10:00"),
                         "taken", utc("2026-11-20 22:10"), None)
    assert (dose.local_date, dose.slot, dose.due, dose.status, dose.taken_at) == (
        YESTERDAY, "22:00", utc("2026-11-20 22:00"), "taken", utc("2026-11-20 22:10"))
    # Yesterday had no 21:00 dose: nothing to edit there.
    with pytest.raises(UsageError, match="has no 21:00 dose on 2026-11-20; its slots that day are 08:00, "
                                         "14:00, 22:00"):
        services.edit(moved, AFTER, "gabapentin", YESTERDAY, "21:00", utc("2026-11-21 10:00"),
                      "taken", utc("2026-11-20 21:10"), None)


def test_edit_of_today_and_later_uses_the_config_as_now(moved: Store) -> None:
    now = utc("2026-11-21 23:00")
    assert services.edit(moved, AFTER, "gabapentin", TODAY, "21:00", now, "taken", utc("2026-11-21 21:05"),
                         None).slot == "21:00"
    with pytest.raises(UsageError, match="has no 22:00 dose on 2026-11-21"):
        services.edit(moved, AFTER, "gabapentin", TODAY, "22:00", now, "skipped", None, None)


def test_take_at_a_time_yesterday_finds_yesterdays_slot(moved: Store) -> None:
    answer = services.take(moved, AFTER, "gabapentin", utc("2026-11-20 22:05"), utc("2026-11-21 10:00"))
    d = answer.dose
    assert (d.local_date, d.slot, d.due, d.taken_at, d.late_minutes) == (
        YESTERDAY, "22:00", utc("2026-11-20 22:00"), utc("2026-11-20 22:05"), 5)
    assert [(x.local_date, x.slot) for x in moved.doses_on_dates(YESTERDAY, TODAY)] == [(YESTERDAY, "22:00")]


def test_skip_at_a_time_yesterday_finds_yesterdays_slot(moved: Store) -> None:
    d = services.skip(moved, AFTER, "gabapentin", utc("2026-11-20 22:05"), utc("2026-11-21 10:00"), None).dose
    assert (d.local_date, d.slot, d.status) == (YESTERDAY, "22:00", "skipped")


def test_a_take_tonight_still_finds_tonights_moved_slot(moved: Store) -> None:
    d = services.take(moved, AFTER, "gabapentin", utc("2026-11-21 21:05"), utc("2026-11-21 21:05")).dose
    assert (d.local_date, d.slot, d.late_minutes) == (TODAY, "21:00", 5)


def test_the_cli_answers_yesterdays_moved_slot(cli: Cli) -> None:
    """The issue's steps with the CLI on a fresh log: the evening slot moved from 22:00 to
    21:00 this morning; yesterday's 22:00 dose is edited and taken by its own time."""
    assert cli("status", at="2026-11-20 09:00:00").returncode == 0
    cli.config.write_text(config_text(times='["08:00", "14:00", "21:00"]'))
    out = cli("edit", "--date", "2026-11-20", "--slot", "22:00", "--status", "taken", "--taken-at", "22:10",
              at="2026-11-21 10:00:00")
    assert out.returncode == 0, out.stderr
    out = cli("take", "--at", "2026-11-20 14:05", at="2026-11-21 10:01:00")
    assert out.returncode == 0, out.stderr
    out = cli("take", "--at", "2026-11-20 22:05", at="2026-11-21 10:02:00")
    assert out.returncode != 0 and "already taken at 2026-11-20 22:10" in out.stderr, out.stderr
    assert rows(cli, "SELECT local_date, slot, status, taken_at FROM doses ORDER BY due") == [
        ("2026-11-20", "14:00", "taken", "2026-11-20T14:05:00+00:00"),
        ("2026-11-20", "22:00", "taken", "2026-11-20T22:10:00+00:00")]
