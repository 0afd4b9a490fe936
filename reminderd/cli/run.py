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
    lock = paths.lock_path(app.db_path)  # where commands look for the daemon, example or not
    if not app.config_path.exists() and not app.config_given:
        # A first try: the example's doses go to a throwaway log, never into his own.
        app.config_path, app.db_path = paths.EXAMPLE_CONFIG, paths.example_db_path()
        log.warning("no config at %s: reminding of the example config's medication (%s) into a throwaway "
                    "log, %s; your own log is not touched. Make your config with: reminderd init",
                    paths.default_config_path(), paths.EXAMPLE_CONFIG, app.db_path)
    config = app.config  # a bad config stops here, before anything else is touched
    from reminderd.reminding import hold_lock

    hold_lock(lock, app.config_path, app.db_path)
    _migrate_apart(app.db_path)
    app.integrity_check = True
    from reminderd.daemon import Daemon
    from reminderd.notify import make_notifier

    window = [sys.executable, "-m", "reminderd", "--config", str(app.config_path), "--db", str(app.db_path),
              "checkin", "--window"]
    daemon = Daemon(config, app.store, make_notifier(config.notifications.backend),
                    reload_config=lambda: load_config(app.config_path, fresh_zone=True), checkin_window_command=window)
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

    from reminderd.terminal import visible_lines

    class Visible(logging.Formatter):
        """A name or note from the config or the log, shown and never run by the terminal
        (or journalctl) that reads the daemon's lines."""

        def format(self, record: logging.LogRecord) -> str:
            return visible_lines(super().format(record))

    # Under systemd the journal stamps each line itself.
    fmt = "%(levelname)s %(message)s" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s %(levelname)s %(message)s"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Visible(fmt))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
