"""The one answering path: take, skip, snooze, undo, edit and refill, used alike by the
CLI, the notification buttons and the phone page. Each reads the log, asks the pure
rules (reminderd.core.doses) and writes once, in one transaction; `via` says where the answer
came from ("cli", "notification", "phone").

The daemon need not be running: a slot that has no row yet (the daemon was stopped, or
never started) gets its row here, from the same schedule the daemon uses.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from reminderd.core import doses as rules
from reminderd.core.config.settings import Config, Medication
from reminderd.core.config.values import format_slot
from reminderd.core.doses import Dose
from reminderd.errors import DoseError, UsageError
from reminderd.core.prescriptions import History
from reminderd.core.schedule import Slot, local_days, slots_on
from reminderd.store import ANSWER_FIELDS, Store, from_iso
from reminderd.core.supply import Supply, supply_left
from reminderd.core.typed import parse_tablets

SEARCH_BACK = timedelta(days=2)  # how far from WHEN a take looks for its dose
SEARCH_AHEAD = timedelta(days=1)


class Answer(NamedTuple):
    dose: Dose
    advice: str | None = None


def pick_medication(config: Config, name: str | None) -> Medication:
    names = ", ".join(m.name for m in config.medications)
    if name is None:
        # An as-needed medicine is always named: "take" alone means the scheduled dose.
        scheduled = [m for m in config.medications if not m.as_needed]
        if len(scheduled) == 1:
            return scheduled[0]
        raise UsageError(f"more than one medication is configured; name one of: {names}")
    med = config.medication(name)
    if med is None:
        raise UsageError(f"no medication called {name!r} in the config; expected one of: {names}")
    return med


def planned_on(store: Store, config: Config, day: date, now: datetime) -> list[Slot]:
    """The slots of a local day: before today by the prescription in force on it (the log's
    history), today and later by the config as it is now."""
    if day >= now.astimezone(config.timezone).date():
        return slots_on(config, day)
    return History.of(store.prescription_rows(), config).slots_on(day)


def planned_between(store: Store, config: Config, start: datetime, end: datetime, now: datetime) -> list[Slot]:
    """Slots due in [start, end), each day's as `planned_on` says. A day either side is
    looked at because a slot's local date and its UTC date can differ."""
    today = now.astimezone(config.timezone).date()
    days = list(local_days(start - timedelta(days=1), end + timedelta(days=1), config.timezone))
    history = History.of(store.prescription_rows(), config) if days[0] < today else None
    return [s for day in days for s in (slots_on(config, day) if history is None or day >= today
                                        else history.slots_on(day)) if start <= s.due < end]


# What a prescription says of a medication: the rules that judge a dose (its windows and
# gaps, its slots and amount), as against how reminderd reminds of it.
PRESCRIBED = ("dose", "times", "steps", "until", "as_needed", "max_per_day", "give_up_after", "early_window",
              "min_gap")


def as_prescribed_at(store: Store, config: Config, med: Medication, when: datetime) -> Medication:
    """`med` as the prescription in force at `when` had it: an answer recorded now for an
    earlier time is judged by the rules of that time (which dose a take at 07:10 meant
    depends on the early window then), not by a config changed since. The config as it is
    when nothing changed after `when`, or the medication was not prescribed then."""
    rows = store.prescription_rows()
    if not rows or rows[-1][0] <= when:
        return med
    then = History.of(rows, config).at(when).medication(med.name)
    return med if then is None else med._replace(**{field: getattr(then, field) for field in PRESCRIBED})


def _candidates(store: Store, config: Config, med: Medication, when: datetime, now: datetime) -> list[Dose]:
    """The medication's doses around `when`: rows, and slots with no row yet (id 0)."""
    start, end = when - SEARCH_BACK, when + SEARCH_AHEAD
    rows = store.doses_between(start, end, med.name)
    have = {(d.local_date, d.slot) for d in rows}
    virtual = [
        Dose(id=0, medication=s.medication, local_date=s.local_date, slot=s.slot, dose=s.dose, due=s.due)
        for s in planned_between(store, config, start, end, now)
        if s.medication == med.name and (s.local_date, s.slot) not in have
    ]
    return rows + virtual


