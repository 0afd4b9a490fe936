"""Turning a dose's or a group's decision into the notification that shows it (pure:
config, doses and `now` in, a Reminder out)."""

from __future__ import annotations

from datetime import datetime, timedelta

from reminderd.core import doses as rules
from reminderd.core import grouping
from reminderd.core.config.settings import Config, Medication
from reminderd.core.doses import Dose, Remind
from reminderd.core.durations import format_duration, minutes_under_two_hours
from reminderd.core.typed import as_typed
from reminderd.core.words import MISSED, SKIP, SNOOZE, TAKE, TAKEN_ANYWAY
from reminderd.errors import TooCloseError
from reminderd.notify.base import Reminder

DOSE_PREFIX = "dose:"  # a dose's notification and its timer are both "dose:<id>"


def key(dose: Dose) -> str:
    return key_of(dose.id)


def key_of(dose_id: int) -> str:
    return f"{DOSE_PREFIX}{dose_id}"


def reminder_line(med: Medication, dose: Dose, number: int, last: bool, now: datetime,
                  group_key: str | None = None) -> str:
    """The daemon's log line for one reminder of a dose (with the group it was shown in)."""
    late = (now - dose.due) // timedelta(minutes=1)  # as the reminder's "2 h 59 min late" counts
    return (f"reminder {number}: {med.name} {dose.dose}, {dose.slot} dose of {dose.local_date}"
            f"{f', {late} min late' if late > 0 else ''}{' (last reminder)' if last else ''}"
            f"{f' (with {group_key})' if group_key else ''}")


def dose_reminder(config: Config, dose: Dose, med: Medication, now: datetime, decision: Remind) -> Reminder:
    private = config.notifications.private
    title, body = rules.reminder_text(dose, med, config, now, decision, private)
    return Reminder(
        key=key(dose),
        title=title,
        body=body,
        actions=((TAKE, "Taken"), (SNOOZE, snooze_label(med.snooze)), (SKIP, "Skip")),
        # Critical from the third reminder: it stays on screen until answered.
        urgency="critical" if decision.number >= 3 else "normal",
        cli_hint=("Answer with: reminderd take  (or skip / snooze)" if private
                  else f"Answer with: reminderd take {as_typed(med.name)}  (or skip / snooze {as_typed(med.name)})"),
    )


def missed_notice(config: Config, dose: Dose, med: Medication) -> Reminder:
    title, body = rules.missed_text(dose, med, config, config.notifications.private)
    return Reminder(key=key(dose), title=title, body=body, urgency="normal", resident=False, cli_hint="")


def too_close(config: Config, dose_id: int, dose: Dose | None, err: TooCloseError) -> Reminder:
    """The minimum-gap warning: asks again instead of recording."""
    name = dose.medication if dose is not None else "it"
    private = config.notifications.private
    return Reminder(
        key=key_of(dose_id), title="Taken again?" if private else f"Take {name} now?",
        body="Doses would be closer than the minimum gap." if private else f"Careful: {err.fact}.",
        actions=((TAKEN_ANYWAY, "Taken anyway"), (SKIP, "Skip")), urgency="critical",
        cli_hint="Record it with: reminderd take --force" if private
        else f"Record it with: reminderd take {as_typed(name)} --force",
    )


def snooze_label(snooze: timedelta) -> str:
    """ "Snooze 10 min" ("Snooze 4s" under a minute, as only tests configure)."""
    return f"Snooze {minutes_under_two_hours(snooze) if snooze >= timedelta(minutes=1) else format_duration(snooze)}"


def group_reminder(config: Config, group_key: str, listed: list[Dose], meds: dict[str, Medication],
                   now: datetime) -> Reminder:
    """`meds`: each dose's medication as it is judged (by its own prescription)."""
    private = config.notifications.private
    title, body = grouping.reminder_text(listed, meds, config, now, private)
    snooze = min((meds[d.medication].snooze for d in listed if d.medication in meds), default=timedelta(minutes=10))
    urgent = any(d.reminders_sent >= 3 for d in listed)
    return Reminder(key=group_key, title=title, body=body,
                    actions=grouping.actions(listed, snooze_label(snooze), private),
                    urgency="critical" if urgent else "normal", cli_hint=grouping.cli_hint(listed, private))


def group_missed_notice(config: Config, group: tuple[Dose, ...], meds: dict[str, Medication],
                        just_missed: Dose) -> Reminder:
    """One missed-dose notice per group, replaced as more of its doses are missed."""
    missed = [just_missed if d.id == just_missed.id else d for d in group]
    missed = [d for d in missed if d.status == MISSED]
    title, body = grouping.missed_text(missed, meds, config, config.notifications.private)
    return Reminder(key=f"missed:{grouping.group_key(group)}", title=title, body=body, urgency="normal",
                    resident=False, cli_hint="")
