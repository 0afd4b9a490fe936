"""What leaves the machine, as pure rules: which messages a dose or a day gives, to whom,
and with what words. Nothing here reads the clock, the log or the network; `push/outbox.py`
sends what these functions return, by the rules of `delivery.py`.

Each message has a key that names what it is about ("missed:17", "summary:2026-11-28");
one message per key and recipient is ever sent, which the log's `events` remember.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

from reminderd.core.clock import local_time
from reminderd.core.config.settings import Config, Contact, Medication, Rater
from reminderd.core.doses import Dose, Remind, give_up_at, reminder_text
from reminderd.core.schedule import local_instant
from reminderd.core.typed import as_typed
from reminderd.core.words import (ESCALATE, MISSED, MISSED_ALERT, NOT_RUNNING_ALERT, PENDING, RATER_ASK, RATER_PREFIX,
                                  REPLICA_ALERT, REPLICA_BACK, SKIPPED, SUMMARY, TAKEN)

PUSH = "push"  # the recipient name of his own phone ([push]); contacts go by their name
DESKTOP = "desktop:him"  # him on the screen: a notice shown, not sent, where he has no [push]
# A day: long enough that a server rebooted, a NAS asleep overnight or a laptop away from
# home for the day says nothing; short enough that at most a day of the log is at risk.
REPLICA_ALERT_AFTER = timedelta(days=1)
# A summary this far past its time is sent as late (the daemon was not running at the time).
LATE_BY = timedelta(minutes=2)
# At most this many days' summaries are folded into one; earlier ones are left to `report`.
MAX_FOLDED_DAYS = 7


@dataclass(frozen=True)
class Message:
    key: str  # what it is about; one message per key and recipient
    to: str  # PUSH, DESKTOP, a contact's name or RATER_PREFIX + a rater's
    kind: str
    title: str
    body: str
    dose_id: int | None = None
    # What it names beyond `dose_id`, kept on record so that what it told its reader is
    # known (a rater's blinding is judged by it: reminderd.core.rating): the doses a
    # not-running alert lists, the days a summary covers.
    doses: tuple[int, ...] = ()
    days: tuple[date, ...] = ()


def what_it_names(message: Message) -> dict:
    """The doses and days a message names, as its push-due event keeps them."""
    return ({"doses": list(message.doses)} if message.doses else {}) | \
        ({"days": [d.isoformat() for d in message.days]} if message.days else {})


def named(message: Message, recorded: dict) -> Message:
    """`message` with the doses and days its push-due event kept (`what_it_names`)."""
    return replace(message, doses=tuple(recorded.get("doses", ())),
                   days=tuple(date.fromisoformat(d) for d in recorded.get("days", ())))


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
    """At start: the doses that fell due while reminderd was not running, in one message,
    each with its date (a stop can span days)."""
    if not doses:
        return []
    tz, private = config.timezone, config.notifications.private
    lines = [f"{d.local_date:%a %d %b} {local_time(d.due, tz)} {_what(d, private)}: "
             + ("counted as missed" if d.status == MISSED else "reminded late, when it started")
             for d in sorted(doses, key=lambda d: (d.due, d.medication))]
    body = (f"reminderd was not running when {'this dose' if len(doses) == 1 else 'these doses'} fell due; "
            f"it started again at {local_time(started, tz, '%a %d %b %H:%M')}.\n" + "\n".join(lines))
    listed = tuple(sorted(d.id for d in doses))
    return [Message(f"{NOT_RUNNING_ALERT}:{started.isoformat()}", c.name, NOT_RUNNING_ALERT,
                    "reminderd was not running", body, doses=listed)
            for c in contacts_for(config, NOT_RUNNING_ALERT)]


def replica_failing_too_long(since: datetime, now: datetime) -> bool:
    """Has the replica failed long enough, without a write reaching it since `since`, to tell?"""
    return now - since >= REPLICA_ALERT_AFTER


def replica_alerts(config: Config, since: datetime, error: str | None, now: datetime) -> list[Message]:
    """Once per outage (the key names when it began): to his phone if [push] is set, else
    on his desktop, and to each contact that asked for it: since when, the last error
    (already without any piece of the URL) and what to do."""
    if not replica_failing_too_long(since, now):
        return []
    tz = config.timezone
    body = (f"The off-machine copy of the reminderd log has not been working since "
            f"{local_time(since, tz, '%a %d %b %H:%M')}: doses are still reminded and recorded on the "
            "computer, but what was recorded since then is only there, and would be lost with it. "
            + (f"Last error: {error.rstrip('.')}. " if error else "")
            + "To do: check that the replica's disk or server is reachable and has room (run `reminderd doctor` "
              "on the computer); reminderd catches up on its own once it works again.")
    to = [PUSH if config.push is not None else DESKTOP] + [c.name for c in contacts_for(config, REPLICA_ALERT)]
    return [Message(_replica_key(REPLICA_ALERT, since), name, REPLICA_ALERT, "reminderd's replica is not working", body)
            for name in to]


def replica_back(recipients: Sequence[str], since: datetime, now: datetime, tz: ZoneInfo) -> list[Message]:
    """To whoever was told of the outage that began at `since`: it is over."""
    body = (f"The off-machine copy of the reminderd log is working again since {local_time(now, tz, '%a %d %b %H:%M')} "
            f"(it had failed since {local_time(since, tz, '%a %d %b %H:%M')}); it catches up on its own.")
    return [Message(_replica_key(REPLICA_BACK, since), name, REPLICA_BACK, "reminderd's replica works again", body)
            for name in recipients]


def replica_alert_key(since: datetime) -> str:
    """The key of the alert about the outage that began at `since`."""
    return _replica_key(REPLICA_ALERT, since)


def _replica_key(kind: str, since: datetime) -> str:
    return f"{kind}:{since.isoformat()}"


@dataclass(frozen=True)
class SummaryDay:
    """One day of a summary: its doses as the one plan has them (`status` lists the same),
    by due time, a planned slot with no row (id 0) being one no running daemon ever saw;
    and the description of the night before it, if checked in."""

    day: date
    doses: tuple[Dose, ...]
    night: str | None


def summaries_owed(contact: Contact, last_sent: date | None, now: datetime, tz: ZoneInfo) -> list[date]:
    """The days whose summary should go out now: every day since the last one recorded
    (`last_sent`) whose summary time has passed, at most MAX_FOLDED_DAYS. With none
    recorded yet (a new contact), only today's once its time has passed."""
    today = now.astimezone(tz).date()
    latest = today if now >= summary_at(contact, today, tz) else today - timedelta(days=1)
    if last_sent is None:
        return [today] if latest == today else []
    first = max(last_sent + timedelta(days=1), latest - timedelta(days=MAX_FOLDED_DAYS - 1))
    return [first + timedelta(days=i) for i in range((latest - first).days + 1)]


