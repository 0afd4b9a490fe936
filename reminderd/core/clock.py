"""Instants: UTC, the one zone the log and the core keep them in, and how one reads on the
local clock (the local zone comes from the config)."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

UTC = timezone.utc


def local_hm(instant: datetime | None, tz: tzinfo) -> str:
    """The instant as "HH:MM" on the local clock; "" for no instant."""
    return "" if instant is None else instant.astimezone(tz).strftime("%H:%M")
