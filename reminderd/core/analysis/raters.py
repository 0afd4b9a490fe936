"""A second rater of the nights, beside his own check-ins: the missed-dose effect by each
rater, on her blinded ratings only and on the nights both rated (their mean), how far the
two agree, and which figure to trust most. Pure core: the labelled nights in, figures out.

Every figure is the report's own effect (`reminderd.core.analysis.effect.effect`) run on
other scores of the same nights: the nights keep the labels their doses gave them, only the
severity changes. So her figure and his answer the same question with the same test.

Why her blinded figure is the one to trust: a rater who knows a dose was missed and
expects a bad night rates it worse, and no statistic can take that out afterwards. Her
ratings made before anything reminderd sent her named that night's doses cannot carry it.
The mean of the two halves his noise on the nights both rated, but keeps half of any
expectation of his (measured: `benchmarks/bench_raters.py`).

Agreement is Cohen's weighted kappa on severity (quadratic weights: a 0 against a 3 counts
nine times a 0 against a 1), with a 95% interval by the jackknife over whole weeks (a
night's ratings are like the next night's, so nights are not independent; weeks nearly
are), and how often she rated the night worse, the same or better than he did.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Mapping, Sequence

from reminderd.core.analysis.effect import Effect, effect
from reminderd.core.analysis.nights import LabelledNight, NightLabels

LEVELS = 4  # severity 0-3, both raters
MIN_AGREEMENT_NIGHTS = 10  # nights both rated before a kappa is given
MIN_WEEKS = 4  # weeks holding such nights: the jackknife's interval needs a few
WEEK = 7


@dataclass(frozen=True)
class Agreement:
    """How far her severity agrees with his on the nights both rated."""

    nights: int
    kappa: float | None  # quadratic-weighted; None when refused
    ci95: tuple[float, float] | None
    worse: int  # nights she rated worse than he did
    same: int
    better: int
    refused: str | None

    def to_json_dict(self) -> dict[str, Any]:
        return {"nights": self.nights, "weighted_kappa": self.kappa, "ci95": list(self.ci95) if self.ci95 else None,
                "weights": "quadratic", "she_rated": {"worse": self.worse, "same": self.same, "better": self.better},
                "refused": self.refused}


@dataclass(frozen=True)
class RaterAnalysis:
    """One rater beside him: her nights, and the figures they give."""

    rater: str
    rated: int  # nights she rated in the period
    blinded: int  # of them, blinded
    both: int  # nights both he and she rated
    hers: Effect  # on all her ratings
    hers_blinded: Effect  # on her blinded ratings only
    together: Effect  # on the nights both rated, the mean of the two
    agreement: Agreement
    nights: NightLabels  # her ratings, labelled by their doses (for the calendar and the chart)
    blinded_nights: frozenset[date]
    trust: str  # which figure is most trustworthy, and why, in plain words

    def to_json_dict(self) -> dict[str, Any]:
        return {"rater": self.rater, "nights_rated": self.rated, "nights_blinded": self.blinded,
                "nights_both_rated": self.both,
                "effect": {"hers": _figure(self.hers), "hers_blinded": _figure(self.hers_blinded),
                           "together": _figure(self.together)},
                "agreement": self.agreement.to_json_dict(), "most_trustworthy": self.trust,
                "nights": [{"night": n.night.isoformat(), "severity": n.severity, "frequency": n.frequency,
                            "woke": n.woke, "label": n.label, "blinded": n.night in self.blinded_nights}
                           for n in self.nights.nights]}


def _figure(e: Effect) -> dict[str, Any]:
    """The headline of one effect: a missed dose's difference with its interval, or why none."""
    missed = e.missed
    return {"difference": e.difference, "ci95": list(e.ci95) if e.ci95 else None, "p_value": e.p_value,
            "nights_after_a_missed_dose": missed.nights, "episodes": missed.episodes, "refused": missed.refused}


