"""The `reminderd` command. Each subcommand is a few lines over the core and the store;
errors become one message and an exit code (2 for bad input, 1 otherwise), never a
traceback. Heavy imports (APScheduler, D-Bus) happen only in the commands that need them.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import click

from reminderd import paths
from reminderd.core.config import Config, format_duration, load_config
from reminderd.errors import ConfigError, ReminderdError, UsageError
from reminderd.core.typed import WHEN_HELP, TypedTime

UTC = timezone.utc


class App:
    """What every command needs, found once: config and log paths, the clock."""

    def __init__(self, config_option: str | None, db_option: str | None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.config_path = paths.config_path(config_option)
        self.db_path = paths.db_path(db_option)
        self._config: Config | None = None
        self._store = None
        self._clock = clock  # given only by tests that run a command in-process at a chosen time
        self.integrity_check = False  # the daemon reads every page of the log at start

    def now(self) -> datetime:
        return self._clock() if self._clock is not None else datetime.now(UTC)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def store(self):
        """The log, with the prescription of the config recorded in it when it changed."""
        if self._store is None:
            self._store = self.open_store()
            self.record_prescription()
        return self._store

    def open_store(self):
        from reminderd.store import Store

        return Store.open(self.db_path, integrity_check=self.integrity_check)

    def record_prescription(self) -> None:
        """Every process that opens the log with a usable config keeps its history; a
        command that needs no config (log, export) still works without one."""
        from reminderd.core.prescriptions import canonical_of

        try:
            config = self.config
        except ConfigError:
            return
        self._store.record_prescription(canonical_of(config), self.now())


def handle_errors(command: Callable) -> Callable:
    """Turn reminderd's own errors into a message on stderr and the error's exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ReminderdError as err:
            click.echo(f"reminderd: {err}", err=True)
            sys.exit(err.exit_code)
        except sqlite3.DatabaseError as err:
            # A page damaged after the log was opened (the quick check runs in the daemon).
            click.echo(f"reminderd: the dose log cannot be read ({err}); nothing was changed. "
                       "Check it with: sqlite3 FILE 'PRAGMA integrity_check'", err=True)
            sys.exit(1)

    return wrapper


@click.group()
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
    ctx.call_on_close(ctx.obj.close)


pass_app = click.make_pass_decorator(App)


# --- parsing arguments -----------------------------------------------------------------


def parse_when(text: str | None, app: App, name: str = "--at", day: date | None = None) -> TypedTime:
    """--at, --taken-at: read as the person meant it (reminderd.core.typed); None means now."""
    from reminderd.core import typed

    if text is None:
        return TypedTime(app.now())
    return typed.parse_when(text, app.now(), app.config.timezone, name, day)


def parse_day(text: str | None, name: str) -> date | None:
    from reminderd.core import typed

    return None if text is None else typed.parse_day(text, name)


def say_note(when: TypedTime) -> None:
    """Say back how a typed time was read, when that is not the obvious reading."""
    if when.note:
        click.echo(f"Note: {when.note}.")


def local(instant: datetime | None, tz, fmt: str = "%H:%M") -> str:
    return "" if instant is None else instant.astimezone(tz).strftime(fmt)


# --- the daemon ----------------------------------------------------------------------


@cli.command()
@pass_app
@handle_errors
def run(app: App) -> None:
    """Run the reminder daemon in the foreground (systemd runs it as a user service).

    With no config file yet, the example config is used and a log line says so.
    """
    import logging

    _setup_logging()
    log = logging.getLogger("reminderd")
    explicit = app.config_path != paths.default_config_path() or os.environ.get("REMINDERD_CONFIG")
    if not app.config_path.exists() and not explicit:
        log.warning("no config at %s: using the example config %s (run `reminderd init` to make "
                    "your own)", app.config_path, paths.EXAMPLE_CONFIG)
        app.config_path = paths.EXAMPLE_CONFIG
    config = app.config  # a bad config stops here, before anything else is touched
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


def _setup_logging() -> None:
    import logging

    # Under systemd the journal stamps each line itself.
    fmt = "%(levelname)s %(message)s" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s %(levelname)s %(message)s"
    logging.basicConfig(level=logging.INFO, format=fmt, stream=sys.stderr)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@cli.command(name="install-service")
