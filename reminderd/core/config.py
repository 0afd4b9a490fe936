"""The TOML config, read into frozen dataclasses.

The schema is data (the `*_KEYS` tables below): each setting has a parser that returns
the value or raises `BadValue(expected)`. Every problem in a file is collected and reported
at once, each naming the key path (`medication[0].times[2]`), the value found and what
was expected, so a user fixes the file in one go.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import time as _clock
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reminderd.core.durations import format_duration
from reminderd.errors import BadUrl, BadValue, ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

DEFAULT_ADVICE = (
    "If you forget a dose, take it as soon as you remember. If it is nearly time for your "
    "next dose, skip the missed one and take the next dose at the usual time. Never take "
    "two doses at once to make up for a forgotten one. Your prescriber's instructions "
    "come first."
)
NOTIFICATION_BACKENDS = ("auto", "dbus", "plyer", "log")


@dataclass(frozen=True)
class Step:
    """One step of a prescription that changes over time (titration): from `start` on,
    these times and this dose, until the next step starts."""

    start: date
    times: tuple[time, ...]  # sorted, distinct
    dose: str


@dataclass(frozen=True)
class Medication:
    name: str
    dose: str
    times: tuple[time, ...] = ()  # sorted, distinct; the plain schedule (no steps)
    remind_every: timedelta = timedelta(minutes=15)
    give_up_after: timedelta = timedelta(hours=3)
    min_gap: timedelta = timedelta(hours=4)
    snooze: timedelta = timedelta(minutes=10)
    early_window: timedelta = timedelta(hours=2)
    instructions: str = ""
    # Titration steps; empty means `times` and `dose` every day.
    steps: tuple[Step, ...] = ()
    until: date | None = None  # the last day it is taken
    as_needed: bool = False  # PRN: never reminded, recorded with `reminderd take`
    max_per_day: int | None = None
    supply: float | None = None  # tablets on hand when first configured
    per_dose: float = 1.0
    refill_warn_days: int = 7

    def step_on(self, day: date) -> Step | None:
        """The prescription in force on a local day; None before it starts, after
        `until`, and every day for an as-needed medicine (it has no slots)."""
        if self.as_needed or (self.until is not None and day > self.until):
            return None
        if not self.steps:
            return Step(date.min, self.times, self.dose)
        current = None
        for step in self.steps:
            if step.start <= day:
                current = step
        return current

    @property
    def slots(self) -> tuple[str, ...]:
        """Every slot the medication has on any day, for messages."""
        every = set(self.times).union(*(s.times for s in self.steps))
        return tuple(format_slot(t) for t in sorted(every))


@dataclass(frozen=True)
class CheckinSettings:
    # `time` is the setting's name in the file; the field shadows datetime.time in this
    # class body, hence the _clock alias for the defaults.
    time: _clock = _clock(8, 30)
    remind_every: timedelta = timedelta(minutes=30)
    until: _clock = _clock(12, 0)
    # A night begins at bedtime (on the evening's date) and is judged by the doses due in
    # the 24 h before it (reminderd.core.analysis.nights).
    bedtime: _clock = _clock(23, 0)
    # No longer used (nights are judged from bedtime); still read so old files load.
    # None when the file does not set it.
    night_window: timedelta | None = None


@dataclass(frozen=True)
class NotificationSettings:
    backend: str = "auto"
    private: bool = False


ALERTS = ("missed", "not-running", "summary")


@dataclass(frozen=True)
class PushSettings:
    """[push]: his own phone. `url` is filled from `url_file` by load_config."""

    url: str | None = None
    url_file: Path | None = None
    after_reminders: int = 2


@dataclass(frozen=True)
class Contact:
    """[[contact]]: someone told about missed doses, a stopped daemon, the day."""

    name: str
    alerts: tuple[str, ...]
    url: str | None = None
    url_file: Path | None = None
    summary_time: _clock = _clock(21, 0)


@dataclass(frozen=True)
class RemoteSettings:
    """The opt-in page for the phone (`[remote]`); absent means no socket at all."""

    host: str  # as written: an IP address, a host name, or "0.0.0.0" for every interface
    port: int
    certificate: Path | None = None  # both or neither: HTTPS
    key: Path | None = None
    url: str | None = None  # the address the phone uses, when `listen` does not say it

    @property
    def https(self) -> bool:
        return self.certificate is not None


@dataclass(frozen=True)
class Config:
    timezone: ZoneInfo
    medications: tuple[Medication, ...]
    checkin: CheckinSettings = CheckinSettings()
    notifications: NotificationSettings = NotificationSettings()
    on_time_window: timedelta = timedelta(hours=1)
    near_next_dose: timedelta = timedelta(hours=2)
    missed_dose_advice: str = DEFAULT_ADVICE
    # Doses of different medications due within this of each other share one reminder.
    group_within: timedelta = timedelta(minutes=5)
    source: str = "config"
    # True when the file names no zone and the machine's is used: the daemon then
    # follows a change of the machine's zone.
    zone_from_system: bool = False
    push: PushSettings | None = None
    contacts: tuple[Contact, ...] = ()
    remote: RemoteSettings | None = None

    def medication(self, name: str) -> Medication | None:
        for med in self.medications:
            if med.name.casefold() == name.casefold():
                return med
        return None


# --- value parsers: each returns the value or raises BadValue(what was expected) ---------


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_DURATION_EXPECTED = 'a duration like "90s", "15m", "3h" or "1h30m", longer than zero'
# Every duration is added to a due time; a week is more than any reminder rule needs, and
# far from overflowing a date.
MAX_DURATION = timedelta(days=7)
_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_TIME_EXPECTED = 'a time "HH:MM" from "00:00" to "23:59"'


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


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadValue("a non-empty string")
    return value.strip()


def _free_text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue("a string")
    return value.strip()


def _name(value: Any) -> str:
    name = _text(value)
    # A name is typed on the command line (`reminderd take gabapentin`), so it must not
    # look like an option.
    if name.startswith("-"):
        raise BadValue("a name that does not start with '-'")
    return name


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue("true or false")
    return value


def _backend(value: Any) -> str:
    if value not in NOTIFICATION_BACKENDS:
        raise BadValue("one of " + ", ".join(f'"{b}"' for b in NOTIFICATION_BACKENDS))
    return value


def _zone(value: Any) -> ZoneInfo:
    try:
        if not isinstance(value, str) or not value:
            raise ValueError
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: with the tzdata package, a folder name such as "Europe" is opened as
        # a file and raises IsADirectoryError rather than ZoneInfoNotFoundError.
        raise BadValue('an IANA time zone name such as "Europe/London"') from None


FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)  # as reminderd.core.typed: no overflow near year 1 or 9999


def _date(value: Any) -> date:
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
        raise BadValue(f"a date YYYY-MM-DD from {FIRST_DAY} to {LAST_DAY}")
    return day


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise BadValue("a whole number from 1 to 1000")
    return value


def _number(value: Any) -> float | None:
    """A finite TOML number (TOML allows inf and nan, which no count can be)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _tablets(value: Any) -> float:
    number = _number(value)
    if number is None or not 0 <= number <= 100_000:
        raise BadValue("a number of tablets from 0 to 100000")
    return number


