"""Answers a page at a time on a server that shows few buttons, and the check-in's steps
as a notification asks them (pure: no server; GNOME Shell itself is in test_gnome.py)."""

from __future__ import annotations

from datetime import date

import pytest

from reminderd.core import checkin as core
from reminderd.notify import pages

A = tuple((k, k.upper()) for k in "abcdef")


@pytest.mark.parametrize(("n", "limit", "expected"), [
    (3, 3, [["a", "b", "c"]]),
    (4, 3, [["a", "b", "more:1"], ["c", "d"]]),
    (5, 3, [["a", "b", "more:1"], ["c", "d", "e"]]),
    (6, 3, [["a", "b", "more:1"], ["c", "d", "more:2"], ["e", "f"]]),
    (6, None, [["a", "b", "c", "d", "e", "f"]]),
    (2, 3, [["a", "b"]]),
], ids=["fits", "four", "five", "six", "no-limit", "two"])
def test_pages_hold_every_answer_within_the_limit(n, limit, expected):
    cut = pages.pages(A[:n], limit)
    assert [[key for key, _ in page] for page in cut] == expected
    assert all(len(page) <= (limit or n) for page in cut)
    answers = [key for page in cut for key, _ in page if pages.page_asked(key) is None]
    assert answers == [key for key, _ in A[:n]]  # each answer once, in order
    assert all(label == "More…" for page in cut for key, label in page if pages.page_asked(key) is not None)


def test_only_gnome_shell_is_known_to_show_few_buttons():
    assert pages.button_limit("gnome-shell") == 3
    assert pages.button_limit("dunst") is None and pages.button_limit("Plasma") is None


def night(severity: int) -> core.Checkin:
    return core.Checkin(night=date(2026, 11, 27), severity=severity)


def test_the_checkin_steps_ask_how_often_and_wakings_only_after_spasms_and_anything_else_after_every_night():
    assert [s.question.key for s in core.STEPS] == ["severity", "frequency", "woke", "other_cause"]
    assert core.next_step(night(0), after="severity").question.key == "other_cause"  # after a good night too
    assert core.next_step(night(2), after="severity").question.key == "frequency"
    assert core.next_step(night(2), after="frequency").question.key == "woke"
    assert core.next_step(night(2), after="woke").question.key == "other_cause"
    assert core.next_step(night(2), after="other_cause") is None
    assert core.step_named("woke") is core.STEPS[2] and core.step_named("weather") is None
    # Each step's answers are valid answers of its question.
    for step in core.STEPS:
        for value, _ in step.choices:
            assert step.question.low <= value <= step.question.high
