"""Every CLI command as a real process, its clock set with libfaketime where it matters.

All times are in November, when Europe/London is on UTC, so a wall time in a test is
also its UTC instant."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from tests.conftest import Cli, config_text


def dump(cli: Cli) -> list:
    conn = sqlite3.connect(cli.db)
    rows = conn.execute("SELECT * FROM doses ORDER BY id").fetchall() + conn.execute("SELECT * FROM events ORDER BY id").fetchall()
    conn.close()
    return rows


def log_json(cli: Cli, *args: str) -> list[dict]:
    out = cli("log", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "json", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_check_config_prints_ok_and_the_schedule(cli: Cli) -> None:
    out = cli("check-config")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:3] == [
        "ok",
        "time zone: Europe/London",
        "gabapentin 300 mg at 08:00, 14:00, 22:00; reminded every 15m, missed after 3h, at least 4h apart",
    ]


def test_check_config_names_the_bedtime_and_notes_an_unused_night_window(cli: Cli) -> None:
    out = cli("check-config")
    assert "a night begins at bedtime 23:00 and is judged by the doses due in the 24 h before it" in out.stdout
    assert "night_window" not in out.stdout
    cli.config.write_text(config_text() + '\n[checkin]\nnight_window = "24h"\n')
    out = cli("check-config")
    assert out.returncode == 0, out.stderr
    assert ("note: checkin.night_window is no longer used (nights are judged from checkin.bedtime); "
            "it can be removed") in out.stdout.splitlines()


def test_check_config_reports_every_problem_with_exit_2(cli: Cli) -> None:
    cli.config.write_text(config_text(times='["08:00", "25:00"]', remind_every="0m", timezone="Mars/Olympus"))
    out = cli("check-config", str(cli.config))
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr == (
        f"reminderd: {cli.config}: 3 problem(s):\n"
        '  - timezone: "Mars/Olympus" is not valid; expected an IANA time zone name such as "Europe/London"\n'
        '  - medication[0].remind_every: "0m" is not valid; expected a duration like "90s", "15m", "3h" or "1h30m", longer than zero\n'
        '  - medication[0].times[1]: "25:00" is not valid; expected a time "HH:MM" from "00:00" to "23:59"\n'
    )


@pytest.mark.system
def test_daemon_refuses_a_bad_config_and_touches_nothing(cli: Cli) -> None:
    cli.config.write_text(config_text() + "\nsnoze = 3\n")
    out = cli("run", timeout=20)
    assert out.returncode == 2
    assert "snoze: unknown setting" in out.stderr
    assert not cli.db.exists()


def test_init_writes_the_example_once(cli: Cli, tmp_path) -> None:
    target = tmp_path / "fresh" / "config.toml"
    out = cli("--config", str(target), "init")
    assert out.returncode == 0, out.stderr
    from reminderd.paths import EXAMPLE_CONFIG

    assert target.read_text() == EXAMPLE_CONFIG.read_text()
    target.write_text("# mine\n")
    again = cli("--config", str(target), "init")
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert target.read_text() == "# mine\n"


def test_take_records_the_dose_due_now_and_refuses_a_second_take(cli: Cli) -> None:
    out = cli("take", at="2026-11-28 08:05:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Recorded: gabapentin 300 mg, 08:00 dose of 2026-11-28, taken at 08:05 (on time, 5 min after).\n"
    again = cli("take", "gabapentin", at="2026-11-28 08:20:00")
    assert again.returncode == 2
    assert again.stderr == ("reminderd: the 08:00 dose of gabapentin on 2026-11-28 was already taken at "
                            "2026-11-28 08:05; nothing else is due around then\n")
    [row] = log_json(cli)
    assert row | {} == {
        "medication": "gabapentin", "local_date": "2026-11-28", "slot": "08:00", "dose": "300 mg",
        "due": "2026-11-28T08:00:00+00:00", "status": "taken", "taken_at": "2026-11-28T08:05:00+00:00",
        "late_minutes": 5, "via": "cli", "reason": None, "reminders_sent": 0,
    }


@pytest.mark.parametrize(
    "now, at, slot, timing",
    [
        ("2026-11-28 07:00:00", None, "08:00", "on time, 1 h before"),
        ("2026-11-28 16:00:00", "14:30", "14:00", "on time, 30 min after"),
        ("2026-11-29 09:00:00", "2026-11-28 22:10", "22:00", "on time, 10 min after"),
        ("2026-11-28 14:00:40", None, "14:00", "on time, to the minute"),  # taken at 14:00 by the clock
        ("2026-11-28 13:59:30", None, "14:00", "on time, 1 min before"),  # taken at 13:59 by the clock
    ],
    ids=["early", "late-with-at", "yesterday-with-date", "on-time", "seconds-early"],
)
def test_take_finds_the_slot_meant(cli: Cli, now: str, at: str | None, slot: str, timing: str) -> None:
    out = cli("take", *(["--at", at] if at else []), at=now)
    assert out.returncode == 0, out.stderr
    assert f"{slot} dose" in out.stdout and f"({timing})" in out.stdout


def test_take_inside_min_gap_needs_force(cli: Cli) -> None:
    assert cli("take", "--at", "10:30", at="2026-11-28 12:30:00").returncode == 0  # the 08:00 dose, late
    before = dump(cli)
    refused = cli("take", at="2026-11-28 13:00:00")  # the 14:00 dose, 2.5 h after the last
    assert refused.returncode == 2
    assert refused.stderr == (
        "reminderd: gabapentin was last taken 2h30m before that (the 08:00 dose of 2026-11-28); "
        "doses should be at least 4h apart. If you really took it, record it with --force\n")
    assert dump(cli) == before
    forced = cli("take", "--force", at="2026-11-28 13:00:00")
    assert forced.returncode == 0, forced.stderr
    assert "14:00 dose" in forced.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["take", "--at", "7pm"], "reminderd: --at '7pm' is not valid; expected a time \"HH:MM\" (the last time the clock showed it) or a date and time \"YYYY-MM-DD HH:MM\"\n"),
        (["take", "--at", "2026-02-30 08:00"], "reminderd: --at '2026-02-30 08:00' is not valid; expected a time \"HH:MM\" (the last time the clock showed it) or a date and time \"YYYY-MM-DD HH:MM\"\n"),
        (["take", "--at", "2026-11-28 09:00"], "reminderd: 2026-11-28 09:00 is in the future; a dose is recorded once taken\n"),
        (["take", "baclofen"], "reminderd: no medication called 'baclofen' in the config; expected one of: gabapentin\n"),
        (["skip", "--at", "2026-11-28 08:10"], "reminderd: the 08:00 dose of gabapentin on 2026-11-28 was already taken at 2026-11-28 08:02; nothing else is due around then\n"),
        (["snooze"], "reminderd: no dose of gabapentin is waiting for an answer now; nothing to snooze\n"),
        (["snooze", "--for", "soon"], "reminderd: --for 'soon' is not valid; expected a duration like \"90s\", \"15m\", \"3h\" or \"1h30m\", longer than zero\n"),
        (["log", "--since", "yesterday"], "reminderd: --since 'yesterday' is not valid; expected a date YYYY-MM-DD\n"),
        (["log", "--since", "2026-11-20", "--until", "2026-11-01"], "reminderd: --since 2026-11-20 is after --until 2026-11-01; expected since <= until\n"),
    ],
    ids=["at-words", "at-bad-date", "at-future", "unknown-medication", "skip-answered", "snooze-nothing", "snooze-bad", "since-bad", "since-after-until"],
)
def test_bad_input_is_refused_with_what_is_accepted_and_changes_nothing(cli: Cli, args: list[str], message: str) -> None:
    assert cli("take", at="2026-11-28 08:02:00").returncode == 0
    before = dump(cli)
    out = cli(*args, at="2026-11-28 08:30:00")
    assert out.returncode == 2, out.stdout
    assert out.stderr == message
    assert dump(cli) == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["refill", "gabapentin", "-5"], "reminderd: No such option '-5'. A negative number is not a value here. "
                                         "(see: reminderd refill --help)\n"),
        (["take", "--bogus"], "reminderd: No such option '--bogus'. (see: reminderd take --help)\n"),
        (["refill"], "reminderd: Missing argument 'MEDICATION'. (see: reminderd refill --help)\n"),
        (["take", "--at"], "reminderd: Option '--at' requires an argument. (see: reminderd take --help)\n"),
        (["frob"], "reminderd: No such command 'frob'. (see: reminderd --help)\n"),
        (["--confg", "x", "status"], "reminderd: No such option '--confg'. Did you mean '--config'? (see: reminderd --help)\n"),
    ],
    ids=["negative-tablets", "unknown-option", "missing-argument", "missing-value", "unknown-command",
         "unknown-group-option"],
)
def test_a_command_line_click_cannot_read_is_refused_in_one_line(cli: Cli, args: list[str], message: str) -> None:
    """Not click's three lines (usage, hint, error): one, like every other refusal."""
    assert cli("take", at="2026-11-28 08:02:00").returncode == 0
    before = dump(cli)
    out = cli(*args, at="2026-11-28 08:30:00")
    assert (out.returncode, out.stderr, out.stdout) == (2, message, "")
    assert dump(cli) == before


