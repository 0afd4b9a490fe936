#!/usr/bin/env python3
"""Idle daemon: what `reminderd run` costs while it waits between doses, as a user runs it.

Every configuration runs at once, side by side, each its own `python -m reminderd run`
with its own config and log, and all are measured over the same idle window:

- plain: one medication, D-Bus notifications (a private session bus with dunst on Xvfb,
  tests/desktop.py), logind's sleep signal on a private system bus (tests/screensaver.py),
  and systemd's watchdog (NOTIFY_SOCKET and WATCHDOG_USEC from the unit's WatchdogSec);
- plain, first start: the same, but the daemon creates and migrates the log itself;
- plain, the machine's zone: the same with no `timezone` (the example config's way), so
  the daemon follows the machine's zone (its watch of /etc);
- push + contacts: `[push]` and a `[[contact]]` configured, nothing to send;
- phone page: `[remote]` listening on loopback;
- replica: `[replica]` to a folder; its Litestream (a child of the daemon) is measured
  beside it;
- everything: push, contacts, the page and the replica.

Slots, the check-in and the contact's summary are hours away: nothing falls due, nothing
is asked and nothing is sent. After start-up and SETTLE_S, over `--seconds`:

- CPU: the exact run time of every thread (/proc/PID/task/*/schedstat), of the daemon
  and of every process it started (a replica's engine), as % of one core;
- wake-ups: voluntary + involuntary context switches of those threads, per second, per
  process and per thread (tid; "main" is the daemon's own);
- memory: VmRSS and VmHWM of each process at the end.

The baseline, measured over the same window: an idle
`python -c "import threading; threading.Event().wait()"`.

Goals: each configuration ≤ 0.05% of one core and ≤ 1 wake-up/s (issue 26); VmRSS and
VmHWM < 40 MB with everything on, the replica's own process reported beside it (issue 26);
< 35 MB for the plain daemon (issue 7).

    python benchmarks/bench_idle.py [--seconds 100] [--json]

The issue's figure is over 5 minutes: `--seconds 300` (takes ~5 min 20 s). The default,
100 s, keeps the script under the 2-minute budget. Needs what `bash .ci/run` installs
(dbus, dunst, Xvfb).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, REPO, child_env, emit, stop_process, table, verdict  # noqa: E402

sys.path.insert(0, str(REPO))
from tests.desktop import Desktop  # noqa: E402
from tests.receivers import free_port  # noqa: E402
from tests.screensaver import IdleSession  # noqa: E402

GOAL_CPU_PCT = 0.05
GOAL_WAKEUPS_PER_S = 1.0
GOAL_RSS_MB = 40.0  # everything on (issue 26)
GOAL_RSS_PLAIN_MB = 35.0  # the plain daemon (issue 7)
SETTLE_S = 3.0
UNIT = REPO / "reminderd" / "reminderd.service"


def watchdog_usec() -> str:
    """The unit's WatchdogSec, as systemd passes it to the service (WATCHDOG_USEC)."""
    line = next(x for x in UNIT.read_text().splitlines() if x.startswith("WatchdogSec="))
    return str(int(line.split("=", 1)[1]) * 1_000_000)


def base_config(now: datetime) -> str:
    """Two slots and the check-in at least 4 h from now (UTC), so nothing falls due,
    nothing is still inside its give-up window and nothing is asked."""
    at = lambda hours: (now + timedelta(hours=hours)).strftime("%H:%M")
    checkin = (now + timedelta(hours=12)).replace(minute=0)
    if checkin.hour == 23:
        checkin -= timedelta(hours=1)
    return f"""\
timezone = "UTC"

[notifications]
backend = "dbus"

[checkin]
time = "{checkin:%H:%M}"
until = "{checkin + timedelta(minutes=30):%H:%M}"

[[medication]]
name = "gabapentin"
dose = "300 mg"
times = ["{at(4)}", "{at(10)}"]
remind_every = "15m"
give_up_after = "3h"
min_gap = "4h"
"""