def analyse(rater: str, his: NightLabels, hers: NightLabels, blinded: set[date] | frozenset[date],
            his_effect: Effect | None = None) -> RaterAnalysis:
    """Her figures beside his: `his` and `hers` are the same calendar of nights labelled by
    the same doses, with his check-ins and her ratings as the nights' scores; `blinded`, the
    nights of her blinded ratings."""
    his_effect = his_effect or effect(his)
    his_by_night = {n.night: n for n in his.nights}
    both = [(his_by_night[n.night], n) for n in hers.nights if n.night in his_by_night]
    together = only(his, [replace(h, severity=(h.severity + s.severity) / 2, frequency=None, woke=None)
                          for h, s in both])
    blinded = frozenset(blinded)
    hers_blinded = effect(only(hers, [n for n in hers.nights if n.night in blinded]))
    result = RaterAnalysis(rater, len(hers.nights), sum(1 for n in hers.nights if n.night in blinded), len(both),
                           effect(hers), hers_blinded, effect(together),
                           agreement([(h.night, h.severity, s.severity) for h, s in both]), hers, blinded, "")
    return replace(result, trust=most_trustworthy(result, his_effect))


def only(labelled: NightLabels, nights: Sequence[LabelledNight]) -> NightLabels:
    """The same calendar with only `nights` scored: every other night is a gap."""
    kept = {n.night for n in nights}
    gaps = sorted(set(labelled.no_checkin) | {n.night for n in labelled.nights if n.night not in kept})
    return replace(labelled, nights=tuple(sorted(nights, key=lambda n: n.night)), no_checkin=tuple(gaps))


# --- agreement ------------------------------------------------------------------------------


