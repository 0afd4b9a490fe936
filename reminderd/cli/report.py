"""The log as a whole: `report` (adherence and what a missed dose costs), `export` to
one JSON file, and `import` of such a file into an empty log."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from reminderd.cli import App, pass_app
from reminderd.cli.output import write_out
from reminderd.cli.params import DATE, period


@click.command()
@click.option("--since", metavar="DATE", type=DATE,
              help="First local date, YYYY-MM-DD [default: adherence over the 30 days to --until, what a "
                   "missed dose costs over the whole log].")
@click.option("--until", metavar="DATE", type=DATE, help="Last local date, YYYY-MM-DD [default: today].")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("--output", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of the terminal.")
# --seed chose the random draws of an earlier test; the report now draws nothing at random,
# so it is accepted (old scripts keep working) and ignored.
@click.option("--seed", type=click.IntRange(0), hidden=True)
@pass_app
def report(app: App, since: date | None, until: date | None, fmt: str, output: Path | None,
           seed: int | None) -> None:
    """What a missed dose costs in spasms that night, with the uncertainty; the prescription;
    adherence; the nights.

    Without --since, adherence covers the last 30 days and the missed-dose figures every
    night of the log (more nights, a surer answer); with it, both cover the period given.

    \b
    reminderd report
    reminderd report --since 2026-09-01 --format json
    reminderd report --format html --output report.html
    """
    import os

    # The report's regressions are small matrices: BLAS threads only wait for each other
    # (on a busy machine a 3,000 x 20 fit took 0.3 s with them, 1 ms without). Set before
    # numpy is first imported, and only in this short-lived process.
    for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(threads, "1")
    from reminderd.report import render

    config, now = app.config, app.now()
    first, last = period(since, until, now.astimezone(config.timezone).date(), 29)
    write_out(render(app.store, config, first, last, now, fmt, effect_since=since), output,
              f"Wrote the report to {output}.")


@click.command()
@click.option("--output", metavar="FILE", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help='The file to write ("-" for standard output).')
@pass_app
def export(app: App, output: Path) -> None:
    """Write the whole log, every row of every table (the prescriptions too), to one JSON
    file, exactly as logged.

    `reminderd import FILE` restores it into an empty log.

    \b
    reminderd export --output reminderd-backup.json
    """
    from reminderd.store import backup

    write_out(backup.dump(app.store), None if str(output) == "-" else output,
              f"Exported the log to {output}.")


@click.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def import_(app: App, file: Path) -> None:
    """Restore an export into an empty log, exactly: all of it or nothing.

    \b
    reminderd --db ~/new.db import reminderd-backup.json
    """
    from reminderd.store import backup

    doc = backup.parse(backup.read(file), str(file))  # before the log is opened: a refusal creates none
    # Opened without recording the config's prescription: the file brings its own history.
    store = app._store = app.open_store()
    tables = backup.load(doc, store, str(file))
    store.restore(tables)
    app.record_prescription()
    counts = ", ".join(f"{len(tables[t])} {t}" for t in tables)
    click.echo(f"Imported {file} into {app.db_path}: {counts}.")
