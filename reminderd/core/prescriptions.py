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
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from reminderd.core.clock import UTC
from reminderd.core.config.settings import Config, Medication, Step
from reminderd.core.config.values import format_slot, parse_duration, parse_time
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


# Pure and its result frozen, so each stored text is parsed once per process: one command
# builds the history several times (a take: the rules then, the slots around it, the next
# dose), and the daemon at every refresh.
@lru_cache(maxsize=256)
def config_of(text: str) -> Config:
    """A stored prescription back as a Config that the schedule can expand. Raises
    ValueError (with what is wrong) for text that is not a prescription this module wrote."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
        if not isinstance(data, dict) or set(data) != {"timezone", "on_time_window", "medications"}:
            raise ValueError("expected the keys timezone, on_time_window and medications")
        meds = tuple(_medication_from(m) for m in data["medications"])
        config = Config(timezone=ZoneInfo(data["timezone"]), medications=meds,
                        on_time_window=parse_duration(data["on_time_window"]))
    except ValueError:
        raise
    except Exception as err:  # any other shape problem (BadValue, KeyError, TypeError, zone not found)
        raise ValueError(f"not a prescription ({type(err).__name__}: {err})") from None
    if canonical_of(config) != text:
        raise ValueError("not in the canonical form reminderd writes")
    return config


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number reminderd writes")


def _medication_from(m: dict[str, Any]) -> Medication:
    steps = tuple(Step(date.fromisoformat(s["from"]), tuple(parse_time(t) for t in s["times"]), s["dose"])
                  for s in m["steps"])
    return Medication(
        name=m["name"], dose=m["dose"], times=tuple(parse_time(t) for t in m["times"]), steps=steps,
        until=date.fromisoformat(m["until"]) if m["until"] else None, as_needed=m["as_needed"],
        max_per_day=m["max_per_day"], give_up_after=parse_duration(m["give_up_after"]),
        early_window=parse_duration(m["early_window"]), min_gap=parse_duration(m["min_gap"]),
    )


@dataclass(frozen=True)
class Prescription:
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


def plan(med: Medication) -> str:
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
    return [(med.name, f"{plan(med)}; missed after {format_duration(med.give_up_after)}, early window "
                       f"{format_duration(med.early_window)}, at least {format_duration(med.min_gap)} apart")
            for med in config.medications]
