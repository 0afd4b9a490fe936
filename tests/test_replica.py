"""The replica (issue 25) against real targets on this machine: Litestream run by a real
daemon (its clock moved by libfaketime), replicating to a folder (file://) and to
Debian's OpenSSH serving SFTP on loopback; the log lost and restored, to its newest state
and to a moment between two answers.

Litestream is a static Go binary: libfaketime does not reach it, so it runs on the real
clock. Times it is asked about (restore --at, "replicated after") are real; the daemon's
and the CLI's are the fake clock's, and the product compares only times of one clock."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reminderd.core import alerts
from reminderd.core.clock import UTC
from reminderd.core.config.settings import ReplicaSettings
from reminderd.replica import litestream
from reminderd.replica.state import Written, state_path
from tests.conftest import Cli, at, config_text, rows
from tests.desktop import Desktop, wait_for
from tests.sftp_server import SftpServer
from tests.test_notifications import TODAY, session, shown  # noqa: F401  (session: the daemon on dunst)
from tests.receivers import http  # noqa: F401  (a fixture)
from tests.test_push import assert_on_time, contact, settled, through_sending

pytestmark = pytest.mark.system

SYNC = timedelta(seconds=1)  # a short sync interval keeps these tests short
WINDOW = litestream.window(ReplicaSettings(sync_interval=SYNC))


def replica_toml(url: str, **more: object) -> str:
    lines = ["", "[replica]", f'url = "{url}"', 'sync_interval = "1s"', *(f'{k} = "{v}"' for k, v in more.items())]
    return "\n".join(lines) + "\n"


def real_now() -> datetime:
    return datetime.now(UTC)  # this test process runs on the real clock, as Litestream does


def replicated_after(db: Path, instant: datetime, timeout: float = 30.0) -> None:
    """Until the daemon's Litestream says the replica held everything at a moment at least
    one replication window after `instant` (a real time) and after it started (what was
    written while it was stopped is seen when it starts): what was written by then is there."""
    def done() -> bool:
        written = Written.read(state_path(db))
        try:
            said = litestream.replication(Path(written.socket), db)
        except (AttributeError, TypeError, OSError, ValueError, KeyError):  # not started yet
            return False
        return said.last_sync_at is not None and said.last_sync_at >= max(instant, said.started_at) + WINDOW

    wait_for(done, timeout=timeout, what=f"the replica to hold what was written by {instant:%H:%M:%S.%f}")


def wait_until(instant: datetime) -> None:
    """The real clock has passed `instant` (what the guarantee is stated against)."""
    wait_for(lambda: real_now() >= instant, timeout=(instant - real_now()).total_seconds() + 5,
             what=f"{instant:%H:%M:%S.%f}")


def lose_the_machine(cli: Cli, daemon) -> None:
    """kill -9 of Litestream and the daemon at once, then the log and everything beside it."""
    litestream_pid = Written.read(state_path(cli.db)).pid
    os.kill(litestream_pid, signal.SIGKILL)
    daemon.kill9()
    for part in cli.db.parent.iterdir():
        shutil.rmtree(part) if part.is_dir() else part.unlink()


def test_a_folder_replica_gives_back_every_answer_and_any_moment_after_the_machine_is_lost(
        session, desktop: Desktop, cli: Cli, tmp_path: Path) -> None:
    replica = tmp_path / "other-disk" / "reminderd"
    d = session(remind_every="6s", give_up_after="5m", min_gap="1h", snooze="4s",
                extra=replica_toml(f"file://{replica}"))
    d.wait_for(r"replica: Litestream replicates the log to file://… every 1s")
    wait_for(lambda: shown(desktop), timeout=15, what="the 08:00 reminder on dunst")
    desktop.press("taken")  # answered from the notification
    wait_for(lambda: rows(cli, f"SELECT status, via FROM doses WHERE {TODAY}") == [("taken", "notification")],
             what="the 08:00 dose taken from the notification")
    first_answer = real_now()
    replicated_after(cli.db, first_answer)
    between = (real_now() + timedelta(seconds=1)).replace(microsecond=0)  # --at takes whole seconds
    wait_until(between)

    cli.clock.set(at("2026-11-28 13:59:57"))
    d.wait_for(r"reminder 1: gabapentin 300 mg, 14:00 dose of 2026-11-28")
    assert cli("take").returncode == 0  # answered from the command line
    second_answer = real_now()
    wait_until(second_answer + WINDOW)
    assert cli("checkin", "--night", "2026-11-27", "--severity", "1").returncode == 0
    last_answer = real_now()
    lose_the_machine(cli, d)
    assert not cli.db.exists()

    newest = cli.home / "newest.db"
    out = cli("restore", "--output", str(newest))
    assert out.returncode == 0, out.stderr
    assert f"Restored file://… (its newest state) into {newest}: intact (quick_check ok), reminderd's log." in out.stdout
    assert "It is a read-only copy" in out.stdout
    assert read(newest, "SELECT slot, status, via FROM doses WHERE local_date = '2026-11-28' AND status != 'pending' "
                       "ORDER BY slot") == [("08:00", "taken", "notification"), ("14:00", "taken", "cli")]
    checkin = read(newest, "SELECT count(*) FROM checkins")[0][0]
    print(f"answer {(last_answer - second_answer).total_seconds():.2f} s after the 14:00 one, "
          f"{'restored' if checkin else 'lost'} (killed at once)")

    then = cli.home / "then.db"
    out = cli("restore", "--at", f"{between:%Y-%m-%d %H:%M:%S}Z", "--output", str(then))
    assert out.returncode == 0, out.stderr
    assert f"as it was at {between.astimezone(cli_zone()):%Y-%m-%d %H:%M}" in out.stdout
    assert read(then, "SELECT slot, status FROM doses WHERE local_date = '2026-11-28' ORDER BY slot") == [
        ("08:00", "taken"), ("14:00", "pending"), ("22:00", "pending")]

    # The copies are read: report, log and status open them read-only; nothing writes to them.
    before = newest.read_bytes()
    log = cli("--db", str(newest), "log", "--since", "2026-11-28", "--format", "json")
    assert log.returncode == 0 and '"via": "notification"' in log.stdout
    refused = cli("--db", str(newest), "skip")
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"reminderd: {newest} is a copy restored from file://… (its newest state, restored ")
    assert newest.read_bytes() == before


def cli_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/London")


def read(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def sftp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real sshd on loopback (not started yet), and a home whose known_hosts knows it."""
    server = SftpServer(tmp_path)
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    (home / ".ssh" / "known_hosts").write_text(server.known_hosts_line())
    monkeypatch.setenv("HOME", str(home))
    yield server
    server.cleanup()


