"""The life of a dose, as pure rules: given a dose, its medication and `now`, what happens.

    pending --(due)--> reminded every remind_every --(give_up_after)--> missed
       | Taken (early, on time, late)  -> taken
       | Skip                          -> skipped
       | Snooze                        -> pending, reminded again at +snooze
    missed --Taken later (--at)--> taken (late)

Nothing here reads the clock or the database: the daemon and the CLI pass `now` and the
rows in, and write back what these functions return.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Callable, NamedTuple, Sequence

from reminderd.core.records import Marker
from reminderd.core.clock import UTC, local_time
from reminderd.core.config.settings import Config, Medication
from reminderd.core.durations import format_duration, hours_and_minutes
from reminderd.core.typed import as_typed
from reminderd.core.words import (ANSWERED, AS_NEEDED_SLOT, MISSED, NOT_ANSWERED, NOT_RUNNING, PENDING,
                                  RECORDED_BY_MISTAKE, SKIPPED, TAKEN)
from reminderd.errors import AlreadyTakenError, DoseError, TooCloseError

# A give-up this long after the limit means the daemon was not running at the limit.
NOT_RUNNING_AFTER = timedelta(minutes=2)
# A missed-dose notice for a dose given up long ago (the daemon was stopped for days)
# would only be noise; it is logged instead.
LATE_NOTICE_LIMIT = timedelta(hours=12)


class Dose(NamedTuple):
    """One row of the `doses` table."""

    id: int
    medication: str
    local_date: date
    slot: str
    dose: str
    due: datetime  # aware UTC
    status: str = PENDING
    taken_at: datetime | None = None
    via: str | None = None  # "notification" or "cli"
    late_minutes: int | None = None  # taken_at - due; negative when taken early
    snoozed_until: datetime | None = None
    reminders_sent: int = 0
    last_reminded_at: datetime | None = None
    reason: str | None = None  # why skipped or missed
    answered_at: datetime | None = None  # when the answer was given (not when taken)

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED

    @property
    def open(self) -> bool:
        """Still waiting for an answer and still being reminded."""
        return self.status == PENDING


# --- what the daemon should do about a dose now -----------------------------------------


class Wait(NamedTuple):
    until: datetime


class Remind(NamedTuple):
    number: int  # 1 for the first reminder
    last: bool  # the last reminder before the dose is given up as missed


class GiveUp(Marker):
    __slots__ = ()


class Done(Marker):
    __slots__ = ()


Decision = Wait | Remind | GiveUp | Done


def give_up_at(dose: Dose, med: Medication) -> datetime:
    return dose.due + med.give_up_after


def next_reminder_at(dose: Dose, med: Medication) -> datetime:
    """When the next reminder is owed, ignoring the give-up limit."""
    if dose.snoozed_until is not None and (
        dose.last_reminded_at is None or dose.snoozed_until > dose.last_reminded_at
    ):
        return dose.snoozed_until
    if dose.last_reminded_at is None:
        return dose.due
    return dose.last_reminded_at + med.remind_every


def decide(dose: Dose, med: Medication, now: datetime, restarting: bool = False) -> Decision:
    """The one place that says whether a dose is reminded, given up, or left to wait.

    A reminder is owed only when `now` has reached `next_reminder_at`, which moves on with
    every reminder sent: asking twice at one moment (a restart, a clock jump, two timers)
    gives one reminder, never two. `restarting`: the daemon's notifications died with
    its last run, so a dose that was being reminded is reminded again at once.
    """
    if not dose.open:
        return Done()
    limit = give_up_at(dose, med)
    if now >= limit:
        # The daemon then tells the user that the dose is now counted as missed.
        return GiveUp()
    owed = next_reminder_at(dose, med)
    if now < owed and not (restarting and dose.reminders_sent and now >= dose.due):
        return Wait(min(owed, limit))
    is_last = now + med.remind_every >= limit
    return Remind(number=dose.reminders_sent + 1, last=is_last)


def reminded(dose: Dose, now: datetime) -> Dose:
    return dose._replace(reminders_sent=dose.reminders_sent + 1, last_reminded_at=now)


def give_up(dose: Dose, now: datetime, reason: str) -> Dose:
    return dose._replace(status=MISSED, reason=reason, answered_at=None)


class Missed(NamedTuple):
    dose: Dose  # given up, with its reason
    tell: bool  # whether the person is shown the missed-dose notice


def give_up_now(dose: Dose, med: Medication, now: datetime) -> Missed:
    """Give up a dose past its limit: "not answered" when the daemon was there to remind
    it until the limit, "not running" when it comes to it later. The notice is shown for
    an unanswered dose, or one never reminded, unless it was given up long ago."""
    late_by = now - give_up_at(dose, med)
    reason = NOT_ANSWERED if late_by < NOT_RUNNING_AFTER else NOT_RUNNING
    tell = late_by < LATE_NOTICE_LIMIT and (reason == NOT_ANSWERED or dose.reminders_sent == 0)
    return Missed(give_up(dose, now, reason), tell)


def lateness_minutes(dose: Dose, taken_at: datetime) -> int:
    """Whole minutes from due to taken as the clock shows them (taken at 14:00:42 for 14:00
    is 0, at 07:59:20 for 08:00 is -1), so the lateness never disagrees with the time shown."""
    return (taken_at - dose.due) // timedelta(minutes=1)


def timing(late_minutes: int, on_time_window: timedelta) -> str:
    """How a taken dose's time reads, in the same words in `take` and in the report: on
    time, early or late by the on-time window, then how far from due ("on time, 4 min
    after", "late, 1 h 35 min after", "early, 2 h before", "on time, to the minute")."""
    if abs(late_minutes) <= on_time_window.total_seconds() / 60:
        kind = "on time"
    else:
        kind = "late" if late_minutes > 0 else "early"
    if late_minutes == 0:
        return f"{kind}, to the minute"
    span = hours_and_minutes(timedelta(minutes=abs(late_minutes)))
    return f"{kind}, {span} {'after' if late_minutes > 0 else 'before'}"


def take(
    dose: Dose,
    med: Medication,
    taken_at: datetime,
    now: datetime,
    via: str,
    taken_nearby: Sequence[Dose] = (),
    force: bool = False,
    tz: tzinfo = UTC,
) -> Dose:
    """Record a dose as taken at `taken_at`.

    `taken_nearby` are the medication's other taken doses, to check the minimum gap.
    Raises DoseError when the dose is already taken, when `taken_at` is in the future,
    or (unless `force`) when it would put two doses closer than `min_gap`.
    """
    if dose.status == TAKEN:
        raise AlreadyTakenError(
            f"the {dose.slot} dose of {dose.medication} on {dose.local_date} was already "
            f"taken at {_clock(dose.taken_at, tz)}; it is recorded once"
        )
    check_not_future(taken_at, now, tz)
    if not force:
        for other in taken_nearby:
            if other.id == dose.id or other.taken_at is None:
                continue
            gap = abs(other.taken_at - taken_at)
            if gap < med.min_gap:
                raise TooCloseError(
                    f"{dose.medication} was {'last' if other.taken_at <= taken_at else 'also'} taken "
                    f"{format_duration(gap)} {'before' if other.taken_at <= taken_at else 'after'} that "
                    f"(the {other.slot} dose of {other.local_date}); doses should be at "
                    f"least {format_duration(med.min_gap)} apart. "
                    "If you really took it, record it with --force"
                )
    return dose._replace(
        status=TAKEN,
        taken_at=taken_at,
        via=via,
        late_minutes=lateness_minutes(dose, taken_at),
        snoozed_until=None,
        reason=None,
        answered_at=now,
    )


def check_not_future(taken_at: datetime, now: datetime, tz: tzinfo = UTC) -> None:
    # A minute of slack: "take --at 08:05" typed at 08:04:30 means now.
    if taken_at > now + timedelta(minutes=1):
        raise DoseError(f"{_clock(taken_at, tz)} is in the future; a dose is recorded once taken")


def skip(dose: Dose, now: datetime, via: str, reason: str | None = None) -> Dose:
    if dose.answered:
        raise DoseError(
            f"the {dose.slot} dose of {dose.medication} on {dose.local_date} was already "
            f"{dose.status}; use `reminderd edit` to correct it"
        )
    return dose._replace(status=SKIPPED, via=via, reason=reason, snoozed_until=None, answered_at=now)


def snooze(
    dose: Dose, med: Medication, now: datetime, length: timedelta | None = None, tz: tzinfo = UTC
) -> Dose:
    if not dose.open:
        raise DoseError(
            f"the {dose.slot} dose of {dose.medication} is {dose.status}; only a dose "
            "still waiting for an answer can be snoozed"
        )
    until = now + (med.snooze if length is None else length)
    limit = give_up_at(dose, med)
    if until >= limit:
        raise DoseError(
            f"snoozing until {_clock(until, tz)} would pass the time the dose is counted as "
            f"missed; snooze for less than {format_duration(max(limit - now, timedelta(seconds=1)))}"
        )
    return dose._replace(snoozed_until=until)


def _clock(instant: datetime | None, tz: tzinfo) -> str:
    if instant is None:
        return "an unknown time"
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def correct(dose: Dose, status: str | None, taken_at: datetime | None, reason: str | None, now: datetime,
            via: str, tz: tzinfo = UTC) -> Dose:
    """`reminderd edit`: a dose's corrected status or taken time. A taken time without a
    status means taken; taken keeps its time (or the due time) unless one is given."""
    new_status = status or (TAKEN if taken_at is not None else dose.status)
    if taken_at is not None and new_status != TAKEN:
        raise DoseError(f"--taken-at goes with a taken dose; this one would be {new_status}")
    if new_status == MISSED and dose.due > now:  # a miss that has not happened would silence its reminders
        raise DoseError(f"the {dose.slot} dose of {dose.medication} on {dose.local_date} is not due until "
                        f"{_clock(dose.due, tz)}, so it cannot have been missed; to leave it out, use --status skipped")
    if new_status == TAKEN:
        when = taken_at or dose.taken_at or dose.due
        if when is not dose.taken_at:  # a time it keeps was checked when recorded (the clock may be set back since)
            check_not_future(when, now, tz)
        return dose._replace(status=TAKEN, taken_at=when, late_minutes=lateness_minutes(dose, when),
                       via=dose.via or via, reason=reason, answered_at=now, snoozed_until=None)
    if new_status == PENDING:
        return dose._replace(status=PENDING, taken_at=None, late_minutes=None, via=None, reason=reason,
                       answered_at=None)
    return dose._replace(status=new_status, taken_at=None, late_minutes=None, via=via,
                   reason=reason or dose.reason, answered_at=now, snoozed_until=None)


# --- undoing an answer ----------------------------------------------------------------


class Undone(NamedTuple):
    dose: Dose  # as it is after the undo
    note: str | None = None  # said to the person when the undo is more than a restore


def undo_answer(before: Dose, med: Medication | None, now: datetime,
                overtaken: tuple[datetime, str] | None = None, tz: tzinfo = UTC) -> Undone:
    """The dose after undoing an answer, given its state `before` that answer.

    `overtaken` is when and why the daemon gave the dose up after that answer. A dose
    revived as pending after its limit would only be given up again, with the reason
    "not running" (wrongly): it is missed now, for the reason it was given up (or "not
    answered", as its reminders stopped because of the answer being undone).
    """
    if med is not None and med.as_needed and before.status == PENDING:
        # An as-needed dose is never waiting to be reminded: undone, it is void.
        return Undone(before._replace(status=SKIPPED, reason=RECORDED_BY_MISTAKE))
    note = None
    if overtaken is not None:
        note = f"after that answer the daemon counted it as missed at {_clock(overtaken[0], tz)}"
    if before.status == PENDING and med is not None and now >= give_up_at(before, med):
        reason = overtaken[1] if overtaken else NOT_ANSWERED
        before = before._replace(status=MISSED, reason=reason, snoozed_until=None, answered_at=None)
        note = note or f"its time to be answered ended at {_clock(give_up_at(before, med), tz)}"
    return Undone(before, note)


# --- what `status` says about a slot ---------------------------------------------------


def state_text(dose: Dose | None, due: datetime, med: Medication | None, now: datetime, tz: tzinfo,
               log_began_at: datetime | None = None, reminding: bool = False) -> str:
    """A slot's state for `status`. A slot with no row was not seen by a daemon yet:
    still in its window it is due (and `take` records it); past the window the daemon
    will close it as missed (not running) when it next starts, unless it fell due before
    the log began (`log_began_at`; None: nothing recorded yet), when nothing was being
    recorded. `reminding`: a daemon reminds from this log now (it makes the row of a slot
    a command's new prescription added within seconds), so "daemon not running" is not
    said; without one, a row left open past its window is as unrecorded as a slot without."""
    off = "" if reminding else " (daemon not running)"
    if dose is None:
        if due > now:
            return "upcoming"
        if med is None or now < due + med.give_up_after:
            return f"DUE{off}"
        if log_began_at is None or due < log_began_at:
            return "before the log began"
        return f"not recorded{off}"
    if dose.status == PENDING and not reminding and med is not None and now >= give_up_at(dose, med):
        return "not recorded (daemon not running)"
    if dose.status == TAKEN:
        late = dose.late_minutes or 0
        return f"taken {local_time(dose.taken_at, tz)}" + (f" ({late:+d} min)" if abs(late) >= 1 else "")
    if dose.status == PENDING:
        if dose.snoozed_until and dose.snoozed_until > now:
            return f"snoozed until {local_time(dose.snoozed_until, tz)}"
        if dose.due <= now:
            return f"DUE (reminded {dose.reminders_sent}x)" if dose.reminders_sent else "DUE"
        return "upcoming"
    return dose.status + (f" ({dose.reason})" if dose.reason else "")


def next_unanswered(doses: Sequence[Dose], now: datetime) -> Dose | None:
    """The first scheduled dose due after `now` that is not answered yet (one taken early
    is not "next"), or None. `doses` are the plan's, by due time (a slot with no row yet
    is a dose with id 0)."""
    return next((d for d in doses if d.due > now and not d.answered and not d.slot.startswith(AS_NEEDED_SLOT)), None)


# --- which dose does "take it now" mean? -----------------------------------------------


def resolve_slot(doses: Sequence[Dose], med: Medication, when: datetime, tz: tzinfo = UTC,
                 rules_of: Callable[[Dose], Medication] | None = None) -> Dose:
    """The unanswered dose of `med` that a take or skip at `when` refers to.

    A dose can be answered from `early_window` before it is due until the next dose's
    early window opens. Where two windows overlap, a dose already due wins over one not
    yet due (the latest due first): a forgotten 08:00 dose taken at 10:00 is the late
    08:00 dose, not the 12:00 one taken early, so the 12:00 reminder still comes and the
    minimum gap still guards it. A dose given up as missed still counts, so a late take
    can be recorded. Each dose's windows are those of `rules_of(dose)`, the medication as
    prescribed when it falls due (default: `med` for every dose).
    """
    own = rules_of or (lambda _: med)
    ordered = sorted((d for d in doses if d.medication == med.name), key=lambda d: d.due)
    candidates = []
    for i, dose in enumerate(ordered):
        rules = own(dose)
        opens = dose.due - rules.early_window
        closes = dose.due + rules.give_up_after
        if i + 1 < len(ordered):
            closes = max(closes, ordered[i + 1].due - own(ordered[i + 1]).early_window)
        if opens <= when < closes and not dose.answered:
            candidates.append(dose)
    overdue = [d for d in candidates if d.due <= when]
    if overdue:
        return max(overdue, key=lambda d: d.due)
    if candidates:
        return min(candidates, key=lambda d: d.due)
    answered = [d for d in ordered if d.answered and abs(d.due - when) <= own(d).give_up_after]
    if answered:
        d = min(answered, key=lambda d: abs(d.due - when))
        when_text = f" at {_clock(d.taken_at, tz)}" if d.taken_at else ""
        raise DoseError(
            f"the {d.slot} dose of {med.name} on {d.local_date} was already {d.status}{when_text}; "
            "nothing else is due around then"
        )
    raise DoseError(
        f"no dose of {med.name} is due around {_clock(when, tz)} "
        f"(its slots are {', '.join(med.slots)}); use --at to say when you took it"
    )


# --- what the notification says --------------------------------------------------------


def reminder_text(
    dose: Dose, med: Medication, config: Config, now: datetime, decision: Remind, private: bool
) -> tuple[str, str]:
    """(title, body) of a reminder."""
    title = "Medication due" if private else f"{med.name} {dose.dose}"
    late = now - dose.due
    lines = [f"{dose.slot} dose" + (f", {hours_and_minutes(late)} late" if late >= timedelta(minutes=1) else "")]
    if not private and med.instructions:
        lines.append(med.instructions)
    if decision.last:
        lines.append(
            f"Last reminder: if not answered by {local_time(give_up_at(dose, med), config.timezone)} "
            f"this dose is counted as missed. {config.missed_dose_advice}"
        )
    return title, "\n".join(lines)


def missed_text(dose: Dose, med: Medication, config: Config, private: bool) -> tuple[str, str]:
    title = "Dose missed" if private else f"Missed: {med.name} {dose.dose}"
    name = "" if private else f" {as_typed(med.name)}"  # private: the body must not name it either
    # No reminder came for a dose that fell due while no daemon ran: "not answered" would blame him.
    why = "fell due while reminderd was not running" if dose.reason == NOT_RUNNING else "was not answered"
    body = (
        f"The {dose.slot} dose {why} and is now counted as missed. "
        f"If you took it, record it with `reminderd take{name} --at {dose.slot}`. "
        f"{config.missed_dose_advice}"
    )
    return title, body


def advice_for_late_take(dose: Dose, next_due: datetime | None, taken_at: datetime, config: Config) -> str | None:
    """The missed-dose advice when a dose is taken so late that the next one is near."""
    if next_due is None or next_due - taken_at > config.near_next_dose:
        return None
    if taken_at - dose.due < config.on_time_window:
        return None
    return config.missed_dose_advice
