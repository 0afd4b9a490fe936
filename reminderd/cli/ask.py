"""Questions asked in the terminal: which of several due doses was taken, and the
morning check-in's questions, each asked again until its answer is valid."""

from __future__ import annotations

from datetime import date

import click

from reminderd.cli.output import say
from reminderd.core.clock import local_time
from reminderd.errors import UsageError

CHECKIN_ANSWERS = {"severity": "Severity", "frequency": "Frequency", "woke": "Times woken", "note": "Note"}


def which_taken(due: list) -> list[str]:
    """Several doses are due: the one taken, or all of them."""
    click.echo(f"{len(due)} doses are due now:")
    for i, d in enumerate(due, 1):
        say(f"  {i}) {d.medication} {d.dose} ({d.slot})")
    choice = click.prompt("Which did you take? (a number, or 'all')", type=str).strip().lower()
    if choice == "all":
        return [d.medication for d in due]
    if choice.isdigit() and 1 <= int(choice) <= len(due):
        return [due[int(choice) - 1].medication]
    raise UsageError(f"{choice!r} is not one of 1 to {len(due)} or 'all'; nothing was recorded")


def ask_checkin(day: date, previous, tz) -> dict:
    """The check-in's questions for one night, after saying what was answered before."""
    from reminderd.core import checkin as core

    answers = _ask_night(f"Check-in for the night of {day:%A %d %B %Y}.", previous and core.describe(previous),
                         previous, tz, core.QUESTIONS, ("frequency", "woke"))  # no spasms: nothing to count
    answers["other_cause"] = click.confirm(core.OTHER_CAUSE_PROMPT, default=False)
    click.echo("")
    return answers


def ask_rating(rater: str, day: date, previous, tz) -> dict:
    """A rater's questions for one night, after saying what she answered before."""
    from reminderd.core import rating as core

    # Spasms that did not disturb the night woke her 0 times; she may still have felt one.
    return _ask_night(f"{rater}'s rating of the night of {day:%A %d %B %Y}.", previous and core.describe(previous),
                      previous, tz, core.QUESTIONS, ("woke",))


def _ask_night(heading: str, described: str | None, previous, tz, questions, not_after_none: tuple[str, ...]) -> dict:
    """A night's questions in order, after saying what was answered before (`described`):
    after severity 0 the questions `not_after_none` are not asked, and after a severity
    above 0 the frequency starts at 1 (there were spasms)."""
    say(heading)
    if previous is not None:
        say(f"Already answered at {local_time(previous.answered_at, tz, '%Y-%m-%d %H:%M')}: "
            f"{described}. Answering again replaces it.")
    answers: dict = {}
    for question in questions:
        if answers.get("severity") == 0 and question.key in not_after_none:
            continue
        if question.key == "frequency" and answers.get("severity"):
            question = question._replace(low=1)
        answers[question.key] = ask(question)
    click.echo("")
    return answers


def ask(question) -> int | str | None:
    from reminderd.core import checkin as core

    click.echo("")
    click.echo(question.prompt)
    if question.labels:
        for value in range(question.low, question.high + 1):
            click.echo(f"  {value}  {question.labels[value]}")
    name = CHECKIN_ANSWERS[question.key]
    text = name if question.low is None else f"{name} {question.low}-{question.high}"
    text += "" if question.required else " (Enter to skip)"
    while True:
        typed = click.prompt(text, default="", show_default=False)
        try:
            return core.parse_answer(question, typed, name.lower())
        except UsageError as err:
            click.echo(f"  {err}")
