"""The missed-dose comparison: figures, refusals and the sentence, from labelled nights."""

from __future__ import annotations

import json
import random
import statistics
from datetime import date, datetime, timedelta, timezone

import pytest

from reminderd.core.analysis.adherence import adherence
from reminderd.core.analysis.effect import count_episodes, effect
from reminderd.core.analysis.nights import LabelledNight, NightLabels
from reminderd.core.analysis.stats import lag1_autocorrelation, rotation_test
from reminderd.report.build import Analysis

UTC = timezone.utc
FIRST = date(2024, 1, 1)
DAY = timedelta(days=1)
NOON = datetime(2024, 1, 1, 12, tzinfo=UTC)


def night_labels(sequence, first=FIRST, no_checkin=()):
    """NightLabels from (label, severity[, frequency, woke]) per consecutive night; a
    severity of None is a night without a check-in (a gap)."""
    nights, labels, unchecked = [], {}, list(no_checkin)
    for i, item in enumerate(sequence):
        label, severity, *rest = item
        frequency, woke = (rest + [None, None])[:2]
        day = first + i * DAY
        labels[day] = label
        if severity is None:
            unchecked.append(day)
            continue
        nights.append(LabelledNight(day, label, severity, frequency, woke, 3, NOON, NOON, NOON))
    return NightLabels(tuple(nights), tuple(unchecked), labels)


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


def test_effect_of_a_clear_difference():
    result = effect(night_labels(CLEAR_WORSE))
    assert result.nights == {"on_time": 40, "early": 0, "late": 3, "missed": 12, "no_doses": 0, "no_checkin": 0}
    assert result.by_label["missed"].severity.mean == 2.5
    assert result.by_label["on_time"].severity.mean == 0.75
    assert result.by_label["on_time"].severity.median == 1.0
    assert result.difference == pytest.approx(1.75)
    low, high = result.ci95
    assert 0 < low < 1.75 < high
    assert result.p_value == pytest.approx(1 / 55)  # no rotation is as extreme as the truth
    assert result.comparisons["late"].difference is None  # only 3 late nights
    assert "your spasms were 1.8 points worse on the 0\u20133 scale" in result.summary
    assert "12 vs 40 nights" in result.summary
    assert "does not yet show" not in result.summary


def test_the_figures_are_the_rotation_test_on_the_calendar():
    sequence = shuffled(CLEAR_WORSE + [("on_time", None)] * 4, seed=2)  # four gaps
    result = effect(night_labels(sequence))
    direct = rotation_test([g for g, _ in sequence], [None if s is None else float(s) for _, s in sequence],
                           "missed", "on_time")
    assert (result.difference, result.ci95, result.p_value) == (direct.difference, direct.interval, direct.p_value)
    assert result.missed.rotations == len(sequence)


def test_a_negative_difference_reads_better():
    result = effect(night_labels(CLEAR_BETTER))
    assert result.difference < 0
    assert "your spasms were 1.8 points better on the 0\u20133 scale" in result.summary
    assert "points worse" not in result.summary


def test_an_interval_including_zero_reads_as_no_clear_difference():
    result = effect(night_labels(UNCLEAR))
    low, high = result.ci95
    assert low < 0 < high and result.p_value > 0.05
    assert "does not yet show a clear difference" in result.summary


def test_too_few_nights_says_how_many_more_instead_of_a_number():
    result = effect(night_labels(TOO_FEW))
    assert (result.difference, result.ci95, result.p_value) == (None, None, None)
    assert result.missed.more_nights_needed == 2
    assert result.missed.refused.startswith("too few nights")
    assert "has 3 nights after a missed dose and 40 with every dose on time" in result.summary
    assert "needs 2 more after a missed dose" in result.summary
    assert "points" not in result.summary


def test_one_episode_is_refused_however_many_nights_it_lasts():
    result = effect(night_labels(ONE_EPISODE))
    assert result.nights["missed"] == 8 and result.missed_episodes == 1
    assert (result.difference, result.ci95, result.p_value) == (None, None, None)
    assert result.missed.more_episodes_needed == 1
    assert result.missed.refused.startswith("too few separate episodes")
    assert "come from 1 separate episode" in result.summary
    assert "it needs 1 more separate episode" in result.summary
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
    for phrase in ("not randomised", "illness, heat, a relapse, a bad day",
                   "not a clinical trial", "talk to your prescriber"):
        assert phrase in text
    # "skip" appears only to say never to do it.
    assert text.lower().count("skip") == text.count("Never skip a dose to test this") == 1


def test_late_and_early_nights_are_compared_when_there_are_enough():
    sequence = shuffled(CLEAR_WORSE + [("late", 2)] * 4 + [("late", 1)] * 3 + [("early", 1)] * 6, seed=4)
    result = effect(night_labels(sequence))
    late = [s for g, s in sequence if g == "late"]
    assert result.comparisons["late"].difference == pytest.approx(statistics.mean(late) - 0.75)
    assert result.comparisons["late"].ci95 is not None
    assert result.comparisons["early"].difference == pytest.approx(0.25)
    assert "After nights with a late dose" in result.summary
    assert "After nights with an early dose" in result.summary


def test_frequency_and_wake_ups_use_answered_nights_only():
    sequence = [("on_time", 1, 2, 0), ("on_time", 2, None, 1), ("on_time", 0, 4, None),
                ("missed", 3, 3, 2), (None, 1), ("on_time", None)]
    result = effect(night_labels(sequence))
    on_time = result.by_label["on_time"]
    assert (on_time.frequency.count, on_time.frequency.mean) == (2, 3.0)
    assert (on_time.woke.count, on_time.woke.median) == (2, 0.5)
    assert result.nights["no_doses"] == 1 and result.nights["no_checkin"] == 1


def test_autocorrelation_skips_the_gaps():
    sequence = [("missed", 3), ("missed", 3), ("on_time", None), ("missed", 2), ("on_time", 0)]
    result = effect(night_labels(sequence))
    assert result.severity_autocorrelation == pytest.approx(lag1_autocorrelation([3, 3, None, 2, 0]))


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
    missed = out["comparisons"]["missed"]
    assert missed["labels"] == ["missed", "on_time"]
    assert missed["nights"] == {"missed": 12, "on_time": 40}
    assert missed["episodes"] == out["missed_episodes"] > 1
    assert missed["difference"] == out["difference"] == pytest.approx(1.75)
    assert missed["ci95"] == out["ci95"] and len(out["ci95"]) == 2
    assert missed["p_value"] == out["p_value"] and missed["refused"] is None is out["refused"]
    assert "rotation test" in out["method"]
    assert set(out["mean_severity"]) == {"on_time", "early", "late", "missed"}
    refused = json.loads(json.dumps(effect(night_labels(ONE_EPISODE)).to_json_dict()))
    assert (refused["difference"], refused["ci95"], refused["p_value"]) == (None, None, None)
    assert refused["refused"].startswith("too few separate episodes")
    assert refused["comparisons"]["missed"]["more_episodes_needed"] == 1
