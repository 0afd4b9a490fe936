"""A rater's page: her question about last night, her own answers, and the undo of her last
one, answered through the same functions as `reminderd checkin --rater` (services.rate,
services.undo_rating). Routes, for a phone paired with `reminderd pair --rater NAME`: GET /,
POST /rating, POST /rating/undo. Her page is given nothing about his doses, his check-ins or
any alert, so it cannot show them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Callable

from reminderd import services
from reminderd.core import rating as core
from reminderd.core.checkin import last_night
from reminderd.core.words import VIA_PHONE
from reminderd.errors import UsageError
from reminderd.remote import page

if TYPE_CHECKING:
    from reminderd.remote.app import PageApp, Response

PAST_NIGHTS = 14  # her answers of the nights before, shown below the question


class RaterPage:
    """Her routes, for the PageApp that checked who is asking."""

    def __init__(self, app: PageApp) -> None:
        self.app = app

    def routes(self, rater: str) -> dict[str, tuple[str, Callable[[str, dict[str, str]], Response]]]:
        return {"/": ("GET", lambda hash_, fields: self.show(rater, hash_)),
                "/rating": ("POST", lambda hash_, fields: self.answer(rater, hash_, fields)),
                "/rating/undo": ("POST", lambda hash_, fields: self.undo(rater, hash_, fields))}

    def show(self, rater: str, pairing_hash: str, message: str | None = None, status: str = "200 OK") -> Response:
        app = self.app
        config, now = app.config(), app.now()
        night = last_night(now, config.timezone)
        with app.store.write():  # one consistent reading of the log
            rating = app.store.rating(rater, night)
            past = app.store.ratings_between(night - timedelta(days=PAST_NIGHTS), night - timedelta(days=1), rater)
            last = app.store.last_rating_event(rater)
        text = page.render_rating(rater=rater, night=night, rating=rating, past=past[::-1],
                                  undo=None if last is None else date.fromisoformat(_night_of(last)),
                                  form_token=app.forms.issue(pairing_hash, app.monotonic()), message=message)
        return status, [], text.encode("utf-8")

    def answer(self, rater: str, pairing_hash: str, fields: dict[str, str]) -> Response:
        app = self.app
        config, now = app.config(), app.now()
        night = last_night(now, config.timezone)
        if fields.get("night") != night.isoformat():
            return self.show(rater, pairing_hash, f"That form was for another night; this page asks about the night "
                             f"of {night:%A %-d %B}. Nothing was changed.", "409 Conflict")
        try:
            entry = services.rate(app.store, config, rater, night, fields.get("severity"), fields.get("frequency"),
                                  fields.get("woke"), fields.get("note"), now=now, via=VIA_PHONE).entry
        except UsageError as err:
            return self.show(rater, pairing_hash, f"Not recorded: {err}.", "400 Bad Request")
        return self.show(rater, pairing_hash, f"Recorded last night: {core.describe(entry)}.")

    def undo(self, rater: str, pairing_hash: str, fields: dict[str, str]) -> Response:
        """Take back her last answer; the form names its night, so an undo meant for one
        answer never takes back a newer one given elsewhere meanwhile."""
        app = self.app
        config, now = app.config(), app.now()
        try:
            with app.store.write():
                last = app.store.last_rating_event(rater)
                if last is None or _night_of(last) != fields.get("night"):
                    return self.show(rater, pairing_hash, "Your last answer has changed since this page was "
                                     "shown; nothing was taken back.", "409 Conflict")
                done = services.undo_rating(app.store, config, rater, now, VIA_PHONE)
        except UsageError as err:
            return self.show(rater, pairing_hash, f"Nothing was taken back: {err}.", "409 Conflict")
        now_text = core.describe(done.now) if done.now is not None else "no answer"
        return self.show(rater, pairing_hash, f"Took back your answer for the night of {done.undone.night:%A %-d %B}; "
                         f"that night now has: {now_text}.")


def _night_of(event) -> str:
    import json

    return json.loads(event["detail"])["night"]
