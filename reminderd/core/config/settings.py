"""The config as the program uses it: frozen dataclasses, each default in one place."""

from __future__ import annotations

from datetime import date, time, timedelta
from datetime import time as _clock
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from reminderd.core.config.values import format_slot

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_ADVICE = (
    "If you forget a dose, take it as soon as you remember. If it is nearly time for your "
    "next dose, skip the missed one and take the next dose at the usual time. Never take "
    "two doses at once to make up for a forgotten one. Your prescriber's instructions "
    "come first."
)


class Step(NamedTuple):
    """One step of a prescription that changes over time (titration): from `start` on,
    these times and this dose, until the next step starts."""

    start: date
    times: tuple[time, ...]  # sorted, distinct
    dose: str


class Medication(NamedTuple):
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


class CheckinSettings(NamedTuple):
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


class NotificationSettings(NamedTuple):
    backend: str = "auto"
    private: bool = False


# How long a server may take to answer a message once it is written: a slow Matrix or
# SMTP server answers within tens of seconds. After that it is not sent again (it may have
# arrived); see core/delivery.py.
SEND_TIMEOUT = timedelta(seconds=60)


class PushSettings(NamedTuple):
    """[push]: his own phone. `url` is filled from `url_file` by load_config."""

    url: str | None = None
    url_file: Path | None = None
    after_reminders: int = 2
    timeout: timedelta = SEND_TIMEOUT


class Contact(NamedTuple):
    """[[contact]]: someone told about missed doses, a stopped daemon, the day."""

    name: str
    alerts: tuple[str, ...]
    url: str | None = None
    url_file: Path | None = None
    summary_time: _clock = _clock(21, 0)
    timeout: timedelta = SEND_TIMEOUT


class Rater(NamedTuple):
    """[[rater]]: someone who rates his nights on a page of her own (his partner, who feels
    the spasms beside him), without seeing his doses. Asked at `time` (her morning) with a
    message to `url` carrying the link to her page, not after `until`; with no url she opens
    her page herself. `url` is filled from `url_file` at the edge (reminderd.config_file)."""

    name: str
    time: _clock = _clock(8, 0)
    until: _clock = _clock(12, 0)
    url: str | None = None
    url_file: Path | None = None
    timeout: timedelta = SEND_TIMEOUT  # as a contact's: how long her server may take to answer


class RemoteSettings(NamedTuple):
    """The opt-in page for the phone (`[remote]`); absent means no socket at all."""

    host: str  # as written: an IP address, a host name, or "0.0.0.0" for every interface
    port: int
    certificate: Path | None = None  # both or neither: HTTPS
    key: Path | None = None
    url: str | None = None  # the address the phone uses, when `listen` does not say it

    @property
    def https(self) -> bool:
        return self.certificate is not None


class ReplicaSettings(NamedTuple):
    """[replica]: where Litestream keeps a continuous copy of the log (a folder, or an SFTP
    server). `url` is filled from `url_file` by load_config."""

    url: str | None = None
    url_file: Path | None = None
    key_file: Path | None = None  # sftp: the private key Litestream logs in with
    host_key: str | None = None  # sftp: the server's public key; else found in ~/.ssh/known_hosts
    # How often new changes are shipped: an answer is on the replica within about this long.
    sync_interval: timedelta = timedelta(seconds=1)


class Config(NamedTuple):
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
    raters: tuple[Rater, ...] = ()
    remote: RemoteSettings | None = None
    replica: ReplicaSettings | None = None

    def medication(self, name: str) -> Medication | None:
        for med in self.medications:
            if med.name.casefold() == name.casefold():
                return med
        return None

    def rater(self, name: str) -> Rater | None:
        for rater in self.raters:
            if rater.name.casefold() == name.casefold():
                return rater
        return None
