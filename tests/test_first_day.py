"""A new user's first day, for real: install.sh into an empty home, the README's first
command (`reminderd run` on the example), then `init` with his own medication. The example
leaves no trace in his log or report; what a reminder suggests works as written; and
`reminderd uninstall` takes everything away but his config and log, and says where they are."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import at, rows
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


class Home:
    """An empty home folder, and reminderd as install.sh puts it there."""

    def __init__(self, folder: Path, clock: FakeClock) -> None:
        self.dir = folder
        (folder / "run").mkdir(mode=0o700, parents=True)
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("REMINDERD_", "XDG_", "DBUS_", "DISPLAY", "WAYLAND_"))}
        self.env = clock.child_env(base | {
            "HOME": str(folder), "XDG_RUNTIME_DIR": str(folder / "run"), "PYTHONUNBUFFERED": "1",
            "PATH": f"{folder}/.local/bin:{os.environ['PATH']}",
            "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={folder}/no-system-bus"})
        self.command = folder / ".local" / "bin" / "reminderd"

    def __call__(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.command), *args], env=self.env, input=input, capture_output=True,
                              text=True, timeout=60)

    def run_daemon(self) -> subprocess.Popen:
        self.log = self.dir / f"daemon-{len(list(self.dir.glob('daemon-*.log')))}.log"
        return subprocess.Popen([str(self.command), "run"], env=self.env, stdout=self.log.open("w"),
                                stderr=subprocess.STDOUT)

    def wait_for(self, daemon: subprocess.Popen, pattern: str) -> str:
        waiter = DaemonProcess.__new__(DaemonProcess)  # its log polling, for a process started here
        waiter.proc, waiter.log_path = daemon, self.log
        return waiter.wait_for(pattern, timeout=60)[0]


def stop(daemon: subprocess.Popen) -> None:
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=15) == 0


def test_a_first_day_leaves_no_trace_and_uninstall_keeps_his_record(tmp_path: Path) -> None:
    home = Home(tmp_path / "home", FakeClock(tmp_path / "clock", at("2026-11-28 07:59:50")))
    installed = subprocess.run(["sh", str(REPO / "install.sh")], env=home.env, capture_output=True, text=True,
                               timeout=300)
    assert installed.returncode == 0, installed.stderr
    entry = home.dir / ".local" / "share" / "applications" / "reminderd.desktop"
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert valid.returncode == 0 and valid.stdout == "", valid.stdout

    # The README's first command: the daemon on the example config, into a throwaway log.
    daemon = home.run_daemon()
    line = home.wait_for(daemon, r"REMINDER gabapentin 300 mg: 08:00 dose")
    suggested = re.search(r"Answer with: reminderd (take gabapentin)", line)[1]
    took = home(*suggested.split())  # as the reminder says it
    assert took.returncode == 0, took.stderr
    assert took.stdout.startswith("Recorded: gabapentin 300 mg, 08:00 dose of 2026-11-28")
    assert home("status").stdout.splitlines()[0].startswith("Today, Saturday 28 November 2026")

    made = home("init")
    assert made.returncode == 0, made.stderr
    assert "The daemon running now reminds of the example, into a throwaway log." in made.stdout
    stop(daemon)

    # His own medication, and his own log from now on.
    (home.dir / ".config" / "reminderd" / "config.toml").write_text(HIS_CONFIG)
    daemon = home.run_daemon()
    home.wait_for(daemon, r"dose\(s\) scheduled")
    stop(daemon)
    his_log = home.dir / ".local" / "share" / "reminderd" / "reminderd.db"
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
    for path in (home.command, entry, home.dir / ".local" / "share" / "man" / "man1" / "reminderd.1",
                 home.dir / ".local" / "share" / "reminderd-venv"):
        assert not path.exists() and not path.is_symlink(), path
    config = home.dir / ".config" / "reminderd" / "config.toml"
    assert config.read_text() == HIS_CONFIG and his_log.exists()
    assert f"Kept your config, {config}, and your log, {his_log}" in gone.stdout
