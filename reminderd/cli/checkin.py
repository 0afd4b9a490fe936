"""`reminderd checkin`: last night's spasms, from flags, questions in the terminal, or
the small window the daemon opens in the morning; with --rater, a second rater's night."""

from __future__ import annotations

import sys
from datetime import date, datetime

import click

from reminderd.cli import App, pass_app
from reminderd.core.clock import local_time
from reminderd.core.words import VIA_CLI, VIA_WINDOW
from reminderd.cli.output import say
from reminderd.cli.params import DATE
from reminderd.errors import ReminderdError, UsageError

CHECKIN_FLAGS = {"severity": "--severity", "frequency": "--frequency", "woke": "--woke", "note": "--note",
                 "other_cause": "--other-cause"}


@click.command()
@click.option("--night", metavar="DATE", type=DATE,
              help="Which night, by the date of its evening, YYYY-MM-DD [default: last night].")
@click.option("--severity", metavar="0-3", help="How bad the spasms were: 0 none, 1 mild, 2 moderate, 3 severe.")
@click.option("--frequency", metavar="0-4", help="Penn Spasm Frequency Scale: 0 none, 1 only when moved or touched, "
              "2 fewer than one an hour, 3 more than one an hour, 4 more than ten an hour.")
@click.option("--woke", metavar="N", help="How many times spasms woke you.")
@click.option("--note", metavar="TEXT", help="Anything else about the night.")
@click.option("--other-cause", is_flag=True, default=None,
              help="Something else could explain the night: unwell, an infection, heat, alcohol, a relapse "
                   "(the report allows for the nights marked).")
@click.option("--window", is_flag=True, help="Ask in a small window instead of the terminal.")
@click.option("--rater", metavar="NAME", help="Answer as the [[rater]] called NAME: her own questions about his night.")
@click.option("--undo", is_flag=True, help="With --rater: take back her last answer.")
@pass_app
def checkin(app: App, night: date | None, severity: str | None, frequency: str | None,
            woke: str | None, note: str | None, other_cause: bool | None, window: bool, rater: str | None,
            undo: bool) -> None:
    """How were your spasms last night? Asks in the terminal, or takes the answers as flags.

    One check-in per night: answering a night again replaces its answers (both stay in
    the log). Without --severity it asks each question; Enter skips the optional ones.

    With --rater NAME, a second rater (his partner) answers her own questions instead: how
    much his spasms disturbed the night (--severity 0-3: none, mild, moderate, severe), how
    often she felt them (--frequency 0 never, 1 once, 2 a few times, 3 often, 4 all night)
    and how many times they woke her (--woke). Nothing about his doses is shown.

    \b
    reminderd checkin
    reminderd checkin --severity 2 --frequency 3 --woke 1 --note "left leg"
    reminderd checkin --severity 3 --other-cause --note "a cold"
    reminderd checkin --night 2026-11-20 --severity 0
    reminderd checkin --rater Partner
    reminderd checkin --rater Partner --severity 1 --frequency 2 --woke 0
    reminderd checkin --rater Partner --undo
    """
    from reminderd.core import checkin as core

    given = {"frequency": frequency, "woke": woke, "note": note}
    if undo:
        if rater is None or night is not None or severity is not None or window or other_cause is not None \
                or any(v is not None for v in given.values()):
            raise UsageError("--undo takes back a rater's last answer; expected --rater NAME with it and no answers")
        _undo_rating(app, rater)
        return
    tz, now = app.config.timezone, app.now()
    day = night or core.last_night(now, tz)
    core.check_night(day, now, tz)
    if rater is not None:
        if window or other_cause is not None:
            raise UsageError(f"{'--window' if window else '--other-cause'} is his check-in's; expected --rater NAME "
                             "without it (she answers her own questions, in the terminal or on her page)")
        _rate(app, rater, day, severity, given, now)
        return
    given["other_cause"] = other_cause
    if window:
        if severity is not None or any(v is not None for v in given.values()):
            raise UsageError("--window asks every question itself; expected no --severity, --frequency, --woke, "
                             "--note or --other-cause with it")
        _in_window(app, day)
        return
    if _answers_given(severity, given, "--severity 0-3 (and optionally --frequency, --woke, --note, --other-cause)"):
        answers = {"severity": severity, **given}
    else:
        from reminderd.cli.ask import ask_checkin

        answers = ask_checkin(day, app.store.checkin(day), tz)
    _record(app, day, answers, now, VIA_CLI, CHECKIN_FLAGS)


