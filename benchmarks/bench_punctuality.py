#!/usr/bin/env python3
"""Punctuality: how late reminders reach a real notification server.

Starts a private desktop (tests/desktop.py: its own D-Bus session bus, Xvfb and a real
dunst) whose rule script writes the server's own receipt time of every notification
(`$EPOCHREALTIME` in a bash script run by dunst when it displays it). Then:

1. burst: `reminderd run` (backend "dbus", real clock) with 50 medications of one slot
   each, spread over `--minutes` consecutive minutes (default 2: 25 due at hh:mm:00 and
   25 a minute later). Slots are whole minutes, so the daemon's zone is a generated
   fixed-offset zone (PYTHONTZPATH) whose offset of 0-59 s puts a minute boundary 16 s
   after the start: no waiting for the next real minute. Lateness = server receipt - due
   instant; also the daemon's own "reminder" log line - due, and the first of each minute.
   The real clock, not libfaketime: under libfaketime the same bursts were 2-10x slower
   now and then (a test artefact);
2. suspend: another daemon, under a fake wall clock (tests/fakeclock.py, libfaketime),
   with 5 medications due at 10:00, 11:00, ... 14:00; the fake clock jumps (as on resume
   from suspend) 30 s past each one in turn; time from the jump to the reminder reaching
   the server;
3. baselines on the same server: `notify-send` round trip (process start + Notify +
   display), and, right after each minute of the burst test, a burst of the same size of
   notifications like the daemon's (buttons, resident) sent from this process over one
   D-Bus connection, each waiting for its reply as the daemon does: the server's own
   floor under the same load (dunst's cost per notification grows with how many it shows).

Goals (issue 7), the daemon's own promises: p99 lateness under DUE_REMINDED_WITHIN_S
(0.5 s); a reminder within JUMP_REMINDED_WITHIN_S (5 s) of a clock jump.

    python benchmarks/bench_punctuality.py [--minutes 2] [--count 50] [--jumps 5] [--json]

`--minutes 1` is the worst case (all 50 due in the same second); `--minutes 5` is the
gentler "10 a minute" (about 5 minutes).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zoneinfo
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, REPO, child_env, emit, stop_process, summary, table, verdict  # noqa: E402

sys.path.insert(0, str(REPO))
from reminderd.daemon.scheduler import DUE_REMINDED_WITHIN_S  # noqa: E402
from reminderd.daemon.watch import JUMP_REMINDED_WITHIN_S  # noqa: E402
from tests.desktop import DUNSTRC, Desktop  # noqa: E402
from tests.fakeclock import FakeClock  # noqa: E402

UTC = timezone.utc
GOAL_P99_S = DUE_REMINDED_WITHIN_S
GOAL_JUMP_S = JUMP_REMINDED_WITHIN_S
LEAD_S = 6.0  # the first burst minute comes this long after the daemon's start-up allowance
STARTUP_S = 10.0  # the daemon's start-up allowance
JUMP_DAY = datetime(2030, 6, 12, 10, 0, tzinfo=UTC)

RECEIPT_SCRIPT = """#!/bin/bash
# dunst runs this for every notification it displays: the server's receipt time (no fork).
# The body too, its lines joined by " | ": doses due together arrive as one notification
# whose body lists them.
printf '%s\\t%s\\t%s\\n' "$EPOCHREALTIME" "$DUNST_ID" "$DUNST_SUMMARY | ${{DUNST_BODY//$'\\n'/ | }}" >> {log}
"""


class TimedDesktop(Desktop):
    """tests/desktop.py's desktop, with a rule script that stamps each notification."""

    @property
    def receipts_path(self) -> Path:
        return self.dir / "receipts.tsv"

    def _write_dunst_config(self) -> None:
        super()._write_dunst_config()
        script = self.dir / "receipt"
        script.write_text(RECEIPT_SCRIPT.format(log=self.receipts_path))
        script.chmod(0o755)
        (self.dir / "dunstrc").write_text(DUNSTRC.format(dmenu=self.dir / "dmenu", record=script))

    def receipts(self) -> list[tuple[float, str]]:
        """(real epoch seconds, summary) of every notification displayed so far."""
        if not self.receipts_path.exists():
            return []
        out = []
        for line in self.receipts_path.read_text().splitlines():
            parts = line.split("\t", 2)
            if len(parts) == 3:
                out.append((float(parts[0]), parts[2]))
        return out

    def first_receipt(self, summary: str, after: float = 0.0) -> float | None:
        """The first notification whose title is `summary`, or whose body lists it as a
        dose of a group ("med01 300 mg (10:00)")."""
        def shows(text: str) -> bool:
            return any(part == summary or part.startswith(summary + " (") for part in text.split(" | "))
        return next((t for t, s in self.receipts() if shows(s) and t >= after), None)


