"""Notification backends and the fallback chain the daemon talks to.

"auto" tries the freedesktop D-Bus backend (buttons), then plyer (no buttons), then the
log. A backend that fails while showing is dropped for the next one, and the better
backends are tried again on each later reminder, so a notification server that comes
back is used again without restarting the daemon.
"""

from __future__ import annotations

import logging
import time

from reminderd.errors import NotifierUnavailable
from reminderd.notify.base import AnswerCallback, Notifier, Reminder

logger = logging.getLogger("reminderd.notify")

CHAINS = {
    "auto": ("dbus", "plyer", "log"),
    "dbus": ("dbus", "log"),
    "plyer": ("plyer", "log"),
    "log": ("log",),
}
RETRY_AFTER_S = 30.0  # how soon a failed backend is tried again


def make_backend(name: str) -> Notifier:
    if name == "dbus":
        from reminderd.notify.dbus import DBusNotifier

        return DBusNotifier()
    if name == "plyer":
        from reminderd.notify.plyer_backend import PlyerNotifier

        return PlyerNotifier()
    from reminderd.notify.log import LogNotifier

    return LogNotifier()


class FallbackNotifier:
    """Shows each reminder with the best backend that works now; says so when that changes."""

    def __init__(self, chain: tuple[str, ...], monotonic=time.monotonic) -> None:
        self.chain = chain
        self._monotonic = monotonic
        self._backends: dict[str, Notifier] = {}
        self._failed_at: dict[str, float] = {}
        self.why_not: dict[str, str] = {}  # the last reason each backend could not be used
        self._on_answer: AnswerCallback = lambda key, action: None
        self.active: str | None = None

    @property
    def name(self) -> str:
        return self.active or self.chain[0]

    def start(self, on_answer: AnswerCallback) -> None:
        self._on_answer = on_answer
        self._backend_for_next_show()

    def _backend_for_next_show(self) -> Notifier:
        for name in self.chain:
            failed = self._failed_at.get(name)
            if failed is not None and self._monotonic() - failed < RETRY_AFTER_S:
                continue
            backend = self._backends.get(name)
            if backend is None:
                backend = make_backend(name)
                try:
                    backend.start(self._on_answer)
                except NotifierUnavailable as err:
                    self._fail(name, err)
                    continue
                self._backends[name] = backend
            self._use(name)
            return backend
        raise AssertionError("the log backend never fails")  # pragma: no cover

    def _fail(self, name: str, err: Exception) -> None:
        # A started backend is kept: the D-Bus one reconnects by itself and shows its
        # open reminders again when the notification server comes back.
        self._failed_at[name] = self._monotonic()
        self.why_not[name] = str(err)
        if self.active in (name, None):
            logger.warning("notifications: %s backend unavailable (%s)", name, err)

    def _use(self, name: str) -> None:
        if name != self.active:
            # The first backend of the chain is what was asked for; any other is a fallback.
            say = logger.info if name == self.chain[0] else logger.warning
            say("notifications: showing reminders with the %s backend", name)
            self.active = name
        self._failed_at.pop(name, None)

    def show(self, reminder: Reminder) -> None:
        while True:
            backend = self._backend_for_next_show()
            try:
                backend.show(reminder)
                return
            except NotifierUnavailable as err:
                self._fail(backend.name, err)

    def close(self, key: str) -> None:
        for backend in self._backends.values():
            backend.close(key)

    def stop(self) -> None:
        for backend in self._backends.values():
            backend.stop()
        self._backends.clear()


def make_notifier(backend: str) -> FallbackNotifier:
    return FallbackNotifier(CHAINS[backend])


__all__ = ["FallbackNotifier", "Notifier", "Reminder", "make_notifier"]
