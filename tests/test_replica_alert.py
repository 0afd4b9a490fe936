"""The contact alert when the replica has failed for a day (issue 25): the decision in the
core (alerts.py, plain values and an explicit `now`), and the supervisor's reading of
what Litestream logs into outages (a Replicator fed Litestream's own log lines, its state
in a real file). End to end, with a real daemon, sshd and HTTP receiver: test_replica.py."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reminderd.core import alerts
from reminderd.core.clock import UTC
from reminderd.core.config.settings import ReplicaSettings
from reminderd.core.words import REPLICA_ALERT, REPLICA_BACK
from reminderd.replica.state import Written, state_path
from reminderd.replica.supervisor import Replicator
from reminderd.store import Store
from tests.test_alerts import config, contact_toml

SINCE = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
URL = "sftp://carer:hunter2@backup.example.net:2222/home/carer/reminderd"
PUSH = '\n[push]\nurl = "json://localhost/phone"\n'


def test_a_contact_can_ask_for_the_replica_alert() -> None:
    assert config(contact_toml("Partner", '["missed", "replica-failing"]')).contacts[0].alerts == ("missed", "replica-failing")


@pytest.mark.parametrize("failing_for, extra, to", [
    (timedelta(hours=23, minutes=59, seconds=59), PUSH + contact_toml("Partner", '["replica-failing"]'), []),
    (timedelta(days=1), PUSH + contact_toml("Partner", '["replica-failing"]'), [alerts.PUSH, "Partner"]),
    (timedelta(days=3), contact_toml("Partner", '["replica-failing"]') + contact_toml("Sister", '["missed"]'),
     [alerts.DESKTOP, "Partner"]),
    (timedelta(days=1), PUSH + contact_toml("Sister", '["missed", "summary", "not-running"]'), [alerts.PUSH]),
    (timedelta(days=2), "", [alerts.DESKTOP]),
], ids=["a-second-short-of-a-day", "a-day-to-him-and-her", "only-who-asked", "him-without-contacts", "no-phone"])
def test_the_replica_alert_goes_after_a_day_to_his_phone_or_desktop_and_to_each_contact_who_asked(failing_for, extra, to) -> None:
    cfg = config(extra)
    messages = alerts.replica_alerts(cfg, SINCE, "dial tcp …:…: connect: connection refused", SINCE + failing_for)
    assert [m.to for m in messages] == to
    assert all(m.key == alerts.replica_alert_key(SINCE) == "replica-failing:2026-11-28T08:00:00+00:00" for m in messages)


def test_the_replica_alert_says_since_when_the_last_error_and_what_to_do() -> None:
    cfg = config(PUSH)
    message, = alerts.replica_alerts(cfg, SINCE, "connection refused", SINCE + timedelta(days=1, hours=2))
    assert message.kind == REPLICA_ALERT and message.dose_id is None
    assert message.title == "reminderd's replica is not working"
    assert message.body.startswith("The off-machine copy of the reminderd log has not been working since "
                                   "Sat 28 Nov 08:00: ")
    assert "Last error: connection refused. To do: check that the replica's disk or server is reachable" in message.body
    unknown, = alerts.replica_alerts(cfg, SINCE, None, SINCE + timedelta(days=1))
    assert "Last error" not in unknown.body


def test_working_again_goes_to_whoever_was_told_of_that_outage() -> None:
    back = alerts.replica_back([alerts.PUSH, "Partner"], SINCE, SINCE + timedelta(days=2, minutes=5), UTC)
    assert [(m.to, m.kind, m.key) for m in back] == [
        (alerts.PUSH, REPLICA_BACK, "replica-back:2026-11-28T08:00:00+00:00"),
        ("Partner", REPLICA_BACK, "replica-back:2026-11-28T08:00:00+00:00")]
    assert back[0].body == ("The off-machine copy of the reminderd log is working again since Mon 30 Nov 08:05 "
                            "(it had failed since Sat 28 Nov 08:00); it catches up on its own.")
    assert alerts.replica_back([], SINCE, SINCE, UTC) == []


class Told:
    """What a supervisor told the daemon, in order."""

    def __init__(self) -> None:
        self.said: list[tuple] = []

    def failing(self, since: datetime, error: str | None) -> None:
        self.said.append(("failing", since, error))

    def working(self, since: datetime) -> None:
        self.said.append(("working", since))


def replicator(tmp_path: Path, told: Told, clock: list[datetime]) -> Replicator:
    return Replicator(tmp_path / "reminderd.db", ReplicaSettings(url=URL), tmp_path / "control.sock",
                      lambda: clock[0], told.failing, told.working)


def line(level: str, msg: str, **more: object) -> str:
    return json.dumps({"time": "2026-11-28T08:00:00Z", "level": level, "msg": msg} | more)


def test_an_outage_runs_from_the_first_failure_to_the_next_write_on_the_replica_and_outlives_a_restart(
        tmp_path: Path) -> None:
    told, clock = Told(), [SINCE]
    r = replicator(tmp_path, told, clock)
    r._heard(line("INFO", "compaction complete"), URL)  # working, and no outage to end
    r._heard(line("ERROR", "monitor error", error="dial tcp backup.example.net:2222: connect: connection refused"), URL)
    clock[0] = SINCE + timedelta(minutes=5)
    r._heard(line("ERROR", "l0 retention enforcement failed", error="fetch l1 files: connection lost"), URL)
    assert told.said == [("failing", SINCE, "monitor error: dial tcp …:…: connect: connection refused"),
                         ("failing", SINCE, "l0 retention enforcement failed: fetch l1 files: connection lost")]
    assert Written.read(state_path(tmp_path / "reminderd.db")).failing_since == SINCE.isoformat()

    # The daemon stops and starts again (a laptop shut down overnight): the outage goes on from SINCE.
    told.said.clear()
    clock[0] = SINCE + timedelta(days=1)
    again = replicator(tmp_path, told, clock)
    again._heard(line("WARN", "shutdown sync failed, retrying", error="connection lost"), URL)  # a stop: no failure
    again._heard(line("ERROR", "monitor error", error="connection lost"), URL)
    again._heard(line("INFO", "replica sync recovered", previous_errors=6), URL)
    again._heard(line("INFO", "snapshot complete"), URL)  # a second write ends nothing more
    assert told.said == [("failing", SINCE, "monitor error: connection lost"), ("working", SINCE)]
    assert Written.read(state_path(tmp_path / "reminderd.db")).failing_since is None


def test_what_the_daemon_is_told_holds_no_piece_of_the_url(tmp_path: Path) -> None:
    told = Told()
    r = replicator(tmp_path, told, [SINCE])
    r._failing("ssh -p 2222 carer@backup.example.net refused the key for /home/carer/reminderd")
    (_, _, error), = told.said
    for piece in ("carer", "hunter2", "backup.example.net", "2222", "/home"):
        assert piece not in error, error


def test_without_a_phone_he_is_told_on_the_desktop_and_each_message_once_as_the_log_remembers(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    from tests.test_daemon_clock import DrivenDaemon

    cfg = config(contact_toml("Partner", '["replica-failing"]') + contact_toml("Sister", '["missed"]'))

    def told() -> list[tuple[str, str, str]]:
        return [(e["kind"], json.loads(e["detail"])["key"].partition(":")[0], json.loads(e["detail"])["to"])
                for e in store.events("push-due", "notice-shown")]

    d = DrivenDaemon(cfg, store, SINCE + timedelta(hours=23))
    try:
        d.daemon.push.on_replica_failing(SINCE, "connection refused")  # not a day yet
        assert told() == []
        d.clock = SINCE + timedelta(days=1)
        with caplog.at_level("INFO", logger="reminderd"):
            d.daemon.push.on_replica_failing(SINCE, "connection refused")
            d.daemon.push.on_replica_failing(SINCE, "connection refused")  # its next failure
        assert told() == [("notice-shown", "replica-failing", alerts.DESKTOP), ("push-due", "replica-failing", "Partner")]
        shown = [r.getMessage() for r in caplog.records if r.getMessage().startswith("REMINDER ")]
        assert shown == [f"REMINDER reminderd's replica is not working: {alerts.replica_alerts(cfg, SINCE, 'connection refused', d.clock)[0].body}"]
    finally:
        d.close()
    again = DrivenDaemon(cfg, store, SINCE + timedelta(days=2))  # a restart: nothing is told twice
    try:
        again.daemon.push.on_replica_failing(SINCE, "connection refused")
        assert len(told()) == 2
        again.daemon.push.on_replica_working(SINCE)
        assert told()[2:] == [("notice-shown", "replica-back", alerts.DESKTOP), ("push-due", "replica-back", "Partner")]
        again.daemon.push.on_replica_working(datetime(2026, 11, 20, tzinfo=UTC))  # an outage nobody was told of
        assert len(told()) == 4
    finally:
        again.close()
