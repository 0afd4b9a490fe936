"""The one answering path: take, skip, snooze, undo, edit and refill, used alike by the
CLI, the notification buttons and the phone page. Each reads the log, asks the pure
rules (reminderd.core.doses) and writes once, in one transaction; `via` says where the answer
came from ("cli", "notification", "phone").

Which doses exist is the one plan (`doses_between`), for the answers and for `status`,
the phone page, the daemon and the report alike. The daemon need not be running: a slot
that has no row yet (the daemon was stopped, or never started) gets its row here.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple, Sequence

from reminderd.core import doses as rules
from reminderd.core.config.settings import Config, Medication
from reminderd.core.config.values import format_slot
from reminderd.core.doses import Dose
from reminderd.errors import DoseError, UsageError
from reminderd.core.prescriptions import PRESCRIBED, History, no_row_yet, unrecorded
from reminderd.core.schedule import Slot, local_instant
from reminderd.store import ANSWER_FIELDS, Store, from_iso
from reminderd.core.supply import Supply, supply_left
from reminderd.core.typed import parse_tablets
from reminderd.core.words import (AS_NEEDED_SLOT, CORRECTED, MISSED, MISSED_ALERT, NOT_ANSWERED, PUSH_DUE, PUSH_FAILED,
                                  PUSH_SENT, PUSH_TRY, PUSH_UNCONFIRMED, SKIPPED, SNOOZED, SUPPLY_REFILL, SUPPLY_START,
                                  TAKEN, UNDONE, VIA_CLI)

SEARCH_BACK = timedelta(days=2)  # how far from WHEN a take looks for its dose
SEARCH_AHEAD = timedelta(days=1)
# A local day's doses fall due within a day of its midnight in the zone of the day; with
# a change of zone, within two.
DAY_SPREAD = timedelta(days=2)
ZONES_APART = timedelta(hours=26)  # the same wall-clock time in two zones: at most this apart
SECOND = timedelta(seconds=1)


class Answer(NamedTuple):
    dose: Dose
    advice: str | None = None


class PlannedDose(NamedTuple):
    """A dose of the plan: its row, or (id 0) a planned slot with no row yet; and the
    medication as prescribed when it falls due, whose rules (early window, give-up,
    minimum gap) judge it, with the config's own reminding settings."""

    dose: Dose
    med: Medication


# --- the one plan --------------------------------------------------------------------


def history_of(store: Store, config: Config) -> History:
    """The log's prescription history (the config's, for a log that has none yet)."""
    return History.of(store.prescription_rows(), config)


def planned(store: Store, config: Config, start: datetime, end: datetime) -> list[Slot]:
    """The slots of the plan due in [start, end) (`History.plan`): the daemon makes their rows."""
    return history_of(store, config).plan(start, end)


def follow_plan(store: Store, planned: Sequence[Slot], now: datetime) -> tuple[list[Dose], list[tuple[Dose, Slot]]]:
    """Rows made ahead follow the plan until something happens to them: one whose slot
    the plan (`planned`, from `now` on) no longer has is dropped, one whose slot moved (a
    changed zone) or whose dose changed takes the plan's; past and answered doses keep what
    they had. Returns (the dropped rows, the moved rows with their new slot)."""
    gone = store.delete_unstarted_doses({(s.medication, s.local_date.isoformat(), s.slot) for s in planned}, now)
    plans = {_key(s): s for s in planned if s.due > now}
    moved = []
    for dose in store.open_doses():
        plan = plans.get(_key(dose))
        if plan is not None and (plan.dose, plan.due) != (dose.dose, dose.due) and dose.reminders_sent == 0:
            store.replan_dose(dose.id, plan.dose, plan.due)
            moved.append((dose, plan))
    return gone, moved


def follow_new_prescription(store: Store, config: Config, now: datetime) -> None:
    """After a new prescription is recorded, the rows made ahead for the old plan follow
    the new one (`follow_plan`), as the daemon's refresh makes them: with the daemon
    stopped, its 20:00 row must not stay beside the new 21:00 dose as a second one."""
    ahead = [d.due for d in store.open_doses() if d.due > now and not d.reminders_sent]
    if ahead:
        follow_plan(store, planned(store, config, now, max(ahead) + DAY_SPREAD), now)  # a slot can move a day


