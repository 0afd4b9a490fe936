"""The minimum gap between two taken doses holds both ways: a dose recorded for a time
*before* one already taken is as close to it as one recorded after. Every answering path
(the CLI, a notification's button, the phone page) goes through `services`, so each is
tested with the other dose on either side.

Times are in November, when Europe/London is on UTC; the config's min_gap is 4 h."""

from __future__ import annotations

import logging

import pytest

from reminderd import services
from reminderd.errors import TooCloseError
from reminderd.store import Store
from tests.conftest import Cli, at, config_text, rows
from tests.test_daemon_clock import drive  # noqa: F401  (fixture: the daemon on an explicit clock)

AS_NEEDED = """
[[medication]]
name = "baclofen"
dose = "10 mg"
as_needed = true
min_gap = "4h"
"""


def taken(cli: Cli) -> list[tuple[str, str, str]]:
    return rows(cli, "SELECT medication, slot, taken_at FROM doses WHERE status = 'taken' ORDER BY taken_at")


@pytest.mark.parametrize("first, second, word", [
    ("11:00", "13:00", "last taken 2h before"),  # the later one refused: the rule's usual side
    ("13:00", "11:00", "also taken 2h after"),  # the earlier one refused: the side a mutation hid
], ids=["later-dose", "earlier-dose"])
def test_a_take_within_min_gap_of_a_taken_dose_either_side_is_refused(cli: Cli, first: str, second: str,
                                                                         word: str) -> None:
    assert cli("take", "--at", first, at="2026-11-28 13:30:00").returncode == 0
    before = taken(cli)
    refused = cli("take", "--at", second, at="2026-11-28 13:31:00")
    assert refused.returncode == TooCloseError.exit_code
    assert refused.stderr.startswith(f"reminderd: gabapentin was {word} that")
    assert "record it with --force" in refused.stderr
    assert taken(cli) == before  # a refusal changes nothing
    forced = cli("take", "--at", second, "--force", at="2026-11-28 13:32:00")
    assert forced.returncode == 0, forced.stderr
    assert len(taken(cli)) == 2


@pytest.mark.parametrize("first, second", [("11:00", "13:00"), ("13:00", "11:00")],
                         ids=["later-dose", "earlier-dose"])
def test_an_as_needed_take_within_min_gap_either_side_is_refused(cli: Cli, first: str, second: str) -> None:
    cli.config.write_text(config_text(extra=AS_NEEDED))
    assert cli("take", "baclofen", "--at", first, at="2026-11-28 13:30:00").returncode == 0
    refused = cli("take", "baclofen", "--at", second, at="2026-11-28 13:31:00")
    assert refused.returncode == TooCloseError.exit_code
    assert "at least 4h apart" in refused.stderr
    assert [t[:2] for t in taken(cli)] == [("baclofen", "PRN 1")]


def _dose_id(store: Store, slot: str) -> int:
    (dose_id,) = store.conn.execute(
        "SELECT id FROM doses WHERE local_date = '2026-11-28' AND slot = ?", (slot,)).fetchone()
    return dose_id


@pytest.mark.parametrize("via", ["notification", "phone"])
def test_a_known_dose_answered_now_is_refused_near_a_dose_taken_later(drive, store: Store, via: str) -> None:
    """The buttons and the phone page answer a known dose at `now` (`take_dose`). A dose
    taken later than `now` exists after the clock was set back (a wrong clock corrected):
    the 14:00 dose recorded taken at 13:00, then the clock says 11:00."""
    d = drive("2026-11-28 07:59:00", remind_every="15m", give_up_after="3h")
    d.advance_to(at("2026-11-28 13:00:00"))
    config = d.daemon.config
    services.take_dose(store, config, _dose_id(store, "14:00"), at("2026-11-28 13:00:00"), via)
    with pytest.raises(TooCloseError, match="also taken 2h after that"):
        services.take_dose(store, config, _dose_id(store, "08:00"), at("2026-11-28 11:00:00"), via)
    assert store.dose(_dose_id(store, "08:00")).status != "taken"


def test_a_button_near_a_dose_taken_later_asks_taken_anyway_and_records_nothing(drive, store: Store,
                                                                                 caplog) -> None:
    caplog.set_level(logging.INFO, logger="reminderd")
    d = drive("2026-11-28 07:59:00", remind_every="15m", give_up_after="6h")
    d.advance_to(at("2026-11-28 13:00:00"))
    services.take_dose(store, d.daemon.config, _dose_id(store, "14:00"), at("2026-11-28 13:00:00"), "cli")
    d.clock = at("2026-11-28 11:00:00")  # the clock corrected back
    morning = _dose_id(store, "08:00")
    d.daemon.on_answer(f"dose:{morning}", "taken")
    assert store.dose(morning).status == "pending"
    assert any(r.getMessage().startswith("REMINDER") and "also taken 2h after that" in r.getMessage()
               for r in caplog.records)  # the notification that asks "Taken anyway"
