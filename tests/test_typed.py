"""Times, dates and tablets typed by a person, read with an explicit `now` and zone:
the last time the clock showed a bare HH:MM, and daylight saving both ways."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from reminderd.errors import UsageError
from reminderd.core.typed import parse_day, parse_tablets, parse_when

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "typed, now, tz, day, instant, note",
    [
        # a bare time is the last time the clock showed it
        ("22:00", "2026-11-29 01:05", LONDON, None, "2026-11-28 22:00",
         "22:00 read as 2026-11-28 22:00, the last time the clock showed it"),
        ("00:50", "2026-11-29 01:05", LONDON, None, "2026-11-29 00:50", None),
        ("08:05", "2026-11-28 08:04:30", LONDON, None, "2026-11-28 08:05", None),  # within the minute of slack
        ("08:10", "2026-11-28 08:04:30", LONDON, None, "2026-11-27 08:10",
         "08:10 read as 2026-11-27 08:10, the last time the clock showed it"),
        ("22:00", "2026-11-29 06:05", NEW_YORK, None, "2026-11-29 03:00",  # 01:05 EST: last night, 22:00 EST
         "22:00 read as 2026-11-28 22:00, the last time the clock showed it"),
        # a date and time, and edit's --date for a bare time
        ("2026-11-18 08:10", "2026-11-28 09:00", LONDON, None, "2026-11-18 08:10", None),
        ("2026-11-18T08:10", "2026-11-28 09:00", LONDON, None, "2026-11-18 08:10", None),
        ("08:10", "2026-11-28 09:00", LONDON, date(2026, 11, 18), "2026-11-18 08:10", None),
        ("7:05", "2026-11-28 09:00", LONDON, None, "2026-11-28 07:05", None),
        # summer time: the wall time is an hour ahead of UTC
        ("22:00", "2026-07-02 00:05", LONDON, None, "2026-07-01 21:00",
         "22:00 read as 2026-07-01 22:00, the last time the clock showed it"),
        # spring forward: before the gap, after the gap, and after midnight before it
        ("00:30", "2026-03-29 09:00", LONDON, None, "2026-03-29 00:30", None),
        ("02:30", "2026-03-29 09:00", LONDON, None, "2026-03-29 01:30", None),
        ("01:30", "2026-03-29 00:45", LONDON, None, "2026-03-28 01:30",
         "01:30 read as 2026-03-28 01:30, the last time the clock showed it"),
        ("03:30", "2026-03-08 12:00", NEW_YORK, None, "2026-03-08 07:30", None),
        ("01:30", "2026-03-08 12:00", NEW_YORK, None, "2026-03-08 06:30", None),
        # autumn back: an offset picks one of the two
        ("01:30+01:00", "2026-10-25 09:00", LONDON, None, "2026-10-25 00:30",
         "2026-10-25 01:30 read with the offset +01:00 (BST, the first 01:30 that night)"),
        ("01:30+00:00", "2026-10-25 09:00", LONDON, None, "2026-10-25 01:30",
         "2026-10-25 01:30 read with the offset +00:00 (GMT, the second 01:30 that night)"),
        ("01:30Z", "2026-10-25 09:00", LONDON, None, "2026-10-25 01:30",
         "2026-10-25 01:30 read with the offset +00:00 (GMT, the second 01:30 that night)"),
        ("2026-11-01 01:30-05:00", "2026-11-02 12:00", NEW_YORK, None, "2026-11-01 06:30",
         "2026-11-01 01:30 read with the offset -05:00 (EST, the second 01:30 that night)"),
        ("01:30-04:00", "2026-11-01 12:00", NEW_YORK, None, "2026-11-01 05:30",
         "2026-11-01 01:30 read with the offset -04:00 (EDT, the first 01:30 that night)"),
        ("02:30", "2026-10-25 09:00", LONDON, None, "2026-10-25 02:30", None),  # after the repeated hour
        ("22:00+00:00", "2026-11-29 01:05", LONDON, None, "2026-11-28 22:00",  # an offset that matches, no note
         "22:00+00:00 read as 2026-11-28 22:00, the last time the clock showed it"),
    ],
)
def test_parse_when(typed, now, tz, day, instant, note):
    got = parse_when(typed, utc(now), tz, day=day)
    assert (got.instant, got.note) == (utc(instant), note)


@pytest.mark.parametrize(
    "typed, now, tz, day, message",
    [
        ("01:30", "2026-03-29 09:00", LONDON, None,
         "--at '01:30': 2026-03-29 01:30 never happened in Europe/London; the clocks went forward 1 h that night, "
         "from 01:00 GMT straight to 02:00 BST; expected a time before 01:00 or from 02:00"),
        ("2026-03-08 02:15", "2026-03-09 12:00", NEW_YORK, None,
         "--at '2026-03-08 02:15': 2026-03-08 02:15 never happened in America/New_York; the clocks went forward "
         "1 h that night, from 02:00 EST straight to 03:00 EDT; expected a time before 02:00 or from 03:00"),
        ("02:15", "2026-03-10 12:00", NEW_YORK, date(2026, 3, 8),
         "--at '02:15': 2026-03-08 02:15 never happened in America/New_York; the clocks went forward "
         "1 h that night, from 02:00 EST straight to 03:00 EDT; expected a time before 02:00 or from 03:00"),
        ("01:30", "2026-10-25 09:00", LONDON, None,
         "--at '01:30': 2026-10-25 01:30 happened twice in Europe/London (the clocks went back that night); "
         "expected it with its UTC offset: \"01:30+01:00\" for the first (BST) or \"01:30+00:00\" for the second (GMT)"),
        ("01:30", "2026-10-25 01:10", LONDON, None,  # typed during the second 01:xx hour
         "--at '01:30': 2026-10-25 01:30 happened twice in Europe/London (the clocks went back that night); "
         "expected it with its UTC offset: \"01:30+01:00\" for the first (BST) or \"01:30+00:00\" for the second (GMT)"),
        ("2026-11-01 01:30", "2026-11-02 12:00", NEW_YORK, None,
         "--at '2026-11-01 01:30': 2026-11-01 01:30 happened twice in America/New_York (the clocks went back that "
         "night); expected it with its UTC offset: \"01:30-04:00\" for the first (EDT) or \"01:30-05:00\" for the second (EST)"),
        ("01:30+02:00", "2026-10-25 09:00", LONDON, None,
         "--at '01:30+02:00': Europe/London was not at +02:00 at 2026-10-25 01:30; expected +01:00 or +00:00"),
        ("7pm", "2026-11-28 09:00", LONDON, None,
         "--at '7pm' is not valid; expected a time \"HH:MM\" (the last time the clock showed it) or a date and time \"YYYY-MM-DD HH:MM\""),
        ("24:00", "2026-11-28 09:00", LONDON, None,
         "--at '24:00' is not valid; expected a time \"HH:MM\" (the last time the clock showed it) or a date and time \"YYYY-MM-DD HH:MM\""),
        ("2026-02-30 08:00", "2026-11-28 09:00", LONDON, None,
         "--at '2026-02-30 08:00' is not valid; expected a time \"HH:MM\" (the last time the clock showed it) or a date and time \"YYYY-MM-DD HH:MM\""),
        ("0001-01-01 00:00", "2026-11-28 09:00", LONDON, None,
         "--at '0001-01-01 00:00' is out of range; expected a date YYYY-MM-DD from 1970-01-01 to 2999-12-31"),
        ("9999-12-31 23:59", "2026-11-28 09:00", NEW_YORK, None,
         "--at '9999-12-31 23:59' is out of range; expected a date YYYY-MM-DD from 1970-01-01 to 2999-12-31"),
    ],
)
def test_parse_when_refuses(typed, now, tz, day, message):
    with pytest.raises(UsageError) as err:
        parse_when(typed, utc(now), tz, day=day)
    assert str(err.value) == message


@pytest.mark.parametrize("text, expected", [("2026-11-18", date(2026, 11, 18)), ("1970-01-01", date(1970, 1, 1))])
def test_parse_day(text, expected):
    assert parse_day(text, "--since") == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("0001-01-05", "--until '0001-01-05' is out of range; expected a date YYYY-MM-DD from 1970-01-01 to 2999-12-31"),
        ("9999-12-30", "--until '9999-12-30' is out of range; expected a date YYYY-MM-DD from 1970-01-01 to 2999-12-31"),
        ("yesterday", "--until 'yesterday' is not valid; expected a date YYYY-MM-DD"),
        ("20261118", "--until '20261118' is not valid; expected a date YYYY-MM-DD"),
    ],
)
def test_parse_day_refuses(text, message):
    with pytest.raises(UsageError) as err:
        parse_day(text, "--until")
    assert str(err.value) == message


@pytest.mark.parametrize("text, expected", [("90", 90.0), ("0.5", 0.5), ("100000", 100000.0)])
def test_parse_tablets(text, expected):
    assert parse_tablets(text) == expected


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "0", "-3", "1e300", "100001", "ninety"])
def test_parse_tablets_refuses(text):
    with pytest.raises(UsageError) as err:
        parse_tablets(text)
    assert str(err.value) == (f"TABLETS {text!r} is not valid; expected a number of tablets more than 0 "
                              "and at most 100000")
