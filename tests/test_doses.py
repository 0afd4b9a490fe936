"""The dose state machine, with `now` always given: decide, take, skip, snooze, resolve_slot,
and what the notifications say."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from reminderd.core.config.settings import DEFAULT_ADVICE, Config, Medication
from reminderd.core.doses import (
    Done,
    Dose,
    GiveUp,
    Remind,
    Wait,
    advice_for_late_take,
    decide,
    give_up,
    give_up_at,
    missed_text,
    next_reminder_at,
    reminded,
    reminder_text,
    resolve_slot,
    skip,
    snooze,
    take,
)
from reminderd.core.words import MISSED, NOT_RUNNING, PENDING, SKIPPED, TAKEN
from reminderd.errors import DoseError

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 3, 2)  # a winter Monday: London time is UTC

MED = Medication(
    name="gabapentin",
    dose="300 mg",
    times=(time(8), time(14), time(22)),
    instructions="Swallow whole with water.",
)  # remind every 15m, give up after 3h, min gap 4h, snooze 10m, early window 2h
CONFIG = Config(timezone=LONDON, medications=(MED,))


def at(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def dose(slot: str = "08:00", day: date = DAY, id: int = 1, **changes) -> Dose:
    due = at(int(slot[:2]), int(slot[3:]), day=day)
    base = Dose(id=id, medication="gabapentin", local_date=day, slot=slot, dose="300 mg", due=due)
    return base._replace(**changes)


DUE = at(8)
LIMIT = at(11)  # due + give_up_after


# --- decide ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, now, expected",
    [
        pytest.param({}, at(6), Wait(DUE), id="pending-before-due"),
        pytest.param({}, at(7, 59, 59), Wait(DUE), id="a-second-before-due"),
        pytest.param({}, DUE, Remind(1, last=False), id="at-due-first-reminder"),
        pytest.param({}, at(9, 30), Remind(1, last=False), id="after-due-never-reminded"),
        pytest.param({}, at(10, 50), Remind(1, last=True), id="first-reminder-is-also-last"),
        pytest.param({"reminders_sent": 1, "last_reminded_at": DUE}, at(8, 5), Wait(at(8, 15)),
                     id="between-reminders"),
        pytest.param({"reminders_sent": 1, "last_reminded_at": DUE}, at(8, 15), Remind(2, last=False),
                     id="re-remind-after-remind-every"),
        pytest.param({"reminders_sent": 1, "last_reminded_at": DUE}, at(9, 0), Remind(2, last=False),
                     id="re-remind-late-is-still-one"),
        pytest.param({"reminders_sent": 11, "last_reminded_at": at(10, 30)}, at(10, 45), Remind(12, last=True),
                     id="last-reminder-one-interval-before-limit"),
        pytest.param({"reminders_sent": 11, "last_reminded_at": at(10, 29, 59)}, at(10, 44, 59),
                     Remind(12, last=False), id="not-last-a-second-earlier"),
        pytest.param({"reminders_sent": 12, "last_reminded_at": at(10, 45)}, at(10, 50), Wait(LIMIT),
                     id="after-last-waits-for-the-limit"),
        pytest.param({"reminders_sent": 12, "last_reminded_at": at(10, 50)}, at(10, 55), Wait(LIMIT),
                     id="wait-capped-at-limit"),
        pytest.param({"reminders_sent": 12, "last_reminded_at": at(10, 45)}, LIMIT, GiveUp(),
                     id="give-up-at-limit"),
        pytest.param({}, at(15), GiveUp(), id="give-up-never-reminded-machine-asleep"),
        pytest.param({"reminders_sent": 1, "last_reminded_at": DUE, "snoozed_until": at(8, 10)},
                     at(8, 5), Wait(at(8, 10)), id="snoozed-waits"),
        pytest.param({"reminders_sent": 1, "last_reminded_at": DUE, "snoozed_until": at(8, 10)},
                     at(8, 10), Remind(2, last=False), id="snooze-ends-reminds"),
        pytest.param({"reminders_sent": 1, "last_reminded_at": DUE, "snoozed_until": at(8, 40)},
                     at(8, 15), Wait(at(8, 40)), id="snooze-longer-than-remind-every-holds"),
        pytest.param({"reminders_sent": 1, "last_reminded_at": at(8, 15), "snoozed_until": at(8, 10)},
                     at(8, 20), Wait(at(8, 30)), id="spent-snooze-ignored"),
        pytest.param({"reminders_sent": 12, "last_reminded_at": at(10, 45), "snoozed_until": at(10, 55)},
                     at(10, 55), Remind(13, last=True), id="snooze-after-last-reminds-last-again"),
        pytest.param({"status": TAKEN, "taken_at": at(7)}, at(6), Done(), id="taken-early-before-due"),
        pytest.param({"status": TAKEN, "taken_at": DUE}, DUE, Done(), id="taken-at-due"),
        pytest.param({"status": TAKEN, "taken_at": at(9)}, at(12), Done(), id="taken-after-limit"),
        pytest.param({"status": SKIPPED}, DUE, Done(), id="skipped"),
        pytest.param({"status": MISSED}, at(12), Done(), id="missed-is-not-given-up-again"),
        pytest.param({"status": MISSED}, DUE, Done(), id="missed-not-reminded"),
    ],
)
def test_decide(state, now, expected):
    assert decide(dose(**state), MED, now) == expected


def test_next_reminder_at():
    assert next_reminder_at(dose(), MED) == DUE
    assert next_reminder_at(dose(last_reminded_at=at(8, 3)), MED) == at(8, 18)
    assert next_reminder_at(dose(last_reminded_at=DUE, snoozed_until=at(8, 7)), MED) == at(8, 7)
    assert give_up_at(dose(), MED) == LIMIT


@pytest.mark.parametrize("step", [timedelta(seconds=20), timedelta(minutes=1), timedelta(minutes=7)],
                         ids=["every-20s", "every-minute", "every-7-minutes"])
def test_deciding_twice_at_one_moment_reminds_once(step):
    d = dose()
    now = at(7)
    numbers = []
    while now < at(12):
        decision = decide(d, MED, now)
        if isinstance(decision, Remind):
            numbers.append((decision.number, decision.last))
            d = reminded(d, now)
            # a second timer, a restart or a clock check at the same moment
            assert not isinstance(decide(d, MED, now), Remind)
            assert not isinstance(decide(d, MED, now), Remind)
        elif isinstance(decision, GiveUp):
            d = give_up(d, now, "not answered")
            assert decide(d, MED, now) == Done()
            break
        now += step
    assert [n for n, _ in numbers] == list(range(1, len(numbers) + 1))
    assert [last for _, last in numbers].count(True) == 1
    assert numbers[-1][1] is True
    assert d.status == MISSED and d.reason == "not answered"
    if step == timedelta(minutes=1):
        assert len(numbers) == 12  # 08:00, 08:15, ... 10:45


def test_full_life_with_a_snooze():
    d = dose()
    assert decide(d, MED, DUE) == Remind(1, last=False)
    d = reminded(d, DUE)
    d = snooze(d, MED, at(8, 2))
    assert d.snoozed_until == at(8, 12)
    # the regular re-reminder at 08:15 is replaced by the snooze's
    assert decide(d, MED, at(8, 11)) == Wait(at(8, 12))
    assert decide(d, MED, at(8, 12)) == Remind(2, last=False)
    d = reminded(d, at(8, 12))
    assert decide(d, MED, at(8, 12)) == Wait(at(8, 27))
    d = take(d, MED, at(8, 20), at(8, 20), "notification")
    assert decide(d, MED, at(8, 27)) == Done()
    assert d.snoozed_until is None and d.reminders_sent == 2


def test_give_up():
    d = give_up(dose(reminders_sent=12, last_reminded_at=at(10, 45)), LIMIT, "not answered")
    assert (d.status, d.reason, d.answered_at) == (MISSED, "not answered", None)
    assert not d.open and not d.answered
    assert d.reminders_sent == 12


# --- take -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, taken_at, now, late",
    [
        pytest.param({}, at(6, 30), at(6, 30), -90, id="early"),
        pytest.param({}, DUE, DUE, 0, id="on-time"),
        pytest.param({"reminders_sent": 3, "snoozed_until": at(8, 50)}, at(8, 45), at(8, 45), 45,
                     id="late-while-snoozed"),
        pytest.param({}, at(8, 45), at(9, 30), 45, id="recorded-later-with-at"),
        pytest.param({"status": MISSED, "reason": "not answered"}, at(12), at(12), 240,
                     id="after-missed"),
        pytest.param({"status": SKIPPED, "reason": "nausea"}, at(9), at(9), 60,
                     id="after-skipped"),
        pytest.param({}, at(8, 0, 29), at(8, 0, 29), 0, id="seconds-round-to-minutes"),
        pytest.param({}, at(8, 1), DUE, 1, id="one-minute-ahead-of-now-allowed"),
    ],
)
def test_take(state, taken_at, now, late):
    d = take(dose(**state), MED, taken_at, now, "cli")
    assert d.status == TAKEN
    assert (d.taken_at, d.answered_at, d.via, d.late_minutes) == (taken_at, now, "cli", late)
    assert d.snoozed_until is None and d.reason is None
    assert d.answered and not d.open


def test_taken_twice_is_refused_naming_when():
    d = take(dose(), MED, at(8, 5), at(8, 5), "notification")
    with pytest.raises(DoseError) as info:
        take(d, MED, at(8, 30), at(8, 30), "cli")
    assert str(info.value) == (
        "the 08:00 dose of gabapentin on 2026-03-02 was already taken at 2026-03-02 08:05; "
        "it is recorded once"
    )


def test_taken_twice_names_the_local_time():
    summer = date(2026, 7, 2)
    d = dose(day=summer, due=datetime(2026, 7, 2, 7, tzinfo=UTC), status=TAKEN,
             taken_at=datetime(2026, 7, 2, 7, 5, tzinfo=UTC))
    with pytest.raises(DoseError) as info:
        take(d, MED, datetime(2026, 7, 2, 8, tzinfo=UTC), datetime(2026, 7, 2, 8, tzinfo=UTC), "cli",
             tz=LONDON)
    assert str(info.value) == (
        "the 08:00 dose of gabapentin on 2026-07-02 was already taken at 2026-07-02 08:05; "
        "it is recorded once"
    )


def test_taken_twice_is_refused_even_with_force():
    d = dose(status=TAKEN, taken_at=DUE)
    with pytest.raises(DoseError, match="already taken"):
        take(d, MED, at(9), at(9), "cli", force=True)


@pytest.mark.parametrize("ahead", [timedelta(minutes=1, seconds=1), timedelta(hours=3)],
                         ids=["just-over-a-minute", "hours"])
def test_future_take_is_refused(ahead):
    now = at(7)
    with pytest.raises(DoseError) as info:
        take(dose(), MED, now + ahead, now, "cli")
    when = (now + ahead).strftime("%Y-%m-%d %H:%M")
    assert str(info.value) == f"{when} is in the future; a dose is recorded once taken"


def test_future_take_refused_even_with_force():
    with pytest.raises(DoseError, match="is in the future"):
        take(dose(), MED, at(9), at(7), "cli", force=True)


PREVIOUS = dose("22:00", day=date(2026, 3, 1), id=7, status=TAKEN, taken_at=at(22, 10, day=date(2026, 3, 1)))
MORNING = dose("08:00", id=8, status=TAKEN, taken_at=at(8, 5))


@pytest.mark.parametrize(
    "slot, nearby, taken_at, message",
    [
        pytest.param(
            "14:00", [MORNING], at(11),
            "gabapentin was last taken 2h55m before that (the 08:00 dose of 2026-03-02); doses "
            "should be at least 4h apart. If you really took it, record it with --force",
            id="too-soon-after",
        ),
        pytest.param(
            "08:00", [PREVIOUS], at(1, 0),
            "gabapentin was last taken 2h50m before that (the 22:00 dose of 2026-03-01); doses "
            "should be at least 4h apart. If you really took it, record it with --force",
            id="too-soon-after-yesterdays",
        ),
        pytest.param(
            "22:00", [MORNING], at(6),
            "gabapentin was also taken 2h5m after that (the 08:00 dose of 2026-03-02); doses "
            "should be at least 4h apart. If you really took it, record it with --force",
            id="too-close-before-a-later-dose",
        ),
    ],
)
def test_min_gap_is_refused_unless_forced(slot, nearby, taken_at, message):
    d = dose(slot, id=9)
    with pytest.raises(DoseError) as info:
        take(d, MED, taken_at, at(12), "cli", taken_nearby=nearby)
    assert str(info.value) == message
    forced = take(d, MED, taken_at, at(12), "cli", taken_nearby=nearby, force=True)
    assert (forced.status, forced.taken_at) == (TAKEN, taken_at)


@pytest.mark.parametrize(
    "nearby",
    [
        [MORNING._replace(taken_at=at(8))],  # exactly min_gap apart
        [MORNING._replace(id=9)],  # the dose itself (an earlier, corrected record)
        [MORNING._replace(status=SKIPPED, taken_at=None)],  # not taken
        [],
    ],
    ids=["exactly-min-gap", "same-dose", "no-taken-at", "nothing-nearby"],
)
def test_min_gap_allows(nearby):
    d = take(dose("14:00", id=9), MED, at(12), at(12), "cli", taken_nearby=nearby)
    assert d.status == TAKEN


# --- skip and snooze ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [{}, {"reminders_sent": 2, "snoozed_until": at(8, 30)}, {"status": MISSED, "reason": "not answered"}],
    ids=["pending", "snoozed", "missed"],
)
def test_skip(state):
    d = skip(dose(**state), at(8, 20), "notification", "nausea")
    assert (d.status, d.via, d.reason, d.answered_at, d.snoozed_until) == (
        SKIPPED, "notification", "nausea", at(8, 20), None)
    assert decide(d, MED, at(8, 30)) == Done()


def test_skip_without_reason():
    assert skip(dose(), DUE, "cli").reason is None


@pytest.mark.parametrize(
    "state, message",
    [
        ({"status": TAKEN, "taken_at": DUE},
         "the 08:00 dose of gabapentin on 2026-03-02 was already taken; use `reminderd edit` to correct it"),
        ({"status": SKIPPED},
         "the 08:00 dose of gabapentin on 2026-03-02 was already skipped; use `reminderd edit` to correct it"),
    ],
    ids=["taken", "skipped"],
)
def test_skip_refused(state, message):
    with pytest.raises(DoseError) as info:
        skip(dose(**state), at(9), "cli")
    assert str(info.value) == message


@pytest.mark.parametrize(
    "now, length, until",
    [
        pytest.param(at(8, 2), None, at(8, 12), id="default-length"),
        pytest.param(at(8, 2), timedelta(minutes=30), at(8, 32), id="given-length"),
        pytest.param(at(10, 49), None, at(10, 59), id="just-before-limit"),
    ],
)
def test_snooze(now, length, until):
    d = snooze(dose(reminders_sent=1, last_reminded_at=DUE), MED, now, length)
    assert d.snoozed_until == until
    assert d.status == PENDING
    assert decide(d, MED, now) == Wait(until)
    assert decide(d, MED, until) == Remind(2, last=until + MED.remind_every >= LIMIT)


@pytest.mark.parametrize(
    "status", [TAKEN, SKIPPED, MISSED], ids=[TAKEN, SKIPPED, MISSED],
)
def test_snooze_refused_when_not_waiting(status):
    with pytest.raises(DoseError) as info:
        snooze(dose(status=status), MED, at(9))
    assert str(info.value) == (
        f"the 08:00 dose of gabapentin is {status}; only a dose still waiting for an answer can be snoozed"
    )


@pytest.mark.parametrize(
    "now, length, message",
    [
        pytest.param(at(10, 55), None,
                     "snoozing until 2026-03-02 11:05 would pass the time the dose is counted as "
                     "missed; snooze for less than 5m", id="default-past-limit"),
        pytest.param(at(10, 50), None,
                     "snoozing until 2026-03-02 11:00 would pass the time the dose is counted as "
                     "missed; snooze for less than 10m", id="exactly-at-limit"),
        pytest.param(at(9), timedelta(hours=2, minutes=30),
                     "snoozing until 2026-03-02 11:30 would pass the time the dose is counted as "
                     "missed; snooze for less than 2h", id="long-snooze"),
        pytest.param(at(10, 59, 30), None,
                     "snoozing until 2026-03-02 11:09 would pass the time the dose is counted as "
                     "missed; snooze for less than 30s", id="seconds-left"),
    ],
)
def test_snooze_refused_past_the_limit(now, length, message):
    with pytest.raises(DoseError) as info:
        snooze(dose(), MED, now, length)
    assert str(info.value) == message


def test_snooze_message_uses_local_time():
    summer = date(2026, 7, 2)
    d = dose(day=summer, due=datetime(2026, 7, 2, 7, tzinfo=UTC))  # 08:00 BST
    with pytest.raises(DoseError) as info:
        snooze(d, MED, datetime(2026, 7, 2, 9, 55, tzinfo=UTC), tz=LONDON)
    assert str(info.value).startswith("snoozing until 2026-07-02 11:05 would pass")


# --- resolve_slot -------------------------------------------------------------------------------

YESTERDAY = date(2026, 3, 1)
TODAY = [dose("08:00", id=1), dose("14:00", id=2), dose("22:00", id=3)]
WITH_YESTERDAY = [dose("22:00", day=YESTERDAY, id=0, status=MISSED), *TODAY]


@pytest.mark.parametrize(
    "doses, when, expected_id",
    [
        pytest.param(TODAY, at(6), 1, id="early-window-opens"),
        pytest.param(TODAY, at(7, 30), 1, id="early"),
        pytest.param(TODAY, at(8), 1, id="on-time"),
        pytest.param(TODAY, at(10, 30), 1, id="late"),
        pytest.param(TODAY, at(11, 59), 1, id="late-until-next-window-opens"),
        pytest.param(TODAY, at(12), 2, id="next-window-opens"),
        pytest.param(TODAY, at(22), 3, id="last-of-the-day"),
        pytest.param(TODAY, at(0, 59, day=date(2026, 3, 3)), 3, id="last-dose-until-give-up"),
        pytest.param(WITH_YESTERDAY, at(5, 59), 0, id="yesterdays-missed-dose-late"),
        pytest.param(WITH_YESTERDAY, at(6), 1, id="yesterdays-window-closes"),
        pytest.param(list(reversed(TODAY)), at(8), 1, id="order-of-rows-does-not-matter"),
        pytest.param([TODAY[0]._replace(status=MISSED), *TODAY[1:]], at(11, 30), 1,
                     id="missed-can-be-taken-late"),
        pytest.param([TODAY[0]._replace(status=TAKEN, taken_at=at(8, 5)), *TODAY[1:]], at(12, 30), 2,
                     id="answered-dose-passed-over"),
        pytest.param([TODAY[0]._replace(medication="baclofen"), *TODAY[1:]], at(12), 2,
                     id="other-medication-ignored"),
    ],
)
def test_resolve_slot(doses, when, expected_id):
    assert resolve_slot(doses, MED, when).id == expected_id


# Slots four hours apart: the 08:00 dose stays answerable until 11:00 (give_up_after), the
# 12:00 one from 10:00 (early_window); where both are open, the overdue dose wins.
CLOSE_MED = MED._replace(times=(time(8), time(12)))
CLOSE = [dose("08:00", id=1), dose("12:00", id=2)]


@pytest.mark.parametrize(
    "when, expected_id",
    [
        (at(9, 59), 1),
        (at(10), 1),  # a tie: the earlier dose
        (at(10, 1), 1),  # nearer to 12:00, but the overdue 08:00 dose is the one forgotten
        (at(10, 59), 1),
        (at(11), 2),
    ],
    ids=["only-first-open", "at-second-window-opening", "overdue-beats-nearer-early",
         "overdue-beats-nearer-early-late", "first-closed"],
)
def test_resolve_slot_overdue_wins_over_early(when, expected_id):
    assert resolve_slot(CLOSE, CLOSE_MED, when).id == expected_id


@pytest.mark.parametrize(
    "doses, when, tz, message",
    [
        pytest.param(
            [TODAY[0]._replace(status=TAKEN, taken_at=at(8, 5)), *TODAY[1:]], at(9), UTC,
            "the 08:00 dose of gabapentin on 2026-03-02 was already taken at 2026-03-02 08:05; "
            "nothing else is due around then",
            id="already-taken",
        ),
        pytest.param(
            [TODAY[0]._replace(status=SKIPPED), *TODAY[1:]], at(9), UTC,
            "the 08:00 dose of gabapentin on 2026-03-02 was already skipped; nothing else is due "
            "around then",
            id="already-skipped",
        ),
        pytest.param(
            TODAY, at(3), UTC,
            "no dose of gabapentin is due around 2026-03-02 03:00 (its slots are 08:00, 14:00, "
            "22:00); use --at to say when you took it",
            id="nothing-near",
        ),
        pytest.param(
            TODAY, at(5, 59), UTC,
            "no dose of gabapentin is due around 2026-03-02 05:59 (its slots are 08:00, 14:00, "
            "22:00); use --at to say when you took it",
            id="a-minute-before-the-early-window",
        ),
        pytest.param(
            [], datetime(2026, 7, 2, 2, tzinfo=UTC), LONDON,
            "no dose of gabapentin is due around 2026-07-02 03:00 (its slots are 08:00, 14:00, "
            "22:00); use --at to say when you took it",
            id="no-rows-local-time",
        ),
    ],
)
def test_resolve_slot_refuses(doses, when, tz, message):
    with pytest.raises(DoseError) as info:
        resolve_slot(doses, MED, when, tz)
    assert str(info.value) == message


# --- what the notifications say --------------------------------------------------------------

ADVICE = "Take it if you remember soon; never two at once."
TEXT_CONFIG = CONFIG._replace(missed_dose_advice=ADVICE)


@pytest.mark.parametrize(
    "now, decision, private, expected",
    [
        pytest.param(DUE, Remind(1, False), False,
                     ("gabapentin 300 mg", "08:00 dose\nSwallow whole with water."), id="first"),
        pytest.param(at(8, 0, 59), Remind(1, False), False,
                     ("gabapentin 300 mg", "08:00 dose\nSwallow whole with water."),
                     id="under-a-minute-is-not-late"),
        pytest.param(at(8, 15), Remind(2, False), False,
                     ("gabapentin 300 mg", "08:00 dose, 15 min late\nSwallow whole with water."),
                     id="minutes-late"),
        pytest.param(at(9, 5, 30), Remind(5, False), False,
                     ("gabapentin 300 mg", "08:00 dose, 1 h 5 min late\nSwallow whole with water."),
                     id="hours-late"),
        pytest.param(at(10, 45), Remind(12, True), False,
                     ("gabapentin 300 mg",
                      "08:00 dose, 2 h 45 min late\nSwallow whole with water.\n"
                      f"Last reminder: if not answered by 11:00 this dose is counted as missed. {ADVICE}"),
                     id="last"),
        pytest.param(at(8, 15), Remind(2, False), True,
                     ("Medication due", "08:00 dose, 15 min late"), id="private"),
        pytest.param(at(10, 45), Remind(12, True), True,
                     ("Medication due",
                      "08:00 dose, 2 h 45 min late\n"
                      f"Last reminder: if not answered by 11:00 this dose is counted as missed. {ADVICE}"),
                     id="private-last"),
    ],
)
def test_reminder_text(now, decision, private, expected):
    title, body = reminder_text(dose(), MED, TEXT_CONFIG, now, decision, private)
    assert (title, body) == expected
    if private:
        assert "gabapentin" not in title + body and "300 mg" not in title + body


@pytest.mark.parametrize("now, late, minutes", [(at(10, 59, 50), "2 h 59 min", 179), (at(10, 0, 20), "2 h", 120)],
                         ids=["seconds-short-of-a-minute", "whole-hours"])
def test_the_reminder_and_its_log_line_say_the_same_lateness(now, late, minutes):
    from reminderd.daemon.reminders import reminder_line

    _, body = reminder_text(dose(), MED, TEXT_CONFIG, now, Remind(4, False), False)
    assert body.startswith(f"08:00 dose, {late} late\n")  # not "2 h 0 min"
    assert reminder_line(MED, dose(), 4, False, now).endswith(f"08:00 dose of {DAY}, {minutes} min late")


def test_reminder_text_last_reminder_in_local_time():
    # 08:00 BST is 07:00 UTC; the dose is counted as missed at 11:00 BST.
    d = dose(day=date(2026, 7, 2), due=datetime(2026, 7, 2, 7, tzinfo=UTC))
    _, body = reminder_text(d, MED, TEXT_CONFIG, datetime(2026, 7, 2, 9, 45, tzinfo=UTC),
                            Remind(12, True), False)
    assert "if not answered by 11:00 this dose" in body
    assert body.startswith("08:00 dose, 2 h 45 min late\n")


def test_reminder_text_without_instructions():
    med = MED._replace(instructions="")
    assert reminder_text(dose(), med, TEXT_CONFIG, DUE, Remind(1, False), False) == (
        "gabapentin 300 mg", "08:00 dose")


def test_reminder_text_default_advice():
    _, body = reminder_text(dose(), MED, CONFIG, at(10, 45), Remind(12, True), False)
    assert body.endswith(DEFAULT_ADVICE)


@pytest.mark.parametrize(
    "private, expected",
    [
        (False, ("Missed: gabapentin 300 mg",
                 "The 08:00 dose was not answered and is now counted as missed. If you took it, "
                 f"record it with `reminderd take gabapentin --at 08:00`. {ADVICE}")),
        (True, ("Dose missed",
                "The 08:00 dose was not answered and is now counted as missed. If you took it, "
                f"record it with `reminderd take --at 08:00`. {ADVICE}")),
    ],
    ids=["named", "private"],
)
def test_missed_text(private, expected):
    title, body = missed_text(dose(status=MISSED), MED, TEXT_CONFIG, private)
    assert (title, body) == expected
    if private:
        assert "gabapentin" not in title + body and "300 mg" not in title + body


def test_missed_text_of_a_dose_no_daemon_reminded():
    _, body = missed_text(dose(status=MISSED, reason=NOT_RUNNING), MED, TEXT_CONFIG, False)
    assert body.startswith("The 08:00 dose fell due while reminderd was not running and is now counted as missed.")


# --- advice for a late take ------------------------------------------------------------------
# on_time_window 1h, near_next_dose 2h


@pytest.mark.parametrize(
    "due, next_due, taken_at, advised",
    [
        pytest.param(at(8), None, at(13), False, id="no-next-dose"),
        pytest.param(at(8), at(14), at(12), True, id="late-and-next-exactly-2h-away"),
        pytest.param(at(8), at(14), at(11, 59), False, id="next-more-than-2h-away"),
        pytest.param(at(8), at(14), at(13, 30), True, id="late-and-next-near"),
        pytest.param(at(8), at(14), at(14, 30), True, id="taken-after-the-next-was-due"),
        pytest.param(at(8), at(10), at(9), True, id="exactly-on-time-window-late"),
        pytest.param(at(8), at(10), at(8, 59), False, id="within-on-time-window"),
        pytest.param(at(8), at(10), at(7, 30), False, id="early"),
    ],
)
def test_advice_for_late_take(due, next_due, taken_at, advised):
    d = dose(due=due)
    got = advice_for_late_take(d, next_due, taken_at, TEXT_CONFIG)
    assert got == (ADVICE if advised else None)


@pytest.mark.parametrize("minutes, expected", [
    (0, "on time, to the minute"), (4, "on time, 4 min after"), (-10, "on time, 10 min before"),
    (60, "on time, 1 h after"), (61, "late, 1 h 1 min after"), (95, "late, 1 h 35 min after"),
    (-120, "early, 2 h before"), (-61, "early, 1 h 1 min before"),
])
def test_a_taken_doses_timing_reads_the_same_everywhere(minutes: int, expected: str) -> None:
    from reminderd.core.doses import timing

    assert timing(minutes, timedelta(hours=1)) == expected
