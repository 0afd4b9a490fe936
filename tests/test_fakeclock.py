"""Self-test of tests/fakeclock.py against a real child process."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

try:
    from fakeclock import FakeClock
except ImportError:  # tests/ imported as a package
    from tests.fakeclock import FakeClock

UTC = timezone.utc
START = datetime(2026, 3, 29, 0, 59, 50, tzinfo=UTC)  # 10 s before UK clocks go forward
REPLY_TIMEOUT = 10.0

pytestmark = pytest.mark.system  # real child processes under libfaketime

# The child answers one JSON line per command line; it never uses time.sleep
# except when asked to.
CHILD = r"""
import json, os, sqlite3, subprocess, sys, threading, time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "now":
        out = {"time": time.time(),
               "utc": datetime.now(timezone.utc).isoformat(),
               "london": datetime.now(ZoneInfo("Europe/London")).isoformat(),
               "local": datetime.now().astimezone().isoformat()}
    elif cmd == "wait":
        m = time.monotonic()
        threading.Event().wait(float(arg))
        out = {"waited": time.monotonic() - m}
    elif cmd == "sleep":
        m = time.monotonic()
        time.sleep(float(arg))
        out = {"waited": time.monotonic() - m}
    elif cmd == "grandchild":
        r = subprocess.run([sys.executable, "-c", "import time; print(time.time())"],
                           capture_output=True, text=True, timeout=30)
        out = {"time": float(r.stdout)}
    elif cmd == "run_timeout":
        r = subprocess.run(["true"], timeout=30)
        out = {"rc": r.returncode}
    elif cmd == "sqlite":
        c = sqlite3.connect(":memory:")
        out = {"unix": int(c.execute("select strftime('%s','now')").fetchone()[0])}
    else:
        out = {"error": cmd}
    print(json.dumps(out), flush=True)
