"""The config loader: the example parses, every bad value is reported with its exact text."""

from __future__ import annotations

import os
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reminderd.config_file import load_config
from reminderd.core.config.load import parse_config
from reminderd.core.config.settings import (
    CheckinSettings,
    Config,
    DEFAULT_ADVICE,
    Medication,
    NotificationSettings,
)
from reminderd.core.config.values import parse_duration, parse_time
from reminderd.core.durations import format_duration
from reminderd.errors import BadValue, ConfigError, UsageError

REPO = Path(__file__).resolve().parent.parent
PACKAGE_EXAMPLE = REPO / "reminderd" / "config.example.toml"
TOP_EXAMPLE = REPO / "config.example.toml"

DURATION_EXPECTED = 'a duration like "90s", "15m", "3h" or "1h30m", longer than zero'
TIME_EXPECTED = 'a time "HH:MM" from "00:00" to "23:59"'
MEDICATION_KNOWN = (
    "name, dose, times, schedule, until, as_needed, max_per_day, remind_every, give_up_after, "
    "min_gap, snooze, early_window, instructions, supply, per_dose, refill_warn_days"
)

MEDICATION = """
[[medication]]
name = "gabapentin"
dose = "300 mg"
times = ["08:00", "14:00", "22:00"]
"""


def no_system_zone() -> str:
    raise AssertionError("system_zone must not be asked when the file names a time zone")


def parse(text: str, system_zone=no_system_zone) -> Config:
    return parse_config(text, "test.toml", system_zone)


def problems(text: str, system_zone=lambda: "UTC") -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "test.toml", system_zone)
    return info.value.problems


# --- the example -------------------------------------------------------------------------


def test_top_level_example_is_the_package_example():
    # The file at the repo top is what users read; the packaged one is what `init` writes.
    assert os.path.samefile(TOP_EXAMPLE, PACKAGE_EXAMPLE)
    assert TOP_EXAMPLE.read_bytes() == PACKAGE_EXAMPLE.read_bytes()


@pytest.mark.parametrize("path", [PACKAGE_EXAMPLE, TOP_EXAMPLE], ids=["package", "repo-top"])
def test_example_config_parses(path):
    # The example pins no zone: it follows the machine's, whatever that is.
    config = parse_config(path.read_text(encoding="utf-8"), str(path), lambda: "Pacific/Auckland")

    assert config.timezone == ZoneInfo("Pacific/Auckland") and config.zone_from_system
    assert config.source == str(path)
    assert config.on_time_window == timedelta(hours=1)
    assert config.near_next_dose == timedelta(hours=2)
    assert config.missed_dose_advice.startswith("If you forget a dose, take it as soon as")
    assert config.notifications == NotificationSettings(backend="auto", private=False)
    assert config.checkin == CheckinSettings(
        time=time(8, 30), remind_every=timedelta(minutes=30), until=time(12, 0), bedtime=time(23, 0),
    )
    assert config.medications == (
        Medication(
            name="gabapentin",
            dose="300 mg",
            times=(time(8), time(14), time(22)),
            remind_every=timedelta(minutes=15),
            give_up_after=timedelta(hours=3),
            min_gap=timedelta(hours=4),
            snooze=timedelta(minutes=10),
            early_window=timedelta(hours=2),
            instructions="With or without food. Swallow whole with water.",
            supply=90.0,
            per_dose=1.0,
            refill_warn_days=7,
        ),
        Medication(
            name="baclofen",
            dose="10 mg",
            as_needed=True,
            max_per_day=3,
            min_gap=timedelta(hours=4),
        ),
    )
    assert config.medications[0].slots == ("08:00", "14:00", "22:00")


def test_example_loads_from_disk():
    config = load_config(TOP_EXAMPLE)
    assert config.medication("Gabapentin") is config.medications[0]
    assert config.source == str(TOP_EXAMPLE)


# --- a minimal file and its defaults ----------------------------------------------------


def test_minimal_config_gets_the_defaults():
    config = parse('timezone = "UTC"\n' + MEDICATION)
    assert config.checkin == CheckinSettings()
    assert config.notifications == NotificationSettings()
    assert config.missed_dose_advice == DEFAULT_ADVICE
    med = config.medications[0]
    assert (med.remind_every, med.give_up_after, med.min_gap, med.snooze, med.early_window) == (
        timedelta(minutes=15), timedelta(hours=3), timedelta(hours=4), timedelta(minutes=10),
        timedelta(hours=2),
    )
    assert med.instructions == ""


