"""One config value each: every parser returns the value or raises BadValue(what was expected)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reminderd.core.durations import parse_duration
from reminderd.core.typed import DAY_HELP, FIRST_DAY, LAST_DAY  # one date range for the file and the command line
from reminderd.core.words import ALERTS  # what a [[contact]] is told
from reminderd.errors import BadUrl, BadValue

if TYPE_CHECKING:
    from pathlib import Path

NOTIFICATION_BACKENDS = ("auto", "dbus", "plyer", "log")

_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_TIME_EXPECTED = 'a time "HH:MM" from "00:00" to "23:59"'


def parse_time(value: Any) -> time:
    match = _TIME.match(value) if isinstance(value, str) else None
    if not match:
        raise BadValue(_TIME_EXPECTED)
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise BadValue(_TIME_EXPECTED)
    return time(hour, minute)


def format_slot(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def parse_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadValue("a non-empty string")
    return value.strip()


def parse_free_text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue("a string")
    return value.strip()


def parse_name(value: Any) -> str:
    name = parse_text(value)
    # A name is typed on the command line (`reminderd take gabapentin`), so it must not
    # look like an option.
    if name.startswith("-"):
        raise BadValue("a name that does not start with '-'")
    return name


RATER_NAME_MAX = 40  # also what a paired phone's role holds


def parse_rater_name(value: Any) -> str:
    """A rater's name: typed as `--rater NAME`, shown on her page and in the report."""
    name = parse_name(value)
    if len(name) > RATER_NAME_MAX or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise BadValue(f"a name of at most {RATER_NAME_MAX} characters, without control characters")
    return name


def parse_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue("true or false")
    return value


def parse_backend(value: Any) -> str:
    if value not in NOTIFICATION_BACKENDS:
        raise BadValue("one of " + ", ".join(f'"{b}"' for b in NOTIFICATION_BACKENDS))
    return value


def parse_zone(value: Any) -> ZoneInfo:
    try:
        if not isinstance(value, str) or not value:
            raise ValueError
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: with the tzdata package, a folder name such as "Europe" is opened as
        # a file and raises IsADirectoryError rather than ZoneInfoNotFoundError.
        raise BadValue('an IANA time zone name such as "Europe/London"') from None


def parse_date(value: Any) -> date:
    # TOML has date literals (from = 2026-11-01); a quoted "2026-11-01" is accepted too.
    day = None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise BadValue(DAY_HELP)
    return day


def parse_positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise BadValue("a whole number from 1 to 1000")
    return value


