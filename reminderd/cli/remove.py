"""Starting over and leaving: `reset` (the log exported, then deleted) and `uninstall`
(what install.sh and install-service put in place; the log and config kept unless asked)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click

from reminderd import paths
from reminderd.cli import App, pass_app
from reminderd.errors import ReminderdError, UsageError


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def reset(app: App, yes: bool) -> None:
    """Start over with an empty log: export the whole log to a file beside it, then delete it.

    Nothing is deleted before the export is written; `reminderd import FILE` restores it.
    Refused while a daemon runs (stop it first): the next start makes a new log.

    \b
    reminderd reset
    """
    from reminderd.reminding import hold_lock

    db = app.db_path
    if not db.exists():
        raise UsageError(f"there is no log at {db}; nothing to reset")
    # Held until the end: no daemon starts on the log while it is exported and deleted.
    lock = hold_lock(paths.lock_path(db))
    try:
        export = _export_beside(app, f"reminderd-before-reset-{_stamp(app.now())}.json", yes,
                                f"Delete the log {db}")
        if export is None:
            click.echo("Nothing changed.")
            return
        _delete_log(db)
        click.echo(f"Deleted the log {db}; the next command or daemon starts a new, empty one.")
    finally:
        os.close(lock)


def _export_beside(app: App, name: str, yes: bool, question: str, folder: Path | None = None) -> Path | None:
    """Export the whole log to `name` in `folder` (the log's own, private, by default), once
    the user agrees to `question`; the export's path, or None when he does not."""
    from reminderd.store import backup

    store = app._store = app.open_store()  # as it is: no prescription recorded on the way out
    held = {t: n for t, n in store.row_counts().items() if n}
    text = backup.dump(store)
    app.close()
    target = (folder or app.db_path.parent) / name
    what = ", ".join(f"{n} {t}" for t, n in held.items()) or "nothing recorded"
    if not yes and not click.confirm(f"{question} ({what})? It is exported first, to {target}.", default=False):
        return None
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never over another file
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        raise ReminderdError(f"cannot write the export {target} ({err.strerror}); nothing was deleted") from None
    click.echo(f"Exported the log to {target} (restore it with: reminderd import {target}).")
    return target


def _delete_log(db: Path) -> None:
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as err:
            raise ReminderdError(f"cannot delete {path} ({err.strerror}); the export was written") from None


def _stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H-%M-%SZ")


@click.command()
@click.option("--purge", is_flag=True,
              help="Also delete your config and your log (the log is exported to your home folder first).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (with --purge).")
@pass_app
def uninstall(app: App, purge: bool, yes: bool) -> None:
    """Remove reminderd: what starts the daemon, the daemon itself, the application entry,
    the manual page, the command in ~/.local/bin and the environment install.sh made.

    Your config and your log stay, and it says where they are. With --purge they are
    deleted too, after the log is exported to your home folder.

    \b
    reminderd uninstall
    reminderd uninstall --purge
    """
    import shutil

    from reminderd.install import desktop, unit

    if purge and not _agree_to_purge(app, yes):
        click.echo("Nothing changed.")
        return
    unit.uninstall(click.echo)
    desktop.remove_autostart(click.echo)
    _stop_daemon(app.db_path)
    for path in (paths.desktop_entry_path(), paths.installed_man_page()):
        if path.exists():
            path.unlink()
            click.echo(f"Removed {path}")
    venv, link = paths.installed_venv(), paths.installed_command()
    if link.is_symlink() and venv in Path(os.readlink(link)).parents:
        link.unlink()
        click.echo(f"Removed {link}")
    if purge:
        _delete_data(app)
    else:
        click.echo(f"Kept your config, {app.config_path}, and your log, {app.db_path} (`reminderd uninstall "
                   "--purge` deletes them, after an export).")
    if venv.exists():
        shutil.rmtree(venv)  # last: this very command runs from it
        click.echo(f"Removed {venv}")
    else:
        click.echo(f"No environment at {venv}: this reminderd was not installed by install.sh; remove it the way "
                   "it was installed (e.g. pip uninstall reminderd).")


def _agree_to_purge(app: App, yes: bool) -> bool:
    if app.db_path.exists():
        name = f"reminderd-log-{_stamp(app.now())}.json"
        return _export_beside(app, name, yes, f"Uninstall, and delete your config {app.config_path} and your log "
                              f"{app.db_path}", folder=Path.home()) is not None
    return yes or click.confirm(f"Uninstall, and delete your config {app.config_path}?", default=False)


def _delete_data(app: App) -> None:
    """The log (and the folder of the phone page's pairing, when it is the usual one) and the
    config (with the files beside it, when it is in the usual folder)."""
    import shutil

    for given, usual, delete in ((app.db_path, paths.db_path(None), _delete_log),
                                 (app.config_path, paths.default_config_path(), Path.unlink)):
        if os.fspath(given) == usual and given.parent.exists():  # paths gives strings
            shutil.rmtree(given.parent)
            click.echo(f"Deleted {given.parent}")
        elif given.exists():
            delete(given)
            click.echo(f"Deleted {given}")


def _stop_daemon(db: Path) -> None:
    """A daemon started by hand or by the autostart entry: asked to stop, as SIGTERM does."""
    import signal
    import threading

    from reminderd.install.unit import STOP_TIMEOUT_S
    from reminderd.lock import running_daemon

    lock = paths.lock_path(db)
    holder = running_daemon(lock)
    if holder is None or holder.pid is None:
        return
    try:
        os.kill(holder.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(round(2 * STOP_TIMEOUT_S / 0.1)):  # it stops within the unit's TimeoutStopSec; twice that
        if running_daemon(lock) is None:
            click.echo(f"Stopped the daemon (pid {holder.pid}).")
            return
        threading.Event().wait(0.1)
    click.echo(f"The daemon (pid {holder.pid}) is still running; stop it yourself: kill {holder.pid}")