def _per_dose(value: Any) -> float:
    number = _number(value)
    if number is None or not 0.01 <= number <= 100:
        raise BadValue("a number of tablets per dose from 0.01 to 100 (e.g. 1 or 0.5)")
    return number


def _url(value: Any) -> str:
    from reminderd.push.urls import check_url

    try:
        return check_url(value)
    except BadUrl as bad:
        raise BadValue(str(bad)) from None


def _path(value: Any) -> Path:
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise BadValue("a file path")
    return Path(value.strip()).expanduser()


def _alerts(value: Any) -> tuple[str, ...]:
    expected = "a non-empty list of " + ", ".join(f'"{a}"' for a in ALERTS) + ", each once"
    if not isinstance(value, list) or not value or any(v not in ALERTS for v in value) or len(set(value)) < len(value):
        raise BadValue(expected)
    return tuple(value)


def _after_reminders(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise BadValue("a whole number of reminders from 1 to 100")
    return value


Parser = Callable[[Any], Any]

# (key, parser, required). Defaults live on the dataclasses, so there is one place for them.
GROUP_WITHIN_MAX = timedelta(hours=1)


def _group_window(value: Any) -> timedelta:
    """group_within: "0s" groups only doses due at the same instant; at most an hour."""
    expected = 'a duration from "0s" to "1h", like "5m"'
    if value in ("0s", "0m", "0h"):
        return timedelta(0)
    try:
        result = parse_duration(value)
    except BadValue:
        raise BadValue(expected) from None
    if result > GROUP_WITHIN_MAX:
        raise BadValue(expected)
    return result


TOP_KEYS: dict[str, tuple[Parser, bool]] = {
    "timezone": (_zone, False),
    "on_time_window": (parse_duration, False),
    "near_next_dose": (parse_duration, False),
    "missed_dose_advice": (_text, False),
    "group_within": (_group_window, False),
}
TABLES = ("medication", "checkin", "notifications", "remote", "push", "contact")
MEDICATION_KEYS: dict[str, tuple[Parser, bool]] = {
    "name": (_name, True),
    # dose and times are required unless schedule steps or as_needed say otherwise
    "dose": (_text, False),
    "times": (None, False),  # type: ignore[dict-item]  # a list: checked item by item below
    "schedule": (None, False),  # type: ignore[dict-item]  # [[medication.schedule]] steps
    "until": (_date, False),
    "as_needed": (_bool, False),
    "max_per_day": (_positive_int, False),
    "remind_every": (parse_duration, False),
    "give_up_after": (parse_duration, False),
    "min_gap": (parse_duration, False),
    "snooze": (parse_duration, False),
    "early_window": (parse_duration, False),
    "instructions": (_free_text, False),
    "supply": (_tablets, False),
    "per_dose": (_per_dose, False),
    "refill_warn_days": (_positive_int, False),
}
STEP_KEYS: dict[str, tuple[Parser, bool]] = {
    "from": (_date, True),
    "times": (None, True),  # type: ignore[dict-item]
    "dose": (_text, False),
}
CHECKIN_KEYS: dict[str, tuple[Parser, bool]] = {
    "time": (parse_time, False),
    "remind_every": (parse_duration, False),
    "until": (parse_time, False),
    "bedtime": (parse_time, False),
    "night_window": (parse_duration, False),
}
NOTIFICATION_KEYS: dict[str, tuple[Parser, bool]] = {
    "backend": (_backend, False),
    "private": (_bool, False),
}
PUSH_KEYS: dict[str, tuple[Parser, bool]] = {
    "url": (_url, False),
    "url_file": (_path, False),
    "after_reminders": (_after_reminders, False),
}
CONTACT_KEYS: dict[str, tuple[Parser, bool]] = {
    "name": (_text, True),
    "url": (_url, False),
    "url_file": (_path, False),
    "alerts": (_alerts, True),
    "summary_time": (parse_time, False),
}



def _listen(value: Any) -> tuple[str, int]:
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


def _readable_file(value: Any) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise BadValue("the path of a PEM file")
    path = Path(value.strip()).expanduser()
    if not path.is_file():
        raise BadValue("the path of an existing PEM file")
    return path


def _page_url(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[A-Za-z0-9.:\[\]-]+(:\d{1,5})?/?", value.strip()):
        raise BadValue('the address the phone opens, e.g. "https://desktop.tailnet.ts.net:8765"')
    return value.strip().rstrip("/") + "/"


REMOTE_KEYS: dict[str, tuple[Parser, bool]] = {
    "listen": (_listen, True),
    "certificate": (_readable_file, False),
    "key": (_readable_file, False),
    "url": (_page_url, False),
}


def _remote(c: _Collector, raw: Any) -> RemoteSettings | None:
    before = len(c.problems)
    fields = c.fields(raw, "remote", REMOTE_KEYS)
    if ("certificate" in fields) != ("key" in fields) and len(c.problems) == before:
        given, missing = ("certificate", "key") if "certificate" in fields else ("key", "certificate")
        c.problems.append(f"remote.{missing}: missing; expected both certificate and key for HTTPS, "
                          f"or neither (remote.{given} is set)")
    if len(c.problems) > before:
        return None
    host, port = fields.pop("listen")
    return RemoteSettings(host=host, port=port, **fields)


def _show(value: Any) -> str:
    """A value as the user wrote it in TOML, for error messages."""
    if isinstance(value, _Secret):
        return value.text
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, (_clock, date, datetime)):
        return f"{value.isoformat()} (a TOML date or time; write it in quotes)"
    return repr(value)


class _Secret:
    """A URL shown in an error: masked, since it holds credentials."""

    def __init__(self, url: Any) -> None:
        from reminderd.push.urls import mask

        self.text = f'"{mask(url)}"' if isinstance(url, str) else _show(url)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, path: str, value: Any, expected: str) -> None:
        self.problems.append(f"{path}: {_show(value)} is not valid; expected {expected}")

    def fields(self, table: Any, path: str, keys: dict[str, tuple[Parser, bool]]) -> dict:
        """Parse the keys of one table; unknown and missing keys are problems too."""
        prefix = f"{path}." if path else ""
        if not isinstance(table, dict):
            self.bad(path, table, "a table")
            return {}
        out: dict[str, Any] = {}
        for key, value in table.items():
            if key not in keys:
                known = ", ".join(list(keys) + ([f"[{t}]" for t in TABLES] if not path else []))
                self.problems.append(f"{prefix}{key}: unknown setting; expected one of: {known}")
                continue
            parser = keys[key][0]
            if parser is None:
                out[key] = value
                continue
            try:
                out[key] = parser(value)
            except BadValue as bad:
                secret = key == "url" and (path == "push" or path.startswith("contact["))
                self.bad(prefix + key, _Secret(value) if secret else value, bad.expected)
        for key, (_, required) in keys.items():
            if required and key not in table:
                self.problems.append(f"{prefix}{key}: missing; this setting is required")
        return out


