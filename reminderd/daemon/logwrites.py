"""Hear another process write the log, instead of asking the log on a timer.

SQLite in WAL mode appends every commit to the log's `-wal` file, so the kernel's inotify,
watching the log's folder, reports each write by any process: `reminderd take`, the phone
page's connection, the `sqlite3` shell, a replica. A folder watch, not a file watch, so a
`-wal` file that is removed and made again is still heard. The daemon's own writes are
reported too; what tells them apart is SQLite's `data_version`, which moves only for
another connection's commit (`Connection.committed_version`).
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("reminderd")


class LogWrites:
    def __init__(self, db_path: Path) -> None:
        db_path = db_path.resolve()  # SQLite keeps the -wal beside the file a link points to
        self.folder = db_path.parent
        self.wal_name = f"{db_path.name}-wal"
        self._inotify = None

    def start(self) -> bool:
        """Watch the log's folder; False (nothing watched) where the kernel cannot."""
        from inotify_simple import INotify, flags

        try:
            self._inotify = INotify(nonblocking=True)
            self._inotify.add_watch(self.folder, flags.MODIFY)
        except OSError as err:  # no inotify, or its per-user limits reached
            log.warning("cannot watch %s for writes by other processes (%s); looking at the log "
                        "every few seconds instead", self.folder, err)
            self.close()
            return False
        return True

    @property
    def watching(self) -> bool:
        return self._inotify is not None

    def fileno(self) -> int:
        return self._inotify.fileno()

    def written(self) -> bool:
        """Take what the kernel has reported: whether the `-wal` file was written (or
        reports were lost, so it may have been). A watch that ends (the folder went
        away) leaves `watching` False: the caller looks on a timer from then on."""
        from inotify_simple import flags

        written = False
        for event in self._inotify.read(timeout=0):
            if event.mask & flags.IGNORED:
                log.warning("%s is no longer watched; looking at the log every few seconds instead", self.folder)
                self.close()
                return True
            written = written or event.name == self.wal_name or bool(event.mask & flags.Q_OVERFLOW)
        return written

    def close(self) -> None:
        inotify, self._inotify = self._inotify, None
        if inotify is not None:
            inotify.close()
