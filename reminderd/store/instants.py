"""How the log writes an instant: aware UTC text in seconds, so that text order is time order."""

from __future__ import annotations

from datetime import datetime

from reminderd.core.clock import UTC


def iso(instant: datetime | None) -> str | None:
    """An aware instant as the UTC text stored in the log; text order is time order."""
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)
