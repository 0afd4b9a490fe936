"""Where the config, the log and the daemon's lock live (XDG base directories).

Plain strings, not pathlib's paths: a command that only opens its config and its log then
never imports pathlib (with the URL parsing it brings, about 14 million instructions, a
twentieth of `reminderd take`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

EXAMPLE_CONFIG = os.path.join(os.path.dirname(__file__), "config.example.toml")


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


def lock_path(db: str | os.PathLike[str]) -> Path:
    """One daemon per user: the lock lives in $XDG_RUNTIME_DIR (per user, cleared at
    logout), or beside the log when there is no runtime directory."""
    from pathlib import Path

    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "reminderd.lock"
    return Path(db).parent / "reminderd.lock"


def replica_socket(db: str | os.PathLike[str]) -> Path:
    """The control socket of the daemon's Litestream, beside the daemon's lock (private)."""
    return lock_path(db).with_name("reminderd-replica.sock")
