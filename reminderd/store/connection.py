"""The connection to the log's file and its rules: private file and folder (0600/0700),
WAL, a busy timeout, one lock per store, and write transactions taken at once.

Every write runs in `BEGIN IMMEDIATE`, so the daemon and the CLI writing at the same
moment queue on the busy timeout instead of failing with "database is locked" (a plain
deferred BEGIN that reads first and then writes can fail despite the timeout in WAL mode).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from reminderd.errors import StoreError

if TYPE_CHECKING:
    from pathlib import Path

BUSY_TIMEOUT_S = 30.0
AUTOCHECKPOINT_PAGES = 1000  # SQLite's default

# The log's path as given: a string from the command line (which never imports pathlib), or
# a pathlib.Path from the tests.
LogPath = str | os.PathLike[str]

READ_ONLY_HINT = ("reminderd writes every answer to the dose log, so it must be writable. Nothing was "
                  "changed; make it writable or pass another file with --db")


class Connection:
    """An open log file. Safe to share between the daemon's threads (one lock per store)."""

    def __init__(self, conn: sqlite3.Connection, path: LogPath, read_only: bool = False) -> None:
        self.conn = conn
        self.file = os.fspath(path)
        self.read_only = read_only  # opened read-only: any write is refused
        self._lock = threading.RLock()
        self._depth = 0

    @property
    def path(self) -> Path:
        """The log's file as a pathlib.Path, for the daemon's parts (made when asked for:
        the quick commands need no pathlib)."""
        from pathlib import Path

        return Path(self.file)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction, taken at once (BEGIN IMMEDIATE). Nests."""
        if self.read_only:
            raise StoreError(f"{self.file} is read-only; {READ_ONLY_HINT}")
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0

    def checkpoint_automatically(self, on: bool) -> None:
        """SQLite's own checkpoint after a commit (PASSIVE, once the WAL holds 1000 pages,
        its default). Off while Litestream replicates the log: Litestream checkpoints it
        itself, and asks the application to leave checkpoints to it."""
        with self._lock:
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES if on else 0}")

    def committed_version(self) -> int:
        """SQLite's `data_version`, which changes when another connection commits (the
        daemon's cue that another process wrote), once no other connection is in the
        middle of a write. A writer's change to the -wal file comes before its commit is
        visible, so this first waits for the write lock (the busy timeout), as a writer
        would, and lets it go at once: an empty transaction writes nothing."""
        with self.write():
            return self.conn.execute("PRAGMA data_version").fetchone()[0]


def prepare(path: LogPath) -> None:
    """Make sure `path` can be the log before SQLite touches it: writable, and private."""
    check_writable(path)
    try:
        prepare_private_file(path)
    except OSError as err:  # a folder that cannot be made: a file in the way, no permission
        raise StoreError(f"{path} cannot be used as the dose log: {err.strerror} ({err.filename}); "
                         "nothing was changed. Pass another file with --db") from None


def connect(path: LogPath) -> sqlite3.Connection:
    """A connection that waits for another writer (busy timeout) and begins its own
    transactions (`Connection.write`)."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    wait_for_writers(conn)
    return conn


def wait_for_writers(conn: sqlite3.Connection) -> None:
    """Queue behind another process's write for up to the busy timeout, not fail at once."""
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")


def use_wal(conn: sqlite3.Connection) -> None:
    """WAL and foreign keys: set only once the file proved to be reminderd's."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")


@contextmanager
def explained(path: LogPath) -> Iterator[None]:
    """SQLite's refusals while opening, as one line that says what to do."""
    try:
        yield
    except sqlite3.DatabaseError as err:
        if "readonly" in str(err):
            raise StoreError(f"{path} is read-only ({err}); {READ_ONLY_HINT}") from None
        raise StoreError(
            f"{path} cannot be used as the dose log ({err}); it was left untouched. "
            "Move it aside or pass another file with --db"
        ) from None


def check_writable(path: LogPath) -> None:
    """Say what is wrong with a path that cannot be the log, before SQLite says something
    vaguer ("unable to open database file", or a read-only file taken for a damaged one)."""
    if os.path.isdir(path):
        raise StoreError(f"{path} is a folder; expected the dose log's file. Pass another file with --db")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise StoreError(f"{path} is read-only; {READ_ONLY_HINT}")
    folder = folder_of(path)
    if os.path.isdir(folder) and not os.access(folder, os.W_OK):
        raise StoreError(f"the folder {folder} is read-only; SQLite writes its -wal and -shm files beside "
                         f"the log {os.path.basename(path)}, so it must be writable. Nothing was changed; pass "
                         "another file with --db")


def prepare_private_file(path: LogPath) -> None:
    """Health data: the folder is the user's alone (0700) and so is the file (0600).

    The file is created empty with mode 0600 before SQLite opens it; SQLite gives its
    -wal and -shm files the same mode as the database file.
    """
    folder = folder_of(path)
    if not os.path.exists(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is cut by the umask
    if not os.path.exists(path):
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def make_private(path: LogPath) -> None:
    """Tighten a log made by hand or by an older version; only once it proved to be ours."""
    for part in (path, f"{path}-wal", f"{path}-shm"):
        if os.path.exists(part) and os.stat(part).st_mode & 0o077:
            os.chmod(part, 0o600)


def folder_of(path: LogPath) -> str:
    """The folder the log is in ("." for a bare file name, as pathlib says)."""
    return os.path.dirname(os.fspath(path)) or "."