def _number(value: Any) -> float | None:
    """A finite TOML number (TOML allows inf and nan, which no count can be)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def parse_supply(value: Any) -> float:
    number = _number(value)
    if number is None or not 0 <= number <= 100_000:
        raise BadValue("a number of tablets from 0 to 100000")
    return number


def parse_per_dose(value: Any) -> float:
    number = _number(value)
    if number is None or not 0.01 <= number <= 100:
        raise BadValue("a number of tablets per dose from 0.01 to 100 (e.g. 1 or 0.5)")
    return number


def parse_url(value: Any) -> str:
    from reminderd.core.urls import check_url  # its pattern compiled only where a URL is written

    try:
        return check_url(value)
    except BadUrl as bad:
        raise BadValue(str(bad)) from None


def parse_path(value: Any, expected: str = "a file path") -> Path:
    """A path as written; `~` and a relative path are resolved, and the file read, where
    the config is read from disk (reminderd.config_file)."""
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise BadValue(expected)
    from pathlib import Path  # only where the config names a file: the quick commands need no pathlib

    return Path(value.strip())


def parse_alerts(value: Any) -> tuple[str, ...]:
    expected = "a non-empty list of " + ", ".join(f'"{a}"' for a in ALERTS) + ", each once"
    if not isinstance(value, list) or not value or any(v not in ALERTS for v in value) or len(set(value)) < len(value):
        raise BadValue(expected)
    return tuple(value)


def parse_after_reminders(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise BadValue("a whole number of reminders from 1 to 100")
    return value


def _duration_within(value: Any, least: timedelta, most: timedelta, expected: str) -> timedelta:
    """A duration from `least` to `most`; anything else is refused as `expected`."""
    try:
        result = parse_duration(value)
    except BadValue:
        raise BadValue(expected) from None
    if not least <= result <= most:
        raise BadValue(expected)
    return result


def parse_send_timeout(value: Any) -> timedelta:
    """[push] and [[contact]] timeout: how long a server may take to answer a message."""
    return _duration_within(value, timedelta(seconds=1), timedelta(minutes=10),
                            'a duration from "1s" to "10m", like "60s"')


GROUP_WITHIN_MAX = timedelta(hours=1)


def parse_group_window(value: Any) -> timedelta:
    """group_within: "0s" groups only doses due at the same instant; at most an hour."""
    if value in ("0s", "0m", "0h"):
        return timedelta(0)
    return _duration_within(value, timedelta(0), GROUP_WITHIN_MAX, 'a duration from "0s" to "1h", like "5m"')


def parse_listen(value: Any) -> tuple[str, int]:
    # "host:port"; an IPv6 address in brackets, "[::1]:8765", as in a URL.
    expected = 'an address and port "host:port", e.g. "127.0.0.1:8765", "0.0.0.0:8765" or "[::1]:8765"'
    if not isinstance(value, str):
        raise BadValue(expected)
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([A-Za-z0-9.-]{1,253}):(\d{1,5})", value.strip())
    if not m:
        raise BadValue(expected)
    host, port = (m[1], int(m[2])) if m[1] else (m[3], int(m[4]))
    if not 1 <= port <= 65535:
        raise BadValue(expected + " with a port from 1 to 65535")
    return host, port


def parse_pem_path(value: Any) -> Path:
    return parse_path(value, "the path of a PEM file")


def parse_page_url(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[A-Za-z0-9.:\[\]-]+(:\d{1,5})?/?", value.strip()):
        raise BadValue('the address the phone opens, e.g. "https://desktop.tailnet.ts.net:8765"')
    return value.strip().rstrip("/") + "/"


REPLICA_URL_EXPECTED = ('a replica URL: "file:///media/backup/reminderd" (a folder, e.g. on another disk) or '
                        '"sftp://user@host/path/to/folder" (an SSH server)')


def check_replica_url(url: object) -> str:
    """The places Litestream replicates to that reminderd sets up and tests: a folder
    (file://, an absolute path) and an SFTP server (sftp://user@host[:port]/path).
    Raises BadUrl, whose message never holds the URL (it may hold a password)."""
    from urllib.parse import urlsplit

    if not isinstance(url, str) or not url.strip() or len(url) > 4096 or any(c.isspace() for c in url.strip()):
        raise BadUrl(REPLICA_URL_EXPECTED)
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number from 0 to 65535
        raise BadUrl(REPLICA_URL_EXPECTED) from None
    scheme = parts.scheme.lower()
    if parts.query or parts.fragment or not parts.path.startswith("/") or parts.path.rstrip("/") == "":
        raise BadUrl(REPLICA_URL_EXPECTED)
    if scheme == "file" and not parts.netloc:
        return url
    if scheme == "sftp" and parts.username and parts.hostname and port != 0:
        return url
    raise BadUrl(REPLICA_URL_EXPECTED)


def parse_replica_url(value: Any) -> str:
    try:
        return check_replica_url(value)
    except BadUrl as bad:
        raise BadValue(str(bad)) from None


_HOST_KEY = re.compile(r"^(ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|ssh-rsa) ([A-Za-z0-9+/]+={0,2})(?: .*)?$")


def parse_host_key(value: Any) -> str:
    """An SSH server's public key as ssh-keyscan or known_hosts shows it ("TYPE KEY"),
    without the host name; a comment after the key is dropped."""
    match = _HOST_KEY.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise BadValue('the server\'s public key as "ssh-keyscan HOST" shows it, without the host: '
                       '"ssh-ed25519 AAAA…" (or ecdsa-sha2-nistp256, ssh-rsa)')
    return f"{match[1]} {match[2]}"


SYNC_INTERVAL_MAX = timedelta(hours=1)


def parse_sync_interval(value: Any) -> timedelta:
    return _duration_within(value, timedelta(seconds=1), SYNC_INTERVAL_MAX,
                            'a duration from "1s" to "1h", like "1s" or "10s"')
