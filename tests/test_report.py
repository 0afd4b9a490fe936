"""`reminderd report`, `export` and `import` as real processes over small logs whose
answers are worked out by hand below; the HTML report opened in headless Chromium.

The ten-day log is in November, when Europe/London is on UTC. Bedtime is 23:00 (the
default), so night N is labelled by the doses due from N-1 23:00 to N 23:00: N's own 08:00,
14:00 and 22:00 doses, as they stood at the next morning's 08:30 check-in.
"""

from __future__ import annotations

import json
import re
import sqlite3
import struct
import subprocess
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reminderd.core import doses as rules
from reminderd.core.checkin import Checkin
from reminderd.config_file import load_config
from reminderd.core.prescriptions import canonical_of
from reminderd.core.schedule import Slot, local_instant
from reminderd.store import Store
from tests.conftest import Cli, config_text, count_rows
from tests.test_regression import brute_p

UTC = timezone.utc
SLOTS = ("08:00", "14:00", "22:00")
PRN = '\n[[medication]]\nname = "baclofen"\ndose = "10 mg"\nas_needed = true\n'
NOW = "2026-11-11 12:00:00"
LATE_MINUTES, ON_TIME_MINUTES = 90, 5


def write_log(cli: Cli, first: date, days: list[str], severity: dict[int, int],
              prn: tuple[str, ...] = (), medication: str = "gabapentin") -> None:
    """One day of `medication` per string, a letter per slot (08:00 14:00 22:00): T taken 5 min
    late (on time), L taken 90 min late, E taken 90 min early, M missed, S skipped, P a row
    nobody answered, - no row at all. `severity`: night index -> the check-in's severity. `prn`: "YYYY-MM-DD
    HH:MM" times baclofen was taken as needed."""
    config = load_config(cli.config)
    med = config.medication(medication)
    store = Store.open(cli.db)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    # As the daemon does when it first opens the log: the prescription, from the first day.
    store.record_prescription(canonical_of(config), local_instant(first, time(0, 0), config.timezone))
    for i, marks in enumerate(days):
        day = first + timedelta(days=i)
        for slot, mark in zip(SLOTS, marks):
            if mark == "-":
                continue
            due = local_instant(day, time.fromisoformat(slot), config.timezone)
            store.ensure_doses([Slot(due, medication, day, slot, "300 mg")], now)
            dose = store.dose_at(medication, day, slot)
            if mark in "TLE":
                late = {"T": ON_TIME_MINUTES, "L": LATE_MINUTES, "E": -LATE_MINUTES}[mark]
                store.save_dose(rules.take(dose, med, due + timedelta(minutes=late), now, "notification"),
                                "taken", "notification", now)
            elif mark == "M":
                store.save_dose(rules.give_up(dose, now, "no answer"), "missed", "daemon", now)
            elif mark == "S":
                store.save_dose(rules.skip(dose, now, "cli", "nausea"), "skipped", "cli", now)
    for i, value in severity.items():
        night = first + timedelta(days=i)
        store.save_checkin(Checkin(night, value, 0 if value == 0 else value + 1, value, None,
                                   datetime.combine(night + timedelta(days=1), time(8, 40), UTC), "cli"),
                           now, "cli")
    for text in prn:
        when = datetime.fromisoformat(text).replace(tzinfo=UTC)
        day = when.date()
        number = len(store.doses_on_dates(day, day, "baclofen")) + 1
        store.ensure_doses([Slot(when, "baclofen", day, f"PRN {number}", "10 mg")], now)
        dose = store.dose_at("baclofen", day, f"PRN {number}")
        store.save_dose(rules.take(dose, config.medication("baclofen"), when, now, "cli"), "taken", "cli", now)
    store.close()


# Ten days, Nov 1-10, and the morning of Nov 11.
#   nights:  Nov 1 on_time  2 on_time  3 late (14:00 late)  4 missed (22:00 missed)
#            5 on_time  6 missed (08:00 skipped), no check-in
#            7 missed (22:00 has no row)  8 missed (22:00 pending)
#            9 on_time  10 late (08:00 late)
TEN_DAYS = ["TTT", "TTT", "TLT", "TTM", "TTT", "STT", "TT-", "TTP", "TTT", "LTT", "T--"]
TEN_NIGHTS = {0: 1, 1: 0, 2: 2, 3: 3, 4: 2, 6: 3, 7: 2, 8: 1, 9: 1}  # no check-in for night 6 (index 5)
TEN_PRN = ("2026-11-03 10:00", "2026-11-03 18:00", "2026-11-08 21:00")


