"""Hear some entries of a folder change, from the kernel (inotify), instead of looking at
them on a timer: the watch's file descriptor waits in the main thread's `poll` beside the
signals, so at rest it costs nothing. A folder watch, not a file watch, so an entry that
is removed and made again, or replaced by a rename, is still heard."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("reminderd")


class FolderWatch:
    def __init__(self, folder: Path, names: frozenset[str], events: tuple[str, ...], what: str, instead: str) -> None:
        """`events`: inotify's flag names that count (e.g. MODIFY); `what` is heard, and
        `instead` says what the daemon does when the kernel cannot tell it."""
        self.folder = folder
        self.names = names
        self.events = events
        self.what = what
        self.instead = instead
        self._inotify = None

    def start(self) -> bool:
        """Watch the folder; False (nothing watched) where the kernel cannot."""
        from inotify_simple import INotify, flags

        try:
            self._inotify = INotify(nonblocking=True)
            mask = 0
            for event in self.events:
                mask |= flags[event]
            self._inotify.add_watch(self.folder, mask)
        except OSError as err:  # no inotify, or its per-user limits reached
            log.warning("cannot watch %s for %s (%s); %s", self.folder, self.what, err, self.instead)
            self.close()
            return False
        return True

    @property
    def watching(self) -> bool:
        return self._inotify is not None

    def fileno(self) -> int:
        return self._inotify.fileno()

    def changed(self) -> bool:
        """Take what the kernel has reported: whether one of `names` changed (or reports
        were lost, so it may have). A watch that ends (the folder went away) leaves
        `watching` False: the caller looks on a timer from then on."""
        from inotify_simple import flags

        changed = False
        for event in self._inotify.read(timeout=0):
            if event.mask & flags.IGNORED:
                log.warning("%s is no longer watched; %s", self.folder, self.instead)
                self.close()
                return True
            changed = changed or event.name in self.names or bool(event.mask & flags.Q_OVERFLOW)
        return changed

    def close(self) -> None:
        inotify, self._inotify = self._inotify, None
        if inotify is not None:
            inotify.close()
