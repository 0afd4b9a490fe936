"""What leaves the machine, as pure rules: which messages a dose or a day gives, to whom,
with what words, and when a failed send is tried again. Nothing here reads the clock,
the log or the network; `push.py` sends what these functions return.

Each message has a key that names what it is about ("missed:17", "summary:2026-11-28");
one message per key and recipient is ever sent, which the log's `events` remember.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

from reminderd.core.clock import local_time
from reminderd.core.config.settings import Config, Contact, Medication, Rater
from reminderd.core.doses import MISSED, PENDING, SKIPPED, TAKEN, Dose, Remind, give_up_at, reminder_text
from reminderd.core.schedule import local_instant

PUSH = "push"  # the recipient name of his own phone ([push]); contacts go by their name
RATER_PREFIX = "rater:"  # a [[rater]]'s own messages go to "rater:NAME", never to a contact's URL
RATER_ASK = "rater-ask"  # the morning message to a rater: the link to her page, nothing else
ESCALATE, MISSED_ALERT, NOT_RUNNING, SUMMARY = "escalate", "missed", "not-running", "summary"
# Backoff between tries of one message; the last delay repeats until GIVE_UP_AFTER.
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
                timedelta(minutes=8), timedelta(minutes=15))
GIVE_UP_AFTER = timedelta(hours=12)  # a message older than this is stale, not news


@dataclass(frozen=True)
class Message:
    key: str  # what it is about; one message per key and recipient
    to: str  # PUSH or a contact's name
    kind: str
    title: str
    body: str
    dose_id: int | None = None
    # Every dose it names, when more than `dose_id`: what it told its reader (a rater's
    # blinding is judged by it; reminderd.core.rating).
    doses: tuple[int, ...] = ()


def escalates(number: int, after_reminders: int, away: bool) -> bool:
    """Is this reminder also pushed to his phone? From the `after_reminders`th on, or
    at any reminder while he is away from the screen (locked or idle)."""
    return number >= after_reminders or away


def escalation(dose: Dose, med: Medication, config: Config, now: datetime, decision: Remind) -> Message:
    """The reminder itself, worded as on the desktop (private mode hides the name)."""
    title, body = reminder_text(dose, med, config, now, decision, config.notifications.private)
    return Message(f"{ESCALATE}:{dose.id}:{decision.number}", PUSH, ESCALATE, title, body, dose.id)


def group_escalation(reminded: Sequence[tuple[Dose, int]], title: str, body: str) -> Message:
    """Doses due together, reminded in one notification: pushed as one message, worded
    as that notification; `reminded` holds each dose with its reminder's number."""
    key = f"{ESCALATE}:" + "+".join(f"{d.id}.{n}" for d, n in reminded)
    return Message(key, PUSH, ESCALATE, title, body, reminded[0][0].id)


def contacts_for(config: Config, alert: str) -> list[Contact]:
    return [c for c in config.contacts if alert in c.alerts]


def missed_alerts(dose: Dose, med: Medication, config: Config) -> list[Message]:
    """To each contact that asked for it: what was missed, when, and the advice."""
    tz, private = config.timezone, config.notifications.private
    what = "A dose" if private else f"{med.name} {dose.dose}"
    title = "A dose was missed" if private else f"Missed: {med.name} {dose.dose}"
    body = (f"{what} due at {local_time(dose.due, tz)} on {dose.local_date:%a %d %b} was not answered by "
            f"{local_time(give_up_at(dose, med), tz)} and is counted as missed. {config.missed_dose_advice}")
    return [Message(f"{MISSED_ALERT}:{dose.id}", c.name, MISSED_ALERT, title, body, dose.id)
            for c in contacts_for(config, MISSED_ALERT)]


