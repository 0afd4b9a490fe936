"""Hear another process write the log, instead of asking the log on a timer.

SQLite in WAL mode appends every commit to the log's `-wal` file, so the kernel's inotify,
watching the log's folder, reports each write by any process: `reminderd take`, the phone
page's connection, the `sqlite3` shell, a replica. The daemon's own writes are reported
too; what tells them apart is SQLite's `data_version`, which moves only for another
connection's commit (`Connection.committed_version`).
"""

from __future__ import annotations

from pathlib import Path

from reminderd.daemon.folderwatch import FolderWatch


class LogWrites(FolderWatch):
    def __init__(self, db_path: Path) -> None:
        db_path = db_path.resolve()  # SQLite keeps the -wal beside the file a link points to
        self.wal_name = f"{db_path.name}-wal"
        super().__init__(db_path.parent, frozenset({self.wal_name}), ("MODIFY",),
                         "writes by other processes", "looking at the log every few seconds instead")

    def written(self) -> bool:
        """Whether the `-wal` file was written (or may have been) since last asked."""
        return self.changed()