def test_times_are_sorted_and_text_is_stripped():
    config = parse(
        'timezone = "UTC"\n[[medication]]\nname = "  baclofen "\ndose = " 10 mg "\n'
        'times = ["22:00", "08:00", "15:00"]\ninstructions = "  with food  "\n'
    )
    med = config.medications[0]
    assert (med.name, med.dose, med.instructions) == ("baclofen", "10 mg", "with food")
    assert med.times == (time(8), time(15), time(22))
    assert med.slots == ("08:00", "15:00", "22:00")


def test_medication_lookup_ignores_case():
    config = parse('timezone = "UTC"\n' + MEDICATION)
    assert config.medication("GABAPENTIN") is config.medications[0]
    assert config.medication("baclofen") is None


# --- the time zone ------------------------------------------------------------------------


def test_time_zone_from_the_file_never_asks_the_system():
    assert parse('timezone = "America/New_York"\n' + MEDICATION).timezone == ZoneInfo("America/New_York")


def test_time_zone_defaults_to_the_system_zone_when_absent():
    asked = []

    def system_zone() -> str:
        asked.append(True)
        return "Pacific/Auckland"

    assert parse(MEDICATION, system_zone).timezone == ZoneInfo("Pacific/Auckland")
    assert asked == [True]


@pytest.mark.parametrize("name", ["Not/AZone", "", "../etc/passwd"], ids=["unknown", "empty", "path"])
def test_unusable_system_zone_falls_back_to_utc(name):
    assert parse(MEDICATION, lambda: name).timezone == ZoneInfo("UTC")


def test_bad_time_zone_in_file_is_an_error_and_the_system_is_not_asked():
    with pytest.raises(ConfigError) as info:
        parse_config('timezone = "Mars/Olympus_Mons"\n' + MEDICATION, "test.toml", no_system_zone)
    assert info.value.problems == [
        'timezone: "Mars/Olympus_Mons" is not valid; expected an IANA time zone name such as '
        '"Europe/London"'
    ]


@pytest.mark.parametrize(
    "value, shown",
    [('"Europe"', '"Europe"'), ('""', '""'), ('"../etc/passwd"', '"../etc/passwd"'),
     ('"Europe/London/"', '"Europe/London/"'), ("1", "1")],
    ids=["directory", "empty", "path-escape", "trailing-slash", "not-a-string"],
)
def test_unknown_time_zone(value, shown):
    assert problems(f"timezone = {value}\n" + MEDICATION) == [
        f'timezone: {shown} is not valid; expected an IANA time zone name such as "Europe/London"'
    ]


# --- durations and times ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("3h", timedelta(hours=3)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h30m15s", timedelta(hours=1, minutes=30, seconds=15)),
        ("2h5s", timedelta(hours=2, seconds=5)),
        ("90m", timedelta(minutes=90)),
        ("0h1m", timedelta(minutes=1)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "value",
    ["-15m", "0m", "0s", "0h0m0s", "", "15", "15 m", "15min", "1.5h", "h", "30m1h", "+5m",
     15, True, None],
    ids=["negative", "zero-m", "zero-s", "zero-all", "empty", "no-unit", "space", "min",
         "fraction", "unit-only", "wrong-order", "plus", "int", "bool", "none"],
)
def test_parse_duration_refuses(value):
    with pytest.raises(BadValue) as info:
        parse_duration(value)
    assert info.value.expected == DURATION_EXPECTED


@pytest.mark.parametrize(
    "delta",
    [timedelta(seconds=1), timedelta(seconds=90), timedelta(minutes=15), timedelta(hours=3),
     timedelta(hours=1, minutes=30), timedelta(hours=1, seconds=5), timedelta(hours=26, minutes=1, seconds=1)],
    ids=["1s", "90s", "15m", "3h", "1h30m", "1h5s", "26h1m1s"],
)
def test_format_duration_round_trips(delta):
    assert parse_duration(format_duration(delta)) == delta


