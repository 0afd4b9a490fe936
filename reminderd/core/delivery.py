"""How a message travels, as pure rules: its stable id, what one try came to, when a
failed try is made again, and what becomes of a try the daemon never saw the end of.

"Sent" means the server acknowledged the message. A try that did not end so either
- never reached the server (UNREACHED: no connection, no name, no TLS, or stopped before
  the request was written): tried again with back-off, since nothing can have arrived;
- was answered with a refusal (REFUSED: an HTTP error status, an SMTP error): tried again
  with back-off, since the server said it did not take it;
- went out and its answer was never seen (UNCONFIRMED: the request was written, then the
  server timed out or reset the connection): never sent again, since it may have arrived
  and a repeat would then arrive twice. It is logged and `status` shows it.
A daemon killed during a try (kill -9, a crash, a power cut) cannot know which of these it
was: the next run sends the message once more, marked as a repeat and with the same id;
if that try is cut short too, the message is given up as unconfirmed. So a message is
received at most twice, and the second time says so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

from reminderd.core.clock import local_time

SENT, REFUSED, UNREACHED, UNCONFIRMED = "sent", "refused", "unreached", "unconfirmed"
# Backoff between tries of one message; the last delay repeats until GIVE_UP_AFTER.
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
                timedelta(minutes=8), timedelta(minutes=15))
GIVE_UP_AFTER = timedelta(hours=12)  # a message older than this is stale, not news


def message_id(key: str, to: str, recorded_at: datetime) -> str:
    """The message's id, the same on every try and after a restart: from what it is about,
    to whom, and the instant it was recorded (so two people's daemons sending "the summary
    of 28 Nov" to one shared topic never give the same id)."""
    digest = hashlib.sha256(f"{to}\n{key}\n{recorded_at.isoformat()}".encode()).hexdigest()
    return f"rmd-{digest[:20]}"


def next_try(first_tried: datetime, failures: int, now: datetime) -> datetime | None:
    """When to try a message again after `failures` failed tries; None: give it up."""
    if now - first_tried >= GIVE_UP_AFTER:
        return None
    return now + RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1]


@dataclass(frozen=True)
class Try:
    """One try as the log remembers it: its number, when it began, whether it was sent as
    a repeat, and whether its end was recorded (a failure; a success settles the message)."""

    number: int
    at: datetime
    repeat: bool
    ended: bool


@dataclass(frozen=True)
class Resume:
    """What a message recorded but not settled by the last run becomes at start."""

    send: bool  # False: give it up now as unconfirmed (a repeat was cut short too)
    tries: int  # tries made so far
    failures: int
    repeat_of: datetime | None  # the try whose end was never seen, which this send repeats


def resume(tries: Sequence[Try]) -> Resume:
    if not tries:
        return Resume(True, 0, 0, None)
    tries = sorted(tries, key=lambda t: t.number)
    last = tries[-1]
    failures = sum(t.ended for t in tries)
    interrupted = [t for t in tries if not t.ended]
    if last.ended:  # a repeat that failed before reaching the server is still the repeat
        return Resume(True, len(tries), failures, interrupted[-1].at if interrupted else None)
    if last.repeat:
        return Resume(False, len(tries), failures, None)
    return Resume(True, len(tries), failures, last.at)


def repeat_note(repeat_of: datetime, tz: ZoneInfo) -> str:
    """The line a repeat carries, so that whoever gets it twice can tell."""
    return (f"(Sent again: reminderd stopped while sending this at {local_time(repeat_of, tz)} "
            "and cannot tell whether it arrived then.)")
