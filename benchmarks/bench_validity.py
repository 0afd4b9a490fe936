"""Is the report's missed-dose comparison honest? Simulated logs with a known effect, run
through the report's own code (`reminderd.core.analysis.nights.label_nights` and `reminderd.core.analysis.effect.effect`,
the functions `reminderd report` calls on the rows of the log).

Each simulated log: 90 or 180 nights in Europe/London (spring DST inside), one medication at
08:00, 14:00 and 22:00, bedtime 23:00, check-in 08:30. Every night's doses are taken within
40 minutes of due, except:

- a *missed* night (15% of nights): one of that day's doses is missed; the missed nights come
  independently, or in runs (a trip, an illness, a lost box) of mean length 3 or 7 (a
  two-state Markov chain started in its stationary state);
- a *late* night (5% of the others): one dose taken 2 hours late (left out of the comparison);
- a gap (5% of nights, independent): no check-in.

Severity 0-3 is a latent AR(1) (stationary N(0, 1), lag-1 correlation phi) plus beta on missed
nights, cut at -0.3, 0.6 and 1.4; beta is solved so that the true difference in mean severity
(missed - on time) is exactly the effect (0 or 0.5 points).

Printed per cell: the share of logs the report refuses (no number), and over the others the
coverage of the 95% interval, the false-positive rate (p <= 0.05, effect 0), the power (p <=
0.05, effect 0.5), each with its Monte Carlo standard error, and the median interval width.

Goals (issue 12): in every cell where the report gives numbers, coverage 92-98% and a
false-positive rate at most 5% plus two Monte Carlo errors.

    python benchmarks/bench_validity.py             # 200 logs per cell (~2 min on one core)
    python benchmarks/bench_validity.py --quick     # 40 logs per cell: a look, not a verdict
    python benchmarks/bench_validity.py --logs 500 --json
    python benchmarks/bench_validity.py --gate      # CI's gate: exits 1 when a goal is missed

The grid prints estimates; only the gate decides. The gate runs fewer, chosen cells (the
easiest and the hardest of this grid, and of bench_effect.py's processes: reverse causation,
trends, weekends, a measured common cause, carry-over, an evening-only effect, check-ins
skipped after bad nights) with many logs each, on all processors, from a new
seed each run (printed, so a failure can be run again with `--seed`), and tests each goal
with an exact binomial test against its boundary: coverage below 92% or above 98%, a
false-positive rate above 5%, and a share of refused logs above the cell's ceiling (a
statistic that refuses everything must not pass), per cell and pooled over the cells. The
tests are Bonferroni-corrected to a family error of `GATE_ALPHA`: a statistic whose true
rates all meet the goals fails the gate in at most 1 run in 1,000, whatever the seed.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, time as clock, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _gate  # noqa: E402
import bench_effect  # noqa: E402  (the processes beyond this grid's: reverse causation, trends, ...)
from _common import REPO, emit, table, verdict  # noqa: E402
from _severity import CUTS, beta_for  # noqa: E402

sys.path.insert(0, str(REPO))

from reminderd.core.analysis.records import DoseOutcome, NightCheckin  # noqa: E402
from reminderd.core.analysis.effect import effect  # noqa: E402
from reminderd.core.analysis.nights import label_nights  # noqa: E402
from reminderd.core.schedule import local_instant  # noqa: E402

TZ = ZoneInfo("Europe/London")
SLOTS = (clock(8, 0), clock(14, 0), clock(22, 0))
BEDTIME, CHECKIN = clock(23, 0), clock(8, 30)
START = date(2026, 2, 2)  # 90 and 180 nights both hold the spring clock change
MISSED_SHARE, LATE_SHARE, GAP_SHARE = 0.15, 0.05, 0.05
NIGHTS = (90, 180)
PHIS = (0.0, 0.3, 0.6, 0.8)
RUNS = (1, 3, 7)  # mean run length of missed nights; 1 = independent
EFFECTS = (0.0, 0.5)
SEED = 12


def missed_nights(rng: random.Random, n: int, run: float) -> list[bool]:
    if run <= 1:
        return [rng.random() < MISSED_SHARE for _ in range(n)]
    leave = 1 / run
    enter = MISSED_SHARE / (1 - MISSED_SHARE) * leave  # keeps the stationary share
    state, out = rng.random() < MISSED_SHARE, []
    for _ in range(n):
        out.append(state)
        state = rng.random() >= leave if state else rng.random() < enter
    return out


def simulate(rng: random.Random, n: int, phi: float, run: float, beta: float):
    """(doses, check-ins, nights) of one simulated log."""
    missed = missed_nights(rng, n, run)
    doses, checkins, nights = [], [], []
    z = rng.gauss(0, 1)
    innovation = math.sqrt(1 - phi * phi)
    for i in range(n):
        day = START + timedelta(days=i)
        nights.append(day)
        late = not missed[i] and rng.random() < LATE_SHARE
        odd = rng.randrange(len(SLOTS))  # the slot that is missed or late, if any
        for j, slot in enumerate(SLOTS):
            due = local_instant(day, slot, TZ)
            name = f"{slot:%H:%M}"
            if missed[i] and j == odd:
                doses.append(DoseOutcome("gabapentin", day, name, due, "missed"))
                continue
            minutes = 120 if late and j == odd else rng.uniform(-40, 40)
            if j == len(SLOTS) - 1:
                minutes = min(minutes, 50)  # the 22:00 dose is taken before the 23:00 bedtime
            doses.append(DoseOutcome("gabapentin", day, name, due, "taken", due + timedelta(minutes=minutes)))
        if i:
            z = phi * z + innovation * rng.gauss(0, 1)
        if rng.random() >= GAP_SHARE:
            latent = z + beta * missed[i]
            checkins.append(NightCheckin(day, sum(latent > c for c in CUTS)))
    return doses, checkins, nights


def one_log(rng: random.Random, n: int, phi: float, run: float, difference: float, beta: float) -> dict:
    doses, checkins, nights = simulate(rng, n, phi, run, beta)
    labelled = label_nights(doses, checkins, nights, bedtime=BEDTIME, checkin_time=CHECKIN, tz=TZ)
    c = effect(labelled).missed
    if c.ci95 is None:
        return {"refused": True, "episodes": c.episodes}
    lo, hi = c.ci95
    return {"refused": False, "episodes": c.episodes, "covered": lo <= difference <= hi,
            "significant": c.p_value <= 0.05, "width": hi - lo}


def share(hits: int, k: int) -> tuple[float, float]:
    if not k:
        return math.nan, math.nan
    p = hits / k
    return p, math.sqrt(p * (1 - p) / k)


def cell(logs: int, n: int, phi: float, run: float, difference: float, seed: int) -> dict:
    rng = random.Random(seed)
    beta = beta_for(difference)
    results = [one_log(rng, n, phi, run, difference, beta) for _ in range(logs)]
    given = [r for r in results if not r["refused"]]
    coverage = share(sum(r["covered"] for r in given), len(given))
    rejected = share(sum(r["significant"] for r in given), len(given))
    return {"nights": n, "phi": phi, "runs": "indep" if run <= 1 else f"mean {run:g}", "effect": difference,
            "logs": logs, "refused": len(results) - len(given), "refused_share": (len(results) - len(given)) / logs,
            "coverage": coverage[0], "coverage_se": coverage[1],
            "rejection": rejected[0], "rejection_se": rejected[1],
            "median_width": statistics.median([r["width"] for r in given]) if given else math.nan,
            "episodes_median": statistics.median(r["episodes"] for r in results)}


# --- the gate ------------------------------------------------------------------------


@dataclass(frozen=True)
class GateCell:
    nights: int
    phi: float
    run: float  # mean run length of missed nights; 1 = independent
    effect: float
    # The most the report may refuse here: today's share (measured with 400 logs a cell,
    # 2026-12-03) and room for chance and for a better statistic's own choices. A report
    # that refuses far more than this says less than the log allows.
    max_refused: float

    @property
    def name(self) -> str:
        runs = "indep" if self.run <= 1 else f"runs {self.run:g}"
        return f"{self.nights} nights, phi {self.phi:g}, {runs}, effect {self.effect:g}"


# The easiest and the hardest processes of the grid, at both lengths, with and without an
# effect: no autocorrelation and independent misses (refused 0%), strong autocorrelation
# with long runs of misses (refused ~40% at 90 nights, ~7% at 180), and the middle.
GATE = tuple(GateCell(n, phi, run, d, ceiling)
             for n, phi, run, ceilings in (
                 (90, 0.0, 1, 0.05), (90, 0.8, 7, 0.60), (180, 0.0, 1, 0.05),
                 (180, 0.6, 3, 0.10), (180, 0.8, 7, 0.20))
             for d in EFFECTS for ceiling in (ceilings,))
@dataclass(frozen=True)
class ProcessCell:
    """A cell of `bench_effect.py`'s processes, where misses and bad nights are linked by more
    than an effect; each figure it checks with the most the report may refuse there
    (measured with 200 logs a cell, 2026-12-03, and room for chance)."""

    process: str
    nights: int
    effect: float
    figures: tuple[tuple[str, float], ...]  # (figure, ceiling on the share refused)

    def name(self, figure: str) -> str:
        which = "" if figure == "missed" else f", the {figure} figure"
        return f"{self.process}, {self.nights} nights, effect {self.effect:g}{which}"

    def null(self, figure: str) -> bool:
        """Whether the figure's truth is 0: its false positives are a goal."""
        return self.effect == 0 or figure == "earlier"  # only the evening dose matters there


