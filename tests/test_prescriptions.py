"""Real prescriptions: titration steps, as-needed medicines and supply, in the config and
the schedule (pure core, explicit dates)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from reminderd.config import parse_config
from reminderd.errors import ConfigError
from reminderd.schedule import slots_on

UTC = timezone.utc

TITRATION = '''
timezone = "Europe/London"

[[medication]]
name = "gabapentin"
until = 2026-12-31
min_gap = "4h"

[[medication.schedule]]
from = 2026-11-01
times = ["22:00"]
dose = "300 mg"

[[medication.schedule]]
from = "2026-11-04"
times = ["08:00", "22:00"]
dose = "300 mg"

[[medication.schedule]]
from = 2026-11-07
times = ["08:00", "14:00", "22:00"]
dose = "300 mg"

[[medication.schedule]]
from = 2026-11-20
times = ["08:00", "14:00", "22:00"]
dose = "600 mg"

[[medication]]
name = "baclofen"
dose = "10 mg"
as_needed = true
max_per_day = 3
min_gap = "2h"
supply = 40
per_dose = 0.5
'''


def parse(text: str):
    return parse_config(text, "test.toml", lambda: "UTC")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return info.value.problems


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 10, 31), []),
        (date(2026, 11, 1), [("22:00", "300 mg")]),
        (date(2026, 11, 3), [("22:00", "300 mg")]),
        (date(2026, 11, 4), [("08:00", "300 mg"), ("22:00", "300 mg")]),
        (date(2026, 11, 7), [("08:00", "300 mg"), ("14:00", "300 mg"), ("22:00", "300 mg")]),
        (date(2026, 11, 19), [("08:00", "300 mg"), ("14:00", "300 mg"), ("22:00", "300 mg")]),
        (date(2026, 11, 20), [("08:00", "600 mg"), ("14:00", "600 mg"), ("22:00", "600 mg")]),
        (date(2026, 12, 31), [("08:00", "600 mg"), ("14:00", "600 mg"), ("22:00", "600 mg")]),
        (date(2027, 1, 1), []),
    ],
    ids=["before-start", "first-step", "last-day-of-first-step", "second-step", "third-step",
         "day-before-dose-change", "dose-change", "until-is-inclusive", "after-until"],
)
def test_slots_follow_the_step_in_force(day: date, expected: list) -> None:
    config = parse(TITRATION)
    assert [(s.slot, s.dose) for s in slots_on(config, day) if s.medication == "gabapentin"] == expected


def test_as_needed_medicine_has_no_slots_and_its_settings_parse() -> None:
    config = parse(TITRATION)
    baclofen = config.medication("baclofen")
    assert baclofen.as_needed and baclofen.max_per_day == 3 and baclofen.supply == 40 and baclofen.per_dose == 0.5
    assert all(s.medication != "baclofen" for d in range(1, 31) for s in slots_on(config, date(2026, 11, d)))


def test_step_on_a_dst_night_uses_the_dst_rules() -> None:
    config = parse(TITRATION.replace('times = ["22:00"]', 'times = ["01:30"]').replace("2026-11-01", "2026-10-24"))
    [slot] = [s for s in slots_on(config, date(2026, 10, 25)) if s.medication == "gabapentin"]
    assert slot.due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 01:30


BASE = 'timezone = "UTC"\n[[medication]]\nname = "gabapentin"\n'


@pytest.mark.parametrize(
    "body, expected",
    [
        ('dose = "300 mg"\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n'
         '[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["22:00"]\n',
         ['medication[0].schedule[1].from: "2026-11-04" is not valid; expected a date after the previous '
          "step's from (2026-11-04); steps must not overlap"]),
        ('dose = "300 mg"\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n'
         '[[medication.schedule]]\nfrom = 2026-11-01\ntimes = ["22:00"]\n',
         ['medication[0].schedule[1].from: "2026-11-01" is not valid; expected a date after the previous '
          "step's from (2026-11-04); steps must not overlap"]),
        ('until = 2026-11-03\ndose = "300 mg"\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n',
         ['medication[0].until: "2026-11-03" is not valid; expected a date on or after the last step\'s from (2026-11-04)']),
        ('dose = "1"\ntimes = ["08:00"]\nsupply = -5\n',
         ["medication[0].supply: -5 is not valid; expected a number of tablets, 0 or more"]),
        ('dose = "1"\ntimes = ["08:00"]\nper_dose = 0\n',
         ["medication[0].per_dose: 0 is not valid; expected a number of tablets per dose, more than 0 (e.g. 1 or 0.5)"]),
        ('dose = "1"\ntimes = ["08:00"]\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n',
         ["medication[0].times: not allowed beside [[medication.schedule]] steps; expected the times inside each step"]),
        ('[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00"]\n',
         ["medication[0].schedule[0].dose: missing; give a dose here or for the whole medication"]),
        ('dose = "1"\n[[medication.schedule]]\nfrom = "soon"\ntimes = ["08:00"]\n',
         ['medication[0].schedule[0].from: "soon" is not valid; expected a date YYYY-MM-DD']),
        ('dose = "1"\n[[medication.schedule]]\nfrom = 2026-11-04\ntimes = ["08:00", "10:00"]\n',
         ['medication[0].min_gap: "4h (the default)" is not valid; expected at most 2h, the time between '
          "its slots 08:00 and 10:00 in medication[0].schedule[0]"]),
        ('dose = "1"\nas_needed = true\ntimes = ["08:00"]\n',
         ["medication[0].times: an as-needed medication has no times; expected no times or schedule with as_needed = true"]),
        ('dose = "1"\ntimes = ["08:00"]\nmax_per_day = 2\n',
         ["medication[0].max_per_day: only for as-needed medicines; expected as_needed = true beside it"]),
        ('dose = "1"\nas_needed = true\nmax_per_day = 0\n',
         ["medication[0].max_per_day: 0 is not valid; expected a whole number of at least 1"]),
    ],
    ids=["overlapping-steps", "steps-out-of-order", "from-after-until", "negative-supply", "zero-per-dose",
         "times-beside-steps", "step-without-dose", "bad-from", "step-gap-too-short", "as-needed-with-times",
         "max-per-day-not-prn", "max-per-day-zero"],
)
def test_prescription_errors(body: str, expected: list[str]) -> None:
    assert problems(BASE + body) == expected