def weighted_kappa(pairs: Sequence[tuple[int, int]], levels: int = LEVELS) -> float | None:
    """Cohen's kappa with quadratic weights; None when chance alone agrees fully (both
    raters always gave one and the same answer: nothing to tell apart)."""
    n = len(pairs)
    if not n:
        return None
    weight = [[1 - (i - j) ** 2 / (levels - 1) ** 2 for j in range(levels)] for i in range(levels)]
    rows, cols = [0] * levels, [0] * levels
    observed = 0.0
    for a, b in pairs:
        rows[a] += 1
        cols[b] += 1
        observed += weight[a][b]
    observed /= n
    expected = sum(weight[i][j] * rows[i] * cols[j] for i in range(levels) for j in range(levels)) / (n * n)
    if expected >= 1 - 1e-12:
        return None
    return (observed - expected) / (1 - expected)


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile by the Cornish-Fisher expansion (within 0.01 of the tables
    from 3 degrees of freedom up; the interval asks for at least MIN_WEEKS - 1)."""
    z = statistics.NormalDist().inv_cdf(p)
    terms = ((z ** 3 + z) / 4, (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96,
             (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384,
             (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160)
    return z + sum(term / df ** (k + 1) for k, term in enumerate(terms))


def agreement(rated: Sequence[tuple[date, float, float]]) -> Agreement:
    """(night, his severity, hers) for each night both rated."""
    pairs = [(int(h), int(s)) for _, h, s in rated]
    worse = sum(1 for h, s in pairs if s > h)
    better = sum(1 for h, s in pairs if s < h)
    counts = (len(pairs), worse, len(pairs) - worse - better, better)

    def refuse(why: str) -> Agreement:
        return Agreement(counts[0], None, None, *counts[1:], why)

    if len(pairs) < MIN_AGREEMENT_NIGHTS:
        return refuse(f"too few nights rated by both: {len(pairs)}; at least {MIN_AGREEMENT_NIGHTS} are needed")
    kappa = weighted_kappa(pairs)
    if kappa is None:
        return refuse("both always gave the same one answer, so agreement cannot be told from chance")
    first = min(n for n, _, _ in rated)
    weeks: dict[int, list[tuple[int, int]]] = {}
    for (night, _, _), pair in zip(rated, pairs):
        weeks.setdefault((night - first).days // WEEK, []).append(pair)
    if len(weeks) < MIN_WEEKS:
        return Agreement(*counts[:1], kappa, None, *counts[1:],
                         f"the nights both rated fall in {len(weeks)} weeks; an interval needs at least {MIN_WEEKS}")
    # The jackknife over whole weeks: kappa without each week in turn.
    left_out = [weighted_kappa([p for k, ps in weeks.items() if k != week for p in ps]) for week in weeks]
    if any(k is None for k in left_out):
        return Agreement(*counts[:1], kappa, None, *counts[1:], "without one of its weeks, chance agrees fully")
    b = len(left_out)
    centre = sum(left_out) / b
    se = math.sqrt((b - 1) / b * sum((k - centre) ** 2 for k in left_out))
    half = t_quantile(0.975, b - 1) * se
    return Agreement(*counts[:1], kappa, (max(-1.0, kappa - half), min(1.0, kappa + half)), *counts[1:], None)


def agreement_words(a: Agreement) -> str:
    """ "Agreement on severity over 40 nights rated by both: weighted kappa 0.62 (…)" """
    told = (f"she rated the night worse than he did on {a.worse}, the same on {a.same} and better on {a.better}")
    if a.kappa is None:
        return f"Agreement on severity over {a.nights} nights rated by both: no kappa ({a.refused}); {told}."
    interval = (f" (95% interval {a.ci95[0]:.2f} to {a.ci95[1]:.2f})" if a.ci95 else f" (no interval: {a.refused})")
    return (f"Agreement on severity over {a.nights} nights rated by both: weighted kappa {a.kappa:.2f}{interval}, "
            f"{_kappa_words(a.kappa)}; {told}.")


def _kappa_words(kappa: float) -> str:
    # Landis and Koch's words for kappa, the usual ones.
    for limit, words in ((0.2, "slight agreement"), (0.4, "fair agreement"), (0.6, "moderate agreement"),
                         (0.8, "substantial agreement")):
        if kappa <= limit:
            return "no more than chance" if kappa <= 0 else words
    return "almost perfect agreement"


# --- which figure to trust ------------------------------------------------------------------


def most_trustworthy(r: RaterAnalysis, his: Effect) -> str:
    """Which figure to trust most, and why, in plain words."""
    unblinded = r.rated - r.blinded
    if r.hers_blinded.ci95 is not None:
        why = (f"{r.rater}'s blinded figure is the most trustworthy: she rated those {r.blinded} nights before "
               "anything reminderd sent her had named their doses, so expecting a bad night after a missed dose "
               "cannot have made them look worse. His own figure can carry that expectation, and the figure of "
               "both (their mean) keeps half of it, though it is the most precise.")
        if _apart(r.hers_blinded, his):
            why += (" Her blinded figure and his do not overlap: part of his may be his expectation, or she may "
                    "miss what he feels.")
        return why
    reason = r.hers_blinded.missed.refused or "no number"
    if r.blinded == 0:
        gap = f"none of her {r.rated} ratings is blinded" if r.rated else f"{r.rater} has rated no night yet"
    else:
        gap = f"her {r.blinded} blinded ratings give no number yet ({reason})"
    text = (f"No figure is free of expectation yet: {gap}. Until there is, read his figure knowing that he knew "
            "which doses he missed, and the figure of both (their mean) as carrying half of that.")
    if unblinded and r.blinded < r.rated / 2:
        text += (f" {unblinded} of her ratings came after a message that named that night's doses: check-config "
                 "says which of her alerts do that.")
    return text


def _apart(a: Effect, b: Effect) -> bool:
    """Two figures whose 95% intervals do not overlap."""
    if a.ci95 is None or b.ci95 is None:
        return False
    return a.ci95[1] < b.ci95[0] or b.ci95[1] < a.ci95[0]


def rater_checkins(ratings: Sequence[Any], other_cause: Mapping[date, bool | None]) -> list[Any]:
    """Her ratings as the nights' scores the labelling takes (NightCheckin), each with what
    his check-in said of something else that could explain that night: a property of the
    night, allowed for whoever rates it."""
    from reminderd.core.analysis.records import NightCheckin

    return [NightCheckin(r.night, r.severity, r.frequency, r.woke, other_cause.get(r.night)) for r in ratings]