def _materialise(store: Store, config: Config, dose: Dose, now: datetime) -> Dose:
    if dose.id:
        return dose
    slot = Slot(dose.due, dose.medication, dose.local_date, dose.slot, dose.dose)
    store.ensure_doses([slot], now)
    row = store.dose_at(dose.medication, dose.local_date, dose.slot)
    assert row is not None
    return row


def take(store: Store, config: Config, name: str | None, when: datetime, now: datetime,
         force: bool = False, via: str = "cli") -> Answer:
    """The dose of medication `name` that a take at `when` means, taken at `when`."""
    tz = config.timezone
    rules.check_not_future(when, now, tz)
    med = as_prescribed_at(store, config, pick_medication(config, name), when)
    if med.as_needed:
        return _take_as_needed(store, config, med, when, now, force, via)
    with store.write():
        start_supply_counts(store, config, now)
        dose = rules.resolve_slot(_candidates(store, config, med, when, now), med, when, tz)
        # A failure below rolls the whole transaction back, the new row included.
        return _take(store, config, med, _materialise(store, config, dose, now), when, now, force, via)


def dose_answered_now(store: Store, config: Config, med: Medication, now: datetime) -> Dose | None:
    """The dose a take or skip at `now` would answer (a row, or id 0 for a slot with no row
    yet), or None when no dose of `med` can be answered now: the phone page's buttons."""
    try:
        return rules.resolve_slot(_candidates(store, config, med, now, now), med, now, config.timezone)
    except DoseError:
        return None


def take_dose(store: Store, config: Config, dose_id: int, now: datetime, via: str,
              force: bool = False) -> Answer:
    """One known dose (a notification's, a row on the phone page), taken now."""
    with store.write():
        start_supply_counts(store, config, now)
        dose, med = _dose_and_medication(store, config, dose_id)
        return _take(store, config, med, dose, now, now, force, via)


def _take(store: Store, config: Config, med: Medication, dose: Dose, when: datetime, now: datetime,
          force: bool, via: str) -> Answer:
    nearby = store.taken_doses(med.name, when - med.min_gap, when + med.min_gap)
    taken = rules.take(dose, med, when, now, via, nearby, force=force, tz=config.timezone)
    store.save_dose(taken, "taken", via, now, {"taken_at": when.isoformat(), "force": force})
    later = [d.due for d in _candidates(store, config, med, when, now) if d.due > taken.due]
    return Answer(taken, rules.advice_for_late_take(taken, min(later, default=None), when, config))


def skip(store: Store, config: Config, name: str | None, when: datetime, now: datetime,
         reason: str | None, via: str = "cli") -> Answer:
    med = as_prescribed_at(store, config, pick_medication(config, name), when)
    if med.as_needed:
        raise UsageError(f"{med.name} is taken as needed; there is no scheduled dose to skip")
    with store.write():
        dose = rules.resolve_slot(_candidates(store, config, med, when, now), med, when, config.timezone)
        return _skip(store, _materialise(store, config, dose, now), now, reason, via)


def skip_dose(store: Store, config: Config, dose_id: int, now: datetime, via: str,
              reason: str | None = None) -> Answer:
    with store.write():
        dose, _ = _dose_and_medication(store, config, dose_id)
        return _skip(store, dose, now, reason, via)


def _skip(store: Store, dose: Dose, now: datetime, reason: str | None, via: str) -> Answer:
    skipped = rules.skip(dose, now, via, reason)
    store.save_dose(skipped, "skipped", via, now, {"reason": reason} if reason else None)
    return Answer(skipped)


def snooze(store: Store, config: Config, name: str | None, length: timedelta | None,
           now: datetime, via: str = "cli") -> Answer:
    """Snooze the dose being reminded now (one that is due and still open)."""
    med = pick_medication(config, name)
    with store.write():
        due = [d for d in store.doses_between(now - med.give_up_after, now + timedelta(seconds=1), med.name)
               if d.open]
        if not due:
            raise UsageError(f"no dose of {med.name} is waiting for an answer now; nothing to snooze")
        return _snooze(store, config, med, due[-1], now, length, via)


