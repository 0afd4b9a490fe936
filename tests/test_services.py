"""The one answering path on a real SQLite log, with an explicit `now`: the functions
the CLI, the notification buttons and the phone page all call."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from reminderd.core import doses as rules
from reminderd import services
from reminderd.core.config.settings import Config, Medication
from reminderd.errors import AlreadyTakenError, DoseError, TooCloseError, UsageError
from reminderd.core.schedule import slots_on
from reminderd.store import Store

UTC = timezone.utc
DAY = date(2026, 11, 28)  # London is on UTC in November
MED = Medication(name="gabapentin", dose="300 mg", times=(time(8), time(14), time(22)), supply=10)
CONFIG = Config(timezone=ZoneInfo("Europe/London"), medications=(MED,))


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 28, hour, minute, tzinfo=UTC)


def planned(store: Store, now: datetime) -> dict[str, int]:
    """The day's rows, as the daemon creates them; slot -> dose id."""
    store.ensure_doses(slots_on(CONFIG, DAY), now)
    return {d.slot: d.id for d in store.doses_on_dates(DAY, DAY)}


def kinds(store: Store) -> list[tuple[str, str]]:
    return [(e["kind"], e["source"]) for e in store.events() if e["dose_id"] is not None]


def test_a_button_take_is_the_same_as_a_cli_take(store: Store) -> None:
    ids = planned(store, at(7))
    answer = services.take_dose(store, CONFIG, ids["08:00"], at(8, 5), "notification")
    assert (answer.dose.status, answer.dose.via, answer.dose.taken_at, answer.dose.late_minutes) == (
        "taken", "notification", at(8, 5), 5)
    assert store.dose(ids["08:00"]) == answer.dose
    with pytest.raises(AlreadyTakenError, match="was already taken at 2026-11-28 08:05; it is recorded once"):
        services.take_dose(store, CONFIG, ids["08:00"], at(8, 6), "notification")
    with pytest.raises(DoseError, match="was already taken at 2026-11-28 08:05"):
        services.take(store, CONFIG, "gabapentin", at(8, 10), at(8, 10))
    assert kinds(store) == [("taken", "notification")]


def test_a_take_too_close_to_the_last_raises_and_writes_nothing(store: Store) -> None:
    ids = planned(store, at(7))
    services.take_dose(store, CONFIG, ids["08:00"], at(10, 30), "notification")
    before = store.events()
    with pytest.raises(TooCloseError):
        services.take_dose(store, CONFIG, ids["14:00"], at(13), "notification")
    assert store.events() == before and store.dose(ids["14:00"]).status == "pending"
    forced = services.take_dose(store, CONFIG, ids["14:00"], at(13), "notification", force=True)
    assert forced.dose.status == "taken"


def test_skip_and_snooze_a_known_dose(store: Store) -> None:
    ids = planned(store, at(7))
    snoozed = services.snooze_dose(store, CONFIG, ids["08:00"], at(8, 1), "phone")
    assert snoozed.dose.snoozed_until == at(8, 11)
    skipped = services.skip_dose(store, CONFIG, ids["08:00"], at(8, 2), "phone", "nausea")
    assert (skipped.dose.status, skipped.dose.via, skipped.dose.reason) == ("skipped", "phone", "nausea")
    assert kinds(store) == [("snoozed", "phone"), ("skipped", "phone")]


def test_an_unknown_dose_is_refused(store: Store) -> None:
    with pytest.raises(DoseError, match="there is no dose number 99 in the log"):
        services.take_dose(store, CONFIG, 99, at(8), "notification")


def test_undo_of_a_snooze_the_daemon_overtook_says_so_and_keeps_it_missed(store: Store) -> None:
    ids = planned(store, at(7))
    services.snooze_dose(store, CONFIG, ids["08:00"], at(8, 5), "notification")
    # The daemon gives the dose up at its limit, as Daemon.tick writes it.
    missed = rules.give_up_now(store.dose(ids["08:00"]), MED, at(11))
    store.save_dose(missed.dose, "missed", "daemon", at(11), {"reason": missed.dose.reason})
    event, dose = services.last_answer(store)
    assert event["kind"] == "snoozed"
    done = services.undo(store, CONFIG, event["id"], at(11, 30))
    assert (done.dose.status, done.dose.reason, done.dose.snoozed_until) == ("missed", "not answered", None)
    assert done.note == "after that answer the daemon counted it as missed at 2026-11-28 11:00"
    assert store.dose(ids["08:00"]) == done.dose
    # What the daemon decides next: nothing; it is not given up a second time, "not running".
    assert rules.decide(store.dose(ids["08:00"]), MED, at(11, 31)) == rules.Done()
    assert [k for k, _ in kinds(store)] == ["snoozed", "missed", "undone"]
    with pytest.raises(UsageError, match="there is no answer to undo"):
        services.last_answer(store)


def test_supply_counts_the_first_take_before_any_status(store: Store) -> None:
    # The very first command: a take of a dose taken ten minutes ago.
    services.take(store, CONFIG, None, at(7, 55), at(8, 5))
    assert services.supply_of(store, CONFIG, MED, at(8, 6)).tablets == 9
    services.take_dose(store, CONFIG, planned(store, at(8, 6))["14:00"], at(14), "notification")
    assert services.supply_of(store, CONFIG, MED, at(14, 1)).tablets == 8


@pytest.mark.parametrize("tablets", [float("inf"), float("nan"), 0.0, -3.0, 1e300])
def test_refill_refuses_what_is_not_a_count_of_tablets(store: Store, tablets: float) -> None:
    with pytest.raises(UsageError, match="expected a number of tablets more than 0 and at most 100000"):
        services.refill(store, CONFIG, "gabapentin", tablets, at(9))
    assert store.row_counts()["supply"] == 0


def test_edit_with_a_taken_time_alone_means_taken(store: Store) -> None:
    changed = services.edit(store, CONFIG, None, DAY, "08:00", at(20), None, at(8, 10), None)
    assert (changed.status, changed.taken_at, changed.late_minutes) == ("taken", at(8, 10), 10)
    [event] = store.events("corrected")
    assert json.loads(event["detail"])["before"]["status"] == "pending"
    assert changed.due + timedelta(minutes=10) == changed.taken_at
