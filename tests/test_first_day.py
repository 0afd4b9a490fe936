"""A new user's first day, for real: install.sh into an empty home, the README's first
command (`reminderd run` on the example), then `init` with his own medication. The example
leaves no trace in his log or report; what a reminder suggests works as written; and
`reminderd uninstall` takes everything away but his config and log, and says where they are."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli, at, rows
from tests.daemon_process import DaemonProcess
from tests.fakeclock import FakeClock

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parent.parent

HIS_CONFIG = """\
timezone = "Europe/London"

[notifications]
backend = "log"

[[medication]]
name = "levetiracetam"
dose = "500 mg"
times = ["09:00", "21:00"]
"""


class Home(Cli):
    """An empty home folder, and reminderd as install.sh puts it there, on a fake clock."""

    def __init__(self, folder: Path, clock: FakeClock) -> None:
        super().__init__(folder, clock)
        (folder / "run").mkdir(mode=0o700, parents=True)
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("REMINDERD_", "XDG_", "DBUS_", "DISPLAY", "WAYLAND_"))}
        self.home_env = clock.child_env(base | {
            "HOME": str(folder), "XDG_RUNTIME_DIR": str(folder / "run"), "PYTHONUNBUFFERED": "1",
            "PATH": f"{folder}/.local/bin:{os.environ['PATH']}",
            "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={folder}/no-system-bus"})
        self.command = folder / ".local" / "bin" / "reminderd"

    def __call__(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.command), *args], env=self.home_env, input=input, capture_output=True,
                              text=True, timeout=60)

    def run_daemon(self) -> DaemonProcess:
        return DaemonProcess(self, env=self.home_env, command=[str(self.command)])


def test_a_first_day_leaves_no_trace_and_uninstall_keeps_his_record(tmp_path: Path) -> None:
    home = Home(tmp_path / "home", FakeClock(tmp_path / "clock", at("2026-11-28 07:59:50")))
    installed = subprocess.run(["sh", str(REPO / "install.sh")], env=home.home_env, capture_output=True, text=True,
                               timeout=300)
    assert installed.returncode == 0, installed.stderr
    entry = home.home / ".local" / "share" / "applications" / "reminderd.desktop"
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert valid.returncode == 0 and valid.stdout == "", valid.stdout

    # The README's first command: the daemon on the example config, into a throwaway log.
    daemon = home.run_daemon()
    line = daemon.wait_for(r"REMINDER gabapentin 300 mg: 08:00 dose", timeout=60)[0]
    suggested = re.search(r"Answer with: reminderd (take gabapentin)", line)[1]
    took = home(*suggested.split())  # as the reminder says it
    assert took.returncode == 0, took.stderr
    assert took.stdout.startswith("Recorded: gabapentin 300 mg, 08:00 dose of 2026-11-28")
    assert home("status").stdout.splitlines()[0].startswith("Today, Saturday 28 November 2026")

    made = home("init")
    assert made.returncode == 0, made.stderr
    assert "The daemon running now reminds of the example, into a throwaway log." in made.stdout
    assert daemon.stop() == 0

    # His own medication, and his own log from now on.
    (home.home / ".config" / "reminderd" / "config.toml").write_text(HIS_CONFIG)
    daemon = home.run_daemon()
    daemon.wait_for(r"dose\(s\) scheduled", timeout=60)
    assert daemon.stop() == 0
    his_log = home.home / ".local" / "share" / "reminderd" / "reminderd.db"
    assert rows(his_log, "SELECT DISTINCT medication FROM doses") == [("levetiracetam",)]
    assert not [r for r in rows(his_log, "SELECT prescription FROM prescriptions") if "gabapentin" in r[0]]
    for args in (("status",), ("log",), ("report",), ("log", "--prescriptions")):
        out = home(*args)
        assert out.returncode == 0, out.stderr
        assert "gabapentin" not in out.stdout, args
    report = json.loads(home("report", "--format", "json").stdout)
    assert "gabapentin" not in json.dumps(report)

    # Leaving: everything install.sh put in place goes; his config and log stay, and it says where.
    gone = home("uninstall")
    assert gone.returncode == 0, gone.stderr
    for path in (home.command, entry, home.home / ".local" / "share" / "man" / "man1" / "reminderd.1",
                 home.home / ".local" / "share" / "reminderd-venv"):
        assert not path.exists() and not path.is_symlink(), path
    config = home.home / ".config" / "reminderd" / "config.toml"
    assert config.read_text() == HIS_CONFIG and his_log.exists()
    assert f"Kept your config, {config}, and your log, {his_log}" in gone.stdout


@pytest.mark.system  # a process of its own, in a home folder of its own
def test_uninstall_purge_deletes_the_usual_folders_with_what_is_beside_the_log_and_config(tmp_path: Path) -> None:
    """--purge, with the config and the log in their usual folders: the folders go, with the
    phone page's pairing beside the log and a url_file beside the config (after an export)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDERD_", "XDG_", "DBUS_"))}
    env |= {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path / "run"),
            "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/no-system-bus"}
    (tmp_path / "run").mkdir(mode=0o700)
    config, data = tmp_path / ".config" / "reminderd", tmp_path / ".local" / "share" / "reminderd"

    def reminderd(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "reminderd", *args], env=env, capture_output=True, text=True,
                              timeout=60)

    assert reminderd("init").returncode == 0
    assert reminderd("status").returncode == 0  # makes the log
    (config / "push-url").write_text("ntfy://secret\n")
    (data / "remote-pairing.json").write_text("{}")
    gone = reminderd("uninstall", "--purge", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert not config.exists() and not data.exists(), gone.stdout
    assert [p.name for p in tmp_path.glob("reminderd-log-*.json")]  # exported first
