"""`reminderd reset`: starting over on purpose, after a confirmation and an export of the
whole log, never while a daemon reminds from it."""

from __future__ import annotations

import json
import stat

from tests.conftest import rows

AT = "2026-11-28 08:05:00"


def test_reset_asks_exports_then_deletes_and_the_export_restores_it(cli):
    assert cli("take", at=AT).returncode == 0
    kept = cli("reset", input="n\n", at=AT)
    assert kept.returncode == 0 and kept.stdout.endswith("Nothing changed.\n")
    assert rows(cli, "SELECT status FROM doses") == [("taken",)]
    assert not list(cli.db.parent.glob("*.json"))  # no export without a yes

    done = cli("reset", input="y\n", at=AT)
    assert done.returncode == 0, done.stderr
    [export] = cli.db.parent.glob("reminderd-before-reset-*.json")
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    assert f"Delete the log {cli.db} (1 doses, 1 events, 1 prescriptions)? It is exported first, to {export}." \
        in done.stdout
    assert f"Exported the log to {export} (restore it with: reminderd import {export})." in done.stdout
    assert not cli.db.exists() and not (cli.db.parent / "reminderd.db-wal").exists()
    assert json.loads(export.read_text())["doses"][0]["status"] == "taken"

    restored = cli("import", str(export), at=AT)
    assert restored.returncode == 0, restored.stderr
    assert rows(cli, "SELECT status FROM doses") == [("taken",)]


def test_reset_of_no_log_is_refused_in_one_line(cli):
    done = cli("reset", "--yes")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"reminderd: there is no log at {cli.db}; nothing to reset\n"


def test_reset_is_refused_while_a_daemon_runs(clocked, daemon):
    d = daemon()
    d.wait_for(r"reminder 1: gabapentin")
    done = clocked("reset", "--yes")
    assert done.returncode == 3
    # No unit starts this daemon: `systemctl --user stop` would fail as written.
    assert done.stderr == (f"reminderd: a reminderd daemon is already running (pid {d.proc.pid}, lock "
                           f"{clocked.home / 'run' / 'reminderd.lock'}); stop it first: kill {d.proc.pid}\n")
    assert rows(clocked, "SELECT count(*) FROM doses")[0][0] > 0 and not list(clocked.db.parent.glob("*.json"))


def test_the_export_a_reset_made_restores_after_a_status_in_between(cli):
    # With `supply` set, any command starts the count in the new log: the status he looks
    # at after a reset must not keep the export it suggested from being imported.
    cli.config.write_text(cli.config.read_text() + "supply = 90\nper_dose = 1\n")
    assert cli("take", at=AT).returncode == 0
    assert cli("reset", "--yes", at=AT).returncode == 0
    [export] = cli.db.parent.glob("reminderd-before-reset-*.json")
    assert "Supply: gabapentin 90 tablets" in cli("status", at="2026-11-28 08:10:00").stdout  # counted anew
    restored = cli("import", str(export), at="2026-11-28 08:11:00")
    assert restored.returncode == 0, restored.stderr
    assert "Supply: gabapentin 89 tablets" in cli("status", at="2026-11-28 08:12:00").stdout  # the file's count
    assert rows(cli, "SELECT kind, change FROM supply") == [("start", 90.0)]
    assert json.loads(export.read_text())["supply"] == json.loads(cli("export", "--output", "-").stdout)["supply"]


def test_an_import_refused_for_a_log_with_records_says_how_to_import_into_a_new_file(cli, tmp_path):
    assert cli("take", at=AT).returncode == 0
    assert cli("export", "--output", str(tmp_path / "backup.json")).returncode == 0
    refused = cli("import", str(tmp_path / "backup.json"))
    assert refused.stderr.endswith("to import into a new file instead: reminderd --db NEW-FILE import FILE\n")
    new = tmp_path / "new.db"
    assert cli("--db", str(new), "import", str(tmp_path / "backup.json")).returncode == 0  # as it says
    assert rows(new, "SELECT status FROM doses") == [("taken",)]