def test_an_sftp_replica_down_at_start_and_later_is_retried_reported_and_caught_up_while_reminders_keep_time(
        sftp: SftpServer, clocked: Cli, daemon) -> None:
    clocked.config.write_text(config_text(remind_every="3s", give_up_after="40s", min_gap="1h", snooze="5s",
                                          extra=replica_toml(sftp.url("reminderd"), key_file=sftp.key)))
    d = daemon()  # the server is down: Litestream cannot start, and is started again after a while
    d.wait_for(r"replica: .*connection refused")
    d.wait_for(r"replica: Litestream is not running; starting it again in 5 s")
    assert str(sftp.replicas) not in d.output and f":{sftp.port}" not in d.output  # no piece of the URL
    failed = _status_replica(clocked, lambda lines: True)
    assert failed[-1].endswith("connect: connection refused."), failed
    sftp.start()
    replicated_after(clocked.db, real_now(), timeout=30)
    assert list((sftp.replicas / "reminderd").rglob("*.ltx"))

    sftp.stop()  # the target goes down while the 08:00 dose is reminded every 3 s
    down, down_here = real_now(), clocked.clock.now().replace(tzinfo=None)
    reminded = d.count(r"reminder \d+: gabapentin 300 mg, 08:00 dose")
    d.wait_for(r"reminder \d+: gabapentin 300 mg, 08:00 dose", count=reminded + 4)
    assert_on_time(d.output, "gabapentin", 3.0, since=down_here)
    assert clocked("take").returncode == 0
    answered = real_now()
    during = wait_for(lambda: _status_replica(clocked, lambda lines: "connection" in lines[-1] and
                                              int(lines[0].split(", ")[-1].split(" s ")[0]) >= 2),
                      timeout=30, what="status to show the replica behind, and why")
    assert during[0].startswith("Replica sftp://…: replicating; last replicated ")
    assert during[1].startswith("Last replica error: ")
    doctor = _doctor_replica(clocked)
    assert doctor["status"] == "ok" and " s behind" in doctor["found"] and "connection" in doctor["found"], doctor

    sftp.start()  # back: Litestream retries on its own backoff and catches up
    replicated_after(clocked.db, answered, timeout=60)
    after = _status_replica(clocked, lambda lines: True)
    assert after[-1].endswith("(replicated fine since).")
    print(f"down for {(real_now() - down).total_seconds():.1f} s until caught up")
    copy = clocked.home / "copy.db"
    out = clocked("restore", "--output", str(copy))
    assert out.returncode == 0, out.stderr
    assert read(copy, f"SELECT status, via FROM doses WHERE {TODAY}") == [("taken", "cli")]
    d.stop()


