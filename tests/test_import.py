"""`reminderd import` trusts nothing in the file, and the log says plainly when it cannot be
written (issue 11, item 5): every field is checked as the store itself would have written
it, and a file that does not fit is refused whole, in one line naming row and field."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from reminderd.store import backup
from reminderd.core import doses as rules
from reminderd.core.checkin import Checkin
from reminderd.core.rating import Rating
from reminderd.config_file import load_config
from reminderd.core.prescriptions import canonical_of
from reminderd.core.schedule import slots_on
from reminderd.store import Store
from tests.conftest import Cli, count_rows

UTC = timezone.utc


@pytest.fixture
def exported(cli: Cli, tmp_path: Path) -> Path:
    """An export of a small real log: three days, an undone answer, a check-in, a refill."""
    config = load_config(cli.config)
    med = config.medication("gabapentin")
    store = Store.open(cli.db)
    store.record_prescription(canonical_of(config), datetime(2026, 11, 1, tzinfo=UTC))
    for day in range(1, 4):
        for s in slots_on(config, datetime(2026, 11, day).date()):
            store.ensure_doses([s], s.due)
            dose = store.dose_at(s.medication, s.local_date, s.slot)
            store.save_dose(rules.take(dose, med, s.due, s.due, "cli"), "taken", "cli", s.due)
    last = store.undoable_events()[0]
    dose = store.dose(last["dose_id"])
    store.save_dose(dose._replace(status="pending", taken_at=None, via=None, late_minutes=None, answered_at=None),
                    "undone", "cli", dose.due + timedelta(minutes=1), {"event": last["id"]})
    store.save_checkin(Checkin(datetime(2026, 11, 1).date(), 2, 3, 1, "left leg",
                               datetime(2026, 11, 2, 8, 40, tzinfo=UTC), "cli", other_cause=True),
                       datetime(2026, 11, 2, 8, 40, tzinfo=UTC), "cli")
    store.add_supply("gabapentin", 90.0, "refill", datetime(2026, 11, 2, 9, tzinfo=UTC))
    # A second rater: an answer, one corrected and then taken back, one told by an alert.
    for night, severity, told, minute in ((1, 2, None, 10), (1, 3, None, 11), (2, 1, "missed:3", 12)):
        at = datetime(2026, 11, 3, 7, minute, tzinfo=UTC)
        store.save_rating(Rating("Partner", datetime(2026, 11, night).date(), severity, 2, 1, "kicks", at, "phone",
                                 told), at, "phone")
    store.undo_rating(store.events("rating")[1], datetime(2026, 11, 3, 7, 13, tzinfo=UTC), "phone")
    path = tmp_path / "backup.json"
    path.write_text(backup.dump(store))
    store.close()
    return path


def edited(path: Path, change) -> Path:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def test_the_export_file_is_version_4_with_the_prescription_history_and_the_ratings(exported: Path) -> None:
    data = json.loads(exported.read_text())
    assert (data["version"], data["schema_version"]) == (4, 6)
    assert data["checkins"][0]["other_cause"] == 1
    assert [r["in_force_from"] for r in data["prescriptions"]] == ["2026-11-01T00:00:00+00:00"]
    assert [(r["night"], r["severity"], r["blinded"], r["told"]) for r in data["ratings"]] == [
        ("2026-11-01", 2, 1, None), ("2026-11-02", 1, 0, "missed:3")]
    assert [e["kind"] for e in data["events"] if e["kind"].startswith("rating")] == ["rating"] * 3 + ["rating-undone"]


def test_a_good_file_imports_and_exports_again_byte_identical(cli: Cli, exported: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    out = cli("--db", str(fresh), "import", str(exported))
    assert out.returncode == 0, out.stderr
    again = tmp_path / "again.json"
    assert cli("--db", str(fresh), "export", "--output", str(again)).returncode == 0
    assert again.read_bytes() == exported.read_bytes()


def test_a_version_1_file_still_imports(cli: Cli, exported: Path, tmp_path: Path) -> None:
    """Version 1 had no prescription history: the log gets the config's, from the import on."""
    def to_v1(data: dict) -> None:
        data.update(version=1, schema_version=3)
        del data["prescriptions"], data["ratings"]
        data["events"] = [e for e in data["events"] if not e["kind"].startswith("rating")]
        for row in data["checkins"]:
            del row["other_cause"]

    fresh = tmp_path / "fresh.db"
    out = cli("--db", str(fresh), "import", str(edited(exported, to_v1)), at="2026-11-20 10:00:00")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"Imported {exported} into {fresh}: 9 doses, ")
    conn = sqlite3.connect(fresh)
    assert conn.execute("SELECT in_force_from FROM prescriptions").fetchall() == [("2026-11-20T10:00:00+00:00",)]
    conn.close()
    # Where the log begins is still its first dose, not the day of the import.
    data = json.loads(cli("--db", str(fresh), "report", "--since", "2026-11-01", "--until", "2026-11-03",
                          "--format", "json", at="2026-11-20 10:00:00").stdout)
    assert data["log_begins"] == "2026-11-01" and data["adherence"]["due"] == 9


