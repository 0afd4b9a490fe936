"""The files the desktop reads (freedesktop Desktop Entry Specification 1.5): the
application entry `reminderd.desktop`, which notifications name with their
`desktop-entry` hint (the desktop shows its name and icon, and lists reminderd in its
notification settings) and which opens the check-in window from the application menu;
and the XDG autostart entry that starts the daemon at login where systemd's
graphical-session.target is never reached."""

from __future__ import annotations

import sys

from reminderd import paths

# The Exec key's reserved characters (spec, "The Exec key"): an argument holding one is quoted.
_RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')


def exec_line(*args: str) -> str:
    """The Exec value that runs `args`, quoted as the spec says."""
    words = []
    for arg in args:
        arg = arg.replace("%", "%%")  # a lone % would be a field code
        if _RESERVED.intersection(arg):
            escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
            arg = f'"{escaped}"'
        words.append(arg)
    # The value itself is a string: its backslashes are escaped once more (spec, "Value types").
    return " ".join(words).replace("\\", "\\\\")


def application_entry(python: str = sys.executable) -> str:
    return _entry("GenericName=Medication reminders",
                  "Comment=How were your spasms last night? The morning check-in",
                  f"Exec={exec_line(python, '-m', 'reminderd', 'checkin', '--window')}",
                  "Icon=appointment-soon", "Categories=Utility;", "StartupNotify=false",
                  "X-GNOME-UsesNotifications=true")


def autostart_entry(python: str = sys.executable) -> str:
    return _entry("Comment=Medication reminders: the daemon, started at login",
                  f"Exec={exec_line(python, '-m', 'reminderd', 'run')}",
                  "NoDisplay=true", "X-GNOME-Autostart-enabled=true")


def _entry(*keys: str) -> str:
    return "\n".join(["[Desktop Entry]", "Type=Application", "Name=reminderd", "Terminal=false", *keys, ""])


def install_autostart(echo) -> None:
    target = paths.autostart_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(autostart_entry(), encoding="utf-8")
    echo(f"Wrote {target}: your desktop starts the daemon at your next login.")


def remove_autostart(echo) -> None:
    target = paths.autostart_path()
    if target.exists():
        target.unlink()
        echo(f"Removed {target}")
