"""The `reminderd` command: the group, what every command shares (App: config, log,
clock), and the one place reminderd's errors become one line and an exit code (2 for bad
input, 1 otherwise), never a traceback. Each command lives in the module of its group and
is imported only when it runs, so `reminderd take` loads none of the report, daemon or
push code.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

import click

from reminderd import paths
from reminderd.core.clock import UTC
from reminderd.errors import ConfigError, ReminderdError

if TYPE_CHECKING:
    from pathlib import Path

    from reminderd.core.config.settings import Config

# name -> "module:function"; `reminderd --help` and the man page list them all.
COMMANDS = {
    "run": "reminderd.cli.run:run",
    "take": "reminderd.cli.doses:take",
    "skip": "reminderd.cli.doses:skip",
    "snooze": "reminderd.cli.doses:snooze",
    "undo": "reminderd.cli.doses:undo",
    "edit": "reminderd.cli.doses:edit",
    "refill": "reminderd.cli.doses:refill",
    "status": "reminderd.cli.status:status",
    "log": "reminderd.cli.log:log",
    "checkin": "reminderd.cli.checkin:checkin",
    "report": "reminderd.cli.report:report",
    "export": "reminderd.cli.report:export",
    "import": "reminderd.cli.report:import_",
    "restore": "reminderd.cli.replica:restore",
    "pair": "reminderd.cli.pair:pair",
    "init": "reminderd.cli.setup:init",
    "check-config": "reminderd.cli.setup:check_config",
    "install-service": "reminderd.cli.setup:install_service",
    "notify-test": "reminderd.cli.setup:notify_test",
    "doctor": "reminderd.cli.setup:doctor",
    "man": "reminderd.cli.setup:man",
    "desktop-entry": "reminderd.cli.setup:desktop_entry",
    "reset": "reminderd.cli.remove:reset",
    "uninstall": "reminderd.cli.remove:uninstall",
}

# The commands that only read the log: a read-only log is opened read-only for them.
READS_ONLY = frozenset({"log", "status", "report", "export", "doctor"})
# The commands that live for days: the cyclic garbage collector, which the launcher
# (reminderd/__main__.py) turns off for commands that last a fraction of a second, is on.
LONG_RUNNING = frozenset({"run"})
# Without a config of his own, these use the example and its throwaway log while a daemon
# runs on them, so that what its notifications suggest (`reminderd take gabapentin`) works.
FOLLOW_AN_EXAMPLE_DAEMON = frozenset({"take", "skip", "snooze", "undo", "edit", "refill", "status", "log",
                                      "checkin", "report", "export"})


class App:
    """What every command needs, found once: config and log paths, the clock."""

    def __init__(self, config_option: str | None, db_option: str | None,
                 clock: Callable[[], datetime] | None = None) -> None:
        # Strings, as reminderd.paths gives them: the quick commands never import pathlib;
        # config_path and db_path below are the same as pathlib's paths, for everything else.
        self.config_file = paths.config_path(config_option)
        self.db_file = paths.db_path(db_option)
        self.config_given = bool(config_option or os.environ.get("REMINDERD_CONFIG"))
        self._config: Config | None = None
        self._store = None
        self._clock = clock  # given only by tests that run a command in-process at a chosen time
        self.integrity_check = False  # the daemon reads every page of the log at start
        self.reads_only = False  # a command of READS_ONLY: a log that cannot be written is read, not refused

    def follow_an_example_daemon(self) -> None:
        """No config of his own, and a daemon reminds of the example into its throwaway log:
        use the same, and say so."""
        if self.config_given or os.path.exists(self.config_file):
            return
        from reminderd.lock import running_daemon

        holder = running_daemon(paths.lock_path(self.db_file))
        if holder is None or holder.config != os.fspath(paths.EXAMPLE_CONFIG) or holder.log is None:
            return
        self.config_path, self.db_path = holder.config, holder.log
        click.echo("reminderd: no config of yours yet; using the example config and the throwaway log of the "
                   "daemon running on it (make yours with: reminderd init)", err=True)

    @property
    def config_path(self) -> Path:
        from pathlib import Path

        return Path(self.config_file)

    @config_path.setter
    def config_path(self, path: str | os.PathLike[str]) -> None:
        self.config_file = os.fspath(path)

    @property
    def db_path(self) -> Path:
        from pathlib import Path

        return Path(self.db_file)

    @db_path.setter
    def db_path(self, path: str | os.PathLike[str]) -> None:
        self.db_file = os.fspath(path)

    def now(self) -> datetime:
        return self._clock() if self._clock is not None else datetime.now(UTC)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from reminderd.config_file import load_config

            self._config = load_config(self.config_file)
        return self._config

    @property
    def store(self):
        """The log, with the prescription of the config recorded in it when it changed."""
        if self._store is None:
            self._store = self.open_store()
            if not self._store.read_only:
                self.record_prescription()
        return self._store

    def open_store(self):
        from reminderd.store import Store

        return Store.open(self.db_file, integrity_check=self.integrity_check, reads_only=self.reads_only)

    def record_prescription(self) -> None:
        """Every process that opens the log with a usable config keeps its history; a
        command that needs no config (log, export) still works without one."""
        from reminderd.core.prescriptions import canonical_of

        try:
            config = self.config
        except ConfigError:
            return
        now = self.now()
        with self._store.write():
            if self._store.record_prescription(canonical_of(config), now):
                from reminderd import services  # only when it changed: rows made for the old plan

                services.follow_new_prescription(self._store, config, now)


def report_error(err: Exception) -> None:
    """reminderd's own errors, and a log damaged after it was opened, as one line and an
    exit code; anything else is a bug and keeps its traceback."""
    if isinstance(err, ReminderdError):
        from reminderd.terminal import visible_lines

        click.echo(f"reminderd: {visible_lines(str(err))}", err=True)
        sys.exit(err.exit_code)
    sqlite3 = sys.modules.get("sqlite3")  # not loaded: the error cannot be one of its
    if sqlite3 is not None and isinstance(err, sqlite3.DatabaseError):
        # A page damaged after the log was opened (the quick check runs in the daemon).
        click.echo(f"reminderd: the dose log cannot be read ({err}); nothing was changed. "
                   "Check it with: sqlite3 FILE 'PRAGMA integrity_check'", err=True)
        sys.exit(1)
    raise err


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is wanted, and
    reports errors from reading its arguments as well as from running it."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy:
            module, _, function = self.lazy[name].partition(":")
            self.add_command(getattr(importlib.import_module(module), function), name)
        return self.commands.get(name)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as err:  # the group's own: `reminderd --confg x`
            usage_error(err)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as err:  # a command's: unknown option, missing argument
            usage_error(err, ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as err:  # noqa: BLE001 - report_error re-raises what is not ours
            report_error(err)


def usage_error(err: click.UsageError, group: click.Context | None = None) -> None:
    """A command line click cannot read, as one line like every other refusal (click's
    own is three: the usage, a hint and the error), exit 2; nothing has been opened."""
    # `reminderd` alone: the help, as click shows it (click 8.2 and later raise it as an error).
    if isinstance(err, getattr(click.exceptions, "NoArgsIsHelpError", ())):
        raise err
    command = err.ctx.command_path if err.ctx is not None else "reminderd"
    if group is not None and group.invoked_subcommand and (err.ctx is None or err.ctx is group):
        # Some errors of a command's own options (`take --at` with no value) carry the group's
        # context, or none: the command was found, so its help is the one to read.
        command = f"{group.command_path} {group.invoked_subcommand}"
    message = err.format_message()
    if isinstance(err, click.NoSuchOption) and err.option_name[1:2].isdigit():
        message += " A negative number is not a value here."
    click.echo(f"reminderd: {message} (see: {command} --help)", err=True)
    sys.exit(err.exit_code)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.option("--config", "config_option", metavar="PATH", envvar=None,
              help="Config file [default: $REMINDERD_CONFIG or ~/.config/reminderd/config.toml].")
@click.option("--db", "db_option", metavar="PATH",
              help="Dose log [default: $REMINDERD_DB or ~/.local/share/reminderd/reminderd.db].")
@click.version_option(package_name="reminderd")
@click.pass_context
def cli(ctx: click.Context, config_option: str | None, db_option: str | None) -> None:
    """Medication reminders with Taken / Snooze / Skip buttons, and a log of every dose.

    \b
    reminderd run            start the daemon (usually as a systemd user service)
    reminderd status         today's doses
    reminderd take           confirm the dose due now
    reminderd log --format csv > doses.csv
    """
    # A caller in the same process (click's test runner) may hand in {"now": callable}.
    settings = ctx.obj if isinstance(ctx.obj, dict) else {}
    ctx.obj = App(config_option, db_option, clock=settings.get("now"))
    ctx.obj.reads_only = ctx.invoked_subcommand in READS_ONLY
    if ctx.invoked_subcommand in LONG_RUNNING:
        gc.enable()
    if ctx.invoked_subcommand in FOLLOW_AN_EXAMPLE_DAEMON:
        ctx.obj.follow_an_example_daemon()
    ctx.call_on_close(ctx.obj.close)


pass_app = click.make_pass_decorator(App)


def main() -> None:
    cli(prog_name="reminderd")


if __name__ == "__main__":
    main()
