"""Where the config, the log and the daemon's lock live (XDG base directories)."""

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