def test_the_command_alone_still_shows_the_help(cli: Cli) -> None:
    out = cli()
    assert "Usage: reminderd [OPTIONS] COMMAND [ARGS]..." in out.stdout + out.stderr
    assert "take" in out.stdout + out.stderr


def test_unknown_format_lists_the_choices(cli: Cli) -> None:
    out = cli("log", "--format", "xml")
    assert out.returncode == 2
    assert "'xml' is not one of 'table', 'csv', 'json'" in out.stderr


def test_medication_must_be_named_when_several_are_configured(cli: Cli) -> None:
    cli.config.write_text(config_text() + '\n[[medication]]\nname = "baclofen"\ndose = "10 mg"\ntimes = ["08:00"]\nmin_gap = "1h"\n')
    out = cli("take", at="2026-11-28 08:00:00")
    assert out.returncode == 2
    assert out.stderr == ("reminderd: 2 doses are due now: 1) gabapentin 300 mg (08:00); 2) baclofen 10 mg (08:00); "
                          "name one, or use --all\n")
    # Nothing due (both given up at 11:00): the old message.
    out = cli("take", at="2026-11-28 11:30:00")
    assert out.stderr == "reminderd: more than one medication is configured; name one of: gabapentin, baclofen\n"
    assert cli("take", "Baclofen", at="2026-11-28 08:00:00").returncode == 0