def push_sections(now: datetime) -> str:
    """Configured but silent: to a closed loopback port, the summary later today (at 23:59
    when now + 6 h is tomorrow: a time already past today would send today's at once)."""
    later = now + timedelta(hours=6)
    summary = later if later.date() == now.date() else now.replace(hour=23, minute=59)
    return f"""
[push]
url = "ntfy://127.0.0.1:9/never-used"

[[contact]]
name = "Partner"
url = "json://127.0.0.1:9/never-used"
alerts = ["missed", "not-running", "summary"]
summary_time = "{summary:%H:%M}"
"""


def page_section(port: int) -> str:
    return f'\n[remote]\nlisten = "127.0.0.1:{port}"\n'


# What the daemon logs once its Litestream runs: "everything" is measured from then on, so
# the engine's start-up is not counted as idle.
REPLICA_READY = "replica: Litestream replicates"


def replica_section(home: Path) -> str:
    """`[replica]` to a folder beside the log, as its tests do."""
    return f'\n[replica]\nurl = "file://{home / "replica"}"\n'


# --- /proc -------------------------------------------------------------------------------


def _status(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def descendants(pid: int) -> list[int]:
    """The processes `pid` started, and theirs (a replica's engine)."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += [int(child), *descendants(int(child))]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def sample_process(pid: int) -> dict | None:
    """CPU, context switches and memory of one process and each of its threads, now."""
    threads = {}
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                st = _status(task / "status")
                run_ns = int((task / "schedstat").read_text().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue  # a thread that just ended
            threads[int(task.name)] = {"switches": int(st["voluntary_ctxt_switches"]) +
                                       int(st["nonvoluntary_ctxt_switches"]), "run_ns": run_ns}
        st = _status(Path(f"/proc/{pid}/status"))
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return {"name": name, "threads": threads, "rss_kb": int(st["VmRSS"].split()[0]),
            "hwm_kb": int(st["VmHWM"].split()[0])}


def sample(pid: int) -> dict:
    """The process `pid` and every process it started, now."""
    processes = {p: s for p in [pid, *descendants(pid)] if (s := sample_process(p)) is not None}
    return {"t": time.monotonic(), "processes": processes}


def delta(a: dict, b: dict, main: int) -> dict:
    """From sample `a` to `b`: per process (a process started in between counts from
    zero) and per thread, and the sums."""
    seconds = b["t"] - a["t"]
    processes = {}
    for pid, now in b["processes"].items():
        before = a["processes"].get(pid, {"threads": {}})
        threads = {}
        for tid, t in now["threads"].items():
            was = before["threads"].get(tid, {"switches": 0, "run_ns": 0})
            threads[tid] = {"wakeups": t["switches"] - was["switches"], "cpu_ms": (t["run_ns"] - was["run_ns"]) / 1e6}
        processes[pid] = {
            "name": "reminderd run" if pid == main else now["name"],
            "cpu_pct_of_core": sum(t["cpu_ms"] for t in threads.values()) / 1e3 / seconds * 100,
            "wakeups_per_s": sum(t["wakeups"] for t in threads.values()) / seconds,
            "threads": threads,
            "vmrss_mb": now["rss_kb"] / 1024,
            "vmhwm_mb": now["hwm_kb"] / 1024,
        }
    return {
        "seconds": round(seconds, 1),
        "cpu_pct_of_core": sum(p["cpu_pct_of_core"] for p in processes.values()),
        "wakeups_per_s": sum(p["wakeups_per_s"] for p in processes.values()),
        "processes": processes,
        "vmrss_mb": processes[main]["vmrss_mb"],
        "vmhwm_mb": processes[main]["vmhwm_mb"],
    }


# --- running -----------------------------------------------------------------------------


def wait_for_line(log: Path, text: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if proc.poll() is not None:
            raise SystemExit(f"the daemon exited ({proc.returncode}):\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise SystemExit(f"no {text!r} from the daemon within {timeout} s:\n{log.read_text()}")
        time.sleep(0.1)


def configurations(root: Path, now: datetime) -> dict[str, tuple[str, bool]]:
    """name -> (config text, whether the log exists before the start)."""
    plain = base_config(now)
    everything = plain + push_sections(now) + page_section(free_port()) + replica_section(root / "everything")
    return {
        "plain": (plain, True),
        "plain, first start (migrates)": (plain, False),
        # its slots and check-in hours away in the machine's zone, as the daemon reads them
        "plain, the machine's zone": (base_config(now.astimezone()).replace('timezone = "UTC"\n', ""), True),
        "push + contacts": (plain + push_sections(now), True),
        "phone page": (plain + page_section(free_port()), True),
        "replica": (plain + replica_section(root / "replica"), True),
        "everything": (everything, True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=100.0,
                        help="idle period measured (default 100; the issue's figure: 300)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()
    seconds = max(5.0, min(args.seconds, 3600.0))

    root = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    procs: dict[str, subprocess.Popen] = {}
    logs: dict[str, Path] = {}
    desktop = Desktop()
    logind = None
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    pings = 0
    try:
        desktop.start()
        logind = IdleSession(root / "system-bus")
        notify.bind(str(root / "notify"))
        notify.setblocking(False)
        now = datetime.now(timezone.utc)
        configs = configurations(root, now)
        for i, (name, (text, log_exists)) in enumerate(configs.items()):
            home = root / (name if name in ("everything", "replica") else f"c{i}")
            home.mkdir(exist_ok=True)
            (home / "config.toml").write_text(text)
            # As systemd runs the unit: the desktop's bus, logind, the watchdog.
            env = child_env(home, DBUS_SESSION_BUS_ADDRESS=desktop.bus_address, DISPLAY=desktop.display,
                            DBUS_SYSTEM_BUS_ADDRESS=logind.address, NOTIFY_SOCKET=str(root / "notify"),
                            WATCHDOG_USEC=watchdog_usec())
            if log_exists:  # the usual start: the log exists and is up to date
                subprocess.run([PYTHON, "-m", "reminderd", "status"], env=env, check=True, capture_output=True)
            logs[name] = home / "daemon.log"
            with open(logs[name], "w") as out:
                procs[name] = subprocess.Popen([PYTHON, "-m", "reminderd", "run"], env=env, stdout=out,
                                               stderr=subprocess.STDOUT, start_new_session=True)
        procs["baseline"] = subprocess.Popen([PYTHON, "-c", "import threading; threading.Event().wait()"],
                                             env=child_env(root), start_new_session=True)
        t_start = time.monotonic()
        for name, (text, _) in configs.items():
            wait_for_line(logs[name], "reminderd started", procs[name])
            if "[remote]" in text:
                wait_for_line(logs[name], "remote page: listening", procs[name])
            if "[replica]" in text:
                wait_for_line(logs[name], REPLICA_READY, procs[name])
        time.sleep(SETTLE_S)  # their first look at the doses, the self-check, the first waits
        startup_s = time.monotonic() - t_start
        first = {name: sample(p.pid) for name, p in procs.items()}
        end = time.monotonic() + seconds
        while time.monotonic() < end:  # bounded: one look a second that they are still alive
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
            pings += _drain_pings(notify)
            for name in configs:
                if procs[name].poll() is not None:
                    raise SystemExit(f"the daemon exited ({procs[name].returncode}):\n{logs[name].read_text()}")
        last = {name: sample(p.pid) for name, p in procs.items()}
        pings += _drain_pings(notify)
        daemon_logs = {name: logs[name].read_text(errors="replace") for name in configs}
    finally:
        for proc in procs.values():
            stop_process(proc)
        if logind is not None:
            logind.stop()
        desktop.stop()
        notify.close()
        shutil.rmtree(root, ignore_errors=True)

    report(configs, {name: delta(first[name], last[name], procs[name].pid) for name in first},
           daemon_logs, startup_s, pings, args.json)


def _drain_pings(sock: socket.socket) -> int:
    """The datagrams the daemons sent to the service manager: count the watchdog pings."""
    count = 0
    while True:
        try:
            count += b"WATCHDOG=1" in sock.recv(4096)
        except BlockingIOError:
            return count


def report(configs: dict, d: dict, daemon_logs: dict[str, str], startup_s: float, pings: int, as_json: bool) -> None:
    names = list(configs)
    everything = "everything"
    ok = {name: {"cpu": d[name]["cpu_pct_of_core"] <= GOAL_CPU_PCT,
                 "wakeups": d[name]["wakeups_per_s"] <= GOAL_WAKEUPS_PER_S} for name in names}
    ok_mem = d[everything]["vmrss_mb"] < GOAL_RSS_MB and d[everything]["vmhwm_mb"] < GOAL_RSS_MB
    ok_plain = all(d[n]["vmrss_mb"] < GOAL_RSS_PLAIN_MB and d[n]["vmhwm_mb"] < GOAL_RSS_PLAIN_MB
                   for n in names if n.startswith("plain"))
    unexpected = {name: [x for x in text.splitlines() if "REMINDER" in x or "missed" in x or "ERROR" in x
                         or "Traceback" in x] for name, text in daemon_logs.items()}
    rounded = lambda x: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in x.items()}
    out = {
        "idle_seconds": d[names[0]]["seconds"],
        "startup_and_settle_s": round(startup_s, 1),
        "configurations": {name: rounded({k: v for k, v in d[name].items() if k != "processes"})
                           | {"processes": {str(pid): rounded({k: v for k, v in p.items() if k != "threads"})
                                            | {"threads": {str(t): {"wakeups_per_s": round(x["wakeups"] / d[name]["seconds"], 3),
                                                                    "cpu_ms": round(x["cpu_ms"], 2)}
                                                           for t, x in p["threads"].items()}}
                                            for pid, p in d[name]["processes"].items()}}
                           for name in [*names, "baseline"]},
        "watchdog_pings": pings,
        "reminders_or_errors_during_run": {n: lines for n, lines in unexpected.items() if lines},
        "goals": {"cpu_le_0.05pct_core": {n: ok[n]["cpu"] for n in names},
                  "wakeups_le_1_per_s": {n: ok[n]["wakeups"] for n in names},
                  "memory_lt_40MB_everything": ok_mem, "memory_lt_35MB_plain": ok_plain},
    }
    rows = []
    for name in [*names, "baseline"]:
        x = d[name]
        main_pid = next(iter(x["processes"]))
        rows.append([name, x["cpu_pct_of_core"], x["wakeups_per_s"], len(x["processes"]),
                     sum(len(p["threads"]) for p in x["processes"].values()), x["vmrss_mb"], x["vmhwm_mb"]])
        for pid, p in x["processes"].items():
            if pid != main_pid:  # a process the daemon started, beside it
                rows.append([f"  + its {p['name']} (pid {pid})", p["cpu_pct_of_core"], p["wakeups_per_s"], 1,
                             len(p["threads"]), p["vmrss_mb"], p["vmhwm_mb"]])
    threads = []
    for name in names:
        for pid, p in d[name]["processes"].items():
            busiest = sorted(p["threads"].items(), key=lambda kv: (-kv[1]["wakeups"], kv[0]))
            threads.append(f"{name}{'' if p['name'] == 'reminderd run' else ' / ' + p['name']}: " + ", ".join(
                f"{'main' if tid == pid else tid} {v['wakeups'] / d[name]['seconds']:.2f}/s {v['cpu_ms']:.1f} ms"
                for tid, v in busiest))
    text = [f"idle for {d[names[0]]['seconds']} s after start-up + {SETTLE_S:g} s settle ({startup_s:.1f} s), "
            "all configurations side by side", "",
            table(["configuration", "% of a core", "wake-ups/s", "processes", "threads", "VmRSS MB", "VmHWM MB"], rows),
            "", "threads (wake-ups/s, CPU ms over the window):", *(f"  {line}" for line in threads),
            f"watchdog pings received: {pings}",
            "reminders/errors logged during the run: " + (str(out["reminders_or_errors_during_run"])
                                                          if out["reminders_or_errors_during_run"] else "none"), "",
            f"goals: each configuration <= {GOAL_CPU_PCT}% of a core "
            f"{verdict(all(o['cpu'] for o in ok.values()))}, <= {GOAL_WAKEUPS_PER_S:g} wake-up/s "
            f"{verdict(all(o['wakeups'] for o in ok.values()))}"
            + "".join(f" (MISS: {n})" for n in names if not (ok[n]["cpu"] and ok[n]["wakeups"])),
            f"       VmRSS/VmHWM < {GOAL_RSS_MB:g} MB with everything on {verdict(ok_mem)}; "
            f"plain < {GOAL_RSS_PLAIN_MB:g} MB {verdict(ok_plain)}"]
    emit(out, as_json, "\n".join(text))


if __name__ == "__main__":
    main()