def not_running_alerts(doses: Sequence[Dose], config: Config, started: datetime) -> list[Message]:
    """At start: the doses that fell due while reminderd was not running, in one message."""
    if not doses:
        return []
    tz, private = config.timezone, config.notifications.private
    lines = [f"{local_time(d.due, tz)} {_what(d, private)}: "
             + ("counted as missed" if d.status == MISSED else "reminded late, when it started")
             for d in sorted(doses, key=lambda d: (d.due, d.medication))]
    body = (f"reminderd was not running when {'this dose' if len(doses) == 1 else 'these doses'} fell due; "
            f"it started again at {local_time(started, tz)}.\n" + "\n".join(lines))
    listed = tuple(sorted(d.id for d in doses))
    return [Message(f"{NOT_RUNNING}:{started.isoformat()}", c.name, NOT_RUNNING, "reminderd was not running", body,
                    doses=listed) for c in contacts_for(config, NOT_RUNNING)]


def summary_message(contact: Contact, day: date, doses: Sequence[Dose], night: str | None,
                    config: Config, now: datetime) -> Message:
    """The day's doses and last night's check-in (`night`: its description, or None)."""
    tz, private = config.timezone, config.notifications.private
    lines = [f"{d.slot} {_what(d, private)}: {_outcome(d, tz, now)}" for d in sorted(doses, key=lambda d: (d.due, d.medication))]
    lines = lines or ["no doses scheduled"]
    lines.append(f"Last night: {night}" if night else "Last night: no check-in")
    return Message(f"{SUMMARY}:{day.isoformat()}", contact.name, SUMMARY, f"Doses on {day:%a %d %b}",
                   "\n".join(lines))


def summary_at(contact: Contact, day: date, tz: ZoneInfo) -> datetime:
    return local_instant(day, contact.summary_time, tz)


def next_daily(wall: time, now: datetime, tz: ZoneInfo) -> datetime:
    """The next instant the local clock shows `wall`, today's if still ahead."""
    today = now.astimezone(tz).date()
    at = local_instant(today, wall, tz)
    return at if at > now else local_instant(today + timedelta(days=1), wall, tz)


def next_summary_at(contact: Contact, now: datetime, tz: ZoneInfo) -> datetime:
    """The next instant the contact's summary is due, today's if still ahead."""
    return next_daily(contact.summary_time, now, tz)


def summary_due(contact: Contact, now: datetime, tz: ZoneInfo) -> date | None:
    """The day whose summary should go out now (today, once summary_time has passed)."""
    today = now.astimezone(tz).date()
    return today if now >= summary_at(contact, today, tz) else None


def rater_ask(rater: Rater, night: date, page: str | None) -> Message:
    """Her morning message: the link to her page, and nothing about his doses."""
    import shlex

    where = (f"Answer on your page: {page}" if page else
             f"Answer with: reminderd checkin --rater {shlex.quote(rater.name)}")
    return Message(f"{RATER_ASK}:{night.isoformat()}", RATER_PREFIX + rater.name, RATER_ASK, "How was last night?",
                   f"How much did his spasms disturb the night of {night:%a %d %b}? {where}")


def rater_ask_due(rater: Rater, now: datetime, tz: ZoneInfo) -> date | None:
    """The night to ask her about now: last night, from her `time` until her `until`."""
    today = now.astimezone(tz).date()
    if local_instant(today, rater.time, tz) <= now < local_instant(today, rater.until, tz):
        return today - timedelta(days=1)
    return None


def next_try(first_tried: datetime, failures: int, now: datetime) -> datetime | None:
    """When to try a message again after `failures` failed tries; None: give it up."""
    if now - first_tried >= GIVE_UP_AFTER:
        return None
    return now + RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1]


def _what(dose: Dose, private: bool) -> str:
    return "dose" if private else f"{dose.medication} {dose.dose}"


def _outcome(dose: Dose, tz: ZoneInfo, now: datetime) -> str:
    if dose.status == TAKEN and dose.taken_at is not None:
        return f"taken at {local_time(dose.taken_at, tz)}"
    if dose.status == SKIPPED:
        return "skipped"
    if dose.status == MISSED:
        return "missed"
    if dose.status == PENDING and dose.due <= now:
        return "not answered yet"
    return f"due at {local_time(dose.due, tz)}"
