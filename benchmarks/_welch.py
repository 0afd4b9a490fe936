"""Today's statistic before issue 23, kept only as the benchmarks' baseline: Welch's t of
missed against on-time nights inside the same rotation test and inversion (the code of
reminderd/core/analysis/stats.py and effect.py at commit 2968d11; the inversion's search is
the new module's, the same steps), so that the new statistic's power and its false
positives are compared with the old on the very same simulated logs."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Hashable, Sequence

from reminderd.core.analysis.regression import inverted

# Above this many positions, rotations are taken evenly spaced: the p-value's resolution
# (1/360) is below anything shown, and 3,650 positions cost a tenth of a second.
MAX_ROTATIONS = 360


@dataclass(frozen=True)
class RotationResult:
    difference: float  # mean(values in a) - mean(values in b), at the observed alignment
    p_value: float  # two-sided: share of rotations at least as far from 0 as the observed
    interval: tuple[float, float] | None  # None: unbounded at this level (too few rotations
    #                                     that separate the groups)
    rotations: int  # rotations where both groups have a value (the observed one included)


def _picker(indices: Sequence[int]):
    """A C-level gather of `indices` from a sequence, always returning a tuple."""
    if not indices:
        return lambda seq: ()
    if len(indices) == 1:
        only = indices[0]
        return lambda seq: (seq[only],)
    return operator.itemgetter(*indices)


def _rotation_sums(
    groups: Sequence[Hashable | None], values: Sequence[float | None], group: Hashable,
    marker: Hashable, shifts: Sequence[int],
) -> list[tuple[int, float, float, int, float]]:
    """For each shift k, over the positions t with a value whose rotated group
    groups[t - k] is `group`: (count, sum of values, sum of squares, count of those that are
    `marker` positions at the true alignment, sum of their values)."""
    n = len(groups)
    # Two complexes per position, so two C-level sums add all five: the first's real part
    # holds count + marked * 2**20 (whole numbers, exact in a float far beyond any log).
    first = [complex((v is not None) * (1 + (g == marker) * _SPLIT), v or 0.0)
             for g, v in zip(groups, values)]
    second = [complex((v or 0.0) ** 2, (v or 0.0) * (g == marker)) for g, v in zip(groups, values)]
    members = [i for i, g in enumerate(groups) if g == group]
    complement = len(members) > n / 2
    if complement:  # gather the smaller set and subtract it from the totals
        members = [i for i, g in enumerate(groups) if g != group]
        total1, total2 = sum(first), sum(second)
    pick = _picker(members)
    first2, second2 = first + first, second + second
    out = []
    for k in shifts:
        p, q = sum(pick(first2[k:k + n])), sum(pick(second2[k:k + n]))
        if complement:
            p, q = total1 - p, total2 - q
        marked, count = divmod(round(p.real), _SPLIT)
        out.append((count, p.imag, q.real, marked, q.imag))
    return out


_SPLIT = 2**20


def rotations_for(n: int, limit: int = MAX_ROTATIONS) -> list[int]:
    """Every shift 0..n-1, or `limit` evenly spaced ones (0 first) for longer series."""
    if n <= limit:
        return list(range(n))
    return sorted({round(j * n / limit) % n for j in range(limit)})


def _welch_parts(count: int, total: float, squares: float, marked: int, marked_total: float
                 ) -> tuple[float, float, float, float, float]:
    """For values y - delta * x over one group (x = 1 on marked positions): the mean as
    m0 - delta * m1, and the squared standard error of the mean as v0 + v1 delta + v2 delta^2."""
    m0, m1 = total / count, marked / count
    if count < 2:
        return m0, m1, 0.0, 0.0, 0.0
    scale = 1 / ((count - 1) * count)
    return (m0, m1, (squares - total * total / count) * scale,
            -2 * (marked_total - marked * total / count) * scale, (marked - marked * marked / count) * scale)


def rotation_test(
    groups: Sequence[Hashable | None],
    values: Sequence[float | None],
    a: Hashable,
    b: Hashable,
    *,
    confidence: float = 0.95,
    limit: int = MAX_ROTATIONS,
) -> RotationResult | None:
    """Difference of means of `values` between positions in group `a` and in group `b`,
    its rotation p-value and the interval from inverting the test (see the module).

    The statistic compared across rotations is Welch's t (the difference over its
    unpooled standard error), not the bare difference: with groups of unequal size and
    spread a bare difference is not a valid randomization statistic, a studentized one is
    (Janssen 1997, Stat. Probab. Lett. 36:9-21; Chung & Romano 2013, Ann. Stat. 41:484-507);
    measured, the bare difference covered 87-90% with an effect and a group sequence without runs.

    `groups` and `values` are aligned by position on one time axis; a value of None is a
    gap (it stays a gap: positions are never closed up). The groups are rotated against
    the values. None when either group has no value at the observed alignment.
    """
    if len(groups) != len(values):
        raise ValueError("groups and values must have the same length")
    shifts = rotations_for(len(groups), limit)
    sums_a = _rotation_sums(groups, values, a, a, shifts)
    sums_b = _rotation_sums(groups, values, b, a, shifts)
    if not sums_a or not sums_a[0][0] or not sums_b[0][0]:
        return None
    # Per rotation: difference d - delta c and squared error v0 + v1 delta + v2 delta^2 of
    # the values with the effect delta taken off group a's true positions.
    terms = []
    for sa, sb in zip(sums_a, sums_b):
        if sa[0] and sb[0]:
            ma0, ma1, *va = _welch_parts(*sa)
            mb0, mb1, *vb = _welch_parts(*sb)
            terms.append((ma0 - mb0, ma1 - mb1, va[0] + vb[0], va[1] + vb[1], va[2] + vb[2]))
    observed = terms[0][0]
    alpha = 1 - confidence
    p = _p_value(terms, 0.0)
    spread = max(abs(v) for v in values if v is not None) + 1.0
    return RotationResult(observed, p, _inverted(terms, alpha, spread), len(terms))


_TINY = 1e-12  # a squared standard error never below this: a constant group is not infinitely sure


def _p_value(terms: Sequence[tuple[float, float, float, float, float]], delta: float) -> float:
    """Share of rotations whose |t| at effect `delta` is at least the observed one's."""
    d0, c0, a0, b0, g0 = terms[0]
    n0 = (d0 - delta * c0) ** 2
    v0 = max(a0 + delta * (b0 + delta * g0), _TINY)
    # |t_k| >= |t_0|  <=>  (d_k - delta c_k)^2 v_0 >= n_0 v_k, less a rounding tolerance
    hits = sum((d - delta * c) ** 2 * v0 >= n0 * max(a + delta * (b + delta * g), _TINY) * (1 - 1e-9)
               for d, c, a, b, g in terms)
    return hits / len(terms)


