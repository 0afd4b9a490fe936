"""Answering doses from the command line: take, skip, snooze, undo, edit, refill."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import click

from reminderd.cli import App, pass_app
from reminderd.cli.output import nobody_reminds, say, say_note
from reminderd.core.clock import local_time
from reminderd.cli.params import DATE, DURATION, TABLETS, When
from reminderd.core.typed import WHEN_HELP, TypedTime
from reminderd.core.words import AS_NEEDED_SLOT, MISSED, PENDING, SKIPPED, TAKEN
from reminderd.errors import UsageError


@click.command()
@click.argument("medication", required=False)
@click.option("--at", "at", metavar="WHEN", type=When(), help=f"When it was taken: {WHEN_HELP} [default: now].")
@click.option("--force", is_flag=True, help="Record it even if it is closer than min_gap to another dose.")
@click.option("--all", "take_all", is_flag=True, help="Every dose due now (several due together).")
@pass_app
def take(app: App, medication: str | None, at: TypedTime | None, force: bool, take_all: bool) -> None:
    """Confirm that a dose was taken.

    Records the unanswered dose nearest WHEN (early, on time, late, or one already
    counted as missed). MEDICATION may be left out when only one is configured, or
    when only one medication has a dose due now; with several due, it asks which
    (or --all takes them all).

    \b
    reminderd take
    reminderd take --all
    reminderd take gabapentin --at 07:55
    reminderd take gabapentin --at "2026-11-20 22:10"
    """
    from reminderd import services

    if medication is not None and take_all:
        raise UsageError("name a medication or use --all, not both")
    when = at or TypedTime(app.now())
    names = [medication] if medication is not None else _which_due(app, when.instant, take_all)
    with app.store.write():  # several doses: all recorded, or none
        taken = [services.take(app.store, app.config, name, when.instant, app.now(), force) for name in names]
    _say_if_nobody_reminds(app)
    for i, answer in enumerate(taken):
        _echo_taken(app, answer, when if i == 0 else None)


def _which_due(app: App, when: datetime, take_all: bool) -> list[str | None]:
    """A bare `take`: the medication whose dose is due at `when` (as prescribed then), or
    ask which of several."""
    from reminderd import services

    due = services.due_at(app.store, app.config, when, only_if_several=not take_all)
    if not due:
        if take_all:
            raise UsageError("no dose is due now; nothing to take")
        return [None]  # services.take says what to name
    if len(due) == 1 or take_all:
        return [d.medication for d in due]
    if not sys.stdin.isatty():
        listing = "; ".join(f"{i}) {d.medication} {d.dose} ({d.slot})" for i, d in enumerate(due, 1))
        raise UsageError(f"{len(due)} doses are due now: {listing}; name one, or use --all")
    from reminderd.cli.ask import which_taken

    return which_taken(due)


def _say_if_nobody_reminds(app: App) -> str | None:
    """After an answer, and above it: "Reminders are off: …" when no daemon reminds from
    this log (on stderr, so a script reading the answer is unaffected)."""
    off = nobody_reminds(app)
    if off:
        say(off, err=True)
    return off


def _echo_taken(app: App, answer, when) -> None:
    from reminderd.core.doses import timing

    d, tz = answer.dose, app.config.timezone
    say(f"Recorded: {d.medication} {d.dose}, {d.slot} dose of {d.local_date}, taken at "
        f"{local_time(d.taken_at, tz)} ({timing(d.late_minutes or 0, app.config.on_time_window)}).")
    if when is not None:  # how --at was read, said once
        say_note(when)
    if answer.advice:
        say(f"Note: the next dose is near. {answer.advice}")


@click.command()
@click.argument("medication", required=False)
@click.option("--at", "at", metavar="WHEN", type=When(), help=f"Which dose: {WHEN_HELP} [default: now].")
@click.option("--reason", help="Why it was skipped (kept in the log).")
@pass_app
def skip(app: App, medication: str | None, at: TypedTime | None, reason: str | None) -> None:
    """Record that a dose was skipped on purpose.

    \b
    reminderd skip gabapentin --reason "nausea"
    """
    from reminderd import services

    when = at or TypedTime(app.now())
    d = services.skip(app.store, app.config, medication, when.instant, app.now(), reason).dose
    say(f"Recorded: {d.medication} {d.slot} dose of {d.local_date} skipped.")
    say_note(when)


@click.command()
@click.argument("medication", required=False)
@click.option("--for", "length", metavar="DURATION", type=DURATION,
              help='How long, e.g. "10m" or "1h" [default: the medication\'s snooze].')
@pass_app
def snooze(app: App, medication: str | None, length: timedelta | None) -> None:
    """Remind again later about the dose due now.

    \b
    reminderd snooze --for 20m
    """
    from reminderd import services

    d = services.snooze(app.store, app.config, medication, length, app.now()).dose
    off = _say_if_nobody_reminds(app)
    until = local_time(d.snoozed_until, app.config.timezone)
    say(f"Snoozed: {d.medication} {d.slot} dose until {until}, but no reminder will come: the daemon is not running."
        if off else f"Snoozed: {d.medication} {d.slot} dose, reminding again at {until}.")


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def undo(app: App, yes: bool) -> None:
    """Reverse the last answer (Taken, Skip, Snooze or a correction).

    It is shown first and asked about; the answer and its undoing both stay in the log.
    Run it again to undo the answer before.
    """
    from reminderd import services

    event, dose = services.last_answer(app.store)
    say(f"Last answer: {services.describe_event(event, dose, app.config)}")
    if not yes and not click.confirm("Undo it?", default=False):
        click.echo("Nothing changed.")
        return
    done = services.undo(app.store, app.config, event["id"], app.now())
    d = done.dose
    if d.slot.startswith(AS_NEEDED_SLOT):  # an as-needed dose was never waiting: undone, it is void
        say(f"Undone: the {d.slot} dose of {d.medication} on {d.local_date} no longer counts as taken "
            f"(the log keeps it as {d.status}, \"{d.reason}\").")
        return
    say(f"Undone: the {d.slot} dose of {d.medication} on {d.local_date} is {_state(d, app.now(), app.config.timezone)}"
        + (f"; {done.note}." if done.note else " again."))


def _state(d, now: datetime, tz) -> str:
    """A dose's state after an undo, in the words `status` uses for it."""
    if d.status == TAKEN:
        return f"taken at {local_time(d.taken_at, tz)}"
    if d.status != PENDING:
        return d.status + (f" ({d.reason})" if d.reason else "")
    if d.snoozed_until is not None and d.snoozed_until > now:
        return f"snoozed until {local_time(d.snoozed_until, tz)}"
    return "waiting for an answer" if d.due <= now else "upcoming"