def doses_between(store: Store, config: Config, start: datetime, end: datetime, medication: str | None = None,
                  history: History | None = None) -> list[PlannedDose]:
    """The one answer to "which doses exist between start and end", by due time: the plan
    (each slot as prescribed at its own time) joined with the log's rows. A slot is its
    row, or a dose with id 0 while it has none; a row the plan has no slot for (an answered
    dose of a slot that moved since) is still a dose, shown and answered like any other."""
    history = history or history_of(store, config)
    slots = {_key(s): s for s in history.plan(start, end) if medication is None or s.medication == medication}
    # A row and its slot can be due apart (a zone changed under a row reminded already).
    rows = [d for d in store.doses_between(start - ZONES_APART, end + ZONES_APART, medication)
            if _key(d) in slots or start <= d.due < end]
    doses = [PlannedDose(d, _rules(config, history, slots.get(_key(d)), d)) for d in rows]
    doses += [PlannedDose(no_row_yet(s), _rules(config, history, s, s)) for s in unrecorded(slots.values(),
                                                                                               map(_key, rows))]
    return sorted(doses, key=lambda p: (p.dose.due, p.dose.medication))


def _key(dose: Dose | Slot) -> tuple[str, date, str]:
    return dose.medication, dose.local_date, dose.slot


def _rules(config: Config, history: History, slot: Slot | None, dose: Dose | Slot) -> Medication:
    """The medication a dose is judged by: as its slot was prescribed, or for a row the
    plan has no slot for, as prescribed when it fell due."""
    prescribed = slot.prescribed if slot is not None else history.at(dose.due).medication(dose.medication)
    return _as_prescribed(config, prescribed, dose.medication, dose.dose)


def doses_on(store: Store, config: Config, day: date, history: History | None = None) -> list[PlannedDose]:
    """The doses of one local day (`doses_between`): what `status` and the phone page list."""
    return [p for p in doses_between(store, config, *around_day(config, day), history=history)
            if p.dose.local_date == day]


def around_day(config: Config, day: date) -> tuple[datetime, datetime]:
    """From two days before a local day to two after it: every dose of the day is due then."""
    midnight = local_instant(day, time(0), config.timezone)
    return midnight - DAY_SPREAD, midnight + DAY_SPREAD + timedelta(days=1)


def _as_prescribed(config: Config, prescribed: Medication | None, name: str, dose: str) -> Medication:
    """The medication by the rules of a prescription, with the config's reminding settings
    (snooze, remind_every, supply); one no prescription has is judged by the defaults."""
    current = config.medication(name)
    if prescribed is None:
        return current or Medication(name=name, dose=dose)
    return prescribed if current is None else _merged(current, prescribed)


@lru_cache(maxsize=64)
def _merged(current: Medication, prescribed: Medication) -> Medication:
    # The same few pairs for every dose of a period: made once.
    return current._replace(**{field: getattr(prescribed, field) for field in PRESCRIBED})


def planned_dose(store: Store, config: Config, dose: Dose, history: History | None = None) -> PlannedDose:
    """A row as the plan has it: with the medication it is judged by."""
    history = history or history_of(store, config)
    found = [p for p in doses_between(store, config, dose.due, dose.due + SECOND, dose.medication, history)
             if p.dose.id == dose.id]
    return found[0] if found else PlannedDose(dose, _rules(config, history, None, dose))


def judged(store: Store, config: Config, doses: Sequence[Dose], history: History | None = None) -> dict[int, Medication]:
    """The medication each row is judged by (`planned_dose`, for many rows in one reading):
    by its own prescription, with the config's reminding settings, whether or not the
    running config has it. A row of a medication that neither the config nor a
    prescription of its days has is left out: nothing says how to judge it."""
    if not doses:
        return {}
    history = history or history_of(store, config)
    planned = doses_between(store, config, min(d.due for d in doses), max(d.due for d in doses) + SECOND,
                            history=history)
    found = {p.dose.id: p.med for p in planned if p.dose.id}
    return {d.id: found[d.id] for d in doses if d.id in found and (
        config.medication(d.medication) is not None
        or any(c.medication(d.medication) is not None
               for c in history.between(d.due - DAY_SPREAD, d.due + DAY_SPREAD)))}


