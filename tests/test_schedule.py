"""Slots in local time: once per local day whatever daylight saving does."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from reminderd.core.config.settings import Config, Medication
from reminderd.core.schedule import (
    Slot,
    local_days,
    local_instant,
    next_local_midnight,
    slots_between,
    slots_on,
)

UTC = timezone.utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def config(zone: str, *times: str, name: str = "gabapentin", extra: tuple[Medication, ...] = ()) -> Config:
    clock = tuple(time.fromisoformat(t) for t in (times or ("08:00", "14:00", "22:00")))
    # min_gap is validated by the config loader, not here: these configs are built directly.
    med = Medication(name=name, dose="300 mg", times=clock, min_gap=timedelta(0))
    return Config(timezone=ZoneInfo(zone), medications=(med, *extra))


# --- local_instant ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone, day, wall, expected",
    [
        # ordinary days
        ("Europe/London", date(2026, 1, 15), time(8, 0), utc(2026, 1, 15, 8, 0)),
        ("Europe/London", date(2026, 7, 15), time(8, 0), utc(2026, 7, 15, 7, 0)),
        ("UTC", date(2026, 7, 15), time(0, 0), utc(2026, 7, 15, 0, 0)),
        # local date differs from the UTC date
        ("Pacific/Auckland", date(2026, 1, 15), time(8, 0), utc(2026, 1, 14, 19, 0)),
        ("Pacific/Auckland", date(2026, 7, 15), time(8, 0), utc(2026, 7, 14, 20, 0)),
        ("America/Los_Angeles", date(2026, 7, 15), time(22, 0), utc(2026, 7, 16, 5, 0)),
        ("America/Los_Angeles", date(2026, 1, 15), time(22, 0), utc(2026, 1, 16, 6, 0)),
        # London spring 2026-03-29: 01:00 GMT -> 02:00 BST; 01:30 does not exist
        ("Europe/London", date(2026, 3, 29), time(0, 30), utc(2026, 3, 29, 0, 30)),
        ("Europe/London", date(2026, 3, 29), time(1, 0), utc(2026, 3, 29, 1, 0)),
        ("Europe/London", date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1, 30)),  # = 02:30 BST
        ("Europe/London", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 30)),
        ("Europe/London", date(2026, 3, 29), time(8, 0), utc(2026, 3, 29, 7, 0)),
        # London autumn 2026-10-25: 02:00 BST -> 01:00 GMT; 01:30 happens twice, first wins
        ("Europe/London", date(2026, 10, 25), time(0, 30), utc(2026, 10, 24, 23, 30)),
        ("Europe/London", date(2026, 10, 25), time(1, 0), utc(2026, 10, 25, 0, 0)),
        ("Europe/London", date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30)),
        ("Europe/London", date(2026, 10, 25), time(2, 0), utc(2026, 10, 25, 2, 0)),
        # New York spring 2026-03-08: 02:00 EST -> 03:00 EDT
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 30)),  # = 03:30 EDT
        ("America/New_York", date(2026, 3, 8), time(3, 30), utc(2026, 3, 8, 7, 30)),
        ("America/New_York", date(2026, 3, 8), time(1, 59), utc(2026, 3, 8, 6, 59)),
        # New York autumn 2026-11-01: 02:00 EDT -> 01:00 EST
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        ("America/New_York", date(2026, 11, 1), time(2, 0), utc(2026, 11, 1, 7, 0)),
        # Lord Howe shifts by half an hour: 02:00 -> 02:30 in spring, 02:00 -> 01:30 in autumn
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 45)),
        ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
        # midnight transitions: Santiago skips 00:00-01:00 on 2026-09-06 and repeats
        # 23:00-24:00 on 2026-04-04; Havana skips 00:00 on 2026-03-08 and repeats 00:00-01:00
        # on 2026-11-01; Beirut skips 00:00 on 2026-03-29
        ("America/Santiago", date(2026, 9, 6), time(0, 0), utc(2026, 9, 6, 4, 0)),  # = 01:00 -03
        ("America/Santiago", date(2026, 9, 6), time(0, 30), utc(2026, 9, 6, 4, 30)),
        ("America/Santiago", date(2026, 9, 6), time(1, 0), utc(2026, 9, 6, 4, 0)),
        ("America/Santiago", date(2026, 4, 4), time(23, 30), utc(2026, 4, 5, 2, 30)),
        ("America/Santiago", date(2026, 4, 5), time(0, 0), utc(2026, 4, 5, 4, 0)),
        ("America/Havana", date(2026, 3, 8), time(0, 0), utc(2026, 3, 8, 5, 0)),  # = 01:00 CDT
        ("America/Havana", date(2026, 11, 1), time(0, 0), utc(2026, 11, 1, 4, 0)),
        ("America/Havana", date(2026, 11, 1), time(0, 30), utc(2026, 11, 1, 4, 30)),
        ("Asia/Beirut", date(2026, 3, 29), time(0, 0), utc(2026, 3, 28, 22, 0)),
    ],
    ids=[
        "london-winter", "london-summer", "utc-midnight",
        "auckland-summer-utc-day-before", "auckland-winter-utc-day-before",
        "la-summer-utc-day-after", "la-winter-utc-day-after",
        "london-spring-before-gap", "london-spring-gap-start", "london-spring-in-gap",
        "london-spring-after-gap-same-instant", "london-spring-morning",
        "london-autumn-before", "london-autumn-repeated-start", "london-autumn-repeated-first",
        "london-autumn-after",
        "ny-spring-in-gap", "ny-spring-after-gap", "ny-spring-before-gap",
        "ny-autumn-repeated-first", "ny-autumn-after",
        "lord-howe-spring-half-hour-gap", "lord-howe-autumn-half-hour-repeat",
        "santiago-spring-midnight-skipped", "santiago-spring-0030-skipped",
        "santiago-spring-0100", "santiago-autumn-2330-first", "santiago-autumn-midnight",
        "havana-spring-midnight-skipped", "havana-autumn-midnight-first",
        "havana-autumn-0030-first", "beirut-spring-midnight-skipped",
    ],
)
def test_local_instant(zone, day, wall, expected):
    got = local_instant(day, wall, ZoneInfo(zone))
    assert got == expected
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    "zone, day, wall, local_wall",
    [
        ("Europe/London", date(2026, 3, 29), time(1, 30), datetime(2026, 3, 29, 2, 30)),
        ("America/New_York", date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 3, 30)),
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), datetime(2026, 10, 4, 2, 45)),
        ("America/Santiago", date(2026, 9, 6), time(0, 15), datetime(2026, 9, 6, 1, 15)),
    ],
    ids=["london", "new-york", "lord-howe-30min", "santiago-midnight"],
)
def test_skipped_time_is_shifted_forward_by_the_gap(zone, day, wall, local_wall):
    # RFC 5545: a time in the gap falls due the length of the gap later.
    got = local_instant(day, wall, ZoneInfo(zone)).astimezone(ZoneInfo(zone))
    assert got.replace(tzinfo=None) == local_wall


@pytest.mark.parametrize(
    "zone, day, wall",
    [
        ("Europe/London", date(2026, 10, 25), time(1, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30)),
        ("America/Havana", date(2026, 11, 1), time(0, 0)),
        ("America/Santiago", date(2026, 4, 4), time(23, 30)),
    ],
    ids=["london", "new-york", "havana-midnight", "santiago-2330"],
)
def test_repeated_time_is_its_first_occurrence(zone, day, wall):
    tz = ZoneInfo(zone)
    got = local_instant(day, wall, tz)
    second = datetime.combine(day, wall, tzinfo=tz).replace(fold=1).astimezone(UTC)
    assert got < second
    assert got == second - timedelta(hours=1)
    assert got.astimezone(tz).replace(tzinfo=None) == datetime.combine(day, wall)


# --- slots_on -----------------------------------------------------------------------------


def test_slots_on_an_ordinary_day():
    cfg = config("Europe/London")
    assert slots_on(cfg, date(2026, 1, 15)) == [
        Slot(utc(2026, 1, 15, 8), "gabapentin", date(2026, 1, 15), "08:00", "300 mg"),
        Slot(utc(2026, 1, 15, 14), "gabapentin", date(2026, 1, 15), "14:00", "300 mg"),
        Slot(utc(2026, 1, 15, 22), "gabapentin", date(2026, 1, 15), "22:00", "300 mg"),
    ]


def test_slots_on_sorts_several_medications_by_due_time():
    baclofen = Medication(name="baclofen", dose="10 mg", times=(time(7), time(14), time(21)))
    cfg = config("Europe/London", extra=(baclofen,))
    got = [(s.slot, s.medication, s.dose) for s in slots_on(cfg, date(2026, 1, 15))]
    assert got == [
        ("07:00", "baclofen", "10 mg"),
        ("08:00", "gabapentin", "300 mg"),
        ("14:00", "baclofen", "10 mg"),
        ("14:00", "gabapentin", "300 mg"),
        ("21:00", "baclofen", "10 mg"),
        ("22:00", "gabapentin", "300 mg"),
    ]


def test_slots_on_keeps_the_local_date_when_the_utc_date_differs():
    cfg = config("Pacific/Auckland", "08:00", "22:00")
    got = slots_on(cfg, date(2026, 1, 15))
    assert [(s.due, s.local_date, s.slot) for s in got] == [
        (utc(2026, 1, 14, 19), date(2026, 1, 15), "08:00"),
        (utc(2026, 1, 15, 9), date(2026, 1, 15), "22:00"),
    ]


@pytest.mark.parametrize(
    "zone, day, times, expected_dues",
    [
        ("Europe/London", date(2026, 3, 29), ("00:30", "01:30", "02:30", "08:00"),
         [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 7)]),
        ("Europe/London", date(2026, 10, 25), ("00:30", "01:30", "02:30", "08:00"),
         [utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30), utc(2026, 10, 25, 8)]),
        ("America/New_York", date(2026, 3, 8), ("01:30", "02:30", "08:00"),
         [utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 12)]),
        ("America/New_York", date(2026, 11, 1), ("01:30", "08:00"),
         [utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 13)]),
        ("America/Santiago", date(2026, 9, 6), ("00:00", "08:00"),
         [utc(2026, 9, 6, 4), utc(2026, 9, 6, 11)]),
        ("America/Havana", date(2026, 11, 1), ("00:00", "08:00"),
         [utc(2026, 11, 1, 4), utc(2026, 11, 1, 13)]),
    ],
    ids=["london-spring", "london-autumn", "ny-spring", "ny-autumn", "santiago-spring-midnight",
         "havana-autumn-midnight"],
)
def test_slots_on_a_dst_day_has_each_slot_once(zone, day, times, expected_dues):
    got = slots_on(config(zone, *times), day)
    assert sorted(s.slot for s in got) == sorted(times)
    assert all(s.local_date == day for s in got)
    assert sorted(s.due for s in got) == expected_dues


# --- slots_between ------------------------------------------------------------------------


def between(zone: str, start: datetime, end: datetime, *times: str) -> list[tuple[date, str, datetime]]:
    return [(s.local_date, s.slot, s.due) for s in slots_between(config(zone, *times), start, end)]


@pytest.mark.parametrize(
    "zone, start, end, expected",
    [
        pytest.param("Europe/London", utc(2026, 1, 15), utc(2026, 1, 16),
                     [(date(2026, 1, 15), "08:00", utc(2026, 1, 15, 8)),
                      (date(2026, 1, 15), "14:00", utc(2026, 1, 15, 14)),
                      (date(2026, 1, 15), "22:00", utc(2026, 1, 15, 22))],
                     id="london-one-day"),
        pytest.param("Europe/London", utc(2026, 1, 15, 8), utc(2026, 1, 15, 14),
                     [(date(2026, 1, 15), "08:00", utc(2026, 1, 15, 8))],
                     id="start-included-end-excluded"),
        pytest.param("Europe/London", utc(2026, 1, 15, 8), utc(2026, 1, 15, 8), [],
                     id="empty-window"),
        pytest.param("Europe/London", utc(2026, 1, 15, 20), utc(2026, 1, 16, 10),
                     [(date(2026, 1, 15), "22:00", utc(2026, 1, 15, 22)),
                      (date(2026, 1, 16), "08:00", utc(2026, 1, 16, 8))],
                     id="across-local-midnight"),
        pytest.param("Pacific/Auckland", utc(2026, 1, 14, 18), utc(2026, 1, 14, 20),
                     [(date(2026, 1, 15), "08:00", utc(2026, 1, 14, 19))],
                     id="auckland-slot-on-the-next-local-day"),
        pytest.param("Pacific/Auckland", utc(2026, 1, 15, 0), utc(2026, 1, 15, 12),
                     [(date(2026, 1, 15), "14:00", utc(2026, 1, 15, 1)),
                      (date(2026, 1, 15), "22:00", utc(2026, 1, 15, 9))],
                     id="auckland-utc-day"),
        pytest.param("Pacific/Auckland", utc(2026, 1, 15, 8), utc(2026, 1, 15, 20),
                     [(date(2026, 1, 15), "22:00", utc(2026, 1, 15, 9)),
                      (date(2026, 1, 16), "08:00", utc(2026, 1, 15, 19))],
                     id="auckland-two-local-days-one-utc-day"),
        pytest.param("America/Los_Angeles", utc(2026, 7, 16, 4), utc(2026, 7, 16, 6),
                     [(date(2026, 7, 15), "22:00", utc(2026, 7, 16, 5))],
                     id="la-slot-on-the-previous-local-day"),
        pytest.param("America/Los_Angeles", utc(2026, 7, 15, 20), utc(2026, 7, 16, 16),
                     [(date(2026, 7, 15), "14:00", utc(2026, 7, 15, 21)),
                      (date(2026, 7, 15), "22:00", utc(2026, 7, 16, 5)),
                      (date(2026, 7, 16), "08:00", utc(2026, 7, 16, 15))],
                     id="la-across-local-midnight"),
        pytest.param("Europe/London", utc(2026, 10, 24, 23), utc(2026, 10, 26, 0),
                     [(date(2026, 10, 25), "08:00", utc(2026, 10, 25, 8)),
                      (date(2026, 10, 25), "14:00", utc(2026, 10, 25, 14)),
                      (date(2026, 10, 25), "22:00", utc(2026, 10, 25, 22))],
                     id="london-autumn-25-hour-day"),
        pytest.param("America/New_York", utc(2026, 3, 8, 5), utc(2026, 3, 9, 4),
                     [(date(2026, 3, 8), "08:00", utc(2026, 3, 8, 12)),
                      (date(2026, 3, 8), "14:00", utc(2026, 3, 8, 18)),
                      (date(2026, 3, 8), "22:00", utc(2026, 3, 9, 2))],
                     id="ny-spring-23-hour-day"),
    ],
)
def test_slots_between(zone, start, end, expected):
    assert between(zone, start, end) == expected


@pytest.mark.parametrize(
    "zone, start, end, expected",
    [
        pytest.param("Europe/London", utc(2026, 3, 29, 0), utc(2026, 3, 29, 2),
                     [(date(2026, 3, 29), "01:30", utc(2026, 3, 29, 1, 30))],
                     id="london-spring-gap-once"),
        pytest.param("Europe/London", utc(2026, 10, 24, 23), utc(2026, 10, 25, 3),
                     [(date(2026, 10, 25), "01:30", utc(2026, 10, 25, 0, 30))],
                     id="london-autumn-repeat-once"),
        pytest.param("America/New_York", utc(2026, 3, 8, 5), utc(2026, 3, 8, 9),
                     [(date(2026, 3, 8), "01:30", utc(2026, 3, 8, 6, 30))],
                     id="ny-spring-0130-exists"),
        pytest.param("America/New_York", utc(2026, 11, 1, 4), utc(2026, 11, 1, 8),
                     [(date(2026, 11, 1), "01:30", utc(2026, 11, 1, 5, 30))],
                     id="ny-autumn-repeat-once"),
    ],
)
def test_slots_between_dst_nights(zone, start, end, expected):
    assert between(zone, start, end, "01:30", "12:00") == expected


def test_slots_between_ny_spring_gap_slot():
    assert between("America/New_York", utc(2026, 3, 8, 5), utc(2026, 3, 8, 9), "02:30") == [
        (date(2026, 3, 8), "02:30", utc(2026, 3, 8, 7, 30)),
    ]


def test_adjacent_windows_neither_lose_nor_repeat_a_slot():
    cfg = config("America/New_York", "00:00", "01:30", "02:30", "08:00", "23:30")
    cuts = [utc(2026, 3, 1) + timedelta(hours=7 * i) for i in range(40)]
    pieces = [s for a, b in zip(cuts, cuts[1:]) for s in slots_between(cfg, a, b)]
    assert pieces == slots_between(cfg, cuts[0], cuts[-1])


# --- a whole year, several zones ------------------------------------------------------------

YEAR_ZONES = ["Europe/London", "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe",
              "America/Santiago", "America/Havana", "Asia/Beirut", "UTC"]
YEAR_TIMES = ("00:00", "00:30", "01:30", "02:15", "02:30", "08:00", "14:00", "22:00", "23:30")


def expected_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """An independent oracle: try every UTC offset the zone uses around that day; the first
    instant that reads as `wall` wins; if none does, the wall time is in a gap and is read
    with the offset before the gap (the smaller one)."""
    naive = datetime.combine(day, wall)
    offsets = {
        (datetime.combine(day, time(12)) + timedelta(hours=h)).replace(tzinfo=tz).utcoffset()
        for h in range(-48, 49, 3)
    }
    readings = [
        (naive - off).replace(tzinfo=UTC)
        for off in offsets
        if (naive - off).replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None) == naive
    ]
    if readings:
        return min(readings)
    return (naive - min(offsets)).replace(tzinfo=UTC)


@pytest.mark.parametrize("zone", YEAR_ZONES, ids=YEAR_ZONES)
def test_every_slot_once_per_local_day_for_a_year(zone):
    tz = ZoneInfo(zone)
    cfg = config(zone, *YEAR_TIMES)
    start = local_instant(date(2026, 1, 1), time(0), tz)
    end = local_instant(date(2027, 1, 1), time(0), tz)
    slots = slots_between(cfg, start, end)

    counts = Counter((s.local_date, s.slot) for s in slots)
    assert len(slots) == 365 * len(YEAR_TIMES)
    assert set(counts.values()) == {1}
    assert {d for d, _ in counts} == {date(2026, 1, 1) + timedelta(days=i) for i in range(365)}
    assert slots == sorted(slots)
    for s in slots:
        assert s.due == expected_instant(s.local_date, time.fromisoformat(s.slot), tz), s
        # every slot falls due on its own local day, at or just after its wall time
        local = s.due.astimezone(tz)
        assert local.date() == s.local_date, s
        shift = local.replace(tzinfo=None) - datetime.combine(s.local_date, time.fromisoformat(s.slot))
        assert timedelta(0) <= shift <= timedelta(hours=1), s


@pytest.mark.parametrize("zone", YEAR_ZONES, ids=YEAR_ZONES)
def test_local_days_of_a_year(zone):
    tz = ZoneInfo(zone)
    days = list(local_days(local_instant(date(2026, 1, 1), time(0), tz),
                           local_instant(date(2026, 12, 31), time(23, 59), tz), tz))
    assert days == [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]


# --- next_local_midnight ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone, now, expected",
    [
        ("Europe/London", utc(2026, 1, 15, 12), utc(2026, 1, 16, 0)),
        ("Europe/London", utc(2026, 7, 15, 12), utc(2026, 7, 15, 23)),
        ("Europe/London", utc(2026, 1, 15, 0), utc(2026, 1, 16, 0)),
        ("Europe/London", utc(2026, 1, 15, 23, 59, 59), utc(2026, 1, 16, 0)),
        ("Europe/London", utc(2026, 3, 28, 12), utc(2026, 3, 29, 0)),
        ("Europe/London", utc(2026, 3, 29, 12), utc(2026, 3, 29, 23)),
        ("Europe/London", utc(2026, 10, 24, 12), utc(2026, 10, 24, 23)),
        ("Europe/London", utc(2026, 10, 25, 12), utc(2026, 10, 26, 0)),
        ("Pacific/Auckland", utc(2026, 1, 15, 10), utc(2026, 1, 15, 11)),
        ("Pacific/Auckland", utc(2026, 1, 15, 11), utc(2026, 1, 16, 11)),
        ("America/Los_Angeles", utc(2026, 7, 16, 5), utc(2026, 7, 16, 7)),
        ("America/New_York", utc(2026, 3, 7, 17), utc(2026, 3, 8, 5)),
        ("America/New_York", utc(2026, 3, 8, 17), utc(2026, 3, 9, 4)),
        # Santiago: 2026-09-06 begins at 01:00 -03 (midnight skipped)
        ("America/Santiago", utc(2026, 9, 5, 16), utc(2026, 9, 6, 4)),
        # Santiago: at 24:00 on 2026-04-04 clocks go back to 23:00; 04-05 begins at 00:00 -04
        ("America/Santiago", utc(2026, 4, 5, 2, 30), utc(2026, 4, 5, 4)),
        ("America/Santiago", utc(2026, 4, 5, 3, 30), utc(2026, 4, 5, 4)),
        ("America/Santiago", utc(2026, 4, 5, 4), utc(2026, 4, 6, 4)),
        # Havana: 2026-03-08 begins at 01:00 CDT; 2026-11-01 has two midnights, the first counts
        ("America/Havana", utc(2026, 3, 7, 17), utc(2026, 3, 8, 5)),
        ("America/Havana", utc(2026, 10, 31, 17), utc(2026, 11, 1, 4)),
        ("America/Havana", utc(2026, 11, 1, 4, 30), utc(2026, 11, 2, 5)),
        ("America/Havana", utc(2026, 11, 1, 5), utc(2026, 11, 2, 5)),
        # Beirut: 2026-03-29 begins at 01:00 +03
        ("Asia/Beirut", utc(2026, 3, 28, 12), utc(2026, 3, 28, 22)),
    ],
    ids=[
        "london-winter", "london-summer", "at-midnight-gives-the-next", "second-before-midnight",
        "london-before-spring", "london-spring-day", "london-before-autumn", "london-autumn-day",
        "auckland-local-evening", "auckland-at-midnight", "la-evening", "ny-before-spring",
        "ny-spring-day", "santiago-midnight-skipped", "santiago-first-2330", "santiago-second-2330",
        "santiago-at-midnight", "havana-midnight-skipped", "havana-first-of-two-midnights",
        "havana-between-two-midnights", "havana-at-second-midnight", "beirut-midnight-skipped",
    ],
)
def test_next_local_midnight(zone, now, expected):
    assert next_local_midnight(now, ZoneInfo(zone)) == expected


@pytest.mark.parametrize("zone", ["America/Santiago", "America/Havana", "Asia/Beirut", "Europe/London"],
                         ids=["santiago", "havana", "beirut", "london"])
def test_next_local_midnight_is_the_first_instant_of_the_next_day(zone):
    tz = ZoneInfo(zone)
    now = utc(2026, 1, 1)
    while now < utc(2027, 1, 1):
        got = next_local_midnight(now, tz)
        today = now.astimezone(tz).date()
        assert got > now
        assert got.astimezone(tz).date() == today + timedelta(days=1), now
        # the instant before it is still today (or, after a backward jump, the evening before)
        assert (got - timedelta(microseconds=1)).astimezone(tz).date() <= today, now
        now += timedelta(minutes=30)


def test_slot_at_midnight_on_a_day_that_skips_midnight():
    # Santiago 2026-09-06: the 00:00 dose falls due as the day begins, at 01:00 -03, and the
    # day's rollover and its first dose are the same instant.
    cfg = config("America/Santiago", "00:00", "08:00")
    tz = cfg.timezone
    rollover = next_local_midnight(utc(2026, 9, 5, 16), tz)
    first = slots_on(cfg, date(2026, 9, 6))[0]
    assert first.slot == "00:00"
    assert first.due == rollover == utc(2026, 9, 6, 4)
    assert slots_between(cfg, rollover, rollover + timedelta(seconds=1)) == [first]
