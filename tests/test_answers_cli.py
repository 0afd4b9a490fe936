"""`status`, `log --medication` and the supply, as a person sees them: the CLI as a real
process, its clock set with libfaketime (November: London is on UTC)."""

from __future__ import annotations

import json

from tests.conftest import Cli, config_text


def test_status_does_not_show_a_dose_taken_early_as_next(cli: Cli) -> None:
    assert cli("take", at="2026-11-28 13:00:00").returncode == 0  # the 14:00 dose, an hour early
    out = cli("status", at="2026-11-28 13:30:00")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Reminders are off: the daemon is not running")
    assert lines[5].split() == ["14:00", "gabapentin", "300", "mg", "taken", "13:00", "(-60", "min)"]
    assert "Next dose: gabapentin 300 mg at Sat 22:00." in lines


def test_log_medication_ignores_case_and_lists_the_known_ones(cli: Cli) -> None:
    assert cli("take", at="2026-11-28 08:02:00").returncode == 0
    out = cli("log", "--medication", "Gabapentin", "--format", "json", at="2026-11-28 09:00:00")
    assert out.returncode == 0, out.stderr
    assert [(r["medication"], r["slot"]) for r in json.loads(out.stdout)] == [("gabapentin", "08:00")]
    unknown = cli("log", "--medication", "baclofen", at="2026-11-28 09:00:00")
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr == ("reminderd: no medication called 'baclofen' in the log or the config; "
                              "expected one of: gabapentin\n")


def test_supply_counts_doses_taken_before_the_first_status(cli: Cli) -> None:
    cli.config.write_text(config_text(extra="supply = 30\n"))
    assert cli("take", "--at", "07:55", at="2026-11-28 08:05:00").returncode == 0
    assert cli("take", at="2026-11-28 14:00:00").returncode == 0
    out = cli("status", at="2026-11-28 15:00:00")
    assert "Supply: gabapentin 28 tablets, about 9 day(s)." in out.stdout.splitlines()


def test_status_shows_a_dose_of_a_slot_moved_today_to_a_time_already_past(cli: Cli) -> None:
    # The evening dose moved from 22:00 to 21:00 at 21:30, then taken at 21:35: neither
    # prescription has a 21:00 slot in force at 21:00, but the dose is today's and shown.
    assert cli("status", at="2026-11-28 12:00:00").returncode == 0  # records the old prescription
    cli.config.write_text(config_text(times='["08:00", "14:00", "21:00"]'))
    assert cli("take", at="2026-11-28 21:35:00").returncode == 0
    out = cli("status", at="2026-11-28 21:40:00")
    assert out.returncode == 0, out.stderr
    table = [line.split()[:2] + line.split()[4:5] for line in out.stdout.splitlines()[3:7]]
    assert ["21:00", "gabapentin", "taken"] in table
    assert "Next dose: gabapentin 300 mg at Sun 08:00." in out.stdout