@click.option("--uninstall", is_flag=True, help="Stop, disable and remove the unit instead.")
@handle_errors
def install_service(uninstall: bool) -> None:
    """Install reminderd as a systemd user service and start it.

    Writes ~/.config/systemd/user/reminderd.service running this install, then runs
    `systemctl --user daemon-reload` and `enable --now reminderd` (or prints them
    when systemctl cannot be used here).
    """
    from reminderd.daemon import unit as service

    (service.uninstall if uninstall else service.install)(click.echo)


@cli.command(name="notify-test")
@click.option("--backend", type=click.Choice(["auto", "dbus", "plyer", "log"]),
              help="Which backend to try [default: the config's].")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds to wait for a button.")
@click.option("--push", "push", is_flag=True, help="Instead, send a test to his phone through [push].")
@click.option("--contact", "contacts", metavar="NAME", multiple=True,
              help="Instead, send a test to this [[contact]] (repeatable).")
@pass_app
@handle_errors
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

    _setup_logging()
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


# --- answering doses -------------------------------------------------------------------


@cli.command()
@click.argument("medication", required=False)
@click.option("--at", "at", metavar="WHEN", help=f"When it was taken: {WHEN_HELP} [default: now].")
@click.option("--force", is_flag=True, help="Record it even if it is closer than min_gap to another dose.")
@click.option("--all", "take_all", is_flag=True, help="Every dose due now (several due together).")
@pass_app
@handle_errors
def take(app: App, medication: str | None, at: str | None, force: bool, take_all: bool) -> None:
    """Confirm that a dose was taken.

    Records the unanswered dose nearest WHEN (early, on time, late, or one already
    counted as missed). MEDICATION may be left out when only one is configured, or
    when only one medication has a dose due now; with several due, it asks which
    (or --all takes them all).

    \b
    reminderd take
    reminderd take --all
    reminderd take gabapentin --at 07:55
    reminderd take gabapentin --at "2026-11-20 22:10"
    """
    from reminderd import services

    if medication is not None and take_all:
        raise UsageError("name a medication or use --all, not both")
    when = parse_when(at, app)
    names = [medication] if medication is not None else _which_due(app, when.instant, take_all)
    with app.store.write():  # several doses: all recorded, or none
        taken = [services.take(app.store, app.config, name, when.instant, app.now(), force) for name in names]
    for i, answer in enumerate(taken):
        _echo_taken(app, answer, when if i == 0 else None)


def _which_due(app: App, when: datetime, take_all: bool) -> list[str | None]:
    """A bare `take`: the medication whose dose is due, or ask which of several."""
    from reminderd.core.grouping import due_now

    scheduled = [m for m in app.config.medications if not m.as_needed]
    if len(scheduled) <= 1 and not take_all:
        return [None]
    due = due_now(_doses_around(app, when), {m.name: m for m in scheduled}, when, app.config.group_within)
    if not due:
        if take_all:
            raise UsageError("no dose is due now; nothing to take")
        return [None]  # services.take says what to name
    if len(due) == 1 or take_all:
        return [d.medication for d in due]
    listing = "; ".join(f"{i}) {d.medication} {d.dose} ({d.slot})" for i, d in enumerate(due, 1))
    if not sys.stdin.isatty():
        raise UsageError(f"{len(due)} doses are due now: {listing}; name one, or use --all")
    click.echo(f"{len(due)} doses are due now:")
    for i, d in enumerate(due, 1):
        click.echo(f"  {i}) {d.medication} {d.dose} ({d.slot})")
    choice = click.prompt("Which did you take? (a number, or 'all')", type=str).strip().lower()
    if choice == "all":
        return [d.medication for d in due]
    if choice.isdigit() and 1 <= int(choice) <= len(due):
        return [due[int(choice) - 1].medication]
    raise UsageError(f"{choice!r} is not one of 1 to {len(due)} or 'all'; nothing was recorded")


