"""Move the wall clock of a child process, for tests that run reminderd for real.

The child is started with libfaketime preloaded (Debian: ``apt-get install
faketime``).  libfaketime reads the fake time from a small file on *every*
clock call, so the test can jump the child's wall clock while it runs::

    clock = FakeClock(tmp_path, datetime(2026, 3, 29, 0, 59, 50, tzinfo=UTC),
                      tz="Europe/London")
    proc = subprocess.Popen([sys.executable, "-m", "reminderd"],
                            env=clock.child_env())
    ...
    clock.advance(timedelta(hours=3))     # child sees it on its next call
    clock.set(datetime(2026, 10, 25, 0, 29, 55, tzinfo=UTC))
    clock.now()                           # what the child sees right now

What was measured on Debian bookworm, libfaketime 0.9.10, CPython 3.11:

* File syntax.  The file holds an *offset* from the real clock in seconds,
  e.g. ``-21099992.907296`` or ``+3600.5`` (sign required for "+",
  fractions honoured).  The child's time is real time + offset, so it ticks
  at real speed, and a new offset is seen on the very next clock call.
  The "start at" syntax ``@2026-03-29 00:59:50`` also works but is worse:
  it is parsed in the *process's local time zone* (TZ), it restarts at that
  instant in every new process (so a ``notify-send`` spawned by the daemon
  sees a different time from the daemon), and after a rewrite the child
  sees the new instant plus the time elapsed since its own start.  The
  absolute syntax without ``@`` freezes the clock; don't use it.
* The file is re-read about once a second (``FAKETIME_CACHE_DURATION=1``):
  a child sees a new offset within two seconds of real time, and a child
  started after the change sees it on its first call.  ``FAKETIME_NO_CACHE=1``
  (a read on every clock call) is far worse than it sounds: see :meth:`env`.
* ``FAKETIME_DONT_FAKE_MONOTONIC=1`` is needed: with a faked monotonic
  clock, ``threading.Event.wait(timeout)`` (and so every lock/queue/
  scheduler timeout) never returns, even before any jump.  With it,
  timeouts run in real time, also across jumps forward and backward.
* In that mode CPython's ``time.sleep`` (clock_nanosleep on
  CLOCK_MONOTONIC, TIMER_ABSTIME) fails at once with ``OSError(EINVAL)``,
  and so do ``subprocess.run(..., timeout=...)`` and
  ``Popen.wait(timeout=...)``, which poll with ``time.sleep``.  By default
  (``patch_sleep=True``) the child gets a ``sitecustomize`` that, only if
  ``time.sleep(0)`` raises, replaces ``time.sleep`` with a ``select``-based
  wait of the same length.  Production code never runs under libfaketime,
  so this only removes a test artefact; code that waits with
  ``Event.wait``/``select`` needs no patch.
* Followed by: ``time.time()``, ``datetime.now(timezone.utc)``,
  ``datetime.now(ZoneInfo(...))``, ``datetime.now().astimezone()`` (local
  zone from ``TZ``), sqlite3's ``datetime('now')``, and every process the
  child spawns (``LD_PRELOAD`` and the ``FAKETIME_*`` variables are
  inherited; ``date``, ``python -c`` etc. see the same time).
* Not followed: ``time.monotonic()`` (real, by design) and file mtimes
  from ``os.stat`` (real: Python uses statx, which libfaketime does not
  wrap).
* libfaketime makes ``/dev/shm/faketime_shm_<pid>`` and
  ``/dev/shm/sem.faketime_sem_<pid>`` for each top-level child and removes
  them when the child exits normally; a child killed by a signal leaves
  them behind (harmless, 40 bytes).  :meth:`cleanup` removes them.
"""

from __future__ import annotations

import glob
import os
import time
from datetime import datetime, timedelta, timezone

__all__ = ["FakeClock", "find_libfaketime"]

