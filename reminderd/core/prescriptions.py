"""The prescription history: what was prescribed, and from when (pure core).

A *prescription* is the part of the config that says which doses are due and how they
are judged: each medication's slots and titration steps, dose, `until`, as-needed
settings and the windows (`give_up_after`, `early_window`, `min_gap`), the on-time window
and the zone. It is kept in the log as canonical JSON (one spelling per prescription, so
"did it change?" is a string comparison) with the instant it came into force.

The past is judged by the prescription of its time: a slot is expected on a day when the
prescription in force at its due instant has it. So a medication added at 15:00 has no
due dose at 08:00 that day, and a slot moved from 22:00 to 21:00 leaves yesterday's
22:00 as it was. Before the first record, the first one is taken to have been in force.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from functools import lru_cache
from datetime import date, datetime, timedelta
from typing import Any, Iterable, NamedTuple, Sequence

from reminderd.core.clock import UTC
from reminderd.core.config.collect import Collector, show
from reminderd.core.config.medication import medication_list
from reminderd.core.config.settings import Config, Medication
from reminderd.core.config.tables import TOP_KEYS
from reminderd.core.config.values import format_slot
from reminderd.core.durations import format_duration
from reminderd.core.schedule import Slot, slots_on


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
MEDICATION_KEYS = ("name", "dose", "times", "steps", "until", "as_needed", "max_per_day", "give_up_after",
                   "early_window", "min_gap")
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
        self._change_day_set = set(self._change_days)

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
        record: the first). A day on which it changed is judged slot by slot: `slots_on`."""
        k = max(bisect_right(self._change_days, day - timedelta(days=1)), 0)
        return self.records[k].config

    def whole_day(self, day: date) -> Config | None:
        """The prescription in force for all of `day`, or None when it changed that day."""
        return None if day in self._change_day_set else self.on(day)

    def slots_on(self, day: date) -> list[Slot]:
        """The slots expected on a local day, each by the prescription in force at its due
        instant."""
        whole = self.whole_day(day)
        if whole is not None:
            return slots_on(whole, day)
        slots: list[Slot] = []
        for i, record in enumerate(self.records):
            start = record.in_force_from if i else None
            end = self.records[i + 1].in_force_from if i + 1 < len(self.records) else None
            slots += [s for s in slots_on(record.config, day)
                      if (start is None or s.due >= start) and (end is None or s.due < end)]
        return sorted(slots)


def describe(config: Config) -> list[tuple[str, str]]:
    """(medication, what was prescribed) lines for `reminderd log --prescriptions`."""
    lines = []
    for med in config.medications:
        windows = (f"missed after {format_duration(med.give_up_after)}, early window "
                   f"{format_duration(med.early_window)}, at least {format_duration(med.min_gap)} apart")
        if med.as_needed:
            most = f", at most {med.max_per_day} a day" if med.max_per_day else ""
            plan = f"{med.dose} as needed{most}"
        elif med.steps:
            plan = "; ".join(f"from {s.start}: {s.dose} at {', '.join(format_slot(t) for t in s.times)}"
                             for s in med.steps)
        else:
            plan = f"{med.dose} at {', '.join(format_slot(t) for t in med.times)}"
        until = f"; until {med.until}" if med.until else ""
        lines.append((med.name, f"{plan}{until}; {windows}"))
    return lines
