"""Instants: UTC, the one zone the log and the core keep them in, and how one reads on the
local clock (the local zone comes from the config)."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

UTC = timezone.utc


def local_time(instant: datetime | None, tz: tzinfo, fmt: str = "%H:%M") -> str:
    """The instant on the local clock ("HH:MM" unless `fmt` says otherwise); "" for no instant."""
    return "" if instant is None else instant.astimezone(tz).strftime(fmt)