def test_skip_and_snooze(cli: Cli) -> None:
    snoozed = cli("snooze", "--for", "20m", at="2026-11-28 14:05:00")
    assert snoozed.returncode == 2  # no row yet and the daemon is not running: nothing is being reminded
    skip = cli("skip", "--reason", "nausea", at="2026-11-28 14:05:00")
    assert skip.returncode == 0, skip.stderr
    assert skip.stdout == "Recorded: gabapentin 14:00 dose of 2026-11-28 skipped.\n"
    [row] = log_json(cli)
    assert (row["slot"], row["status"], row["reason"], row["via"]) == ("14:00", "skipped", "nausea", "cli")
    again = cli("skip", at="2026-11-28 14:06:00")
    assert again.returncode == 2


def test_snooze_a_dose_being_reminded(cli: Cli) -> None:
    from datetime import datetime, timezone

    from reminderd.core.schedule import Slot
    from reminderd.store import Store

    store = Store.open(cli.db)
    store.ensure_doses([Slot(datetime(2026, 11, 28, 14, tzinfo=timezone.utc), "gabapentin",
                             datetime(2026, 11, 28).date(), "14:00", "300 mg")], datetime(2026, 11, 28, tzinfo=timezone.utc))
    store.close()
    out = cli("snooze", "--for", "20m", at="2026-11-28 14:05:00")
    assert out.returncode == 0, out.stderr
    # No daemon runs for this log: the snooze is recorded, and it says no reminder will come.
    assert out.stdout == "Snoozed: gabapentin 14:00 dose until 14:25, but no reminder will come: the daemon is not running.\n"
    assert out.stderr.startswith("Reminders are off: the daemon is not running — start it with: reminderd run")


def test_status_shows_todays_doses(cli: Cli) -> None:
    cli("take", at="2026-11-28 08:03:00")
    out = cli("status", at="2026-11-28 15:00:00")
    assert out.returncode == 0, out.stderr
    off, *lines = out.stdout.splitlines()
    assert off == ("Reminders are off: the daemon is not running — start it with: reminderd run (or have your "
                   "desktop start it: reminderd install-service)")
    assert lines[0] == "Today, Saturday 28 November 2026 (Europe/London):"
    assert lines[3].split() == ["08:00", "gabapentin", "300", "mg", "taken", "08:03", "(+3", "min)"]
    # no row: the daemon never saw it; still in its window, so `take` would record it
    assert lines[4].split() == ["14:00", "gabapentin", "300", "mg", "DUE", "(daemon", "not", "running)"]
    assert lines[5].split() == ["22:00", "gabapentin", "300", "mg", "upcoming"]
    assert lines[-2] == "Next dose: gabapentin 300 mg at Sat 22:00."


def test_log_formats(cli: Cli) -> None:
    cli("take", at="2026-11-28 08:03:00")
    cli("skip", at="2026-11-28 14:01:00")
    out = cli("log", "--since", "2026-11-28", "--format", "csv", at="2026-11-28 15:00:00")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["slot"], r["status"], r["taken_at"], r["late_minutes"]) for r in rows] == [
        ("08:00", "taken", "2026-11-28T08:03:00+00:00", "3"), ("14:00", "skipped", "", "")]
    table = cli("log", "--since", "2026-11-28", at="2026-11-28 15:00:00").stdout.splitlines()
    assert table[0].split()[:6] == ["medication", "local_date", "slot", "dose", "due", "status"]
    assert len(table) == 4
    empty = cli("log", "--since", "2026-10-01", "--until", "2026-10-02")
    assert empty.stdout == "no doses recorded in that period\n"


def test_help_has_examples(cli: Cli) -> None:
    out = cli("take", "--help")
    assert out.returncode == 0
    assert "reminderd take gabapentin --at 07:55" in out.stdout
