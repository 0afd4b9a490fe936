"""The validity gate's verdict (`benchmarks/_gate.py`): exact binomial tails, and the
decision on counts like those of a sound statistic, a broken one and one that refuses
everything. The gate's run on simulated logs is `.ci/run`'s own step."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import _gate  # noqa: E402
from _gate import Counts, at_least, at_most, verdict  # noqa: E402


@pytest.mark.parametrize("k, n, p", [(0, 10, 0.3), (3, 10, 0.3), (10, 10, 0.3), (20, 400, 0.05), (395, 400, 0.95)])
def test_binomial_tails_match_the_sum_of_the_probabilities(k: int, n: int, p: float) -> None:
    pmf = [math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(n + 1)]
    assert at_least(k, n, p) == pytest.approx(sum(pmf[k:]), rel=1e-9, abs=1e-15)
    assert at_most(k, n, p) == pytest.approx(sum(pmf[:k + 1]), rel=1e-9, abs=1e-12)


def cells(covered: float, rejected: float, refused: float = 0.0, logs: int = 400) -> list[Counts]:
    given = round(logs * (1 - refused))
    return [Counts(f"cell {k}", logs, given, round(covered * given),
                   round(rejected * given) if k % 2 == 0 else None, 0.6) for k in range(10)]


def failed(counts: list[Counts]) -> list[str]:
    return [f"{f.cell}: {f.goal}" for f in verdict(counts, 0.001) if f.failed]


def test_counts_on_target_pass() -> None:
    assert failed(cells(covered=0.95, rejected=0.05)) == []
    assert failed(cells(covered=0.93, rejected=0.06, refused=0.4)) == []  # within noise of the edges


def test_false_positives_doubled_fail_pooled() -> None:
    assert failed(cells(covered=0.95, rejected=0.10)) == ["all cells pooled: false positives <= 5%"]


def test_one_cell_far_off_fails_on_its_own() -> None:
    counts = cells(covered=0.95, rejected=0.05)
    counts[0] = Counts("cell 0", 400, 400, 380, 60, 0.6)  # 15% false positives in one process
    assert "cell 0: false positives <= 5%" in failed(counts)


def test_an_80_percent_interval_fails_on_coverage() -> None:
    assert "all cells pooled: coverage >= 92%" in failed(cells(covered=0.80, rejected=0.05))


def test_a_report_that_refuses_everything_fails() -> None:
    found = failed(cells(covered=0.95, rejected=0.05, refused=1.0))
    assert "cell 0: refused <= 60%" in found
    assert f"cell 0: at least {_gate.MIN_GIVEN} logs with a number" in found


def test_each_test_runs_at_the_family_level_over_the_number_of_tests() -> None:
    findings = verdict(cells(covered=0.95, rejected=0.05), 0.001)
    # 10 cells: refused + 2 coverage each, false positives in 5; pooled: 2 coverage + false positives
    assert len(findings) == 10 * 3 + 5 + 3
    assert all(f.failed == (f.p_value < 0.001 / len(findings)) for f in findings)
