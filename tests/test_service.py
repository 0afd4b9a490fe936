"""The daemon as a systemd user service: the unit file, install-service, the sd_notify
protocol (READY, STATUS, WATCHDOG, RELOADING) and reloading the config with SIGHUP."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path


import pytest

from tests.conftest import Cli, config_text
from tests.daemon_process import DaemonProcess
from tests.conftest import at

pytestmark = pytest.mark.system  # real processes: the daemon, a bus, dunst, libfaketime


def test_installed_unit_passes_systemd_analyze_verify(cli: Cli, tmp_path: Path) -> None:
    env = cli.env() | {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    out = subprocess.run([sys.executable, "-m", "reminderd", "install-service", "--systemd"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    unit = tmp_path / "xdg" / "systemd" / "user" / "reminderd.service"
    text = unit.read_text()
    assert f"ExecStart={sys.executable} -m reminderd run" in text
    for line in ("Type=notify", "Restart=on-failure", "PartOf=graphical-session.target",
                 "After=graphical-session.target", "WantedBy=graphical-session.target", "WatchdogSec=60"):
        assert line in text.splitlines()
    # Documentation=man:reminderd(1) is checked too, with the page where install.sh puts it.
    manual = tmp_path / ".local" / "share" / "man" / "man1"
    manual.mkdir(parents=True)
    (manual / "reminderd.1").write_text(cli("man").stdout)
    (tmp_path / ".local" / "bin").mkdir()
    verify_env = env | {"HOME": str(tmp_path), "PATH": f"{tmp_path}/.local/bin:/usr/bin:/bin"}
    verify = subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], env=verify_env,
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and verify.stderr == "", verify.stderr
    # Where systemctl cannot reach a user manager, the commands are printed instead.
    assert "systemctl --user enable --now reminderd" in out.stdout
    removed = subprocess.run([sys.executable, "-m", "reminderd", "install-service", "--uninstall"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert removed.returncode == 0 and not unit.exists()


def test_an_autostart_entry_where_the_unit_would_never_start_and_never_both(cli: Cli, tmp_path: Path) -> None:
    env = cli.env() | {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}

    def install(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "reminderd", "install-service", *args], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done

    unit = tmp_path / "xdg" / "systemd" / "user" / "reminderd.service"
    entry = tmp_path / "xdg" / "autostart" / "reminderd.desktop"
    install("--systemd")
    assert unit.exists() and not entry.exists()
    # No user manager here, as on a desktop that never reaches graphical-session.target.
    chosen = install()
    assert chosen.stdout.startswith("Using the XDG autostart entry: there is no systemd user manager here, so a "
                                    "systemd unit would never start.")
    assert entry.exists() and not unit.exists()  # never both: no second daemon at login
    assert f"Exec={sys.executable} -m reminderd run" in entry.read_text().splitlines()
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert valid.returncode == 0 and valid.stdout == "", valid.stdout
    install("--systemd")
    assert unit.exists() and not entry.exists()
    install("--uninstall")
    assert not unit.exists() and not entry.exists()


class NotifySocket:
    """A stand-in for systemd's end of sd_notify: a datagram socket that collects messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[str] = []

    def wait_for(self, text: str, timeout: float = 15) -> str:
        self.sock.settimeout(timeout)
        while True:
            for m in self.messages:
                if text in m:
                    self.messages.remove(m)
                    return m
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                raise AssertionError(f"no sd_notify message with {text!r}; got {self.messages}") from None


def test_ready_status_watchdog_and_reload(clocked: Cli, tmp_path: Path) -> None:
    notify = NotifySocket(tmp_path / "notify.sock")
    env = clocked.env() | {"NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "3000000"}
    clocked.clock.set(at("2026-11-28 07:50:00"))  # the next dose stays 08:00 however slowly it starts
    d = DaemonProcess(clocked, env=env)
    try:
        ready = notify.wait_for("READY=1")
        assert "STATUS=next: gabapentin 08:00 (Sat 08:00)" in ready
        notify.wait_for("WATCHDOG=1", timeout=10)
        d.proc.send_signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1")
        notify.wait_for("READY=1")
        assert d.proc.poll() is None
    finally:
        d.stop()


def test_reload_with_a_good_config_takes_effect_for_the_future(clocked: Cli, daemon) -> None:
    clocked.clock.set(at("2026-11-28 09:00:00"))
    d = daemon()
    d.wait_for(r"dose\(s\) scheduled")
    clocked.config.write_text(config_text(times='["08:00", "09:00:00"]'.replace(":00:00", ":01"), min_gap="1m"))
    d.proc.send_signal(signal.SIGHUP)
    d.wait_for(r"config reloaded: 1 medication")
    clocked.clock.set(at("2026-11-28 09:00:57"))  # up to the new slot, instead of waiting a real minute
    d.wait_for(r"reminder 1: gabapentin 300 mg, 09:01 dose of 2026-11-28", timeout=20)


def test_reload_with_a_bad_config_keeps_the_old_one(clocked: Cli, daemon) -> None:
    d = daemon()
    d.wait_for(r"dose\(s\) scheduled")
    clocked.config.write_text(config_text(times='["08:00", "26:00"]'))
    d.proc.send_signal(signal.SIGHUP)
    d.wait_for(r"reload refused, still running on the previous config")
    d.wait_for(r'medication\[0\]\.times\[1\]: "26:00" is not valid')
    d.wait_for(r"REMINDER reminderd: config not reloaded")
    d.wait_for(r"reminder 1: gabapentin 300 mg, 08:00 dose")  # the old schedule goes on
    assert d.proc.poll() is None
