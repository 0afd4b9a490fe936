"""The single-instance lock of the daemon: an flock that the kernel drops when the
process dies, so a crash (even kill -9) never leaves a stale lock behind."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from reminderd.errors import AlreadyRunning


def take_lock(path: Path) -> int:
    """Hold the lock for the life of the process; returns the open file descriptor."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise AlreadyRunning(
            f"another reminderd daemon is already running (pid {other}, lock {path}); "
            "stop it first (systemctl --user stop reminderd)"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd
