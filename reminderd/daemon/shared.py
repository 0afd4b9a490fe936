"""What the daemon's parts share: the config in force (replaced on reload), the log, the
notifier, the clock, the timers and the one lock that keeps their work in turn."""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from reminderd.core.config.settings import Config
from reminderd.notify.base import Notifier, Reminder

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from reminderd.store import Store

log = logging.getLogger("reminderd")


@dataclass
class Shared:
    config: Config
    store: Store
    notifier: Notifier
    now: Callable[[], datetime]
    scheduler: BaseScheduler
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Set by `stop`: every part checks it under the lock before it touches the log (timers
    # through `while_running`), so a timer or button that comes while the daemon stops does
    # nothing (the log is closed after this, and a tick on a closed log was a traceback at
    # every busy stop).
    stopped: bool = False
    # The phone page's address for a config (remote.page_url), handed down so that the
    # parts below the page (the push's message to a rater) can link to it.
    page_url: Callable[[Config], str | None] = lambda config: None

    def stop(self) -> None:
        """From now on no part does any work; returns once the part at work has finished."""
        with self.lock:
            self.stopped = True

    def show_plain(self, key: str, title: str, body: str) -> None:
        """A notice without buttons; its failure is logged, never raised."""
        try:
            self.notifier.show(Reminder(key=key, title=title, body=body, resident=False, category="x-reminderd"))
        except Exception:
            log.exception("could not show %s", key)


Method = TypeVar("Method", bound=Callable[..., Any])


def while_running(method: Method) -> Method:
    """A timer's work, for a part with `self.shared`: done under the lock, in turn with the
    other parts, and not at all once the daemon has stopped (the log is closed next)."""

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        shared = self.shared
        with shared.lock:
            if shared.stopped:
                return None
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]