def test_a_version_2_file_imports_its_checkins_as_not_asked_anything_else(cli: Cli, exported: Path,
                                                                           tmp_path: Path) -> None:
    """Version 2's check-ins had no "anything else?": imported as not answered."""
    def to_v2(data: dict) -> None:
        data.update(version=2, schema_version=4)
        for row in data["checkins"]:
            del row["other_cause"]
        del data["ratings"]
        data["events"] = [e for e in data["events"] if not e["kind"].startswith("rating")]

    fresh = tmp_path / "fresh.db"
    out = cli("--db", str(fresh), "import", str(edited(exported, to_v2)))
    assert out.returncode == 0, out.stderr
    conn = sqlite3.connect(fresh)
    assert conn.execute("SELECT severity, note, other_cause FROM checkins").fetchall() == [(2, "left leg", None)]
    conn.close()
    # A version-3 file must have it.
    refused = cli("--db", str(tmp_path / "other.db"), "import",
                  str(edited(exported, lambda d: d.update(version=3, schema_version=5))))
    assert refused.returncode == 2 and "checkins[0]: missing other_cause" in refused.stderr


def test_a_version_3_file_has_no_ratings_and_still_imports(cli: Cli, exported: Path, tmp_path: Path) -> None:
    def to_v3(data: dict) -> None:
        data.update(version=3, schema_version=5)
        del data["ratings"]
        data["events"] = [e for e in data["events"] if not e["kind"].startswith("rating")]

    original = exported.read_text()
    fresh = tmp_path / "fresh.db"
    out = cli("--db", str(fresh), "import", str(edited(exported, to_v3)))
    assert out.returncode == 0, out.stderr
    assert count_rows(fresh)[-1] == 0
    # A version-3 file with ratings is not what version 3 wrote.
    exported.write_text(original)
    refused = cli("--db", str(tmp_path / "other.db"), "import",
                  str(edited(exported, lambda d: d.update(version=3, schema_version=5))))
    assert refused.returncode == 2 and "ratings: unknown key" in refused.stderr


