"""The daemon as a real process under libfaketime with the log backend, answered from
the CLI through the same services (an undo that the daemon's give-up overtook), and on
dunst, whose buttons go through those services too."""

from __future__ import annotations

import pytest

from tests.conftest import Cli, at, config_text, rows
from tests.desktop import Desktop, wait_for
from tests.test_notifications import TODAY, session, shown  # noqa: F401  (session: the daemon on dunst)

pytestmark = pytest.mark.system


def test_undo_of_a_snooze_after_the_daemon_gave_up_keeps_the_dose_missed(clocked: Cli, daemon) -> None:
    d = daemon()
    d.wait_for(r"reminder 1: gabapentin")
    assert clocked("snooze", "--for", "5s").returncode == 0
    d.wait_for(r"missed: gabapentin 08:00 dose of 2026-11-28 \(not answered\)", timeout=60)
    out = clocked("undo", "--yes")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].startswith(
        "Undone: the 08:00 dose of gabapentin on 2026-11-28 is missed (not answered); after that answer the "
        "daemon counted it as missed at 2026-11-28 08:00")
    # A clock jump makes the daemon look at every open dose at once; the second jump's
    # line means the first look is over (one thread does both).
    clocked.clock.set(at("2026-11-28 08:10:00"))
    d.wait_for(r"the clock jumped by")
    clocked.clock.set(at("2026-11-28 08:20:00"))
    d.wait_for(r"the clock jumped by", count=2)
    d.stop()
    assert rows(clocked, "SELECT status, reason FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'") == [
        ("missed", "not answered")]
    kinds = [k for (k,) in rows(clocked, "SELECT kind FROM events WHERE dose_id IS NOT NULL AND kind != 'reminded' "
                                         "ORDER BY id")]
    assert kinds == ["snoozed", "missed", "undone"]  # not given up a second time ("not running")


def test_a_taken_button_too_close_to_the_last_dose_asks_again_then_records(session, desktop: Desktop, cli: Cli) -> None:
    """The button goes through services.take_dose: a minimum-gap refusal becomes the
    "Taken anyway" question, and that answer records the dose."""
    cli.config.write_text(config_text(times='["07:00", "08:00"]', remind_every="60s", give_up_after="5m",
                                      min_gap="1h", snooze="4s").replace('backend = "log"', 'backend = "dbus"'))
    took = cli("take", "--at", "07:03")  # the 07:00 dose, late, 57 minutes before the 08:00 one
    assert took.stdout.startswith("Recorded: gabapentin 300 mg, 07:00 dose")
    assert took.returncode == 0, took.stderr
    d = session()
    d.wait_for(r"reminder 1: gabapentin 300 mg, 08:00 dose", timeout=15)
    wait_for(lambda: shown(desktop), timeout=15, what="the 08:00 reminder on dunst")
    desktop.press("taken")
    asked = wait_for(lambda: shown(desktop, "Take gabapentin now?"), what="the minimum-gap question")[0]
    assert asked["body"].startswith("Careful: gabapentin was last taken 57m")
    # Its button is the way past the gap: no command-line --force on a notification.
    assert asked["body"].endswith("doses should be at least 1h apart.") and "--force" not in asked["body"]
    assert rows(cli, f"SELECT status FROM doses WHERE {TODAY}") == [("pending",)]
    desktop.press("taken-anyway")
    wait_for(lambda: rows(cli, f"SELECT status, via FROM doses WHERE {TODAY}") == [("taken", "notification")],
             what="the dose recorded after Taken anyway")
