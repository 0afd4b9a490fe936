"""Where the config, the log, the daemon's lock and what the desktop reads live (XDG base
directories)."""

from __future__ import annotations

import os
from pathlib import Path

EXAMPLE_CONFIG = Path(__file__).with_name("config.example.toml")


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    # The spec says a relative path in these variables is invalid and must be ignored.
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def default_config_path() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "reminderd" / "config.toml"


def config_path(option: str | None) -> Path:
    """--config, else $REMINDERD_CONFIG, else $XDG_CONFIG_HOME/reminderd/config.toml."""
    return Path(option or os.environ.get("REMINDERD_CONFIG") or default_config_path())


def db_path(option: str | None) -> Path:
    """--db, else $REMINDERD_DB, else $XDG_DATA_HOME/reminderd/reminderd.db."""
    if option or os.environ.get("REMINDERD_DB"):
        return Path(option or os.environ["REMINDERD_DB"])
    return _xdg("XDG_DATA_HOME", ".local/share") / "reminderd" / "reminderd.db"


def example_db_path() -> Path:
    """The throwaway log of a daemon running on the example config: in $XDG_RUNTIME_DIR
    (cleared at logout), else in the temporary folder; never the user's own log, so a
    first try leaves no example dose in his record."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return Path(runtime) / "reminderd-example" / "reminderd.db"
    import tempfile

    return Path(tempfile.gettempdir()) / f"reminderd-example-{os.getuid()}" / "reminderd.db"


def lock_path(db: Path) -> Path:
    """One daemon per user: the lock lives in $XDG_RUNTIME_DIR (per user, cleared at
    logout), or beside the log when there is no runtime directory."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "reminderd.lock"
    return db.parent / "reminderd.lock"


def replica_socket(db: Path) -> Path:
    """The control socket of the daemon's Litestream, beside the daemon's lock (private)."""
    return lock_path(db).with_name("reminderd-replica.sock")


def unit_path() -> Path:
    """The systemd user unit that starts the daemon with a graphical session."""
    return _xdg("XDG_CONFIG_HOME", ".config") / "systemd" / "user" / "reminderd.service"


def autostart_path() -> Path:
    """The XDG autostart entry that starts it in a session without graphical-session.target."""
    return _xdg("XDG_CONFIG_HOME", ".config") / "autostart" / "reminderd.desktop"


def desktop_entry_path() -> Path:
    """The application entry that names reminderd's notifications on the desktop."""
    return _xdg("XDG_DATA_HOME", ".local/share") / "applications" / "reminderd.desktop"


# Where install.sh puts reminderd (under $HOME, as it says), for `reminderd uninstall`.
def installed_venv() -> Path:
    return Path.home() / ".local" / "share" / "reminderd-venv"


def installed_command() -> Path:
    return Path.home() / ".local" / "bin" / "reminderd"


def installed_man_page() -> Path:
    return Path.home() / ".local" / "share" / "man" / "man1" / "reminderd.1"