def medication_at(config: Config, history: History, name: str | None, when: datetime) -> Medication:
    """The medication a take or skip at `when` means, as prescribed then: `name` (any
    case), or with no name the one medication scheduled then. A name is looked for in the
    prescription in force at `when`, then in those of the doses a take at `when` chooses
    from: a medication taken off the config at 08:30 is still named for its 08:00 dose,
    which the plan keeps (`status` says to take it)."""
    if name is None:
        return _named(config, [history.at(when)], None)
    around = history.between(when - SEARCH_BACK, when + SEARCH_AHEAD)
    return _named(config, [history.at(when), *reversed(around)], name)


def _named(config: Config, prescriptions: Sequence[Config], name: str | None) -> Medication:
    names = ", ".join(dict.fromkeys(m.name for c in (config, *prescriptions) for m in c.medications))
    if name is None:
        # An as-needed medicine is always named: "take" alone means the scheduled dose.
        scheduled = {m.name: m for c in prescriptions for m in c.medications if not m.as_needed}
        if len(scheduled) == 1:
            med = next(iter(scheduled.values()))
            return _as_prescribed(config, med, med.name, med.dose)
        raise UsageError(f"more than one medication is configured; name one of: {names}")
    for prescription in prescriptions:
        if (med := prescription.medication(name)) is not None:
            return _as_prescribed(config, med, med.name, med.dose)
    if (med := config.medication(name)) is None:
        raise UsageError(f"no medication called {name!r} in the config; expected one of: {names}")
    return med


def pick_medication(config: Config, name: str) -> Medication:
    """A medication of the config as it is now, by name (any case): what `refill` counts."""
    return _named(config, [], name)


def due_at(store: Store, config: Config, when: datetime, only_if_several: bool = False) -> list[Dose]:
    """The doses a bare `take` at `when` can mean (`grouping.due_now`), from the plan: at
    most one per medication, not yet given up. With `only_if_several`, only when more than one
    medication was scheduled then (else none: the one scheduled needs no asking)."""
    from reminderd.core.grouping import due_now

    history = history_of(store, config)
    both = (config, history.at(when))
    if only_if_several and len({m.name for c in both for m in c.medications if not m.as_needed}) < 2:
        return []
    longest = max((m.give_up_after for c in both for m in c.medications), default=SECOND)
    doses = doses_between(store, config, when - longest, when + config.group_within + SECOND, history=history)
    order = {m.name: m for c in both for m in c.medications}
    rules_of = {p.dose: p.med for p in doses}
    return due_now(list(rules_of), order, when, config.group_within, rules_of.get)


def _around(store: Store, config: Config, history: History, name: str, when: datetime) -> list[PlannedDose]:
    """A medication's doses around `when`: those a take or skip at `when` chooses from."""
    return doses_between(store, config, when - SEARCH_BACK, when + SEARCH_AHEAD, name, history)


def _resolve(candidates: Sequence[PlannedDose], med: Medication, when: datetime, config: Config) -> PlannedDose:
    """The dose a take or skip at `when` answers (`doses.resolve_slot`), each candidate
    judged by the rules of its own prescription."""
    rules_of = {p.dose: p.med for p in candidates}
    dose = rules.resolve_slot(list(rules_of), med, when, config.timezone, rules_of.__getitem__)
    return PlannedDose(dose, rules_of[dose])


def answerable(store: Store, config: Config, when: datetime) -> list[PlannedDose]:
    """For each medication with doses around `when`, the one a take or skip at `when`
    would answer (none where nothing can be answered then): the phone page's buttons."""
    history = history_of(store, config)
    around = [p for p in doses_between(store, config, when - SEARCH_BACK, when + SEARCH_AHEAD, history=history)
              if not p.med.as_needed and not p.dose.slot.startswith(AS_NEEDED_SLOT)]
    found = []
    for name in dict.fromkeys(p.dose.medication for p in around):
        mine = [p for p in around if p.dose.medication == name]
        try:
            found.append(_resolve(mine, mine[0].med, when, config))
        except DoseError:
            pass
    return found


def _materialise(store: Store, dose: Dose, now: datetime) -> Dose:
    if dose.id:
        return dose
    store.ensure_doses([Slot(dose.due, dose.medication, dose.local_date, dose.slot, dose.dose)], now)
    row = store.dose_at(dose.medication, dose.local_date, dose.slot)
    assert row is not None
    return row


