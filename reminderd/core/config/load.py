"""The config's text into a Config, or one ConfigError naming every problem. The file and
the files it names are read at the edge (`reminderd.config_file`)."""

from __future__ import annotations

import sys
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reminderd.core.config import links
from reminderd.core.config.collect import Collector
from reminderd.core.config.medication import medication_list
from reminderd.core.config.settings import CheckinSettings, Config, NotificationSettings
from reminderd.core.config.tables import CHECKIN_KEYS, NOTIFICATION_KEYS, TABLES, TOP_KEYS
from reminderd.core.config.values import format_slot
from reminderd.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib


def parse_config(text: str, source: str, system_zone: Callable[[], str]) -> Config:
    """Parse config text. `system_zone` is asked only when the file names no time zone."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"TOML syntax error: {err}"], source) from None

    c = Collector()
    top = c.fields({k: v for k, v in data.items() if k not in TABLES}, "", TOP_KEYS)
    checkin_fields = c.fields(data.get("checkin", {}), "checkin", CHECKIN_KEYS)
    checkin = CheckinSettings(**checkin_fields)
    notifications = NotificationSettings(
        **c.fields(data.get("notifications", {}), "notifications", NOTIFICATION_KEYS)
    )
    remote = links.remote(c, data["remote"]) if "remote" in data else None
    if checkin.until <= checkin.time:
        c.bad("checkin.until", format_slot(checkin.until), f"a time after checkin.time ({format_slot(checkin.time)})")
    elif checkin.bedtime <= checkin.until:
        c.bad("checkin.bedtime", format_slot(checkin.bedtime),
              f"an evening time after checkin.until ({format_slot(checkin.until)}), on the same day")

    medications = medication_list(c, data.get("medication"), "medication")
    if "bedtime" in checkin_fields and checkin.until < checkin.bedtime:
        # A slot at or after bedtime would be due after the night began, so its dose could
        # never label the night it is taken before; only checked when bedtime is written,
        # so files written before it existed keep loading.
        after = sorted({(t, m.name) for m in medications for step_times in
                        (m.times, *(s.times for s in m.steps)) for t in step_times if t >= checkin.bedtime})
        if after:
            t, name = after[-1]
            c.bad("checkin.bedtime", format_slot(checkin.bedtime),
                  f"a time after every slot ({name} is due at {format_slot(t)}), so the evening's "
                  "doses are due before the night begins")

    push, contacts = links.push(c, data.get("push")), links.contacts(c, data.get("contact"))
    raters = links.raters(c, data.get("rater"))
    replica = links.replica(c, data.get("replica"))
    if "timezone" not in top and "timezone" not in data:
        top["zone_from_system"] = True
        top["timezone"] = machine_zone(system_zone())
    if c.problems:
        raise ConfigError(c.problems, source)
    return Config(medications=tuple(medications), checkin=checkin,
                  notifications=notifications, source=source, remote=remote, push=push, contacts=contacts,
                  raters=raters, replica=replica, **top)


def machine_zone(name: str) -> ZoneInfo:
    """The zone the machine names, for a config that names none (at start, and when the
    running daemon hears it change): UTC where the name is no zone known here."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")
