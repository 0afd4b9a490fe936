"""Doses due together, reminded together: which doses form a group, and what the group's
one notification says and offers. Pure: rows, the config and `now` in, decisions out.

The rule: doses of different medications whose due instants fall within `group_within`
of the group's first dose are one group (sorted by due instant, then id; a second dose of
a medication already in the group starts a new group). A group is fixed by the doses'
planned instants, so answering, snoozing or missing one never moves another to another
group. Each dose keeps its own row, rules and record; only the reminder is shared: when
any open dose of a group is owed a reminder, every open dose owed one within
`group_within` is reminded with it, in one notification.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Iterable, Sequence

from reminderd.core import doses as rules
from reminderd.core.config.settings import Config, Medication
from reminderd.core.doses import Dose
from reminderd.core.durations import hours_and_minutes
from reminderd.core.typed import as_typed
from reminderd.core.words import ALL_TAKEN, NOT_RUNNING, SKIP_ONE, SNOOZE, TAKEN_ONE

GROUP_PREFIX = "group:"  # a group's notification and its timer are "group:<first dose's id>"


def groups(doses: Iterable[Dose], within: timedelta) -> list[tuple[Dose, ...]]:
    """Every group among `doses` (each dose in exactly one; most are alone)."""
    result: list[list[Dose]] = []
    for dose in sorted(doses, key=lambda d: (d.due, d.id)):
        current = result[-1] if result else None
        if (current is not None and dose.due - current[0].due <= within
                and all(d.medication.casefold() != dose.medication.casefold() for d in current)):
            current.append(dose)
        else:
            result.append([dose])
    return [tuple(g) for g in result]


def group_of(dose: Dose, doses: Iterable[Dose], within: timedelta) -> tuple[Dose, ...]:
    """The group `dose` belongs to among `doses` (which must include it); the row of
    `dose` itself is the one given, in case `doses` holds an older copy."""
    for group in groups(doses, within):
        if any(d.id == dose.id for d in group):
            return tuple(dose if d.id == dose.id else d for d in group)
    return (dose,)


def group_key(group: Sequence[Dose]) -> str:
    """The notification key of a group: its first dose names it for its whole life."""
    return f"{GROUP_PREFIX}{group[0].id}"


def remind_with(group: Sequence[Dose], meds: dict[str, Medication], now: datetime,
                within: timedelta) -> list[Dose]:
    """The open doses of the group to remind now, given that one of them is owed a
    reminder: those owed one by `now + within` and not yet given up. A dose snoozed on
    its own waits for its own time."""
    chosen = []
    for dose in group:
        med = meds.get(dose.medication)
        if med is None or med.as_needed or not dose.open or now >= rules.give_up_at(dose, med):
            continue
        if rules.next_reminder_at(dose, med) <= now + within:
            chosen.append(dose)
    return chosen


def listed(group: Sequence[Dose], now: datetime) -> list[Dose]:
    """The doses the group's notification lists: open, reminded at least once, and not
    snoozed past `now` (a snoozed dose comes back with its next reminder)."""
    return [d for d in group if d.open and d.reminders_sent > 0
            and (d.snoozed_until is None or d.snoozed_until <= now
                 or (d.last_reminded_at is not None and d.last_reminded_at >= d.snoozed_until))]


def describe(dose: Dose, private: bool) -> str:
    if private:
        return f"a {dose.slot} dose"
    return f"{dose.medication} {dose.dose} ({dose.slot})"


def reminder_text(open_doses: Sequence[Dose], meds: dict[str, Medication], config: Config,
                  now: datetime, private: bool) -> tuple[str, str]:
    """(title, body) of the group's notification: one line per dose still open."""
    title = f"{len(open_doses)} doses due" if len(open_doses) > 1 else (
        "Medication due" if private else f"{open_doses[0].medication} {open_doses[0].dose}")
    lines = []
    for dose in open_doses:
        med = meds.get(dose.medication)
        late = now - dose.due
        line = describe(dose, private)
        if late >= timedelta(minutes=1):
            line += f", {hours_and_minutes(late)} late"
        if not private and med is not None and med.instructions:
            line += f": {med.instructions}"
        lines.append(line)
    last = [d for d in open_doses if d.medication in meds
            and now + meds[d.medication].remind_every >= rules.give_up_at(d, meds[d.medication])]
    if last:
        limit = min(rules.give_up_at(d, meds[d.medication]) for d in last)
        lines.append(f"Last reminder: if not answered by {limit.astimezone(config.timezone):%H:%M}, "
                     f"{'these doses are' if len(last) > 1 else 'this dose is'} counted as missed. "
                     f"{config.missed_dose_advice}")
    return title, "\n".join(lines)


