"""A past day is judged in the zone of the prescription in force then, not the config's
zone of today: after moving from London to Tokyo or New York, the report of the finished
days before is unchanged (issue 11, item 1's leftovers). The report over a real SQLite
log with an explicit `now`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from reminderd.report.build import build as build_report
from reminderd.core import doses as rules
from reminderd.core.checkin import Checkin
from reminderd.core.prescriptions import canonical_of
from reminderd.core.schedule import slots_on
from reminderd.store import Store
from tests.test_prescription_history import BEFORE, FIRST, figures, ten_perfect_days

UTC = timezone.utc
LAST = date(2026, 11, 10)


def moved_to(zone: str):
    """The same prescription, in another zone (a move abroad)."""
    from reminderd.core.config.load import parse_config
    from tests.test_prescription_history import GABAPENTIN

    text = GABAPENTIN.format(times='["08:00", "14:00", "22:00"]').replace("Europe/London", zone)
    return parse_config(text, "test", lambda: "UTC")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ten_days_with_a_missed_evening(store: Store) -> None:
    """Nov 1-10 in London (UTC in November), every dose taken 5 min late but the 22:00 dose
    of Nov 5; check-ins for nights 1-9 the next morning at 08:40, severity 3 after the
    missed dose and 1 otherwise."""
    store.record_prescription(canonical_of(BEFORE), utc("2026-11-01 00:00"))
    med = BEFORE.medication("gabapentin")
    for i in range(10):
        for s in slots_on(BEFORE, FIRST + timedelta(days=i)):
            store.ensure_doses([s], s.due)
            if (s.local_date, s.slot) == (date(2026, 11, 5), "22:00"):
                continue
            dose = store.dose_at(s.medication, s.local_date, s.slot)
            taken = s.due + timedelta(minutes=5)
            store.save_dose(rules.take(dose, med, taken, taken, "notification"), "taken", "notification", taken)
    for i in range(9):
        night = FIRST + timedelta(days=i)
        answered = datetime.combine(night + timedelta(days=1), time(8, 40), UTC)
        severity = 3 if night == date(2026, 11, 5) else 1
        store.save_checkin(Checkin(night, severity, 2, 0, None, answered, "cli"), answered, "cli")


def test_the_nights_before_a_move_keep_the_zone_they_were_lived_in(store: Store) -> None:
    """Tokyo's 23:00 is 14:00 UTC: judged in Tokyo's zone, London's 22:00 dose of Nov 5
    would fall into the night of Nov 6, and the bad night would look like a good one."""
    ten_days_with_a_missed_evening(store)
    before = build_report(store, BEFORE, FIRST, LAST, utc("2026-11-11 12:00"))
    assert before.nights.labels[date(2026, 11, 5)] == "missed"
    tokyo = moved_to("Asia/Tokyo")
    store.record_prescription(canonical_of(tokyo), utc("2026-11-11 15:00"))
    after = build_report(store, tokyo, FIRST, LAST, utc("2026-11-12 12:00"))
    assert after.nights.labels == before.nights.labels
    assert after.nights.nights == before.nights.nights
    assert after.analysis.effect.nights == before.analysis.effect.nights


def test_where_the_log_begins_is_the_day_in_the_zone_it_began_in(store: Store) -> None:
    """The log began at 00:00 UTC on Nov 1 in London; in New York that instant is still
    Oct 31, whose three slots would then count as not recorded."""
    ten_perfect_days(store)
    new_york = moved_to("America/New_York")
    store.record_prescription(canonical_of(new_york), utc("2026-11-11 15:00"))
    built = build_report(store, new_york, FIRST - timedelta(days=7), LAST, utc("2026-11-12 12:00"))
    a = built.analysis.adherence.total
    assert (built.log_begins, a.due, a.taken, a.not_recorded) == (FIRST, 30, 30, 0)


def test_a_finished_period_reads_the_same_after_a_move(store: Store) -> None:
    ten_perfect_days(store)
    before = figures(store, BEFORE, utc("2026-11-11 12:00"))
    for zone in ("Asia/Tokyo", "America/New_York"):
        moved = moved_to(zone)
        store.record_prescription(canonical_of(moved), utc("2026-11-11 15:00"))
        assert figures(store, moved, utc("2026-11-12 12:00")) == before, zone