def _status_replica(cli: Cli, good) -> list[str] | None:
    out = cli("status")
    lines = [line for line in out.stdout.splitlines() if line.startswith(("Replica ", "Last replica error"))]
    return lines if len(lines) == 2 and good(lines) else None


def _doctor_replica(cli: Cli) -> dict:
    out = cli("doctor", "--format", "json")
    return next(f for f in json.loads(out.stdout) if f["check"] == "replica")


def test_writes_while_the_daemon_is_stopped_are_caught_up_and_an_imported_log_replaces_the_old_one(
        clocked: Cli, daemon, tmp_path: Path) -> None:
    clocked.config.write_text(config_text(remind_every="3s", give_up_after="40s", min_gap="1h", snooze="5s",
                                          extra=replica_toml(f"file://{tmp_path / 'replica'}")))
    d = daemon()
    d.wait_for(r"reminder 1: gabapentin 300 mg, 08:00 dose")
    replicated_after(clocked.db, real_now())
    assert d.stop() == 0
    stopped = clocked("status").stdout
    assert "Replica file://…: not replicating since the daemon stopped at Sat 08:00:" in stopped
    assert "anything recorded since waits for its next start." in stopped
    assert clocked("take").returncode == 0  # while it is stopped
    answered = real_now()
    d = daemon()
    replicated_after(clocked.db, answered)
    copy = clocked.home / "copy.db"
    assert clocked("restore", "--output", str(copy)).returncode == 0
    assert read(copy, f"SELECT status, via FROM doses WHERE {TODAY}") == [("taken", "cli")]

    # A fresh log (the old one gone, its export imported) is replicated as a fresh log.
    export = tmp_path / "export.json"
    assert d.stop() == 0
    assert clocked("checkin", "--night", "2026-11-27", "--severity", "2").returncode == 0
    assert clocked("export", "--output", str(export)).returncode == 0
    for part in clocked.db.parent.iterdir():
        shutil.rmtree(part) if part.is_dir() else part.unlink()
    imported = clocked("import", str(export))
    assert imported.returncode == 0, imported.stderr
    answered = real_now()
    d = daemon()
    replicated_after(clocked.db, answered)
    fresh = clocked.home / "fresh.db"
    assert clocked("restore", "--output", str(fresh)).returncode == 0
    assert read(fresh, "SELECT night, severity FROM checkins") == [("2026-11-27", 2)]
    assert read(fresh, f"SELECT status, via FROM doses WHERE {TODAY}") == [("taken", "cli")]
    # Health data: Litestream's files beside the log and on the replica are the user's alone.
    for made in (tmp_path / "replica", clocked.db.parent / ".reminderd.db-litestream", *(tmp_path / "replica").rglob("*")):
        assert made.stat().st_mode & 0o077 == 0, made
    # A daemon killed outright takes its Litestream with it: none is left on the log.
    replicating = Written.read(state_path(clocked.db)).pid
    d.kill9()
    wait_for(lambda: not Path(f"/proc/{replicating}").exists() or "Z" in Path(f"/proc/{replicating}/stat").read_text().split(")")[1][:3],
             timeout=10, what="Litestream to end with the daemon")


