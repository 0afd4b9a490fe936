"""Is anyone reminding from this log? Told from the daemon's lock, which it holds while it
runs (the kernel drops it when the daemon dies), and from its start and clean stop in the
log: `status`, `take`, `snooze` and the phone page say so at the top when nobody is. The
daemon does no work for this: no heartbeat, nothing on a timer."""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Callable

from reminderd import paths
from reminderd.core.clock import local_time
from reminderd.errors import AlreadyRunning
from reminderd.lock import Holder, running_daemon, take_lock

if TYPE_CHECKING:
    from pathlib import Path

    from reminderd.store import Store


def off_banner(store: Store, db_path: Path, now: datetime, tz: tzinfo) -> str | None:
    """"Reminders are off: …" with why and how to start them, or None while a daemon
    reminds from this log."""
    holder = running_daemon(paths.lock_path(db_path))
    # The log's record of runs matters only when no daemon holds the lock (the usual case
    # is one that does: then the log is not read for this).
    started, stopped = store.daemon_runs() if holder is None else (None, None)
    return banner(holder, db_path, started, stopped, how_to_start, now, tz)


def banner(holder: Holder | None, db_path: str | Path, started: datetime | None, stopped: datetime | None,
           start_with: str | Callable[[], str], now: datetime, tz: tzinfo) -> str | None:
    """The words for what the lock and the log say (pure)."""
    if holder is not None:
        if holder.log is None or same_file(holder.log, db_path):
            return None
        return (f"Reminders are off for this log: the running daemon (pid {holder.pid or 'unknown'}) reminds "
                f"from {holder.log}.")
    if stopped is not None:  # the last run ended cleanly (Store.daemon_runs)
        why = f"the daemon is not running since {_when(stopped, now, tz)}"
    elif started is not None:
        why = (f"the daemon is not running: it started {_when(started, now, tz)} and stopped without saying so "
               "(a crash, a kill or a power cut)")
    else:
        why = "the daemon is not running"
    # Asked only now: while a daemon reminds, nobody needs to know how to start one.
    return f"Reminders are off: {why} — start it with: {start_with() if callable(start_with) else start_with}"


def how_to_start() -> str:
    """The command that starts the daemon the way this user has set it up."""
    if os.path.exists(paths.unit_file()):
        return "systemctl --user start reminderd"
    if os.path.exists(paths.autostart_file()):
        return "reminderd run (your desktop starts it at login)"
    return "reminderd run (or have your desktop start it: reminderd install-service)"


def how_to_restart() -> str:
    if paths.unit_path().exists():
        return "systemctl --user restart reminderd"
    return "stop `reminderd run` (Ctrl-C) and start it again"


def how_to_stop(pid: int | None) -> str:
    """The command that stops the running daemon, the way it was started."""
    if paths.unit_path().exists():
        return "systemctl --user stop reminderd"
    return f"kill {pid}" if pid else "stop `reminderd run` (Ctrl-C)"


def hold_lock(path: Path, config: Path | None = None, log: Path | None = None) -> int:
    """The daemon's lock (`lock.take_lock`), for a daemon or for `reset`; refused, it says
    how to stop the daemon that holds it."""
    try:
        return take_lock(path, config, log)
    except AlreadyRunning as err:
        raise AlreadyRunning(f"{err}; stop it first: {how_to_stop(err.pid)}", err.pid) from None


def how_to_reload(pid: int | None) -> str:
    """The command that makes the running daemon read its config again (SIGHUP)."""
    if paths.unit_path().exists():
        return "systemctl --user reload reminderd"
    return f"kill -HUP {pid}" if pid else how_to_restart()


def _when(instant: datetime, now: datetime, tz: tzinfo) -> str:
    same_day = instant.astimezone(tz).date() == now.astimezone(tz).date()
    return local_time(instant, tz, "%H:%M" if same_day else "%a %d %b %H:%M")


def same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them is not there (yet): compare the names
        return os.path.realpath(a) == os.path.realpath(b)
