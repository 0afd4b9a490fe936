"""A second, blinded rater: is her figure honest where his is not, and what does rating
together buy? Simulated logs of two raters of the same nights, run through the report's own
code (`reminderd.core.analysis.nights.label_nights`, then `reminderd.core.analysis.raters.analyse`,
which calls the report's `effect` on his ratings, hers, and their mean on nights both rated).

Each simulated log: the doses of `bench_validity.simulate` (one medication at 08:00, 14:00 and
22:00, 15% of nights with a missed dose, in runs of mean length RUN, in Europe/London across
the spring clock change), and one latent severity per night, an AR(1) with lag-1 correlation
PHI and variance LATENT (plus the true effect on nights after a missed dose). Each rater sees
the latent night with noise of her own (variance NOISE, so each rater's reading has variance 1
and the two readings of a night correlate at LATENT), cut at bench_validity's CUTS into 0-3;
each skips GAP of the nights at random. His rating has an **expectation bias**: after a
missed dose he knows of (all of them) he rates the night worse by BIAS points, with no true
effect behind it. She is blinded: no bias.

Printed:

- under his bias, with no true effect: the false-positive rate (p <= 0.05) of his figure,
  of her blinded figure and of the combined figure (their mean on nights both rated);
- with no bias: coverage of the 95% interval and the power at a true effect of 0.5 points
  (false positives at 0) for one rater (hers) against both together; and the coverage of the
  weighted kappa's interval against the process's own kappa (measured on 400,000 nights);

at 30, 60, 90 and 180 nights, each with its Monte Carlo standard error and the share of logs
the report refuses (no number). Goals: her blinded figure's false-positive rate at most 5%
plus two Monte Carlo errors under his bias, coverage 92-98% wherever numbers are given.

    python benchmarks/bench_raters.py               # 400 logs per cell, all processors
    python benchmarks/bench_raters.py --quick       # 60 logs per cell: a look, not a verdict
    python benchmarks/bench_raters.py --logs 1000 --json
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, emit, table, verdict  # noqa: E402
from bench_validity import BEDTIME, CHECKIN, CUTS, MISSED_SHARE, TZ, beta_for, simulate  # noqa: E402

sys.path.insert(0, str(REPO))

from reminderd.core.analysis.effect import effect  # noqa: E402
from reminderd.core.analysis.nights import label_nights  # noqa: E402
from reminderd.core.analysis.raters import analyse, weighted_kappa  # noqa: E402
from reminderd.core.analysis.records import NightCheckin  # noqa: E402

NIGHTS = (30, 60, 90, 180)
PHI, RUN = 0.6, 3  # bad nights come in runs, and so do missed doses
LATENT, NOISE = 0.6, 0.4  # a night's own variance, and each rater's
GAP = 0.05  # nights each rater leaves unrated
BIAS = 0.3  # points he adds after a missed dose he knows of
EFFECT = 0.5  # the true effect for the power
SEED = 24
CHUNK = 20  # logs per task handed to a worker


@dataclass(frozen=True)
class Cell:
    nights: int
    effect: float  # the true difference in mean severity, points
    bias: float  # his expectation bias, points


def rating(rng: random.Random, latent: float, shift: float) -> int:
    """One rater's 0-3 for a night: the latent night, her own noise, any shift, cut."""
    return sum(latent + shift + rng.gauss(0, math.sqrt(NOISE)) > c for c in CUTS)