@pytest.mark.parametrize(
    "text, expected",
    [("15m", "15m"), ("3h", "3h"), ("1h30m", "1h30m"), ("1h5s", "1h5s"), ("24h", "24h"),
     ("90s", "1m30s"), ("90m", "1h30m")],
    ids=["15m", "3h", "1h30m", "1h5s", "24h", "90s-normalised", "90m-normalised"],
)
def test_format_duration_writes_the_config_spelling(text, expected):
    assert format_duration(parse_duration(text)) == expected


def test_format_duration_of_zero():
    assert format_duration(timedelta(0)) == "0s"


@pytest.mark.parametrize(
    "text, expected",
    [("00:00", time(0, 0)), ("08:05", time(8, 5)), ("23:59", time(23, 59))],
    ids=["midnight", "morning", "last-minute"],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


# --- every problem, with its exact text ------------------------------------------------


def med(extra: str = "", times: str = '["08:00", "14:00", "22:00"]') -> str:
    return f'timezone = "UTC"\n[[medication]]\nname = "gabapentin"\ndose = "300 mg"\ntimes = {times}\n{extra}'


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            'timezone = "UTC"\ntimezones = "UTC"\n' + MEDICATION,
            "timezones: unknown setting; expected one of: timezone, on_time_window, "
            "near_next_dose, missed_dose_advice, group_within, [medication], [checkin], [notifications], [remote], [push], [contact], [rater], [replica]",
            id="unknown-top-level",
        ),
        pytest.param(
            med('frequency = "tds"\n'),
            f"medication[0].frequency: unknown setting; expected one of: {MEDICATION_KNOWN}",
            id="unknown-in-medication",
        ),
        pytest.param(
            med() + '[checkin]\nwhen = "08:30"\n',
            "checkin.when: unknown setting; expected one of: time, remind_every, until, bedtime, night_window",
            id="unknown-in-checkin",
        ),
        pytest.param(
            med() + "[notifications]\nsound = true\n",
            "notifications.sound: unknown setting; expected one of: backend, private",
            id="unknown-in-notifications",
        ),
        pytest.param(
            med(times='["08:00", "14:00", "08:00"]'),
            'medication[0].times[2]: "08:00" is listed twice; expected each time once',
            id="duplicate-times",
        ),
        pytest.param(
            med(times="[]"),
            'medication[0].times: [] is not valid; expected a non-empty list of times like '
            '["08:00", "22:00"]',
            id="empty-times",
        ),
        pytest.param(
            med(times='"08:00"'),
            'medication[0].times: "08:00" is not valid; expected a non-empty list of times like '
            '["08:00", "22:00"]',
            id="times-a-string",
        ),
        pytest.param(
            med(times="{ morning = \"08:00\" }"),
            'medication[0].times: a table is not valid; expected a non-empty list of times like '
            '["08:00", "22:00"]',
            id="times-a-table",
        ),
        pytest.param(
            'timezone = "UTC"\n[[medication]]\ndose = "300 mg"\ntimes = ["08:00"]\n',
            "medication[0].name: missing; this setting is required",
            id="missing-name",
        ),
        pytest.param(
            'timezone = "UTC"\n[[medication]]\nname = "gabapentin"\ntimes = ["08:00"]\n',
            "medication[0].dose: missing; this setting is required",
            id="missing-dose",
        ),
        pytest.param(
            'timezone = "UTC"\n[[medication]]\nname = "gabapentin"\ndose = "300 mg"\n',
            "medication[0].times: missing; this setting is required "
            "(or [[medication.schedule]] steps, or as_needed = true)",
            id="missing-times",
        ),
        pytest.param(
            med().replace('"gabapentin"', '"-v"'),
            "medication[0].name: \"-v\" is not valid; expected a name that does not start with '-'",
            id="name-like-an-option",
        ),
        pytest.param(
            med().replace('"gabapentin"', '"  "'),
            'medication[0].name: "  " is not valid; expected a non-empty string',
            id="blank-name",
        ),
        pytest.param(
            med().replace('"300 mg"', "300"),
            "medication[0].dose: 300 is not valid; expected a non-empty string",
            id="dose-a-number",
        ),
        pytest.param(
            med("instructions = 5\n"),
            "medication[0].instructions: 5 is not valid; expected a string",
            id="instructions-a-number",
        ),
        pytest.param(
            med('min_gap = "5h"\n', times='["08:00", "12:00", "22:00"]'),
            'medication[0].min_gap: "5h" is not valid; expected at most 4h, the time between '
            "its slots 08:00 and 12:00",
            id="min-gap-too-long",
        ),
        pytest.param(
            med('min_gap = "3h"\n', times='["01:00", "23:00"]'),
            'medication[0].min_gap: "3h" is not valid; expected at most 2h, the time between '
            "its slots 23:00 and 01:00",
            id="min-gap-across-midnight",
        ),
        pytest.param(
            # The default min_gap (4h) counts too: slots two hours apart need a smaller one.
            med(times='["08:00", "10:00"]'),
            'medication[0].min_gap: "4h (the default)" is not valid; expected at most 2h, the time between '
            "its slots 08:00 and 10:00",
            id="default-min-gap-too-long",
        ),
        pytest.param(
            med() + '[checkin]\ntime = "10:00"\nuntil = "09:00"\n',
            'checkin.until: "09:00" is not valid; expected a time after checkin.time (10:00)',
            id="checkin-until-before-time",
        ),
        pytest.param(
            med() + '[checkin]\ntime = "10:00"\nuntil = "10:00"\n',
            'checkin.until: "10:00" is not valid; expected a time after checkin.time (10:00)',
            id="checkin-until-equals-time",
        ),
        pytest.param(
            med() + '[checkin]\ntime = "13:00"\n',
            'checkin.until: "12:00" is not valid; expected a time after checkin.time (13:00)',
            id="checkin-time-after-default-until",
        ),
        pytest.param(
            med() + '[notifications]\nbackend = "email"\n',
            'notifications.backend: "email" is not valid; expected one of "auto", "dbus", '
            '"plyer", "log"',
            id="bad-backend",
        ),
        pytest.param(
            med() + '[notifications]\nbackend = "DBUS"\n',
            'notifications.backend: "DBUS" is not valid; expected one of "auto", "dbus", '
            '"plyer", "log"',
            id="backend-wrong-case",
        ),
        pytest.param(
            med() + '[notifications]\nprivate = "yes"\n',
            'notifications.private: "yes" is not valid; expected true or false',
            id="private-a-string",
        ),
        pytest.param(
            med() + "[notifications]\nprivate = 1\n",
            "notifications.private: 1 is not valid; expected true or false",
            id="private-an-int",
        ),
        pytest.param(
            'timezone = "UTC"\n',
            "medication: missing; expected at least one [[medication]] table",
            id="no-medication",
        ),
        pytest.param(
            'timezone = "UTC"\nmedication = []\n',
            "medication: missing; expected at least one [[medication]] table",
            id="empty-medication-array",
        ),
        pytest.param(
            'timezone = "UTC"\n[medication]\nname = "gabapentin"\ndose = "300 mg"\ntimes = ["08:00"]\n',
            "medication: a table is not valid; expected [[medication]] tables (an array of tables)",
            id="medication-single-brackets",
        ),
        pytest.param(
            'timezone = "UTC"\nmedication = ["gabapentin"]\n',
            'medication[0]: "gabapentin" is not valid; expected a table',
            id="medication-not-a-table",
        ),
        pytest.param(
            'timezone = "UTC"\ncheckin = 5\n' + MEDICATION,
            "checkin: 5 is not valid; expected a table",
            id="checkin-not-a-table",
        ),
        pytest.param(
            'timezone = "UTC"\nmissed_dose_advice = ""\n' + MEDICATION,
            'missed_dose_advice: "" is not valid; expected a non-empty string',
            id="empty-advice",
        ),
    ],
)
def test_one_problem(text, expected):
    assert problems(text) == [expected]


