"""The one small interface every notification backend speaks.

The daemon builds a `Reminder` (what to show) and hands it to a backend; the backend
tells the daemon which button was pressed through the `on_answer` callback it was
given. The daemon never imports a particular backend and a backend never touches the
database: answers travel back only through the callback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

# What a click on the notification body sends in the freedesktop protocol: never an answer
# (a click on a banner is how people open or dismiss it), so the backend keeps it to itself.
DEFAULT = "default"

AnswerCallback = Callable[[str, str], None]
"""on_answer(key, action): `key` is the Reminder's key, `action` one of its action keys."""


@dataclass(frozen=True)
class Reminder:
    """One notification to show, or to show again in place of the last one with its key.

    `key` names the thing being reminded ("dose:42", "checkin:2026-11-27"): a backend
    that can replace notifications replaces the previous one with the same key instead
    of stacking a new one.
    """

    key: str
    title: str
    body: str
    # (action key, button label) in display order; empty for a plain message.
    actions: tuple[tuple[str, str], ...] = ()
    # "low", "normal" or "critical", as in the freedesktop spec.
    urgency: str = "normal"
    # Stays in the notification centre until answered (freedesktop "resident" hint).
    resident: bool = True
    # Text a backend without buttons appends, telling how to answer from a terminal.
    cli_hint: str = ""
    category: str = "x-reminderd.dose"
    extra: dict[str, str] = field(default_factory=dict)


class Notifier(Protocol):
    """What the daemon needs from a backend."""

    name: str

    def start(self, on_answer: AnswerCallback) -> None:
        """Connect and begin delivering answers to `on_answer` (from any thread)."""

    def show(self, reminder: Reminder) -> None:
        """Show `reminder`, replacing an earlier one with the same key. Must not raise
        for a missing server: raise `NotifierUnavailable` so the daemon can fall back."""

    def close(self, key: str) -> None:
        """Withdraw the notification with `key`, if one is open. Never raises."""

    def stop(self) -> None:
        """Disconnect. Never raises."""
