"""Hear the machine's time zone change (he flies, or the laptop's zone is corrected), for
a config that names none.

The zone is the `/etc/localtime` link (and, on Debian, the name in `/etc/timezone`).
`timedatectl set-timezone` (timedated, which GNOME's settings and its automatic zone go
through) replaces the link by a rename; `ln -sf`, `dpkg-reconfigure tzdata` or a copied
zone file make or write it anew. A watch of /etc hears every one of them, with or without
a system bus; timedated's PropertiesChanged on the bus would tell only of its own changes,
and not at all where it is not running. A removal alone is not heard: the link made after
it is, and a removal read on its own would be taken for UTC. tzlocal keeps its first answer
for the life of the process, so the zone is read again, once, only when the kernel says
one of these entries changed."""

from __future__ import annotations

import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from reminderd.core.config.load import machine_zone
from reminderd.daemon.folderwatch import FolderWatch

ETC = Path("/etc")
ZONE_ENTRIES = frozenset({"localtime", "timezone"})
CHECK_S = 30.0  # how often the zone is looked at when the kernel cannot watch /etc
# timedated writes the link and (Debian) /etc/timezone one after the other: the zone is
# read once both are written, not between, when the two disagree.
SETTLE_S = 0.1


class MachineZone(FolderWatch):
    def __init__(self) -> None:
        super().__init__(ETC, ZONE_ENTRIES, ("CREATE", "MOVED_TO", "CLOSE_WRITE"), "a change of the machine's "
                         "time zone", f"looking at the time zone every {CHECK_S:.0f} s instead")

    def changed(self) -> bool:
        # Any write in /etc wakes the watch: only a change of the zone's entries waits for
        # timedated's second write (taken with it, so the zone is read once).
        if not super().changed():
            return False
        threading.Event().wait(SETTLE_S)
        if self.watching:  # the first read may have ended the watch
            super().changed()
        return True

    @staticmethod
    def now() -> ZoneInfo | None:
        """The machine's zone as it is set now, read anew; None when its name cannot be
        told (a zone file copied into /etc/localtime alone): not taken for UTC."""
        from reminderd.config_file import machine_zone_name

        name = machine_zone_name(fresh=True)
        return None if name is None else machine_zone(name)
