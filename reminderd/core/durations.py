"""Durations as text: every spelling of a timedelta the program reads or shows, in one place."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from reminderd.errors import BadValue

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_DURATION_EXPECTED = 'a duration like "90s", "15m", "3h" or "1h30m", longer than zero'
# Every duration is added to a due time; a week is more than any reminder rule needs, and
# far from overflowing a date.
MAX_DURATION = timedelta(days=7)


def parse_duration(value: Any) -> timedelta:
    """ "1h30m" -> timedelta(hours=1, minutes=30). Zero and negative are refused."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match or not any(match.groups()):
        raise BadValue(_DURATION_EXPECTED)
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    try:
        result = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:  # "99999999999999h": a bad value, not a crash
        raise BadValue(f'a duration of at most 7 days ("{format_duration(MAX_DURATION)}")') from None
    if result <= timedelta(0):
        raise BadValue(_DURATION_EXPECTED)
    if result > MAX_DURATION:
        raise BadValue(f'a duration of at most 7 days ("{format_duration(MAX_DURATION)}")')
    return result


def format_duration(delta: timedelta) -> str:
    """timedelta(hours=1, minutes=30) -> "1h30m", the config's own spelling."""
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{seconds}s" if seconds or not text else "")


def hours_and_minutes(delta: timedelta) -> str:
    """90 minutes -> "1 h 30 min", 45 -> "45 min", 120 -> "2 h": how late a dose is, in a reminder."""
    hours, minutes = divmod(int(delta.total_seconds() // 60), 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def minutes_under_two_hours(delta: timedelta) -> str:
    """90 minutes -> "90 min", 150 -> "2 h": a snooze button's label."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def whole_hours_or_minutes(delta: timedelta) -> str:
    """60 minutes -> "1 h", 30 -> "30 min": a clock change's jump."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"
