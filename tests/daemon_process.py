"""The daemon as a real process, for tests: start it, read its log, answer, stop it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime

import pytest

from tests.conftest import Cli
from tests.desktop import GIVE_UP_S
from tests.fakeclock import FakeClock


class DaemonProcess:
    def __init__(self, cli: Cli, *args: str, env: dict[str, str] | None = None,
                 command: list[str] | None = None) -> None:
        """`reminderd [args] run` of this checkout, or of another install (`command`)."""
        self.cli = cli
        self.log_path = cli.home / f"daemon-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [*(command or [sys.executable, "-m", "reminderd"]), *args, "run"],
            env=env or cli.env(), stdout=self._log, stderr=subprocess.STDOUT, text=True,
        )

    @property
    def output(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, pattern: str, timeout: float = GIVE_UP_S, count: int = 1) -> list[str]:
        """Poll the log until `pattern` (a regex) has matched `count` lines. The timeout only
        bounds a failure: a daemon started on a busy machine may take seconds to get going."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.output.splitlines() if re.search(pattern, line)]
            if len(lines) >= count:
                return lines
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited ({self.proc.returncode}) before {pattern!r}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} x{count} within {timeout}s:\n{self.output}")
            threading.Event().wait(0.1)

    def count(self, pattern: str) -> int:
        return sum(1 for line in self.output.splitlines() if re.search(pattern, line))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        if self.cli.clock is not None:
            self.cli.clock.cleanup(self.proc.pid)
        return self.proc.returncode

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._log.close()
        if self.cli.clock is not None:
            self.cli.clock.cleanup(self.proc.pid)


@pytest.fixture
def daemon_at(tmp_path):
    """start(cli, when) -> a daemon whose clock starts at `when` (None: runs on)."""
    started: list[DaemonProcess] = []

    def start(cli: Cli, when: datetime | None) -> DaemonProcess:
        if when is not None:
            cli.clock = FakeClock(tmp_path / "clock", when)
        started.append(DaemonProcess(cli))
        return started[-1]

    yield start
    for d in started:
        d.stop()
