"""Durations as text: every spelling of a timedelta the program shows, in one place."""

from __future__ import annotations

from datetime import timedelta


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
