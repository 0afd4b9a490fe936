"""The daemon's single-instance lock: an flock that the kernel drops when the process dies,
so a crash (even kill -9) never leaves a stale lock behind. The file names who holds it
(pid, config, log), so a command can tell whether a daemon is reminding, and from which
log, without asking the daemon anything: a look costs the daemon no work at all."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from typing import TYPE_CHECKING, NamedTuple

from reminderd.errors import AlreadyRunning

if TYPE_CHECKING:
    from os import PathLike

# A command looking at the lock holds it (shared) for microseconds; a daemon starting in
# that instant tries again for this long before it concludes another daemon holds it.
TAKE_RETRY_S = 1.0


class Holder(NamedTuple):
    """The daemon holding the lock, as it described itself (None: not said yet); its config
    and log as the lock file spells them (strings: `status` and `take` look here, and need
    no pathlib)."""

    pid: int | None
    config: str | None
    log: str | None


def take_lock(path: str | PathLike[str], config: str | PathLike[str] | None = None,
              log: str | PathLike[str] | None = None) -> int:
    """Hold the lock for the life of the process; returns the open file descriptor."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + TAKE_RETRY_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() < deadline:
                threading.Event().wait(0.02)  # perhaps a command's look, over in microseconds
                continue
            holder = _holder(fd)
            os.close(fd)
            raise AlreadyRunning(
                f"a reminderd daemon is already running (pid {holder.pid or 'unknown'}, lock {path})", holder.pid
            ) from None
    os.ftruncate(fd, 0)
    me = {"pid": os.getpid(), "config": config and str(config), "log": log and str(log)}
    os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
    return fd


def running_daemon(path: str | PathLike[str]) -> Holder | None:
    """The daemon that holds the lock at `path` now, or None. It only looks: a shared lock
    taken and dropped at once (a starting daemon waits out that instant)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # no lock file: no daemon has run here since the machine started
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _holder(fd: int) -> Holder:
    text = os.pread(fd, 65536, 0).decode(errors="replace").strip()
    try:
        said = json.loads(text)
    except ValueError:  # empty (a daemon between locking and writing), or an older daemon's bare pid
        return Holder(int(text) if text.isdigit() else None, None, None)
    if not isinstance(said, dict):
        return Holder(None, None, None)
    pid, config, log = said.get("pid"), said.get("config"), said.get("log")
    return Holder(pid if isinstance(pid, int) else None, config if isinstance(config, str) else None,
                  log if isinstance(log, str) else None)