# The hardest of bench_effect's processes for each threat, where the report gives numbers:
# reverse causation (short and long logs), trends with misses rising and falling, weekends,
# a measured common cause, misses in runs that carry over, an evening-only effect (three
# figures) and check-ins skipped after bad nights. The unmeasured common cause is not here:
# no statistic can allow for what was not recorded, and its bias is reported instead.
PROCESS_GATE = (
    ProcessCell("reverse", 60, 0.0, (("missed", 0.15),)),
    ProcessCell("reverse", 180, 0.0, (("missed", 0.05),)),
    ProcessCell("reverse", 180, 0.5, (("missed", 0.05),)),
    ProcessCell("trend-up-up", 180, 0.0, (("missed", 0.05),)),
    ProcessCell("trend-up-down", 180, 0.0, (("missed", 0.05),)),
    ProcessCell("weekend", 90, 0.0, (("missed", 0.05),)),
    ProcessCell("common-measured", 180, 0.0, (("missed", 0.05),)),
    ProcessCell("carry-over", 90, 0.5, (("missed", 0.20),)),
    ProcessCell("evening-only", 180, 0.5, (("missed", 0.05), ("evening", 0.35), ("earlier", 0.05))),
    ProcessCell("mnar", 90, 0.5, (("missed", 0.25),)),
    ProcessCell("plain", 60, 0.5, (("missed", 0.40),)),
)
GATE_LOGS = 400  # per cell
GATE_ALPHA = 0.001  # the gate's false-alarm rate for a statistic that meets every goal
CHUNK = 50  # logs per task handed to a worker process


