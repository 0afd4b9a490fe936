"""What a missed dose costs in spasms that night, with the uncertainty shown, or an honest
refusal. Pure core: the labelled nights in, an `Effect` out; deterministic.

Each figure is one coefficient of a regression of the night's severity (0-3) on what
became of its doses, fitted over the calendar of nights (a night without a check-in is a
gap, never closed up):

- `missed`: a night after a missed dose (any of its doses not taken by the check-in)
  against one after every dose was taken. It is tonight's effect: the regression also
  holds whether the night *before* had a missed dose, so a miss whose effect carries
  into the next night, or misses that come in runs, are not counted twice.
- `evening` and `earlier`: the same split by which dose was missed, the evening one (due in
  the `EVENING` hours before bedtime) or an earlier one, each holding the other.
- `late`: per hour the latest late dose was taken after it was due.
- `early`: a night after a dose taken early.

Every figure allows for the night before (the errors are an AR(1): last night's severity
enters through the prewhitening), a slow trend (linear, with a bend every `TREND_NIGHTS`
nights or a sixth of the log), the day of the week (on logs shorter than `WEEKDAY_NIGHTS`,
weekend nights against the rest), and the nights the check-in marked "something else
could explain the night". A cause nobody recorded cannot be allowed for.

The p-value and the interval come from rotating the whole sequence of the nights' dose
exposures round the calendar against the severities and the covariates, which keeps
every run in both, and ranking the regression's t among the rotations
(`reminderd.core.analysis.regression`). With N nights there are N rotations, so p is never
below 1/N: the report says so where that matters.

`effect` is a function of the nights (with their ratings and the "something else"
answer) and the dose labels of the calendar only, so the same analysis runs on any
rater's scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Mapping, Sequence

from reminderd.core.analysis.nights import NIGHT_LABELS, LabelledNight, NightDoses, NightLabels
from reminderd.core.analysis.records import EARLY, LATE, ON_TIME, date_range
from reminderd.core.analysis.stats import mean, median
from reminderd.core.words import MISSED

EVENING, EARLIER = "evening", "earlier"
MISSED_BEFORE = "missed_before"  # an adjustment, never a figure: the night before had a missed dose
FIGURES = (MISSED, EVENING, EARLIER, LATE, EARLY)
# The exposure columns, rotated together, and the columns each figure's regression holds.
_COLUMNS = (MISSED, EVENING, EARLIER, LATE, EARLY, MISSED_BEFORE)
_MODELS = {MISSED: (MISSED, LATE, EARLY, MISSED_BEFORE), LATE: (MISSED, LATE, EARLY, MISSED_BEFORE),
           EARLY: (MISSED, LATE, EARLY, MISSED_BEFORE),
           EVENING: (EVENING, EARLIER, LATE, EARLY, MISSED_BEFORE),
           EARLIER: (EVENING, EARLIER, LATE, EARLY, MISSED_BEFORE)}
NAMES = {MISSED: "a missed dose", EVENING: "a missed evening dose", EARLIER: "a missed earlier dose",
         LATE: "a late dose", EARLY: "an early dose", ON_TIME: "every dose taken"}
UNITS = {LATE: "per hour late"}

# Below this many nights in either group a figure is mostly noise.
MIN_NIGHTS = 5
# Separate runs of the exposure needed before a number is given. One episode is one event:
# whatever else happened that week (an illness, a trip) cannot be told apart from the
# missed doses, however many nights it lasted.
MIN_EPISODES = 2
TREND_NIGHTS = 90  # the slow trend bends at most this often (or every sixth of the log)
WEEKDAY_NIGHTS = 84  # from 12 weeks of nights, each day of the week; before, weekend or not
WEEKEND = (4, 5)  # Friday and Saturday evenings: the nights before a day off

CAVEAT = (
    "This is an association in one person's log, not proof that the missed dose caused it. "
    "Missed doses are not randomised: an illness, heat, alcohol, a relapse or a bad day can "
    "make a dose easier to miss and the night worse at the same time, and only such a cause "
    "recorded in the check-in (\u201csomething else could explain the night\u201d) can be "
    "allowed for. It is not a clinical trial; talk to your prescriber before changing "
    "anything. Never skip a dose to test this."
)
METHOD = ("regression of the night's severity on its doses (missed, evening or earlier, hours late, early, "
          "a miss the night before) with AR(1) errors (prewhitened; a gap of d nights as phi^d), a slow "
          "trend, the day of the week and the check-in's 'something else'; p-value and 95% interval by "
          "rotating the nights' dose sequence round the calendar against the severities and inverting "
          "that test")


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
class Figure:
    """One exposure's coefficient: points of severity (per hour, for `late`)."""

    exposure: str  # one of FIGURES
    nights: int  # checked-in nights with the exposure
    reference_nights: int  # checked-in nights after every dose was taken on time
    episodes: int  # runs of consecutive nights with it (holding a check-in)
    estimate: float | None  # None when refused
    ci95: tuple[float, float] | None
    p_value: float | None
    refused: str | None  # why no number is given, in a sentence; None when one is
    more_nights_needed: int  # in whichever group is short
    more_episodes_needed: int
    rotations: int  # alignments the test compared (0 when refused before testing)

    @property
    def smallest_p(self) -> float | None:
        """1 / rotations: the test cannot give less; None without a number."""
        return 1 / self.rotations if self.estimate is not None else None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "exposure": self.exposure,
            "unit": UNITS.get(self.exposure, "points"),
            "nights": self.nights,
            "reference_nights": self.reference_nights,
            "episodes": self.episodes,
            "estimate": self.estimate,
            "ci95": list(self.ci95) if self.ci95 else None,
            "p_value": self.p_value,
            "smallest_p": self.smallest_p,
            "refused": self.refused,
            "more_nights_needed": self.more_nights_needed,
            "more_episodes_needed": self.more_episodes_needed,
            "rotations": self.rotations,
        }


