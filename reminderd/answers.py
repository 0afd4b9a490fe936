"""Answering a dose from the terminal: find the dose meant, apply the rules, record it.

The daemon need not be running: a slot that has no row yet (the daemon was stopped, or
never started) gets its row here, from the same schedule the daemon uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reminderd import doses as rules
from reminderd.config import Config, Medication
from reminderd.doses import Dose
from reminderd.errors import UsageError
from reminderd.schedule import slots_between
from reminderd.store import Store

SEARCH_BACK = timedelta(days=2)  # how far from WHEN a take looks for its dose
SEARCH_AHEAD = timedelta(days=1)


@dataclass(frozen=True)
class Answer:
    dose: Dose
    advice: str | None = None


def pick_medication(config: Config, name: str | None) -> Medication:
    names = ", ".join(m.name for m in config.medications)
    if name is None:
        if len(config.medications) == 1:
            return config.medications[0]
        raise UsageError(f"more than one medication is configured; name one of: {names}")
    med = config.medication(name)
    if med is None:
        raise UsageError(f"no medication called {name!r} in the config; expected one of: {names}")
    return med


def _candidates(store: Store, config: Config, med: Medication, when: datetime) -> list[Dose]:
    """The medication's doses around `when`: rows, and slots with no row yet (id 0)."""
    start, end = when - SEARCH_BACK, when + SEARCH_AHEAD
    rows = store.doses_between(start, end, med.name)
    have = {(d.local_date, d.slot) for d in rows}
    virtual = [
        Dose(id=0, medication=s.medication, local_date=s.local_date, slot=s.slot, dose=s.dose, due=s.due)
        for s in slots_between(config, start, end)
        if s.medication == med.name and (s.local_date, s.slot) not in have
    ]
    return rows + virtual


def _materialise(store: Store, config: Config, dose: Dose, now: datetime) -> Dose:
    if dose.id:
        return dose
    slot = next(
        s for s in slots_between(config, dose.due, dose.due + timedelta(seconds=1))
        if s.medication == dose.medication and s.slot == dose.slot
    )
    store.ensure_doses([slot], now)
    row = store.dose_at(dose.medication, dose.local_date, dose.slot)
    assert row is not None
    return row


def take(store: Store, config: Config, name: str | None, when: datetime, now: datetime,
         force: bool = False) -> Answer:
    med = pick_medication(config, name)
    tz = config.timezone
    rules.check_not_future(when, now, tz)
    with store.write():
        dose = rules.resolve_slot(_candidates(store, config, med, when), med, when, tz)
        nearby = store.taken_doses(med.name, when - med.min_gap, when + med.min_gap)
        # A failure below rolls the whole transaction back, the new row included.
        dose = _materialise(store, config, dose, now)
        taken = rules.take(dose, med, when, now, "cli", nearby, force=force, tz=tz)
        store.save_dose(taken, "taken", "cli", now, {"taken_at": when.isoformat(), "force": force})
        later = [d.due for d in _candidates(store, config, med, when) if d.due > taken.due]
    advice = rules.advice_for_late_take(taken, min(later, default=None), when, config)
    return Answer(taken, advice)


def skip(store: Store, config: Config, name: str | None, when: datetime, now: datetime,
         reason: str | None) -> Answer:
    med = pick_medication(config, name)
    with store.write():
        dose = rules.resolve_slot(_candidates(store, config, med, when), med, when, config.timezone)
        skipped = rules.skip(_materialise(store, config, dose, now), now, "cli", reason)
        store.save_dose(skipped, "skipped", "cli", now, {"reason": reason} if reason else None)
    return Answer(skipped)


def snooze(store: Store, config: Config, name: str | None, length: timedelta | None,
           now: datetime) -> Answer:
    """Snooze the dose being reminded now (one that is due and still open)."""
    med = pick_medication(config, name)
    with store.write():
        due = [d for d in store.doses_between(now - med.give_up_after, now + timedelta(seconds=1), med.name)
               if d.open]
        if not due:
            raise UsageError(f"no dose of {med.name} is waiting for an answer now; nothing to snooze")
        snoozed = rules.snooze(due[-1], med, now, length, tz=config.timezone)
        store.save_dose(snoozed, "snoozed", "cli", now, {"until": snoozed.snoozed_until.isoformat()})
    return Answer(snoozed)
