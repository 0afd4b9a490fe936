"""What a missed (or late, or early) dose costs in spasms the next night: each label's nights
against the nights with every dose on time, with a p-value and a 95% interval that stay
valid when bad nights and missed doses both come in runs, or an honest refusal.

The test is a rotation of the calendar's label sequence against its severity series
(`reminderd.core.analysis.stats.rotation_test`, where the choice is explained and referenced); the
interval inverts that same test. A night without a check-in stays a gap in the calendar.
Deterministic: nothing is drawn at random.

Pure core: the labelled nights in, an `Effect` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping, Sequence

from reminderd.core.analysis.nights import NIGHT_LABELS, LabelledNight, NightLabels
from reminderd.core.analysis.records import EARLY, LATE, ON_TIME
from reminderd.core.doses import MISSED
from reminderd.core.analysis.stats import lag1_autocorrelation, mean, median, rotation_test

CAVEAT = (
    "Missed doses are not randomised: other causes (illness, heat, a relapse, a bad day) "
    "can make a dose easier to miss and a night worse at the same time. "
    "This is an observation of your own log, not a clinical trial; talk to your prescriber "
    "before changing anything. Never skip a dose to test this."
)

# Below this many nights in either group a mean difference is mostly noise.
MIN_NIGHTS = 5
# Separate runs of the compared label needed before a number is given. One episode is one
# event: whatever else happened that week (an illness, a trip) cannot be told apart from
# the missed doses, however many nights it lasted.
MIN_EPISODES = 2
COMPARED = (MISSED, LATE, EARLY)
METHOD = ("rotation test of the night labels against the severity series (calendar kept, "
          "gaps left as gaps); 95% interval by inverting the same test")
NAMES = {MISSED: "a missed dose", LATE: "a late dose", EARLY: "an early dose", ON_TIME: "every dose on time"}


@dataclass(frozen=True)
class ScoreSummary:
    count: int
    mean: float | None
    median: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> ScoreSummary:
        return cls(len(values), mean(values), median(values))

    def to_json_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, "median": self.median}


@dataclass(frozen=True)
class LabelStats:
    nights: int
    severity: ScoreSummary
    frequency: ScoreSummary  # nights where it was answered
    woke: ScoreSummary  # nights where it was answered

    def to_json_dict(self) -> dict[str, Any]:
        return {"nights": self.nights, "severity": self.severity.to_json_dict(),
                "frequency": self.frequency.to_json_dict(), "woke": self.woke.to_json_dict()}


@dataclass(frozen=True)
class Comparison:
    """Mean severity after nights labelled `label` minus after nights with every dose on time."""

    label: str
    nights: int  # checked-in nights with this label
    on_time_nights: int
    episodes: int  # runs of consecutive nights with this label (with a check-in in them)
    difference: float | None  # None when refused
    ci95: tuple[float, float] | None
    p_value: float | None
    refused: str | None  # why no number is given, in a sentence; None when one is
    more_nights_needed: int  # in whichever group is short
    more_episodes_needed: int
    rotations: int  # alignments the test compared (0 when refused before testing)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "labels": [self.label, ON_TIME],
            "nights": {self.label: self.nights, ON_TIME: self.on_time_nights},
            "episodes": self.episodes,
            "difference": self.difference,
            "ci95": list(self.ci95) if self.ci95 else None,
            "p_value": self.p_value,
            "refused": self.refused,
            "more_nights_needed": self.more_nights_needed,
            "more_episodes_needed": self.more_episodes_needed,
            "rotations": self.rotations,
        }


@dataclass(frozen=True)
class Effect:
    nights: dict[str, int]  # on_time, early, late, missed, no_doses, no_checkin
    by_label: dict[str, LabelStats]  # on_time, early, late, missed
    comparisons: dict[str, Comparison]  # missed, late, early (each against on_time)
    severity_autocorrelation: float | None  # lag 1, over neighbouring checked-in nights
    summary: str

    @property
    def missed(self) -> Comparison:
        return self.comparisons[MISSED]

    # The headline figures (missed against on time), under their earlier names.
    @property
    def difference(self) -> float | None:
        return self.missed.difference

    @property
    def ci95(self) -> tuple[float, float] | None:
        return self.missed.ci95

    @property
    def p_value(self) -> float | None:
        return self.missed.p_value

    @property
    def missed_episodes(self) -> int:
        return self.missed.episodes

    def to_json_dict(self) -> dict[str, Any]:
        late = self.comparisons[LATE]
        return {
            "nights": dict(self.nights),
            "mean_severity": {k: s.severity.mean for k, s in self.by_label.items()},
            "median_severity": {k: s.severity.median for k, s in self.by_label.items()},
            "by_label": {k: s.to_json_dict() for k, s in self.by_label.items()},
            "method": METHOD,
            "comparisons": {k: c.to_json_dict() for k, c in self.comparisons.items()},
            "difference": self.difference,
            "ci95": list(self.ci95) if self.ci95 else None,
            "p_value": self.p_value,
            "refused": self.missed.refused,
            "missed_episodes": self.missed_episodes,
            "late_difference": late.difference,
            "late_ci95": list(late.ci95) if late.ci95 else None,
            "late_p_value": late.p_value,
            "severity_autocorrelation": self.severity_autocorrelation,
            "summary": self.summary,
        }


def count_episodes(labels: Mapping[Any, str | None], label: str, within: set | None = None) -> int:
    """Runs of consecutive nights labelled `label`, each counted once: ten missed nights in
    one bad week are one episode, and much less evidence than ten scattered ones. With
    `within`, only runs holding one of those nights count (nights without a check-in still
    join a run's two halves)."""
    nights = sorted(n for n, g in labels.items() if g == label)
    episodes, counts, previous = 0, False, None
    for night in nights:
        if previous is None or night - previous != timedelta(days=1):
            episodes += counts
            counts = False
        counts = counts or within is None or night in within
        previous = night
    return episodes + counts


def effect(labelled: NightLabels, *, min_nights: int = MIN_NIGHTS,
           min_episodes: int = MIN_EPISODES) -> Effect:
    """Compare the nights after a missed, late or early dose with the nights after every
    dose was taken on time."""
    nights = sorted(labelled.nights, key=lambda n: n.night)
    by_label = {g: _label_stats([n for n in nights if n.label == g]) for g in NIGHT_LABELS}
    counts = {g: by_label[g].nights for g in NIGHT_LABELS}
    # The calendar: every night of the range in order, a gap where there is no check-in.
    labels = dict(labelled.labels) or {n.night: n.label for n in nights}
    severity = {n.night: float(n.severity) for n in nights}
    calendar = sorted(set(labels) | set(severity))
    groups = [labels.get(d) for d in calendar]
    values = [severity.get(d) for d in calendar]
    checked = set(severity)
    comparisons = {g: _compare(groups, values, g, counts, count_episodes(labels, g, checked),
                               min_nights, min_episodes) for g in COMPARED}
    return Effect(
        nights={**counts, "no_doses": sum(1 for n in nights if n.label is None),
                "no_checkin": len(labelled.no_checkin)},
        by_label=by_label,
        comparisons=comparisons,
        severity_autocorrelation=lag1_autocorrelation(values),
        summary=_summary(counts, comparisons, min_nights, min_episodes),
    )


def _label_stats(nights: Sequence[LabelledNight]) -> LabelStats:
    return LabelStats(
        nights=len(nights),
        severity=ScoreSummary.of([n.severity for n in nights]),
        frequency=ScoreSummary.of([n.frequency for n in nights if n.frequency is not None]),
        woke=ScoreSummary.of([n.woke for n in nights if n.woke is not None]),
    )


def _compare(groups: Sequence[str | None], values: Sequence[float | None], label: str,
             counts: Mapping[str, int], episodes: int, min_nights: int, min_episodes: int) -> Comparison:
    n, base = counts[label], counts[ON_TIME]
    more_nights = max(0, min_nights - n, min_nights - base)
    more_episodes = max(0, min_episodes - episodes)

    def refuse(reason: str, more_episodes: int = more_episodes, rotations: int = 0) -> Comparison:
        return Comparison(label, n, base, episodes, None, None, None, reason, more_nights,
                          more_episodes, rotations)

    if more_nights:
        return refuse(f"too few nights: {n} after {NAMES[label]} and {base} with every dose on time; "
                      f"at least {min_nights} of each are needed")
    if more_episodes:
        return refuse(f"too few separate episodes: the {n} nights after {NAMES[label]} come from "
                      f"{episodes}; at least {min_episodes} are needed")
    result = rotation_test(groups, values, label, ON_TIME)
    if result is None or result.interval is None:
        # The runs cover so much of the calendar that no shift is rejected at 5%.
        return refuse("the episodes are too few or too long for a 95% interval: no effect size "
                      "could be ruled out", max(1, more_episodes), result.rotations if result else 0)
    return Comparison(label, n, base, episodes, result.difference, result.interval, result.p_value,
                      None, 0, 0, result.rotations)


def _nights(k: int) -> str:
    return f"{k} night" if k == 1 else f"{k} nights"


def _number(x: float) -> str:
    # A real minus sign reads better than a hyphen in a sentence; -0.0 prints as 0.0.
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text.replace("-", "\u2212")


def _difference_phrase(difference: float) -> str:
    if f"{abs(difference):.1f}" == "0.0":
        return "about the same"
    return f"{abs(difference):.1f} points {'worse' if difference > 0 else 'better'}"


def _p(p: float) -> str:
    return f"p = {p:.2g}" if p >= 0.01 else "p < 0.01"


def _summary(counts: Mapping[str, int], comparisons: Mapping[str, Comparison],
             min_nights: int, min_episodes: int) -> str:
    missed = comparisons[MISSED]
    if missed.difference is None or missed.ci95 is None:
        if missed.more_nights_needed:
            wanted = []
            if counts[MISSED] < min_nights:
                wanted.append(f"{min_nights - counts[MISSED]} more after a missed dose")
            if counts[ON_TIME] < min_nights:
                wanted.append(f"{min_nights - counts[ON_TIME]} more with every dose on time")
            why = (f"the comparison needs at least {min_nights} nights after a missed dose and "
                   f"{min_nights} with every dose on time; the log has {counts[MISSED]} "
                   f"{'night' if counts[MISSED] == 1 else 'nights'} after a missed dose and "
                   f"{counts[ON_TIME]} with every dose on time, so it needs {' and '.join(wanted)}")
        else:
            more = missed.more_episodes_needed
            why = (f"the {_nights(counts[MISSED])} after a missed dose come from {missed.episodes} "
                   f"separate {'episode' if missed.episodes == 1 else 'episodes'}, and bad nights come "
                   f"in runs, so they are too few to tell an effect from a run of bad nights; it needs "
                   f"{'at least ' if missed.episodes >= min_episodes else ''}"
                   f"{more} more separate {'episode' if more == 1 else 'episodes'}")
        return (f"Not enough to compare yet: {why}. Keep taking every dose as prescribed: the "
                f"comparison can wait. " + CAVEAT)
    low, high = missed.ci95
    parts = [
        f"After nights with a missed dose, your spasms were {_difference_phrase(missed.difference)} "
        f"on the 0\u20133 scale than after nights with every dose on time (95% interval "
        f"{_number(low)} to {_number(high)}; {_p(missed.p_value or 1.0)}; {counts[MISSED]} vs "
        f"{counts[ON_TIME]} nights, the missed ones in {missed.episodes} separate episodes)."
    ]
    if low <= 0 <= high:
        parts.append("The log does not yet show a clear difference: the interval includes 0 "
                     "(no difference).")
    else:
        parts.append("The interval does not include 0, so chance alone, or a run of bad nights, "
                     "is an unlikely explanation, but it does not show that the missed dose was "
                     "the cause.")
    for label in (LATE, EARLY):
        c = comparisons[label]
        if c.difference is not None and c.ci95 is not None:
            parts.append(f"After nights with {NAMES[label]} they were {_difference_phrase(c.difference)} "
                         f"(95% interval {_number(c.ci95[0])} to {_number(c.ci95[1])}; "
                         f"{counts[label]} vs {counts[ON_TIME]} nights).")
    parts.append(CAVEAT)
    return " ".join(parts)