@pytest.fixture
def ten_days(cli: Cli) -> Cli:
    cli.config.write_text(config_text(extra=PRN))
    write_log(cli, date(2026, 11, 1), TEN_DAYS, TEN_NIGHTS, TEN_PRN)
    return cli


def report(cli: Cli, *args: str, at: str = NOW) -> subprocess.CompletedProcess:
    out = cli("report", "--since", "2026-11-01", "--until", "2026-11-10", *args, at=at, timeout=60)
    assert out.returncode == 0, out.stderr
    return out


def test_json_report_of_ten_days_has_the_hand_worked_answers(ten_days: Cli) -> None:
    data = json.loads(report(ten_days, "--format", "json").stdout)
    assert data["period"] == {"since": "2026-11-01", "until": "2026-11-10"}
    adherence = data["adherence"]
    # 30 doses: 26 taken (2 of them 90 min late), Nov 6 08:00 skipped, Nov 4 22:00 missed,
    # Nov 7 22:00 (no row) and Nov 8 22:00 (never answered) not recorded.
    assert {k: adherence[k] for k in ("due", "taken", "on_time", "late", "skipped", "missed", "not_recorded")} == {
        "due": 30, "taken": 26, "on_time": 24, "late": 2, "skipped": 1, "missed": 1, "not_recorded": 2}
    assert adherence["by_slot"]["22:00"]["not_recorded"] == 2
    assert [adherence["by_slot"][s]["taken"] for s in SLOTS] == [9, 10, 7]
    assert adherence["by_medication"].keys() == {"gabapentin"}  # as-needed doses are not "due"
    assert adherence["median_lateness_minutes"] == 5.0
    # Every dose taken on Nov 1-3, 5, 9 and 10: the longest run is 3 days, the current 2.
    assert (adherence["current_streak"], adherence["longest_streak"], adherence["days_with_missed_dose"]) == (2, 3, 4)
    effect = data["effect"]
    assert {k: effect["nights"][k] for k in ("on_time", "early", "late", "missed", "no_checkin")} == {
        "on_time": 4, "early": 0, "late": 2, "missed": 3, "no_checkin": 1}
    assert effect["mean_severity"] == {"on_time": 1.0, "early": None, "late": 1.5, "missed": pytest.approx(8 / 3)}
    assert effect["missed_episodes"] == 2  # night 4, and nights 6-8 (6 has no check-in but joins the run)
    assert (effect["difference"], effect["ci95"], effect["p_value"]) == (None, None, None)
    assert effect["refused"].startswith("too few nights: 3 after a missed dose and 4 after every dose was taken "
                                        "on time")
    assert "needs 2 more after a missed dose and 1 more after every dose was taken on time" in effect["finding"]
    assert "With 10 nights the test cannot give a p-value below 1/10 (0.1)" in effect["finding"]
    # Every 22:00 dose: the evening one; the figure for earlier doses has no night at all.
    assert (effect["figures"]["evening"]["nights"], effect["figures"]["earlier"]["nights"]) == (3, 0)
    assert effect["period"] == {"first_night": "2026-11-01", "last_night": "2026-11-10"}
    assert data["as_needed"] == {"baclofen": {"taken": 3, "days": 2, "most_in_a_day": 2}}
    assert data["prescriptions"] == [{"from": "2026-11-01", "until": None, "medications": {
        "gabapentin": "300 mg at 08:00, 14:00, 22:00", "baclofen": "10 mg as needed"}}]
    assert data["nights"][1] == {"night": "2026-11-04", "label": "missed", "severity": 3,
                                 "doses": ["22:00 gabapentin: missed (no answer)"], "as_needed": [], "note": None,
                                 "other_cause": False}
    assert [n["night"] for n in data["nights"]] == ["2026-11-03", "2026-11-04", "2026-11-06", "2026-11-07",
                                                    "2026-11-08", "2026-11-10"]