"""


class Child:
    def __init__(self, clock: FakeClock):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=clock.child_env(),
        )

    def ask(self, cmd: str) -> dict:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], REPLY_TIMEOUT)
        assert ready, f"child gave no answer to {cmd!r} in {REPLY_TIMEOUT} s"
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=REPLY_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        FakeClock.cleanup(self.proc.pid)


@pytest.fixture
def clock(tmp_path):
    return FakeClock(tmp_path, START, tz="Europe/London")


@pytest.fixture
def child(clock):
    c = Child(clock)
    yield c
    c.close()


def seen(child: Child, clock: FakeClock, cmd: str = "now") -> tuple[dict, datetime, datetime]:
    """Ask the child, bracketed by what the clock says before and after."""
    before = clock.now()
    answer = child.ask(cmd)
    return answer, before, clock.now()


def seen_after_move(child: Child, clock: FakeClock) -> tuple[dict, datetime, datetime]:
    """Ask the child until it sees the clock as moved (it re-reads the clock file about
    once a second); the move must be seen within SEEN_WITHIN (plus scheduling slack)."""
    moved_at = time.monotonic()
    while True:
        answer, before, after = seen(child, clock)
        if before.timestamp() - 0.05 <= answer["time"] <= after.timestamp() + 0.05:
            assert time.monotonic() - moved_at < clock.SEEN_WITHIN + 1.0
            return answer, before, after
        assert time.monotonic() - moved_at < clock.SEEN_WITHIN + 5.0, "the child never saw the move"
        threading.Event().wait(0.05)


def assert_between(t: float, before: datetime, after: datetime, slack: float = 0.05):
    assert before.timestamp() - slack <= t <= after.timestamp() + slack, (
        datetime.fromtimestamp(t, UTC), before, after)


def test_child_starts_at_the_chosen_instant(clock, child):
    answer, before, after = seen(child, clock)
    assert_between(answer["time"], before, after)
    # python start-up takes well under the 10 s of slack here
    assert START <= datetime.fromisoformat(answer["utc"]) < START + timedelta(seconds=10)
    assert datetime.fromisoformat(answer["london"]).utcoffset() == timedelta(0)
    assert datetime.fromisoformat(answer["local"]).utcoffset() == timedelta(0)


def test_clock_runs_at_real_speed(clock, child):
    first = child.ask("now")["time"]
    threading.Event().wait(0.5)
    second = child.ask("now")["time"]
    assert 0.45 <= second - first <= 2.0


def test_set_is_seen_within_two_seconds_and_time_zones_follow(clock, child):
    child.ask("now")
    target = datetime(2026, 3, 29, 3, 0, 0, tzinfo=UTC)
    clock.set(target)
    answer, before, after = seen_after_move(child, clock)
    assert_between(answer["time"], before, after)
    assert abs(answer["time"] - target.timestamp()) < clock.SEEN_WITHIN + 1.5
    assert datetime.fromisoformat(answer["london"]).utcoffset() == timedelta(hours=1)
    assert datetime.fromisoformat(answer["local"]).utcoffset() == timedelta(hours=1)


def test_advance_forward_and_back(clock, child):
    t0 = child.ask("now")["time"]
    clock.advance(timedelta(hours=3, seconds=10))
    answer, before, after = seen_after_move(child, clock)
    assert_between(answer["time"], before, after)
    assert 3 * 3600 + 10 <= answer["time"] - t0 < 3 * 3600 + 20
    clock.advance(-7200)
    answer, before, after = seen_after_move(child, clock)
    assert_between(answer["time"], before, after)
    assert 3600 + 10 <= answer["time"] - t0 < 3600 + 20


def test_future_instant_and_fractional_offset(clock, child):
    target = datetime(2031, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
    clock.set(target)
    answer, before, after = seen_after_move(child, clock)
    assert_between(answer["time"], before, after, slack=0.02)


def test_timed_waits_use_real_time_across_jumps(clock, child):
    clock.advance(timedelta(days=1))
    m = time.monotonic()
    assert 0.25 <= child.ask("wait 0.3")["waited"] < 2.0
    clock.advance(timedelta(days=-2))
    assert 0.25 <= child.ask("wait 0.3")["waited"] < 2.0
    assert time.monotonic() - m < 5.0


def test_time_sleep_and_subprocess_timeouts_work(clock, child):
    clock.advance(3600)
    assert 0.15 <= child.ask("sleep 0.2")["waited"] < 2.0
    assert child.ask("sleep 0")["waited"] < 1.0
    assert child.ask("run_timeout")["rc"] == 0


def test_grandchildren_and_sqlite_see_the_same_clock(clock, child):
    clock.set(datetime(2026, 10, 25, 1, 29, 0, tzinfo=UTC))
    seen_after_move(child, clock)
    answer, before, after = seen(child, clock, "grandchild")
    assert_between(answer["time"], before, after)
    answer, before, after = seen(child, clock, "sqlite")
    assert int(before.timestamp()) <= answer["unix"] <= int(after.timestamp()) + 1


def test_now_tracks_real_time_plus_offset(tmp_path):
    clock = FakeClock(tmp_path, START)
    assert abs((clock.now() - START).total_seconds()) < 1.0
    clock.advance(timedelta(minutes=5))
    assert abs((clock.now() - START).total_seconds() - 300) < 1.0
    with open(clock.path) as f:
        assert f.read().strip() == f"{clock.offset:+.6f}"


def test_rejects_naive_datetimes(tmp_path):
    with pytest.raises(ValueError):
        FakeClock(tmp_path, datetime(2026, 3, 29, 1, 0))
    clock = FakeClock(tmp_path, START)
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 3, 29, 1, 0))


def test_env_contents(tmp_path):
    clock = FakeClock(tmp_path, START, tz="America/New_York")
    env = clock.child_env({"PATH": os.environ.get("PATH", ""), "FAKETIME": "+1d"})
    assert "FAKETIME" not in env
    assert env["LD_PRELOAD"].split()[0] == clock.lib
    assert env["FAKETIME_TIMESTAMP_FILE"] == clock.path
    assert env["FAKETIME_CACHE_DURATION"] == "1" and "FAKETIME_NO_CACHE" not in env
    assert env["FAKETIME_DONT_FAKE_MONOTONIC"] == "1"
    assert env["TZ"] == "America/New_York"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == clock.shim_dir
