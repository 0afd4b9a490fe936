"""A mean and a median that are None when there is no value (the report shows "-").
The rotation test and its regression statistic are in `reminderd.core.analysis.regression`."""

from __future__ import annotations

import statistics
from typing import Sequence


def mean(values: Sequence[float]) -> float | None:
    """The mean, or None when there is no value."""
    return statistics.fmean(values) if values else None


def median(values: Sequence[float]) -> float | None:
    """The median, or None when there is no value."""
    return float(statistics.median(values)) if values else None