@pytest.mark.parametrize("value", ['"25:00"', '"8:00"', '"12:60"', '"08:00:00"', '"noon"', "800"],
                         ids=["hour-25", "one-digit-hour", "minute-60", "seconds", "word", "int"])
@pytest.mark.parametrize("index", [0, 2], ids=["first", "third"])
def test_bad_time_names_its_index(value, index):
    times = ['"08:00"', '"14:00"', '"22:00"']
    times[index] = value
    assert problems(med(times="[" + ", ".join(times) + "]")) == [
        f"medication[0].times[{index}]: {value} is not valid; expected {TIME_EXPECTED}"
    ]


def test_bad_time_message_in_full():
    with pytest.raises(ConfigError) as info:
        parse_config(med(times='["08:00", "14:00", "25:00"]'), "test.toml", no_system_zone)
    err = info.value
    assert str(err) == (
        "test.toml: 1 problem(s):\n"
        '  - medication[0].times[2]: "25:00" is not valid; expected a time "HH:MM" from '
        '"00:00" to "23:59"'
    )
    assert isinstance(err, UsageError) and err.exit_code == 2
    assert err.source == "test.toml"


MEDICATION_DURATIONS = ["remind_every", "give_up_after", "min_gap", "snooze", "early_window"]
BAD_DURATIONS = [('"-15m"', "negative"), ('"0m"', "zero"), ('"15 minutes"', "words"),
                 ('"1h30"', "no-unit"), ('""', "empty"), ("15", "int")]


