"""Setting up and checking: init, check-config, install-service, notify-test, doctor,
and the manual page made from the commands' own help."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reminderd import paths
from reminderd.cli import App, pass_app
from reminderd.cli.output import say
from reminderd.errors import ConfigError, ReminderdError, UsageError

if TYPE_CHECKING:
    from reminderd.core.config.settings import Config


@click.command(name="install-service")
@click.option("--systemd", "how", flag_value="systemd",
              help="As a systemd user unit, started with graphical-session.target (GNOME, KDE).")
@click.option("--autostart", "how", flag_value="autostart",
              help="As an XDG autostart entry, for desktops that never reach graphical-session.target "
                   "(Xfce, i3 and others).")
@click.option("--uninstall", is_flag=True, help="Stop and remove the unit and the autostart entry instead.")
def install_service(how: str | None, uninstall: bool) -> None:
    """Have your desktop start the daemon at login.

    A systemd user unit (~/.config/systemd/user/reminderd.service, enabled and started
    now) where this session reaches graphical-session.target, else an XDG autostart entry
    (~/.config/autostart/reminderd.desktop, started at the next login). Installing one
    removes the other, so there is never a second daemon.

    \b
    reminderd install-service
    reminderd install-service --autostart
    """
    from reminderd.install import desktop, unit

    if uninstall:
        unit.uninstall(click.echo)
        desktop.remove_autostart(click.echo)
        return
    if how is None:
        why_not = unit.graphical_session()
        how = "systemd" if why_not is None else "autostart"
        if why_not:
            click.echo(f"Using the XDG autostart entry: {why_not}, so a systemd unit would never start.")
    if how == "systemd":
        desktop.remove_autostart(click.echo)
        unit.install(click.echo)
    else:
        unit.uninstall(click.echo)  # stops a daemon it started: the entry starts the next one
        desktop.install_autostart(click.echo)
        click.echo("To start it now, in your desktop session: reminderd run &")


@click.command(name="desktop-entry", hidden=True)
def desktop_entry() -> None:
    """Print the application entry reminderd.desktop: reminderd desktop-entry > ~/.local/share/applications/reminderd.desktop"""
    from reminderd.install.desktop import application_entry

    click.echo(application_entry(), nl=False)


@click.command(name="notify-test")
@click.option("--backend", type=click.Choice(["auto", "dbus", "plyer", "log"]),
              help="Which backend to try [default: the config's].")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds to wait for a button.")
@click.option("--push", "push", is_flag=True, help="Instead, send a test to your phone through [push].")
@click.option("--contact", "contacts", metavar="NAME", multiple=True,
              help="Instead, send a test to this [[contact]] (repeatable).")
@pass_app
def notify_test(app: App, backend: str | None, timeout: int, push: bool, contacts: tuple[str, ...]) -> None:
    """Show a test reminder with Taken / Snooze / Skip and print which button was pressed.

    With --push or --contact, send a test message through each URL instead and print
    what the server answered (the URL masked).
    """
    import threading

    if push or contacts:
        _push_test(app.config, push, contacts, app.now())
        return

    import logging

    from reminderd.notify import make_notifier
    from reminderd.core.words import SKIP, SNOOZE, TAKE
    from reminderd.notify.base import Reminder

    try:
        chosen = backend or app.config.notifications.backend
    except ConfigError:
        chosen = "auto"  # a test of the desktop should not need a good config
    # The log backend's reminder is a log line; why another backend cannot be used is said
    # once, below, in a sentence.
    logging.basicConfig(level=logging.INFO if chosen == "log" else logging.ERROR, format="%(message)s")
    notifier = make_notifier(chosen)
    pressed: list[str] = []
    answered = threading.Event()
    notifier.start(lambda key, action: (pressed.append(action), answered.set()))
    notifier.show(Reminder(
        key="test", title="reminderd test", body="A test reminder: press a button.",
        actions=((TAKE, "Taken"), (SNOOZE, "Snooze"), (SKIP, "Skip")), urgency="normal",
        cli_hint="(this backend has no buttons)", category="x-reminderd",
    ))
    if notifier.name == "log" and chosen != "log":
        reason = next(iter(notifier.why_not.values()), "no notification server answered")
        notifier.stop()
        raise ReminderdError(f"no test notification could be shown: {reason}. Run it inside your desktop "
                             "session, where reminders appear.")
    click.echo(f"Shown with the {notifier.name} backend.")
    if notifier.name != "dbus":
        click.echo("This backend has no buttons; nothing to wait for.")
        notifier.stop()
        return
    if not answered.wait(timeout):
        notifier.close("test")
        notifier.stop()
        raise ReminderdError(f"no button was pressed within {timeout} s")
    notifier.stop()
    click.echo(f"Pressed: {pressed[0]}")


def _push_test(config: Config, push: bool, contacts: tuple[str, ...], now: datetime) -> None:
    from reminderd.core.delivery import message_id
    from reminderd.push.outbox import PUSH, recipient, send
    from reminderd.push.urls import mask

    names = ([PUSH] if push else []) + list(contacts)
    for name in names:
        if getattr(recipient(config, name), "url", None) is None:
            raise UsageError("no [push] url or url_file in the config" if name == PUSH else
                             f"--contact {name!r}: no such [[contact]] with a url; the config has: "
                             + (", ".join(c.name for c in config.contacts) or "none"))
    failed = 0
    for name in names:
        target = recipient(config, name)
        url = target.url
        ok, answer = send(url, "reminderd test", "A test message from reminderd: this is how it reaches you.",
                          message_id("test", name, now), target.timeout)
        failed += not ok
        click.echo(f"{'push' if name == PUSH else name} ({mask(url)}): {'sent' if ok else 'NOT sent'}; "
                   f"the server answered: {answer}")
    if failed:
        raise ReminderdError(f"{failed} of {len(names)} test message(s) not sent")


@click.command(name="check-config")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def check_config(app: App, path: Path | None) -> None:
    """Check a config file: prints "ok" and the schedule, or every problem (exit 2)."""
    from reminderd.config_file import load_config
    from reminderd.core.durations import format_duration

    config = load_config(path or app.config_path)
    if config.push or config.contacts or config.raters:
        from reminderd.push.outbox import check_urls

        problems = check_urls(config)
        if problems:
            raise ConfigError(problems, config.source)
    click.echo("ok")
    _running_daemon_note(app, path or app.config_path)
    click.echo(f"time zone: {config.timezone.key}")
    for med in config.medications:
        gap = f"at least {format_duration(med.min_gap)} apart"
        if med.as_needed:
            most = f"at most {med.max_per_day} a day, " if med.max_per_day else ""
            say(f"{med.name} {med.dose} as needed (never reminded); {most}{gap}")
            continue
        steps = med.steps or ()
        plan = "; ".join(f"from {s.start}: {s.dose} at {', '.join(t.strftime('%H:%M') for t in s.times)}"
                         for s in steps) or f"{med.dose} at {', '.join(med.slots)}"
        until = f"; until {med.until}" if med.until else ""
        say(f"{med.name} {plan}{until}; reminded every {format_duration(med.remind_every)}, "
            f"missed after {format_duration(med.give_up_after)}, {gap}")
        if med.supply is not None:
            click.echo(f"  supply counted from {med.supply:g} tablets, {med.per_dose:g} a dose; "
                       f"refill warning under {med.refill_warn_days} days")
    c = config.checkin
    click.echo(f"morning check-in at {c.time:%H:%M} (asked until {c.until:%H:%M}); "
               f"notifications: {config.notifications.backend}")
    click.echo(f"a night begins at bedtime {c.bedtime:%H:%M} and is judged by the doses due in the 24 h before it")
    if c.night_window is not None:
        click.echo("note: checkin.night_window is no longer used (nights are judged from checkin.bedtime); "
                   "it can be removed")
    if config.push or config.contacts or config.raters:
        from reminderd.push.outbox import describe

        for line in describe(config):
            say(line)
    if config.remote is not None:
        from reminderd.remote import plain_http_warning

        click.echo(f"phone page on {config.remote.host}:{config.remote.port} "
                   f"({'https' if config.remote.https else 'http'})")
        if (warning := plain_http_warning(config.remote)) is not None:
            click.echo("warning: " + " ".join(warning))
    if config.raters:
        from reminderd.core.rating import config_warnings

        for rater in config.raters:
            asked = (f"sent the link to her page at {rater.time:%H:%M} (not after {rater.until:%H:%M})" if rater.url
                     else "no message: she opens her page herself")
            say(f"rater {rater.name}: rates the nights on her own page; {asked}")
        for warning in config_warnings(config):
            say(f"warning: {warning}")


def _running_daemon_note(app: App, path: Path) -> None:
    """A daemon reads its config when it starts and on a reload, never by itself: after
    an edit, "ok" alone would let him think the change is in force."""
    from reminderd.lock import running_daemon
    from reminderd.reminding import how_to_reload, same_file

    holder = running_daemon(paths.lock_path(app.db_path))
    if holder is not None and holder.config is not None and same_file(holder.config, path):
        click.echo(f"The running daemon (pid {holder.pid or 'unknown'}) reminds by this file as it was when it "
                   f"started or was last reloaded; to put a change in force: {how_to_reload(holder.pid)}")


@click.command()
@pass_app
def init(app: App) -> None:
    """Write the commented example config to the config path (never overwrites)."""
    target = app.config_path
    if target.exists():
        raise UsageError(f"{target} already exists; it was left as it is")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as out:  # "x": never overwrite, even in a race
        out.write(paths.EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    click.echo(f"Wrote {target}. Edit it, then check it with: reminderd check-config")
    from reminderd.lock import running_daemon

    holder = running_daemon(paths.lock_path(app.db_path))
    if holder is not None and holder.config == str(paths.EXAMPLE_CONFIG):
        from reminderd.reminding import how_to_restart

        click.echo("The daemon running now reminds of the example, into a throwaway log. Once your config is "
                   f"ready, restart it so that it reminds of yours, into your own log: {how_to_restart()}")


@click.command(name="doctor")
@click.option("--notify", "send_test", is_flag=True, help="Also send a test notification.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def doctor(app: App, send_test: bool, fmt: str) -> None:
    """Check the whole chain: the first thing to run when something seems wrong.

    The config, the log, the notification server, the systemd user service and its
    environment, logind, the clock and the time zone; for each problem, what to do.
    Exit 0 when there is no problem (warnings allowed), 1 otherwise.

    \b
    reminderd doctor
    reminderd doctor --notify            also show a test notification
    reminderd doctor --format json | jq '.[] | select(.status != "ok")'
    """
    import json

    from reminderd import doctor as checks

    findings = checks.run_checks(app.config_path, app.db_path, send_test=send_test)
    if fmt == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        click.echo(checks.render_text(findings))
    if any(f.status == checks.PROBLEM for f in findings):
        sys.exit(1)


@click.command(name="man", hidden=True)
def man() -> None:
    """Print the manual page reminderd(1), made from this help: reminderd man > reminderd.1"""
    from importlib.metadata import PackageNotFoundError, version

    from reminderd.cli import cli, manpage

    try:
        release = version("reminderd")
    except PackageNotFoundError:  # run from a source tree that is not installed
        release = "unknown"
    click.echo(manpage.render(cli, "reminderd", release), nl=False)
