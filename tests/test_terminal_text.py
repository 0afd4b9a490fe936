"""Text from the log on a terminal: a skip reason or a check-in note holding escape
sequences, carriage returns and newlines is shown escaped by every text output (never run
by the terminal, never breaking a table), and kept exactly by JSON, CSV, export and import."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from reminderd.terminal import visible

# A clipboard write (OSC 52), a bell, a screen clear, a carriage return and a newline.
HOSTILE = "\x1b]52;c;aGk=\x07\x1b[2J\r\n"
SHOWN = "\\x1b]52;c;aGk=\\x07\\x1b[2J\\r\\n"
# A note is stripped at its ends like any typed answer, so the sequence sits inside it.
NOTE = f"left leg {HOSTILE}then fine"
NOTE_SHOWN = f"left leg {SHOWN}then fine"

AT = "2026-11-28 08:05:00"


@pytest.mark.parametrize(("text", "shown"), [
    (HOSTILE, SHOWN),
    ("tab\there", "tab\\there"),
    ("\x00\x7f\x9b", "\\x00\\x7f\\x9b"),  # NUL, DEL and the C1 control sequence introducer
    ("a\u202eb\u2028c", "a\\u202eb\\u2028c"),  # a right-to-left override and a line separator
    ("Gabapentin 300 mg, 08:00 — taken ✓", "Gabapentin 300 mg, 08:00 — taken ✓"),  # kept as it is
], ids=["osc52-clear-crlf", "tab", "nul-del-csi", "bidi-line-separator", "ordinary-text"])
def test_visible_escapes_every_control_character_and_keeps_the_rest(text, shown):
    assert visible(text) == shown


@pytest.fixture
def hostile(cli):
    """A log holding a skip reason and a check-in note with the hostile text."""
    assert cli("skip", "--reason", HOSTILE, at=AT).returncode == 0
    assert cli("checkin", "--severity", "2", "--frequency", "3", "--note", NOTE, at=AT).returncode == 0
    return cli


def _exact_stdout(cli, *args: str) -> str:
    """A command's standard output exactly as written to a pipe (no newline translation)."""
    done = subprocess.run([sys.executable, "-m", "reminderd", *args], env=cli.env(AT), capture_output=True, check=True)
    return done.stdout.decode()


def _no_control_characters(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text


def test_log_status_and_checkins_show_it_escaped(hostile):
    for args in (("log",), ("log", "--checkins"), ("status",)):
        out = hostile(*args, at=AT).stdout
        _no_control_characters(out)
        assert (SHOWN if args[-1] != "--checkins" else NOTE_SHOWN) in out, args
    status = hostile("status", at=AT).stdout
    assert f"skipped ({SHOWN})" in status and NOTE_SHOWN in status
    table = hostile("log", at=AT).stdout.splitlines()
    assert len(table) == 2 + 1  # header, rule, one dose: the newline did not break the table


def test_json_export_and_import_keep_it_exactly(hostile, tmp_path):
    doses = json.loads(hostile("log", "--format", "json", at=AT).stdout)
    assert [d["reason"] for d in doses] == [HOSTILE]
    nights = json.loads(hostile("log", "--checkins", "--format", "json", at=AT).stdout)
    assert [n["note"] for n in nights] == [NOTE]

    backup, restored = tmp_path / "backup.json", tmp_path / "restored.db"
    assert hostile("export", "--output", str(backup), at=AT).returncode == 0
    assert hostile("--db", str(restored), "import", str(backup), at=AT).returncode == 0
    again = json.loads(hostile("--db", str(restored), "log", "--format", "json", at=AT).stdout)
    assert [d["reason"] for d in again] == [HOSTILE]
    nights = json.loads(hostile("--db", str(restored), "log", "--checkins", "--format", "json", at=AT).stdout)
    assert [n["note"] for n in nights] == [NOTE]
    shown = hostile("--db", str(restored), "log", at=AT).stdout
    _no_control_characters(shown)
    assert SHOWN in shown


@pytest.mark.system
def test_csv_keeps_it_exactly_through_a_pipe(hostile):
    # click strips what looks like a colour code from output that is not a terminal.
    rows = list(csv.DictReader(io.StringIO(_exact_stdout(hostile, "log", "--format", "csv"), newline="")))
    assert [r["reason"] for r in rows] == [HOSTILE]
    rows = list(csv.DictReader(io.StringIO(_exact_stdout(hostile, "log", "--checkins", "--format", "csv"),
                                           newline="")))
    assert [r["note"] for r in rows] == [NOTE]


def test_the_daemon_log_shows_a_hostile_name_escaped(clocked, daemon):
    # A name from a config (TOML spells ESC as \u001b) reaches the terminal running `reminderd run`.
    clocked.config.write_text(clocked.config.read_text().replace('name = "gabapentin"', 'name = "gaba\\u001b[2Jpentin"'))
    d = daemon()
    d.wait_for(r"INFO reminder 1: gaba\\x1b\[2Jpentin 300 mg, 08:00 dose")
    assert "\x1b" not in d.output
    took = clocked("take")
    assert took.returncode == 0 and took.stdout.startswith("Recorded: gaba\\x1b[2Jpentin 300 mg")