@pytest.mark.parametrize("value", [v for v, _ in BAD_DURATIONS], ids=[i for _, i in BAD_DURATIONS])
@pytest.mark.parametrize("key", MEDICATION_DURATIONS, ids=MEDICATION_DURATIONS)
def test_bad_medication_duration(key, value):
    assert problems(med(f"{key} = {value}\n")) == [
        f"medication[0].{key}: {value} is not valid; expected {DURATION_EXPECTED}"
    ]


@pytest.mark.parametrize("value", [v for v, _ in BAD_DURATIONS], ids=[i for _, i in BAD_DURATIONS])
@pytest.mark.parametrize(
    "table, key",
    [("", "on_time_window"), ("", "near_next_dose"), ("checkin", "remind_every"),
     ("checkin", "night_window")],
    ids=["on_time_window", "near_next_dose", "checkin.remind_every", "checkin.night_window"],
)
def test_bad_other_duration(table, key, value):
    if table:
        text = med() + f"[{table}]\n{key} = {value}\n"
        path = f"{table}.{key}"
    else:
        text = f"{key} = {value}\n" + med()
        path = key
    assert problems(text) == [f"{path}: {value} is not valid; expected {DURATION_EXPECTED}"]


TOO_LONG = 'a duration of at most 7 days ("168h")'


@pytest.mark.parametrize("value", ["169h", "99999999h", "99999999999h", "99999999999999999999h", "10080m1s"])
def test_parse_duration_refuses_what_would_overflow_a_date(value):
    with pytest.raises(BadValue) as info:
        parse_duration(value)
    assert info.value.expected == TOO_LONG


def test_a_week_is_the_longest_duration():
    assert parse_duration("168h") == timedelta(days=7)


@pytest.mark.parametrize(
    "text, expected",
    [
        (med('give_up_after = "99999999h"\n'),
         'medication[0].give_up_after: "99999999h" is not valid; expected ' + TOO_LONG),
        (med('remind_every = "200h"\n'), 'medication[0].remind_every: "200h" is not valid; expected ' + TOO_LONG),
        (med("supply = nan\n"), "medication[0].supply: nan is not valid; expected a number of tablets from 0 to 100000"),
        (med("supply = inf\n"), "medication[0].supply: inf is not valid; expected a number of tablets from 0 to 100000"),
        (med("supply = 1e300\n"), "medication[0].supply: 1e+300 is not valid; expected a number of tablets from 0 to 100000"),
        (med("per_dose = inf\n"), "medication[0].per_dose: inf is not valid; expected a number of tablets per dose "
                                  "from 0.01 to 100 (e.g. 1 or 0.5)"),
        (med("per_dose = 1e-300\n"), "medication[0].per_dose: 1e-300 is not valid; expected a number of tablets per dose "
                                     "from 0.01 to 100 (e.g. 1 or 0.5)"),
        (med("per_dose = nan\n"), "medication[0].per_dose: nan is not valid; expected a number of tablets per dose "
                                  "from 0.01 to 100 (e.g. 1 or 0.5)"),
        (med("refill_warn_days = 99999999999999\n"),
         "medication[0].refill_warn_days: 99999999999999 is not valid; expected a whole number from 1 to 1000"),
        (med("until = 0001-01-01\n"),
         "medication[0].until: 0001-01-01 (a TOML date or time; write it in quotes) is not valid; "
         "expected a date YYYY-MM-DD from 1970-01-01 to 2999-12-31"),
        (med('until = "9999-12-31"\n'),
         'medication[0].until: "9999-12-31" is not valid; expected a date YYYY-MM-DD from 1970-01-01 to 2999-12-31'),
        ('on_time_window = "9999h"\n' + med(), 'on_time_window: "9999h" is not valid; expected ' + TOO_LONG),
        (med() + '[checkin]\nnight_window = "99999999h"\n',
         'checkin.night_window: "99999999h" is not valid; expected ' + TOO_LONG),
    ],
    ids=["give-up-overflow", "remind-every-long", "supply-nan", "supply-inf", "supply-huge", "per-dose-inf",
         "per-dose-tiny", "per-dose-nan", "warn-days-huge", "until-year-1", "until-year-9999", "on-time-window", "night-window"],
)
def test_values_out_of_range_are_refused(text, expected):
    assert problems(text) == [expected]