def config(meds: list[tuple[str, str]], zone: str = "UTC", checkin: str = "20:00") -> str:
    until = f"{checkin[:3]}30"
    # Doses are grouped only when due at the same instant: each minute's burst is one
    # notification, and no dose is reminded before its own time with an earlier group.
    text = [f'timezone = "{zone}"', 'group_within = "0s"', "", "[notifications]", 'backend = "dbus"', "",
            "[checkin]", f'time = "{checkin}"', f'until = "{until}"', ""]
    for name, slot in meds:
        text += ["[[medication]]", f'name = "{name}"', 'dose = "300 mg"', f'times = ["{slot}"]',
                 'remind_every = "6h"', 'give_up_after = "8h"', ""]
    return "\n".join(text)


def tzif(offset_s: int, abbr: str = "BEN") -> bytes:
    """A TZif v2 zone file with one fixed UTC offset (seconds allowed) and no transitions."""
    chars = abbr.encode() + b"\0"
    block = (b"TZif2" + b"\0" * 15 + struct.pack(">6l", 0, 0, 0, 0, 1, len(chars))
             + struct.pack(">lBB", offset_s, 0, 0) + chars)
    sign, a = ("-" if offset_s >= 0 else "+"), abs(offset_s)  # POSIX TZ strings invert the sign
    return block + block + f"\n<{abbr}>{sign}{a // 3600}:{a % 3600 // 60:02d}:{a % 60:02d}\n".encode()


def start_real_daemon(home: Path, desktop: Desktop, tzpath: Path) -> tuple[subprocess.Popen, Path]:
    """The daemon on the real clock (no libfaketime), its zones looked up in `tzpath` too."""
    env = child_env(home, DBUS_SESSION_BUS_ADDRESS=desktop.bus_address, DISPLAY=desktop.display,
                    PYTHONTZPATH=os.pathsep.join([str(tzpath), *zoneinfo.TZPATH]), TZ="UTC")
    log = home / "daemon.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([PYTHON, "-m", "reminderd", "run"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def start_daemon(home: Path, clock: FakeClock, desktop: Desktop) -> tuple[subprocess.Popen, Path]:
    """The daemon on the private desktop under the movable fake clock (as the tests run it:
    libfaketime re-reads the clock file on every clock call, which slows the daemon but
    lets it see a jump at once)."""
    env = child_env(home, DBUS_SESSION_BUS_ADDRESS=desktop.bus_address, DISPLAY=desktop.display)
    env = clock.child_env(env)
    log = home / "daemon.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([PYTHON, "-m", "reminderd", "run"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while "reminderd started" not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the daemon did not start:\n{log.read_text()}")
        time.sleep(0.05)
    return proc, log


def stop_daemon(proc: subprocess.Popen, clock: FakeClock | None) -> None:
    stop_process(proc)
    if clock is not None:
        clock.cleanup(proc.pid)


def wait_until(check, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(step)


LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO reminder 1: (\S+) ")


def daemon_sent_times(log: Path) -> dict[str, datetime]:
    """When the daemon logged each first reminder (its fake clock, UTC, ms)."""
    out = {}
    for line in log.read_text(errors="replace").splitlines():
        m = LOG_LINE.match(line)
        if m and m[2] not in out:
            out[m[2]] = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)
    return out


# --- the parts ---------------------------------------------------------------------------


