"""The missed-dose figures: what each is, the refusals and the sentences, from labelled
nights (the statistic itself is checked against its definition in test_regression)."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from reminderd.core.analysis.adherence import adherence
from reminderd.core.analysis.effect import count_episodes, covariates, effect
from reminderd.core.analysis.nights import LabelledNight, NightDoses, NightLabels
from reminderd.core.analysis.regression import RotationRegression
from reminderd.report.build import Analysis

UTC = timezone.utc
FIRST = date(2024, 1, 1)
DAY = timedelta(days=1)
NOON = datetime(2024, 1, 1, 12, tzinfo=UTC)
# What became of a night's doses, by a word: the label and its parts.
DOSES = {
    "on_time": NightDoses("on_time"),
    "missed": NightDoses("missed", earlier_missed=True),
    "evening": NightDoses("missed", evening_missed=True),
    "late": NightDoses("late", hours_late=1.5),
    "later": NightDoses("late", hours_late=4.0),
    "early": NightDoses("early", early=True),
    None: NightDoses(None),
}


def night_labels(sequence, first=FIRST, other_cause=()):
    """NightLabels from (doses, severity[, frequency, woke]) per consecutive night; a severity
    of None is a night without a check-in (a gap). `other_cause`: indexes of nights whose
    check-in said something else could explain them."""
    nights, labels, doses, unchecked = [], {}, {}, []
    for i, item in enumerate(sequence):
        word, severity, *rest = item
        frequency, woke = (rest + [None, None])[:2]
        day = first + i * DAY
        doses[day] = DOSES[word]
        labels[day] = doses[day].label
        if severity is None:
            unchecked.append(day)
            continue
        nights.append(LabelledNight(day, doses[day].label, severity, frequency, woke, 3, NOON, NOON, NOON,
                                    True if i in other_cause else None))
    return NightLabels(tuple(nights), tuple(unchecked), labels, doses)


def shuffled(sequence, seed=1):
    out = list(sequence)
    random.Random(seed).shuffle(out)
    return out


CLEAR_WORSE = shuffled([("missed", 3)] * 6 + [("missed", 2)] * 6 + [("on_time", 1)] * 30
                       + [("on_time", 0)] * 10 + [("late", 1)] * 3)
CLEAR_BETTER = [(g, 3 - s) for g, s in CLEAR_WORSE]  # missed nights now the milder ones
UNCLEAR = shuffled([("missed", s) for s in (0, 1, 2, 3, 1, 2)] +
                   [("on_time", s) for s in (0, 1, 2, 3, 1, 1, 2, 0, 2, 1)] * 3, seed=3)
TOO_FEW = [("missed", 3)] * 3 + [("on_time", 1)] * 40
ONE_EPISODE = [("on_time", 1)] * 30 + [("missed", 3)] * 8 + [("on_time", 1)] * 30


def simulated(n=400, seed=4, evening=0.0, earlier=0.0, per_hour=0.0, carry=0.0, common=0.0, marked=True):
    """A long log with known effects on an AR(1) severity (not rounded, so that each figure's
    truth is exact): evening and earlier misses in runs, late nights, a miss that carries
    into the next night, and an illness that makes both misses and bad nights."""
    rng = np.random.default_rng(seed)
    sequence, ill, z, previous = [], [], 0.0, 0.0
    state = False
    for _ in range(n):
        sick = (rng.random() < 0.85) if (ill and ill[-1]) else (rng.random() < 0.04)
        ill.append(sick)
        state = (rng.random() < 0.6) if state else (rng.random() < (0.35 if sick else 0.12))
        word = (("evening" if rng.random() < 0.5 else "missed") if state else
                "late" if rng.random() < 0.1 else "later" if rng.random() < 0.05 else "on_time")
        d = DOSES[word]
        z = 0.6 * z + rng.normal(0, 0.5)
        value = (1.2 + z + evening * d.evening_missed + earlier * d.earlier_missed + per_hour * d.hours_late
                 + carry * previous + common * sick)
        previous = float(d.missed)
        sequence.append((word, None if rng.random() < 0.05 else float(value)))
    return night_labels(sequence, other_cause={i for i, s in enumerate(ill) if s} if marked else ())


def test_a_clear_difference_is_the_headline_with_its_interval():
    result = effect(night_labels(CLEAR_WORSE))
    assert result.nights == {"on_time": 40, "early": 0, "late": 3, "missed": 12, "no_doses": 0, "no_checkin": 0,
                             "other_cause": 0}
    assert result.by_label["missed"].severity.mean == 2.5
    assert result.by_label["on_time"].severity.mean == 0.75
    assert 1.5 < result.difference < 2.0
    low, high = result.ci95
    assert 0 < low < result.difference < high
    assert result.p_value == pytest.approx(1 / 55) == result.missed.smallest_p  # no rotation is as extreme
    assert (result.first, result.last) == (FIRST, FIRST + 54 * DAY)
    assert result.figures["late"].estimate is None  # only 3 late nights
    assert result.finding.startswith(f"Nights after a missed dose were {result.difference:.1f} points worse on the "
                                      "0\u20133 spasm severity scale than nights after every dose was taken")
    assert "the smallest this many nights can give), over 55 nights from 1 Jan 2024 to 24 Feb 2024." in result.finding
    assert "does not show a clear difference" not in result.finding


def test_each_figure_is_the_regression_on_the_calendar():
    sequence = shuffled(CLEAR_WORSE + [("on_time", None)] * 4 + [("late", 2)] * 4, seed=2)  # four gaps
    result = effect(night_labels(sequence))
    calendar = [FIRST + i * DAY for i in range(len(sequence))]
    values = [None if s is None else float(s) for _, s in sequence]
    parts = [DOSES[w] for w, _ in sequence]
    columns = [[float(p.missed), float(p.evening_missed), float(p.earlier_missed), p.hours_late, float(p.early),
                float(b.missed)] for p, b in zip(parts, [DOSES[None]] + parts[:-1])]
    direct = RotationRegression(values, columns, covariates(calendar, set())).test([0, 3, 5], 0)
    assert (result.difference, result.ci95, result.p_value) == (direct.estimate, direct.interval, direct.p_value)
    assert result.missed.rotations == len(sequence)
    assert result.severity_autocorrelation == direct.phi


def test_a_negative_difference_reads_better():
    result = effect(night_labels(CLEAR_BETTER))
    assert result.difference < 0
    assert f"were {abs(result.difference):.1f} points better on the 0\u20133" in result.finding
    assert "points worse" not in result.summary


def test_an_interval_including_zero_reads_as_no_clear_difference():
    result = effect(night_labels(UNCLEAR))
    low, high = result.ci95
    assert low < 0 < high and result.p_value > 0.05
    assert result.finding.endswith("The interval includes 0: the log does not show a clear difference.")


def test_too_few_nights_says_how_many_more_instead_of_a_number():
    result = effect(night_labels(TOO_FEW))
    assert (result.difference, result.ci95, result.p_value) == (None, None, None)
    assert result.missed.more_nights_needed == 2
    assert result.missed.refused.startswith("too few nights")
    assert "has 3 nights after a missed dose and 40 after every dose was taken on time" in result.finding
    assert "needs 2 more after a missed dose" in result.finding
    assert "points" not in result.summary


def test_a_short_log_says_the_smallest_p_it_can_give():
    result = effect(night_labels(TOO_FEW[:2] + [("on_time", 1)] * 26))
    assert "With 28 nights the test cannot give a p-value below 1/28 (0.036)" in result.finding
    assert "With" not in effect(night_labels(TOO_FEW)).finding  # 43 nights: no longer the point


def test_one_episode_is_refused_however_many_nights_it_lasts():
    result = effect(night_labels(ONE_EPISODE))
    assert result.nights["missed"] == 8 and result.missed_episodes == 1
    assert (result.difference, result.ci95, result.p_value) == (None, None, None)
    assert result.missed.more_episodes_needed == 1
    assert result.missed.refused.startswith("too few separate episodes")
    assert "come from 1 separate episode" in result.finding
    assert "it needs 1 more separate episode" in result.finding
    assert "points" not in result.summary


def test_too_few_rotations_for_an_interval_is_refused():
    # 12 nights, two episodes: no rotation can be rejected at 5%.
    sequence = [("missed", 3), ("on_time", 1), ("on_time", 1), ("missed", 3)] + [("on_time", 0)] * 4 + \
        [("missed", 2), ("missed", 2), ("missed", 3), ("on_time", 1)]
    result = effect(night_labels(sequence))
    assert result.ci95 is None and result.missed.refused.startswith("the episodes are too few")
    assert result.missed.more_episodes_needed >= 1


@pytest.mark.parametrize("sequence", [CLEAR_WORSE, CLEAR_BETTER, UNCLEAR, TOO_FEW, ONE_EPISODE],
                         ids=["worse", "better", "unclear", "too few", "one episode"])
def test_every_summary_is_honest_about_what_it_is(sequence):
    text = effect(night_labels(sequence)).summary
    for phrase in ("an association in one person's log, not proof", "not randomised",
                   "illness, heat, alcohol, a relapse or a bad day", "only such a cause recorded in the check-in",
                   "not a clinical trial", "talk to your prescriber"):
        assert phrase in text
    # "skip" appears only to say never to do it.
    assert text.lower().count("skip") == text.count("Never skip a dose to test this") == 1
    for claim in ("caused by", "proves", "because of"):
        assert claim not in text


def test_the_evening_dose_and_earlier_doses_are_told_apart():
    result = effect(simulated(evening=0.8))
    evening, earlier, missed = (result.figures[k] for k in ("evening", "earlier", "missed"))
    assert evening.ci95[0] < 0.8 < evening.ci95[1] and evening.ci95[0] > 0
    assert earlier.ci95[0] < 0 < earlier.ci95[1]
    # Any missed dose: the average of the two kinds, as they came.
    assert earlier.estimate < missed.estimate < evening.estimate


def test_hours_late_is_a_dose_response():
    result = effect(simulated(per_hour=0.3))
    late = result.figures["late"]
    assert late.ci95[0] < 0.3 < late.ci95[1] and late.ci95[0] > 0
    assert late.to_json_dict()["unit"] == "per hour late"


def test_a_miss_that_carries_over_is_not_counted_twice():
    # Misses come in runs and each also worsens the next night: the figure is that night's own.
    result = effect(simulated(earlier=0.5, evening=0.5, carry=0.6))
    low, high = result.ci95
    assert low < 0.5 < high


def test_only_a_recorded_common_cause_is_allowed_for():
    # No effect at all; an illness makes misses likelier and nights worse.
    marked, unrecorded = effect(simulated(common=1.5)), effect(simulated(common=1.5, marked=False))
    assert marked.ci95[0] < 0 < marked.ci95[1] and marked.nights["other_cause"] > 20
    # The same illness, not recorded: it looks like an effect, which is what the caveat says.
    assert unrecorded.difference > marked.difference + 0.1 and unrecorded.ci95[0] > 0


def test_the_same_analysis_runs_on_another_raters_scores():
    labelled = night_labels(CLEAR_WORSE)
    theirs = NightLabels(tuple(LabelledNight(n.night, n.label, 3 - n.severity, None, None, 3, NOON, NOON, NOON)
                               for n in labelled.nights), labelled.no_checkin, labelled.labels, labelled.doses)
    assert effect(theirs).difference == pytest.approx(-effect(labelled).difference)


def test_nights_with_no_dose_due_are_left_out():
    # Two weeks off the medication, and bad: no comparison, not nights "with every dose taken".
    result = effect(night_labels(CLEAR_WORSE[:30] + [(None, 3)] * 14 + CLEAR_WORSE[30:]))
    assert result.nights["no_doses"] == 14
    assert result.difference == pytest.approx(effect(night_labels(CLEAR_WORSE)).difference, abs=0.1)


def test_frequency_and_wake_ups_use_answered_nights_only():
    sequence = [("on_time", 1, 2, 0), ("on_time", 2, None, 1), ("on_time", 0, 4, None),
                ("missed", 3, 3, 2), (None, 1), ("on_time", None)]
    result = effect(night_labels(sequence))
    on_time = result.by_label["on_time"]
    assert (on_time.frequency.count, on_time.frequency.mean) == (2, 3.0)
    assert (on_time.woke.count, on_time.woke.median) == (2, 0.5)
    assert result.nights["no_doses"] == 1 and result.nights["no_checkin"] == 1


@pytest.mark.parametrize(
    "labels, within, expected",
    [
        ("MMOM", None, 2),
        ("M.MM", None, 2),
        ("OOOO", None, 0),
        ("MLMLM", None, 3),
        ("MMMMM", None, 1),
        ("MMxMM", {0, 1, 3, 4}, 1),  # an unchecked missed night (x) joins the two halves
        ("MxOMM", {2, 3, 4}, 1),  # the first run has no night in the comparison
    ],
    ids=["two runs", "gap without label", "none", "alternating", "one long", "bridged", "outside"],
)
def test_episodes(labels, within, expected):
    names = {"M": "missed", "x": "missed", "O": "on_time", "L": "late", ".": None}
    mapping = {FIRST + i * DAY: names[c] for i, c in enumerate(labels)}
    chosen = None if within is None else {FIRST + i * DAY for i in within}
    assert count_episodes(mapping, "missed", within=chosen) == expected


def test_json_names_everything_acceptance_reads():
    result = effect(night_labels(CLEAR_WORSE))
    whole = Analysis(adherence([], FIRST, FIRST, NOON, tz=timezone.utc), result).to_json_dict()
    out = json.loads(json.dumps(whole))["effect"]
    missed = out["figures"]["missed"]
    assert (missed["nights"], missed["reference_nights"], missed["unit"]) == (12, 40, "points")
    assert missed["episodes"] == out["missed_episodes"] > 1
    assert missed["estimate"] == out["difference"] == pytest.approx(result.difference)
    assert missed["ci95"] == out["ci95"] and len(out["ci95"]) == 2
    assert missed["p_value"] == out["p_value"] and missed["refused"] is None is out["refused"]
    assert missed["smallest_p"] == pytest.approx(1 / 55)
    assert set(out["figures"]) == {"missed", "evening", "earlier", "late", "early"}
    assert out["period"] == {"first_night": "2024-01-01", "last_night": "2024-02-24"}
    assert "AR(1)" in out["method"] and "rotating" in out["method"]
    assert out["summary"] == f"{out['finding']} {out['caveat']}"
    assert set(out["mean_severity"]) == {"on_time", "early", "late", "missed"}
    refused = json.loads(json.dumps(effect(night_labels(ONE_EPISODE)).to_json_dict()))
    assert (refused["difference"], refused["ci95"], refused["p_value"]) == (None, None, None)
    assert refused["refused"].startswith("too few separate episodes")
    assert refused["figures"]["missed"]["more_episodes_needed"] == 1
