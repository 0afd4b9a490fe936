"""One [[medication]] table into a Medication: its times or schedule steps, and the rules
across its keys (a dose for every step, a minimum gap that on-time doses keep)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from reminderd.core.config.collect import Collector, show
from reminderd.core.config.settings import Medication, Step
from reminderd.core.config.tables import MEDICATION_KEYS, STEP_KEYS
from reminderd.core.config.values import format_slot, parse_time
from reminderd.core.durations import format_duration
from reminderd.errors import BadValue


def _times(c: Collector, raw: Any, path: str) -> tuple[time, ...]:
    """A list of "HH:MM" slots, each checked; problems are collected, not raised."""
    if not isinstance(raw, list) or not raw:
        c.bad(path, raw, 'a non-empty list of times like ["08:00", "22:00"]')
        return ()
    times: list[time] = []
    for i, value in enumerate(raw):
        try:
            t = parse_time(value)
        except BadValue as bad:
            c.bad(f"{path}[{i}]", value, bad.expected)
            continue
        if t in times:
            c.problems.append(f"{path}[{i}]: {show(value)} is listed twice; expected each time once")
        times.append(t)
    return tuple(sorted(set(times)))


def _steps(c: Collector, raw: Any, path: str, dose: str | None) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        c.bad(path, raw, "[[medication.schedule]] tables, each with from, times and dose")
        return ()
    steps: list[Step] = []
    for i, table in enumerate(raw):
        here = f"{path}[{i}]"
        before = len(c.problems)
        fields = c.fields(table, here, STEP_KEYS)
        times = _times(c, fields.get("times"), f"{here}.times") if "times" in fields else ()
        step_dose = fields.get("dose", dose)
        if step_dose is None and isinstance(table, dict) and "dose" not in table:
            c.problems.append(f"{here}.dose: missing; give a dose here or for the whole medication")
        if steps and "from" in fields and fields["from"] <= steps[-1].start:
            c.bad(f"{here}.from", fields["from"].isoformat(),
                  f"a date after the previous step's from ({steps[-1].start}); steps must not overlap")
        if len(c.problems) == before:
            steps.append(Step(fields["from"], times, step_dose))
    return tuple(steps)


def medication(c: Collector, table: Any, path: str) -> Medication | None:
    before = len(c.problems)
    fields = c.fields(table, path, MEDICATION_KEYS)
    given = table if isinstance(table, dict) else {}
    raw_times, raw_steps = fields.pop("times", None), fields.pop("schedule", None)
    times: tuple[time, ...] = ()
    steps: tuple[Step, ...] = ()
    if isinstance(table, dict) and "dose" not in given and raw_steps is None:
        c.problems.append(f"{path}.dose: missing; this setting is required")
    if fields.get("as_needed"):
        if raw_times is not None or raw_steps is not None:
            c.problems.append(f"{path}.times: an as-needed medication has no times; "
                              "expected no times or schedule with as_needed = true")
    elif raw_steps is not None:
        if raw_times is not None:
            c.problems.append(f"{path}.times: not allowed beside [[medication.schedule]] steps; "
                              "expected the times inside each step")
        steps = _steps(c, raw_steps, f"{path}.schedule", fields.get("dose"))
    elif raw_times is not None:
        times = _times(c, raw_times, f"{path}.times")
    elif isinstance(table, dict):
        c.problems.append(f"{path}.times: missing; this setting is required "
                          "(or [[medication.schedule]] steps, or as_needed = true)")
    if steps and "until" in fields and fields["until"] < steps[-1].start:
        c.bad(f"{path}.until", fields["until"].isoformat(),
              f"a date on or after the last step's from ({steps[-1].start})")
    if fields.get("max_per_day") is not None and not fields.get("as_needed"):
        c.problems.append(f"{path}.max_per_day: only for as-needed medicines; expected as_needed = true beside it")
    if len(c.problems) > before:
        return None
    fields.setdefault("dose", steps[0].dose if steps else "")
    med = Medication(times=times, steps=steps, **fields)
    written = "min_gap" in given
    if steps:
        for i, step in enumerate(steps):
            _check_gaps(c, med, step.times, f"{path}.schedule[{i}]", path, written)
    else:
        _check_gaps(c, med, med.times, path, path, written)
    return med


def medication_list(c: Collector, raw: Any, path: str) -> list[Medication]:
    """The [[medication]] tables (or a stored prescription's medications, `path` naming
    which): at least one, each named once whatever its case."""
    if raw is None or raw == []:  # `medication = []` would remind of nothing
        c.problems.append(f"{path}: missing; expected at least one [[medication]] table")
        return []
    if not isinstance(raw, list):
        c.bad(path, raw, "[[medication]] tables (an array of tables)")
        return []
    medications: list[Medication] = []
    seen: dict[str, int] = {}
    for i, table in enumerate(raw):
        med = medication(c, table, f"{path}[{i}]")
        if med is None:
            continue
        key = med.name.casefold()
        if key in seen:
            c.bad(f"{path}[{i}].name", med.name, f"a name not already used by {path}[{seen[key]}]")
        seen[key] = i
        medications.append(med)
    return medications


def _check_gaps(c: Collector, med: Medication, times: tuple[time, ...], where: str, path: str,
                written: bool) -> None:
    """Taking every dose on time must not break the medication's own minimum gap."""
    minutes = [t.hour * 60 + t.minute for t in times]
    if len(minutes) < 2:
        return
    pairs = list(zip(minutes, minutes[1:] + [minutes[0] + 24 * 60]))
    first, second = min(pairs, key=lambda p: p[1] - p[0])
    spacing = timedelta(minutes=second - first)
    if med.min_gap > spacing:
        slots = [format_slot(time((m // 60) % 24, m % 60)) for m in (first, second)]
        c.bad(
            f"{path}.min_gap",
            format_duration(med.min_gap) + ("" if written else " (the default)"),
            f"at most {format_duration(spacing)}, the time between its slots "
            f"{slots[0]} and {slots[1]}" + (f" in {where}" if where != path else ""),
        )
