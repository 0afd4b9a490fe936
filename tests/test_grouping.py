"""Doses due together: the pure rules with plain values and an explicit now."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from reminderd.core import grouping
from reminderd.core.config.settings import Config, Medication
from reminderd.core.doses import Dose
from reminderd.core.words import MISSED, TAKEN
from tests.conftest import at

DAY = date(2026, 11, 28)
GABA = Medication("gabapentin", "300 mg", remind_every=timedelta(minutes=15), give_up_after=timedelta(hours=3))
BACLO = Medication("baclofen", "10 mg", remind_every=timedelta(minutes=15), give_up_after=timedelta(hours=3))
VITD = Medication("vitamin D", "1000 IU", remind_every=timedelta(minutes=15), give_up_after=timedelta(hours=3))
MEDS = {m.name: m for m in (GABA, BACLO, VITD)}
CONFIG = Config(timezone=ZoneInfo("Europe/London"), medications=(GABA, BACLO, VITD))
FIVE = timedelta(minutes=5)


def dose(id: int, med: str, hhmm: str, **kw) -> Dose:
    return Dose(id=id, medication=med, local_date=DAY, slot=hhmm, dose=MEDS[med].dose,
                due=at(f"2026-11-28 {hhmm}:00"), **kw)


def ids(groups) -> list[tuple[int, ...]]:
    return [tuple(d.id for d in g) for g in groups]


@pytest.mark.parametrize("doses, within, expected", [
    ([dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:00")], FIVE, [(1, 2)]),
    ([dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:00"), dose(3, "vitamin D", "08:00")], FIVE, [(1, 2, 3)]),
    ([dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:05")], FIVE, [(1, 2)]),
    ([dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:06")], FIVE, [(1,), (2,)]),
    ([dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:03")], timedelta(0), [(1,), (2,)]),
    # Anchored at the group's first dose: 08:04 and 08:08 do not chain into 08:00's group.
    ([dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:04"), dose(3, "vitamin D", "08:08")], FIVE,
     [(1, 2), (3,)]),
    # The same medication twice within the window: never one reminder for two of its doses.
    ([dose(1, "gabapentin", "08:00"), dose(2, "gabapentin", "08:02"), dose(3, "baclofen", "08:03")], FIVE,
     [(1,), (2, 3)]),
    ([dose(2, "baclofen", "14:00"), dose(1, "gabapentin", "08:00")], FIVE, [(1,), (2,)]),
], ids=["same-instant", "three", "at-the-limit", "past-the-limit", "zero-window", "anchored", "same-medication",
        "apart"])
def test_groups(doses, within, expected):
    assert ids(grouping.groups(doses, within)) == expected


def test_answering_a_dose_never_moves_another_to_another_group():
    before = [dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:00"), dose(3, "vitamin D", "08:03")]
    after = [before[0]._replace(status=TAKEN), before[1]._replace(status=MISSED, snoozed_until=at("2026-11-28 09:00:00")),
             before[2]]
    assert ids(grouping.groups(before, FIVE)) == ids(grouping.groups(after, FIVE)) == [(1, 2, 3)]
    assert grouping.group_key(grouping.group_of(after[2], after, FIVE)) == "group:1"


def test_a_group_reminds_those_owed_within_the_window():
    group = (dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:03"),
             dose(3, "vitamin D", "08:00", snoozed_until=at("2026-11-28 08:30:00"), reminders_sent=1,
                  last_reminded_at=at("2026-11-28 08:00:00")))
    chosen = grouping.remind_with(group, MEDS, at("2026-11-28 08:15:00"), FIVE)
    # 3 was snoozed on its own until 08:30: it waits for its own time.
    assert [d.id for d in chosen] == [1, 2]
    assert grouping.remind_with(group, MEDS, at("2026-11-28 11:04:00"), FIVE) == []  # all given up by then


def test_the_notification_lists_the_doses_still_open():
    now = at("2026-11-28 08:20:00")
    reminded = dict(reminders_sent=1, last_reminded_at=at("2026-11-28 08:00:00"))
    group = (dose(1, "gabapentin", "08:00", **reminded), dose(2, "baclofen", "08:00", status=TAKEN, **reminded),
             dose(3, "vitamin D", "08:00", snoozed_until=at("2026-11-28 08:30:00"), **reminded),
             dose(4, "baclofen", "08:02"))
    assert [d.id for d in grouping.listed(group, now)] == [1]  # 2 answered, 3 snoozed, 4 never reminded
    assert [d.id for d in grouping.listed(group, at("2026-11-28 08:30:00"))] == [1, 3]


def test_text_actions_and_hint():
    now = at("2026-11-28 08:20:00")
    listed = [dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:00")]
    title, body = grouping.reminder_text(listed, MEDS, CONFIG, now, private=False)
    assert title == "2 doses due"
    assert body == "gabapentin 300 mg (08:00), 20 min late\nbaclofen 10 mg (08:00), 20 min late"
    assert grouping.actions(listed, "Snooze 10 min", private=False) == (
        ("all-taken", "All taken"), ("snooze", "Snooze 10 min"),
        ("taken:1", "Taken: gabapentin"), ("taken:2", "Taken: baclofen"),
        ("skip:1", "Skip: gabapentin"), ("skip:2", "Skip: baclofen"))
    assert grouping.cli_hint(listed, private=False) == \
        "Answer with: reminderd take --all  (or one: reminderd take gabapentin / baclofen; skip / snooze likewise)"
    title, body = grouping.reminder_text(listed, MEDS, CONFIG, now, private=True)
    assert "gabapentin" not in title + body and body.startswith("a 08:00 dose")
    assert all("gabapentin" not in label for _, label in grouping.actions(listed, "Snooze", private=True))
    # One dose left: its own name as the title, and its three answers, as on a dose of its own.
    title, _ = grouping.reminder_text(listed[:1], MEDS, CONFIG, now, private=False)
    assert title == "gabapentin 300 mg"
    assert grouping.actions(listed[:1], "Snooze", private=False) == (
        ("all-taken", "Taken"), ("snooze", "Snooze"), ("skip:1", "Skip"))


def test_the_last_reminder_says_when_the_doses_are_missed():
    listed = [dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:00")]
    _, body = grouping.reminder_text(listed, MEDS, CONFIG, at("2026-11-28 10:50:00"), private=False)
    assert "Last reminder: if not answered by 11:00, these doses are counted as missed." in body


def test_missed_notice_for_a_group():
    title, body = grouping.missed_text([dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:00")], MEDS, CONFIG,
                                       False)
    assert title == "2 doses missed"
    assert body.startswith("Not answered, so counted as missed — gabapentin 300 mg (08:00), baclofen 10 mg (08:00). "
                           "If you took them, record each with `reminderd take gabapentin --at 08:00` and "
                           "`reminderd take baclofen --at 08:00`.")  # commands that work as typed, not "NAME"
    assert CONFIG.missed_dose_advice in body
    # Missed while no daemon ran: never reminded, so not "not answered"; each at its own slot.
    stopped = [dose(1, "gabapentin", "08:00")._replace(reason="not running"),
               dose(2, "baclofen", "08:03")._replace(reason="not running")]
    assert grouping.missed_text(stopped, MEDS, CONFIG, False)[1].startswith(
        "Due while reminderd was not running, so counted as missed — gabapentin 300 mg (08:00), baclofen 10 mg "
        "(08:03). If you took them, record each with `reminderd take gabapentin --at 08:00` and "
        "`reminderd take baclofen --at 08:03`.")
    # One dose of the group missed: the same notice as a dose alone.
    one = grouping.missed_text([dose(1, "gabapentin", "08:00")], MEDS, CONFIG, False)
    assert one[0] == "Missed: gabapentin 300 mg" and one[1].startswith("The 08:00 dose was not answered")


def test_which_doses_a_bare_take_means():
    open_doses = [dose(1, "gabapentin", "08:00"), dose(2, "baclofen", "08:03"), dose(3, "vitamin D", "14:00"),
                  dose(4, "gabapentin", "14:00")]
    assert [d.id for d in grouping.due_now(open_doses, MEDS, at("2026-11-28 08:00:00"), FIVE)] == [1, 2]
    assert [d.id for d in grouping.due_now(open_doses, MEDS, at("2026-11-28 07:50:00"), FIVE)] == []
    assert [d.id for d in grouping.due_now(open_doses, MEDS, at("2026-11-28 11:04:00"), FIVE)] == []
    assert [d.id for d in grouping.due_now(open_doses, MEDS, at("2026-11-28 14:00:00"), FIVE)] == [4, 3]  # the config's order
