"""Where the config, the log, the daemon's lock and what the desktop reads live (XDG base
directories).

The config's and the log's paths, which every command finds, are plain strings: a command
that only opens its config and its log then never imports pathlib (with the URL parsing it
brings, about 14 million instructions, a twentieth of `reminderd take`). The others, and
EXAMPLE_CONFIG, are pathlib's paths, made when asked for."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    EXAMPLE_CONFIG: Path


def __getattr__(name: str) -> Any:
    if name == "EXAMPLE_CONFIG":  # a Path, made (and pathlib imported) only when asked for
        return _path(os.path.dirname(__file__), "config.example.toml")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _path(*parts: str | os.PathLike[str]) -> Path:
    from pathlib import Path

    return Path(*parts)


def _xdg(var: str, fallback: str) -> str:
    value = os.environ.get(var)
    # The spec says a relative path in these variables is invalid and must be ignored.
    return value if value and os.path.isabs(value) else os.path.join(os.path.expanduser("~"), fallback)


def default_config_path() -> str:
    return os.path.join(_xdg("XDG_CONFIG_HOME", ".config"), "reminderd", "config.toml")


def config_path(option: str | None) -> str:
    """--config, else $REMINDERD_CONFIG, else $XDG_CONFIG_HOME/reminderd/config.toml."""
    return option or os.environ.get("REMINDERD_CONFIG") or default_config_path()


def db_path(option: str | None) -> str:
    """--db, else $REMINDERD_DB, else $XDG_DATA_HOME/reminderd/reminderd.db."""
    return option or os.environ.get("REMINDERD_DB") or os.path.join(_xdg("XDG_DATA_HOME", ".local/share"),
                                                                     "reminderd", "reminderd.db")


def example_db_path() -> Path:
    """The throwaway log of a daemon running on the example config: in $XDG_RUNTIME_DIR
    (cleared at logout), else in the temporary folder; never the user's own log, so a
    first try leaves no example dose in his record."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return _path(runtime, "reminderd-example", "reminderd.db")
    import tempfile

    return _path(tempfile.gettempdir(), f"reminderd-example-{os.getuid()}", "reminderd.db")


def lock_path(db: str | os.PathLike[str]) -> str:
    """One daemon per user: the lock lives in $XDG_RUNTIME_DIR (per user, cleared at
    logout), or beside the log when there is no runtime directory. A string: `status` and
    `take` look at it."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, "reminderd.lock")
    return os.path.join(os.path.dirname(os.fspath(db)), "reminderd.lock")


def replica_socket(db: str | os.PathLike[str]) -> Path:
    """The control socket of the daemon's Litestream, beside the daemon's lock (private)."""
    return _path(lock_path(db)).with_name("reminderd-replica.sock")


def unit_file() -> str:
    """The systemd user unit that starts the daemon with a graphical session."""
    return os.path.join(_xdg("XDG_CONFIG_HOME", ".config"), "systemd", "user", "reminderd.service")


def autostart_file() -> str:
    """The XDG autostart entry that starts it in a session without graphical-session.target."""
    return os.path.join(_xdg("XDG_CONFIG_HOME", ".config"), "autostart", "reminderd.desktop")


def unit_path() -> Path:
    return _path(unit_file())


def autostart_path() -> Path:
    return _path(autostart_file())


def desktop_entry_path() -> Path:
    """The application entry that names reminderd's notifications on the desktop."""
    return _path(_xdg("XDG_DATA_HOME", ".local/share"), "applications", "reminderd.desktop")


# Where install.sh puts reminderd (under $HOME, as it says), for `reminderd uninstall`.
def installed_venv() -> Path:
    return _path(os.path.expanduser("~"), ".local", "share", "reminderd-venv")


def installed_command() -> Path:
    return _path(os.path.expanduser("~"), ".local", "bin", "reminderd")


def installed_man_page() -> Path:
    return _path(os.path.expanduser("~"), ".local", "share", "man", "man1", "reminderd.1")
