"""`reminderd log`: the doses, the morning check-ins, a second rater's nights or the
prescription history, as a table, csv or json; reads the log and needs no config."""

from __future__ import annotations

from datetime import date, datetime

import click

from reminderd.cli import App, pass_app
from reminderd.core.clock import local_time
from reminderd.cli.output import write_exact
from reminderd.cli.params import DATE, period
from reminderd.errors import ConfigError, UsageError

LOG_COLUMNS = ["medication", "local_date", "slot", "dose", "due", "status", "taken_at",
               "late_minutes", "via", "reason", "reminders_sent"]
CHECKIN_COLUMNS = ["night", "severity", "frequency", "woke", "note", "other_cause", "answered_at", "via"]
RATING_COLUMNS = ["night", "rater", "severity", "frequency", "woke", "note", "blinded", "told", "answered_at", "via"]


@click.command()
@click.option("--since", metavar="DATE", type=DATE, help="First local date, YYYY-MM-DD [default: 30 days ago].")
@click.option("--until", metavar="DATE", type=DATE, help="Last local date, YYYY-MM-DD [default: today].")
@click.option("--medication", help="Only this medication.")
@click.option("--checkins", is_flag=True, help="List the morning check-ins (by night) instead of doses.")
@click.option("--ratings", is_flag=True, help="List a second rater's nights ([[rater]]), with whether each was "
              "blinded, instead of doses.")
@click.option("--prescriptions", is_flag=True, help="List the prescription history: each prescription and "
              "when it came into force.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@pass_app
def log(app: App, since: date | None, until: date | None, medication: str | None, fmt: str,
        checkins: bool = False, ratings: bool = False, prescriptions: bool = False) -> None:
    """Every dose with its slot, due time, status, when it was taken and how.

    Times in csv and json are UTC (ISO 8601); the table shows local times.

    \b
    reminderd log --since 2026-11-01 --format csv > doses.csv
    reminderd log --checkins --format csv > nights.csv
    reminderd log --ratings
    reminderd log --prescriptions
    """
    from reminderd.report import listing

    tz = _display_zone(app)
    if prescriptions:
        if checkins or ratings or since or until or medication:
            raise UsageError("--prescriptions lists the whole history; expected no --checkins, --ratings, "
                             "--since, --until or --medication with it")
        write_exact(_render_prescriptions(app, fmt, tz))
        return
    first, last = period(since, until, app.now().astimezone(tz).date(), 30)
    if checkins and ratings:
        raise UsageError("--checkins and --ratings are two lists; expected one of them")
    if ratings:
        if medication is not None:
            raise UsageError("--medication does not apply to --ratings; a rating is about a night, not a medication")
        write_exact(_render_ratings(app, first, last, fmt, tz))
        return
    if checkins:
        if medication is not None:
            raise UsageError("--medication does not apply to --checkins; a check-in is about a night, not a medication")
        write_exact(_render_checkins(app, first, last, fmt, tz))
        return
    if medication is not None:
        medication = _logged_medication(app, medication)
    rows = listing.dose_rows(app.store, first, last, medication)
    write_exact(listing.render(rows, LOG_COLUMNS, fmt, tz))


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
    try:
        return app.config.timezone
    except ConfigError:
        from zoneinfo import ZoneInfo

        from reminderd.config_file import system_zone_name

        return ZoneInfo(system_zone_name())


def _render_checkins(app: App, first: date, last: date, fmt: str, tz) -> str:
    from reminderd.report import listing
    from reminderd.store import iso

    rows = [{"night": c.night.isoformat(), "severity": c.severity, "frequency": c.frequency, "woke": c.woke,
             "note": c.note, "other_cause": c.other_cause, "answered_at": iso(c.answered_at), "via": c.via}
            for c in app.store.checkins_between(first, last)]
    if fmt == "table":
        if not rows:
            return "no check-ins recorded in that period\n"
        rows = [r | {"answered_at": local_time(datetime.fromisoformat(r["answered_at"]), tz, "%Y-%m-%d %H:%M")}
                for r in rows]
    return listing.render(rows, CHECKIN_COLUMNS, fmt, tz)


def _render_ratings(app: App, first: date, last: date, fmt: str, tz) -> str:
    from reminderd.report import listing
    from reminderd.store import iso

    rows = [{"night": r.night.isoformat(), "rater": r.rater, "severity": r.severity, "frequency": r.frequency,
             "woke": r.woke, "note": r.note, "blinded": r.blinded, "told": r.told, "answered_at": iso(r.answered_at),
             "via": r.via} for r in app.store.ratings_between(first, last)]
    if fmt == "table":
        if not rows:
            return "no ratings recorded in that period\n"
        rows = [r | {"answered_at": local_time(datetime.fromisoformat(r["answered_at"]), tz, "%Y-%m-%d %H:%M"),
                     "blinded": "yes" if r["blinded"] else "no"} for r in rows]
    return listing.render(rows, RATING_COLUMNS, fmt, tz)


def _render_prescriptions(app: App, fmt: str, tz) -> str:
    import json

    from reminderd.core import prescriptions
    from reminderd.core.durations import format_duration
    from reminderd.report import listing
    from reminderd.report.table import simple_table
    from reminderd.store import iso

    history = app.store.prescription_rows()
    if fmt != "table":
        rows = [{"in_force_from": iso(at), "prescription": json.loads(text) if fmt == "json" else text}
                for at, text in history]
        return listing.render(rows, ["in_force_from", "prescription"], fmt, tz)
    if not history:
        return "no prescription recorded yet\n"
    rows = []
    for at, text in history:
        config = prescriptions.config_of(text)
        shown = local_time(at, tz, "%Y-%m-%d %H:%M")
        first = True
        for name, plan in prescriptions.describe(config):
            rows.append([shown if first else "", name, plan])
            first = False
        rows.append(["", "", f"zone {config.timezone.key}; on time within {format_duration(config.on_time_window)}"])
    return simple_table(rows, ["in force from", "medication", "prescription"]) + "\n"