def test_a_log_holding_only_the_prescription_a_command_recorded_still_takes_an_import(
        cli: Cli, exported: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    assert cli("--db", str(fresh), "status").returncode == 0  # records the config's prescription
    out = cli("--db", str(fresh), "import", str(exported))
    assert out.returncode == 0, out.stderr
    assert count_rows(fresh)[4] == 1  # the file's history replaced it


def set_field(table: str, index: int, field: str, value):
    return lambda data: data[table][index].__setitem__(field, value)


# (what is damaged, the change, the one-line problem it must name)
BAD = [
    ("due not an instant", set_field("doses", 0, "due", "yesterday"),
     'doses[0].due: "yesterday" is not valid; expected an instant as reminderd writes it'),
    ("naive instant", set_field("doses", 0, "due", "2026-11-01T08:00:00"),
     'doses[0].due: "2026-11-01T08:00:00" is not valid; expected an instant'),
    ("instant not in UTC", set_field("doses", 0, "taken_at", "2026-11-01T09:00:00+01:00"),
     'doses[0].taken_at: "2026-11-01T09:00:00+01:00" is not valid'),
    ("year 1", set_field("events", 0, "at", "0001-01-01T00:00:00+00:00"),
     'events[0].at: "0001-01-01T00:00:00+00:00" is not valid'),
    ("no such date", set_field("doses", 1, "local_date", "2026-13-45"),
     'doses[1].local_date: "2026-13-45" is not valid; expected a real date YYYY-MM-DD'),
    ("unknown status", set_field("doses", 2, "status", "eaten"),
     'doses[2].status: "eaten" is not valid; expected one of "pending", "taken", "skipped", "missed"'),
    ("slot", set_field("doses", 0, "slot", "25:00"),
     'doses[0].slot: "25:00" is not valid; expected a slot "HH:MM" (00:00 to 23:59) or "PRN n"'),
    ("infinity", lambda d: d["supply"][0].__setitem__("change", float("inf")), "not JSON: Infinity is not a number"),
    ("huge number", set_field("supply", 0, "change", 10 ** 30),
     "supply[0].change: 1000000000000000000000000000000 is not valid; expected a number"),
    ("too many tablets", set_field("supply", 0, "change", 5e9),
     "supply[0].change: 5000000000.0 is not valid; expected a number of tablets from -1e+06 to 1e+06"),
    ("severity", set_field("checkins", 0, "severity", 7),
     "checkins[0].severity: 7 is not valid; expected a whole number from 0 to 3"),
    ("woke", set_field("checkins", 0, "woke", -1), "checkins[0].woke: -1 is not valid; expected a whole number from 0 to 50"),
    ("anything else", set_field("checkins", 0, "other_cause", 2),
     "checkins[0].other_cause: 2 is not valid; expected a whole number from 0 to 1"),
    ("taken without time", set_field("doses", 0, "taken_at", None),
     "doses[0].taken_at: null is not valid; expected when a taken dose was taken"),
    ("two rows of one dose", lambda d: d["doses"][1].update(slot=d["doses"][0]["slot"], local_date=d["doses"][0]["local_date"]),
     "doses[1]: gabapentin 2026-11-01 08:00 is also doses[0]; expected one row a dose"),
    ("undo of nothing", lambda d: [e.__setitem__("detail", '{"event": 999}') for e in d["events"] if e["kind"] == "undone"],
     "is not valid", ),
    ("detail not JSON", set_field("events", 0, "detail", "{oops"),
     'events[0].detail: "{oops" is not valid; expected a JSON object as text, or null'),
    ("prescription", set_field("prescriptions", 0, "prescription", '{"timezone": "Mars"}'),
     "prescriptions[0].prescription: "),
    ("supply kind", set_field("supply", 0, "kind", "stolen"), 'supply[0].kind: "stolen" is not valid; expected one of "start", "refill"'),
    ("id", set_field("doses", 0, "id", 0), "doses[0].id: 0 is not valid; expected a whole number of at least 1"),
    ("rating severity", set_field("ratings", 0, "severity", 4),
     "ratings[0].severity: 4 is not valid; expected a whole number from 0 to 3"),
    ("rater name", set_field("ratings", 0, "rater", "-x"),
     'ratings[0].rater: "-x" is not valid; expected a name that does not start with \'-\''),
    ("rating via", set_field("ratings", 0, "via", "notification"),
     'ratings[0].via: "notification" is not valid; expected one of "cli", "phone"'),
    ("blinded yet told", set_field("ratings", 1, "blinded", 1),
     'ratings[1].blinded: 1 is not valid; expected 0, as told is "missed:3"'),
    ("told by what", set_field("ratings", 1, "told", "a friend"),
     'ratings[1].told: "a friend" is not valid; expected null, or the key of the message that told her'),
    ("rated twice", set_field("ratings", 1, "night", "2026-11-01"),
     "ratings[1]: Partner already rated the night of 2026-11-01 (ratings[0]); expected one row per rater and night"),
    ("woken by nothing", lambda d: d["ratings"][0].update(severity=0, woke=2),
     "ratings[0].woke: 2 is not valid; expected 0 or null with severity 0"),
    ("undo put back a bad row", lambda d: [e.__setitem__("detail", e["detail"].replace('"severity": 2', '"severity": 9'))
                                           for e in d["events"] if e["kind"] == "rating"],
     "a rating's answer or the answer it replaced (before) is not valid"),
    ("undo of no rating", lambda d: [e.__setitem__("detail", '{"event": 1, "night": "2026-11-01", "rater": "Partner"}')
                                     for e in d["events"] if e["kind"] == "rating-undone"],
     "an undone rating names no rating of the file"),
]


@pytest.mark.parametrize("change, problem", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_field_refuses_the_whole_file_in_one_line_and_writes_nothing(
        cli: Cli, exported: Path, tmp_path: Path, change, problem: str) -> None:
    if problem == "is not valid":  # the undone event's index depends on the log; find it
        data = json.loads(exported.read_text())
        index = next(i for i, e in enumerate(data["events"]) if e["kind"] == "undone")
        problem = f"events[{index}].detail: an undoing names no event of the file"
    fresh = tmp_path / "fresh.db"
    out = cli("--db", str(fresh), "import", str(edited(exported, change)))
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr.startswith(f"reminderd: {exported} cannot be imported, nothing was changed: ")
    assert problem in out.stderr
    assert out.stderr.count("\n") == 1
    assert count_rows(fresh) == [0, 0, 0, 0, 0, 0]


def test_after_a_refused_import_every_command_still_works(cli: Cli, exported: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    cli("--db", str(fresh), "import", str(edited(exported, set_field("doses", 0, "due", "yesterday"))))
    for command in (["status"], ["log"], ["report", "--format", "json"]):
        out = cli("--db", str(fresh), *command)
        assert out.returncode == 0, out.stderr


def test_several_problems_are_counted_on_the_same_line(cli: Cli, exported: Path, tmp_path: Path) -> None:
    def damage(data: dict) -> None:
        data["doses"][0]["status"] = "eaten"
        data["doses"][1]["status"] = "eaten"
        data["checkins"][0]["severity"] = 9

    out = cli("--db", str(tmp_path / "fresh.db"), "import", str(edited(exported, damage)))
    assert out.stderr.rstrip("\n").endswith("(and 2 more problems)")
    assert out.stderr.count("\n") == 1


# --------------------------------------------------------------------------- where the log cannot be


def test_a_folder_given_as_the_log_says_so(cli: Cli, tmp_path: Path) -> None:
    out = cli("--db", str(tmp_path), "status")
    assert (out.returncode, out.stderr) == (1, f"reminderd: {tmp_path} is a folder; expected the dose log's "
                                               "file. Pass another file with --db\n")


def test_an_impossible_path_says_what_is_in_the_way(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    out = cli("--db", str(tmp_path / "afile" / "reminderd.db"), "status")
    assert out.returncode == 1
    assert out.stderr == (f"reminderd: {tmp_path / 'afile' / 'reminderd.db'} cannot be used as the dose log: "
                          f"Not a directory ({tmp_path / 'afile' / 'reminderd.db'}); nothing was changed. "
                          "Pass another file with --db\n")


def read_only(cli: Cli, folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the CLI with `folder` read-only. As root, permission bits do not stop a write,
    so the folder is mounted read-only in a private mount namespace; otherwise chmod."""
    command = [sys.executable, "-m", "reminderd", *args]
    if os.geteuid() != 0:
        for part in [folder, *folder.iterdir()]:
            part.chmod(0o500 if part.is_dir() else 0o400)
        try:
            return subprocess.run(command, env=cli.env(), capture_output=True, text=True, timeout=30)
        finally:
            for part in [folder, *folder.iterdir()]:
                part.chmod(0o700 if part.is_dir() else 0o600)
    script = (f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))} && "
              f"mount -o remount,ro,bind {shlex.quote(str(folder))} && exec {shlex.join(command)}")
    return subprocess.run(["unshare", "--mount", "sh", "-c", script], env=cli.env(), capture_output=True,
                          text=True, timeout=30)


@pytest.mark.system  # a real process, in a private mount namespace as root
def test_a_read_only_log_is_called_read_only_not_damaged(cli: Cli) -> None:
    assert cli("status").returncode == 0  # the log exists
    for extra in ("-wal", "-shm"):
        Path(f"{cli.db}{extra}").unlink(missing_ok=True)
    before = cli.db.read_bytes()
    out = read_only(cli, cli.db.parent, "take")  # a command that writes (one that reads, reads it)
    assert out.returncode == 1
    assert out.stderr == (f"reminderd: {cli.db} is read-only; reminderd writes every answer to the dose log, "
                          "so it must be writable. Nothing was changed; make it writable or pass another file "
                          "with --db\n")
    assert cli.db.read_bytes() == before


@pytest.mark.system
def test_a_new_log_in_a_read_only_folder_says_the_folder_is_read_only(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    out = read_only(cli, folder, "--db", str(folder / "new.db"), "status")
    assert out.returncode == 1
    assert out.stderr.startswith(f"reminderd: the folder {folder} is read-only; ")
    assert list(folder.iterdir()) == []


# --------------------------------------------------------------------------- prescriptions, as check-config checks them


def prescription_changed(change):
    """Change the first prescription's medications and write it back in the canonical
    spelling, so only what it says is wrong, not how it is written."""
    def edit(data: dict) -> None:
        stored = json.loads(data["prescriptions"][0]["prescription"])
        change(stored["medications"])
        data["prescriptions"][0]["prescription"] = json.dumps(stored, sort_keys=True, separators=(",", ":"))
    return edit


def _second_medication(meds: list) -> None:
    meds.append(dict(meds[0], name="GABAPENTIN"))  # one name, in any case, is one medication


# (what is wrong, the change, the problem named)
BAD_PRESCRIPTIONS = [
    ("a time twice", prescription_changed(lambda meds: meds[0].update(times=["08:00", "08:00", "14:00", "22:00"])),
     'prescriptions[0].prescription.medications[0].times[1]: "08:00" is listed twice; expected each time once'),
    ("two medications of one name", prescription_changed(_second_medication),
     'prescriptions[0].prescription.medications[1].name: "GABAPENTIN" is not valid; '
     "expected a name not already used by medications[0]"),
    ("times out of order", prescription_changed(lambda meds: meds[0].update(times=["14:00", "08:00", "22:00"])),
     'prescriptions[0].prescription.medications[0].times: ["14:00", "08:00", "22:00"] is not valid; '
     'expected ["08:00", "14:00", "22:00"], as reminderd writes it'),
    ("a minimum gap longer than the slots allow", prescription_changed(lambda meds: meds[0].update(min_gap="7h")),
     'prescriptions[0].prescription.medications[0].min_gap: "7h" is not valid; expected at most 6h, the time between its slots 08:00 and 14:00'),
    ("a maximum a day on a scheduled medicine", prescription_changed(lambda meds: meds[0].update(max_per_day=3)),
     "prescriptions[0].prescription.medications[0].max_per_day: only for as-needed medicines; "
     "expected as_needed = true beside it"),
    ("a step's times out of order", prescription_changed(lambda meds: meds[0].update(
        times=[], steps=[{"from": "2026-10-01", "times": ["22:00", "08:00"], "dose": "300 mg"}])),
     'prescriptions[0].prescription.medications[0].steps[0].times: ["22:00", "08:00"] is not valid; '
     'expected ["08:00", "22:00"], as reminderd writes it'),
]


@pytest.mark.parametrize("change, problem", [b[1:] for b in BAD_PRESCRIPTIONS], ids=[b[0] for b in BAD_PRESCRIPTIONS])
def test_a_prescription_is_checked_as_check_config_checks_a_config(
        cli: Cli, exported: Path, tmp_path: Path, change, problem: str) -> None:
    fresh = tmp_path / "fresh.db"
    out = cli("--db", str(fresh), "import", str(edited(exported, change)))
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == f"reminderd: {exported} cannot be imported, nothing was changed: {problem}\n"
    assert count_rows(fresh) == [0, 0, 0, 0, 0, 0]


# --------------------------------------------------------------------------- files no log ever makes


@pytest.mark.parametrize("text", ["[" * 10_000 + "]" * 10_000, '{"format": ' + "[" * 10_000 + "]" * 10_000 + "}"],
                         ids=["the whole file", "inside the file"])
def test_json_nested_ten_thousand_deep_is_refused_in_one_line(cli: Cli, tmp_path: Path, text: str) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(text)
    fresh = tmp_path / "fresh.db"
    out = cli("--db", str(fresh), "import", str(deep))
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == (f"reminderd: {deep} cannot be imported, nothing was changed: not JSON reminderd reads: "
                          "nested too deeply (an export is 3 levels deep)\n")
    assert not fresh.exists()


def test_an_event_detail_nested_ten_thousand_deep_is_refused_in_one_line(
        cli: Cli, exported: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    out = cli("--db", str(fresh), "import", str(edited(exported, set_field("events", 0, "detail", "[" * 10_000))))
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr.startswith(f"reminderd: {exported} cannot be imported, nothing was changed: events[0].detail: ")
    assert "expected a JSON object as text, or null" in out.stderr and out.stderr.count("\n") == 1
    assert count_rows(fresh) == [0, 0, 0, 0, 0, 0]


@pytest.mark.system  # a real process, so that its memory can be limited
def test_an_endless_file_is_refused_in_bounded_memory_and_time(cli: Cli, tmp_path: Path) -> None:
    import resource

    def limit_memory() -> None:  # a process that read /dev/zero whole would reach it within a second
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    fresh = tmp_path / "fresh.db"
    out = subprocess.run([sys.executable, "-m", "reminderd", "--db", str(fresh), "import", "/dev/zero"],
                         env=cli.env(), capture_output=True, text=True, timeout=60, preexec_fn=limit_memory)
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == ("reminderd: /dev/zero cannot be imported, nothing was changed: larger than "
                          f"{backup.MAX_FILE_BYTES // 2 ** 20} MB; an export of ten years of three daily doses "
                          "is about 14 MB\n")
    assert not fresh.exists()
