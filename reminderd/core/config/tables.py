"""The schema as data: for each TOML table, its keys, each with its parser and whether it
is required. Defaults live on the dataclasses in `settings`, so there is one place for them."""

from __future__ import annotations

from typing import Any, Callable

from reminderd.core.config import values as v

Parser = Callable[[Any], Any]

TOP_KEYS: dict[str, tuple[Parser, bool]] = {
    "timezone": (v.parse_zone, False),
    "on_time_window": (v.parse_duration, False),
    "near_next_dose": (v.parse_duration, False),
    "missed_dose_advice": (v.parse_text, False),
    "group_within": (v.parse_group_window, False),
}
TABLES = ("medication", "checkin", "notifications", "remote", "push", "contact", "rater", "replica")
MEDICATION_KEYS: dict[str, tuple[Parser, bool]] = {
    "name": (v.parse_name, True),
    # dose and times are required unless schedule steps or as_needed say otherwise
    "dose": (v.parse_text, False),
    "times": (None, False),  # type: ignore[dict-item]  # a list: checked item by item below
    "schedule": (None, False),  # type: ignore[dict-item]  # [[medication.schedule]] steps
    "until": (v.parse_date, False),
    "as_needed": (v.parse_bool, False),
    "max_per_day": (v.parse_positive_int, False),
    "remind_every": (v.parse_duration, False),
    "give_up_after": (v.parse_duration, False),
    "min_gap": (v.parse_duration, False),
    "snooze": (v.parse_duration, False),
    "early_window": (v.parse_duration, False),
    "instructions": (v.parse_free_text, False),
    "supply": (v.parse_supply, False),
    "per_dose": (v.parse_per_dose, False),
    "refill_warn_days": (v.parse_positive_int, False),
}
STEP_KEYS: dict[str, tuple[Parser, bool]] = {
    "from": (v.parse_date, True),
    "times": (None, True),  # type: ignore[dict-item]
    "dose": (v.parse_text, False),
}
CHECKIN_KEYS: dict[str, tuple[Parser, bool]] = {
    "time": (v.parse_time, False),
    "remind_every": (v.parse_duration, False),
    "until": (v.parse_time, False),
    "bedtime": (v.parse_time, False),
    "night_window": (v.parse_duration, False),
}
NOTIFICATION_KEYS: dict[str, tuple[Parser, bool]] = {
    "backend": (v.parse_backend, False),
    "private": (v.parse_bool, False),
}
PUSH_KEYS: dict[str, tuple[Parser, bool]] = {
    "url": (v.parse_url, False),
    "url_file": (v.parse_path, False),
    "after_reminders": (v.parse_after_reminders, False),
    "timeout": (v.parse_send_timeout, False),
}
CONTACT_KEYS: dict[str, tuple[Parser, bool]] = {
    "name": (v.parse_text, True),
    "url": (v.parse_url, False),
    "url_file": (v.parse_path, False),
    "alerts": (v.parse_alerts, True),
    "summary_time": (v.parse_time, False),
    "timeout": (v.parse_send_timeout, False),
}
RATER_KEYS: dict[str, tuple[Parser, bool]] = {
    "name": (v.parse_rater_name, True),
    "time": (v.parse_time, False),
    "until": (v.parse_time, False),
    "url": (v.parse_url, False),
    "url_file": (v.parse_path, False),
    "timeout": (v.parse_send_timeout, False),
}
REMOTE_KEYS: dict[str, tuple[Parser, bool]] = {
    "listen": (v.parse_listen, True),
    "certificate": (v.parse_pem_path, False),
    "key": (v.parse_pem_path, False),
    "url": (v.parse_page_url, False),
}
REPLICA_KEYS: dict[str, tuple[Parser, bool]] = {
    "url": (v.parse_replica_url, False),
    "url_file": (v.parse_path, False),
    "key_file": (v.parse_path, False),
    "host_key": (v.parse_host_key, False),
    "sync_interval": (v.parse_sync_interval, False),
}