def _times(c: _Collector, raw: Any, path: str) -> tuple[time, ...]:
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
            c.problems.append(f"{path}[{i}]: {_show(value)} is listed twice; expected each time once")
        times.append(t)
    return tuple(sorted(set(times)))


def _steps(c: _Collector, raw: Any, path: str, dose: str | None) -> tuple[Step, ...]:
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


def _medication(c: _Collector, table: Any, path: str) -> Medication | None:
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


def _check_gaps(c: _Collector, med: Medication, times: tuple[time, ...], where: str, path: str,
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


def parse_config(text: str, source: str, system_zone: Callable[[], str]) -> Config:
    """Parse config text. `system_zone` is asked only when the file names no time zone."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"TOML syntax error: {err}"], source) from None

    c = _Collector()
    top = c.fields({k: v for k, v in data.items() if k not in TABLES}, "", TOP_KEYS)
    checkin_fields = c.fields(data.get("checkin", {}), "checkin", CHECKIN_KEYS)
    checkin = CheckinSettings(**checkin_fields)
    notifications = NotificationSettings(
        **c.fields(data.get("notifications", {}), "notifications", NOTIFICATION_KEYS)
    )
    remote = _remote(c, data["remote"]) if "remote" in data else None
    if checkin.until <= checkin.time:
        c.bad("checkin.until", format_slot(checkin.until), f"a time after checkin.time ({format_slot(checkin.time)})")
    elif checkin.bedtime <= checkin.until:
        c.bad("checkin.bedtime", format_slot(checkin.bedtime),
              f"an evening time after checkin.until ({format_slot(checkin.until)}), on the same day")

    raw_meds = data.get("medication")
    medications: list[Medication] = []
    if raw_meds is None or raw_meds == []:  # `medication = []` would remind of nothing
        c.problems.append("medication: missing; expected at least one [[medication]] table")
    elif not isinstance(raw_meds, list):
        c.bad("medication", raw_meds, "[[medication]] tables (an array of tables)")
    else:
        seen: dict[str, int] = {}
        for i, table in enumerate(raw_meds):
            med = _medication(c, table, f"medication[{i}]")
            if med is None:
                continue
            key = med.name.casefold()
            if key in seen:
                c.bad(
                    f"medication[{i}].name",
                    med.name,
                    f"a name not already used by medication[{seen[key]}]",
                )
            seen[key] = i
            medications.append(med)
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

    push, contacts = _push(c, data.get("push")), _contacts(c, data.get("contact"))
    if "timezone" not in top and "timezone" not in data:
        top["zone_from_system"] = True
        try:
            top["timezone"] = ZoneInfo(system_zone())
        except (ZoneInfoNotFoundError, ValueError, OSError):
            top["timezone"] = ZoneInfo("UTC")
    if c.problems:
        raise ConfigError(c.problems, source)
    return Config(medications=tuple(medications), checkin=checkin,
                  notifications=notifications, source=source, remote=remote, push=push, contacts=contacts, **top)


def _one_url(c: _Collector, table: Any, path: str) -> None:
    given = [k for k in ("url", "url_file") if isinstance(table, dict) and k in table]
    if len(given) == 2:
        c.problems.append(f"{path}.url: given beside url_file; expected exactly one of url or url_file")
    elif not given and isinstance(table, dict):
        c.problems.append(f"{path}.url: missing; expected url, or url_file (a file holding the URL, mode 0600)")


def _push(c: _Collector, table: Any) -> PushSettings | None:
    if table is None:
        return None
    before = len(c.problems)
    fields = c.fields(table, "push", PUSH_KEYS)
    _one_url(c, table, "push")
    return PushSettings(**fields) if len(c.problems) == before else None


def _contacts(c: _Collector, raw: Any) -> tuple[Contact, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.bad("contact", raw, "[[contact]] tables (an array of tables)")
        return ()
    contacts: list[Contact] = []
    for i, table in enumerate(raw):
        path, before = f"contact[{i}]", len(c.problems)
        fields = c.fields(table, path, CONTACT_KEYS)
        _one_url(c, table, path)
        if "name" in fields and any(o.name.casefold() == fields["name"].casefold() for o in contacts):
            c.bad(f"{path}.name", fields["name"], "a name not already used by another contact")
        if len(c.problems) == before:
            contacts.append(Contact(**fields))
    return tuple(contacts)


def read_url_files(config: Config, folder: Path) -> Config:
    """Fill each `url` from its `url_file` (relative to the config's folder). A file that
    others can read, or that holds no URL, is refused, named by its key."""
    from dataclasses import replace

    from reminderd.push.urls import read_url_file

    problems: list[str] = []

    def read(target, path: str):
        if target is None or target.url_file is None:
            return target
        where = target.url_file if target.url_file.is_absolute() else folder / target.url_file
        try:
            return replace(target, url=read_url_file(where), url_file=where)
        except BadUrl as bad:
            problems.append(f"{path}.url_file: {_show(str(where))} is not valid; expected {bad}")
            return target

    push = read(config.push, "push")
    contacts = tuple(read(contact, f"contact[{i}]") for i, contact in enumerate(config.contacts))
    if problems:
        raise ConfigError(problems, config.source)
    return replace(config, push=push, contacts=contacts)


def system_zone_name() -> str:
    """The machine's time zone name ($TZ, /etc/localtime), "UTC" when it cannot be told."""
    try:
        import tzlocal  # comes with APScheduler; imported here so the CLI stays quick

        return tzlocal.get_localzone_name() or "UTC"
    except Exception:  # tzlocal raises several kinds on odd systems; UTC is a safe answer
        return "UTC"


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"no config file at {path}; run `reminderd init` to write one"],
                          str(path)) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([f"cannot read the file: {err}"], str(path)) from None
    return read_url_files(parse_config(text, str(path), system_zone_name), path.parent)
