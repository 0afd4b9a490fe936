"""Setting up and checking: init, check-config, install-service, notify-test, doctor,
and the manual page made from the commands' own help."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reminderd import paths
from reminderd.cli import App, pass_app
from reminderd.errors import ConfigError, ReminderdError, UsageError

if TYPE_CHECKING:
    from reminderd.core.config.settings import Config


@click.command(name="install-service")
@click.option("--uninstall", is_flag=True, help="Stop, disable and remove the unit instead.")
def install_service(uninstall: bool) -> None:
    """Install reminderd as a systemd user service and start it.

    Writes ~/.config/systemd/user/reminderd.service running this install, then runs
    `systemctl --user daemon-reload` and `enable --now reminderd` (or prints them
    when systemctl cannot be used here).
    """
    from reminderd.daemon import unit as service

    (service.uninstall if uninstall else service.install)(click.echo)


@click.command(name="notify-test")
@click.option("--backend", type=click.Choice(["auto", "dbus", "plyer", "log"]),
              help="Which backend to try [default: the config's].")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds to wait for a button.")
@click.option("--push", "push", is_flag=True, help="Instead, send a test to his phone through [push].")
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
        _push_test(app.config, push, contacts)
        return

    from reminderd.notify import make_notifier
    from reminderd.notify.base import SKIP, SNOOZE, TAKEN, Reminder

    from reminderd.cli.run import setup_logging

    setup_logging()
    try:
        chosen = backend or app.config.notifications.backend
    except ConfigError:
        chosen = "auto"  # a test of the desktop should not need a good config
    notifier = make_notifier(chosen)
    pressed: list[str] = []
    answered = threading.Event()
    notifier.start(lambda key, action: (pressed.append(action), answered.set()))
    notifier.show(Reminder(
        key="test", title="reminderd test", body="A test reminder: press a button.",
        actions=((TAKEN, "Taken"), (SNOOZE, "Snooze"), (SKIP, "Skip")), urgency="normal",
        cli_hint="(this backend has no buttons)", category="x-reminderd",
    ))
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


def _push_test(config: Config, push: bool, contacts: tuple[str, ...]) -> None:
    from reminderd.push.outbox import PUSH, send, url_of
    from reminderd.push.urls import mask

    names = ([PUSH] if push else []) + list(contacts)
    for name in names:
        if url_of(config, name) is None:
            raise UsageError("no [push] url or url_file in the config" if name == PUSH else
                             f"--contact {name!r}: no such [[contact]] with a url; the config has: "
                             + (", ".join(c.name for c in config.contacts) or "none"))
    failed = 0
    for name in names:
        url = url_of(config, name)
        ok, answer = send(url, "reminderd test", "A test message from reminderd: this is how it reaches you.")
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
    if config.push or config.contacts:
        from reminderd.push.outbox import check_urls

        problems = check_urls(config)
        if problems:
            raise ConfigError(problems, config.source)
    click.echo("ok")
    click.echo(f"time zone: {config.timezone.key}")
    for med in config.medications:
        gap = f"at least {format_duration(med.min_gap)} apart"
        if med.as_needed:
            most = f"at most {med.max_per_day} a day, " if med.max_per_day else ""
            click.echo(f"{med.name} {med.dose} as needed (never reminded); {most}{gap}")
            continue
        steps = med.steps or ()
        plan = "; ".join(f"from {s.start}: {s.dose} at {', '.join(t.strftime('%H:%M') for t in s.times)}"
                         for s in steps) or f"{med.dose} at {', '.join(med.slots)}"
        until = f"; until {med.until}" if med.until else ""
        click.echo(f"{med.name} {plan}{until}; reminded every {format_duration(med.remind_every)}, "
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
    if config.push or config.contacts:
        from reminderd.push.outbox import describe

        for line in describe(config):
            click.echo(line)
    if config.remote is not None:
        from reminderd.remote import plain_http_warning

        click.echo(f"phone page on {config.remote.host}:{config.remote.port} "
                   f"({'https' if config.remote.https else 'http'})")
        if (warning := plain_http_warning(config.remote)) is not None:
            click.echo("warning: " + " ".join(warning))


@click.command()
@pass_app
def init(app: App) -> None:
    """Write the commented example config to the config path (never overwrites)."""
    target = Path(app.config_path)
    if target.exists():
        raise UsageError(f"{target} already exists; it was left as it is")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as out:  # "x": never overwrite, even in a race
        out.write(Path(paths.EXAMPLE_CONFIG).read_text(encoding="utf-8"))
    click.echo(f"Wrote {target}. Edit it, then check it with: reminderd check-config")


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

    findings = checks.run_checks(Path(app.config_path), Path(app.db_path), send_test=send_test)
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
