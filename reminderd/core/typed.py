"""What a person types on the command line (a time, a date, a number of tablets), read
as they meant it, range-checked, with `now` and the zone always given.

- A bare "HH:MM" is the last time the clock showed it: at 01:05, "22:00" is last night.
- "YYYY-MM-DD HH:MM" is that wall time on that date (seconds may follow: "HH:MM:SS");
  `edit` passes its --date as the day for a bare "HH:MM".
- A wall time that happened twice (the autumn hour) needs its UTC offset ("01:30+01:00");
  a wall time that never happened (the spring gap) is refused with the shift explained.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from reminderd.core.clock import UTC
from reminderd.core.durations import parse_duration, whole_hours_or_minutes
from reminderd.errors import BadValue, UsageError

WHEN_HELP = 'a time "HH:MM" (the last time the clock showed it) or a date and time "YYYY-MM-DD HH:MM"'
# A log of doses begins in this century; anything outside is a typing slip, and dates near
# year 1 or 9999 overflow once a day or a zone offset is added.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)
DAY_HELP = f"a date YYYY-MM-DD from {FIRST_DAY} to {LAST_DAY}"
MAX_TABLETS = 100_000.0
# "take --at 08:05" typed at 08:04:30 means now, not yesterday (the same slack as doses.check_not_future).
SLACK = timedelta(minutes=1)

# Compiled (and cached by `re`) the first time a time is typed, not by every command at start.
_WHEN = (r"(?:(?P<day>\d{4}-\d{2}-\d{2})[ T])?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
         r"(?P<offset>Z|[+-]\d{2}:\d{2})?")


class TypedTime(NamedTuple):
    instant: datetime  # aware, UTC
    note: str | None = None  # said back to the person: which day or which offset was used


def parse_day(text: str, name: str) -> date:
    """A date typed as YYYY-MM-DD, inside FIRST_DAY..LAST_DAY."""
    try:
        day = date.fromisoformat(text.strip())
        if len(text.strip()) != 10:
            raise ValueError
    except ValueError:
        raise UsageError(f"{name} {text!r} is not valid; expected a date YYYY-MM-DD") from None
    check_day(day, name, text)
    return day


def parse_length(text: str, name: str) -> timedelta:
    """A length of time typed as the config writes it: "90s", "15m", "1h30m"."""
    try:
        return parse_duration(text)
    except BadValue as bad:
        raise UsageError(f"{name} {text!r} is not valid; expected {bad.expected}") from None


def check_day(day: date, name: str, text: str | None = None) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(f"{name} {text or day.isoformat()!r} is out of range; expected {DAY_HELP}")


def parse_tablets(text: str | float, name: str = "TABLETS") -> float:
    """A positive, finite number of tablets (no inf, nan or astronomic counts)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not 0 < value <= MAX_TABLETS:
        shown = text if isinstance(text, str) else f"{text:g}"
        raise UsageError(f"{name} {shown!r} is not valid; expected a number of tablets more than 0 "
                         f"and at most {MAX_TABLETS:g}")
    return value