def test_a_figure_with_enough_nights_is_the_rotation_regression_over_the_calendar(cli: Cli) -> None:
    # Four weeks; the 22:00 dose is missed on seven separate days, not periodically (a pattern
    # that repeats exactly ties with its own rotations); night 12 has no check-in and stays a
    # gap in the calendar.
    missed_days = {1, 5, 8, 14, 17, 22, 26}
    days = ["TTM" if i in missed_days else "TTT" for i in range(28)] + ["T--"]
    severity = {i: (3 if i % 2 else 2) if i in missed_days else (i % 3) % 2 for i in range(28) if i != 12}
    write_log(cli, date(2026, 11, 1), days, severity)
    args = ("report", "--since", "2026-11-01", "--until", "2026-11-28", "--format", "json")
    out = cli(*args, at="2026-11-29 12:00:00", timeout=60)
    assert out.returncode == 0, out.stderr
    effect = json.loads(out.stdout)["effect"]
    # By the definition: severity on [missed, missed the night before] and the fixed covariates
    # (a constant, the trend, weekend or not), prewhitened with the AR(1) of the severities.
    missed = [float(i in missed_days) for i in range(28)]
    exposures = [[m, b] for m, b in zip(missed, [0.0] + missed[:-1])]
    values = [float(severity[i]) if i in severity else None for i in range(28)]
    covariates = [[1.0, i / 28, float(date(2026, 11, 1 + i).weekday() in (4, 5))] for i in range(28)]
    phi = effect["severity_autocorrelation"]
    figure = effect["figures"]["missed"]
    assert (figure["nights"], figure["reference_nights"], figure["episodes"]) == (7, 20, 7)
    assert figure["p_value"] == pytest.approx(brute_p(values, exposures, covariates, (0, 1), 0, phi))
    low, high = figure["ci95"]
    assert brute_p(values, exposures, covariates, (0, 1), 0, phi, delta=low + 1e-3) > 0.05
    assert brute_p(values, exposures, covariates, (0, 1), 0, phi, delta=low - 1e-3) <= 0.05
    assert figure["rotations"] == 28 and figure["refused"] is None and figure["smallest_p"] == pytest.approx(1 / 28)
    assert effect["difference"] == figure["estimate"] and effect["finding"].startswith(
        f"Nights after a missed dose were {figure['estimate']:.1f} points worse on the 0\u20133 spasm severity scale")
    assert "over 28 nights from 1 Nov 2026 to 28 Nov 2026." in effect["finding"]
    # Nothing is drawn at random: the same log gives the same report (--seed is ignored).
    again = cli(*args, "--seed", "7", at="2026-11-29 12:00:00", timeout=60)
    assert json.loads(again.stdout)["effect"] == effect


def test_the_figures_use_the_whole_log_and_the_adherence_30_days(cli: Cli) -> None:
    days = ["TTM" if i in (3, 9, 17, 26, 33, 41, 50) else "TTT" for i in range(58)] + ["T--"]
    write_log(cli, date(2026, 10, 1), days, {i: 2 if days[i] == "TTM" else i % 2 for i in range(58)})
    data = json.loads(cli("report", "--format", "json", at="2026-11-29 12:00:00").stdout)
    assert data["period"] == {"since": "2026-10-31", "until": "2026-11-29"}
    assert data["effect"]["period"] == {"first_night": "2026-10-01", "last_night": "2026-11-28"}  # not tonight
    assert data["effect"]["figures"]["missed"]["nights"] == 7
    text = cli("report", at="2026-11-29 12:00:00").stdout
    assert ("over every night from 1 October 2026 to 28 November 2026 (the whole log); the adherence below covers "
            "31 October to 29 November 2026.") in " ".join(text.split())
    # --since asks for one period: both use it.
    given = json.loads(cli("report", "--since", "2026-11-01", "--format", "json", at="2026-11-29 12:00:00").stdout)
    assert given["effect"]["period"]["first_night"] == "2026-11-01"


