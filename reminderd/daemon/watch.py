"""The daemon's main thread: wait for a signal, a write to the log by another process, a
wall-clock jump or a change of the machine's time zone, and have the doses looked at again.

At rest it does as little as it can. Writes are heard, not looked for: the kernel reports
each write to the log (logwrites.py), and only then is SQLite asked whether another
connection committed; so is a change of the machine's zone (machinezone.py), and only
then is the zone read. The wall clock is looked at every `WATCH_S`: APScheduler waits on
the monotonic clock, which stops during suspend, and a wall-clock change does not wake it,
so a jump of the wall clock against the monotonic one (suspend, a clock or zone change)
has every dose looked at again. That look is two clock reads, no I/O and no other thread
woken; it stays a look on a timer because it must also see a clock that only the process
believes in (libfaketime in the tests), which no kernel notification reports. logind's
PrepareForSleep (sleepwatch.py) tells of a resume at once where there is a system bus.
"""

from __future__ import annotations

import logging
import math
import os
import select
import signal
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Callable

from reminderd.daemon import systemd
from reminderd.daemon.folderwatch import FolderWatch
from reminderd.daemon.logwrites import LogWrites
from reminderd.daemon.machinezone import CHECK_S, MachineZone
from reminderd.daemon.shared import Shared
from reminderd.errors import StoreError

log = logging.getLogger("reminderd")

WATCH_S = 2.0  # how often the main thread compares the wall clock with the monotonic one
# The promise (README, Performance): a dose that fell due during a suspend or a clock jump
# is reminded within this long of the wake-up. A look every WATCH_S keeps it where no
# kernel or logind reports the jump (a clock that only libfaketime shows, in the tests).
JUMP_REMINDED_WITHIN_S = 5.0
JUMP_S = 5.0  # a wall-clock jump larger than this is a suspend or a clock change
# A smaller step (NTP) moves the scheduler's next wake by as much: it is woken to wait anew.
STEP_S = 0.1

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo


class Watch:
    def __init__(self, shared: Shared, refresh: Callable[[], None], reload: Callable[[], None],
                 follow_zone: Callable[[ZoneInfo], None]) -> None:
        self.shared = shared
        self.refresh = refresh
        self.reload = reload
        self.follow_zone = follow_zone  # the machine's zone changed, for a config that names none
        self.stop = threading.Event()
        self.reload_requested = threading.Event()
        self._clock_offset = time.time() - time.monotonic()
        self._data_version = 0
        self._log_unread = False  # a write was heard but its commit could not be read yet
        self._writes = LogWrites(shared.store.path)
        self._zone = MachineZone()
        self._zone_nameless = False  # said once, not at every look (every 30 s without a watch)
        self._zone_looked = time.monotonic()

    def mark(self) -> None:
        """Where the clocks and the log stand now. Taken before the daemon's first look at
        the doses, so that a jump or a write while starting up is noticed too: the log's
        writes are heard from here on, and the version counts every commit before."""
        self._clock_offset = time.time() - time.monotonic()
        self._writes.start()
        self._zone.start()
        self._data_version = self.shared.store.committed_version()

    def loop(self) -> None:
        """Until `stop` is set (by a signal handler: a signal wakes the wait at once)."""
        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        previous = signal.set_wakeup_fd(wake_w)
        poller = select.poll()
        poller.register(wake_r, select.POLLIN)
        writes, zone = (_register(poller, heard) for heard in (self._writes, self._zone))
        watchdog = systemd.watchdog_interval()
        next_look = time.monotonic()
        ping_by = next_look + (watchdog / 2 if watchdog else math.inf)  # half the unit's WatchdogSec
        try:
            while not self.stop.is_set():
                # poll's timeout runs on the monotonic clock, so the wait keeps working
                # when the wall clock is moved under it.
                wake_at = min(next_look, ping_by)
                ready = {fd for fd, _ in poller.poll(math.ceil(max(0.0, wake_at - time.monotonic()) * 1000))}
                if wake_r in ready:
                    _drain(wake_r)
                written = writes in ready and self._writes.written()
                zone_set = zone in ready and self._zone.changed()
                # A watch that ended: the log is asked on each look, the zone every CHECK_S.
                writes, zone = _unregister(poller, writes, self._writes), _unregister(poller, zone, self._zone)
                looked = time.monotonic() >= next_look
                if looked:
                    next_look = time.monotonic() + WATCH_S
                    self._look_at_clock()
                    written = written or self._log_unread or writes is None
                    zone_set = zone_set or (zone is None and time.monotonic() - self._zone_looked >= CHECK_S)
                # The ping rides on a look when the next look would be too late for it, so
                # it costs no wake-up of its own (unless WatchdogSec is under 2 × WATCH_S).
                if time.monotonic() + (WATCH_S if looked else 0) >= ping_by:
                    systemd.notify("WATCHDOG=1")
                    ping_by = time.monotonic() + watchdog / 2
                if written:
                    self._look_at_log()
                if zone_set:  # before a reload, which reads the machine's zone as tzlocal last read it
                    self._look_at_zone()
                if self.reload_requested.is_set():
                    self.reload_requested.clear()
                    self.reload()
        finally:
            signal.set_wakeup_fd(previous)
            os.close(wake_r)
            os.close(wake_w)
            self._writes.close()
            self._zone.close()

    def _look_at_clock(self) -> None:
        offset = time.time() - time.monotonic()
        jump, self._clock_offset = offset - self._clock_offset, offset
        if abs(jump) > JUMP_S:
            log.info("the clock jumped by %+.0f s (suspend, resume or a clock change); checking every dose", jump)
            self.refresh()
        elif abs(jump) > STEP_S:
            # The scheduler sleeps on a monotonic timeout computed when it last looked, so
            # a step would make it early or late by that much.
            self.shared.scheduler.wakeup()

    def _look_at_log(self) -> None:
        """Another process may have written: if it committed, look at every dose again."""
        try:
            version = self.shared.store.committed_version()
        except (sqlite3.Error, StoreError) as err:  # a writer held the log past the busy timeout
            log.warning("could not read the log after a write by another process (%s); trying again", err)
            self._log_unread = True  # again on the next look
            return
        self._log_unread = False
        if version != self._data_version:
            self._data_version = version
            self.refresh()

    def _look_at_zone(self) -> None:
        """With no zone in the config, the machine's zone is followed (he flies)."""
        self._zone_looked = time.monotonic()
        if not self.shared.config.zone_from_system:
            return
        zone = self._zone.now()
        was_nameless, self._zone_nameless = self._zone_nameless, zone is None
        if zone is None:
            if was_nameless:
                return
            log.warning("the machine's time zone changed but has no name reminderd can read (a zone file copied into "
                        "/etc/localtime?); the doses stay in %s", self.shared.config.timezone.key)
        elif zone.key != self.shared.config.timezone.key:
            self.follow_zone(zone)


def _register(poller: select.poll, heard: FolderWatch) -> int | None:
    if not heard.watching:
        return None
    poller.register(heard.fileno(), select.POLLIN)
    return heard.fileno()


def _unregister(poller: select.poll, fd: int | None, heard: FolderWatch) -> int | None:
    if fd is not None and not heard.watching:
        poller.unregister(fd)
        return None
    return fd


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass
