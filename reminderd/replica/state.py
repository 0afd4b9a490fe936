"""What the replica's state is, for `status` and `doctor`: last replicated, how far
behind, the last error.

Two sources, so that nothing runs at rest to keep it: the running Litestream says when
the replica last held everything (asked on its control socket only when someone looks),
and the daemon's supervisor writes down, only when something happens, what went wrong and
when the replicating process stopped, in a small file beside the log (`state_path`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from reminderd.core.durations import hours_and_minutes
from reminderd.replica import litestream
from reminderd.push.urls import mask
from reminderd.store.instants import from_iso


def state_path(db: Path) -> Path:
    return Path(f"{db}.replica.json")


@dataclass(frozen=True)
class Written:
    """What the supervisor wrote down; instants on the daemon's clock."""

    pid: int | None = None  # the running `litestream replicate`, if any
    socket: str | None = None  # its control socket
    error: str | None = None  # the last thing that went wrong, without the URL
    error_at: str | None = None
    down_since: str | None = None  # Litestream exited (or could not start) and is started again…
    restart_at: str | None = None  # …at this time
    stopped_at: str | None = None  # when it last stopped with the daemon
    behind_at_stop_s: float | None = None  # how far behind the replica was then (None: unknown)
    # The first failure since a write last reached the replica; kept when the daemon stops
    # (a laptop shut down every night still counts the outage from its start).
    failing_since: str | None = None

    def write(self, path: Path) -> None:
        """Replaced whole (a reader never sees half of it), readable by the user alone."""
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(self), out)
        os.replace(temporary, path)

    @classmethod
    def read(cls, path: Path) -> "Written | None":
        try:
            data = json.loads(path.read_text())
            return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})
        except (OSError, ValueError, TypeError):
            return None


@dataclass(frozen=True)
class ReplicaView:
    """The replica as `status` and `doctor` show it."""

    url: str  # masked
    replicating: bool  # Litestream runs now (the daemon runs it)
    # How long the oldest change not on the replica may have waited: while Litestream runs,
    # since it last held everything; once stopped, since then (anything written after the
    # stop waits for the daemon). None: not known.
    behind: timedelta | None
    error: str | None
    error_at: datetime | None
    stopped_at: datetime | None  # when it last stopped with the daemon, if it is not running
    restart_at: datetime | None = None  # the daemon runs, and starts Litestream again then

    def last_replicated(self, now: datetime) -> datetime | None:
        return None if self.behind is None else now - self.behind


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process under a reused number
        return False
    return True


def look(db: Path, url: str, now: datetime) -> ReplicaView:
    """The replica of the log at `db` as it stands: asked of the running Litestream when
    there is one, else from what the supervisor wrote when it stopped."""
    written = Written.read(state_path(db)) or Written()
    error_at = from_iso(written.error_at) if written.error_at else None
    view = ReplicaView(mask(url), False, None, written.error, error_at, None)
    if written.restart_at is not None and written.down_since is not None:
        return replace(view, behind=max(timedelta(0), now - from_iso(written.down_since)),
                       restart_at=from_iso(written.restart_at))
    if _alive(written.pid) and written.socket:
        try:
            said = litestream.replication(Path(written.socket), db)
        except (OSError, ValueError, KeyError):
            return replace(view, replicating=True)  # starting, or busy: how far behind is not known
        return replace(view, replicating=True, behind=said.since_last_sync)
    if written.stopped_at is None:
        return view  # never ran, or the daemon was killed before it could say
    stopped_at = from_iso(written.stopped_at)
    waited = written.behind_at_stop_s
    behind = None if waited is None else timedelta(seconds=waited) + max(timedelta(0), now - stopped_at)
    return replace(view, behind=behind, stopped_at=stopped_at)


def how_long(delta: timedelta) -> str:
    """3 s, 45 min, 2 h 5 min: how far behind, at the scale that matters."""
    if delta < timedelta(minutes=1):
        return f"{int(delta.total_seconds())} s"
    if delta >= timedelta(days=2):
        return f"{delta.days} days"
    return hours_and_minutes(delta)
