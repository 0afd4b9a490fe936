"""`reminderd run`: the daemon that turns slots into reminders, put together from its
parts, each with one job:

- scheduler.py: rows for the slots and one timer per open dose, and what a timer does;
- reminders.py: a dose's or group's decision as the notification that shows it;
- buttons.py: answers from notification buttons, through the services;
- morning.py: the morning check-in;
- watch.py: the main thread's look for clock jumps, CLI writes and zone changes
  (logwrites.py, machinezone.py: what the kernel tells of them);
- supply.py, sleepwatch.py, systemd.py: refill warnings, logind's wake-ups, sd_notify;
- reminderd.replica.supervisor: Litestream, keeping the replica ([replica]), on a thread of its own.

They share only `shared.Shared` (config, log, notifier, clock, timers, lock); this module
starts, reloads and stops them. APScheduler's misfire grace is unlimited: a late reminder
is sent late, never dropped.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from reminderd import paths
from reminderd.core.clock import UTC
from reminderd.core.config.settings import Config
from reminderd.core.prescriptions import canonical_of
from reminderd.core.words import DAEMON_STARTED, DAEMON_STOPPED, VIA_DAEMON
from reminderd.daemon import systemd
from reminderd.daemon.buttons import Buttons
from reminderd.daemon.morning import MorningCheckin
from reminderd.daemon.scheduler import DoseTimers
from reminderd.daemon.shared import Shared
from reminderd.daemon.sleepwatch import SleepWatcher
from reminderd.daemon.watch import Watch
from reminderd.errors import ReminderdError
from reminderd.notify.base import Notifier
from reminderd.push.outbox import Push
from reminderd.remote import page_url
from reminderd.store import Store

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

log = logging.getLogger("reminderd")

# Runs of one timer that may wait for the worker at once: in practice "no limit".
MAX_RUNS_QUEUED = 10_000


def utc_now() -> datetime:
    return datetime.now(UTC)


class Daemon:
    def __init__(
        self,
        config: Config,
        store: Store,
        notifier: Notifier,
        now: Callable[[], datetime] = utc_now,
        reload_config: Callable[[], Config] | None = None,
        checkin_window_command: list[str] | None = None,
    ) -> None:
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(1)},
            # A job sets its own next timer while it runs, and that timer can fall due before it
            # returns (a jump, or a slow D-Bus under load), again and again while the one worker
            # is busy with a group of doses: a run over max_instances is skipped, and a date
            # timer skipped is lost (seen with max_instances 2: nine doses due together, each
            # reminded every second, lost timers until the next refresh). Every job reads the
            # log again under the lock before it acts, so an extra run does nothing twice: none
            # is ever skipped. The one worker runs them in turn.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": MAX_RUNS_QUEUED},
        )
        self.shared = Shared(config, store, notifier, now, scheduler, page_url=page_url)
        self._reload_config = reload_config
        self.push = Push(self.shared)  # phone and contacts, through Apprise ([push], [[contact]])
        self.morning = MorningCheckin(self.shared, checkin_window_command)
        self.timers = DoseTimers(self.shared, self.push, after_refresh=self.morning.tick)
        self.buttons = Buttons(self.shared, self.timers, self.morning)
        self.watcher = Watch(self.shared, self.refresh, self.reload, self.follow_zone)
        self.sleepwatch = SleepWatcher(self.refresh)
        self.page = None  # the phone page's server, when [remote] is configured
        self.replica = None  # the replica's supervisor, when [replica] is configured
        self.after_start: Callable[[], None] | None = None  # e.g. the self-check, once reminders are out

    # What the tests and the CLI read of the daemon: the shared parts.
    @property
    def config(self) -> Config:
        return self.shared.config

    @property
    def store(self) -> Store:
        return self.shared.store

    @property
    def notifier(self) -> Notifier:
        return self.shared.notifier

    @property
    def scheduler(self) -> BackgroundScheduler:
        return self.shared.scheduler

    def now(self) -> datetime:
        return self.shared.now()

    # --- life cycle ----------------------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM or SIGINT. Returns the exit code."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.watcher.stop.set())
        signal.signal(signal.SIGHUP, lambda *_: self.watcher.reload_requested.set())
        self.start()
        systemd.notify("READY=1", f"STATUS={self.status_line()}")
        if self.after_start is not None:
            self.after_start()
        try:
            self.watch()
        finally:
            self.shutdown()
        return 0

    def start(self) -> None:
        log.info(
            "reminderd started: %d medication(s), time zone %s, log %s",
            len(self.config.medications), self.config.timezone.key, self.store.path,
        )
        # Who reads the log can tell since when nobody reminds from it (`reminderd status`).
        self.store.add_event(DAEMON_STARTED, VIA_DAEMON, self.now(), None, {"pid": os.getpid()})
        self.watcher.mark()
        self.timers.started_at = self.now()
        self.notifier.start(self.on_answer)
        self.scheduler.start()
        self.refresh(restarting=True)
        self.start_replica()
        self.push.started(self.now())
        self.sleepwatch.start()
        if self.config.remote is not None:
            from reminderd.remote.server import start_page

            self.page = start_page(self.config, self.store.path, self.now, lambda: self.config)

    def shutdown(self) -> None:
        # The waits of a stop add up inside the unit's TimeoutStopSec (test_install holds
        # them to it): the page stops beside the push's wait for a send in flight, then
        # Litestream's last sync, which must come after the last write.
        page = self.page and threading.Thread(target=self.page.stop, name="page-stop", daemon=True)
        if page:
            page.start()
        self.sleepwatch.stop()
        self.push.stop()
        if page:
            page.join()
        self.shared.stop()  # waits for the part at work; after it no timer touches the log
        self.store.add_event(DAEMON_STOPPED, VIA_DAEMON, self.now(), None, {"pid": os.getpid()})
        if self.replica is not None:  # after the last write, so Litestream's last sync has it
            self.replica.stop()
        self.scheduler.shutdown(wait=False)
        self.notifier.stop()
        log.info("reminderd stopped")

    def start_replica(self) -> None:
        """Litestream for [replica], on its own thread (never delaying a reminder); while it
        replicates, the log's checkpoints are left to it."""
        settings = self.config.replica
        self.store.checkpoint_automatically(settings is None)
        self.replica = None
        if settings is not None:
            from reminderd.replica.supervisor import Replicator

            self.replica = Replicator(self.store.path, settings, paths.replica_socket(self.store.path), self.now,
                                      self.push.on_replica_failing, self.push.on_replica_working)
            self.replica.start()

    def watch(self) -> None:
        """The main thread: wait for a signal, a clock jump or a write by the CLI."""
        self.watcher.loop()

    def reload(self) -> None:
        """SIGHUP: use a new config for the future; keep the old one if the new one is bad."""
        if self._reload_config is None:
            return
        systemd.notify("RELOADING=1")
        try:
            config = self._reload_config()
        except ReminderdError as err:
            log.error("reload refused, still running on the previous config:\n%s", err)
            self.shared.show_plain("reload", "reminderd: config not reloaded", str(err))
        else:
            self.use(config, f"config reloaded: {len(config.medications)} medication(s)")
        systemd.notify("READY=1", f"STATUS={self.status_line()}")

    def follow_zone(self, zone: ZoneInfo) -> None:
        """The machine's zone changed and the config names none: the running config in the
        new zone, applied as a reload that changed only the zone (the file is read again
        only when he asks, by a reload)."""
        was = self.config.timezone.key
        self.use(self.config._replace(timezone=zone),
                 f"the machine's time zone is now {zone.key} (was {was}); the doses from now on are in it")
        systemd.notify(f"STATUS={self.status_line()}")

    def use(self, config: Config, line: str) -> None:
        """A new config from now on: recorded as the prescription in force (the one plan's
        rule for a change during a day), every dose looked at again, and one log line."""
        with self.shared.lock:
            previous = self.shared.config
            self.shared.config = config
            self.store.record_prescription(canonical_of(config), self.now())
            log.info("%s", line)
            self.refresh()
            self.push.plan_daily()
        if config.replica != previous.replica:  # outside the lock: stopping Litestream may take a second
            if self.replica is not None:
                self.replica.stop()
            self.start_replica()

    # --- what the other threads call ---------------------------------------------------

    def refresh(self, restarting: bool = False) -> None:
        """Rows for today's and tomorrow's slots, a timer for every open dose (scheduler.py)."""
        self.timers.refresh(restarting=restarting)

    def tick(self, dose_id: int, restarting: bool = False) -> None:
        self.timers.tick(dose_id, restarting=restarting)

    def on_answer(self, key: str, action: str) -> None:
        """A notification's button was pressed (any thread): buttons.py."""
        self.buttons.on_answer(key, action)

    def status_line(self) -> str:
        now = self.now()
        upcoming = [d for d in self.store.open_doses() if d.due > now]
        if not upcoming:
            return "no dose scheduled"
        d = upcoming[0]
        return f"next: {d.medication} {d.slot} ({d.due.astimezone(self.config.timezone):%a %H:%M})"
