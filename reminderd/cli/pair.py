"""`reminderd pair`: pair a phone with the page (a one-use link and QR code), list the
paired phones, unpair one or all."""

from __future__ import annotations

import sys

import click

from reminderd.cli import App, pass_app
from reminderd.core.words import PATIENT, RATER_PREFIX
from reminderd.errors import UsageError


@click.command()
@click.option("--name", metavar="NAME", help="What to call the phone in --list (default: phone, phone 2, and so on).")
@click.option("--list", "list_", is_flag=True, help="The paired phones, when each was last seen, and links not used yet.")
@click.option("--revoke", metavar="NAME", help="Unpair the phone called NAME (or withdraw its link not used yet).")
@click.option("--revoke-all", is_flag=True, help="Unpair every phone and withdraw every link.")
@click.option("--rater", metavar="NAME", help="Pair the phone of the [[rater]] called NAME with her own page "
              "(her question about last night, never his doses); the phone is called NAME unless --name says.")
@pass_app
def pair(app: App, name: str | None, list_: bool, revoke: str | None, revoke_all: bool, rater: str | None) -> None:
    """Pair a phone with the page for answering doses: prints a link and a QR code.

    The link works once, within 10 minutes: the phone that opens it and taps "Pair this
    phone" gets its own key, kept in its browser's cookie, and the link is spent. The page
    is served by the daemon when the config has `[remote] listen`. With --rater, the phone
    opens that rater's own page instead, and only it: his page refuses it, and hers his.

    \b
    reminderd pair --name "his phone"
    reminderd pair --rater Partner
    reminderd pair --list
    reminderd pair --revoke "his phone"
    reminderd pair --revoke-all
    """
    from reminderd.remote import pairing

    store = pairing.Pairings(app.db_path)
    if sum((list_, revoke is not None, revoke_all)) > 1 or \
            ((name is not None or rater is not None) and (list_ or revoke or revoke_all)):
        raise UsageError("use one of --list, --revoke NAME, --revoke-all, or pair a phone (with --name or --rater)")
    if list_:
        click.echo(_listing(store, app))
    elif revoke is not None:
        if not store.revoke(revoke):
            raise UsageError(f"no phone called {revoke!r}; see: reminderd pair --list")
        click.echo(f"Unpaired {revoke!r}: it is refused from now on; the other phones go on.")
    elif revoke_all:
        count = store.revoke_all()
        click.echo(f"Unpaired every phone ({count}); every link and paired phone is refused from now on.")
    else:
        base = pairing.pairing_base(app.config)
        now = app.now()
        role = PATIENT
        if rater is not None:
            from reminderd.services import pick_rater

            found = pick_rater(app.config, rater)
            role, name = pairing.rater_role(found.name), name or found.name
        code = store.new_code(name, role, now)
        link, phone = base + "pair/" + code, store.code(code, now)
        click.echo(f"Open this on the phone to be called {phone.name!r} (or scan the code), then tap "
                   f"\"Pair this phone\".\nIt works once, until {_local(phone.expires, app)}:\n{link}\n")
        pairing.print_qr(link, sys.stdout)  # click's test runner replaces it too


def _listing(store, app: App) -> str:
    from reminderd.report.table import simple_table

    phones, codes = store.phones(), store.codes(app.now())
    if not phones and not codes:
        return "No phone is paired. Pair one with: reminderd pair --name NAME"
    rows = [(p.name, _role(p.role), _local(p.paired, app), _local(p.last_seen, app) or "never") for p in phones]
    rows += [(c.name, _role(c.role), f"link not used yet (until {_local(c.expires, app)})", "") for c in codes]
    return simple_table(rows, ["phone", "opens", "paired", "last seen"])


def _role(role: str) -> str:
    return "doses and check-in" if role == PATIENT else f"{role.removeprefix(RATER_PREFIX)}'s rating"


def _local(instant: str | None, app: App) -> str:
    from datetime import datetime

    if instant is None:
        return ""
    return datetime.fromisoformat(instant).astimezone(app.config.timezone).strftime("%Y-%m-%d %H:%M")