def take(store: Store, config: Config, name: str | None, when: datetime, now: datetime,
         force: bool = False, via: str = VIA_CLI) -> Answer:
    """The dose of medication `name` that a take at `when` means, taken at `when`."""
    rules.check_not_future(when, now, config.timezone)
    with store.write():
        history = history_of(store, config)
        med = medication_at(config, history, name, when)
        if med.as_needed:
            return _take_as_needed(store, config, med, when, now, force, via)
        start_supply_counts(store, config, now)
        candidates = _around(store, config, history, med.name, when)
        # A failure below rolls the whole transaction back, the new row included.
        return _take(store, config, _resolve(candidates, med, when, config), candidates, when, now, force, via)


def take_dose(store: Store, config: Config, dose_id: int, now: datetime, via: str,
              force: bool = False) -> Answer:
    """One known dose (a notification's, a row on the phone page), taken now."""
    with store.write():
        start_supply_counts(store, config, now)
        history = history_of(store, config)
        chosen = planned_dose(store, config, _row(store, dose_id), history)
        candidates = _around(store, config, history, chosen.dose.medication, now)
        return _take(store, config, chosen, candidates, now, now, force, via)


def _take(store: Store, config: Config, chosen: PlannedDose, candidates: Sequence[PlannedDose], when: datetime,
          now: datetime, force: bool, via: str) -> Answer:
    med, dose = chosen.med, _materialise(store, chosen.dose, now)
    nearby = store.taken_doses(med.name, when - med.min_gap, when + med.min_gap)
    taken = rules.take(dose, med, when, now, via, nearby, force=force, tz=config.timezone)
    store.save_dose(taken, TAKEN, via, now, {"taken_at": when.isoformat(), "force": force})
    later = min((p.dose.due for p in candidates if p.dose.due > taken.due), default=None)
    return Answer(taken, rules.advice_for_late_take(taken, later, when, config))


def skip(store: Store, config: Config, name: str | None, when: datetime, now: datetime,
         reason: str | None, via: str = VIA_CLI) -> Answer:
    with store.write():
        history = history_of(store, config)
        med = medication_at(config, history, name, when)
        if med.as_needed:
            raise UsageError(f"{med.name} is taken as needed; there is no scheduled dose to skip")
        chosen = _resolve(_around(store, config, history, med.name, when), med, when, config)
        return _skip(store, _materialise(store, chosen.dose, now), now, reason, via)


def skip_dose(store: Store, config: Config, dose_id: int, now: datetime, via: str,
              reason: str | None = None) -> Answer:
    with store.write():
        return _skip(store, _row(store, dose_id), now, reason, via)


def _skip(store: Store, dose: Dose, now: datetime, reason: str | None, via: str) -> Answer:
    skipped = rules.skip(dose, now, via, reason)
    store.save_dose(skipped, SKIPPED, via, now, {"reason": reason} if reason else None)
    return Answer(skipped)


def snooze(store: Store, config: Config, name: str | None, length: timedelta | None,
           now: datetime, via: str = VIA_CLI) -> Answer:
    """Snooze the dose being reminded now (one that is due and still open)."""
    with store.write():
        history = history_of(store, config)
        med = medication_at(config, history, name, now)
        due = [p for p in _around(store, config, history, med.name, now)
               if p.dose.id and p.dose.open and p.dose.due <= now < rules.give_up_at(p.dose, p.med)]
        if not due:
            raise UsageError(f"no dose of {med.name} is waiting for an answer now; nothing to snooze")
        return _snooze(store, config, due[-1], now, length, via)


def snooze_dose(store: Store, config: Config, dose_id: int, now: datetime, via: str,
                length: timedelta | None = None) -> Answer:
    with store.write():
        return _snooze(store, config, planned_dose(store, config, _row(store, dose_id)), now, length, via)


def _snooze(store: Store, config: Config, chosen: PlannedDose, now: datetime, length: timedelta | None,
            via: str) -> Answer:
    snoozed = rules.snooze(chosen.dose, chosen.med, now, length, tz=config.timezone)
    store.save_dose(snoozed, SNOOZED, via, now, {"until": snoozed.snoozed_until.isoformat()})
    return Answer(snoozed)


def _row(store: Store, dose_id: int) -> Dose:
    dose = store.dose(dose_id)
    if dose is None:
        raise DoseError(f"there is no dose number {dose_id} in the log")
    return dose