def _doses_around(app: App, when: datetime) -> list:
    """The doses that may be due at `when`: rows, and slots with no row yet (the daemon
    was not running) as doses with id 0."""
    from reminderd.core.doses import Dose
    from reminderd.core.schedule import slots_between

    config = app.config
    start = when - max((m.give_up_after for m in config.medications), default=timedelta(0))
    end = when + config.group_within + timedelta(seconds=1)
    found = app.store.doses_between(start, end)
    have = {(d.medication, d.local_date, d.slot) for d in found}
    return found + [Dose(id=0, medication=s.medication, local_date=s.local_date, slot=s.slot, dose=s.dose, due=s.due)
                    for s in slots_between(config, start, end) if (s.medication, s.local_date, s.slot) not in have]


def _echo_taken(app: App, answer, when) -> None:
    d, tz = answer.dose, app.config.timezone
    late = d.late_minutes or 0
    timing = "on time" if abs(late) < 1 else (f"{late} min late" if late > 0 else f"{-late} min early")
    click.echo(f"Recorded: {d.medication} {d.dose}, {d.slot} dose of {d.local_date}, taken at "
               f"{local(d.taken_at, tz)} ({timing}).")
    if when is not None:  # how --at was read, said once
        say_note(when)
    if answer.advice:
        click.echo(f"Note: the next dose is near. {answer.advice}")


@cli.command()
@click.argument("medication", required=False)
@click.option("--at", "at", metavar="WHEN", help=f"Which dose: {WHEN_HELP} [default: now].")
@click.option("--reason", help="Why it was skipped (kept in the log).")
@pass_app
@handle_errors
def skip(app: App, medication: str | None, at: str | None, reason: str | None) -> None:
    """Record that a dose was skipped on purpose.

    \b
    reminderd skip gabapentin --reason "nausea"
    """
    from reminderd import services

    when = parse_when(at, app)
    d = services.skip(app.store, app.config, medication, when.instant, app.now(), reason).dose
    click.echo(f"Recorded: {d.medication} {d.slot} dose of {d.local_date} skipped.")
    say_note(when)


@cli.command()
@click.argument("medication", required=False)
@click.option("--for", "length", metavar="DURATION", help='How long, e.g. "10m" or "1h" [default: the medication\'s snooze].')
@pass_app
@handle_errors
def snooze(app: App, medication: str | None, length: str | None) -> None:
    """Remind again later about the dose due now.

    \b
    reminderd snooze --for 20m
    """
    from reminderd import services
    from reminderd.core.config import _Bad, parse_duration

    delta = None
    if length is not None:
        try:
            delta = parse_duration(length)
        except _Bad as bad:
            raise UsageError(f"--for {length!r} is not valid; expected {bad.expected}") from None
    d = services.snooze(app.store, app.config, medication, delta, app.now()).dose
    click.echo(f"Snoozed: {d.medication} {d.slot} dose, reminding again at "
               f"{local(d.snoozed_until, app.config.timezone)}.")


@cli.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
@handle_errors
def undo(app: App, yes: bool) -> None:
    """Reverse the last answer (Taken, Skip, Snooze or a correction).

    It is shown first and asked about; the answer and its undoing both stay in the log.
    Run it again to undo the answer before.
    """
    from reminderd import services

    event, dose = services.last_answer(app.store)
    click.echo(f"Last answer: {services.describe_event(event, dose, app.config)}")
    if not yes and not click.confirm("Undo it?", default=False):
        click.echo("Nothing changed.")
        return
    done = services.undo(app.store, app.config, event["id"], app.now())
    d = done.dose
    reason = f" ({d.reason})" if d.status == "missed" and d.reason else ""
    click.echo(f"Undone: the {d.slot} dose of {d.medication} on {d.local_date} is {d.status}{reason}"
               + (f"; {done.note}." if done.note else " again."))


