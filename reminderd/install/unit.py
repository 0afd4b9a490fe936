"""The systemd user unit: put in place for this install, enabled and started, or taken away.

The unit in the package is a template; its ExecStart is rewritten to run this very
interpreter, so a unit installed from a virtual environment runs that environment, and its
TimeoutStopSec is written from STOP_TIMEOUT_S, the stop the tests hold the daemon to. It is
started by graphical-session.target, which GNOME and KDE reach and Xfce, i3 and many others
do not: there the XDG autostart entry (desktop.py) starts the daemon instead.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from reminderd import paths
from reminderd.systemctl import systemctl_user

UNIT_NAME = "reminderd.service"
TEMPLATE = Path(__file__).parent.parent / UNIT_NAME  # shipped at the package's top, beside the example config
# The unit's TimeoutStopSec: systemd kills a daemon that has not stopped this long after
# SIGTERM. Every wait of a stopping daemon fits inside it (push.outbox.STOP_WAIT_S, the
# replica's last sync), and the tests time a stop against it.
STOP_TIMEOUT_S = 5


def render_unit(python: str = sys.executable) -> str:
    lines = []
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            line = f"ExecStart={shlex.quote(python)} -m reminderd run"
        elif line.startswith("TimeoutStopSec="):
            line = f"TimeoutStopSec={STOP_TIMEOUT_S}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _systemctl(*args: str) -> subprocess.CompletedProcess | None:
    """Run `systemctl --user …`; None when there is no systemctl or no user manager."""
    probe = systemctl_user("show-environment", timeout=10)
    if probe is None or probe.returncode != 0:
        return None
    return systemctl_user(*args)


def graphical_session() -> str | None:
    """Why the unit would never start here, or None when this session reaches
    graphical-session.target (the unit's WantedBy)."""
    active = _systemctl("is-active", "graphical-session.target")
    if active is None:
        return "there is no systemd user manager here"
    if active.stdout.strip() != "active":
        return "this desktop session never reaches systemd's graphical-session.target"
    return None


def install(echo) -> None:
    target = paths.unit_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_unit(), encoding="utf-8")
    echo(f"Wrote {target}")
    _run_or_print([("daemon-reload",), ("enable", "--now", "reminderd")], echo)
    echo("If notifications do not appear, let the service see your desktop session with:\n"
         "  systemctl --user import-environment DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS")


def uninstall(echo) -> None:
    """Stop, disable and remove the unit, if there is one."""
    target = paths.unit_path()
    if not target.exists():
        return
    _run_or_print([("disable", "--now", "reminderd")], echo)
    target.unlink()
    echo(f"Removed {target}")
    _run_or_print([("daemon-reload",)], echo)


def _run_or_print(commands: list[tuple[str, ...]], echo) -> None:
    for args in commands:
        result = _systemctl(*args)
        line = "systemctl --user " + " ".join(args)
        if result is None:
            echo(f"systemctl --user is not available here; run it yourself:\n  {line}")
            continue
        if result.returncode != 0:
            echo(f"{line} failed: {result.stderr.strip()}")
        else:
            echo(f"Ran: {line}")
