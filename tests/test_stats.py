"""The rotation test and its interval against a brute-force reference written from the
definition: rotate the group sequence by every shift, compute Welch's t on the positions
that hold a value, and rank the observed alignment."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from reminderd.core.analysis.stats import lag1_autocorrelation, rotation_test, rotations_for


def welch_t(a: list[float], b: list[float]) -> float:
    se2 = sum(statistics.variance(g) / len(g) if len(g) > 1 else 0.0 for g in (a, b))
    return (statistics.fmean(a) - statistics.fmean(b)) / math.sqrt(max(se2, 1e-12))


def brute_p(groups, values, a="a", b="b", delta=0.0):
    """p of the effect `delta`: take delta off group a's true positions, then rotate."""
    n = len(groups)
    adjusted = [None if v is None else v - delta * (g == a) for g, v in zip(groups, values)]
    stats = []
    for k in range(n):
        rotated = [groups[(t - k) % n] for t in range(n)]
        ga = [v for g, v in zip(rotated, adjusted) if g == a and v is not None]
        gb = [v for g, v in zip(rotated, adjusted) if g == b and v is not None]
        if ga and gb:
            stats.append(abs(welch_t(ga, gb)))
    return sum(s >= stats[0] * (1 - 1e-9) - 1e-12 for s in stats) / len(stats)


def series(seed: int, n: int, effect: float = 0.0, run: int = 4, gaps: float = 0.1):
    rng = random.Random(seed)
    groups, state = [], "b"
    for _ in range(n):
        if rng.random() < 1 / run:
            state = "a" if state == "b" and rng.random() < 0.4 else "b"
        groups.append(state if rng.random() > 0.05 else "c")  # a third group, left out
    z, values = 0.0, []
    for g in groups:
        z = 0.6 * z + rng.gauss(0, 0.8)
        values.append(None if rng.random() < gaps else float(min(3, max(0, round(1 + z + effect * (g == "a"))))))
    return groups, values


CASES = [series(seed, n, effect) for seed, n, effect in
         [(1, 40, 0.0), (2, 60, 1.0), (3, 90, 0.5), (4, 45, -0.8), (5, 120, 0.0)]]


@pytest.mark.parametrize("groups, values", CASES, ids=[f"case {i}" for i in range(len(CASES))])
def test_p_value_and_difference_match_the_definition(groups, values):
    result = rotation_test(groups, values, "a", "b")
    a = [v for g, v in zip(groups, values) if g == "a" and v is not None]
    b = [v for g, v in zip(groups, values) if g == "b" and v is not None]
    assert result.difference == pytest.approx(statistics.fmean(a) - statistics.fmean(b))
    assert result.p_value == pytest.approx(brute_p(groups, values))
    assert result.rotations == len(groups)


@pytest.mark.parametrize("groups, values", CASES, ids=[f"case {i}" for i in range(len(CASES))])
def test_the_interval_is_the_set_of_effects_the_test_does_not_reject(groups, values):
    low, high = rotation_test(groups, values, "a", "b").interval
    for end, outward in ((low, -1), (high, 1)):
        assert brute_p(groups, values, delta=end - outward * 1e-3) > 0.05
        assert brute_p(groups, values, delta=end + outward * 1e-3) <= 0.05


@pytest.mark.parametrize("groups, values", CASES, ids=[f"case {i}" for i in range(len(CASES))])
def test_zero_is_outside_the_interval_exactly_when_p_is_at_most_5_percent(groups, values):
    result = rotation_test(groups, values, "a", "b")
    low, high = result.interval
    assert (not low <= 0 <= high) == (result.p_value <= 0.05)


def test_a_gap_stays_a_gap_in_the_calendar():
    groups, values = CASES[2]
    gap = values.index(None)
    closed = rotation_test(groups[:gap] + groups[gap + 1:], values[:gap] + values[gap + 1:], "a", "b")
    kept = rotation_test(groups, values, "a", "b")
    assert kept.rotations == len(groups) and closed.rotations == len(groups) - 1
    assert kept.p_value == pytest.approx(brute_p(groups, values))


def test_no_group_no_result_and_too_few_rotations_no_interval():
    assert rotation_test(["b"] * 30, [1.0] * 30, "a", "b") is None
    assert rotation_test(["a", "b"] * 15, [None, 1.0] * 15, "a", "b") is None
    short = rotation_test(["a", "a", "b", "b"] * 4, [3.0, 2.0, 0.0, 1.0] * 4, "a", "b")
    assert short.interval is None and short.rotations == 16  # 16 rotations cannot reach 5%


def test_long_series_use_evenly_spaced_rotations():
    shifts = rotations_for(3650)
    assert len(shifts) == 360 and shifts[0] == 0
    assert max(b - a for a, b in zip(shifts, shifts[1:])) <= 11
    assert rotations_for(90) == list(range(90))


def test_lag1_autocorrelation_skips_pairs_across_a_gap():
    plain = [1.0, 2.0, 3.0, 2.0, 1.0]
    m = statistics.fmean(plain)
    expected = sum((x - m) * (y - m) for x, y in zip(plain, plain[1:])) / sum((x - m) ** 2 for x in plain)
    assert lag1_autocorrelation(plain) == pytest.approx(expected)
    gapped = [1.0, 2.0, None, 3.0, 0.0]
    m = statistics.fmean([1.0, 2.0, 3.0, 0.0])
    pairs = [(1 - m) * (2 - m), (3 - m) * (0 - m)]
    denominator = sum((x - m) ** 2 for x in (1.0, 2.0, 3.0, 0.0))
    assert lag1_autocorrelation(gapped) == pytest.approx(sum(pairs) / denominator * 3 / 2)
    assert lag1_autocorrelation([1.0, None, 2.0, None, 3.0]) is None  # no neighbours
    assert lag1_autocorrelation([2.0, 2.0, 2.0]) is None