@cli.command()
@click.argument("medication", required=False)
@click.option("--date", "day", metavar="DATE", required=True, help="The dose's local date, YYYY-MM-DD.")
@click.option("--slot", required=True, help='The dose\'s slot, "HH:MM".')
@click.option("--status", type=click.Choice(["taken", "skipped", "missed", "pending"]), help="The corrected status.")
@click.option("--taken-at", metavar="WHEN", help='The corrected time it was taken: "HH:MM" on --date, or "YYYY-MM-DD HH:MM".')
@click.option("--reason", help="Why (kept in the log).")
@pass_app
@handle_errors
def edit(app: App, medication: str | None, day: str, slot: str, status: str | None,
         taken_at: str | None, reason: str | None) -> None:
    """Correct a dose's status or the time it was taken.

    \b
    reminderd edit gabapentin --date 2026-11-20 --slot 22:00 --status taken --taken-at "2026-11-20 22:40"
    reminderd edit --date 2026-11-21 --slot 08:00 --status missed
    """
    from reminderd import services

    on = parse_day(day, "--date")
    when = parse_when(taken_at, app, "--taken-at", on) if taken_at else None
    d = services.edit(app.store, app.config, medication, on, services.parse_slot(slot),
                     app.now(), status, when and when.instant, reason)
    taken = f", taken at {local(d.taken_at, app.config.timezone, '%Y-%m-%d %H:%M')}" if d.taken_at else ""
    click.echo(f"Corrected: {d.medication} {d.slot} dose of {d.local_date} is {d.status}{taken}.")
    if when:
        say_note(when)


@cli.command()
@click.argument("medication")
@click.argument("tablets")
@pass_app
@handle_errors
def refill(app: App, medication: str, tablets: str) -> None:
    """Record a refill: TABLETS more of MEDICATION on hand.

    \b
    reminderd refill gabapentin 90
    """
    from reminderd import services

    from reminderd.core.typed import parse_tablets

    supply = services.refill(app.store, app.config, medication, parse_tablets(tablets), app.now())
    click.echo(f"Refilled: {supply.medication} now {supply.text}.")


# --- reading the log -------------------------------------------------------------------


@cli.command()
@pass_app
@handle_errors
def status(app: App) -> None:
    """Today's doses with their state, what is waiting, and the next dose."""
    from reminderd.core.schedule import slots_between
    from reminderd.report.table import simple_table

    from reminderd.core.doses import next_unanswered, state_text

    config, tz, now = app.config, app.config.timezone, app.now()
    today = now.astimezone(tz).date()
    recorded = app.store.doses_on_dates(today - timedelta(days=1), today + timedelta(days=2))
    rows = {(d.medication, d.local_date, d.slot): d for d in recorded}
    table = []
    for s in _prescribed_slots(app, today):
        d = rows.get((s.medication, s.local_date, s.slot))
        table.append([s.slot, s.medication, s.dose, state_text(d, s.due, config.medication(s.medication), now, tz)])
    click.echo(f"Today, {today:%A %d %B %Y} ({tz.key}):")
    click.echo(simple_table(table, ["slot", "medication", "dose", "state"]) if table else "no doses today")
    for d in recorded:
        if d.open and d.due <= now and d.local_date <= today:
            click.echo(f"Waiting for an answer: {d.medication} {d.slot} dose of {d.local_date} "
                       f"(due {local(d.due, tz, '%a %H:%M')}); answer with: reminderd take {d.medication}")
    s = next_unanswered(slots_between(config, now, now + timedelta(days=2)), recorded, now)
    if s is not None:
        click.echo(f"Next dose: {s.medication} {s.dose} at {local(s.due, tz, '%a %H:%M')}.")
    for med in config.medications:
        if med.as_needed:
            taken = [d for d in recorded if d.medication == med.name and d.local_date == today and d.status == "taken"]
            limit = f" (at most {med.max_per_day} a day)" if med.max_per_day else ""
            times = ", ".join(local(d.taken_at, tz) for d in taken) or "none"
            click.echo(f"As needed: {med.name} {med.dose} taken today: {times}{limit}.")
    _supply_lines(app, now)
    click.echo(_checkin_status_line(app, now))
    _push_lines(app)


def _push_lines(app: App) -> None:
    if not (app.config.push or app.config.contacts):
        return
    from reminderd.push.outbox import describe, last_failure

    for line in describe(app.config):
        click.echo(line[0].upper() + line[1:] + ".")
    failure = last_failure(app.store)
    if failure is not None:
        at, to, error, since = failure
        click.echo(f"Last push failure: {local(at, app.config.timezone, '%a %H:%M')} to "
                   f"{'his phone' if to == 'push' else to}: {error}" + (" (sent fine since)" if since else ""))


def _prescribed_slots(app: App, day: date) -> list:
    """The day's slots by the prescription in force at each one's due time: a medication
    added this afternoon has no morning dose to be "not recorded"."""
    from reminderd.core.prescriptions import History

    return History.of(app.store.prescription_rows(), app.config).slots_on(day)


