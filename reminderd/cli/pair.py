"""`reminderd pair`: the link and QR code a phone opens to answer doses, or unpairing."""

from __future__ import annotations

import click

from reminderd.cli import App, pass_app


@click.command()
@click.option("--revoke", is_flag=True, help="Unpair every phone: every link and paired browser stops working.")
@pass_app
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