def test_text_report_reads_finding_first_then_prescription_adherence_nights_and_methods(ten_days: Cli) -> None:
    text = report(ten_days).stdout
    lines = text.splitlines()
    assert lines[0] == "reminderd report, 2026-11-01 to 2026-11-10 (Europe/London)"
    headings = ["WHAT A MISSED DOSE COSTS AT NIGHT", "PRESCRIPTION", "ADHERENCE", "THE NIGHTS", "METHODS"]
    assert [line for line in lines if line in headings] == headings
    assert lines[4].startswith("Not enough to compare yet (1 Nov 2026 to 10 Nov 2026)")
    assert "  a missed dose, any (that night's own effect): no number yet: too few nights: 3 after a" in lines
    assert "from 1 Nov 2026    gabapentin  300 mg at 08:00, 14:00, 22:00" in lines
    for heading in ("All doses", "By medication", "By slot", "By weekday"):
        assert heading in lines
    row = next(line for line in lines if line.startswith("all doses"))
    assert row.split() == ["all", "doses", "30", "26", "24", "0", "2", "1", "1", "2", "87%", "80%"]
    slot = next(line for line in lines if line.startswith("22:00"))
    assert slot.split()[1:9] == ["10", "7", "7", "0", "0", "0", "1", "2"]
    assert "Median lateness: +5 min (taken doses; early is negative)" in lines
    assert "Streak of days with every dose taken: 2 days now; longest 3 days" in lines
    assert "Days with a missed, skipped or unrecorded dose: 4" in lines
    assert "As needed: baclofen taken 3 times on 2 of 10 days (at most 2 in a day)." in lines
    on_time = next(line for line in lines if line.startswith("every dose on time"))
    assert on_time.split()[4:6] == ["4", "1.00"]  # nights, mean severity
    # Reasons, as-needed doses and the timing words of `take`, beside their nights.
    nights = " ".join(" ".join(lines[lines.index("THE NIGHTS"):lines.index("METHODS")]).split())
    for said in ("Tue 3 Nov (severity 2 (moderate)): 14:00 gabapentin: late, 1 h 30 min after; as needed: "
                 "baclofen at 10:00, baclofen at 18:00",
                 "Wed 4 Nov (severity 3 (severe)): 22:00 gabapentin: missed (no answer)",
                 "Fri 6 Nov (no check-in): 08:00 gabapentin: skipped (nausea)",
                 "Sat 7 Nov (severity 3 (severe)): 22:00 gabapentin: not recorded",
                 "Sun 8 Nov (severity 2 (moderate)): 22:00 gabapentin: not recorded; as needed: baclofen at 21:00"):
        assert said in nights
    assert "Mon 2 Nov" not in nights  # nothing to say about a night with every dose on time
    methods = " ".join(" ".join(lines[lines.index("METHODS"):]).split())
    for said in ("AR(1) errors", "a gap of d nights counting as phi^d", "weekend (Friday and Saturday nights)",
                 "With 10 nights no p-value can be below 1/10 (0.1).", "Nights without a check-in: 1 (gaps",
                 "Only a cause recorded that way can be allowed for."):
        assert said in methods
    assert "not a clinical trial" in " ".join(text.split())


def test_a_log_with_no_prescription_recorded_is_reported_by_todays(ten_days: Cli) -> None:
    """A log from before the prescription history, read where nothing is written: today's
    prescription holds from the beginning of time, and the page says so from the first day."""
    from reminderd.report.build import build

    conn = sqlite3.connect(ten_days.db)
    conn.execute("DELETE FROM prescriptions")
    conn.commit()
    conn.close()
    store = Store.open(ten_days.db)
    try:
        built = build(store, load_config(ten_days.config), date(2026, 11, 1), date(2026, 11, 10),
                      datetime(2026, 11, 11, 12, tzinfo=UTC), effect_since=date(2026, 11, 1))
    finally:
        store.close()
    assert [(p.start, p.end) for p in built.prescriptions] == [(date(2026, 11, 1), None)]