def baseline_notify_send(desktop: TimedDesktop, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        t0 = time.time()
        subprocess.run(["notify-send", f"baseline{i}", "round trip"], env=desktop.env, check=True, timeout=10)
        t = wait_until(lambda i=i: desktop.first_receipt(f"baseline{i}"), 10)
        if t:
            out.append(t - t0)
    desktop.close_all()
    return out


def reminder_like(summary: str) -> tuple:
    """Notify arguments as the daemon sends a first reminder (buttons, resident, no expiry)."""
    actions = ["default", "Taken", "taken", "Taken", "snooze", "Snooze 10 min", "skip", "Skip"]
    hints = {"urgency": ("y", 1), "desktop-entry": ("s", "reminderd"), "resident": ("b", True)}
    return ("reminderd", 0, "", summary, "10:00 dose", actions, hints, 0)


def baseline_burst(desktop: TimedDesktop, count: int, tag: str) -> list[float]:
    """`count` reminder-like notifications sent back to back from here over one connection,
    each waiting for the server's reply as the daemon does: the server's floor for a burst."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    server = DBusAddress("/org/freedesktop/Notifications", bus_name="org.freedesktop.Notifications",
                         interface="org.freedesktop.Notifications")
    conn = open_dbus_connection(bus=desktop.bus_address)
    try:
        t0 = time.time()
        for i in range(count):
            conn.send_and_get_reply(new_method_call(server, "Notify", "susssasa{sv}i",
                                                    reminder_like(f"{tag}{i} 300 mg")), timeout=10)
        times = [wait_until(lambda i=i: desktop.first_receipt(f"{tag}{i} 300 mg"), 10) for i in range(count)]
    finally:
        conn.close()
    desktop.close_all()
    return [t - t0 for t in times if t]


def burst(desktop: TimedDesktop, root: Path, count: int, minutes: int) -> dict:
    """`count` medications due over `minutes` consecutive minutes, on the real clock.

    Slots are whole minutes, so the daemon's zone is a generated fixed-offset zone whose
    offset (0-59 s) puts a local minute boundary STARTUP_S + LEAD_S from now: the first
    burst comes without waiting up to a minute for the next one."""
    home = root / "burst"
    home.mkdir()
    tzpath = root / "zones"
    (tzpath / "Bench").mkdir(parents=True)
    first = math.ceil(time.time() + STARTUP_S + LEAD_S)
    offset = (-first) % 60
    (tzpath / "Bench" / "Phase").write_bytes(tzif(offset))

    def local(t: float) -> datetime:
        return datetime.fromtimestamp(t + offset, UTC)

    meds = [(f"med{i + 1:02d}", local(first + 60 * (i * minutes // count)).strftime("%H:%M")) for i in range(count)]
    due = {name: first + 60 * (i * minutes // count) for i, (name, _) in enumerate(meds)}
    checkin = local(first + 12 * 3600).strftime("%H:00")
    (home / "config.toml").write_text(config(meds, "Bench/Phase", checkin if checkin != "23:00" else "22:00"))
    t0 = time.time()
    proc, log = start_real_daemon(home, desktop, tzpath)
    # Start-up is done when the daemon has tried the system bus (its last step).
    wait_until(lambda: "suspend" in log.read_text(errors="replace") or proc.poll() is not None, STARTUP_S, 0.05)
    startup_s = time.time() - t0
    late: dict[str, float] = {}
    firsts: list[float] = []
    floor: list[float] = []
    try:
        for minute in range(minutes):
            at = first + 60 * minute
            names = [n for n, _ in meds if due[n] == at]
            wait_until(lambda names=names: all(desktop.first_receipt(f"{n} 300 mg") for n in names)
                       or proc.poll() is not None,
                       at - time.time() + 20, 0.1)
            here = {}
            for n in names:
                t = desktop.first_receipt(f"{n} 300 mg")
                if t is not None:
                    here[n] = t - due[n]
            late.update(here)
            if here:
                firsts.append(min(here.values()))
            desktop.close_all()  # the next minute starts on an empty screen
            # The server's floor for the same burst, right now (same machine load), from here.
            floor += baseline_burst(desktop, len(names), f"floor{minute}-")
        sent = daemon_sent_times(log)
        if proc.poll() is not None:
            raise SystemExit(f"the daemon exited:\n{log.read_text()}")
    finally:
        stop_daemon(proc, None)
    scheduler = [sent[n].timestamp() - due[n] for n in sent if n in due]
    return {"lateness": list(late.values()), "missing": sorted(set(due) - set(late)),
            "scheduler_lateness": scheduler, "first_of_minute": firsts, "startup_s": startup_s,
            "floor": floor}


def jumps(desktop: TimedDesktop, root: Path, count: int) -> dict:
    home = root / "jump"
    home.mkdir()
    meds = [(f"jump{i + 1}", f"{10 + i:02d}:00") for i in range(count)]
    (home / "config.toml").write_text(config(meds))
    clock = FakeClock(home / "clock", JUMP_DAY - timedelta(hours=1), tz="UTC")
    proc, log = start_daemon(home, clock, desktop)
    out = []
    try:
        time.sleep(2.0)  # its first refresh done, its timers set for an hour ahead and more
        for i, (name, _) in enumerate(meds):
            # resume 30 s after the dose fell due: the monotonic clock did not see the sleep
            t_jump = time.time()
            clock.set(JUMP_DAY + timedelta(hours=i, seconds=30))
            t = wait_until(lambda name=name, t_jump=t_jump: desktop.first_receipt(f"{name} 300 mg", after=t_jump),
                           GOAL_JUMP_S * 3, 0.02)
            out.append(t - t_jump if t else float("inf"))
            # let it settle (its watch loop turns every 2 s) so each jump is measured alone,
            # as suspends hours apart are
            time.sleep(2.5)
        desktop.close_all()
    finally:
        stop_daemon(proc, clock)
    text = log.read_text(errors="replace")
    return {"latency": out, "log_jumps": text.count("the clock jumped"),
            "log": [line for line in text.splitlines() if "jumped" in line or "reminder" in line or "refresh" in line]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=50, help="reminders in the burst test (default 50)")
    parser.add_argument("--minutes", type=int, default=2,
                        help="consecutive minutes they are due in (default 2; each more adds a minute)")
    parser.add_argument("--jumps", type=int, default=5, help="clock jumps (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()
    count, minutes, njumps = max(1, min(args.count, 200)), max(1, min(args.minutes, 10)), max(1, min(args.jumps, 10))

    root = Path(tempfile.mkdtemp(prefix="bench-punct-"))
    try:
        with TimedDesktop() as desktop:
            per_minute = -(-count // minutes)
            ns = baseline_notify_send(desktop, 10)
            b = burst(desktop, root, count, minutes)
            bb = b["floor"]
            j = jumps(desktop, root, njumps)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    late, sched, jl = summary(b["lateness"]), summary(b["scheduler_lateness"]), summary(j["latency"])
    first = summary(b["first_of_minute"])
    nss, bbs = summary(ns), summary(bb)
    ok_p99 = not b["missing"] and late["p99"] < GOAL_P99_S
    ok_jump = len(j["latency"]) == njumps and jl["max"] < GOAL_JUMP_S

    def r(s: dict) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in s.items()}

    out = {
        "burst": {"count": count, "minutes": minutes, "per_minute": per_minute,
                  "lateness_s": r(late), "first_of_each_minute_s": r(first),
                  "daemon_startup_s": round(b["startup_s"], 2),
                  "daemon_log_lateness_s": r(sched), "missing": b["missing"],
                  "p99_excess_over_server_floor_s": round(late["p99"] - bbs["p99"], 4)},
        "jump": {"jumps": njumps, "latency_s": r(jl), "each_s": [round(x, 3) for x in j["latency"]],
                 "jumps_logged_by_daemon": j["log_jumps"], "daemon_log": j["log"]},
        "baseline": {"notify_send_round_trip_s": r(nss),
                     "same_bursts_from_one_connection_after_each_minute_s": r(bbs)},
        "goals": {f"p99_lt_{GOAL_P99_S:g}s": ok_p99, f"jump_lt_{GOAL_JUMP_S:g}s": ok_jump},
    }
    rows = [
        [f"burst: {count} due over {minutes} min, due -> server", late["n"], late["median"], late["p90"], late["p99"], late["max"]],
        ["  first reminder of each minute", first["n"], first["median"], first["p90"], first["p99"], first["max"]],
        ["  due -> daemon's log line (before Notify)", sched["n"], sched["median"], sched["p90"], sched["p99"], sched["max"]],
        ["clock jump (suspend) -> server", jl["n"], jl["median"], jl["p90"], jl["p99"], jl["max"]],
        ["baseline: notify-send round trip", nss["n"], nss["median"], nss["p90"], nss["p99"], nss["max"]],
        ["baseline: the same bursts sent from one connection", bbs["n"], bbs["median"], bbs["p90"], bbs["p99"], bbs["max"]],
    ]
    text = [table(["seconds", "n", "p50", "p90", "p99", "max"], rows), "",
            f"burst daemon start-up (process start to its last start-up step): {b['startup_s']:.2f} s; "
            f"p99 over the server's floor: {late['p99'] - bbs['p99']:+.3f} s",
            f"jumps: {', '.join(f'{x:.2f}' for x in j['latency'])} s; the daemon logged {j['log_jumps']} clock jumps",
            ("missing reminders: " + ", ".join(b["missing"])) if b["missing"] else "no reminder missing", "",
            f"goals: p99 < {GOAL_P99_S} s {verdict(ok_p99)}, jump -> reminder < {GOAL_JUMP_S:g} s {verdict(ok_jump)}"]
    emit(out, args.json, "\n".join(text))


if __name__ == "__main__":
    main()
