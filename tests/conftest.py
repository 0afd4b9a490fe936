"""Shared fixtures: a config file, a real SQLite log in a temporary folder, and the CLI,
run in-process through click's runner (handed `now` when a test needs a particular one),
or as a real process where one is needed: the daemon, the desktop, a shared fake clock.

Tests come in two tiers: `pytest -m "not system"` runs the in-process ones in well under a
minute; the `system` marker is on every test that starts a real process, bus, dunst, Xvfb,
faketime, browser or server (tests using the fixtures that start those get it here)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from reminderd.store import Store
from tests.desktop import desktop, module_desktop  # noqa: F401  (fixtures: a private dunst on Xvfb)
from tests.gnome import gnome  # noqa: F401  (fixture: GNOME Shell headless, on buses of its own)
from tests.fakeclock import FakeClock, find_libfaketime

UTC = timezone.utc


def faketime_env(at: str) -> dict[str, str]:
    """Start the child's wall clock at `at` (UTC, "YYYY-MM-DD HH:MM:SS"); it then runs on.
    The monotonic clock stays real: a faked one hangs threading waits in Python 3.11."""
    return {"LD_PRELOAD": find_libfaketime(), "FAKETIME": f"@{at}", "TZ": "UTC",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


BASE_CONFIG = """\
timezone = "{timezone}"

[notifications]
backend = "log"

[[medication]]
name = "gabapentin"
dose = "300 mg"
times = {times}
remind_every = "{remind_every}"
give_up_after = "{give_up_after}"
min_gap = "{min_gap}"
snooze = "{snooze}"
"""


def config_text(timezone: str = "Europe/London", times: str = '["08:00", "14:00", "22:00"]',
                remind_every: str = "15m", give_up_after: str = "3h", min_gap: str = "4h",
                snooze: str = "10m", extra: str = "") -> str:
    return BASE_CONFIG.format(timezone=timezone, times=times, remind_every=remind_every,
                              give_up_after=give_up_after, min_gap=min_gap, snooze=snooze) + extra


# Commands that need a process of their own: the daemon, a notification server, systemctl.
NEEDS_A_PROCESS = frozenset({"run", "notify-test", "install-service"})
# What `env()` changes in a child's environment, applied in-process by click's runner.
CHILD_VARS = ("REMINDERD_CONFIG", "REMINDERD_DB", "XDG_RUNTIME_DIR", "PYTHONUNBUFFERED", "DBUS_SESSION_BUS_ADDRESS",
              "DISPLAY", "WAYLAND_DISPLAY", "NOTIFY_SOCKET", "DBUS_SYSTEM_BUS_ADDRESS")


def running_clock(start: datetime):
    """`now` for an in-process command: starts at `start` and runs on, as libfaketime's does."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


@dataclass
class Cli:
    """`reminderd …` with its own config, log and runtime folder: in-process through click's
    runner, or as a real process for the commands in NEEDS_A_PROCESS and whenever `clock`
    is set (every process it starts then shares that movable fake wall clock, and tests
    may call it from several threads). Either way the result has returncode, stdout and
    stderr, and a crash shows its traceback on stderr with exit 1, as Python's would."""

    home: Path
    clock: FakeClock | None = None

    @property
    def config(self) -> Path:
        return self.home / "config.toml"

    @property
    def db(self) -> Path:
        return self.home / "data" / "reminderd.db"

    def env(self, at: str | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(REMINDERD_CONFIG=str(self.config), REMINDERD_DB=str(self.db),
                   XDG_RUNTIME_DIR=str(self.home / "run"), PYTHONUNBUFFERED="1")
        for var in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "NOTIFY_SOCKET"):
            env.pop(var, None)
        # Never the machine's own system bus: a test that wants logind gives a private one.
        env["DBUS_SYSTEM_BUS_ADDRESS"] = f"unix:path={self.home}/no-system-bus"
        if at is not None:
            env.update(faketime_env(at))
        elif self.clock is not None:
            env = self.clock.child_env(env)
        return env

    def __call__(self, *args: str, at: str | None = None, input: str | None = None,
                 timeout: float = 30) -> subprocess.CompletedProcess:
        if self.clock is not None or NEEDS_A_PROCESS.intersection(args):
            return self.process(*args, at=at, input=input, timeout=timeout)
        return self.in_process(*args, at=at, input=input)

    def process(self, *args: str, at: str | None = None, input: str | None = None,
                timeout: float = 30) -> subprocess.CompletedProcess:
        """`python -m reminderd …` as a real process."""
        return subprocess.run([sys.executable, "-m", "reminderd", *args], env=self.env(at),
                              input=input, capture_output=True, text=True, timeout=timeout)

    def in_process(self, *args: str, at: str | None = None, input: str | None = None) -> subprocess.CompletedProcess:
        """The same command through click's runner, with the child's environment and `now`."""
        from click.testing import CliRunner

        from reminderd.cli import cli as command

        env = self.env()
        obj = {} if at is None else {"now": running_clock(datetime.fromisoformat(at).replace(tzinfo=UTC))}
        result = CliRunner().invoke(command, list(args), input=input, obj=obj, prog_name="reminderd",
                                    env={var: env.get(var) for var in CHILD_VARS})
        stderr = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            stderr += "".join(traceback.format_exception(result.exception))
        return subprocess.CompletedProcess(["reminderd", *args], result.exit_code, result.stdout, stderr)


# Fixtures that start real processes: a test using any of them is a system test.
SYSTEM_FIXTURES = frozenset({"desktop", "module_desktop", "daemon", "clocked", "display", "gnome"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SYSTEM_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.system)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A new, real log file in the test's folder, opened in this process."""
    s = Store.open(tmp_path / "data" / "reminderd.db")
    yield s
    s.close()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "run").mkdir(mode=0o700)
    runner = Cli(tmp_path)
    runner.config.write_text(config_text())
    return runner


def at(text: str) -> datetime:
    """ "2026-11-28 08:00:00" as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def rows(cli: Cli | Path, sql: str) -> list[tuple]:
    """Read the test's log (or the log at a path) with plain sqlite3, as any SQLite tool would."""
    conn = sqlite3.connect(cli if isinstance(cli, Path) else cli.db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def count_rows(db: Path) -> list[int]:
    """The number of rows in each table of the log (none for a log that was never made)."""
    if not db.exists():
        return [0] * len(Store.LOG_TABLES)
    conn = sqlite3.connect(db)
    try:
        return [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in Store.LOG_TABLES]
    finally:
        conn.close()


@pytest.fixture
def clocked(cli: Cli, tmp_path: Path) -> Cli:
    """The CLI and daemon three seconds before the 08:00 dose, with short intervals."""
    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 07:59:57"))
    cli.config.write_text(config_text(remind_every="3s", give_up_after="40s", min_gap="1h", snooze="5s"))
    return cli


@pytest.fixture
def daemon(clocked: Cli):
    """start(**kwargs) -> a running daemon process; all are stopped at teardown."""
    from tests.daemon_process import DaemonProcess

    started: list = []

    def start(**kwargs):
        d = DaemonProcess(clocked, **kwargs)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()