def _answers_given(severity: str | None, given: dict, expected: str) -> bool:
    """Whether the answers come as flags (else each question is asked in the terminal)."""
    if severity is not None:
        return True
    flags = [CHECKIN_FLAGS[k] for k, v in given.items() if v is not None]
    if flags:
        raise UsageError(f"{', '.join(flags)} given without --severity; expected --severity 0-3 as well, "
                         "or no answers as flags to be asked each question")
    if not sys.stdin.isatty():
        raise UsageError(f"no answers given and no terminal to ask in; expected {expected}")
    return False


def _rate(app: App, name: str, day: date, severity: str | None, given: dict, now: datetime) -> None:
    from reminderd import services
    from reminderd.core import rating as core

    rater = services.pick_rater(app.config, name)
    if _answers_given(severity, given, f"--rater {name} --severity 0-3 (and optionally --frequency, --woke, --note)"):
        answers = {"severity": severity, **given}
    else:
        from reminderd.cli.ask import ask_rating

        answers = ask_rating(rater.name, day, app.store.rating(rater.name, day), app.config.timezone)
    saved = services.rate(app.store, app.config, rater.name, day, **answers, now=now, via=VIA_CLI,
                          names=CHECKIN_FLAGS)
    entry, previous = saved.entry, saved.replaced
    say(f"Recorded {entry.rater}'s rating of the night of {entry.night:%A %d %B %Y}: {core.describe(entry)}.")
    say(_blinding_line(entry))
    if previous is not None:
        when = local_time(previous.answered_at, app.config.timezone, "%Y-%m-%d %H:%M")
        say(f"It replaces the answer given at {when} ({core.describe(previous)}); both stay in the log.")


def _blinding_line(entry) -> str:
    from reminderd.core import rating as core

    if entry.blinded:
        return "Blinded: nothing reminderd sent had told her about that night's doses."
    return (f"Not blinded: {core.told_text(entry.told)} had told her about that night's doses before she "
            "answered; the report's blinded figure leaves this night out.")


def _undo_rating(app: App, name: str) -> None:
    from reminderd import services
    from reminderd.core import rating as core

    done = services.undo_rating(app.store, app.config, name, app.now(), VIA_CLI)
    say(f"Took back {done.undone.rater}'s answer for the night of {done.undone.night:%A %d %B %Y} "
        f"({core.describe(done.undone)}).")
    say(f"That night is now: {core.describe(done.now)}." if done.now is not None else
        "That night has no rating now; the answer stays in the log.")


def _in_window(app: App, day: date) -> None:
    from reminderd.core import checkin as core
    from reminderd.notify.checkin_window import open_checkin_window

    tz = app.config.timezone
    saved: list = []

    def save(severity, frequency, woke, note, other_cause) -> None:
        answers = {"severity": severity, "frequency": frequency, "woke": woke, "note": note,
                   "other_cause": other_cause}
        saved.append(_record(app, day, answers, app.now(), VIA_WINDOW))

    why_not = open_checkin_window(day, save, app.store.checkin(day))
    if why_not is not None:
        hint = "" if day == core.last_night(app.now(), tz) else f" --night {day}"
        raise ReminderdError(f"the check-in window cannot open: {why_not}. Answer in a terminal with: "
                             f"reminderd checkin{hint}")
    if not saved:
        click.echo(f"Nothing recorded: the check-in window for the night of {day} was closed without saving.")


def _record(app: App, day: date, answers: dict, now: datetime, via: str, names: dict | None = None):
    from reminderd import services
    from reminderd.core import checkin as core

    saved = services.checkin(app.store, app.config, day, **answers, now=now, via=via, names=names)
    entry, previous = saved.entry, saved.replaced
    say(f"Recorded the check-in for the night of {entry.night:%A %d %B %Y}: {core.describe(entry)}.")
    if previous is not None:
        when = local_time(previous.answered_at, app.config.timezone, "%Y-%m-%d %H:%M")
        say(f"It replaces the answer given at {when} ({core.describe(previous)}); both stay in the log.")
    return entry