def _inverted(terms: Sequence[tuple[float, float, float, float, float]], alpha: float,
              spread: float) -> tuple[float, float] | None:
    """The effects delta the test does not reject, found as the new statistic's are."""
    step = max(math.sqrt(max(terms[0][2], 0.0)), 0.01)
    return inverted(lambda delta: _p_value(terms, delta), terms[0][0], step, alpha, spread, len(terms))


def welch_missed(labelled, min_nights: int = 5, min_episodes: int = 2) -> tuple[float, tuple[float, float], float] | None:
    """(difference, 95% interval, p) of missed against on-time nights as the report gave it
    before, or None where it refused (too few nights or episodes, or no interval)."""
    from reminderd.core.analysis.effect import count_episodes

    nights = sorted(labelled.nights, key=lambda n: n.night)
    severity = {n.night: float(n.severity) for n in nights}
    calendar = sorted(set(labelled.labels) | set(severity))
    counts = {g: sum(1 for n in nights if n.label == g) for g in ("missed", "on_time")}
    if min(counts.values()) < min_nights:
        return None
    if count_episodes(labelled.labels, "missed", set(severity)) < min_episodes:
        return None
    result = rotation_test([labelled.labels.get(d) for d in calendar], [severity.get(d) for d in calendar],
                           "missed", "on_time")
    if result is None or result.interval is None:
        return None
    return result.difference, result.interval, result.p_value
