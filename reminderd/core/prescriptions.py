"""The prescription history: what was prescribed, and from when (pure core).

A *prescription* is the part of the config that says which doses are due and how they
are judged: each medication's slots and titration steps, dose, `until`, as-needed
settings and the windows (`give_up_after`, `early_window`, `min_gap`), the on-time window
and the zone. It is kept in the log as canonical JSON (one spelling per prescription, so
"did it change?" is a string comparison) with the instant it came into force.

The past is judged by the prescription of its time, and `History.plan` is the one answer
to "which doses exist between A and B": each local day by the prescription in force as it
began, a prescription recorded during a day taking over from its instant. So a medication
added at 15:00 has no due dose at 08:00 that day, and a slot moved from 22:00 to 21:00
leaves yesterday's 22:00 as it was. Before the first record, the first one is taken to
have been in force.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, NamedTuple, Sequence

from reminderd.core.clock import UTC
from reminderd.core.config.collect import Collector, show
from reminderd.core.config.medication import medication_list
from reminderd.core.config.settings import Config, Medication
from reminderd.core.config.tables import TOP_KEYS
from reminderd.core.config.values import format_slot
from reminderd.core.doses import Dose
from reminderd.core.durations import format_duration
from reminderd.core.schedule import Slot, by_due, local_days, local_instant, slots_on


def prescription_of(config: Config) -> dict[str, Any]:
    """The prescription part of a config as plain JSON values."""
    return {
        "timezone": config.timezone.key,
        "on_time_window": format_duration(config.on_time_window),
        "medications": [_medication_of(m) for m in config.medications],
    }


def _medication_of(med: Medication) -> dict[str, Any]:
    return {
        "name": med.name,
        "dose": med.dose,
        "times": [format_slot(t) for t in med.times],
        "steps": [{"from": s.start.isoformat(), "times": [format_slot(t) for t in s.times], "dose": s.dose}
                  for s in med.steps],
        "until": med.until.isoformat() if med.until else None,
        "as_needed": med.as_needed,
        "max_per_day": med.max_per_day,
        "give_up_after": format_duration(med.give_up_after),
        "early_window": format_duration(med.early_window),
        "min_gap": format_duration(med.min_gap),
    }


def canonical(prescription: dict[str, Any]) -> str:
    """The one spelling of a prescription kept in the log."""
    return json.dumps(prescription, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_of(config: Config) -> str:
    return canonical(prescription_of(config))


class PrescriptionError(ValueError):
    """Text that is not a prescription as reminderd writes it: each problem as (the path of
    the value inside the prescription, "" for the whole text; what is wrong with it)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" if path else message for path, message in problems))
        self.problems = problems


KEYS = ("timezone", "on_time_window", "medications")
# What a prescription says of a medication: the rules that judge a dose (its windows and
# gaps, its slots and amount), as against how reminderd reminds of it.
PRESCRIBED = ("dose", "times", "steps", "until", "as_needed", "max_per_day", "give_up_after", "early_window",
              "min_gap")
MEDICATION_KEYS = ("name", *PRESCRIBED)
# The zone and the on-time window, required here, read by the config's own parsers.
ZONE_KEYS = {key: (TOP_KEYS[key][0], True) for key in ("timezone", "on_time_window")}


