"""A dose taken more than the on-time window early is counted as early, not late, in the
adherence of the report: text, JSON and HTML (issue 11, item 6)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from reminderd.core import doses as rules
from reminderd.core.config.load import parse_config
from reminderd.core.prescriptions import canonical_of
from reminderd.core.schedule import slots_on
from reminderd.report.build import Report, build
from reminderd.report.html import render as render_html
from reminderd.report.json import render as render_json
from reminderd.report.text import render as render_text
from reminderd.store import Store

UTC = timezone.utc
CONFIG = parse_config('timezone = "Europe/London"\n[[medication]]\nname = "gabapentin"\ndose = "300 mg"\n'
                      'times = ["08:00", "14:00", "22:00"]\n', "test", lambda: "UTC")
DAY = date(2026, 11, 2)


def one_day(store: Store, minutes: tuple[int, int, int]) -> Report:
    """Each slot of DAY taken this many minutes after it was due (negative: early)."""
    store.record_prescription(canonical_of(CONFIG), datetime(2026, 11, 1, tzinfo=UTC))
    med = CONFIG.medication("gabapentin")
    for s, late in zip(slots_on(CONFIG, DAY), minutes):
        store.ensure_doses([s], s.due - timedelta(hours=3))
        taken = s.due + timedelta(minutes=late)
        dose = store.dose_at(s.medication, s.local_date, s.slot)
        store.save_dose(rules.take(dose, med, taken, taken, "cli", force=True), "taken", "cli", taken)
    return build(store, CONFIG, DAY, DAY, datetime(2026, 11, 3, 12, tzinfo=UTC))


def test_an_early_dose_is_early_not_late_in_every_format(store: Store) -> None:
    built = one_day(store, (-90, 5, 75))  # early, on time, late
    total = json.loads(render_json(built))["adherence"]
    assert {k: total[k] for k in ("due", "taken", "on_time", "early", "late")} == {
        "due": 3, "taken": 3, "on_time": 1, "early": 1, "late": 1}
    assert json.loads(render_json(built))["adherence"]["by_slot"]["08:00"]["early"] == 1
    text = render_text(built).splitlines()
    header = next(line for line in text if line.strip().startswith("due"))
    assert header.split()[:5] == ["due", "taken", "on", "time", "early"]
    assert next(line for line in text if line.startswith("all doses")).split()[2:7] == ["3", "3", "1", "1", "1"]
    html = render_html(built)
    assert "<th>early</th>" in html
    assert "<tr><td>all doses</td><td>3</td><td>3</td><td>1</td><td>1</td><td>1</td>" in html


def test_within_the_window_before_due_is_on_time(store: Store) -> None:
    built = one_day(store, (-60, -59, 0))
    a = built.analysis.adherence.total
    assert (a.on_time, a.early, a.late) == (3, 0, 0)
