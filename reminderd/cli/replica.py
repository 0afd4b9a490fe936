"""`reminderd restore`: the log back from its replica ([replica], kept by Litestream)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from reminderd.cli import App, pass_app
from reminderd.cli.params import WHEN
from reminderd.errors import BadValue, ConfigError, UsageError


ROWS = {"checkins": "check-ins", "supply": "supply rows"}  # how each table's rows are called


@click.command()
@click.option("--output", metavar="FILE", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The new file to write (never an existing one).")
@click.option("--from", "source", metavar="URL",
              help="The replica: file:///folder or sftp://user@host/folder [default: the config's [replica]].")
@click.option("--at", metavar="WHEN", type=WHEN, help="The log as it was at this moment [default: its newest state].")
@click.option("--key-file", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path),
              help="sftp: the private key to log in with [default: the config's [replica] key_file].")
@click.option("--writable", is_flag=True,
              help="Make it a log this machine writes (only when the one that wrote it is gone: one writer per log).")
@pass_app
def restore(app: App, output: Path, source: str | None, at, key_file: Path | None, writable: bool) -> None:
    """Restore the log from its replica into a new file, check it and say what it holds.

    The copy is read-only (report, log and status read it with --db): one machine writes
    the log. With --writable it becomes a log to carry on with, after a lost disk or machine.

    \b
    reminderd restore --output ~/copy.db
    reminderd restore --from sftp://me@nas/backup/reminderd --at "2026-11-20 22:00" --output ~/copy.db
    reminderd --db ~/copy.db report
    """
    from reminderd.replica.restore import restore as restore_log

    settings = _replica_settings(app, source)
    if key_file is not None:
        settings = settings._replace(key_file=key_file)
    done = restore_log(settings, output, at.instant if at is not None else None, app.now(), writable)
    tz = _zone(app)
    show = lambda instant: instant.astimezone(tz).strftime("%Y-%m-%d %H:%M") if instant else "none"
    when = f"as it was at {show(done.at)}" if done.at is not None else "its newest state"
    click.echo(f"Restored {done.source} ({when}) into {done.path}: intact (quick_check ok), reminderd's log.")
    counts = ", ".join(f"{n} {ROWS.get(table, table)}" for table, n in done.counts.items())
    click.echo(f"It holds {counts}.")
    if done.first_due is not None:
        click.echo(f"Doses from {show(done.first_due)} to {show(done.last_due)}.")
    if done.last_answer is not None:
        medication, day, slot, status, answered = done.last_answer
        click.echo(f"Last answer: {medication} {slot} of {day}, {status}, recorded {show(datetime.fromisoformat(answered))}.")
    if done.writable:
        click.echo(f"It is a log to write: start the daemon on it (--db {done.path}, or move it to the log's place).")
    else:
        click.echo(f"It is a read-only copy: reminderd --db {done.path} report (or log, status).")


def _replica_settings(app: App, source: str | None):
    """--from, with the config's [replica] for its key when there is one; else the config's."""
    from reminderd.core.config.settings import ReplicaSettings
    from reminderd.core.config.values import parse_replica_url

    try:
        configured = app.config.replica
    except ConfigError:
        if source is None:
            raise
        configured = None
    if source is None:
        if configured is None:
            raise UsageError("no replica to restore from: give --from URL, or set [replica] in the config")
        return configured
    try:
        url = parse_replica_url(source)
    except BadValue as bad:
        raise UsageError(f"--from is not valid; expected {bad.expected}") from None
    return configured._replace(url=url) if configured is not None else ReplicaSettings(url=url)


def _zone(app: App):
    try:
        return app.config.timezone
    except ConfigError:
        from zoneinfo import ZoneInfo

        from reminderd.config_file import system_zone_name

        return ZoneInfo(system_zone_name())
