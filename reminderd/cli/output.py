"""How the commands print: the note on how a typed time was read, and a
file written only the user can read."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from reminderd.errors import ReminderdError

if TYPE_CHECKING:
    from pathlib import Path


def say_note(when) -> None:
    """Say back how a typed time was read, when that is not the obvious reading."""
    if when.note:
        click.echo(f"Note: {when.note}.")


def write_out(text: str, output: Path | None, done: str) -> None:
    """To the terminal, or to a file only the user can read (health data)."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        raise ReminderdError(f"cannot write {output}: {err.strerror}") from None
    click.echo(done)
