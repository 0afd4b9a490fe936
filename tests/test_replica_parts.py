"""The replica's parts (issue 25) with plain values and real files: the [replica] table and
its secret URL, Litestream's config, the state shown by status and doctor, and a restored
copy that only reads. The engine itself, against real targets: test_replica.py."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reminderd.core.clock import UTC
from reminderd.config_file import load_config
from reminderd.core.config.load import parse_config
from reminderd.core.config.settings import ReplicaSettings
from reminderd.core.config.values import check_replica_url
from reminderd.doctor import OK, PROBLEM, WARNING, judge_replica
from reminderd.errors import BadUrl, ConfigError, StoreError
from reminderd.replica import litestream
from reminderd.replica.state import ReplicaView, Written, how_long, look, state_path
from reminderd.store import Store, schema
from tests.conftest import Cli, config_text

PASSWORD = "hunter2-secret"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def replica_config(table: str) -> str:
    return config_text(extra="\n[replica]\n" + table)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "config.toml", lambda: "UTC")
    return caught.value.problems


@pytest.mark.parametrize("url", [
    "file:///media/backup/reminderd",
    "file:///home/me/replica/",
    "sftp://me@nas.local/backup/reminderd",
    f"sftp://me:{PASSWORD}@192.168.1.5:2222/backup/reminderd",
    "SFTP://me@nas/r",
])
def test_a_replica_url_is_a_folder_or_an_sftp_server(url: str) -> None:
    assert check_replica_url(url) == url


@pytest.mark.parametrize("url", [
    "file://relative/path", "file:///", "file://host/abs", "/media/backup", "s3://bucket/db",
    "sftp://nas/backup", "sftp://me@/backup", "sftp://me@nas", "sftp://me@nas:99999/x", "sftp://me@nas/x?y=1",
    "sftp://me@nas/with space", "", 42,
], ids=str)
def test_anything_else_is_refused_without_showing_it(url) -> None:
    with pytest.raises(BadUrl) as caught:
        check_replica_url(url)
    assert str(caught.value) == litestream_expected()  # one fixed sentence: never the URL


def litestream_expected() -> str:
    from reminderd.core.config.values import REPLICA_URL_EXPECTED

    return REPLICA_URL_EXPECTED


def test_the_replica_table_is_read_with_its_defaults(tmp_path: Path) -> None:
    text = replica_config('url = "sftp://me@nas/backup/reminderd"\nkey_file = "~/.ssh/id_ed25519"\n')
    config = parse_config(text, "config.toml", lambda: "UTC")
    assert config.replica == ReplicaSettings(url="sftp://me@nas/backup/reminderd",
                                             key_file=Path("~/.ssh/id_ed25519"),  # as written: the core reads no $HOME
                                             sync_interval=timedelta(seconds=1))
    assert parse_config(config_text(), "config.toml", lambda: "UTC").replica is None
    (tmp_path / "config.toml").write_text(text)
    assert load_config(tmp_path / "config.toml").replica.key_file == Path("~/.ssh/id_ed25519").expanduser()


@pytest.mark.parametrize("table, expected", [
    (f'url = "ftp://me:{PASSWORD}@nas/x"\n',
     'replica.url: "ftp://…" is not valid; expected a replica URL: "file:///media/backup/reminderd" (a folder, '
     'e.g. on another disk) or "sftp://user@host/path/to/folder" (an SSH server)'),
    ('sync_interval = "1s"\n', "replica.url: missing; expected url, or url_file (a file holding the URL, mode 0600)"),
    ('url = "file:///r"\nurl_file = "replica-url"\n', "replica.url: given beside url_file; expected exactly one of url or url_file"),
    ('url = "file:///r"\nsync_interval = "2h"\n', 'replica.sync_interval: "2h" is not valid; expected a duration from "1s" to "1h", like "1s" or "10s"'),
    ('url = "sftp://me@nas/r"\nhost_key = "nas ssh-ed25519 AAAA"\n',
     'replica.host_key: "nas ssh-ed25519 AAAA" is not valid; expected the server\'s public key as "ssh-keyscan HOST" '
     'shows it, without the host: "ssh-ed25519 AAAA…" (or ecdsa-sha2-nistp256, ssh-rsa)'),
    ('url = "file:///r"\nevery = "1s"\n', "replica.every: unknown setting; expected one of: url, url_file, key_file, "
                                         "host_key, sync_interval"),
], ids=["scheme", "no-url", "both", "interval", "host-key", "unknown"])
def test_a_bad_replica_table_is_named_and_its_url_masked(table: str, expected: str) -> None:
    found = problems(replica_config(table))
    assert found == [expected]
    assert PASSWORD not in "".join(found)


def test_the_url_file_holds_the_secret_url_and_is_refused_when_others_can_read_it(tmp_path: Path) -> None:
    url = f"sftp://me:{PASSWORD}@nas/backup/reminderd"
    (tmp_path / "replica-url").write_text(url + "\n")
    os.chmod(tmp_path / "replica-url", 0o600)
    (tmp_path / "config.toml").write_text(replica_config('url_file = "replica-url"\nkey_file = "id_ed25519"\n'))
    config = load_config(tmp_path / "config.toml")
    assert config.replica.url == url and config.replica.key_file == tmp_path / "id_ed25519"
    os.chmod(tmp_path / "replica-url", 0o644)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "config.toml")
    assert caught.value.problems == [
        f'replica.url_file: "{tmp_path / "replica-url"}" is not valid; expected a file only you can read, but its '
        f'mode is 0644 (fix it with: chmod 600 {tmp_path / "replica-url"})']
    os.chmod(tmp_path / "replica-url", 0o600)
    (tmp_path / "replica-url").write_text(f"ntfy://{PASSWORD}@ntfy.sh/topic")  # an Apprise URL is not a replica's
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "config.toml")
    assert caught.value.problems[0].endswith(f"expected a file holding one replica URL; {litestream_expected()}")
    assert PASSWORD not in str(caught.value)


def test_litestreams_config_has_the_log_the_replica_and_the_interval_and_quotes_every_value() -> None:
    settings = ReplicaSettings(url=f'sftp://me:{PASSWORD}"$HOME@nas/r', key_file=Path("/k"),
                               sync_interval=timedelta(seconds=10))
    text = litestream.config_text(Path("/data/reminderd.db"), settings, "ssh-ed25519 AAAA", Path("/run/s.sock"))
    assert '  - path: "/data/reminderd.db"' in text and "    monitor-interval: 10s" in text
    assert f'      url: "sftp://me:{PASSWORD}\\"$HOME@nas/r"' in text and "      sync-interval: 10s" in text
    assert '      key-path: "/k"' in text and '      host-key: "ssh-ed25519 AAAA"' in text
    assert 'socket:\n  enabled: true\n  path: "/run/s.sock"' in text
    assert f"shutdown-sync-timeout: {litestream.SHUTDOWN_SYNC_S}s" in text
    assert litestream.window(settings) == timedelta(seconds=20)


def test_what_litestream_says_is_shown_without_any_piece_of_the_url() -> None:
    url = f"sftp://me:{PASSWORD}@nas.example:2222/backup/reminderd"
    said = litestream.said('Error: cannot open store: dial tcp nas.example:2222: connect: connection refused', url)
    assert said == "cannot open store: dial tcp …:…: connect: connection refused"
    assert litestream._instant("2026-12-03T16:41:01.845364681Z") == datetime(2026, 12, 3, 16, 41, 1, 845364, tzinfo=UTC)


def written(db: Path, **fields) -> None:
    Written(**fields).write(state_path(db))


def test_the_state_when_litestream_never_ran_stopped_with_the_daemon_or_waits_to_be_started_again(tmp_path: Path) -> None:
    db = tmp_path / "reminderd.db"
    assert look(db, "file:///r", NOW) == ReplicaView("file://…", False, None, None, None, None)
    written(db, stopped_at="2026-11-28T11:00:00+00:00", behind_at_stop_s=0.0, error="connection refused",
            error_at="2026-11-28T10:00:00+00:00")
    view = look(db, "file:///r", NOW)
    assert (view.replicating, view.behind, view.stopped_at, view.error) == (
        False, timedelta(hours=1), datetime(2026, 11, 28, 11, tzinfo=UTC), "connection refused")
    written(db, down_since="2026-11-28T11:30:00+00:00", restart_at="2026-11-28T12:00:05+00:00")
    view = look(db, "file:///r", NOW)
    assert (view.behind, view.restart_at) == (timedelta(minutes=30), datetime(2026, 11, 28, 12, 0, 5, tzinfo=UTC))
    assert os.stat(state_path(db)).st_mode & 0o777 == 0o600


@pytest.mark.parametrize("view, status, found", [
    (ReplicaView("sftp://…", True, timedelta(seconds=2), None, None, None), OK,
     "sftp://…: last replicated Sat 11:59, 2 s behind"),
    (ReplicaView("sftp://…", True, timedelta(minutes=59), "connection refused", NOW - timedelta(minutes=1), None), OK,
     "sftp://…: last replicated Sat 11:01, 59 min behind; last error Sat 11:59: connection refused"),
    (ReplicaView("sftp://…", True, timedelta(hours=2, minutes=5), "connection refused", NOW, None), PROBLEM,
     "sftp://…: last replicated Sat 09:55, 2 h 5 min behind; last error Sat 12:00: connection refused"),
    (ReplicaView("file://…", False, timedelta(hours=3), None, None, NOW - timedelta(hours=3)), PROBLEM,
     "file://…: last replicated Sat 09:00, 3 h behind (the daemon is not running)"),
    (ReplicaView("file://…", False, None, None, None, None), WARNING,
     "file://…: not replicating, and how far behind it is is not known"),
    (ReplicaView("file://…", True, None, None, None, None), OK,
     "file://…: replicating, not confirmed yet since the daemon started"),
], ids=["fresh", "59min", "2h", "stopped", "unknown", "starting"])
def test_doctor_calls_a_replica_more_than_an_hour_behind_a_problem(view, status, found) -> None:
    finding = judge_replica(view, NOW, UTC)
    assert (finding.status, finding.found) == (status, found)


def test_how_long_is_shown_at_the_scale_that_matters() -> None:
    assert [how_long(timedelta(seconds=s)) for s in (0, 59, 60, 3 * 3600 + 60, 3 * 86400)] == [
        "0 s", "59 s", "1 min", "3 h 1 min", "3 days"]


def test_status_shows_where_the_replica_was_left_when_the_daemon_stopped(cli: Cli) -> None:
    cli.config.write_text(replica_config('url = "file:///media/backup/reminderd"\n'))
    assert cli("status", at="2026-11-28 09:00:00").returncode == 0  # the log exists
    written(cli.db, stopped_at="2026-11-28T08:00:00+00:00", behind_at_stop_s=0.0, error="disk full",
            error_at="2026-11-28T07:30:00+00:00")
    out = cli("status", at="2026-11-28 09:00:00")
    assert out.stdout.splitlines()[-2:] == [
        "Replica file://…: not replicating since the daemon stopped at Sat 08:00:00 (last replicated Sat 08:00:00, "
        "1 h ago); anything recorded since waits for its next start.",
        "Last replica error: Sat 07:30:00: disk full.",
    ]


def test_a_restored_copy_is_read_by_the_commands_that_read_and_refused_by_those_that_write(tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    store = Store.open(path)
    schema.mark_restored_copy(store, "a copy restored from file://… (its newest state)")
    store.close()
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert str(caught.value) == (
        f"{path} is a copy restored from file://… (its newest state); it is read-only: one writer per log, and a copy "
        "is for reading (report, log and status read it). Nothing was changed. To carry on writing it instead of "
        "the lost original, restore it again with --writable")
    before = path.read_bytes()
    reader = Store.open(path, reads_only=True)
    assert reader.read_only and reader.row_counts()["doses"] == 0
    reader.close()
    assert path.read_bytes() == before


def test_restore_writes_a_new_file_only_and_checks_its_arguments_first(cli: Cli) -> None:
    existing = cli.home / "existing.db"
    existing.write_bytes(b"keep me")
    out = cli("restore", "--from", "file:///media/backup/reminderd", "--output", str(existing))
    assert (out.returncode, out.stderr) == (2, f"reminderd: {existing} exists; restore writes a new file only, and "
                                               "nothing was changed. Pass another --output\n")
    assert existing.read_bytes() == b"keep me"
    out = cli("restore", "--from", f"ftp://me:{PASSWORD}@nas/r", "--output", str(cli.home / "new.db"))
    assert out.returncode == 2 and out.stderr.startswith("reminderd: --from is not valid; expected a replica URL")
    assert PASSWORD not in out.stderr
    out = cli("restore", "--output", str(cli.home / "new.db"))
    assert (out.returncode, out.stderr) == (2, "reminderd: no replica to restore from: give --from URL, or set "
                                               "[replica] in the config\n")
    assert not (cli.home / "new.db").exists()


def test_the_log_can_leave_its_checkpoints_to_litestream(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "reminderd.db")
    store.checkpoint_automatically(False)
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    store.checkpoint_automatically(True)
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    store.close()