def _gate_chunk(task: tuple[str, GateCell | ProcessCell, int]) -> list[dict]:
    seed, c, logs = task
    rng = random.Random(seed)  # a string seed: the same logs on every machine
    if isinstance(c, ProcessCell):
        beta = bench_effect.beta_for(c.effect)
        return [bench_effect.one_log(rng, c.process, c.nights, beta, c.effect, before=False) for _ in range(logs)]
    beta = beta_for(c.effect)
    return [one_log(rng, c.nights, c.phi, c.run, c.effect, beta) for _ in range(logs)]


def _counts(name: str, results: list[dict], null: bool, ceiling: float) -> _gate.Counts:
    given = [r for r in results if not r["refused"]]
    return _gate.Counts(name, len(results), len(given), sum(r["covered"] for r in given),
                        sum(r["significant"] for r in given) if null else None, ceiling)


def run_gate(logs: int, seed: int, workers: int) -> tuple[list[_gate.Counts], list[_gate.Finding]]:
    cells: tuple[GateCell | ProcessCell, ...] = (*GATE, *PROCESS_GATE)
    tasks = [(f"{seed}:{k}:{start}", c, min(CHUNK, logs - start))
             for k, c in enumerate(cells) for start in range(0, logs, CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunks = list(pool.map(_gate_chunk, tasks))
    counts = []
    for k, c in enumerate(cells):
        results = [r for (task_seed, _, _), chunk in zip(tasks, chunks)
                   if task_seed.split(":")[1] == str(k) for r in chunk]
        if isinstance(c, ProcessCell):
            counts += [_counts(c.name(f), [r[f] for r in results], c.null(f), ceiling) for f, ceiling in c.figures]
        else:
            counts.append(_counts(c.name, results, c.effect == 0, c.max_refused))
    return counts, _gate.verdict(counts, GATE_ALPHA)


def gate_main(args: argparse.Namespace) -> None:
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    workers = args.workers or os.cpu_count() or 1
    started = time.perf_counter()
    counts, findings = run_gate(args.logs or GATE_LOGS, seed, workers)
    failed = [f for f in findings if f.failed]
    rows = [[c.name, c.logs, f"{100 * (c.logs - c.given) / c.logs:.0f}%",
             f"{100 * c.covered / c.given:.1f}" if c.given else "-",
             f"{100 * c.rejected / c.given:.1f}" if c.given and c.rejected is not None else "",
             ", ".join(f.goal for f in failed if f.cell == c.name) or "ok"] for c in counts]
    pooled = [f for f in findings if f.cell == "all cells pooled"]
    outcome = ("GATE PASSED" if not failed else "GATE FAILED: " + "; ".join(
        f"{f.cell}: {f.goal} ({f.observed}, p = {f.p_value:.2g})" for f in failed))
    text = "\n".join([
        table(["cell", "logs", "refused", "coverage %", "false pos. %", "goals"], rows), "",
        "Pooled: " + "; ".join(f"{f.goal}: {f.observed}{' FAILED' if f.failed else ''}" for f in pooled),
        f"{len(findings)} exact binomial tests, each at {GATE_ALPHA:g}/{len(findings)}; seed {seed} "
        f"(again: --gate --seed {seed}); {time.perf_counter() - started:.0f} s on {workers} processes.",
        outcome])
    emit({"seed": seed, "logs_per_cell": args.logs or GATE_LOGS, "alpha": GATE_ALPHA,
          "cells": [vars(c) for c in counts], "findings": [vars(f) for f in findings], "passed": not failed},
         args.json, text)
    if failed:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logs", type=int, default=None, help="simulated logs per cell [200; the gate: 400]")
    parser.add_argument("--quick", action="store_true", help="40 logs per cell")
    parser.add_argument("--gate", action="store_true", help="the CI gate: chosen cells, exit 1 on a missed goal")
    parser.add_argument("--seed", type=int, default=None, help="the gate's seed [a new one each run]")
    parser.add_argument("--workers", type=int, default=None, help="the gate's processes [all processors]")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.gate:
        return gate_main(args)
    logs = 40 if args.quick else (args.logs or 200)
    started = time.perf_counter()
    cells = []
    for k, (n, phi, run, difference) in enumerate(
            (n, phi, run, d) for n in NIGHTS for phi in PHIS for run in RUNS for d in EFFECTS):
        cells.append(cell(logs, n, phi, run, difference, SEED * 1000 + k))
        print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    rows, misses = [], []
    for c in cells:
        given = c["logs"] - c["refused"]
        pm = lambda v, se, given=given: "-" if not given else f"{100 * v:.1f} ± {100 * se:.1f}"  # noqa: E731
        # The goal is on the true rates; a cell's estimate misses it by chance now and then, so
        # an estimate within two Monte Carlo errors (of a 95% or 5% rate) of the goal is "~".
        noise = 2 * math.sqrt(0.05 * 0.95 / given) if given else 0.0
        cover_ok = not given or 0.92 <= c["coverage"] <= 0.98
        cover_near = not given or 0.92 - noise <= c["coverage"] <= 0.98 + noise
        fpr_ok = not given or c["effect"] > 0 or c["rejection"] <= 0.05 + noise
        if not (cover_near and fpr_ok):
            misses.append(c)
        c["goal"] = "PASS" if cover_ok and fpr_ok else "~" if cover_near and fpr_ok else "MISS"
        rows.append([c["nights"], c["phi"], c["runs"], c["effect"], f"{100 * c['refused_share']:.0f}%",
                     pm(c["coverage"], c["coverage_se"]),
                     pm(c["rejection"], c["rejection_se"]) if c["effect"] == 0 else "",
                     pm(c["rejection"], c["rejection_se"]) if c["effect"] > 0 else "",
                     "-" if not given else f"{c['median_width']:.2f}", c["episodes_median"],
                     c["goal"]])
    elapsed = time.perf_counter() - started
    covered_logs = sum(c["logs"] - c["refused"] for c in cells)
    pooled = sum(c["coverage"] * (c["logs"] - c["refused"]) for c in cells if c["logs"] > c["refused"]) / max(covered_logs, 1)
    refused_all = sum(c["refused"] for c in cells) / sum(c["logs"] for c in cells)
    headers = ["nights", "phi", "missed", "effect", "refused", "coverage %", "false pos. %", "power %",
               "width", "episodes", "goal"]
    text = (table(headers, rows) + f"\n\n{logs} logs per cell, {elapsed:.0f} s. Goals: coverage 92-98%, "
            f"false positives <= 5% + 2 MC errors (of a 5% rate), in every cell "
            f"with numbers (~: coverage outside 92-98% by less than 2 MC errors): {verdict(not misses)}\n"
            f"Pooled coverage {100 * pooled:.1f}% over {covered_logs} logs with numbers; "
            f"refused {100 * refused_all:.1f}% of all logs")
    emit({"logs_per_cell": logs, "seconds": elapsed, "cells": cells, "all_goals_met": not misses}, args.json, text)


if __name__ == "__main__":
    main()
