"""Reading a log that cannot be written (a read-only file or folder): opened read-only,
with nothing written beside it, for the commands that only read."""

from __future__ import annotations

import os
import sqlite3

from reminderd.store.connection import LogPath, folder_of


def cannot_be_written(path: LogPath) -> bool:
    """Whether `path` is an existing log that this process cannot write: the file, or the
    folder where SQLite keeps its -wal and -shm files, is read-only."""
    return os.path.isfile(path) and not (os.access(path, os.W_OK) and os.access(folder_of(path), os.W_OK))


def connect(path: LogPath, timeout: float) -> sqlite3.Connection:
    """A read-only connection. With a -wal file beside the log (a copy, or a crash), SQLite's
    `mode=ro` reads it with the log; without one, `mode=ro` would need to create the -shm
    file in a folder that may be read-only, and nothing can be missed, so the file is read
    as `immutable`."""
    from pathlib import Path  # a read-only log is rare: the quick commands need no pathlib

    uri = Path(path).resolve().as_uri()
    if os.path.exists(f"{path}-wal"):
        return sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=timeout, isolation_level=None,
                               check_same_thread=False)
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)