def test_the_sftp_servers_key_is_found_in_known_hosts_hashed_or_not_and_the_one_go_prefers_is_pinned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    settings = ReplicaSettings(url="sftp://me@nas.example:2222/backup/reminderd")
    assert litestream.host_key(settings) is None  # no known_hosts: nothing is replicated
    known = home / ".ssh" / "known_hosts"
    known.write_text("[nas.example]:2222 ssh-ed25519 AAAAC3Nza1\n[nas.example]:2222 ecdsa-sha2-nistp256 AAAAE2Vj2\n"
                     "other.example ssh-ed25519 AAAAC3Nza3\n")
    assert litestream.host_key(settings) == "ecdsa-sha2-nistp256 AAAAE2Vj2"  # Go's client asks for ECDSA first
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)  # hashed host names
    assert "nas.example" not in known.read_text()
    assert litestream.host_key(settings) == "ecdsa-sha2-nistp256 AAAAE2Vj2"
    assert litestream.host_key(ReplicaSettings(url="sftp://me@nas.example/r")) is None  # port 22 is another entry
    pinned = ReplicaSettings(url=settings.url, host_key="ssh-ed25519 AAAAC3Nza9")
    assert litestream.host_key(pinned) == "ssh-ed25519 AAAAC3Nza9"


def test_restore_says_why_nothing_was_restored_and_leaves_nothing_behind(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    out = cli("restore", "--from", f"file://{empty}", "--output", str(tmp_path / "new.db"))
    assert (out.returncode, out.stderr) == (1, "reminderd: nothing was restored from file://…: the replica holds no "
                                               "copy of a log there (nothing replicated yet, or another folder)\n")
    # A replica of some other SQLite database is not a log: refused, and no file appears.
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.executescript("PRAGMA journal_mode = WAL; CREATE TABLE notes (text); INSERT INTO notes VALUES ('x');")
    conn.close()
    config = tmp_path / "ls.yml"
    config.write_text(litestream.config_text(other, ReplicaSettings(url=f"file://{tmp_path / 'foreign'}")))
    subprocess.run([litestream.binary(), "replicate", "-once", "-config", str(config)], check=True, capture_output=True)
    out = cli("restore", "--from", f"file://{tmp_path / 'foreign'}", "--output", str(tmp_path / "new.db"))
    assert out.returncode == 1
    assert out.stderr == ("reminderd: the copy restored from file://… cannot be used, and was deleted: it is an SQLite "
                          "database that reminderd did not make\n")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".new", "new"))) == []
    out = cli("restore", "--from", f"file://{tmp_path / 'foreign'}", "--at", "2020-01-01 10:00:00Z",
              "--output", str(tmp_path / "new.db"))
    assert out.returncode == 1 and "the replica holds nothing as early as 2020-01-01 10:00:00 UTC" in out.stderr


