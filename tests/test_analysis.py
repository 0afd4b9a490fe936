"""Adherence against hand-worked values. Night labels: test_nights.py; the comparison:
test_effect.py and test_stats.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from zoneinfo import ZoneInfo

from reminderd.core.analysis.adherence import adherence
from reminderd.core.analysis.records import DoseOutcome, NightCheckin
from reminderd.errors import AnalysisError
from reminderd.core.analysis.stats import mean, median
from reminderd.core.schedule import local_instant

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
MONDAY = date(2024, 5, 6)  # a week with no DST change


def at(day: date, slot: str, tz: ZoneInfo = LONDON) -> datetime:
    return local_instant(day, time.fromisoformat(slot), tz)


def dose(
    day: date,
    slot: str,
    status: str = "taken",
    late: int = 0,
    medication: str = "gabapentin",
) -> DoseOutcome:
    """A dose due at `slot` local on `day`; taken `late` minutes after due (negative: early)."""
    due = at(day, slot)
    taken_at = due + timedelta(minutes=late) if status == "taken" else None
    return DoseOutcome(medication, day, slot, due, status, taken_at)


# Shorthand for a day's doses, one letter per slot: T taken on time, L taken 90 min late,
# S skipped, M missed, P pending (no answer), - no row at all.
LETTERS = {"T": ("taken", 5), "L": ("taken", 90), "S": ("skipped", 0), "M": ("missed", 0)}
LETTERS["P"] = ("pending", 0)


def days(pattern: str, slots: tuple[str, ...], first: date = MONDAY) -> list[DoseOutcome]:
    out = []
    for i, letters in enumerate(pattern.split()):
        for slot, letter in zip(slots, letters):
            if letter != "-":
                status, late = LETTERS[letter]
                out.append(dose(first + timedelta(days=i), slot, status, late))
    return out


ONE_A_DAY = ("20:00",)
FOUR_A_DAY = ("08:00", "12:00", "16:00", "20:00")
THREE_A_DAY = ("08:00", "14:00", "20:00")


# --------------------------------------------------------------------------- adherence

COUNT_FIELDS = ("due", "taken", "on_time", "late", "skipped", "missed", "not_recorded")


@pytest.mark.parametrize(
    "pattern, slots, now_day, now_slot, expected",
    [
        pytest.param("T T T", ONE_A_DAY, 2, "21:00", (3, 3, 3, 0, 0, 0, 0), id="1/day on time"),
        pytest.param("L M T", ONE_A_DAY, 2, "21:00", (3, 2, 1, 1, 0, 1, 0), id="1/day late,missed"),
        pytest.param("T T P", ONE_A_DAY, 2, "19:00", (2, 2, 2, 0, 0, 0, 0), id="1/day today ahead"),
        pytest.param("T T P", ONE_A_DAY, 2, "20:00", (2, 2, 2, 0, 0, 0, 0), id="1/day due == now"),
        pytest.param("T T P", ONE_A_DAY, 2, "20:01", (3, 2, 2, 0, 0, 0, 1), id="1/day unanswered"),
        pytest.param(
            "TLSP TTTT", FOUR_A_DAY, 1, "23:00", (8, 6, 5, 1, 1, 0, 1), id="4/day mixed"
        ),
        pytest.param(
            "TTTT TPPP", FOUR_A_DAY, 1, "13:00", (6, 5, 5, 0, 0, 0, 1), id="4/day today half"
        ),
        pytest.param(
            "TTTT TTTT", FOUR_A_DAY, 1, "10:00", (5, 5, 5, 0, 0, 0, 0), id="4/day early taken"
        ),
    ],
)
def test_adherence_counts(pattern, slots, now_day, now_slot, expected):
    now = at(MONDAY + timedelta(days=now_day), now_slot)
    result = adherence(days(pattern, slots), MONDAY, MONDAY + timedelta(days=6), now, tz=LONDON)
    assert tuple(getattr(result.total, f) for f in COUNT_FIELDS) == expected


@pytest.mark.parametrize(
    "minutes, outcome",
    [(0, "on_time"), (60, "on_time"), (61, "late"), (-60, "on_time"), (-61, "early")],
    ids=["exact", "+60 min", "+61 min", "-60 min", "-61 min"],
)
def test_on_time_window_is_inclusive_both_sides(minutes, outcome):
    """A dose taken more than the window before it was due is early, not late."""
    now = at(MONDAY, "23:00")
    result = adherence([dose(MONDAY, "12:00", late=minutes)], MONDAY, MONDAY, now, tz=LONDON)
    counts = {"on_time": result.total.on_time, "early": result.total.early, "late": result.total.late}
    assert counts == {k: int(k == outcome) for k in counts}
    assert result.total.taken == 1


def test_breakdown_by_medication_slot_and_weekday():
    doses = [
        dose(MONDAY, "08:00", "taken", 5, "gabapentin"),
        dose(MONDAY, "20:00", "missed", 0, "gabapentin"),
        dose(MONDAY, "08:00", "taken", 120, "baclofen"),
        dose(MONDAY + timedelta(days=1), "08:00", "skipped", 0, "baclofen"),
    ]
    result = adherence(doses, MONDAY, MONDAY + timedelta(days=1), at(date(2024, 5, 8), "09:00"),
                       tz=LONDON)
    assert list(result.by_medication) == ["baclofen", "gabapentin"]
    assert result.by_medication["baclofen"].taken == 1
    assert result.by_medication["baclofen"].late == 1
    assert result.by_medication["baclofen"].skipped == 1
    assert result.by_medication["gabapentin"].missed == 1
    assert list(result.by_slot) == ["08:00", "20:00"]
    assert result.by_slot["08:00"].due == 3 and result.by_slot["08:00"].on_time == 1
    assert list(result.by_weekday)[0] == "Monday" and len(result.by_weekday) == 7
    assert result.by_weekday["Monday"].due == 3
    assert result.by_weekday["Tuesday"].skipped == 1
    assert result.by_weekday["Sunday"].due == 0
    assert result.total.taken_share == pytest.approx(2 / 4)


def test_median_lateness_is_signed_minutes_of_taken_doses():
    doses = [dose(MONDAY, s, late=m) for s, m in
             [("08:00", 10), ("12:00", 30), ("16:00", -20), ("20:00", 90)]]
    doses.append(dose(MONDAY + timedelta(days=1), "08:00", "missed"))
    result = adherence(doses, MONDAY, MONDAY + timedelta(days=1), at(date(2024, 5, 9), "00:00"),
                       tz=LONDON)
    assert result.median_lateness_minutes == 20.0  # of -20, 10, 30, 90


def test_no_taken_dose_has_no_median_lateness():
    result = adherence(days("M", ONE_A_DAY), MONDAY, MONDAY, at(MONDAY, "23:00"), tz=LONDON)
    assert result.median_lateness_minutes is None


# Days Monday..Friday 2024-05-06..10, three doses a day; "now" is Friday 13:00, after the
# 08:00 dose and before the 14:00 one.
@pytest.mark.parametrize(
    "pattern, current, longest, bad_days",
    [
        pytest.param("TTT TTT TTT TTT TPP", 4, 4, 0, id="today open keeps streak"),
        pytest.param("TTT TTT TTT TTT TTT", 5, 5, 0, id="today all taken early counts"),
        pytest.param("TTT TTT TTT TTT PPP", 0, 4, 1, id="today unanswered dose breaks"),
        pytest.param("TTT TTT TTT TTT MPP", 0, 4, 1, id="today missed dose breaks"),
        pytest.param("TTT TMT TTT TTT TPP", 2, 2, 1, id="missed midweek"),
        pytest.param("TTT SSS TTT LLL TPP", 2, 2, 1, id="late doses still count"),
        pytest.param("TTT --- TTT TTT TPP", 2, 2, 0, id="day without rows breaks"),
        pytest.param("TTT TTT TPT TTT TPP", 1, 2, 1, id="old unanswered dose"),
        pytest.param("MTT TTT TTT PTT TPP", 0, 2, 2, id="two bad days"),
    ],
)
def test_streaks(pattern, current, longest, bad_days):
    now = at(date(2024, 5, 10), "13:00")
    result = adherence(days(pattern, THREE_A_DAY), MONDAY, date(2024, 5, 12), now, tz=LONDON)
    assert (result.current_streak, result.longest_streak, result.days_with_missed_dose) == (
        current,
        longest,
        bad_days,
    )


def test_streak_of_a_past_period_ends_at_until():
    now = at(date(2024, 5, 10), "13:00")
    result = adherence(days("MTT TTT TTT PTT TPP", THREE_A_DAY), MONDAY, date(2024, 5, 8), now,
                       tz=LONDON)
    assert (result.current_streak, result.longest_streak) == (2, 2)
    assert result.total.due == 9  # Thursday and Friday are outside the period


def test_today_is_the_local_date_of_now():
    # 23:30 UTC on Monday is already 00:30 on Tuesday in London (BST): Monday is complete.
    now = datetime(2024, 5, 6, 23, 30, tzinfo=UTC)
    result = adherence(days("T P", ONE_A_DAY), MONDAY, MONDAY + timedelta(days=1), now, tz=LONDON)
    assert result.current_streak == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda: DoseOutcome("g", MONDAY, "08:00", datetime(2024, 5, 6, 8), "pending"),
        lambda: DoseOutcome("g", MONDAY, "08:00", at(MONDAY, "08:00"), "gone"),
        lambda: DoseOutcome("g", MONDAY, "08:00", at(MONDAY, "08:00"), "taken"),
        lambda: DoseOutcome("g", MONDAY, "08:00", at(MONDAY, "08:00"), "taken",
                            datetime(2024, 5, 6, 8)),
        lambda: NightCheckin(MONDAY, 4),
        lambda: NightCheckin(MONDAY, 2, frequency=5),
        lambda: NightCheckin(MONDAY, 2, woke=-1),
    ],
    ids=["naive due", "unknown status", "taken without time", "naive taken_at",
         "severity 4", "frequency 5", "negative woke"],
)
def test_bad_inputs_are_refused(make):
    with pytest.raises(AnalysisError):
        make()


def test_adherence_refuses_an_empty_period():
    with pytest.raises(AnalysisError, match="after"):
        adherence([], MONDAY, MONDAY - timedelta(days=1), at(MONDAY, "12:00"), tz=LONDON)


# --------------------------------------------------------------------------- statistics


def test_mean_and_median():
    assert mean([1, 2, 3, 10]) == 4.0
    assert median([1, 2, 3, 10]) == 2.5
    assert mean([]) is None and median([]) is None