def test_slots_before_the_log_begins_are_not_counted_as_not_recorded(ten_days: Cli) -> None:
    out = ten_days("report", "--since", "2026-10-25", "--until", "2026-11-10", "--format", "json", at=NOW)
    data = json.loads(out.stdout)
    assert data["log_begins"] == "2026-11-01"
    assert (data["adherence"]["due"], data["adherence"]["not_recorded"]) == (30, 2)
    assert data["effect"]["nights"]["no_checkin"] == 1
    text = ten_days("report", "--since", "2026-10-25", "--until", "2026-11-10", at=NOW).stdout
    assert "The log begins 2026-11-01; before it, only what was recorded for those days is counted." in text


def test_an_answer_recorded_for_a_day_before_the_log_began_is_counted_and_the_header_says_so(ten_days: Cli) -> None:
    assert ten_days("take", "--at", "2026-10-28 08:05", at=NOW).returncode == 0
    data = json.loads(ten_days("report", "--since", "2026-10-25", "--until", "2026-11-10", "--format", "json",
                               at=NOW).stdout)
    assert (data["log_begins"], data["adherence"]["due"], data["adherence"]["taken"] >= 1) == ("2026-11-01", 31, True)
    text = ten_days("report", "--since", "2026-10-25", "--until", "2026-11-10", at=NOW).stdout
    assert "nothing before it is counted" not in text  # the 28 October dose is


def test_default_period_is_the_last_30_days_and_doses_not_yet_due_wait(ten_days: Cli) -> None:
    data = json.loads(ten_days("report", "--format", "json", at="2026-11-11 12:00:00").stdout)
    assert data["period"] == {"since": "2026-10-13", "until": "2026-11-11"}
    # Nov 11: the 08:00 dose was taken; 14:00 and 22:00 are not due yet at noon.
    assert data["adherence"]["due"] == 31 and data["adherence"]["taken"] == 27


@pytest.mark.parametrize("args, message", [
    (["--since", "2026-11-10", "--until", "2026-11-01"],
     "reminderd: --since 2026-11-10 is after --until 2026-11-01; expected since <= until\n"),
    (["--since", "1 Nov"], "reminderd: --since '1 Nov' is not valid; expected a date YYYY-MM-DD\n"),
])
def test_bad_periods_are_refused(cli: Cli, args: list[str], message: str) -> None:
    out = cli("report", *args)
    assert (out.returncode, out.stdout, out.stderr) == (2, "", message)


# --------------------------------------------------------------------------- export / import


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_export_import_export_is_byte_identical(ten_days: Cli, tmp_path: Path) -> None:
    store = Store.open(ten_days.db)
    store.add_supply("gabapentin", 90.0, "refill", datetime(2026, 11, 2, 9, tzinfo=UTC), "pharmacy \u201cBoots\u201d")
    store.add_supply("gabapentin", 0.5, "start", datetime(2026, 11, 1, 9, tzinfo=UTC))
    store.close()
    first = tmp_path / "first.json"
    out = ten_days("export", "--output", str(first))
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"Exported the log to {first}.\n"
    assert first.stat().st_mode & 0o077 == 0  # health data: the user's alone
    exported = json.loads(first.read_text())
    assert (exported["format"], exported["version"]) == ("reminderd-export", 4)
    assert [len(exported[t]) for t in ("doses", "checkins", "supply")] == [33, 9, 2] and exported["events"]
    assert exported["supply"][0]["change"] == 90.0

    fresh = tmp_path / "restored.db"
    restored = ten_days("--db", str(fresh), "import", str(first))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"Imported {first} into {fresh}: 33 doses, ")
    second = tmp_path / "second.json"
    assert ten_days("--db", str(fresh), "export", "--output", str(second)).returncode == 0
    assert second.read_bytes() == first.read_bytes()
    # The rows themselves, not only their export, are the same; and so are the reports.
    assert [r for r in dump(fresh) if "INSERT" in r] == [r for r in dump(ten_days.db) if "INSERT" in r]
    assert (ten_days("--db", str(fresh), "report", "--since", "2026-11-01", "--until", "2026-11-10", at=NOW).stdout
            == report(ten_days).stdout)