def actions(open_doses: Sequence[Dose], snooze_label: str, private: bool) -> tuple[tuple[str, str], ...]:
    """All taken, Snooze, then a Taken and a Skip per dose: every answer of every dose (a
    server that shows few buttons shows them a page at a time). One dose left: Taken,
    Snooze, Skip, as on a dose of its own."""
    if len(open_doses) == 1:
        return ((ALL_TAKEN, "Taken"), (SNOOZE, snooze_label), (f"{SKIP_ONE}{open_doses[0].id}", "Skip"))
    names = [d.slot if private else d.medication for d in open_doses]
    return (((ALL_TAKEN, "All taken"), (SNOOZE, snooze_label))
            + tuple((f"{TAKEN_ONE}{d.id}", f"Taken: {name}") for d, name in zip(open_doses, names))
            + tuple((f"{SKIP_ONE}{d.id}", f"Skip: {name}") for d, name in zip(open_doses, names)))


def cli_hint(open_doses: Sequence[Dose], private: bool) -> str:
    if private:
        return "Answer with: reminderd take --all  (or one at a time: reminderd take)"
    names = " / ".join(as_typed(d.medication) for d in open_doses)
    return f"Answer with: reminderd take --all  (or one: reminderd take {names}; skip / snooze likewise)"


def missed_text(missed: Sequence[Dose], meds: dict[str, Medication], config: Config,
                private: bool) -> tuple[str, str]:
    """One notice for the doses of a group counted as missed; for one dose, the usual text."""
    if len(missed) == 1 and missed[0].medication in meds:
        return rules.missed_text(missed[0], meds[missed[0].medication], config, private)
    listed = ", ".join(describe(d, private) for d in missed)
    why = "Due while reminderd was not running" if all(d.reason == NOT_RUNNING for d in missed) \
        else "Not answered"
    # Each command as it can be typed: its own name and slot (a group's doses may be minutes apart).
    commands = (f"`reminderd take --at {missed[0].slot}`" if private else
                " and ".join(f"`reminderd take {as_typed(d.medication)} --at {d.slot}`" for d in missed))
    return f"{len(missed)} doses missed", (
        f"{why}, so counted as missed — {listed}. If you took them, record each with {commands}. "
        f"{config.missed_dose_advice}")


def due_now(open_doses: Iterable[Dose], meds: dict[str, Medication], now: datetime,
            within: timedelta, rules_of: Callable[[Dose], Medication | None] | None = None) -> list[Dose]:
    """The open doses a bare `reminderd take` can mean: due by `now + within` and not
    yet given up, at most one per medication (its earliest); in the order of `meds`. Each
    dose is judged by `rules_of(dose)` (default: its medication in `meds`)."""
    order = {name: i for i, name in enumerate(meds)}
    chosen: dict[str, Dose] = {}
    for dose in sorted(open_doses, key=lambda d: (d.due, order.get(d.medication, len(order)))):
        med = rules_of(dose) if rules_of is not None else meds.get(dose.medication)
        if med is None or med.as_needed or dose.medication in chosen:
            continue
        if dose.due <= now + within and now < rules.give_up_at(dose, med):
            chosen[dose.medication] = dose
    return list(chosen.values())