def _take_as_needed(store: Store, config: Config, med: Medication, when: datetime, now: datetime,
                    force: bool, via: str) -> Answer:
    """An as-needed (PRN) dose: a row of its own, numbered within its local day, checked
    against `max_per_day` and `min_gap` unless forced. Inside `take`'s write transaction."""
    day = when.astimezone(config.timezone).date()
    start_supply_counts(store, config, now)
    that_day = store.doses_on_dates(day, day, med.name)
    taken = [d for d in that_day if d.status == TAKEN]
    if med.max_per_day is not None and len(taken) >= med.max_per_day and not force:
        raise DoseError(
            f"{med.name} was already taken {len(taken)} time(s) on {day}, the most allowed a day "
            f"(max_per_day = {med.max_per_day}). If you really took another, record it with --force")
    slot = f"{AS_NEEDED_SLOT}{len(that_day) + 1}"
    store.ensure_doses([Slot(when, med.name, day, slot, med.dose)], now)
    dose = store.dose_at(med.name, day, slot)
    assert dose is not None
    nearby = store.taken_doses(med.name, when - med.min_gap, when + med.min_gap)
    taken_dose = rules.take(dose, med, when, now, via, nearby, force=force, tz=config.timezone)
    store.save_dose(taken_dose, TAKEN, via, now, {"taken_at": when.isoformat(), "force": force})
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


def undo(store: Store, config: Config, event_id: int, now: datetime, via: str = VIA_CLI) -> Undo:
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
        gave_up = store.events(MISSED, dose_id=dose.id, after_id=event["id"], newest_first=True, limit=1)
        overtaken = None
        if gave_up:
            reason = json.loads(gave_up[0]["detail"] or "{}").get("reason", NOT_ANSWERED)
            overtaken = (from_iso(gave_up[0]["at"]), reason)
        done = rules.undo_answer(dose._replace(**values), planned_dose(store, config, dose).med, now, overtaken,
                                 config.timezone)
        store.save_dose(done.dose, UNDONE, via, now, {"event": event["id"]})
    return Undo(event, done.dose, done.note)


def edit(store: Store, config: Config, name: str | None, day: date, slot: str, now: datetime,
         status: str | None, taken_at: datetime | None, reason: str | None, via: str = VIA_CLI) -> Dose:
    """Correct one dose's status or taken time; the old state stays in `events`.
    A taken time without a status means the dose was taken then."""
    if status is None and taken_at is None and reason is None:
        raise UsageError("nothing to change; give --status, --taken-at or --reason")
    with store.write():
        history = history_of(store, config)
        midnight = local_instant(day, time(0), config.timezone)
        med = _named(config, history.between(midnight - DAY_SPREAD, midnight + DAY_SPREAD), name)
        that_day = [p.dose for p in doses_on(store, config, day, history) if p.dose.medication == med.name]
        dose = next((d for d in that_day if d.slot == slot), None)
        if dose is None:
            raise UsageError(f"{med.name} has no {slot} dose on {day}; its slots that day are "
                             f"{', '.join(d.slot for d in that_day) or 'none'}")
        dose = _materialise(store, dose, now)
        changed = rules.correct(dose, status, taken_at, reason, now, via, config.timezone)
        store.save_dose(changed, CORRECTED, via, now)
    return changed


def parse_slot(text: str) -> str:
    from reminderd.core.config.values import parse_time
    from reminderd.errors import BadValue

    try:
        return format_slot(parse_time(text))
    except BadValue:
        if text.startswith(AS_NEEDED_SLOT):
            return text
        raise UsageError(f"--slot {text!r} is not valid; expected a slot time \"HH:MM\" (or \"PRN 1\")") from None


# --- the morning check-in --------------------------------------------------------------


def checkin(store: Store, config: Config, night: date, severity: Any, frequency: Any = None, woke: Any = None,
            note: Any = None, other_cause: Any = None, *, now: datetime, via: str,
            names: dict[str, str] | None = None) -> CheckinSaved:
    """One night's answers, checked (a night is answered from the next morning on) and
    recorded; a night answered again keeps the earlier answer in `events`."""
    from reminderd.core import checkin as core

    core.check_night(night, now, config.timezone)
    entry = core.make_checkin(night, severity, frequency, woke, note, other_cause, now=now, tz=config.timezone,
                              via=via, names=names)
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
            store.add_supply(med.name, med.supply, SUPPLY_START, now, "from the config")


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
            store.add_supply(med.name, 0, SUPPLY_START, now, "first refill")
        store.add_supply(med.name, tablets, SUPPLY_REFILL, now)
        supply = supply_of(store, config, med, now)
    assert supply is not None
    return supply


