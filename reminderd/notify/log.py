"""The backend that is always there: a reminder becomes a line in the log (the journal,
under systemd). Used on a machine with no desktop, and as the last fallback."""

from __future__ import annotations

import logging

from reminderd.notify.base import AnswerCallback, Reminder

log = logging.getLogger("reminderd.notify")


class LogNotifier:
    name = "log"

    def start(self, on_answer: AnswerCallback) -> None:
        pass  # a log line has no buttons: answers come from the CLI

    def show(self, reminder: Reminder) -> None:
        body = reminder.body.replace("\n", " | ")
        hint = f" | {reminder.cli_hint}" if reminder.cli_hint else ""
        log.info("REMINDER %s: %s%s", reminder.title, body, hint)

    def close(self, key: str) -> None:
        pass

    def stop(self) -> None:
        pass