def one_log(rng: random.Random, cell: Cell, beta: float, bias: float) -> dict:
    """Two raters of one simulated log through the report's own code."""
    doses, _, nights = simulate(rng, cell.nights, 0.0, RUN, 0.0)
    missed = {d.local_date for d in doses if d.status == "missed"}
    z = rng.gauss(0, 1)
    his, hers = [], []
    for i, night in enumerate(nights):
        if i:
            z = PHI * z + math.sqrt(1 - PHI * PHI) * rng.gauss(0, 1)
        latent = math.sqrt(LATENT) * z + (beta if night in missed else 0.0)
        told = bias if night in missed else 0.0
        if rng.random() >= GAP:
            his.append(NightCheckin(night, rating(rng, latent, told)))
        if rng.random() >= GAP:
            hers.append(NightCheckin(night, rating(rng, latent, 0.0)))

    def label(checkins):
        return label_nights(doses, checkins, nights, bedtime=BEDTIME, checkin_time=CHECKIN, tz=TZ)

    his_nights, her_nights = label(his), label(hers)
    his_effect = effect(his_nights)
    r = analyse("her", his_nights, her_nights, {n.night for n in her_nights.nights}, his_effect)
    figures = {"his": his_effect, "hers": r.hers_blinded, "both": r.together}
    out = {name: _judged(e, cell.effect) for name, e in figures.items()}
    a = r.agreement
    out["kappa"] = None if a.ci95 is None else a.ci95
    return out


def _judged(e, truth: float) -> dict | None:
    if e.ci95 is None:
        return None
    low, high = e.ci95
    return {"covered": low <= truth <= high, "significant": e.p_value <= 0.05, "width": high - low}


def _chunk(task: tuple[str, Cell, int]) -> list[dict]:
    seed, cell, logs = task
    rng = random.Random(seed)
    beta, bias = beta_for(cell.effect), beta_for(cell.bias)
    return [one_log(rng, cell, beta, bias) for _ in range(logs)]


def true_kappa(cell: Cell, samples: int = 400_000) -> float:
    """The process's own weighted kappa, without bias: 400,000 independent nights (the
    AR(1) changes which nights come together, not the joint distribution of a night's two
    ratings; missed doses come on MISSED_SHARE of the nights)."""
    rng = random.Random(f"kappa {cell}")
    beta = beta_for(cell.effect)
    pairs = []
    for _ in range(samples):
        latent = math.sqrt(LATENT) * rng.gauss(0, 1) + (beta if rng.random() < MISSED_SHARE else 0.0)
        pairs.append((rating(rng, latent, 0.0), rating(rng, latent, 0.0)))
    return weighted_kappa(pairs)


def share(hits: int, k: int) -> tuple[float, float]:
    if not k:
        return math.nan, math.nan
    p = hits / k
    return p, math.sqrt(p * (1 - p) / k)


def summarise(cell: Cell, results: list[dict], kappa: float | None) -> dict:
    row: dict = {"nights": cell.nights, "effect": cell.effect, "bias": cell.bias, "logs": len(results)}
    for name in ("his", "hers", "both"):
        given = [r[name] for r in results if r[name] is not None]
        row[f"{name}_refused"] = 1 - len(given) / len(results)
        row[f"{name}_coverage"], row[f"{name}_coverage_se"] = share(sum(g["covered"] for g in given), len(given))
        row[f"{name}_rejection"], row[f"{name}_rejection_se"] = share(sum(g["significant"] for g in given), len(given))
        row[f"{name}_width"] = statistics.median(g["width"] for g in given) if given else math.nan
        row[f"{name}_given"] = len(given)
    intervals = [r["kappa"] for r in results if r["kappa"] is not None]
    if kappa is not None:
        row["kappa_true"] = kappa
        row["kappa_coverage"], row["kappa_coverage_se"] = share(sum(lo <= kappa <= hi for lo, hi in intervals),
                                                                len(intervals))
        row["kappa_given"] = len(intervals)
    return row