@click.command()
@click.argument("medication", required=False)
# eager: read before --taken-at, whose bare "HH:MM" is on this date
@click.option("--date", "day", metavar="DATE", type=DATE, required=True, is_eager=True,
              help="The dose's local date, YYYY-MM-DD.")
@click.option("--slot", required=True, help='The dose\'s slot, "HH:MM".')
@click.option("--status", type=click.Choice([TAKEN, SKIPPED, MISSED, PENDING]), help="The corrected status.")
@click.option("--taken-at", metavar="WHEN", type=When(day_from="day"),
              help='The corrected time it was taken: "HH:MM" on --date, or "YYYY-MM-DD HH:MM".')
@click.option("--reason", help="Why (kept in the log).")
@pass_app
def edit(app: App, medication: str | None, day, slot: str, status: str | None,
         taken_at: TypedTime | None, reason: str | None) -> None:
    """Correct a dose's status or the time it was taken.

    \b
    reminderd edit gabapentin --date 2026-11-20 --slot 22:00 --status taken --taken-at "2026-11-20 22:40"
    reminderd edit --date 2026-11-21 --slot 08:00 --status missed
    """
    from reminderd import services

    d = services.edit(app.store, app.config, medication, day, services.parse_slot(slot),
                      app.now(), status, taken_at and taken_at.instant, reason)
    taken = f", taken at {local_time(d.taken_at, app.config.timezone, '%Y-%m-%d %H:%M')}" if d.taken_at else ""
    say(f"Corrected: {d.medication} {d.slot} dose of {d.local_date} is {d.status}{taken}.")
    if taken_at:
        say_note(taken_at)


@click.command()
@click.argument("medication")
@click.argument("tablets", type=TABLETS)
@pass_app
def refill(app: App, medication: str, tablets: float) -> None:
    """Record a refill: TABLETS more of MEDICATION on hand.

    \b
    reminderd refill gabapentin 90
    """
    from reminderd import services

    supply = services.refill(app.store, app.config, medication, tablets, app.now())
    say(f"Refilled: {supply.medication} now {supply.text}.")