_LIB_ENV = "REMINDERD_LIBFAKETIME"
# The MT build only: the plain libfaketime.so.1 parses the fake time in a static
# buffer, so in a process with threads (the daemon has several) about one clock
# call in a hundred under contention returns the *real* time (measured: 750-900
# of 80,000 time.time() calls from four threads; none with libfaketimeMT).
_LIB_GLOBS = (
    "/usr/lib/*/faketime/libfaketimeMT.so.1",  # Debian/Ubuntu multiarch
    "/usr/lib/faketime/libfaketimeMT.so.1",
    "/usr/local/lib/faketime/libfaketimeMT.so.1",
    "/usr/lib64/faketime/libfaketimeMT.so.1",
)

# Loaded by the child's interpreter at start-up (found through PYTHONPATH).
_SITECUSTOMIZE = '''\
"""Written by tests/fakeclock.py: make time.sleep work under libfaketime."""
import os as _os
import select as _select
import sys as _sys
import time as _time


def _fakeclock_patch_sleep():
    try:
        _time.sleep(0)
        return  # this libfaketime does not break time.sleep
    except OSError:
        pass

    def sleep(secs):
        """time.sleep on select(): its timeout is relative, so real time."""
        if secs < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = _time.monotonic() + secs
        while True:
            remaining = deadline - _time.monotonic()
            if remaining <= 0:
                return
            _select.select([], [], [], remaining)

    _time.sleep = sleep


def _fakeclock_chain():
    """Run the sitecustomize this file shadows (e.g. Debian's), if any."""
    import importlib.util

    here = _os.path.dirname(_os.path.abspath(__file__))
    me = _sys.modules.get("sitecustomize")
    saved = _sys.path[:]
    try:
        _sys.path[:] = [p for p in saved if _os.path.abspath(p or ".") != here]
        del _sys.modules["sitecustomize"]
        if importlib.util.find_spec("sitecustomize") is not None:
            importlib.import_module("sitecustomize")
    finally:
        _sys.path[:] = saved
        _sys.modules.setdefault("sitecustomize", me)


_fakeclock_patch_sleep()
_fakeclock_chain()
'''


def find_libfaketime() -> str:
    """Path of libfaketimeMT.so.1: $REMINDERD_LIBFAKETIME, else the usual places."""
    explicit = os.environ.get(_LIB_ENV)
    if explicit:
        if not os.path.isfile(explicit):
            raise FileNotFoundError(f"{_LIB_ENV}={explicit}: no such file")
        return explicit
    for pattern in _LIB_GLOBS:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[0]
    raise FileNotFoundError(
        "libfaketimeMT.so.1 not found; install it with 'apt-get install faketime' "
        f"or point {_LIB_ENV} at it"
    )


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        # A naive time would be read in *this* process's zone, which is
        # exactly the ambiguity DST tests must not have.
        raise ValueError(f"need a time-zone-aware datetime, got {when!r}")
    return when