# --- a second rater's night ------------------------------------------------------------


def pick_rater(config: Config, name: str):
    """The [[rater]] called `name` (any case), or a refusal naming the raters there are."""
    rater = config.rater(name)
    if rater is None:
        known = ", ".join(r.name for r in config.raters) or "none: add a [[rater]] table to the config"
        raise UsageError(f"no rater called {name!r} in the config; expected one of: {known}")
    return rater


def rate(store: Store, config: Config, rater_name: str, night: date, severity: Any, frequency: Any = None,
         woke: Any = None, note: Any = None, *, now: datetime, via: str,
         names: dict[str, str] | None = None) -> RatingSaved:
    """One rater's answers about a night, checked and recorded with whether anything sent to
    her had told her about that night's doses (reminderd.core.rating); a night answered
    again keeps the earlier answer in `events`."""
    from reminderd.core import rating as core

    rater = pick_rater(config, rater_name)
    core.check_night(night, now, config.timezone)
    with store.write():
        told = core.told_of(night, sent_to(store, config, rater.name, night), now)
        entry = core.make_rating(rater.name, night, severity, frequency, woke, note, now=now, tz=config.timezone,
                                 via=via, told=told, names=names)
        return RatingSaved(entry, store.save_rating(entry, now, via))


def undo_rating(store: Store, config: Config, rater_name: str, now: datetime, via: str) -> RatingUndone:
    """Take back the rater's last answer: the one it replaced comes back, or none."""
    from reminderd.core.rating import Rating

    rater = pick_rater(config, rater_name)
    with store.write():
        event = store.last_rating_event(rater.name)
        if event is None:
            raise UsageError(f"{rater.name} has no answer to undo")
        detail = json.loads(event["detail"])
        undone = Rating(**{k: v for k, v in detail.items() if k not in ("before", "blinded")}
                        | {"night": date.fromisoformat(detail["night"]), "answered_at": from_iso(detail["answered_at"])})
        return RatingUndone(undone, store.undo_rating(event, now, via))


def sent_to(store: Store, config: Config, name: str, night: date) -> list:
    """Every message that may have reached a contact called `name` (any case), from the day
    before `night` on (nothing earlier can name its doses), with the nights whose doses it
    named. A message may have reached her from its first try that did not fail: one her
    server acknowledged, one whose answer was not seen, or one still being sent."""
    from reminderd.core.rating import TELLING_ALERTS, Sent, nights_told

    tz = config.timezone
    since = local_instant(night - timedelta(days=1), datetime.min.time(), tz)
    recorded, failed, reached = {}, set(), {}
    for event in store.events(PUSH_DUE, PUSH_TRY, PUSH_FAILED, PUSH_SENT, PUSH_UNCONFIRMED, since=since):
        detail = json.loads(event["detail"])
        key, to = detail["key"], detail["to"]
        if to.casefold() != name.casefold() or key.partition(":")[0] not in TELLING_ALERTS:
            continue
        if event["kind"] == PUSH_DUE:
            recorded[key] = detail
        elif event["kind"] == PUSH_FAILED:  # that try never reached her server, or was refused
            failed.add((key, detail.get("try")))
        else:
            reached.setdefault(key, []).append((from_iso(event["at"]), event["kind"], detail.get("try")))
    sent = []
    for key, tries in reached.items():
        at = min((when for when, kind, number in tries if kind != PUSH_TRY or (key, number) not in failed),
                 default=None)
        if at is None:
            continue
        kind, _, about = key.partition(":")
        listed = recorded.get(key, {}).get("doses")  # the doses a not-running alert listed
        ids = [int(about)] if kind == MISSED_ALERT and about.isdigit() else list(listed or ())
        due = {i: dose.due for i in ids if (dose := store.dose(i)) is not None}
        days = [date.fromisoformat(d) for d in recorded.get(key, {}).get("days", ())]  # a summary's days
        sent.append(Sent(key, at, nights_told(key, due, listed, config.checkin.bedtime, tz, days)))
    return sent


class RatingSaved(NamedTuple):
    entry: Any  # rating.Rating, as recorded
    replaced: Any  # the answer it replaced, or None


class RatingUndone(NamedTuple):
    undone: Any  # rating.Rating taken back
    now: Any  # the rating in force for that night now, or None
