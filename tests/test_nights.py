"""Each night labelled by its own doses: those due in the 24 h before bedtime, as they stood
at the check-in. Plain values and explicit instants."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

import pytest
from zoneinfo import ZoneInfo

from reminderd.core.analysis.records import DoseOutcome, NightCheckin, date_range
from reminderd.errors import AnalysisError
from reminderd.core.analysis.nights import label_nights
from reminderd.core.schedule import local_instant

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
BEDTIME, CHECKIN = time(23, 0), time(8, 30)
FRIDAY = date(2024, 5, 10)  # a week with no DST change
DAY = timedelta(days=1)
SATURDAY, THURSDAY = FRIDAY + DAY, FRIDAY - DAY


def at(day: date, slot: str, tz: ZoneInfo = LONDON) -> datetime:
    return local_instant(day, time.fromisoformat(slot), tz)


def dose(day: date, slot: str, status: str = "taken", late: int = 0, taken_at: datetime | None = None) -> DoseOutcome:
    """A dose due at `slot` on `day`, taken `late` minutes after due (negative: early)."""
    due = at(day, slot)
    if status == "taken" and taken_at is None:
        taken_at = due + timedelta(minutes=late)
    return DoseOutcome("gabapentin", day, slot, due, status, taken_at)


def label(doses, night=FRIDAY, answered=None, **kwargs):
    result = label_nights(doses, [NightCheckin(night, 1)], [night], bedtime=BEDTIME, checkin_time=CHECKIN,
                          tz=LONDON, answered={night: answered} if answered else None, **kwargs)
    return result.nights[0].label


@pytest.mark.parametrize(
    "doses, expected",
    [
        pytest.param([], None, id="no dose due"),
        pytest.param([dose(FRIDAY, "08:00"), dose(FRIDAY, "22:00", late=30)], "on_time", id="all on time"),
        pytest.param([dose(FRIDAY, "14:00", late=60)], "on_time", id="window inclusive late side"),
        pytest.param([dose(FRIDAY, "22:00", late=-60)], "on_time", id="window inclusive early side"),
        pytest.param([dose(FRIDAY, "14:00", late=61)], "late", id="late by a minute"),
        pytest.param([dose(FRIDAY, "14:00", late=-90)], "early", id="1.5 h early is early, not late"),
        pytest.param([dose(FRIDAY, "22:00", late=59, taken_at=at(FRIDAY, "23:00"))], "late",
                     id="taken at bedtime: during the night"),
        pytest.param([dose(FRIDAY, "22:00", taken_at=at(SATURDAY, "02:00"))], "late", id="taken during the night"),
        pytest.param([dose(FRIDAY, "22:00", taken_at=at(SATURDAY, "08:29"))], "late", id="taken before check-in"),
        pytest.param([dose(FRIDAY, "22:00", taken_at=at(SATURDAY, "08:31"))], "missed",
                     id="taken after the check-in: missed for that night"),
        pytest.param([dose(FRIDAY, "22:00", taken_at=at(SATURDAY + DAY, "12:00"))], "missed",
                     id="taken 38 h later: missed, not late"),
        pytest.param([dose(FRIDAY, "08:00", "missed")], "missed", id="missed"),
        pytest.param([dose(FRIDAY, "08:00", "skipped")], "missed", id="skipped"),
        pytest.param([dose(FRIDAY, "08:00", "pending")], "missed", id="never answered"),
        pytest.param([dose(FRIDAY, "08:00", late=-90), dose(FRIDAY, "14:00", late=90)], "late",
                     id="late outranks early"),
        pytest.param([dose(FRIDAY, "08:00", "missed"), dose(FRIDAY, "14:00", late=90)], "missed",
                     id="missed outranks late"),
        pytest.param([dose(THURSDAY, "23:00", "missed")], "missed", id="window start included"),
        pytest.param([dose(THURSDAY, "22:59", "missed")], None, id="the night before's dose"),
        pytest.param([dose(FRIDAY, "23:00", "missed")], None, id="due at bedtime: the next night's"),
        pytest.param([dose(SATURDAY, "08:00", "missed")], None,
                     id="Saturday's 08:00 dose, due after he woke, never labels Friday night"),
    ],
)
def test_night_label(doses, expected):
    assert label(doses) == expected


def test_fridays_own_morning_dose_labels_friday_night_not_thursday():
    doses = [dose(FRIDAY, "08:00", "missed")]
    nights = [THURSDAY, FRIDAY, SATURDAY]
    result = label_nights(doses, [NightCheckin(n, 1) for n in nights], nights, bedtime=BEDTIME,
                          checkin_time=CHECKIN, tz=LONDON)
    assert result.labels == {THURSDAY: None, FRIDAY: "missed", SATURDAY: None}


def test_an_earlier_answer_judges_the_doses_then():
    late_dose = [dose(FRIDAY, "22:00", taken_at=at(SATURDAY, "07:45"))]
    assert label(late_dose) == "late"
    # Answered at 07:30, before the dose was taken: for that night it was missed.
    assert label(late_dose, answered=at(SATURDAY, "07:30")) == "missed"
    # Answered days later: judged at the check-in time all the same.
    assert label(late_dose, answered=at(SATURDAY + 3 * DAY, "10:00")) == "late"


def test_a_checkin_answered_before_bedtime_judges_the_doses_at_bedtime():
    """Only an imported check-in can be answered before its night began; the evening dose
    taken at 22:30 is on time for that night, not missed at 20:00 when the answer claims
    to have been given."""
    evening = [dose(FRIDAY, "22:00", late=30)]
    result = label_nights(evening, [NightCheckin(FRIDAY, 1)], [FRIDAY], bedtime=BEDTIME, checkin_time=CHECKIN,
                          tz=LONDON, answered={FRIDAY: at(FRIDAY, "20:00")})
    assert result.nights[0].label == "on_time"
    assert result.nights[0].judged_at == at(FRIDAY, "23:00")


def test_the_night_records_its_window_and_when_it_was_judged():
    night = label_nights([], [NightCheckin(FRIDAY, 0)], [FRIDAY], bedtime=BEDTIME, checkin_time=CHECKIN,
                         tz=LONDON).nights[0]
    # 23:00 BST is 22:00 UTC; 08:30 BST is 07:30 UTC.
    assert night.window_start == datetime(2024, 5, 9, 22, 0, tzinfo=UTC)
    assert night.window_end == datetime(2024, 5, 10, 22, 0, tzinfo=UTC)
    assert night.judged_at == datetime(2024, 5, 11, 7, 30, tzinfo=UTC)


def test_nights_without_checkin_are_gaps_with_a_label():
    doses = [dose(THURSDAY, "20:00", "missed"), dose(FRIDAY, "20:00"), dose(SATURDAY, "20:00")]
    result = label_nights(doses, [NightCheckin(THURSDAY, 3), NightCheckin(SATURDAY, 1)],
                          [THURSDAY, FRIDAY, SATURDAY], bedtime=BEDTIME, checkin_time=CHECKIN, tz=LONDON)
    assert [(n.night, n.label, n.severity) for n in result.nights] == [(THURSDAY, "missed", 3),
                                                                      (SATURDAY, "on_time", 1)]
    assert result.no_checkin == (FRIDAY,)
    assert result.labels[FRIDAY] == "on_time"


def test_refusals():
    with pytest.raises(AnalysisError, match="two check-ins"):
        label_nights([], [NightCheckin(FRIDAY, 1), NightCheckin(FRIDAY, 2)], [FRIDAY], bedtime=BEDTIME,
                     checkin_time=CHECKIN, tz=LONDON)
    with pytest.raises(AnalysisError, match="not after the check-in time"):
        label_nights([], [], [FRIDAY], bedtime=time(8, 0), checkin_time=CHECKIN, tz=LONDON)


SPRING = date(2024, 3, 31)  # London: 01:00 GMT becomes 02:00 BST
AUTUMN = date(2024, 10, 27)  # London: 02:00 BST becomes 01:00 GMT


@pytest.mark.parametrize(
    "due, nights",
    [
        # The night of 30 March begins at 23:00 GMT; the night of 31 March at 23:00 BST, 23 h later.
        pytest.param(at(SPRING - DAY, "22:59"), {SPRING - DAY}, id="spring: a minute before bedtime"),
        pytest.param(at(SPRING - DAY, "23:00"), {SPRING}, id="spring: at bedtime, the next night"),
        pytest.param(at(SPRING, "01:30"), {SPRING}, id="spring: slot in the skipped hour"),
        pytest.param(at(SPRING, "22:59"), {SPRING}, id="spring: the 23 h window's last minute"),
        pytest.param(at(AUTUMN, "01:30"), {AUTUMN}, id="autumn: slot in the repeated hour"),
        pytest.param(at(AUTUMN - DAY, "23:00"), {AUTUMN}, id="autumn: the 25 h window's first minute"),
    ],
)
def test_dst_nights_in_london(due, nights):
    missed = DoseOutcome("gabapentin", due.astimezone(LONDON).date(), "x", due, "missed")
    span = date_range(SPRING - 3 * DAY, SPRING + DAY) + date_range(AUTUMN - 3 * DAY, AUTUMN + DAY)
    result = label_nights([missed], [NightCheckin(n, 1) for n in span], span, bedtime=BEDTIME,
                          checkin_time=CHECKIN, tz=LONDON)
    assert {n.night for n in result.nights if n.label == "missed"} == nights


def test_windows_tile_a_year_of_nights_on_the_wall_clock():
    """Every instant of a year with both DST changes is before exactly one night."""
    nights = date_range(date(2024, 1, 1), date(2024, 12, 31))
    result = label_nights([], [NightCheckin(n, 0) for n in nights], nights, bedtime=BEDTIME,
                          checkin_time=CHECKIN, tz=LONDON)
    windows = [(n.window_start, n.window_end) for n in result.nights]
    assert all(end == next_start for (_, end), (next_start, _) in zip(windows, windows[1:]))
    lengths = Counter(end - start for start, end in windows)
    assert lengths == {timedelta(hours=24): 364, timedelta(hours=23): 1, timedelta(hours=25): 1}


def test_a_dose_is_judged_by_the_on_time_window_of_its_prescription():
    due = at(FRIDAY, "14:00")
    wide = DoseOutcome("gabapentin", FRIDAY, "14:00", due, "taken", due + timedelta(minutes=90),
                       on_time_window=timedelta(hours=2))
    assert label([wide]) == "on_time"
    assert label([wide], on_time_window=timedelta(hours=2)) == "on_time"
    narrow = DoseOutcome("gabapentin", FRIDAY, "14:00", due, "taken", due + timedelta(minutes=90))
    assert label([narrow]) == "late"