class FakeClock:
    """A wall clock shared by all child processes started with :meth:`env`.

    ``start`` is what the children see at the moment of construction; from
    then on the fake clock runs at real speed until :meth:`set` or
    :meth:`advance` moves it.  A child started later sees the clock as it
    is then (it does not restart at ``start``).

    ``tmpdir``: a private directory (e.g. pytest's ``tmp_path``) for the
    timestamp file and the sitecustomize shim.
    ``tz``: if given, the children's ``TZ`` (their local zone), e.g.
    ``"Europe/London"``.
    ``patch_sleep``: give children a working ``time.sleep`` (see module doc).
    ``lib``: path of libfaketimeMT.so.1; default :func:`find_libfaketime`.
    """

    # How long a running child may go on with the previous offset: it re-reads the file
    # when more than CACHE_S whole seconds have passed (libfaketime compares seconds with
    # '>'), so up to two seconds with a cache of one (measured: 2.02 s).
    CACHE_S = 1
    SEEN_WITHIN = 2.0

    def __init__(
        self,
        tmpdir: str | os.PathLike,
        start: datetime,
        *,
        tz: str | None = None,
        patch_sleep: bool = True,
        lib: str | None = None,
    ) -> None:
        self.lib = lib if lib is not None else find_libfaketime()
        if not os.path.isfile(self.lib):
            raise FileNotFoundError(self.lib)
        self.dir = os.path.abspath(os.fspath(tmpdir))
        os.makedirs(self.dir, exist_ok=True)
        self.path = os.path.join(self.dir, "faketime.rc")
        self.tz = tz
        self.shim_dir: str | None = None
        if patch_sleep:
            self.shim_dir = os.path.join(self.dir, "fakeclock_site")
            os.makedirs(self.shim_dir, exist_ok=True)
            with open(os.path.join(self.shim_dir, "sitecustomize.py"), "w") as f:
                f.write(_SITECUSTOMIZE)
        self._offset = 0.0
        self.set(start)

    # -- what children need -------------------------------------------------

    def env(self) -> dict[str, str]:
        """Variables to add to a child's environment.

        LD_PRELOAD             loads libfaketime into the child (and, being
                               inherited, into everything it spawns).
        FAKETIME_TIMESTAMP_FILE the file that holds the offset.
        FAKETIME_CACHE_DURATION=1  re-read that file about once a second
                               (real time), so a jump is seen within
                               SEEN_WITHIN, two seconds (default: 10 s). Not FAKETIME_NO_CACHE: that
                               reads the file on *every* clock call, the
                               monotonic ones included, under a mutex in the
                               MT build; CPython reads the monotonic clock at
                               each hand-over of the GIL, so the daemon's
                               threads spent seconds opening this file (41,000
                               opens in 4 s, measured with strace -c) and its
                               reminders came seconds late.
        FAKETIME_DONT_FAKE_MONOTONIC=1  keep CLOCK_MONOTONIC real, or every
                               timed wait in CPython hangs.
        TZ                     only if ``tz`` was given.
        PYTHONPATH             the sleep shim first, if ``patch_sleep``.

        The child must not also get ``FAKETIME`` (it would override the
        file); :meth:`child_env` removes it for you.
        """
        preload = os.environ.get("LD_PRELOAD", "")
        preload = [p for p in preload.replace(":", " ").split() if p != self.lib]
        env = {
            "LD_PRELOAD": " ".join([self.lib] + preload),
            "FAKETIME_TIMESTAMP_FILE": self.path,
            "FAKETIME_CACHE_DURATION": str(self.CACHE_S),
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }
        if self.tz is not None:
            env["TZ"] = self.tz
        if self.shim_dir is not None:
            rest = os.environ.get("PYTHONPATH")
            env["PYTHONPATH"] = (
                self.shim_dir + os.pathsep + rest if rest else self.shim_dir
            )
        return env

    def child_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """A complete environment: ``base`` (default os.environ) + :meth:`env`,
        minus any libfaketime settings inherited from ``base``."""
        merged = {
            k: v
            for k, v in (os.environ if base is None else base).items()
            if not (k.startswith("FAKETIME") or k == "NO_FAKE_STAT")
        }
        merged.update(self.env())
        return merged

    # -- moving the clock ---------------------------------------------------

    def set(self, when: datetime) -> None:
        """Jump: children see ``when`` now, and it runs on from there."""
        self._write(_aware(when).timestamp() - time.time())

    def advance(self, delta: timedelta | float) -> None:
        """Jump by ``delta`` (negative goes back); the clock keeps running."""
        if isinstance(delta, timedelta):
            delta = delta.total_seconds()
        self._write(self._offset + float(delta))

    def now(self) -> datetime:
        """What a child sees at this instant, as an aware UTC datetime."""
        return datetime.fromtimestamp(time.time() + self._offset, timezone.utc)

    @property
    def offset(self) -> float:
        """Seconds the children's wall clock is ahead of the real one."""
        return self._offset

    def _write(self, offset: float) -> None:
        # Write-then-rename: a child reading mid-write would otherwise parse
        # a truncated number and see a wild time.
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{offset:+.6f}\n")
        os.replace(tmp, self.path)
        self._offset = offset

    # -- tidying ------------------------------------------------------------

    @staticmethod
    def cleanup(pid: int) -> None:
        """Remove libfaketime's shared-memory files of a child that has exited.

        Only needed for a child killed by a signal; one that exits normally
        removes them itself.  Call it only after the child is reaped.
        """
        for name in (f"faketime_shm_{pid}", f"sem.faketime_sem_{pid}"):
            try:
                os.unlink(os.path.join("/dev/shm", name))
            except FileNotFoundError:
                pass