def parse_when(text: str, now: datetime, tz: ZoneInfo, name: str = "--at", day: date | None = None) -> TypedTime:
    """The instant a person meant by `text`. `day` is the date a bare "HH:MM" is on
    (edit's --date); without it, the last day on which the clock showed that time."""
    typed = text.strip()
    m = re.fullmatch(_WHEN, typed)
    if not m:
        raise UsageError(f"{name} {text!r} is not valid; expected {WHEN_HELP}")
    hour, minute, second = int(m["hour"]), int(m["minute"]), int(m["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise UsageError(f"{name} {text!r} is not valid; expected {WHEN_HELP}")
    wall = time(hour, minute, second)  # seconds, when given, for restore --at between two answers
    offset = _offset(m["offset"], name, text)
    if m["day"]:
        try:
            day = date.fromisoformat(m["day"])
        except ValueError:
            raise UsageError(f"{name} {text!r} is not valid; expected {WHEN_HELP}") from None
    if day is not None:
        check_day(day, name, text)
        return _on_day(day, wall, offset, tz, name, text, None)
    today = now.astimezone(tz).date()
    check_day(today, "today")
    for candidate in (today, today - timedelta(days=1)):
        instants = _occurrences(candidate, wall, tz)
        if candidate == today and not instants and _jump(candidate, wall, tz) <= now:
            break  # tonight's gap is past: the person means it, and it never happened
        if offset is not None:
            instants = [i for i in instants if i.astimezone(tz).utcoffset() == offset]
        if not instants or min(instants) > now + SLACK:
            continue
        note = None if candidate == today else f"{typed} read as {candidate} {wall:%H:%M}, the last time the clock showed it"
        return _on_day(candidate, wall, offset, tz, name, text, note)
    # Neither today nor yesterday had it in the past: a gap or an offset the zone never used.
    return _on_day(today, wall, offset, tz, name, text, None)


def _offset(text: str | None, name: str, typed: str) -> timedelta | None:
    if text is None:
        return None
    if text == "Z":
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise UsageError(f"{name} {typed!r} is not valid; expected a UTC offset like +01:00")
    return sign * timedelta(hours=hours, minutes=minutes)


def _occurrences(day: date, wall: time, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the clock in `tz` showed `wall` on `day`: none (the
    spring gap), one, or two (the autumn hour), earliest first."""
    found = set()
    for fold in (0, 1):
        local = datetime.combine(day, wall, tzinfo=tz).replace(fold=fold)
        instant = local.astimezone(UTC)
        back = instant.astimezone(tz)
        if (back.date(), back.time()) == (day, wall):
            found.add(instant)
    return sorted(found)


def _on_day(day: date, wall: time, offset: timedelta | None, tz: ZoneInfo, name: str, typed: str,
            note: str | None) -> TypedTime:
    instants = _occurrences(day, wall, tz)
    shown = f"{day} {wall:%H:%M}"
    if not instants:
        raise UsageError(_gap_message(day, wall, tz, name, typed))
    if offset is not None:
        chosen = [i for i in instants if i.astimezone(tz).utcoffset() == offset]
        if not chosen:
            used = " or ".join(_show_offset(i.astimezone(tz).utcoffset()) for i in instants)
            raise UsageError(f"{name} {typed!r}: {tz.key} was not at {_show_offset(offset)} at {shown}; "
                             f"expected {used}")
        instant = chosen[0]
        if len(instants) == 2:
            which = "first" if instant == instants[0] else "second"
            note = _join(note, f"{shown} read with the offset {_show_offset(offset)} "
                               f"({instant.astimezone(tz).tzname()}, the {which} {wall:%H:%M} that night)")
        return TypedTime(instant, note)
    if len(instants) == 2:
        first, second = (i.astimezone(tz) for i in instants)
        raise UsageError(
            f"{name} {typed!r}: {shown} happened twice in {tz.key} (the clocks went back that night); "
            f"expected it with its UTC offset: \"{wall:%H:%M}{_show_offset(first.utcoffset())}\" for the first "
            f"({first.tzname()}) or \"{wall:%H:%M}{_show_offset(second.utcoffset())}\" for the second ({second.tzname()})")
    return TypedTime(instants[0], note)


def _jump(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The instant the clocks jumped over a `wall` time that did not exist on `day`."""
    jump = datetime.combine(day, wall, tzinfo=tz).replace(fold=0).astimezone(UTC)
    later = jump.astimezone(tz).utcoffset()
    while (jump - timedelta(minutes=1)).astimezone(tz).utcoffset() == later:
        jump -= timedelta(minutes=1)
    return jump


def _gap_message(day: date, wall: time, tz: ZoneInfo, name: str, typed: str) -> str:
    """Say where the spring gap lies: read with the offset before it, the wall time lands
    past the jump; walk back by minutes to the jump itself."""
    jump = _jump(day, wall, tz)
    old = (jump - timedelta(minutes=1)).astimezone(tz)
    start = (jump.replace(tzinfo=None) + old.utcoffset()).time()
    end = jump.astimezone(tz)
    return (f"{name} {typed!r}: {day} {wall:%H:%M} never happened in {tz.key}; the clocks went forward "
            f"{whole_hours_or_minutes(end.utcoffset() - old.utcoffset())} that night, from {start:%H:%M} {old.tzname()} straight to "
            f"{end:%H:%M} {end.tzname()}; expected a time before {start:%H:%M} or from {end:%H:%M}")


def _name(local: datetime) -> str:
    return local.tzname() or _show_offset(local.utcoffset())


def _show_offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _join(first: str | None, second: str) -> str:
    return second if first is None else f"{first}; {second}"


def as_typed(name: str) -> str:
    """A medication's name as a command suggested to him must spell it: quoted when it
    holds a space ("reminderd take 'vitamin D'"), as it is otherwise."""
    import shlex  # only where a command is suggested, not by every command at start

    return shlex.quote(name)