def _supply_lines(app: App, now: datetime) -> None:
    from reminderd import services
    from reminderd.core.supply import needs_refill

    services.start_supply_counts(app.store, app.config, now)
    for med in app.config.medications:
        supply = services.supply_of(app.store, app.config, med, now)
        if supply is not None:
            warn = " - time to refill" if needs_refill(med, supply) else ""
            click.echo(f"Supply: {med.name} {supply.text}{warn}.")


LOG_COLUMNS = ["medication", "local_date", "slot", "dose", "due", "status", "taken_at",
               "late_minutes", "via", "reason", "reminders_sent"]


@cli.command(name="log")
@click.option("--since", metavar="DATE", help="First local date, YYYY-MM-DD [default: 30 days ago].")
@click.option("--until", metavar="DATE", help="Last local date, YYYY-MM-DD [default: today].")
@click.option("--medication", help="Only this medication.")
@click.option("--checkins", is_flag=True, help="List the morning check-ins (by night) instead of doses.")
@click.option("--prescriptions", is_flag=True, help="List the prescription history: each prescription and "
              "when it came into force.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@pass_app
@handle_errors
def log_command(app: App, since: str | None, until: str | None, medication: str | None, fmt: str,
                checkins: bool = False, prescriptions: bool = False) -> None:
    """Every dose with its slot, due time, status, when it was taken and how.

    Times in csv and json are UTC (ISO 8601); the table shows local times.

    \b
    reminderd log --since 2026-11-01 --format csv > doses.csv
    reminderd log --checkins --format csv > nights.csv
    reminderd log --prescriptions
    """
    from reminderd.report import listing as export

    tz = _display_zone(app)
    if prescriptions:
        if checkins or since or until or medication:
            raise UsageError("--prescriptions lists the whole history; expected no --checkins, --since, "
                             "--until or --medication with it")
        click.echo(_render_prescriptions(app, fmt, tz), nl=False)
        return
    today = app.now().astimezone(tz).date()
    last = parse_day(until, "--until") or today
    first = parse_day(since, "--since") or last - timedelta(days=30)
    if first > last:
        raise UsageError(f"--since {first} is after --until {last}; expected since <= until")
    if checkins:
        if medication is not None:
            raise UsageError("--medication does not apply to --checkins; a check-in is about a night, not a medication")
        click.echo(_render_checkins(app, first, last, fmt, tz), nl=False)
        return
    if medication is not None:
        medication = _logged_medication(app, medication)
    rows = export.dose_rows(app.store, first, last, medication)
    click.echo(export.render(rows, LOG_COLUMNS, fmt, tz), nl=False)


def _logged_medication(app: App, name: str) -> str:
    """A medication named on the command line, in any case, as the log spells it; an
    unknown name is refused with the known ones (in the log or the config)."""
    known = app.store.medication_names()
    try:
        known += [m.name for m in app.config.medications if m.name not in known]
    except ConfigError:
        pass  # the log alone is enough to read it
    for candidate in known:
        if candidate.casefold() == name.casefold():
            return candidate
    raise UsageError(f"no medication called {name!r} in the log or the config; expected one of: "
                     f"{', '.join(sorted(known, key=str.casefold)) or 'none yet'}")


def _display_zone(app: App):
    """The config's zone when there is a usable config, else the machine's."""
    from zoneinfo import ZoneInfo

    from reminderd.core.config import system_zone_name

    try:
        return app.config.timezone
    except ConfigError:
        return ZoneInfo(system_zone_name())


# --- config ----------------------------------------------------------------------------


@cli.command(name="check-config")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
@handle_errors
def check_config(app: App, path: Path | None) -> None:
    """Check a config file: prints "ok" and the schedule, or every problem (exit 2)."""
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


@cli.command()
@pass_app
@handle_errors
def init(app: App) -> None:
    """Write the commented example config to the config path (never overwrites)."""
    target = app.config_path
    if target.exists():
        raise UsageError(f"{target} already exists; it was left as it is")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as out:  # "x": never overwrite, even in a race
        out.write(paths.EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    click.echo(f"Wrote {target}. Edit it, then check it with: reminderd check-config")


# --- the page for the phone ------------------------------------------------------------


@cli.command()
@click.option("--revoke", is_flag=True, help="Unpair every phone: every link and paired browser stops working.")
@pass_app
@handle_errors
def pair(app: App, revoke: bool) -> None:
    """Pair a phone with the page for answering doses: prints its link and a QR code.

    The page is served by the daemon when the config has `[remote] listen`. Only a hash
    of the link's token is kept; run `reminderd pair` again for each phone.

    \b
    reminderd pair
    reminderd pair --revoke
    """
    from reminderd.remote import pairing

    if revoke:
        count = pairing.revoke(app.db_path)
        click.echo(f"Unpaired: {count} pairing(s) forgotten; every link and paired phone is refused from now on.")
        return
    link = pairing.pairing_link(app.config, app.db_path)
    click.echo(f"Open this on the phone (or scan the code); keep it private, it lets anyone who has it answer doses:\n"
               f"{link}\n")
    pairing.print_qr(link, click.get_text_stream("stdout"))


# --- the morning check-in --------------------------------------------------------------

CHECKIN_FLAGS = {"severity": "--severity", "frequency": "--frequency", "woke": "--woke", "note": "--note"}
CHECKIN_COLUMNS = ["night", "severity", "frequency", "woke", "note", "answered_at", "via"]
CHECKIN_ANSWERS = {"severity": "Severity", "frequency": "Frequency", "woke": "Times woken", "note": "Note"}


@cli.command(name="checkin")
@click.option("--night", metavar="DATE", help="Which night, by the date of its evening, YYYY-MM-DD [default: last night].")
@click.option("--severity", metavar="0-3", help="How bad the spasms were: 0 none, 1 mild, 2 moderate, 3 severe.")
@click.option("--frequency", metavar="0-4", help="Penn Spasm Frequency Scale: 0 none, 1 only when moved or touched, "
              "2 fewer than one an hour, 3 more than one an hour, 4 more than ten an hour.")
@click.option("--woke", metavar="N", help="How many times spasms woke you.")
@click.option("--note", metavar="TEXT", help="Anything else about the night.")
@click.option("--window", is_flag=True, help="Ask in a small window instead of the terminal.")
@pass_app
@handle_errors
def checkin_command(app: App, night: str | None, severity: str | None, frequency: str | None,
                    woke: str | None, note: str | None, window: bool) -> None:
    """How were your spasms last night? Asks in the terminal, or takes the answers as flags.

    One check-in per night: answering a night again replaces its answers (both stay in
    the log). Without --severity it asks each question; Enter skips the optional ones.

    \b
    reminderd checkin
    reminderd checkin --severity 2 --frequency 3 --woke 1 --note "left leg"
    reminderd checkin --night 2026-11-20 --severity 0
    """
    from reminderd.core import checkin as core

    tz, now = app.config.timezone, app.now()
    day = parse_day(night, "--night") or core.last_night(now, tz)
    core.check_night(day, now, tz)
    given = {"frequency": frequency, "woke": woke, "note": note}
    if window:
        if severity is not None or any(v is not None for v in given.values()):
            raise UsageError("--window asks every question itself; expected no --severity, --frequency, --woke or --note with it")
        _checkin_in_window(app, day)
        return
    if severity is None:
        flags = [CHECKIN_FLAGS[k] for k, v in given.items() if v is not None]
        if flags:
            raise UsageError(f"{', '.join(flags)} given without --severity; expected --severity 0-3 as well, "
                             "or no answers as flags to be asked each question")
        if not sys.stdin.isatty():
            raise UsageError("no answers given and no terminal to ask in; expected --severity 0-3 "
                             "(and optionally --frequency, --woke, --note)")
        answers = _ask_checkin(day, app.store.checkin(day), tz)
    else:
        answers = {"severity": severity, **given}
    _record_checkin(app, day, answers, now, "cli", CHECKIN_FLAGS)


def _ask_checkin(day: date, previous, tz) -> dict:
    """The questions in the terminal, each asked again until its answer is valid."""
    from dataclasses import replace

    from reminderd.core import checkin as core

    click.echo(f"Check-in for the night of {day:%A %d %B %Y}.")
    if previous is not None:
        click.echo(f"Already answered at {local(previous.answered_at, tz, '%Y-%m-%d %H:%M')}: "
                   f"{core.describe(previous)}. Answering again replaces it.")
    answers: dict = {}
    for question in core.QUESTIONS:
        if answers.get("severity") == 0 and question.key in ("frequency", "woke"):
            continue  # no spasms: nothing to count
        if question.key == "frequency":
            question = replace(question, low=1)  # there were spasms
        answers[question.key] = _ask(question)
    click.echo("")
    return answers


def _ask(question) -> int | str | None:
    from reminderd.core import checkin as core

    click.echo("")
    click.echo(question.prompt)
    if question.labels:
        for value in range(question.low, question.high + 1):
            click.echo(f"  {value}  {question.labels[value]}")
    name = CHECKIN_ANSWERS[question.key]
    text = name if question.low is None else f"{name} {question.low}-{question.high}"
    text += "" if question.required else " (Enter to skip)"
    while True:
        typed = click.prompt(text, default="", show_default=False)
        try:
            return core.parse_answer(question, typed, name.lower())
        except UsageError as err:
            click.echo(f"  {err}")


def _checkin_in_window(app: App, day: date) -> None:
    from reminderd.core import checkin as core
    from reminderd.notify.checkin_window import open_checkin_window

    tz = app.config.timezone
    saved: list = []

    def save(severity, frequency, woke, note) -> None:
        answers = {"severity": severity, "frequency": frequency, "woke": woke, "note": note}
        saved.append(_record_checkin(app, day, answers, app.now(), "window"))

    if not open_checkin_window(day, save, app.store.checkin(day)):
        hint = "" if day == core.last_night(app.now(), tz) else f" --night {day}"
        raise ReminderdError(f"no display to open the check-in window on; answer in a terminal with: "
                             f"reminderd checkin{hint}")
    if not saved:
        click.echo(f"Nothing recorded: the check-in window for the night of {day} was closed without saving.")


def _record_checkin(app: App, day: date, answers: dict, now: datetime, via: str, names: dict | None = None):
    from reminderd.core import checkin as core
    from reminderd import services

    saved = services.checkin(app.store, app.config, day, **answers, now=now, via=via, names=names)
    entry, previous = saved.entry, saved.replaced
    click.echo(f"Recorded the check-in for the night of {entry.night:%A %d %B %Y}: {core.describe(entry)}.")
    if previous is not None:
        when = local(previous.answered_at, app.config.timezone, "%Y-%m-%d %H:%M")
        click.echo(f"It replaces the answer given at {when} ({core.describe(previous)}); both stay in the log.")
    return entry


def _checkin_status_line(app: App, now: datetime) -> str:
    from reminderd.core import checkin as core

    night = core.last_night(now, app.config.timezone)
    done = app.store.checkin(night)
    if done is None:
        return f"Last night's check-in ({night}): not answered yet; answer with: reminderd checkin"
    return f"Last night's check-in ({night}): done, {core.describe(done)}."


def _render_checkins(app: App, first: date, last: date, fmt: str, tz) -> str:
    from reminderd.report import listing as export
    from reminderd.store import iso

    rows = [{"night": c.night.isoformat(), "severity": c.severity, "frequency": c.frequency, "woke": c.woke,
             "note": c.note, "answered_at": iso(c.answered_at), "via": c.via}
            for c in app.store.checkins_between(first, last)]
    if fmt == "table":
        if not rows:
            return "no check-ins recorded in that period\n"
        rows = [r | {"answered_at": local(datetime.fromisoformat(r["answered_at"]), tz, "%Y-%m-%d %H:%M")}
                for r in rows]
    return export.render(rows, CHECKIN_COLUMNS, fmt, tz)


def _render_prescriptions(app: App, fmt: str, tz) -> str:
    import json

    from reminderd.report import listing as export

    from reminderd.core import prescriptions
    from reminderd.store import iso

    history = app.store.prescription_rows()
    if fmt != "table":
        rows = [{"in_force_from": iso(at), "prescription": json.loads(text) if fmt == "json" else text}
                for at, text in history]
        return export.render(rows, ["in_force_from", "prescription"], fmt, tz)
    if not history:
        return "no prescription recorded yet\n"
    rows = []
    for at, text in history:
        config = prescriptions.config_of(text)
        shown = local(at, tz, "%Y-%m-%d %H:%M")
        first = True
        for name, plan in prescriptions.describe(config):
            rows.append([shown if first else "", name, plan])
            first = False
        rows.append(["", "", f"zone {config.timezone.key}; on time within {format_duration(config.on_time_window)}"])
    from reminderd.report.table import simple_table

    return simple_table(rows, ["in force from", "medication", "prescription"]) + "\n"


# --- the report, export and import -----------------------------------------------------


@cli.command(name="report")
@click.option("--since", metavar="DATE", help="First local date, YYYY-MM-DD [default: 29 days before --until].")
@click.option("--until", metavar="DATE", help="Last local date, YYYY-MM-DD [default: today].")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("--output", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of the terminal.")
# --seed chose the random draws of an earlier test; the report now draws nothing at random,
# so it is accepted (old scripts keep working) and ignored.
@click.option("--seed", type=click.IntRange(0), hidden=True)
@pass_app
@handle_errors
def report_command(app: App, since: str | None, until: str | None, fmt: str, output: Path | None,
                   seed: int | None) -> None:
    """Adherence, and what a missed dose costs in spasms the next night, with the uncertainty.

    \b
    reminderd report
    reminderd report --since 2026-09-01 --format json
    reminderd report --format html --output report.html
    """
    from reminderd.report import render

    config, now = app.config, app.now()
    last = parse_day(until, "--until") or now.astimezone(config.timezone).date()
    first = parse_day(since, "--since") or last - timedelta(days=29)
    if first > last:
        raise UsageError(f"--since {first} is after --until {last}; expected since <= until")
    _write_out(render(app.store, config, first, last, now, fmt), output, f"Wrote the report to {output}.")


@cli.command(name="export")
@click.option("--output", metavar="FILE", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help='The file to write ("-" for standard output).')
@pass_app
@handle_errors
def export_command(app: App, output: Path) -> None:
    """Write every dose, check-in, event and supply row to one JSON file, exactly as logged.

    `reminderd import FILE` restores it into an empty log.

    \b
    reminderd export --output reminderd-backup.json
    """
    from reminderd.store import backup

    _write_out(backup.dump(app.store), None if str(output) == "-" else output,
               f"Exported the log to {output}.")


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
@handle_errors
def import_command(app: App, file: Path) -> None:
    """Restore an export into an empty log, exactly: all of it or nothing.

    \b
    reminderd --db ~/new.db import reminderd-backup.json
    """
    from reminderd.store import backup

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{file} cannot be read ({err.strerror if isinstance(err, OSError) else err})") from None
    # Opened without recording the config's prescription: the file brings its own history.
    store = app._store = app.open_store()
    tables = backup.load(text, store, str(file))
    store.restore(tables)
    app.record_prescription()
    counts = ", ".join(f"{len(tables[t])} {t}" for t in tables)
    click.echo(f"Imported {file} into {app.db_path}: {counts}.")


def _write_out(text: str, output: Path | None, done: str) -> None:
    """To the terminal, or to a file only the user can read (health data)."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        raise ReminderdError(f"cannot write {output}: {err.strerror}") from None
    click.echo(done)


@cli.command(name="doctor")
@click.option("--notify", "send_test", is_flag=True, help="Also send a test notification.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
@handle_errors
def doctor_command(app: App, send_test: bool, fmt: str) -> None:
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

    from reminderd import doctor

    findings = doctor.run_checks(app.config_path, app.db_path, send_test=send_test)
    if fmt == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        click.echo(doctor.render_text(findings))
    if any(f.status == doctor.PROBLEM for f in findings):
        sys.exit(1)


@cli.command(name="man", hidden=True)
def man_command() -> None:
    """Print the manual page reminderd(1), made from this help: reminderd man > reminderd.1"""
    from importlib.metadata import PackageNotFoundError, version

    from reminderd.cli import manpage

    try:
        release = version("reminderd")
    except PackageNotFoundError:  # run from a source tree that is not installed
        release = "unknown"
    click.echo(manpage.render(cli, "reminderd", release), nl=False)


def main() -> None:
    cli(prog_name="reminderd")


if __name__ == "__main__":
    main()