def snooze_dose(store: Store, config: Config, dose_id: int, now: datetime, via: str,
                length: timedelta | None = None) -> Answer:
    with store.write():
        dose, med = _dose_and_medication(store, config, dose_id)
        return _snooze(store, config, med, dose, now, length, via)


def _snooze(store: Store, config: Config, med: Medication, dose: Dose, now: datetime,
            length: timedelta | None, via: str) -> Answer:
    snoozed = rules.snooze(dose, med, now, length, tz=config.timezone)
    store.save_dose(snoozed, "snoozed", via, now, {"until": snoozed.snoozed_until.isoformat()})
    return Answer(snoozed)


def _dose_and_medication(store: Store, config: Config, dose_id: int) -> tuple[Dose, Medication]:
    dose = store.dose(dose_id)
    if dose is None:
        raise DoseError(f"there is no dose number {dose_id} in the log")
    med = config.medication(dose.medication)
    if med is None:
        raise DoseError(f"{dose.medication} is no longer in the config; its doses are not answered here")
    return dose, med


def _take_as_needed(store: Store, config: Config, med: Medication, when: datetime, now: datetime,
                    force: bool, via: str) -> Answer:
    """An as-needed (PRN) dose: a row of its own, numbered within its local day, checked
    against `max_per_day` and `min_gap` unless forced."""
    day = when.astimezone(config.timezone).date()
    with store.write():
        start_supply_counts(store, config, now)
        that_day = store.doses_on_dates(day, day, med.name)
        taken = [d for d in that_day if d.status == rules.TAKEN]
        if med.max_per_day is not None and len(taken) >= med.max_per_day and not force:
            raise DoseError(
                f"{med.name} was already taken {len(taken)} time(s) on {day}, the most allowed a day "
                f"(max_per_day = {med.max_per_day}). If you really took another, record it with --force")
        slot = f"PRN {len(that_day) + 1}"
        store.ensure_doses([Slot(when, med.name, day, slot, med.dose)], now)
        dose = store.dose_at(med.name, day, slot)
        assert dose is not None
        nearby = store.taken_doses(med.name, when - med.min_gap, when + med.min_gap)
        taken_dose = rules.take(dose, med, when, now, via, nearby, force=force, tz=config.timezone)
        store.save_dose(taken_dose, "taken", via, now, {"taken_at": when.isoformat(), "force": force})
    return Answer(taken_dose)


# --- corrections -----------------------------------------------------------------------


class Undo(NamedTuple):
    event: dict
    dose: Dose  # as it is after the undo
    note: str | None = None  # why it is not simply as before (the daemon overtook the answer)


def describe_event(event: dict, dose: Dose, config: Config) -> str:
    tz = config.timezone
    at = from_iso(event["at"]).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return (f"{event['kind']} {dose.medication} {dose.slot} dose of {dose.local_date} "
            f"(recorded {at} via {event['source']})")


def last_answer(store: Store) -> tuple[dict, Dose]:
    events = store.undoable_events()
    if not events:
        raise UsageError("there is no answer to undo")
    dose = store.dose(events[0]["dose_id"])
    assert dose is not None
    return events[0], dose


def undo(store: Store, config: Config, event_id: int, now: datetime, via: str = "cli") -> Undo:
    """Put the dose of answer `event_id` back as it was before that answer, or as the
    rules say it is now if the daemon gave it up after that answer. The answer and the
    undo both stay in `events`."""
    with store.write():
        event, dose = last_answer(store)
        if event["id"] != event_id:
            raise UsageError("the last answer changed meanwhile; run `reminderd undo` again")
        before = json.loads(event["detail"] or "{}").get("before")
        if before is None:
            raise UsageError("that answer was recorded without its earlier state; use `reminderd edit`")
        values = {k: before[k] for k in ANSWER_FIELDS}
        for key in ("taken_at", "snoozed_until", "answered_at"):
            values[key] = from_iso(values[key])
        gave_up = store.events("missed", dose_id=dose.id, after_id=event["id"], newest_first=True, limit=1)
        overtaken = None
        if gave_up:
            reason = json.loads(gave_up[0]["detail"] or "{}").get("reason", rules.NOT_ANSWERED)
            overtaken = (from_iso(gave_up[0]["at"]), reason)
        done = rules.undo_answer(dose._replace(**values), config.medication(dose.medication), now, overtaken,
                                 config.timezone)
        store.save_dose(done.dose, "undone", via, now, {"event": event["id"]})
    return Undo(event, done.dose, done.note)