def pm(value: float, se: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f} ± {100 * se:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logs", type=int, default=None, help="simulated logs per cell [400]")
    parser.add_argument("--quick", action="store_true", help="60 logs per cell")
    parser.add_argument("--workers", type=int, default=None, help="processes [all processors]")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logs = 60 if args.quick else (args.logs or 400)
    workers = args.workers or os.cpu_count() or 1
    cells = [Cell(n, 0.0, BIAS) for n in NIGHTS] + [Cell(n, d, 0.0) for n in NIGHTS for d in (0.0, EFFECT)]
    started = time.perf_counter()
    tasks = [(f"{SEED}:{k}:{start}", c, min(CHUNK, logs - start))
             for k, c in enumerate(cells) for start in range(0, logs, CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunks = list(pool.map(_chunk, tasks))
        kappas = list(pool.map(true_kappa, [c for c in cells if c.bias == 0]))
    truth = dict(zip([c for c in cells if c.bias == 0], kappas))
    rows = []
    for k, c in enumerate(cells):
        results = [r for (seed, _, _), chunk in zip(tasks, chunks) if seed.split(":")[1] == str(k) for r in chunk]
        rows.append(summarise(c, results, truth.get(c)))
    elapsed = time.perf_counter() - started

    biased = [r for r in rows if r["bias"]]
    noise = lambda r, who: 2 * math.sqrt(0.05 * 0.95 / r[f"{who}_given"]) if r[f"{who}_given"] else 0.0  # noqa: E731
    her_ok = all(r["hers_rejection"] <= 0.05 + noise(r, "hers") for r in biased if r["hers_given"])
    his_fails = all(r["his_rejection"] > 0.05 + noise(r, "his") for r in biased if r["his_given"] and r["nights"] >= 90)
    fair = [r for r in rows if not r["bias"]]
    covered = all(0.92 - noise(r, who) <= r[f"{who}_coverage"] <= 0.98 + noise(r, who)
                  for r in fair for who in ("hers", "both") if r[f"{who}_given"])
    text = "\n".join([
        f"Under his expectation bias (+{BIAS:g} points after a missed dose he knows of), no true effect: "
        "false positives (p <= 0.05) %",
        table(["nights", "refused his/hers/both", "his", "her blinded", "both (mean)"],
              [[r["nights"], "/".join(f"{100 * r[f'{w}_refused']:.0f}%" for w in ("his", "hers", "both")),
                pm(r["his_rejection"], r["his_rejection_se"]), pm(r["hers_rejection"], r["hers_rejection_se"]),
                pm(r["both_rejection"], r["both_rejection_se"])] for r in biased]),
        "",
        f"No bias: one rater (hers) against both; power at a true effect of {EFFECT:g} points, false positives at 0",
        table(["nights", "effect", "refused one/both", "coverage one %", "coverage both %", "p <= 0.05 one %",
               "p <= 0.05 both %", "width one/both", "kappa coverage %"],
              [[r["nights"], r["effect"], f"{100 * r['hers_refused']:.0f}%/{100 * r['both_refused']:.0f}%",
                pm(r["hers_coverage"], r["hers_coverage_se"]), pm(r["both_coverage"], r["both_coverage_se"]),
                pm(r["hers_rejection"], r["hers_rejection_se"]), pm(r["both_rejection"], r["both_rejection_se"]),
                f"{r['hers_width']:.2f}/{r['both_width']:.2f}",
                pm(r["kappa_coverage"], r["kappa_coverage_se"]) if r.get("kappa_given") else "-"] for r in fair]),
        "",
        f"{logs} logs per cell, {elapsed:.0f} s on {workers} processes; the process's weighted kappa: "
        + ", ".join(f"{k:.3f} (effect {c.effect:g})" for c, k in list(truth.items())[:2]),
        f"Her blinded figure's false positives <= 5% + 2 MC errors under his bias: {verdict(her_ok)}; his figure "
        f"fails it (90 nights and more): {verdict(his_fails)}; coverage 92-98% (within 2 MC errors) for one rater "
        f"and both: {verdict(covered)}",
    ])
    emit({"logs_per_cell": logs, "seconds": elapsed, "bias": BIAS, "effect": EFFECT, "phi": PHI, "run": RUN,
          "cells": rows, "hers_holds": her_ok, "his_fails": his_fails, "coverage_met": covered}, args.json, text)


if __name__ == "__main__":
    main()