def summary_message(contact: Contact, days: Sequence[SummaryDay], config: Config, now: datetime) -> Message:
    """The days' doses and check-ins in one message. Sent at its time, it is that day's;
    sent later (the daemon was not running then) it says so, and the days it missed are
    folded in, each dose with its date."""
    tz, private = config.timezone, config.notifications.private
    at = local_time(summary_at(contact, days[-1].day, tz), tz)
    folded = len(days) > 1
    lines = []
    if folded:
        lines.append(f"Sent late, {len(days)} days in one message: reminderd was not running at {at} on "
                     + ", ".join(f"{d.day:%a %d %b}" for d in days) + ".")
    elif now - summary_at(contact, days[0].day, tz) > LATE_BY:
        lines.append(f"Sent late: this summary was due at {at}, when reminderd was not running.")
    for day in days:
        dated = f"{day.day:%a %d %b} " if folded else ""
        lines += [f"{dated}{d.slot} {_what(d, private)}: {_outcome(d, tz, now)}" for d in day.doses] or \
            [f"{dated}no doses scheduled"]
        night = day.night or "no check-in"
        lines.append(f"Night before {day.day:%a %d %b}: {night}" if folded else f"Last night: {night}")
    first, last = days[0].day, days[-1].day
    title = f"Doses from {first:%a %d %b} to {last:%a %d %b}" if folded else f"Doses on {last:%a %d %b}"
    return Message(f"{SUMMARY}:{last.isoformat()}", contact.name, SUMMARY, title, "\n".join(lines),
                   days=tuple(d.day for d in days))


def summary_day(key: str) -> date | None:
    """The (last) day a summary's key names."""
    kind, _, day = key.partition(":")
    try:
        return date.fromisoformat(day) if kind == SUMMARY else None
    except ValueError:
        return None


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


def rater_ask(rater: Rater, night: date, page: str | None) -> Message:
    """Her morning message: the link to her page, and nothing about his doses."""
    where = (f"Answer on your page: {page}" if page else
             f"Answer with: reminderd checkin --rater {as_typed(rater.name)}")
    return Message(f"{RATER_ASK}:{night.isoformat()}", RATER_PREFIX + rater.name, RATER_ASK, "How was last night?",
                   f"How much did his spasms disturb the night of {night:%a %d %b}? {where}")


def rater_ask_due(rater: Rater, now: datetime, tz: ZoneInfo) -> date | None:
    """The night to ask her about now: last night, from her `time` until her `until`."""
    today = now.astimezone(tz).date()
    if local_instant(today, rater.time, tz) <= now < local_instant(today, rater.until, tz):
        return today - timedelta(days=1)
    return None


def _what(dose: Dose, private: bool) -> str:
    return "dose" if private else f"{dose.medication} {dose.dose}"


def _outcome(dose: Dose, tz: ZoneInfo, now: datetime) -> str:
    if not dose.id:
        return f"due at {local_time(dose.due, tz)}" if dose.due > now else "not recorded: reminderd was not running"
    if dose.status == TAKEN and dose.taken_at is not None:
        return f"taken at {local_time(dose.taken_at, tz)}"
    if dose.status == SKIPPED:
        return SKIPPED  # the status reads as itself
    if dose.status == MISSED:
        return f"{MISSED} ({dose.reason})" if dose.reason else MISSED
    if dose.status == PENDING and dose.due <= now:
        return "not answered yet"
    return f"due at {local_time(dose.due, tz)}"
