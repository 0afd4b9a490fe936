"""The two-rater benchmark's simulation (benchmarks/bench_raters.py) runs through the report's
own code and models what it says: his bias shows in his ratings only."""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench_raters  # noqa: E402


def test_his_expectation_shows_in_his_ratings_and_not_in_hers() -> None:
    rng = random.Random(5)
    worse = {"his": 0, "hers": 0}
    for _ in range(4000):
        for who, shift in (("his", 1.0), ("hers", 0.0)):
            worse[who] += bench_raters.rating(rng, 0.0, shift) - bench_raters.rating(rng, 0.0, 0.0)
    assert worse["his"] / 4000 > 0.5 and abs(worse["hers"] / 4000) < 0.1


def test_one_log_gives_each_figure_and_the_agreement() -> None:
    cell = bench_raters.Cell(180, 0.0, bench_raters.BIAS)
    result = bench_raters.one_log(random.Random(1), cell, 0.0, bench_raters.beta_for(cell.bias))
    assert set(result) == {"his", "hers", "both", "kappa"}
    for who in ("his", "hers", "both"):
        assert set(result[who]) == {"covered", "significant", "width"} and result[who]["width"] > 0
    low, high = result["kappa"]
    assert -1 <= low < high <= 1
