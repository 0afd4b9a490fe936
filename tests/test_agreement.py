"""How far two raters agree (reminderd.core.analysis.raters), with plain values: Cohen's
weighted kappa, its interval by the jackknife over weeks, and the t quantile it uses."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from reminderd.core.analysis.raters import MIN_AGREEMENT_NIGHTS, agreement, agreement_words, t_quantile, weighted_kappa


def kappa_by_disagreement(pairs):
    """The same kappa written the other way: 1 - observed / expected squared disagreement."""
    n = len(pairs)
    observed = sum((a - b) ** 2 for a, b in pairs) / n
    expected = sum((a - b) ** 2 for a, _ in pairs for _, b in pairs) / n ** 2
    return 1 - observed / expected


@pytest.mark.parametrize("seed", range(5))
def test_weighted_kappa_is_one_minus_observed_over_expected_squared_disagreement(seed):
    rng = random.Random(seed)
    pairs = [(rng.randrange(4), rng.randrange(4)) for _ in range(40)]
    assert weighted_kappa(pairs) == pytest.approx(kappa_by_disagreement(pairs))


def test_weighted_kappa_at_its_edges():
    assert weighted_kappa([(0, 0), (1, 1), (2, 2), (3, 3)]) == pytest.approx(1.0)
    assert weighted_kappa([(0, 3), (3, 0)]) == pytest.approx(-1.0)
    assert weighted_kappa([(2, 2)] * 5) is None  # one answer from both: nothing to tell from chance
    assert weighted_kappa([]) is None


@pytest.mark.parametrize("df, table", [(3, 3.182), (4, 2.776), (6, 2.447), (10, 2.228), (30, 2.042), (120, 1.980)])
def test_t_quantile_matches_the_tables(df, table):
    assert t_quantile(0.975, df) == pytest.approx(table, abs=0.005)


def nights(pairs, start=date(2026, 9, 1)):
    return [(start + timedelta(days=i), a, b) for i, (a, b) in enumerate(pairs)]


def test_agreement_counts_worse_same_better_and_gives_an_interval_around_kappa():
    rng = random.Random(3)
    pairs = []
    for _ in range(42):
        his = rng.randrange(4)
        pairs.append((his, max(0, min(3, his + rng.choice((-1, 0, 0, 1))))))
    a = agreement(nights(pairs))
    assert (a.nights, a.worse, a.same, a.better) == (42, sum(b > h for h, b in pairs), sum(b == h for h, b in pairs),
                                                     sum(b < h for h, b in pairs))
    assert a.refused is None and a.ci95[0] < a.kappa < a.ci95[1] <= 1
    assert agreement_words(a).startswith(f"Agreement on severity over 42 nights rated by both: weighted kappa "
                                         f"{a.kappa:.2f} (95% interval {a.ci95[0]:.2f} to {a.ci95[1]:.2f}), ")


def test_agreement_says_why_when_it_gives_no_number():
    few = agreement(nights([(1, 1), (2, 1)] * 4))
    assert few.kappa is None and few.refused == (f"too few nights rated by both: 8; at least "
                                                 f"{MIN_AGREEMENT_NIGHTS} are needed")
    assert "she rated the night worse than he did on 0, the same on 4 and better on 4" in agreement_words(few)
    same = agreement(nights([(1, 1)] * 20))
    assert same.refused == "both always gave the same one answer, so agreement cannot be told from chance"
    # Twelve nights in two weeks: a kappa, but too few weeks for its interval.
    short = agreement(nights([(0, 0), (1, 2), (2, 2), (3, 3), (1, 1), (2, 1)] * 2))
    assert short.kappa is not None and short.ci95 is None and "fall in 2 weeks" in short.refused


def test_her_nights_carry_what_his_check_in_said_of_something_else():
    from reminderd.core.analysis.raters import rater_checkins
    from reminderd.core.rating import Rating

    ratings = [Rating("Partner", date(2026, 9, 1), 2, 2, 1), Rating("Partner", date(2026, 9, 2), 0)]
    scored = rater_checkins(ratings, {date(2026, 9, 1): True})
    assert [(c.night, c.severity, c.other_cause) for c in scored] == [(date(2026, 9, 1), 2, True),
                                                                      (date(2026, 9, 2), 0, None)]
