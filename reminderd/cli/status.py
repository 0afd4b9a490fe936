"""`reminderd status`: today's doses, what is waiting, the next dose, supply, last
night's check-in and the push state, each a few lines."""

from __future__ import annotations

from datetime import datetime

import click

from reminderd.cli import App, pass_app
from reminderd.cli.output import nobody_reminds, say
from reminderd.core.clock import local_time
from reminderd.core.words import AS_NEEDED_SLOT, TAKEN


@click.command()
@pass_app
def status(app: App) -> None:
    """Today's doses with their state, what is waiting, and the next dose; first, whether
    reminders are off (no daemon running for this log)."""
    now = app.now()
    off = nobody_reminds(app)
    if off:
        say(off)
    recorded = _today_lines(app, now, reminding=off is None)
    _as_needed_lines(app, recorded, now)
    _supply_lines(app, now)
    say(checkin_line(app, now))
    _push_lines(app)
    _replica_lines(app)


def _today_lines(app: App, now: datetime, reminding: bool) -> list:
    """The day's table, the doses waiting for an answer and the next one; returns the
    doses recorded around today."""
    from reminderd import services
    from reminderd.core.doses import give_up_at, next_unanswered, state_text
    from reminderd.core.typed import as_typed
    from reminderd.report.table import simple_table

    config, tz = app.config, app.config.timezone
    today = now.astimezone(tz).date()
    began_at = app.store.log_began_at()
    # The doses around today as the one plan has them: the rows, the slots with none yet,
    # and the rows of a slot that moved since they were answered (shown, never hidden).
    around = services.doses_between(app.store, config, *services.around_day(config, today))
    recorded = [p.dose for p in around if p.dose.id]
    table = [[d.slot, d.medication, d.dose,
              state_text(d if d.id else None, d.due, p.med, now, tz, began_at, reminding)]
             for p in around if (d := p.dose).local_date == today and not d.slot.startswith(AS_NEEDED_SLOT)]
    click.echo(f"Today, {today:%A %d %B %Y} ({tz.key}):")
    click.echo(simple_table(table, ["slot", "medication", "dose", "state"]) if table else "no doses today")
    # Every dose due and not answered, with the command that answers that very dose: a
    # bare `take` only for the dose it would choose now.
    waiting = [p for p in around if (d := p.dose).open and d.due <= now and d.local_date <= today
               and not d.slot.startswith(AS_NEEDED_SLOT) and (d.id or now < give_up_at(d, p.med))]
    takes = {(a.dose.medication, a.dose.local_date, a.dose.slot)
             for a in (services.answerable(app.store, config, now) if waiting else ())}
    for d in (p.dose for p in waiting):
        due = f"{d.medication} {d.slot} dose of {d.local_date} (due {local_time(d.due, tz, '%a %H:%M')})"
        if (d.medication, d.local_date, d.slot) in takes:
            say(f"Waiting for an answer: {due}; answer with: reminderd take {as_typed(d.medication)}")
        else:
            say(f"Not answered: {due}; if you took it, record it with: "
                f"reminderd take {as_typed(d.medication)} --at \"{local_time(d.due, tz, '%Y-%m-%d %H:%M')}\"")
    s = next_unanswered([p.dose for p in around], now)
    if s is not None:
        say(f"Next dose: {s.medication} {s.dose} at {local_time(s.due, tz, '%a %H:%M')}.")
    return recorded


def _as_needed_lines(app: App, recorded: list, now: datetime) -> None:
    tz = app.config.timezone
    today = now.astimezone(tz).date()
    for med in app.config.medications:
        if med.as_needed:
            taken = [d for d in recorded if d.medication == med.name and d.local_date == today and d.status == TAKEN]
            limit = f" (at most {med.max_per_day} a day)" if med.max_per_day else ""
            times = ", ".join(local_time(d.taken_at, tz) for d in taken) or "none"
            say(f"As needed: {med.name} {med.dose} taken today: {times}{limit}.")


def _push_lines(app: App) -> None:
    if not (app.config.push or app.config.contacts):
        return
    from reminderd.push.outbox import describe, last_failure

    for line in describe(app.config):
        click.echo(line[0].upper() + line[1:] + ".")
    failure = last_failure(app.store)
    if failure is not None:
        at, to, error, since = failure
        click.echo(f"Last push failure: {local_time(at, app.config.timezone, '%a %H:%M')} to "
                   f"{'your phone' if to == 'push' else to}: {error}" + (" (sent fine since)" if since else ""))


def _replica_lines(app: App) -> None:
    """Where the replica stands: last replicated, how far behind, the last error."""
    settings = app.config.replica
    if settings is None or app.store.read_only:  # a read-only log (a restored copy) is not what is replicated
        return
    from reminderd.replica.state import how_long, look

    now, tz = app.now(), app.config.timezone
    view = look(app.db_path, settings.url, now)
    shown = lambda instant: local_time(instant, tz, "%a %H:%M:%S")
    if view.restart_at is not None:
        click.echo(f"Replica {view.url}: not replicating since {shown(view.last_replicated(now))} "
                   f"({how_long(view.behind)}): Litestream stopped, and the daemon starts it again at "
                   f"{shown(view.restart_at)}.")
    elif view.replicating:
        state = (f"last replicated {shown(view.last_replicated(now))}, {how_long(view.behind)} behind"
                 if view.behind is not None else "not replicated yet since the daemon started")
        click.echo(f"Replica {view.url}: replicating; {state}.")
    elif view.stopped_at is None:
        click.echo(f"Replica {view.url}: not replicating (the daemon is not running, or has not run with it); "
                   "the daemon brings it up to date when it starts.")
    else:
        then = ("how far behind it was then is not known" if view.behind is None else
                f"last replicated {shown(view.last_replicated(now))}, {how_long(view.behind)} ago")
        click.echo(f"Replica {view.url}: not replicating since the daemon stopped at {shown(view.stopped_at)} ({then}); "
                   "anything recorded since waits for its next start.")
    if view.error is not None:
        since = view.replicating and view.behind is not None and view.last_replicated(now) > view.error_at
        click.echo(f"Last replica error: {shown(view.error_at)}: {view.error}" + (" (replicated fine since)." if since else "."))


def _supply_lines(app: App, now: datetime) -> None:
    from reminderd import services
    from reminderd.core.supply import needs_refill

    if not app.store.read_only:  # a read-only log shows only what was counted
        services.start_supply_counts(app.store, app.config, now)
    for med in app.config.medications:
        supply = services.supply_of(app.store, app.config, med, now)
        if supply is not None:
            warn = " - time to refill" if needs_refill(med, supply) else ""
            say(f"Supply: {med.name} {supply.text}{warn}.")


def checkin_line(app: App, now: datetime) -> str:
    """Whether last night's check-in is answered, and how to answer it."""
    from reminderd.core import checkin as core

    night = core.last_night(now, app.config.timezone)
    done = app.store.checkin(night)
    if done is None:
        return f"Last night's check-in ({night}): not answered yet; answer with: reminderd checkin"
    return f"Last night's check-in ({night}): done, {core.describe(done)}."
