"""The verdict of a validity gate: exact binomial tests of simulated counts against the
boundaries of the goals, Bonferroni-corrected so that the chance of a false alarm is known.

A cell is a set of simulated logs from one process. Of its `logs`, `given` got a number from
the report; of those, `covered` had the true effect inside the 95% interval and, where the
true effect is 0, `rejected` had p <= 0.05. The goals, on the true rates: coverage within
[COVERAGE_LOW, COVERAGE_HIGH], a false-positive rate at most FALSE_POSITIVE, and a share
refused at most the cell's own ceiling. Each goal is tested one-sided at its boundary, so a
statistic that meets every goal fails a test with probability at most that test's level;
with m tests each at `alpha / m`, it fails the gate in at most a share `alpha` of runs.

Stdlib only: the benchmarks run on the package's own dependencies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

COVERAGE_LOW, COVERAGE_HIGH = 0.92, 0.98
FALSE_POSITIVE = 0.05
MIN_GIVEN = 50  # fewer logs with a number than this in a cell cannot show anything: a failure


@dataclass(frozen=True)
class Counts:
    name: str
    logs: int
    given: int
    covered: int
    rejected: int | None  # None where the true effect is not 0 (power, not a goal)
    max_refused: float  # the ceiling on the true share of logs refused


@dataclass(frozen=True)
class Finding:
    cell: str
    goal: str
    observed: str
    p_value: float  # of the one-sided test against the goal's boundary
    failed: bool


def _log_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def at_least(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exactly (summed from the smaller tail)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return min(1.0, math.fsum(math.exp(_log_pmf(i, n, p)) for i in range(k, n + 1)))


def at_most(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    return 1.0 - at_least(k + 1, n, p)


def tests_of(cells: Sequence[Counts]) -> list[tuple[str, str, str, float]]:
    """(cell, goal, observed, p) for every goal of every cell, and of the cells pooled."""
    out: list[tuple[str, str, str, float]] = []
    pooled = Counts("all cells pooled", sum(c.logs for c in cells), sum(c.given for c in cells),
                    sum(c.covered for c in cells),
                    sum(c.rejected for c in cells if c.rejected is not None)
                    if any(c.rejected is not None for c in cells) else None, 1.0)
    null_given = sum(c.given for c in cells if c.rejected is not None)
    for c in (*cells, pooled):
        refused = c.logs - c.given
        if c is not pooled:
            out.append((c.name, f"refused <= {100 * c.max_refused:.0f}%", f"{refused}/{c.logs}",
                        at_least(refused, c.logs, c.max_refused)))
            if c.given < MIN_GIVEN:
                out.append((c.name, f"at least {MIN_GIVEN} logs with a number", f"{c.given}", 0.0))
                continue
        out.append((c.name, f"coverage >= {100 * COVERAGE_LOW:.0f}%", f"{c.covered}/{c.given}",
                    at_most(c.covered, c.given, COVERAGE_LOW)))
        out.append((c.name, f"coverage <= {100 * COVERAGE_HIGH:.0f}%", f"{c.covered}/{c.given}",
                    at_least(c.covered, c.given, COVERAGE_HIGH)))
        if c.rejected is not None:
            n = null_given if c is pooled else c.given
            out.append((c.name, f"false positives <= {100 * FALSE_POSITIVE:.0f}%", f"{c.rejected}/{n}",
                        at_least(c.rejected, n, FALSE_POSITIVE)))
    return out


def verdict(cells: Sequence[Counts], alpha: float) -> list[Finding]:
    """Every test with its outcome; the gate fails when any failed. Each test is run at
    level alpha / (number of tests)."""
    tests = tests_of(cells)
    level = alpha / len(tests)
    return [Finding(cell, goal, observed, p, p < level) for cell, goal, observed, p in tests]
