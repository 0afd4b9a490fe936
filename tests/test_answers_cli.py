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
    assert lines[4].split() == ["14:00", "gabapentin", "300", "mg", "taken", "13:00", "(-60", "min)"]
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
