"""The full report over ten years of generated data for three medications.

Generates a log straight into a temporary SQLite file (three scheduled medications, six
doses a day, realistic statuses, a nightly check-in whose severity follows an AR(1) and
rises after missed doses, days the daemon was off), then times:

- `reminderd report --format json` over the ten years, as a subprocess (median of runs);
- the same report built in-process (log -> analysis -> JSON), and its parts;
- `python -c "import sqlite3"` as the interpreter's own start-up cost, in the same run.

Goal: the subprocess report under one second.

    python benchmarks/bench_report.py            # a table
    python benchmarks/bench_report.py --json     # the figures as JSON
    python benchmarks/bench_report.py --profile  # cProfile of the in-process report
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, REPO, child_env, emit, table, verdict  # noqa: E402

sys.path.insert(0, str(REPO))

GOAL_S = 1.0
YEARS = 10
CONFIG = """\
timezone = "Europe/London"

[notifications]
backend = "log"

[[medication]]
name = "gabapentin"
dose = "300 mg"
times = ["08:00", "14:00", "22:00"]

[[medication]]
name = "baclofen"
dose = "10 mg"
times = ["08:00", "20:00"]

[[medication]]
name = "vitamin D"
dose = "1000 IU"
times = ["09:00"]
"""


def generate(home: Path, end: date, years: int = YEARS, seed: int = 7) -> dict[str, int]:
    """Write the config and a log of `years` years ending on `end` into `home`."""
    from reminderd.config_file import load_config
    from reminderd.core.schedule import slots_on
    from reminderd.store import Store, iso

    (home / "config.toml").write_text(CONFIG)
    config = load_config(home / "config.toml")
    store = Store.open(home / "reminderd.db")  # the real schema and migrations
    rng = random.Random(seed)
    start = end - timedelta(days=round(365.25 * years) - 1)
    doses, events, checkins = [], [], []
    noise, day = 0.0, start
    while day <= end:
        daemon_off = rng.random() < 0.01  # a day with no rows at all: "not recorded"
        failed = False
        for s in slots_on(config, day):
            if daemon_off:
                failed = True
                continue
            r = rng.random()
            taken_at = None
            if r < 0.80:
                status, taken_at = "taken", s.due + timedelta(minutes=rng.gauss(5, 15))
            elif r < 0.90:
                status, taken_at = "taken", s.due + timedelta(minutes=rng.uniform(65, 170))
            elif r < 0.96:
                status, failed = "missed", True
            elif r < 0.99:
                status, failed = "skipped", True
            else:
                status, failed = "pending", True
            answered = taken_at + timedelta(seconds=20) if taken_at else s.due + timedelta(hours=3)
            doses.append((len(doses) + 1, s.medication, day.isoformat(), s.slot, s.dose, iso(s.due), status,
                          iso(taken_at), "notification" if taken_at else None,
                          round((taken_at - s.due).total_seconds() / 60) if taken_at else None,
                          1 + (r >= 0.8), iso(s.due), iso(answered) if status != "pending" else None,
                          iso(s.due - timedelta(hours=12))))
            if status != "pending":
                events.append((iso(answered), len(doses), status, "daemon", None))
        noise = 0.3 * noise + math.sqrt(1 - 0.09) * rng.gauss(0, 0.8)
        if rng.random() < 0.9:
            severity = min(3, max(0, round(1.0 + (0.8 if failed else 0.0) + noise)))
            frequency = 0 if severity == 0 else min(4, severity + rng.randint(0, 1))
            woke = 0 if severity == 0 else rng.randint(0, severity)
            answered = iso(datetime.combine(day + timedelta(days=1), datetime.min.time(), timezone.utc)
                           + timedelta(hours=8, minutes=40))
            checkins.append((day.isoformat(), severity, frequency, woke, None, answered, "notification", answered))
        day += timedelta(days=1)
    with store.write():
        store.conn.executemany(
            "INSERT INTO doses (id, medication, local_date, slot, dose, due, status, taken_at, via, late_minutes,"
            " reminders_sent, last_reminded_at, answered_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", doses)
        store.conn.executemany("INSERT INTO events (at, dose_id, kind, source, detail) VALUES (?,?,?,?,?)", events)
        store.conn.executemany(
            "INSERT INTO checkins (night, severity, frequency, woke, note, answered_at, via, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?)", checkins)
    store.close()
    return {"days": (end - start).days + 1, "doses": len(doses), "events": len(events), "checkins": len(checkins),
            "since": start.isoformat(), "until": end.isoformat()}


def time_command(args: list[str], env: dict[str, str], runs: int) -> tuple[list[float], str]:
    times, out = [], ""
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr}")
        out = done.stdout
    return times, out


def in_process(home: Path, since: date, until: date, runs: int) -> dict[str, float]:
    """Median seconds of each part of the report built in this process."""
    from reminderd.report.build import build
    from reminderd.report.json import render as render_json
    from reminderd.core.analysis.effect import effect
    from reminderd.config_file import load_config
    from reminderd.store import Store

    config = load_config(home / "config.toml")
    now = datetime.now(timezone.utc)
    parts: dict[str, list[float]] = {"total": [], "effect (rotation tests)": [], "rest (log + adherence)": []}
    for _ in range(runs):
        store = Store.open(home / "reminderd.db")
        t0 = time.perf_counter()
        built = build(store, config, since, until, now)
        render_json(built)
        total = time.perf_counter() - t0
        t1 = time.perf_counter()
        effect(built.nights)
        eff = time.perf_counter() - t1
        store.close()
        parts["total"].append(total)
        parts["effect (rotation tests)"].append(eff)
        parts["rest (log + adherence)"].append(total - eff)
    return {k: statistics.median(v) for k, v in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command (median)")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        home = Path(tmp)
        end = datetime.now(timezone.utc).date() - timedelta(days=1)
        t0 = time.perf_counter()
        sizes = generate(home, end)
        generate_s = time.perf_counter() - t0
        since, until = date.fromisoformat(sizes["since"]), date.fromisoformat(sizes["until"])
        if args.profile:
            import cProfile
            import pstats

            from reminderd.report.build import build
            from reminderd.report.json import render as render_json
            from reminderd.config_file import load_config
            from reminderd.store import Store

            config, store = load_config(home / "config.toml"), Store.open(home / "reminderd.db")
            with cProfile.Profile() as prof:
                render_json(build(store, config, since, until, datetime.now(timezone.utc)))
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            return
        # PYTHONPATH: the report runs from this checkout even where reminderd is not installed.
        env = child_env(home, REMINDERD_DB=str(home / "reminderd.db"), PYTHONPATH=str(REPO))
        baseline, _ = time_command([PYTHON, "-c", "import sqlite3"], env, args.runs)
        command = [PYTHON, "-m", "reminderd", "report", "--format", "json",
                   "--since", sizes["since"], "--until", sizes["until"]]
        report_times, out = time_command(command, env, args.runs)
        data = json.loads(out)
        parts = in_process(home, since, until, max(1, args.runs // 2))
    report_s = statistics.median(report_times)
    result = {
        "data": sizes, "generate_s": round(generate_s, 3), "runs": args.runs,
        "baseline_python_s": round(statistics.median(baseline), 4),
        "report_subprocess_s": round(report_s, 4),
        "report_subprocess_all_s": [round(t, 4) for t in report_times],
        "in_process_s": {k: round(v, 4) for k, v in parts.items()},
        "goal_s": GOAL_S, "meets_goal": report_s < GOAL_S,
        "answers": {"due": data["adherence"]["due"], "nights": data["effect"]["nights"],
                    "difference": data["effect"]["difference"], "ci95": data["effect"]["ci95"],
                    "p_value": data["effect"]["p_value"]},
    }
    rows = [("python -c 'import sqlite3' (baseline)", result["baseline_python_s"]),
            ("reminderd report --format json (subprocess)", report_s),
            *((f"  in process: {k}", v) for k, v in parts.items())]
    emit(result, args.json, "\n".join([
        f"{sizes['days']} days, {sizes['doses']} doses, {sizes['events']} events, {sizes['checkins']} check-ins "
        f"(generated in {generate_s:.1f} s); median of {args.runs} runs\n",
        table(["what", "seconds"], rows),
        f"\ngoal: report under {GOAL_S:.1f} s: {verdict(report_s < GOAL_S)}",
        f"answer: difference {data['effect']['difference']}, 95% interval {data['effect']['ci95']}, "
        f"p {data['effect']['p_value']}"]))


if __name__ == "__main__":
    main()
