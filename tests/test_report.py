"""`reminderd report`, `export` and `import` as real processes over small logs whose
answers are worked out by hand below; the HTML report opened in headless Chromium.

The ten-day log is in November, when Europe/London is on UTC. Bedtime is 23:00 (the
default), so night N is labelled by the doses due from N-1 23:00 to N 23:00: N's own 08:00,
14:00 and 22:00 doses, as they stood at the next morning's 08:30 check-in.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
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
from tests.test_stats import brute_p

UTC = timezone.utc
SLOTS = ("08:00", "14:00", "22:00")
PRN = '\n[[medication]]\nname = "baclofen"\ndose = "10 mg"\nas_needed = true\n'
NOW = "2026-11-11 12:00:00"
LATE_MINUTES, ON_TIME_MINUTES = 90, 5


def write_log(cli: Cli, first: date, days: list[str], severity: dict[int, int],
              prn: tuple[str, ...] = (), medication: str = "gabapentin") -> None:
    """One day of `medication` per string, a letter per slot (08:00 14:00 22:00): T taken 5 min
    late (on time), L taken 90 min late, M missed, S skipped, P a row nobody answered, -
    no row at all. `severity`: night index -> the check-in's severity. `prn`: "YYYY-MM-DD
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
            if mark in "TL":
                late = ON_TIME_MINUTES if mark == "T" else LATE_MINUTES
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
    assert effect["refused"].startswith("too few nights: 3 after a missed dose and 4 with every dose on time")
    assert "needs 2 more after a missed dose and 1 more with every dose on time" in effect["summary"]
    assert data["as_needed"] == {"baclofen": {"taken": 3, "days": 2, "most_in_a_day": 2}}


def test_a_comparison_with_enough_nights_is_the_rotation_test_over_the_calendar(cli: Cli) -> None:
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
    labels = ["missed" if i in missed_days else "on_time" for i in range(28)]
    values = [float(severity[i]) if i in severity else None for i in range(28)]
    a = [v for g, v in zip(labels, values) if g == "missed" and v is not None]
    b = [v for g, v in zip(labels, values) if g == "on_time" and v is not None]
    missed = effect["comparisons"]["missed"]
    assert missed["nights"] == {"missed": 7, "on_time": 20} and missed["episodes"] == 7
    assert effect["difference"] == pytest.approx(statistics.mean(a) - statistics.mean(b))
    assert effect["p_value"] == pytest.approx(brute_p(labels, values, "missed", "on_time"))
    low, high = effect["ci95"]
    assert brute_p(labels, values, "missed", "on_time", delta=low + 1e-3) > 0.05
    assert brute_p(labels, values, "missed", "on_time", delta=low - 1e-3) <= 0.05
    assert missed["rotations"] == 28 and missed["refused"] is None
    assert "points worse on the 0\u20133 scale" in effect["summary"]
    assert "7 vs 20 nights, the missed ones in 7 separate episodes" in effect["summary"]
    # Nothing is drawn at random: the same log gives the same report (--seed is ignored).
    again = cli(*args, "--seed", "7", at="2026-11-29 12:00:00", timeout=60)
    assert json.loads(again.stdout)["effect"] == effect


def test_text_report_sections(ten_days: Cli) -> None:
    text = report(ten_days).stdout
    lines = text.splitlines()
    assert lines[0] == "reminderd report, 2026-11-01 to 2026-11-10 (Europe/London)"
    for heading in ("ADHERENCE", "All doses", "By medication", "By slot", "By weekday",
                    "MISSED DOSES AND THE NEXT NIGHT"):
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
    assert ("Severity, some missed \u2212 every dose on time: no number yet, too few nights: 3 after a "
            "missed dose and 4 with every dose on time; at least 5 of each are needed") in lines
    assert "Missed-dose episodes: 2 (runs of consecutive nights after a missed dose; 3 nights)" in lines
    gaps = "Nights without a check-in: 1 (gaps in the calendar); with no dose due: 0"
    assert gaps in lines
    summary = " ".join(lines[lines.index(gaps) + 2:])
    assert summary.startswith("Not enough to compare yet")
    assert "not a clinical trial" in summary


def test_slots_before_the_log_begins_are_not_counted_as_not_recorded(ten_days: Cli) -> None:
    out = ten_days("report", "--since", "2026-10-25", "--until", "2026-11-10", "--format", "json", at=NOW)
    data = json.loads(out.stdout)
    assert data["log_begins"] == "2026-11-01"
    assert (data["adherence"]["due"], data["adherence"]["not_recorded"]) == (30, 2)
    assert data["effect"]["nights"]["no_checkin"] == 1
    text = ten_days("report", "--since", "2026-10-25", "--until", "2026-11-10", at=NOW).stdout
    assert "The log begins 2026-11-01; nothing before it is counted." in text


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
    assert (exported["format"], exported["version"]) == ("reminderd-export", 2)
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
    (lambda text: corrupt(text, lambda d: d.update(version=9)), "version: 9 is not valid; expected 1 or 2\n"),
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
    assert count_rows(fresh) == [0, 0, 0, 0, 0]


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
    days = (["TTT", "TTM", "TLT", "TTT", "MTT", "TTT", "TTS", "TTT"] * 4)[3:] + ["TTT", "TTM", "TTT", "T--"]

    def label(night: int) -> str:  # from its own 08:00, 14:00 and 22:00 doses
        marks = days[night]
        return "missed" if set(marks) & set("MS") else "late" if "L" in marks else "on_time"

    labels = [label(i) for i in range(32)]
    severity = {i: {"missed": 3, "late": 2}.get(labels[i], i % 2) for i in range(32) if i % 9 != 4}
    write_log(cli, date(2026, 10, 20), days, severity, medication="gaba <b>&</b>")
    page_file = tmp_path / "report.html"
    out = cli("report", "--since", "2026-10-20", "--until", "2026-11-20", "--format", "html",
              "--output", str(page_file), at="2026-11-21 12:00:00", timeout=60)
    assert out.returncode == 0, out.stderr
    html = page_file.read_text()
    page = Page()
    page.feed(html)
    assert {"adherence", "calendar", "nights", "effect", "summary", "severity-chart", "effect-chart"} <= page.ids
    assert page.tags.count("svg") == 2 and "style" in page.tags
    assert page.links == [] and "<script" not in html and "<link" not in html and "url(" not in html
    assert "@media print" in html
    assert "As needed: baclofen not taken." in html
    assert "gaba &lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>&</b>" not in html
    text = " ".join(page.text)
    assert "After nights with a missed dose, your spasms were" in text and "not a clinical trial" in text
    assert html.count('class="mark-missed"') == labels.count("missed") > 0
    assert html.count('class="mark-late"') == labels.count("late") > 0
    assert html.count('class="no-checkin"') == 32 - len(severity)

    dom = chromium(tmp_path, "--dump-dom", page_file.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = Page()
    rendered.feed(dom.stdout)
    assert {"adherence", "calendar", "severity-chart", "effect-chart", "summary"} <= rendered.ids
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
    assert len(pixels) > 20 and dark > 2000  # the heading and the first tables are drawn

