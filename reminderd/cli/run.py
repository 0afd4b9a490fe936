"""`reminderd run`: the daemon in the foreground, with its logging, its lock and the
log migrated apart before it starts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reminderd import paths
from reminderd.cli import App, pass_app


@click.command()
@pass_app
def run(app: App) -> None:
    """Run the reminder daemon in the foreground (systemd runs it as a user service).

    With no config file yet, the example config is used and a log line says so.
    """
    import logging

    from reminderd.config_file import load_config

    setup_logging()
    log = logging.getLogger("reminderd")
    explicit = app.config_path != paths.default_config_path() or os.environ.get("REMINDERD_CONFIG")
    if not os.path.exists(app.config_path) and not explicit:
        log.warning("no config at %s: using the example config %s (run `reminderd init` to make "
                    "your own)", app.config_path, paths.EXAMPLE_CONFIG)
        app.config_path = paths.EXAMPLE_CONFIG
    config = app.config  # a bad config stops here, before anything else is touched
    app.db_path = Path(app.db_path)  # the daemon's parts (the replica, the page) take a pathlib.Path
    from reminderd.daemon.lock import take_lock

    take_lock(paths.lock_path(app.db_path))
    _migrate_apart(app.db_path)
    app.integrity_check = True
    from reminderd.daemon import Daemon
    from reminderd.notify import make_notifier

    window = [sys.executable, "-m", "reminderd", "--config", str(app.config_path), "--db", str(app.db_path),
              "checkin", "--window"]
    daemon = Daemon(config, app.store, make_notifier(config.notifications.backend),
                    reload_config=lambda: load_config(app.config_path), checkin_window_command=window)
    from reminderd.doctor import log_startup_problems

    daemon.after_start = lambda: log_startup_problems(app.db_path, config.notifications.backend)
    sys.exit(daemon.run())


def _migrate_apart(db_path: Path) -> None:
    """Create or migrate the log in a short-lived process. Migrations need sqlite-utils,
    which would otherwise stay in the daemon's memory for good (about 14 MB of its 35 MB
    budget). Should the child fail, the daemon's own Store.open does the work, or says
    clearly why it cannot."""
    from reminderd.store import schema_is_current

    if schema_is_current(db_path):
        return
    import subprocess

    subprocess.run([sys.executable, "-c", "import sys; from reminderd.store import Store; Store.open(sys.argv[1]).close()",
                    str(db_path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)


def setup_logging() -> None:
    import logging

    # Under systemd the journal stamps each line itself.
    fmt = "%(levelname)s %(message)s" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s %(levelname)s %(message)s"
    logging.basicConfig(level=logging.INFO, format=fmt, stream=sys.stderr)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
