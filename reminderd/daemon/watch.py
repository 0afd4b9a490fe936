"""The daemon's main thread: wait for a signal, a wall-clock jump, a write by the CLI or
a change of the machine's time zone, and have the doses looked at again.

APScheduler waits on the monotonic clock, which stops during suspend, and a wall-clock
change does not wake it. So this looks every `WATCH_S` seconds for a jump of the wall
clock against the monotonic one (suspend, resume, a clock or zone change) and for a
commit by another process (the CLI), and then re-reads the log and wakes the scheduler.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from reminderd.daemon import systemd
from reminderd.daemon.shared import Shared

log = logging.getLogger("reminderd")

WATCH_S = 2.0  # how often the main thread looks for clock jumps and CLI writes
JUMP_S = 5.0  # a wall-clock jump larger than this is a suspend or a clock change
ZONE_CHECK_S = 30.0  # how often the machine's time zone is looked at (config without one)


class Watch:
    def __init__(self, shared: Shared, refresh: Callable[[], None], reload: Callable[[], None]) -> None:
        self.shared = shared
        self.refresh = refresh
        self.reload = reload
        self.stop = threading.Event()
        self.reload_requested = threading.Event()
        self._clock_offset = time.time() - time.monotonic()
        self._data_version = 0
        self._zone_checked = time.monotonic()

    def mark(self) -> None:
        """Where the clocks and the log stand now. Taken before the daemon's first look at
        the doses, so that a jump while starting up is noticed too."""
        self._clock_offset = time.time() - time.monotonic()
        self._data_version = self.shared.store.data_version()

    def loop(self) -> None:
        """Until `stop` is set."""
        offset, data_version = self._clock_offset, self._data_version
        watchdog = systemd.watchdog_interval()
        last_ping = time.monotonic()
        # Event.wait, not time.sleep: it returns at once on stop, and it keeps working
        # when the wall clock is moved under it.
        while not self.stop.wait(WATCH_S):
            new_offset = time.time() - time.monotonic()
            jump = new_offset - offset
            offset = new_offset
            changed = self.shared.store.data_version()
            if abs(jump) > JUMP_S:
                log.info("the clock jumped by %+.0f s (suspend, resume or a clock change); "
                            "checking every dose", jump)
                self.refresh()
            elif changed != data_version:
                self.refresh()
            else:
                # The scheduler sleeps on a monotonic timeout computed when it last
                # looked, so a wall-clock step under JUMP_S (NTP) would make it late by
                # that much; a nudge bounds the lateness to WATCH_S.
                self.shared.scheduler.wakeup()
            data_version = changed
            if self.reload_requested.is_set() or self._machine_zone_changed():
                self.reload_requested.clear()
                self.reload()
            if watchdog and time.monotonic() - last_ping >= watchdog / 2:
                systemd.notify("WATCHDOG=1")
                last_ping = time.monotonic()

    def _machine_zone_changed(self) -> bool:
        """With no zone in the config, a change of the machine's zone (travel) is a
        reload. Looked at every ZONE_CHECK_S, not on every watch turn: it reads files."""
        config = self.shared.config
        if not config.zone_from_system or time.monotonic() - self._zone_checked < ZONE_CHECK_S:
            return False
        self._zone_checked = time.monotonic()
        from reminderd.config_file import system_zone_name

        zone = system_zone_name()
        if zone == config.timezone.key:
            return False
        log.info("the machine's time zone is now %s (was %s)", zone, config.timezone.key)
        return True
