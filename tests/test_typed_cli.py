"""Times, dates and numbers typed on the command line, as a person meant them, and every
hostile value refused in one line (exit 2) with nothing written. The CLI runs as a real
process, its clock set with libfaketime."""

from __future__ import annotations

import pytest

from tests.conftest import Cli, config_text, rows
from tests.test_cli import dump


def test_a_bare_time_after_midnight_is_last_nights_dose(cli: Cli) -> None:
    out = cli("take", "gabapentin", "--at", "22:00", at="2026-11-29 01:05:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("Recorded: gabapentin 300 mg, 22:00 dose of 2026-11-28, taken at 22:00 (on time, to the minute).\n"
                          "Note: 22:00 read as 2026-11-28 22:00, the last time the clock showed it.\n")


def test_edit_taken_at_a_bare_time_is_on_the_date_given(cli: Cli) -> None:
    out = cli("edit", "--date", "2026-11-18", "--slot", "08:00", "--taken-at", "08:10", at="2026-11-20 09:00:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Corrected: gabapentin 08:00 dose of 2026-11-18 is taken, taken at 2026-11-18 08:10.\n"
    assert rows(cli, "SELECT taken_at, late_minutes FROM doses") == [("2026-11-18T08:10:00+00:00", 10)]


def test_autumn_time_needs_its_offset_and_says_which_was_used(cli: Cli) -> None:
    # 2026-10-25 in London: 01:00-02:00 happens twice (BST, then GMT); slot 01:30.
    cli.config.write_text(config_text(times='["01:30"]'))
    plain = cli("take", "--at", "01:30", at="2026-10-25 03:00:00")
    assert plain.returncode == 2
    assert plain.stderr == ("reminderd: --at '01:30': 2026-10-25 01:30 happened twice in Europe/London (the clocks "
                            "went back that night); expected it with its UTC offset: \"01:30+01:00\" for the first "
                            "(BST) or \"01:30+00:00\" for the second (GMT)\n")
    assert not cli.db.exists() or rows(cli, "SELECT count(*) FROM doses") == [(0,)]
    out = cli("take", "--at", "01:30+00:00", at="2026-10-25 03:00:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1] == ("Note: 2026-10-25 01:30 read with the offset +00:00 "
                                          "(GMT, the second 01:30 that night).")
    assert rows(cli, "SELECT due, taken_at FROM doses") == [("2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00+00:00")]


def test_spring_gap_time_is_refused_with_the_shift(cli: Cli) -> None:
    out = cli("take", "--at", "01:30", at="2026-03-29 09:00:00")
    assert out.returncode == 2
    assert out.stderr == ("reminderd: --at '01:30': 2026-03-29 01:30 never happened in Europe/London; the clocks "
                          "went forward 1 h that night, from 01:00 GMT straight to 02:00 BST; expected a time "
                          "before 01:00 or from 02:00\n")


RANGE = "expected a date YYYY-MM-DD from 1970-01-01 to 2999-12-31"


@pytest.mark.parametrize(
    "args, message",
    [
        (["refill", "gabapentin", "inf"], "TABLETS 'inf' is not valid; expected a number of tablets more than 0 and at most 100000"),
        (["refill", "gabapentin", "nan"], "TABLETS 'nan' is not valid; expected a number of tablets more than 0 and at most 100000"),
        (["refill", "gabapentin", "1e309"], "TABLETS '1e309' is not valid; expected a number of tablets more than 0 and at most 100000"),
        (["take", "--at", "0001-01-01 00:00"], f"--at '0001-01-01 00:00' is out of range; {RANGE}"),
        (["take", "--at", "9999-12-31 23:59"], f"--at '9999-12-31 23:59' is out of range; {RANGE}"),
        (["log", "--until", "0001-01-05"], f"--until '0001-01-05' is out of range; {RANGE}"),
        (["report", "--since", "9999-12-30"], f"--since '9999-12-30' is out of range; {RANGE}"),
        (["checkin", "--night", "0001-01-01", "--severity", "1"], f"--night '0001-01-01' is out of range; {RANGE}"),
        (["edit", "--date", "9999-12-31", "--slot", "08:00", "--status", "missed"], f"--date '9999-12-31' is out of range; {RANGE}"),
        (["snooze", "--for", "99999999h"], "--for '99999999h' is not valid; expected a duration of at most 7 days (\"168h\")"),
    ],
    ids=["refill-inf", "refill-nan", "refill-overflow", "at-year-1", "at-year-9999", "log-until-year-1",
         "report-since-9999", "checkin-night-year-1", "edit-date-9999", "snooze-overflow"],
)
def test_hostile_values_are_refused_in_one_line_and_change_nothing(cli: Cli, args: list[str], message: str) -> None:
    cli.config.write_text(config_text(extra="supply = 30\n"))
    assert cli("take", at="2026-11-28 08:02:00").returncode == 0
    before = dump(cli)
    out = cli(*args, at="2026-11-28 08:30:00")
    assert (out.returncode, out.stdout, out.stderr) == (2, "", f"reminderd: {message}\n")
    assert dump(cli) == before
    assert cli("status", at="2026-11-28 08:31:00").returncode == 0


@pytest.mark.parametrize(
    "extra, problem",
    [
        ("supply = nan\n", "medication[0].supply: nan is not valid; expected a number of tablets from 0 to 100000"),
        ("per_dose = inf\n", "medication[0].per_dose: inf is not valid; expected a number of tablets per dose "
                             "from 0.01 to 100 (e.g. 1 or 0.5)"),
    ],
    ids=["supply-nan", "per-dose-inf"],
)
def test_check_config_and_every_command_refuse_hostile_config_values(cli: Cli, extra: str, problem: str) -> None:
    cli.config.write_text(config_text(extra=extra))
    checked = cli("check-config")
    assert (checked.returncode, checked.stdout) == (2, "")
    assert checked.stderr == f"reminderd: {cli.config}: 1 problem(s):\n  - {problem}\n"
    status = cli("status", at="2026-11-28 08:30:00")
    assert (status.returncode, status.stderr) == (2, checked.stderr)
    assert not cli.db.exists()


def test_check_config_refuses_a_give_up_that_would_overflow_a_date(cli: Cli) -> None:
    cli.config.write_text(config_text(give_up_after="99999999h"))
    out = cli("check-config")
    assert out.returncode == 2
    assert out.stderr == (f"reminderd: {cli.config}: 1 problem(s):\n"
                          '  - medication[0].give_up_after: "99999999h" is not valid; expected a duration of at '
                          'most 7 days ("168h")\n')
