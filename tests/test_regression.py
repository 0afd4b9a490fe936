"""The rotation test with the regression statistic, against a brute-force reference written
from the definition: for every shift, rotate the exposure rows, build the prewhitening
matrix W (a gap of d positions as phi^d), fit W y on W [exposures, covariates, the value
before and whether it is a gap] by least squares, take the target's t, and rank the
observed shift's |t| among them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reminderd.core.analysis.regression import RotationRegression, ar1_coefficient, rotation_regression


def whitening_matrix(present: np.ndarray, n: int, phi: float) -> np.ndarray:
    w = np.zeros((len(present), n))
    for row, t in enumerate(present):
        if row == 0:
            w[row, t] = 1.0
            continue
        d = t - present[row - 1]
        scale = 1 / math.sqrt(1 - phi ** (2 * d))
        w[row, t], w[row, present[row - 1]] = scale, -scale * phi ** d
    return w


def with_value_before(covariates, values) -> np.ndarray:
    before = [None] + list(values[:-1])
    return np.column_stack([np.asarray(covariates, float), [0.0 if b is None else b for b in before],
                            [float(b is None) for b in before]])


def brute_t(values, exposures, covariates, columns, target, phi, delta=0.0) -> list[float | None]:
    """|t| of the target at every shift, the effect `delta` taken off its true positions."""
    y = np.array([np.nan if v is None else v for v in values])
    x, z, n = np.asarray(exposures, float), with_value_before(covariates, values), len(y)
    present = np.flatnonzero(~np.isnan(y))
    w = whitening_matrix(present, n, phi)
    left = w @ (np.nan_to_num(y) - delta * x[:, target])
    j = list(columns).index(target)
    out: list[float | None] = []
    for k in range(n):
        rotated = x[(np.arange(n) - k) % n][:, list(columns)]
        design = w @ np.column_stack([rotated, z])
        fitted, *_ = np.linalg.lstsq(design, left, rcond=None)
        residual = left - design @ fitted
        df = len(present) - np.linalg.matrix_rank(design)
        variance = np.linalg.pinv(design.T @ design)[j, j] * (residual @ residual) / df
        out.append(abs(fitted[j]) / math.sqrt(variance) if variance > 1e-12 else None)
    return out


def brute_p(values, exposures, covariates, columns, target, phi, delta=0.0) -> float:
    ts = brute_t(values, exposures, covariates, columns, target, phi, delta)
    valid = [t for t in ts if t is not None]
    return sum(t >= ts[0] * (1 - 1e-7) for t in valid) / len(valid)


def case(seed: int, n: int, effect: float = 0.0, gaps: float = 0.15):
    """Runs of a binary exposure, the one before it, hours late; an AR(1) severity 0-3."""
    rng = np.random.default_rng(seed)
    state, flags = False, []
    for _ in range(n):
        if rng.random() < 0.3:
            state = not state if state or rng.random() < 0.5 else state
        flags.append(state)
    flags = np.array(flags, float)
    late = np.where(rng.random(n) < 0.2, rng.uniform(1, 3, n), 0.0)
    exposures = np.column_stack([flags, np.roll(flags, 1), late])
    z, values = 0.0, []
    for i in range(n):
        z = 0.6 * z + rng.normal()
        level = float(np.clip(np.round(1 + z + effect * flags[i]), 0, 3))
        values.append(None if rng.random() < gaps else level)
    t = np.arange(n)
    covariates = np.column_stack([np.ones(n), t / n, (t % 7 >= 5).astype(float)])
    return values, exposures, covariates


CASES = [case(seed, n, effect) for seed, n, effect in [(1, 61, 0.8), (2, 28, 0.0), (3, 44, 0.5), (4, 54, 0.0),
                                                       (5, 48, 1.0)]]
IDS = [f"case {i}" for i in range(len(CASES))]


@pytest.mark.parametrize("values, exposures, covariates", CASES, ids=IDS)
@pytest.mark.parametrize("columns, target", [((0, 1, 2), 0), ((0, 1, 2), 2), ((0,), 0), ((1, 0), 0)],
                         ids=["first of three", "hours late", "alone", "second of two"])
def test_p_value_and_estimate_match_the_definition(values, exposures, covariates, columns, target):
    fit = RotationRegression(values, exposures, covariates)
    result = fit.test(columns, target)
    ts = brute_t(values, exposures, covariates, columns, target, result.phi)
    valid = [t for t in ts if t is not None]
    assert result.p_value == pytest.approx(sum(t >= ts[0] * (1 - 1e-7) for t in valid) / len(valid))
    assert result.rotations == len(valid) == len(values)
    # The estimate is the generalised least-squares coefficient at the true alignment.
    y = np.array([np.nan if v is None else v for v in values])
    present = np.flatnonzero(~np.isnan(y))
    w = whitening_matrix(present, len(y), result.phi)
    design = w @ np.column_stack([np.asarray(exposures)[:, list(columns)], with_value_before(covariates, values)])
    fitted, *_ = np.linalg.lstsq(design, w @ np.nan_to_num(y), rcond=None)
    assert result.estimate == pytest.approx(fitted[list(columns).index(target)])


@pytest.mark.parametrize("values, exposures, covariates", CASES, ids=IDS)
def test_the_interval_is_the_set_of_effects_the_test_does_not_reject(values, exposures, covariates):
    result = rotation_regression(values, exposures, covariates, 0)
    low, high = result.interval
    assert low < result.estimate < high
    for end, outward in ((low, -1), (high, 1)):
        assert brute_p(values, exposures, covariates, (0, 1, 2), 0, result.phi, end - outward * 1e-3) > 0.05
        assert brute_p(values, exposures, covariates, (0, 1, 2), 0, result.phi, end + outward * 1e-3) <= 0.05
    assert (not low <= 0 <= high) == (result.p_value <= 0.05)


def test_phi_comes_from_the_values_and_covariates_alone_without_the_value_before():
    values, exposures, covariates = CASES[0]
    y = np.array([np.nan if v is None else v for v in values])
    phi = ar1_coefficient(y, covariates)
    assert 0 < phi < 0.95
    other = np.random.default_rng(9).random(np.shape(exposures))
    assert RotationRegression(values, exposures, covariates).phi == RotationRegression(values, other, covariates).phi == phi
    # The lag-1 autocorrelation of the least-squares residuals over neighbouring positions,
    # with Kendall's correction.
    present = np.flatnonzero(~np.isnan(y))
    fitted, *_ = np.linalg.lstsq(covariates[present], y[present], rcond=None)
    e = y[present] - covariates[present] @ fitted
    pairs = [(a, b) for (i, a), (j, b) in zip(zip(present, e), zip(present[1:], e[1:])) if j - i == 1]
    r = sum(a * b for a, b in pairs) / (e @ e) * (len(e) - 1) / len(pairs)
    assert phi == pytest.approx(r + (1 + 3 * r) / len(pairs))


def test_a_gap_stays_a_gap():
    values, exposures, covariates = CASES[2]
    gap = values.index(None)
    closed = [v for i, v in enumerate(values) if i != gap]
    kept = rotation_regression(values, exposures, covariates, 0)
    shorter = rotation_regression(closed, np.delete(exposures, gap, 0), np.delete(covariates, gap, 0), 0)
    assert kept.rotations == len(values) and shorter.rotations == len(values) - 1
    assert kept.p_value == pytest.approx(brute_p(values, exposures, covariates, (0, 1, 2), 0, kept.phi))


def test_the_same_data_give_the_same_answer():
    values, exposures, covariates = CASES[1]
    assert rotation_regression(values, exposures, covariates, 0) == rotation_regression(
        list(values), exposures.copy(), covariates.copy(), 0)


def test_nothing_to_estimate_is_no_result_and_too_few_rotations_no_interval():
    values, exposures, covariates = CASES[3]
    zero = np.column_stack([np.zeros(len(values)), exposures[:, 1]])
    assert rotation_regression(values, zero, covariates, 0) is None  # the target is never there
    assert rotation_regression([1.0, None, 2.0], exposures[:3], covariates[:3], 0) is None  # no error left
    values, exposures, covariates = CASES[1]
    short = rotation_regression(values[:15], exposures[:15, :1], covariates[:15, :1], 0)
    assert short is not None and short.interval is None and short.rotations == 15  # 15 cannot reach 5%