def test_import_into_a_log_that_is_not_empty_is_refused_and_changes_nothing(ten_days: Cli, tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    assert ten_days("export", "--output", str(backup)).returncode == 0
    before = dump(ten_days.db)
    out = ten_days("import", str(backup))
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.startswith(f"reminderd: {ten_days.db} is not empty (it holds 33 doses, ")
    assert "import restores only into an empty log, and nothing was changed" in out.stderr
    assert dump(ten_days.db) == before


def corrupt(text: str, change) -> str:
    data = json.loads(text)
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize("damage, message", [
    (lambda text: text[: len(text) // 2], ": not JSON: "),
    (lambda text: "[1, 2]", ': not a reminderd export: expected an object with "format": "reminderd-export"'),
    (lambda text: corrupt(text, lambda d: d["checkins"][0].update(severity="high")),
     'checkins[0].severity: "high" is not valid; expected a whole number\n'),
    (lambda text: corrupt(text, lambda d: d["doses"][2].pop("due")), "doses[2]: missing due\n"),
    (lambda text: corrupt(text, lambda d: d["events"][0].update(dose_id=999)),
     "events[0].dose_id: 999 is not the id of any dose in the file\n"),
    (lambda text: corrupt(text, lambda d: d["doses"][1].update(id=1)), "doses[1].id: 1 is used twice"),
    (lambda text: corrupt(text, lambda d: d.update(version=9)), "version: 9 is not valid; expected 1, 2, 3 or 4\n"),
    (lambda text: corrupt(text, lambda d: d["doses"][0].update(status=None)),
     "doses[0].status: null is not valid; expected a value (this column may not be empty)\n"),
], ids=["truncated", "not an export", "bad type", "missing column", "unknown dose", "duplicate id",
        "version", "null"])
def test_a_damaged_import_file_is_refused_with_what_is_wrong(ten_days: Cli, tmp_path: Path, damage, message: str) -> None:
    backup = tmp_path / "backup.json"
    assert ten_days("export", "--output", str(backup)).returncode == 0
    backup.write_text(damage(backup.read_text()))
    fresh = tmp_path / "fresh.db"
    out = ten_days("--db", str(fresh), "import", str(backup))
    assert out.returncode == 2
    assert out.stderr.startswith(f"reminderd: {backup} cannot be imported, nothing was changed: ")
    assert out.stderr.count("\n") == 1  # one line
    assert message in out.stderr
    assert count_rows(fresh) == [0, 0, 0, 0, 0, 0]


def test_a_missing_import_file_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    out = cli("import", str(tmp_path / "nope.json"))
    assert (out.returncode, out.stderr) == (2, f"reminderd: {tmp_path / 'nope.json'} cannot be read (No such file or directory)\n")


# --------------------------------------------------------------------------- HTML in Chromium

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class Page(HTMLParser):
    """What the report page holds: element ids, tags, every src/href, text."""

    ids: set[str] = field(default_factory=set)
    tags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self.links += [attrs[k] for k in ("src", "href") if k in attrs]

    def handle_data(self, data):
        self.text.append(data)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    profile.mkdir()
    return subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})


def png_rows(path: Path, rows: int) -> tuple[int, int, list[bytes]]:
    """(width, height, the first `rows` rows of RGB(A) bytes), decoded with zlib alone."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompressobj().decompress(idat, (width * channels + 1) * rows)
    stride, out, previous = width * channels, [], bytearray(width * channels)
    for r in range(rows):
        kind, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        out.append(bytes(line))
        previous = line
    return width, height, out


@pytest.mark.system
def test_html_report_renders_in_headless_chromium(cli: Cli, tmp_path: Path) -> None:
    # A name with markup in it must come out as text.
    cli.config.write_text(config_text(extra=PRN).replace('name = "gabapentin"', 'name = "gaba <b>&</b>"'))
    # Not periodic: a pattern that repeats exactly would tie with its own rotations.
    days = (["TTT", "TTM", "TLT", "TTT", "MTT", "TTT", "TTS", "TTT", "ETT"] * 4)[3:] + ["TTT", "TTM", "TTT", "T--"]

    def label(night: int) -> str:  # from its own 08:00, 14:00 and 22:00 doses
        marks = days[night]
        return ("missed" if set(marks) & set("MS") else "late" if "L" in marks else "early" if "E" in marks
                else "on_time")

    nights = len(days) - 1
    labels = [label(i) for i in range(nights)]
    severity = {i: {"missed": 3, "late": 2}.get(labels[i], i % 2) for i in range(nights) if i % 9 != 4}
    first = date(2026, 10, 17)
    write_log(cli, first, days, severity, medication="gaba <b>&</b>")
    last = first + timedelta(days=nights - 1)
    page_file = tmp_path / "report.html"
    out = cli("report", "--since", str(first), "--until", str(last), "--format", "html",
              "--output", str(page_file), at=f"{last + timedelta(days=1)} 12:00:00", timeout=60)
    assert out.returncode == 0, out.stderr
    html = page_file.read_text()
    page = Page()
    page.feed(html)
    sections = ["finding", "prescription", "adherence", "nights", "methods"]
    assert set(sections) | {"summary", "severity-chart", "effect-chart", "details"} <= page.ids
    assert sorted(sections, key=lambda s: html.index(f'<section id="{s}"')) == sections  # in the order read
    assert page.tags.count("svg") == 2 and "style" in page.tags
    assert page.links == [] and "<script" not in html and "<link" not in html and "url(" not in html
    assert "@media print" in html
    assert "As needed: baclofen not taken." in html
    assert "gaba &lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>&</b>" not in html
    text = " ".join(page.text)
    summary = html[html.index('id="summary">') + 13:html.index("</p>", html.index('id="summary">'))]
    assert summary.startswith("Nights after a missed dose were") and "95% interval" in summary
    assert "not a clinical trial" in text and "300 mg at 08:00, 14:00, 22:00" in text
    assert html.count('class="mark-missed"') == labels.count("missed") > 0
    assert html.count('class="mark-late"') == labels.count("late") > 0
    assert html.count('class="mark-early"') == labels.count("early") > 0
    # One colour, one meaning: a day and a night with a dose not taken are the same red, and
    # a day with a dose taken early is blue, never late's amber.
    red, amber, blue = "#c8322b", "#e0a100", "#3d7dca"
    assert re.findall(r'class="mark-missed"[^>]*fill="(#\w+)"', html) == [red] * labels.count("missed")
    assert set(re.findall(r'class="day missed" style="background:(#\w+)', html)) == {red}
    assert set(re.findall(r'class="day early" style="background:(#\w+)', html)) == {blue}
    assert html.count('class="day early"') == days[:nights].count("ETT") and amber not in re.findall(
        r'class="day early" style="background:(#\w+)', html)
    # A night without a check-in is a gap: nothing drawn there.
    gaps = re.findall(r'<rect class="no-checkin"[^>]*>', html)
    assert len(gaps) == nights - len(severity) and all('fill="none"' in g for g in gaps)
    assert html.count('class="night"') == len(severity)

    dom = chromium(tmp_path, "--dump-dom", page_file.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = Page()
    rendered.feed(dom.stdout)
    assert set(sections) | {"severity-chart", "effect-chart", "summary"} <= rendered.ids
    assert rendered.tags.count("rect") > 30 and "circle" in rendered.tags

    shot = tmp_path / "report.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,3000", page_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.stat().st_size > 50_000  # a blank 1200x3000 page compresses to a few kB
    width, height, rows = png_rows(shot, 260)
    assert (width, height) == (1200, 3000)
    channels = len(rows[0]) // width
    pixels = {row[i:i + 3] for row in rows for i in range(0, len(row), channels)}
    dark = sum(1 for row in rows for i in range(0, len(row), channels) if max(row[i:i + 3]) < 80)
    assert len(pixels) > 20 and dark > 2000  # the heading and the finding are drawn


def test_tonight_is_not_drawn(cli: Cli, tmp_path: Path) -> None:
    write_log(cli, date(2026, 11, 1), ["TTT"] * 10 + ["T--"], {i: 1 for i in range(9)})
    out = cli("report", "--since", "2026-11-01", "--until", "2026-11-11", "--format", "html", at=NOW)
    assert out.returncode == 0, out.stderr
    # Nov 10's check-in (at 08:30 on the 11th) is missing: a gap; Nov 11's night has not begun.
    assert out.stdout.count('class="night"') == 9 and out.stdout.count('class="no-checkin"') == 1
    assert "2026-11-11: no check-in" not in out.stdout