@pytest.mark.parametrize("value", ['"25:00"', '"8:30"', "830"], ids=["hour-25", "one-digit-hour", "int"])
@pytest.mark.parametrize("key", ["time", "until", "bedtime"], ids=["checkin.time", "checkin.until", "checkin.bedtime"])
def test_bad_checkin_time(key, value):
    found = problems(med() + f"[checkin]\n{key} = {value}\n")
    assert found[0] == f"checkin.{key}: {value} is not valid; expected {TIME_EXPECTED}"


@pytest.mark.parametrize("value", ['"90s"', '"15m"', '"3h"', '"1h30m"'], ids=["90s", "15m", "3h", "1h30m"])
def test_good_durations_in_a_file(value):
    config = parse(med(f"remind_every = {value}\n") + f"[checkin]\nremind_every = {value}\n")
    assert config.medications[0].remind_every == parse_duration(value.strip('"'))
    assert config.checkin.remind_every == config.medications[0].remind_every


def test_min_gap_equal_to_the_spacing_is_allowed():
    config = parse(med('min_gap = "2h"\n', times='["08:00", "10:00"]'))
    assert config.medications[0].min_gap == timedelta(hours=2)


def test_one_time_needs_no_gap_check():
    config = parse(med('min_gap = "24h"\n', times='["08:00"]'))
    assert config.medications[0].times == (time(8),)


@pytest.mark.parametrize(
    "second_name",
    ['"gabapentin"', '"Gabapentin"', '"GABAPENTIN"', '" gabapentin "'],
    ids=["same", "capitalised", "upper", "padded"],
)
def test_duplicate_medication_names(second_name):
    text = med() + f'[[medication]]\nname = {second_name}\ndose = "100 mg"\ntimes = ["12:00"]\n'
    shown = '"' + second_name.strip('"').strip() + '"'
    assert problems(text) == [
        f"medication[1].name: {shown} is not valid; expected a name not already used by medication[0]"
    ]


def test_unknown_key_in_second_medication_names_its_index():
    text = med() + '[[medication]]\nname = "baclofen"\ndose = "10 mg"\ntimes = ["12:00"]\nevery = "1h"\n'
    assert problems(text) == [
        f"medication[1].every: unknown setting; expected one of: {MEDICATION_KNOWN}"
    ]


def test_toml_syntax_error_names_its_line():
    text = 'timezone = "UTC"\n\n[[medication]]\nname "gabapentin"\n'
    with pytest.raises(ConfigError) as info:
        parse_config(text, "test.toml", no_system_zone)
    assert info.value.problems == [
        "TOML syntax error: Expected '=' after a key in a key/value pair (at line 4, column 6)"
    ]
    assert str(info.value) == (
        "test.toml: 1 problem(s):\n"
        "  - TOML syntax error: Expected '=' after a key in a key/value pair (at line 4, column 6)"
    )