@dataclass(frozen=True)
class Effect:
    first: date | None  # the first and last night compared: the period of the figures
    last: date | None
    nights: dict[str, int]  # on_time, early, late, missed, no_doses, no_checkin, other_cause
    by_label: dict[str, LabelStats]  # on_time, early, late, missed
    figures: dict[str, Figure]  # missed, evening, earlier, late, early
    severity_autocorrelation: float | None  # the AR(1) phi allowed for; None with too few nights
    finding: str  # the headline in a sentence (and whether it is clear), or why there is none yet

    @property
    def summary(self) -> str:
        """The finding, then what it can and cannot say."""
        return f"{self.finding} {CAVEAT}"

    @property
    def missed(self) -> Figure:
        return self.figures[MISSED]

    # The headline figure (a missed dose), under its earlier names.
    @property
    def difference(self) -> float | None:
        return self.missed.estimate

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
        return {
            "period": {"first_night": self.first and self.first.isoformat(),
                       "last_night": self.last and self.last.isoformat()},
            "nights": dict(self.nights),
            "mean_severity": {k: s.severity.mean for k, s in self.by_label.items()},
            "median_severity": {k: s.severity.median for k, s in self.by_label.items()},
            "by_label": {k: s.to_json_dict() for k, s in self.by_label.items()},
            "method": METHOD,
            "figures": {k: f.to_json_dict() for k, f in self.figures.items()},
            "difference": self.difference,
            "ci95": list(self.ci95) if self.ci95 else None,
            "p_value": self.p_value,
            "refused": self.missed.refused,
            "missed_episodes": self.missed_episodes,
            "severity_autocorrelation": self.severity_autocorrelation,
            "finding": self.finding,
            "caveat": CAVEAT,
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


def effect(labelled: NightLabels, *, min_nights: int = MIN_NIGHTS, min_episodes: int = MIN_EPISODES) -> Effect:
    """The figures (see the module) over every night of `labelled`: its nights hold the
    ratings and the "something else" answer, its `doses` the calendar's exposures."""
    nights = sorted(labelled.nights, key=lambda n: n.night)
    by_label = {g: _label_stats([n for n in nights if n.label == g]) for g in NIGHT_LABELS}
    counts = {g: by_label[g].nights for g in NIGHT_LABELS}
    doses = labelled.doses
    known = set(doses) | {n.night for n in nights}
    calendar = date_range(min(known), max(known)) if known else []
    rated = {n.night: n for n in nights if n.label is not None}  # a night with no dose due is no comparison
    exposures = _exposures(calendar, doses)
    fit = _fit(calendar, rated, exposures) if len(rated) >= 3 else None
    figures = {f: _figure(f, calendar, rated, exposures, fit, min_nights, min_episodes) for f in FIGURES}
    counts = {**counts, "no_doses": sum(1 for n in nights if n.label is None),
              "no_checkin": len(labelled.no_checkin), "other_cause": sum(1 for n in nights if n.other_cause)}
    first, last = (calendar[0], calendar[-1]) if calendar else (None, None)
    return Effect(first, last, counts, by_label, figures, fit.phi if fit is not None else None,
                  _summary(figures, first, last, len(calendar), min_nights, min_episodes))


def _label_stats(nights: Sequence[LabelledNight]) -> LabelStats:
    return LabelStats(
        nights=len(nights),
        severity=ScoreSummary.of([n.severity for n in nights]),
        frequency=ScoreSummary.of([n.frequency for n in nights if n.frequency is not None]),
        woke=ScoreSummary.of([n.woke for n in nights if n.woke is not None]),
    )


def _exposures(calendar: Sequence[date], doses: Mapping[date, NightDoses]) -> dict[str, list[float]]:
    """Each exposure column over the calendar (a night the log does not know: nothing missed)."""
    none = NightDoses(None)
    parts = [doses.get(night, none) for night in calendar]
    missed = [float(p.missed) for p in parts]
    return {MISSED: missed, EVENING: [float(p.evening_missed) for p in parts],
            EARLIER: [float(p.earlier_missed) for p in parts], LATE: [p.hours_late for p in parts],
            EARLY: [float(p.early) for p in parts], MISSED_BEFORE: [0.0] + missed[:-1]}


def covariates(calendar: Sequence[date], other_cause: set[date]) -> list[list[float]]:
    """The fixed covariates of each night: a constant, the slow trend (a line, bending every
    TREND_NIGHTS nights or every sixth of the calendar, whichever is longer), the day of
    the week (or, under WEEKDAY_NIGHTS nights, weekend or not) and "something else"."""
    n = len(calendar)
    step = max(TREND_NIGHTS, n / 6)
    bends = [step * k for k in range(1, int((n - 1) / step) + 1) if step * k < n - 1]
    weekdays = n >= WEEKDAY_NIGHTS
    marked = bool(other_cause)
    rows = []
    for i, night in enumerate(calendar):
        day = night.weekday()
        row = [1.0, i / n] + [max(i - b, 0.0) / n for b in bends]
        row += [float(day == w) for w in range(6)] if weekdays else [float(day in WEEKEND)]
        if marked:
            row.append(float(night in other_cause))
        rows.append(row)
    return rows


def _fit(calendar: Sequence[date], rated: Mapping[date, LabelledNight], exposures: Mapping[str, list[float]]):
    from reminderd.core.analysis.regression import RotationRegression  # numpy: only the report needs it

    values = [float(rated[d].severity) if d in rated else None for d in calendar]
    columns = list(zip(*(exposures[c] for c in _COLUMNS)))
    other = {d for d, n in rated.items() if n.other_cause}
    return RotationRegression(values, columns, covariates(calendar, other))


def _figure(exposure: str, calendar: Sequence[date], rated: Mapping[date, LabelledNight],
            exposures: Mapping[str, list[float]], fit: Any, min_nights: int, min_episodes: int) -> Figure:
    exposed = {d for d, x in zip(calendar, exposures[exposure]) if x}
    n = sum(1 for d in exposed if d in rated)
    base = sum(1 for night in rated.values() if night.label == ON_TIME)
    episodes = count_episodes({d: exposure for d in exposed}, exposure, set(rated))
    more_nights = max(0, min_nights - n, min_nights - base)
    more_episodes = max(0, min_episodes - episodes)

    def refuse(reason: str, more_episodes: int = more_episodes, rotations: int = 0) -> Figure:
        return Figure(exposure, n, base, episodes, None, None, None, reason, more_nights, more_episodes, rotations)

    if more_nights:
        return refuse(f"too few nights: {n} after {NAMES[exposure]} and {base} after every dose was taken "
                      f"on time; at least {min_nights} of each are needed")
    if more_episodes:
        return refuse(f"too few separate episodes: the {n} nights after {NAMES[exposure]} come from "
                      f"{episodes}; at least {min_episodes} are needed")
    # Columns that are nothing anywhere carry nothing (no early dose ever, say): left out.
    present = [c for c in _MODELS[exposure] if any(exposures[c])]
    result = fit.test([_COLUMNS.index(c) for c in present], _COLUMNS.index(exposure)) if fit else None
    if result is None:
        return refuse(f"the nights after {NAMES[exposure]} cannot be told apart from what the figure allows "
                      "for (the trend, the days of the week, the other doses)")
    if result.interval is None:
        # The runs cover so much of the calendar that no shift is rejected at 5%.
        return refuse("the episodes are too few or too long for a 95% interval: no effect size could be "
                      "ruled out", max(1, more_episodes), result.rotations)
    return Figure(exposure, n, base, episodes, result.estimate, result.interval, result.p_value, None, 0, 0,
                  result.rotations)


def nights_text(k: int) -> str:
    """"1 night", "2 nights": a count of nights in words."""
    return f"{k} night" if k == 1 else f"{k} nights"


def _number(x: float) -> str:
    """One decimal, a real minus sign (reads better than a hyphen in a sentence); -0.0 is 0.0."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text.replace("-", "\u2212")


def _difference_phrase(difference: float) -> str:
    if f"{abs(difference):.1f}" == "0.0":
        return "about the same"
    return f"{abs(difference):.1f} points {'worse' if difference > 0 else 'better'}"


def p_text(p: float, smallest: float | None = None) -> str:
    """ "p = 0.03", "p < 0.01", and where p is at its floor (1 / rotations), that it is."""
    text = f"p = {p:.2g}" if p >= 0.01 else "p < 0.01"
    if smallest is not None and p <= smallest * (1 + 1e-9):
        text += ", the smallest this many nights can give"
    return text


def _summary(figures: Mapping[str, Figure], first: date | None, last: date | None, calendar: int,
             min_nights: int, min_episodes: int) -> str:
    missed = figures[MISSED]
    period = f"{first:%-d %b %Y} to {last:%-d %b %Y}" if first and last else "no nights yet"
    if missed.estimate is None or missed.ci95 is None:
        if missed.more_nights_needed:
            wanted = []
            if missed.nights < min_nights:
                wanted.append(f"{min_nights - missed.nights} more after a missed dose")
            if missed.reference_nights < min_nights:
                wanted.append(f"{min_nights - missed.reference_nights} more after every dose was taken on time")
            why = (f"the comparison needs at least {min_nights} nights after a missed dose and "
                   f"{min_nights} after every dose was taken on time; the log has {missed.nights} "
                   f"{'night' if missed.nights == 1 else 'nights'} after a missed dose and "
                   f"{missed.reference_nights} after every dose was taken on time, so it needs "
                   f"{' and '.join(wanted)}")
        elif missed.more_episodes_needed and missed.episodes < min_episodes:
            more = missed.more_episodes_needed
            why = (f"the {nights_text(missed.nights)} after a missed dose come from {missed.episodes} separate "
                   f"{'episode' if missed.episodes == 1 else 'episodes'}, and bad nights come in runs, so they "
                   f"are too few to tell an effect from a run of bad nights; it needs {more} more separate "
                   f"{'episode' if more == 1 else 'episodes'}")
        else:
            why = missed.refused or ""
        floor = (f" With {calendar} nights the test cannot give a p-value below 1/{calendar} "
                 f"({1 / calendar:.2g}), so a few more weeks also sharpen it." if 0 < calendar < 40 else "")
        return (f"Not enough to compare yet ({period}): {why}.{floor} Keep taking every dose as prescribed: "
                f"the comparison can wait.")
    low, high = missed.ci95
    parts = [
        f"Nights after a missed dose were {_difference_phrase(missed.estimate)} on the 0\u20133 spasm "
        f"severity scale than nights after every dose was taken (95% interval {_number(low)} to "
        f"{_number(high)}; {p_text(missed.p_value or 1.0, missed.smallest_p)}), over {nights_text(calendar)} "
        f"from {period}."
    ]
    if low <= 0 <= high:
        parts.append("The interval includes 0: the log does not show a clear difference.")
    return " ".join(parts)