def edit(store: Store, config: Config, name: str | None, day: date, slot: str, now: datetime,
         status: str | None, taken_at: datetime | None, reason: str | None, via: str = "cli") -> Dose:
    """Correct one dose's status or taken time; the old state stays in `events`.
    A taken time without a status means the dose was taken then."""
    med = pick_medication(config, name)
    if status is None and taken_at is None and reason is None:
        raise UsageError("nothing to change; give --status, --taken-at or --reason")
    with store.write():
        dose = store.dose_at(med.name, day, slot)
        if dose is None:
            that_day = [s for s in planned_on(store, config, day, now) if s.medication == med.name]
            planned = [s for s in that_day if s.slot == slot]
            if not planned:
                raise UsageError(f"{med.name} has no {slot} dose on {day}; its slots that day are "
                                 f"{', '.join(s.slot for s in that_day) or 'none'}")
            store.ensure_doses(planned, now)
            dose = store.dose_at(med.name, day, slot)
        changed = rules.correct(dose, status, taken_at, reason, now, via, config.timezone)
        store.save_dose(changed, "corrected", via, now)
    return changed


def parse_slot(text: str) -> str:
    from reminderd.core.config.values import parse_time
    from reminderd.errors import BadValue

    try:
        return format_slot(parse_time(text))
    except BadValue:
        if text.startswith("PRN "):
            return text
        raise UsageError(f"--slot {text!r} is not valid; expected a slot time \"HH:MM\" (or \"PRN 1\")") from None


# --- the morning check-in --------------------------------------------------------------


def checkin(store: Store, config: Config, night: date, severity: Any, frequency: Any = None, woke: Any = None,
            note: Any = None, *, now: datetime, via: str, names: dict[str, str] | None = None) -> CheckinSaved:
    """One night's answers, checked (a night is answered from the next morning on) and
    recorded; a night answered again keeps the earlier answer in `events`."""
    from reminderd.core import checkin as core

    core.check_night(night, now, config.timezone)
    entry = core.make_checkin(night, severity, frequency, woke, note, now=now, tz=config.timezone, via=via,
                              names=names)
    return CheckinSaved(entry, store.save_checkin(entry, now, via))


class CheckinSaved(NamedTuple):
    entry: Any  # checkin.Checkin, as recorded
    replaced: Any  # the answer it replaced, or None


# --- supply ----------------------------------------------------------------------------


def start_supply_counts(store: Store, config: Config, now: datetime) -> None:
    """A medication's `supply` in the config is its count when first seen; after that
    the log counts (refills add, taken doses subtract)."""
    for med in config.medications:
        if med.supply is not None and store.supply_since_start(med.name) is None:
            store.add_supply(med.name, med.supply, "start", now, "from the config")


def supply_of(store: Store, config: Config, med: Medication, now: datetime) -> Supply | None:
    counted = store.supply_since_start(med.name)
    if counted is None:
        return None
    _, added, taken = counted
    return supply_left(med, added, taken, now.astimezone(config.timezone).date())


def refill(store: Store, config: Config, name: str, tablets: float, now: datetime) -> Supply:
    med = pick_medication(config, name)
    tablets = parse_tablets(tablets)  # a finite, positive count whoever calls
    with store.write():
        start_supply_counts(store, config, now)
        if store.supply_since_start(med.name) is None:
            store.add_supply(med.name, 0, "start", now, "first refill")
        store.add_supply(med.name, tablets, "refill", now)
        supply = supply_of(store, config, med, now)
    assert supply is not None
    return supply
