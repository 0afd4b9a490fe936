"""Time, the hard part, with the daemon as a real process under libfaketime: both DST
changes in Europe/London and America/New_York, and the CLI and the daemon writing the
log at the same moment."""

from __future__ import annotations

import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time as dtime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Cli, config_text
from tests.daemon_process import DaemonProcess
from tests.fakeclock import FakeClock
from tests.conftest import UTC, at, rows

pytestmark = pytest.mark.system  # real processes: the daemon, a bus, dunst, libfaketime


@pytest.mark.parametrize(
    "zone, day, slot, due_utc, repeat_utc",
    [
        # Spring: 01:30 does not exist in London; it falls due once at 02:30 BST.
        ("Europe/London", "2026-03-29", "01:30", "2026-03-29 01:30:00", None),
        # Autumn: 01:30 happens twice; only the first (BST) one is a dose.
        ("Europe/London", "2026-10-25", "01:30", "2026-10-25 00:30:00", "2026-10-25 01:30:00"),
        ("America/New_York", "2026-03-08", "02:30", "2026-03-08 07:30:00", None),
        ("America/New_York", "2026-11-01", "01:30", "2026-11-01 05:30:00", "2026-11-01 06:30:00"),
    ],
    ids=["london-spring", "london-autumn", "new-york-spring", "new-york-autumn"],
)
def test_dst_slot_is_reminded_once(cli: Cli, tmp_path, zone, day, slot, due_utc, repeat_utc) -> None:
    # Start the evening before, so the slot's row comes from the normal daily schedule.
    cli.clock = FakeClock(tmp_path / "clock", at(due_utc).replace(hour=0, minute=0) - timedelta(hours=2))
    cli.config.write_text(config_text(timezone=zone, times=f'["{slot}", "12:00"]', remind_every="4s",
                                      give_up_after="2h", min_gap="1h"))
    d = DaemonProcess(cli)
    try:
        d.wait_for(r"dose\(s\) scheduled")
        assert rows(cli, f"SELECT due FROM doses WHERE local_date = '{day}' AND slot = '{slot}'") == [
            (at(due_utc).isoformat(),)], d.output
        cli.clock.set(at(due_utc) - timedelta(seconds=3))
        line = d.wait_for(rf"reminder 1: gabapentin 300 mg, {slot} dose of {day}", timeout=15)[0]
        assert "min late" not in line
        took = cli("take")
        assert took.returncode == 0, took.stderr
        assert f"{slot} dose of {day}" in took.stdout and "(on time, " in took.stdout
        if repeat_utc:
            jumps = d.count(r"the clock jumped by")
            cli.clock.set(at(repeat_utc) - timedelta(seconds=3))  # the wall clock shows the slot again
            d.wait_for(r"the clock jumped by", count=jumps + 1)
        # The 12:00 dose's reminder comes after any the slot could still get.
        noon = datetime.combine(date.fromisoformat(day), dtime(12), ZoneInfo(zone)).astimezone(UTC)
        cli.clock.set(noon - timedelta(seconds=3))
        d.wait_for(rf"reminder 1: gabapentin 300 mg, 12:00 dose of {day}", timeout=15)
        assert d.count(rf"reminder \d+: gabapentin 300 mg, {slot} dose") == 1
        assert rows(cli, f"SELECT count(*) FROM doses WHERE local_date = '{day}' AND slot = '{slot}'") == [(1,)]
    finally:
        d.stop()


def test_cli_and_daemon_writing_together_never_fail(cli: Cli, tmp_path) -> None:
    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 07:59:58"))
    meds = "".join(
        f'\n[[medication]]\nname = "med{i}"\ndose = "1 tablet"\ntimes = ["08:00", "20:00"]\n'
        f'remind_every = "1s"\ngive_up_after = "3h"\nmin_gap = "1m"\n' for i in range(8))
    cli.config.write_text(config_text(min_gap="1m") + meds)
    d = DaemonProcess(cli)
    try:
        d.wait_for(r"reminder 2: med7", timeout=20)  # the daemon is writing every second
        commands = ([["take", f"med{i}"] for i in range(8)] + [["status"], ["log"], ["take", "gabapentin"]] * 4
                    + [["skip", f"med{i}"] for i in range(8)])

        def run(args: list[str]) -> subprocess.CompletedProcess:
            return cli(*args, timeout=120)

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(run, commands))
        for args, out in zip(commands, results):
            assert "locked" not in out.stderr, (args, out.stderr)
            assert out.returncode in (0, 2), (args, out.stderr)
        taken = rows(cli, "SELECT medication FROM doses WHERE status = 'taken' ORDER BY medication")
        assert taken == [("gabapentin",)] + [(f"med{i}",) for i in range(8)]
        assert d.proc.poll() is None
        assert "Traceback" not in d.output
        # No timer was dropped by the scheduler for being queued too often (a dropped date
        # timer is a dose no longer reminded).
        assert "skipped: maximum number of running instances" not in d.output
    finally:
        d.stop()
    assert "Traceback" not in d.output  # nor while it stopped with timers queued


def test_time_zone_change_moves_future_doses_and_keeps_answered_ones(cli: Cli, tmp_path) -> None:
    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 09:00:00"))
    d = DaemonProcess(cli)
    try:
        d.wait_for(r"dose\(s\) scheduled")
        assert cli("take", "--at", "08:05").returncode == 0
        cli.config.write_text(config_text(timezone="America/New_York"))
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for(r"config reloaded")
        d.wait_for(r"gabapentin 14:00 dose of 2026-11-28 now falls due at 2026-11-28T19:00:00\+00:00")
        due = dict(rows(cli, "SELECT slot, due FROM doses WHERE local_date = '2026-11-28'"))
        assert due["08:00"] == "2026-11-28T08:00:00+00:00"  # answered: its recorded instant stays
        assert due["14:00"] == "2026-11-28T19:00:00+00:00"  # 14:00 in New York
        assert rows(cli, "SELECT taken_at FROM doses WHERE local_date = '2026-11-28' AND slot = '08:00'") == [
            ("2026-11-28T08:05:00+00:00",)]
    finally:
        d.stop()