def test_the_daemon_leaves_the_logs_checkpoints_to_litestream_while_it_replicates(tmp_path: Path) -> None:
    from reminderd.core.config.load import parse_config
    from reminderd.daemon import Daemon
    from reminderd.notify import make_notifier
    from reminderd.store import Store

    config = parse_config(config_text(extra=replica_toml(f"file://{tmp_path / 'replica'}")), "c", lambda: "UTC")
    store = Store.open(tmp_path / "reminderd.db")
    daemon = Daemon(config, store, make_notifier("log"), now=lambda: real_now())
    try:
        daemon.start_replica()
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        replicated_after(store.path, real_now())  # running, and its last sync has been answered
    finally:
        daemon.replica.stop()
        store.close()
    assert Written.read(state_path(tmp_path / "reminderd.db")).behind_at_stop_s == 0.0


def test_a_replica_down_for_a_day_is_told_once_to_his_phone_and_a_contact_and_its_end_too(
        sftp: SftpServer, clocked: Cli, daemon, http) -> None:
    clocked.config.write_text(config_text(
        remind_every="3s", give_up_after="40s", min_gap="1h", snooze="5s",
        extra=replica_toml(sftp.url("reminderd"), key_file=sftp.key)
        + f'\n[push]\nurl = "json://127.0.0.1:{http.port}/phone"\nafter_reminders = 100\n'
        + contact("Partner", f"json://127.0.0.1:{http.port}/partner", '["replica-failing"]')))
    d = daemon()  # the server is down from the start: Litestream cannot start, and is started again
    d.wait_for(r"replica: Litestream is not running; starting it again in 5 s")
    began = datetime.fromisoformat(wait_for(lambda: (Written.read(state_path(clocked.db)) or Written()).failing_since,
                                            timeout=10, what="the outage's start written down"))
    clocked.clock.advance(alerts.REPLICA_ALERT_AFTER + timedelta(minutes=1))
    # At its next failure (no timer of its own: the supervisor's restart, 5 s later) the outage is a day old.
    down = replica_posts(http, 2, "reminderd's replica is not working")
    assert sorted(p.path for p in down) == ["/partner", "/phone"]
    body = down[0].body["message"]
    assert body.startswith(f"The off-machine copy of the reminderd log has not been working since "
                           f"{began.astimezone(cli_zone()):%a %d %b %H:%M}: ")
    assert "Last error: " in body and "connection refused" in body and "To do: check that the replica's" in body
    for piece in (str(sftp.port), str(sftp.replicas), sftp.user, "127.0.0.1", "reminderd/"):
        assert all(piece not in p.body["message"] for p in down), (piece, body)
    d.wait_for(r"starting it again in 10 s")  # it failed again since: nothing more is sent
    settled(clocked)

    d.stop()
    again = daemon()  # still down: the same outage, already told
    again.wait_for(r"starting it again in 10 s")  # its first failure has been weighed by then
    assert rows(clocked, "SELECT count(*) FROM events WHERE kind = 'push-due' "
                         "AND json_extract(detail, '$.kind') = 'replica-failing'") == [(2,)]
    through_sending(again)
    assert len(replica_posts(http, 2, "")) == 2

    sftp.start()  # back: a write reaches the replica, and whoever was told is told it is over
    back = replica_posts(http, 4, "")[2:]
    assert sorted((p.path, p.body["title"]) for p in back) == [("/partner", "reminderd's replica works again"),
                                                               ("/phone", "reminderd's replica works again")]
    assert f"(it had failed since {began.astimezone(cli_zone()):%a %d %b %H:%M})" in back[0].body["message"]
    settled(clocked)
    assert Written.read(state_path(clocked.db)).failing_since is None


def replica_posts(http, count: int, title: str) -> list:
    """The replica's messages at the receiver (not the reminders), once there are `count`."""
    def mine() -> list:
        return [p for p in http.posts if p.body.get("title", "").startswith("reminderd's replica")]

    wait_for(lambda: len(mine()) >= count, timeout=60, what=f"{count} replica message(s)")
    found = mine()
    assert len(found) == count and all(p.body["title"].startswith(title) for p in found), found
    return found
