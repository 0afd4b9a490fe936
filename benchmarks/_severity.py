"""How the simulated logs of the validity benchmarks score a night (stdlib only): severity
0-3 is a latent value cut at CUTS, and an effect given in points of mean severity is the
latent shift that moves the stationary mean (latent N(0, 1)) by exactly that much."""

from __future__ import annotations

import statistics

CUTS = (-0.3, 0.6, 1.4)


def cut(latent: float) -> int:
    """The severity 0-3 of a latent value."""
    return sum(latent > c for c in CUTS)


def _mean_severity(shift: float) -> float:
    phi = statistics.NormalDist().cdf
    return sum(phi(shift - c) for c in CUTS)


def beta_for(difference: float) -> float:
    """The latent shift that moves mean severity by exactly `difference` (bisection)."""
    lo, hi = 0.0, 5.0
    base = _mean_severity(0.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _mean_severity(mid) - base < difference else (lo, mid)
    return (lo + hi) / 2