def test_several_problems_are_reported_together():
    text = (
        'timezone = "Mars/Base"\n'
        'colour = "blue"\n'
        "[checkin]\n"
        'time = "10:00"\n'
        'until = "09:00"\n'
        "[notifications]\n"
        'backend = "pager"\n'
        'private = "no"\n'
        "[[medication]]\n"
        'name = "gabapentin"\n'
        'times = ["08:00", "8:00", "25:00"]\n'
        'snooze = "0m"\n'
        "[[medication]]\n"
        'name = "baclofen"\n'
        'dose = "10 mg"\n'
        'times = ["12:00"]\n'
        "[[medication]]\n"
        'name = "Baclofen"\n'
        'dose = "10 mg"\n'
        'times = ["20:00"]\n'
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, "/home/me/.config/reminderd/config.toml", no_system_zone)
    assert str(info.value) == (
        "/home/me/.config/reminderd/config.toml: 10 problem(s):\n"
        '  - timezone: "Mars/Base" is not valid; expected an IANA time zone name such as "Europe/London"\n'
        "  - colour: unknown setting; expected one of: timezone, on_time_window, near_next_dose, missed_dose_advice, group_within, [medication], [checkin], [notifications], [remote], [push], [contact], [rater], [replica]\n"
        '  - notifications.backend: "pager" is not valid; expected one of "auto", "dbus", "plyer", "log"\n'
        '  - notifications.private: "no" is not valid; expected true or false\n'
        '  - checkin.until: "09:00" is not valid; expected a time after checkin.time (10:00)\n'
        f'  - medication[0].snooze: "0m" is not valid; expected {DURATION_EXPECTED}\n'
        "  - medication[0].dose: missing; this setting is required\n"
        f'  - medication[0].times[1]: "8:00" is not valid; expected {TIME_EXPECTED}\n'
        f'  - medication[0].times[2]: "25:00" is not valid; expected {TIME_EXPECTED}\n'
        '  - medication[2].name: "Baclofen" is not valid; expected a name not already used by medication[1]'
    )
    assert len(info.value.problems) == 10


# --- load_config --------------------------------------------------------------------------


def test_load_config_reads_a_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(med(), encoding="utf-8")
    config = load_config(path)
    assert config.source == str(path)
    assert config.medications[0].name == "gabapentin"


def test_load_config_missing_file(tmp_path):
    path = tmp_path / "nowhere" / "config.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}: 1 problem(s):\n"
        f"  - no config file at {path}; run `reminderd init` to write one"
    )
    assert info.value.source == str(path)


def test_load_config_not_utf8(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'\xfftimezone = "UTC"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [
        "cannot read the file: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
    ]


def test_load_config_reports_problems_under_the_path(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(med(times='["25:00"]'), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}: 1 problem(s):\n"
        f'  - medication[0].times[0]: "25:00" is not valid; expected {TIME_EXPECTED}'
    )


@pytest.mark.parametrize(
    "checkin, expected",
    [
        ('bedtime = "11:30"', 'checkin.bedtime: "11:30" is not valid; expected an evening time after '
                              "checkin.until (12:00), on the same day"),
        ('bedtime = "21:30"', 'checkin.bedtime: "21:30" is not valid; expected a time after every slot '
                              "(gabapentin is due at 22:00), so the evening's doses are due before the night begins"),
        ('bedtime = "22:00"', 'checkin.bedtime: "22:00" is not valid; expected a time after every slot '
                              "(gabapentin is due at 22:00), so the evening's doses are due before the night begins"),
    ],
    ids=["before checkin.until", "before the last slot", "at the last slot"],
)
def test_bedtime_is_checked_against_the_checkin_and_the_slots(checkin, expected):
    assert problems(med() + f"[checkin]\n{checkin}\n") == [expected]


def test_bedtime_default_and_an_old_night_window_still_load():
    config = parse_config(med() + '[checkin]\nnight_window = "12h"\n', "x", no_system_zone)
    assert config.checkin.bedtime == time(23, 0)
    assert config.checkin.night_window == timedelta(hours=12)  # read, and no longer used
    late_slot = med().replace('"22:00"', '"23:30"')
    assert parse_config(late_slot, "x", no_system_zone).checkin.bedtime == time(23, 0)  # not checked unless set
    assert parse_config(med() + '[checkin]\nbedtime = "22:30"\n', "x", no_system_zone).checkin.bedtime == time(22, 30)
