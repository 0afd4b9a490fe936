"""`reminderd install-service`: put the systemd user unit in place for this install.

The unit in the package is a template; its ExecStart is rewritten to run this very
interpreter, so a unit installed from a virtual environment runs that environment.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from reminderd.systemctl import systemctl_user

UNIT_NAME = "reminderd.service"
TEMPLATE = Path(__file__).parent.parent / UNIT_NAME  # shipped at the package's top, beside the example config


def unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "systemd" / "user"


def render_unit(python: str = sys.executable) -> str:
    lines = []
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            line = f"ExecStart={shlex.quote(python)} -m reminderd run"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _systemctl(*args: str) -> subprocess.CompletedProcess | None:
    """Run `systemctl --user …`; None when there is no systemctl or no user manager."""
    probe = systemctl_user("show-environment", timeout=10)
    if probe is None or probe.returncode != 0:
        return None
    return systemctl_user(*args)


def install(echo) -> None:
    target = unit_dir() / UNIT_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_unit(), encoding="utf-8")
    echo(f"Wrote {target}")
    commands = [("daemon-reload",), ("enable", "--now", "reminderd")]
    _run_or_print(commands, echo)
    echo("If notifications do not appear, let the service see your desktop session with:\n"
         "  systemctl --user import-environment DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS")


def uninstall(echo) -> None:
    target = unit_dir() / UNIT_NAME
    _run_or_print([("disable", "--now", "reminderd")], echo)
    if target.exists():
        target.unlink()
        echo(f"Removed {target}")
    else:
        echo(f"No unit at {target}")
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