# Pure and its result frozen, so each stored text is parsed once per process: one command
# builds the history several times (a take: the rules then, the slots around it, the next
# dose), and the daemon at every refresh.
@lru_cache(maxsize=256)
def config_of(text: str) -> Config:
    """A stored prescription back as a Config that the schedule can expand, read by the
    config's own parsers and rules (those of `check-config`) and held to the one spelling
    `canonical` writes: each time once and in order, each medication named once. Raises
    PrescriptionError naming each problem's place in the text."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise PrescriptionError([("", "not JSON reminderd reads: nested too deeply")]) from None
    except ValueError as err:
        raise PrescriptionError([("", f"not JSON ({err})")]) from None
    if not isinstance(data, dict) or set(data) != set(KEYS):
        raise PrescriptionError([("", "not a prescription; expected an object with the keys " + ", ".join(KEYS))])
    meds = data["medications"]
    if isinstance(meds, list):
        shapeless = [(f"medications[{i}]", "not a medication; expected an object with the keys "
                      + ", ".join(MEDICATION_KEYS)) for i, med in enumerate(meds)
                     if not isinstance(med, dict) or set(med) != set(MEDICATION_KEYS)]
        if shapeless:
            raise PrescriptionError(shapeless)
        meds = [_as_table(med) for med in meds]
    c = Collector()
    top = c.fields({key: data[key] for key in ZONE_KEYS}, "", ZONE_KEYS)
    medications = medication_list(c, meds, "medications")
    if c.problems:
        # A prescription's steps are the config's [[medication.schedule]] tables.
        raise PrescriptionError([_split(p.replace(".schedule[", ".steps[")) for p in c.problems])
    config = Config(medications=tuple(medications), **top)
    written = prescription_of(config)
    difference = _first_difference(data, written, "")
    if difference is not None:
        raise PrescriptionError([difference])
    if canonical(written) != text:
        raise PrescriptionError([("", "not in the spelling reminderd writes (keys sorted, no spaces)")])
    return config


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number reminderd writes")


def _as_table(med: dict[str, Any]) -> dict[str, Any]:
    """A stored medication as the [[medication]] table that would have been written for it."""
    table = {key: med[key] for key in ("name", "dose", "as_needed", "give_up_after", "early_window", "min_gap")}
    if med["times"] or not (med["steps"] or med["as_needed"]):
        table["times"] = med["times"]
    if med["steps"]:
        table["schedule"] = med["steps"]
    table.update({key: med[key] for key in ("until", "max_per_day") if med[key] is not None})
    return table


def _split(problem: str) -> tuple[str, str]:
    path, _, message = problem.partition(": ")
    return path, message


def _first_difference(given: Any, written: Any, path: str) -> tuple[str, str] | None:
    """Where a prescription that parses differs from the one spelling reminderd writes of
    it (times out of order, "90m" for "1h30m"), or None."""
    if isinstance(given, dict) and isinstance(written, dict) and set(given) == set(written):
        for key in sorted(written):
            found = _first_difference(given[key], written[key], f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(given, list) and isinstance(written, list) and len(given) == len(written) \
            and any(isinstance(w, dict) for w in written):  # medications or steps: look inside each
        for i, (g, w) in enumerate(zip(given, written)):
            found = _first_difference(g, w, f"{path}[{i}]")
            if found:
                return found
        return None
    if given == written and type(given) is type(written):
        return None
    return path, f"{show(given)} is not valid; expected {show(written)}, as reminderd writes it"


class Prescription(NamedTuple):
    in_force_from: datetime  # aware
    config: Config


class History:
    """The prescriptions recorded in the log, oldest first; never empty."""

    def __init__(self, records: Sequence[Prescription]) -> None:
        if not records:
            raise ValueError("a prescription history needs at least one prescription")
        self.records = tuple(records)
        self._starts = [r.in_force_from for r in self.records]
        # The local date each later prescription came into force on: those days are mixed.
        self._change_days = [r.in_force_from.astimezone(r.config.timezone).date() for r in self.records[1:]]

    @classmethod
    def of(cls, rows: Iterable[tuple[datetime, str]], current: Config) -> History:
        """From the log's (instant, canonical text) rows; a log with none yet is judged by
        `current`, as if it had always been in force."""
        records = [Prescription(at, config_of(text)) for at, text in rows]
        return cls(records or [Prescription(datetime.min.replace(tzinfo=UTC), current)])

    def at(self, instant: datetime) -> Config:
        """The prescription in force at an instant (before the first record: the first)."""
        return self.records[max(bisect_right(self._starts, instant) - 1, 0)].config

    def indexes_at(self, instants: Iterable[datetime]) -> list[int]:
        """The index of the record in force at each instant: `at` for many instants, in one
        sweep when they come in time order (as the log's rows do)."""
        if len(self.records) == 1:
            return [0 for _ in instants]
        out, k, last = [], 0, None
        for instant in instants:
            if last is not None and instant < last:
                k = 0  # out of order: start the sweep again
            while k + 1 < len(self._starts) and self._starts[k + 1] <= instant:
                k += 1
            out.append(k)
            last = instant
        return out

    def between(self, start: datetime, end: datetime) -> list[Config]:
        """Every prescription in force at some instant of [start, end)."""
        first = max(bisect_right(self._starts, start) - 1, 0)
        last = max(bisect_right(self._starts, end - timedelta(microseconds=1)) - 1, 0)
        return [r.config for r in self.records[first:last + 1]]

    def on(self, day: date) -> Config:
        """The prescription in force on local day `day` as it began (before the first
        record: the first): the zone its midnight, bedtime and check-in are read in."""
        k = max(bisect_right(self._change_days, day - timedelta(days=1)), 0)
        return self.records[k].config

    def plan(self, start: datetime, end: datetime) -> list[Slot]:
        """The one plan: every slot due in [start, end), each as prescribed at its own time,
        by due time. `status`, the answers, the phone page, the daemon and the report all
        ask this, so a dose one of them shows is a dose every other can see.

        A local day is planned by the prescription in force as it began (before the first
        record: the first). A prescription recorded during the day takes over from its
        instant, as `changed_during` says; each slot carries the medication as the
        prescription that planned it has it (`Slot.prescribed`)."""
        lo, hi = start - PLAN_MARGIN, end + PLAN_MARGIN
        days: dict[date, tuple[str, list[Slot]]] = {}  # local date -> (its zone, its slots)
        for i in range(max(bisect_right(self._starts, lo) - 1, 0), len(self.records)):
            config = self.records[i].config
            since = self._starts[i] if i else None  # the first is taken to have been in force before it
            if since is not None and since >= hi:
                break
            until = self._starts[i + 1] if i + 1 < len(self.records) else hi
            zone = config.timezone.key
            # The day it came into force on is planned whole by the one before, so that a
            # change during it can tell which of its doses were already due; with a new zone,
            # from the earlier of that day's date in either zone (moving east at 19:00 UTC,
            # London's day goes on after Tokyo's next one has begun).
            begins = lo if since is None else max(since, lo)
            first = begins.astimezone(config.timezone).date()
            if since is not None:
                first = min(first, begins.astimezone(self.records[i - 1].config.timezone).date())
            for day in local_days(local_instant(first, time(12), config.timezone), min(until, hi), config.timezone):
                slots = slots_on(config, day)
                if since is not None and day in days:
                    slots = changed_during(days[day][1], slots, since, same_zone=days[day][0] == zone)
                elif since is not None:
                    slots = [s for s in slots if s.due >= since]
                days[day] = (zone, slots)
        return sorted((s for _, slots in days.values() for s in slots if start <= s.due < end), key=by_due)


# A local day's slots can fall a day from its UTC date, and a change of zone can move a
# date by up to 26 hours (Kiribati to Baker Island): the plan looks this far either side.
PLAN_MARGIN = timedelta(days=3)


def changed_during(day: list[Slot], new: list[Slot], at: datetime, same_zone: bool) -> list[Slot]:
    """A local day's slots when a prescription recorded at `at` takes over during it.

    `day` is the day's plan as it stood, `new` the new prescription's slots of that day.
    The slots already due at `at` stay as they were, with the rules they fell due under.
    In the same zone, the new prescription then gives each medication's doses counted in
    order: the day's n-th dose keeps its old time if that was already due, and otherwise
    takes the new n-th time, even one already past (22:00 moved to 21:00 at 21:30 is that
    night's dose, due at 21:00). A dose the change adds beyond the day's count is due only
    from `at` on (a medication added at 08:30 has no 08:00 dose that day); one it removes
    is dropped unless already due. So a slot moved later after its dose was due (14:00 to
    15:00 at 14:30) is not due a second time that day.

    A change of zone has no such count (the day is longer or shorter): the new zone's
    slots are due from `at` on. Either way a day has each (medication, slot) once: a new
    slot with the name of one already due that day is that dose.
    """
    kept = [s for s in day if s.due < at]
    if same_zone:
        taking_over = []
        for name in dict.fromkeys(s.medication for s in new):
            was = [s for s in day if s.medication == name]
            already_due = sum(s.due < at for s in was)
            taking_over += [s for n, s in enumerate(x for x in new if x.medication == name)
                            if n >= already_due and (n < len(was) or s.due >= at)]
    else:
        taking_over = [s for s in new if s.due >= at]
    have = {(s.medication, s.slot) for s in kept}
    return sorted(kept + [s for s in taking_over if (s.medication, s.slot) not in have], key=by_due)


def unrecorded(planned: Iterable[Slot], recorded: Iterable[tuple[str, date, str]]) -> list[Slot]:
    """The planned slots with no row among `recorded` (medication, local date, slot). With
    the rows themselves, they are every dose of a period: a row the plan has no slot for
    (an answered dose of a slot that moved since) stays a dose, never hidden."""
    have = set(recorded)
    return [s for s in planned if (s.medication, s.local_date, s.slot) not in have]


def no_row_yet(slot: Slot) -> Dose:
    """A planned slot with no row yet as a dose (id 0): not seen by a running daemon, nor
    answered."""
    return Dose(id=0, medication=slot.medication, local_date=slot.local_date, slot=slot.slot, dose=slot.dose,
                due=slot.due)


def what_is_prescribed(med: Medication) -> str:
    """What was prescribed, in a line: the dose and its times (or titration steps, or as
    needed), and until when."""
    if med.as_needed:
        most = f", at most {med.max_per_day} a day" if med.max_per_day else ""
        text = f"{med.dose} as needed{most}"
    elif med.steps:
        text = "; ".join(f"from {s.start}: {s.dose} at {', '.join(format_slot(t) for t in s.times)}"
                         for s in med.steps)
    else:
        text = f"{med.dose} at {', '.join(format_slot(t) for t in med.times)}"
    return text + (f"; until {med.until}" if med.until else "")


def describe(config: Config) -> list[tuple[str, str]]:
    """(medication, what was prescribed) lines for `reminderd log --prescriptions`."""
    return [(med.name, f"{what_is_prescribed(med)}; missed after {format_duration(med.give_up_after)}, early window "
                       f"{format_duration(med.early_window)}, at least {format_duration(med.min_gap)} apart")
            for med in config.medications]
