"""How the commands print: a line holding text from the log or the config (its control
characters shown, never run), the note on how a typed time was read, and a file written
only the user can read."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from reminderd.errors import ReminderdError
from reminderd.terminal import visible

if TYPE_CHECKING:
    from pathlib import Path


def say(line: str, err: bool = False) -> None:
    """One line of output that holds names, reasons or notes from the log or the config:
    a control character in them is shown as an escape, never run by the terminal."""
    click.echo(visible(line), err=err)


def nobody_reminds(app) -> str | None:
    """"Reminders are off: …" when no daemon reminds from this log (see reminding.py)."""
    from reminderd.reminding import off_banner

    tz = app.config.timezone  # a config that cannot be used is refused before the log is opened
    return off_banner(app.store, app.db_file, app.now(), tz)


def write_exact(text: str) -> None:
    """CSV or JSON to standard output, byte for byte: click would strip what looks like a
    colour code from output that is not a terminal (a file, a pipe), so a reason holding
    an escape sequence would not reach the file as it was recorded."""
    click.echo(text, nl=False, color=True)


def say_note(when) -> None:
    """Say back how a typed time was read, when that is not the obvious reading."""
    if when.note:
        say(f"Note: {when.note}.")


def write_out(text: str, output: Path | None, done: str) -> None:
    """To the terminal, or to a file only the user can read (health data)."""
    if output is None:
        write_exact(text)
        return
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        raise ReminderdError(f"cannot write {output}: {err.strerror}") from None
    click.echo(done)
