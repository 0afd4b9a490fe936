"""The rules that used to live in the daemon and the CLI, now in the core, with plain
values and an explicit `now`: re-reminding after a restart, why a dose was given up and
whether the person is told, undoing an answer the daemon overtook, and what `status`
says of a slot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reminderd.core.doses import (
    Dose,
    Remind,
    Wait,
    correct,
    decide,
    give_up_now,
    next_unanswered,
    state_text,
    undo_answer,
)
from reminderd.core.config.settings import Medication
from reminderd.core.words import MISSED, PENDING, SKIPPED, TAKEN
from reminderd.errors import DoseError
from tests.test_doses import DAY, DUE, LIMIT, LONDON, MED, at, dose

PRN = Medication(name="ibuprofen", dose="200 mg", as_needed=True)


@pytest.mark.parametrize(
    "state, now, restarting, expected",
    [
        ({"reminders_sent": 2, "last_reminded_at": at(8, 15)}, at(8, 20), True, Remind(3, last=False)),
        ({"reminders_sent": 2, "last_reminded_at": at(8, 15)}, at(8, 20), False, Wait(at(8, 30))),
        ({}, at(7, 50), True, Wait(DUE)),  # never reminded, not due yet: nothing died with the last run
        ({"reminders_sent": 11, "last_reminded_at": at(10, 40)}, at(10, 50), True, Remind(12, last=True)),
    ],
    ids=["restart-reminds-at-once", "no-restart-waits", "restart-before-due-waits", "restart-near-limit-is-last"],
)
def test_decide_after_a_restart(state, now, restarting, expected):
    assert decide(dose(**state), MED, now, restarting=restarting) == expected


@pytest.mark.parametrize(
    "state, now, reason, tell",
    [
        ({"reminders_sent": 12}, LIMIT, "not answered", True),
        ({"reminders_sent": 12}, LIMIT + timedelta(seconds=119), "not answered", True),
        ({"reminders_sent": 12}, LIMIT + timedelta(minutes=2), "not running", False),
        ({}, LIMIT + timedelta(hours=1), "not running", True),  # never reminded: the person never heard of it
        ({}, LIMIT + timedelta(hours=12), "not running", False),  # long ago: only logged
        ({}, LIMIT + timedelta(hours=11, minutes=59), "not running", True),
    ],
    ids=["at-the-limit", "just-under-threshold", "threshold", "never-reminded", "late-notice-limit",
         "under-late-notice-limit"],
)
def test_give_up_now(state, now, reason, tell):
    missed = give_up_now(dose(**state), MED, now)
    assert (missed.dose.status, missed.dose.reason, missed.tell) == (MISSED, reason, tell)


@pytest.mark.parametrize(
    "before, now, overtaken, status, reason, note",
    [
        # undone inside the window: simply as before, reminded again
        (dose(), at(9), None, PENDING, None, None),
        # undone after the window: missed because unanswered, not revived to be given up "not running"
        (dose(), at(14), None, MISSED, "not answered", "its time to be answered ended at 2026-03-02 11:00"),
        # a snooze overtaken by the daemon's give-up: it stays missed, for the daemon's reason
        (dose(reminders_sent=3), at(11, 30), (LIMIT, "not answered"), MISSED, "not answered",
         "after that answer the daemon counted it as missed at 2026-03-02 11:00"),
        # an answer that was itself an edit back to pending; undone, it is taken again
        (dose(status=TAKEN, taken_at=at(8, 5)), at(12), (LIMIT, "not answered"), TAKEN, None,
         "after that answer the daemon counted it as missed at 2026-03-02 11:00"),
        # a late take of a missed dose, undone: missed as it was, with its reason
        (dose(status=MISSED, reason="not running"), at(12), None, MISSED, "not running", None),
    ],
    ids=["inside-window", "after-window", "overtaken-snooze", "overtaken-edit", "late-take-undone"],
)
def test_undo_answer(before, now, overtaken, status, reason, note):
    done = undo_answer(before, MED, now, overtaken, LONDON)
    assert (done.dose.status, done.dose.reason, done.note) == (status, reason, note)
    if status == MISSED:
        assert done.dose.snoozed_until is None and done.dose.answered_at is None


def test_undo_of_an_as_needed_take_voids_it():
    before = Dose(id=5, medication="ibuprofen", local_date=DAY, slot="PRN 1", dose="200 mg", due=at(9))
    done = undo_answer(before, PRN, at(9, 5), None, LONDON)
    assert (done.dose.status, done.dose.reason) == (SKIPPED, "undone: recorded by mistake")


@pytest.mark.parametrize(
    "row, due, now, expected",
    [
        (None, at(14), at(13), "upcoming"),
        (None, at(14), at(15), "DUE (daemon not running)"),
        (None, at(8), at(11), "not recorded (daemon not running)"),
        (dose(status=TAKEN, taken_at=at(8, 3), late_minutes=3), DUE, at(9), "taken 08:03 (+3 min)"),
        (dose(status=TAKEN, taken_at=at(8), late_minutes=0), DUE, at(9), "taken 08:00"),
        (dose(snoozed_until=at(8, 20), reminders_sent=1), DUE, at(8, 10), "snoozed until 08:20"),
        (dose(reminders_sent=2), DUE, at(8, 20), "DUE (reminded 2x)"),
        (dose(), DUE, at(8), "DUE"),
        (dose(), DUE, at(7), "upcoming"),
        (dose(status=MISSED, reason="not answered"), DUE, at(12), "missed (not answered)"),
        (dose(status=SKIPPED), DUE, at(12), "skipped"),
    ],
    ids=["no-row-upcoming", "no-row-in-window", "no-row-past-window", "taken-late", "taken-on-time", "snoozed",
         "reminded", "due", "row-upcoming", "missed", "skipped"],
)
def test_state_text(row, due, now, expected):
    assert state_text(row, due, MED, now, LONDON, log_began_at=at(0)) == expected


@pytest.mark.parametrize(
    "began, due, now, expected",
    [
        (at(13), at(8), at(14), "before the log began"),  # first used at 13:00: the 08:00 was never watched
        (None, at(8), at(14), "before the log began"),  # nothing recorded yet at all
        (at(13), at(14), at(15), "DUE (daemon not running)"),  # in its window: `take` still records it
        (at(8, 30), at(8), at(9), "DUE (daemon not running)"),  # in its window: the window decides first
        (at(7), at(8), at(14), "not recorded (daemon not running)"),
    ],
    ids=["due-before-it-began", "nothing-recorded", "after-it-began-in-window", "before-it-began-in-window",
         "after-it-began-past-window"],
)
def test_a_slot_with_no_row_before_the_log_began_is_not_called_not_recorded(began, due, now, expected):
    assert state_text(None, due, MED, now, LONDON, log_began_at=began) == expected


@pytest.mark.parametrize(
    "row, now, reminding, expected",
    [
        (None, at(9), True, "DUE"),  # a slot a new prescription added: the daemon makes its row now
        (None, at(12), True, "not recorded"),
        (dose(reminders_sent=1), at(11, 30), False, "not recorded (daemon not running)"),  # its window is over
        (dose(reminders_sent=1), at(10, 59), False, "DUE (reminded 1x)"),
        (dose(reminders_sent=4), at(11), True, "DUE (reminded 4x)"),  # the running daemon gives it up now
    ],
    ids=["no-row-reminding", "no-row-past-window-reminding", "row-past-window-nobody-reminding",
         "row-in-window-nobody-reminding", "row-at-its-limit-reminding"],
)
def test_the_daemon_not_running_is_said_only_when_it_is_not(row, now, reminding, expected):
    assert state_text(row, DUE, MED, now, LONDON, log_began_at=at(0), reminding=reminding) == expected


def test_next_unanswered_skips_a_dose_taken_early():
    # The day's doses as the plan gives them: rows, and slots with no row yet (id 0).
    taken_early = dose("14:00", status=TAKEN, taken_at=at(13))
    assert next_unanswered([dose("08:00", id=0), taken_early, dose("22:00", id=0)], at(13, 30)).slot == "22:00"
    assert next_unanswered([dose("08:00", id=0), dose("14:00", reminders_sent=0), dose("22:00", id=0)],
                           at(13, 30)).slot == "14:00"
    assert next_unanswered([dose("08:00", id=0), dose("22:00", id=0)], at(23)) is None
    as_needed = dose("14:00", id=2)._replace(slot="PRN 1")  # never "next": taken when needed
    assert next_unanswered([as_needed, dose("22:00", id=0)], at(13)).slot == "22:00"


@pytest.mark.parametrize(
    "state, status, taken_at, reason, expected",
    [
        ({}, None, at(8, 10), None, (TAKEN, at(8, 10), 10, None)),  # a taken time alone means taken
        ({}, TAKEN, None, None, (TAKEN, DUE, 0, None)),  # taken, at its due time
        ({"status": TAKEN, "taken_at": at(8, 5), "late_minutes": 5}, TAKEN, None, "asleep", (TAKEN, at(8, 5), 5, "asleep")),
        ({"status": TAKEN, "taken_at": at(8, 5), "late_minutes": 5}, MISSED, None, "asleep", (MISSED, None, None, "asleep")),
        ({"status": MISSED, "reason": "not answered"}, PENDING, None, None, (PENDING, None, None, None)),
        ({"status": MISSED, "reason": "not answered"}, SKIPPED, None, None, (SKIPPED, None, None, "not answered")),
    ],
    ids=["taken-at-alone", "taken-at-due", "reason-kept-time", "taken-to-missed", "missed-to-pending", "missed-to-skipped"],
)
def test_correct(state, status, taken_at, reason, expected):
    changed = correct(dose(**state), status, taken_at, reason, at(20), "cli", LONDON)
    assert (changed.status, changed.taken_at, changed.late_minutes, changed.reason) == expected


@pytest.mark.parametrize(
    "status, taken_at, message",
    [
        (SKIPPED, at(8, 10), "--taken-at goes with a taken dose; this one would be skipped"),
        (TAKEN, at(21), "2026-03-02 21:00 is in the future; a dose is recorded once taken"),
    ],
    ids=["taken-at-with-skipped", "future"],
)
def test_correct_refuses(status, taken_at, message):
    with pytest.raises(DoseError) as err:
        correct(dose(), status, taken_at, None, at(20), "cli", LONDON)
    assert str(err.value) == message


def test_a_reason_added_after_the_clock_was_set_back_keeps_the_taken_time():
    # Taken at 08:05; the clock was then set back to 07:00. The time it keeps was checked
    # when it was recorded; only a new time is checked against the clock.
    taken = dose(status=TAKEN, taken_at=at(8, 5), late_minutes=5)
    assert correct(taken, None, None, "asleep", at(7), "cli", LONDON).taken_at == at(8, 5)
    with pytest.raises(DoseError):
        correct(taken, None, at(8, 10), None, at(7), "cli", LONDON)
