"""The page as a WSGI application: who may see it (the Host it is asked under, the phone's
credential in a cookie, and its role), what a post may change (one-use form tokens, same
origin), and the answers, given to the same functions the CLI and the notification buttons
use (`services.take_dose/skip_dose/snooze_dose`, `services.checkin`).

Routes: GET /pair/CODE (asks "Pair this phone?"), POST /pair (spends the code, sets the
phone's own credential, then to /), and then by the credential's role: his phone GET /,
POST /dose, POST /checkin; a rater's phone her own page (`reminderd.remote.rater`): GET /,
POST /rating, POST /rating/undo. Whoever is not paired gets one short refusal, the same
whatever was tried; a paired phone asking for the other page's route is refused too.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import parse_qs

from reminderd.core import checkin as core
from reminderd import services
from reminderd.core.config.settings import Config, RemoteSettings
from reminderd.core.doses import Dose
from reminderd.core.words import AS_NEEDED_SLOT, PATIENT, RATER_PREFIX, SKIP, SKIPPED_FROM_PHONE, SNOOZE, TAKE, VIA_PHONE
from reminderd.errors import ReminderdError, TooCloseError, UsageError
from reminderd.reminding import off_banner
from reminderd.remote import page, pairing
from reminderd.remote.guard import Failures, FormTokens, Throttled, allowed_hosts, host_allowed
from reminderd.remote.rater import RaterPage
from reminderd.store import Store

log = logging.getLogger("reminderd")
COOKIE = "reminderd"
COOKIE_AGE_S = 365 * 24 * 3600
MAX_BODY = 2048  # the largest form is a few hundred bytes
MAX_FIELDS = 8
REFUSAL_TITLE = "Not paired"
REFUSAL_TEXT = "Pair this phone by scanning the code that `reminderd pair` shows on the computer."
REFUSALS_LOGGED_EVERY_S = 60.0  # under a flood, one line a minute says how many were refused
Response = tuple[str, list[tuple[str, str]], bytes]
# Routes of one role's page that the other's credential is refused on (not "not found").
OTHER_ROUTES = frozenset({"/dose", "/checkin", "/rating", "/rating/undo"})


def security_headers(https: bool) -> list[tuple[str, str]]:
    headers = [
        ("Cache-Control", "no-store"),
        ("Content-Security-Policy", f"default-src 'none'; style-src '{page.STYLE_HASH}'; form-action 'self'; "
                                    "frame-ancestors 'none'; base-uri 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),  # "no-referrer" would make the browser send "Origin: null"
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]
    return headers


class PageApp:
    def __init__(self, config: Callable[[], Config], db_path: Path, now: Callable[[], datetime],
                 settings: RemoteSettings, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.db_path = Path(db_path)
        self.now = now
        self.https = settings.https
        self.hosts = allowed_hosts(settings)
        self.monotonic = monotonic
        self.pairings = pairing.Pairings(self.db_path)
        self.rater_page = RaterPage(self)
        self.failures = Failures()
        self.forms = FormTokens()
        self.refusals = Throttled(log.info, REFUSALS_LOGGED_EVERY_S, monotonic)
        self._store: Store | None = None
        self._store_lock = threading.Lock()

    @property
    def store(self) -> Store:
        # Its own connection: the daemon sees the page's answers as it sees the CLI's.
        with self._store_lock:
            if self._store is None:
                self._store = Store.open(self.db_path)
            return self._store

    def close(self) -> None:
        with self._store_lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            status, headers, body = self.handle(environ)
        except Exception as err:  # a bug answers 500 and is logged; the daemon goes on reminding
            # Where it failed, never the error's text: that may quote the form, and the log
            # never holds a request's body or a form token.
            log.error("remote page: error answering a request: %s at %s", type(err).__name__, _where(err))
            status, headers, body = "500 Internal Server Error", [], _html(page.short_page(
                "Something went wrong", "Nothing was changed. The daemon's log says why."))
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))] + \
            headers + security_headers(self.https)
        start_response(status, headers)
        return [body]

    # --- who is asking -----------------------------------------------------------

    def handle(self, environ: dict) -> Response:
        address = environ.get("REMOTE_ADDR", "")
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        if not host_allowed(environ.get("HTTP_HOST", ""), environ.get("SERVER_NAME", ""), self.hosts):
            # Another name for this address (DNS rebinding): not a guess, so not counted.
            return _bad("This page is not served under that name.", "421 Misdirected Request")
        clock = self.monotonic()
        if self.failures.locked(address, clock):
            return _refusal()
        if path == "/pair" or path.startswith("/pair/"):
            return self.pair(environ, method, path, address, clock)
        secrets = _cookies(environ.get("HTTP_COOKIE", ""))
        phone = self.pairings.phone(*secrets)
        routes = self._routes(phone.role) if phone is not None else None
        if routes is None:
            return self._refuse(address, clock, counted=bool(secrets) and phone is None)
        self.failures.succeeded(address)
        self.pairings.seen(phone, self.now())
        if path not in routes:
            if path in OTHER_ROUTES:  # the other role's page: his phone cannot answer as her, nor hers as him
                self.refusals("remote page: refused %s to the phone called %r (not its page)", path, phone.name)
                return "403 Forbidden", [], _html(page.short_page(
                    "Not this phone’s page", "This phone is paired for another page; nothing was changed.",
                    link=False))
            return "404 Not Found", [], _html(page.short_page("Not found", "There is no such page."))
        wanted, handler = routes[path]
        if method != wanted:
            return _method_not_allowed(wanted)
        if method == "POST":
            fields, refusal = self._form(environ, phone.hash, clock)
            if refusal is not None:
                return refusal
            return handler(phone.hash, fields)
        return handler(phone.hash, {})

    def _routes(self, role: str) -> dict | None:
        """What a credential of `role` may open: his page, or a configured rater's own."""
        if role == PATIENT:
            return {"/": ("GET", self.show), "/dose": ("POST", self.answer_dose),
                    "/checkin": ("POST", self.answer_checkin)}
        rater = self.config().rater(role[len(RATER_PREFIX):]) if role.startswith(RATER_PREFIX) else None
        return None if rater is None else self.rater_page.routes(rater.name)

    def _refuse(self, address: str, clock: float, counted: bool) -> Response:
        """The one refusal. Only a wrong credential counts towards a lock-out: a request
        with none (another site's, which carries no SameSite=Strict cookie) never does."""
        if counted:
            self.failures.failed(address, clock)
        self.refusals("remote page: refused a request from %s", address)
        return _refusal()

    def pair(self, environ: dict, method: str, path: str, address: str, clock: float) -> Response:
        """GET /pair/CODE asks "Pair this phone?" (a link preview or a prefetch spends
        nothing); its POST /pair spends the code and gives this browser its own credential."""
        now = self.now()
        if method == "GET" and path.startswith("/pair/"):
            code = self.pairings.code(path[len("/pair/"):], now)
            if code is None:
                return self._refuse(address, clock, counted=True)
            rater = code.role[len(RATER_PREFIX):] if code.role.startswith(RATER_PREFIX) else None
            return "200 OK", [], _html(page.pairing_page(code.name, path[len("/pair/"):], rater))
        if method != "POST" or path != "/pair":
            return _method_not_allowed("POST" if path == "/pair" else "GET")
        fields, refusal = _read_form(environ)
        if refusal is not None:
            return refusal
        if (elsewhere := self._from_elsewhere(environ)) is not None:
            return self._forged(environ, f"from {elsewhere}")
        redeemed = self.pairings.redeem(fields.get("code"), now)
        if redeemed is None:
            return self._refuse(address, clock, counted=True)
        secret, phone = redeemed
        self.failures.succeeded(address)
        log.info("remote page: paired the phone called %r", phone.name)
        cookie = (f"{COOKIE}={secret}; Path=/; Max-Age={COOKIE_AGE_S}; HttpOnly; SameSite=Strict"
                  + ("; Secure" if self.https else ""))
        return "303 See Other", [("Location", "/"), ("Set-Cookie", cookie)], _html(
            page.short_page("Paired", "This phone is paired."))

    def _form(self, environ: dict, pairing_hash: str, clock: float) -> tuple[dict[str, str], Response | None]:
        """The posted fields, once the post is shown to come from a page this server gave."""
        fields, refusal = _read_form(environ)
        if refusal is not None:
            return {}, refusal
        elsewhere = self._from_elsewhere(environ)
        # Spent even when the origin is wrong: a token seen by another site is used up.
        fresh = self.forms.spend(fields.get("form", ""), pairing_hash, clock)
        if elsewhere is not None or not fresh:
            return {}, self._forged(environ, f"from {elsewhere}" if elsewhere else "form already used or unknown")
        return fields, None

    def _from_elsewhere(self, environ: dict) -> str | None:
        """Where a post came from, when the browser says it was another site."""
        scheme = "https" if self.https else "http"
        origin, site = environ.get("HTTP_ORIGIN"), environ.get("HTTP_SEC_FETCH_SITE")
        if origin is not None and origin != f"{scheme}://{environ.get('HTTP_HOST', '')}":
            return origin
        if site is not None and site not in ("same-origin", "none"):
            return site
        return None

    def _forged(self, environ: dict, why: str) -> Response:
        self.refusals("remote page: refused a post from %s (%s)", environ.get("REMOTE_ADDR", ""), why)
        return "403 Forbidden", [], _html(page.short_page(
            "Nothing was changed", "This form was already sent, is out of date, or did not come from "
            "this page. Open the page again and answer there."))

    # --- the page and the answers ----------------------------------------------------

    def show(self, pairing_hash: str, fields: dict[str, str], message: str | None = None,
             status: str = "200 OK") -> Response:
        config, now = self.config(), self.now()
        tz = config.timezone
        with self.store.write():  # one consistent reading of the log
            views = self._dose_views(config, now)
            night = core.last_night(now, tz)
            checkin = self.store.checkin(night)
            off = off_banner(self.store, self.db_path, now, tz)  # as `reminderd status` says it
        text = page.render(today=now.astimezone(tz).date(), doses=views, night=night, checkin=checkin,
                           form_token=self.forms.issue(pairing_hash, self.monotonic()), now=now, tz=tz,
                           message=message, banner=off)
        return status, [], _html(text)

    def _dose_views(self, config: Config, now: datetime) -> list[page.DoseView]:
        """Today's doses as the one plan has them (`status` shows the same); the one each
        medication would answer now gets its buttons (it may be yesterday's late dose, a
        slot whose row the daemon has not made yet, or a dose of a medication the running
        config lacks: taken off it after the dose was due, or added and recorded by a
        command before the daemon reloaded). Only these doses are ever answered here."""
        today = now.astimezone(config.timezone).date()
        doses = {page.dose_key(p.dose): p.dose for p in services.doses_on(self.store, config, today)
                 if not p.med.as_needed and not p.dose.slot.startswith(AS_NEEDED_SLOT)}
        actions: dict[str, tuple[str, ...]] = {}
        for current in (p.dose for p in services.answerable(self.store, config, now)):
            key = page.dose_key(current)
            doses.setdefault(key, current)
            can_snooze = bool(current.id) and current.open and current.due <= now  # one being reminded
            actions[key] = (TAKE, SNOOZE, SKIP) if can_snooze else (TAKE, SKIP)
        return [page.DoseView(d, actions.get(k, ())) for k, d in sorted(doses.items(), key=lambda kv: kv[1].due)]

    def answer_dose(self, pairing_hash: str, fields: dict[str, str]) -> Response:
        config, now = self.config(), self.now()
        action, key = fields.get("action", ""), fields.get("dose", "")
        name, _, rest = key.partition("|")
        day_text, _, slot = rest.partition("|")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            day = None
        # The name is not looked up in the running config: the page's own doses (the one
        # plan's) are the only ones answered, whatever config the daemon runs on.
        if action not in page.ACTION_LABELS or not name or day is None or not slot:
            return _bad("That answer could not be read; nothing was changed.")
        tz = config.timezone
        try:
            with self.store.write():
                row = self.store.dose_at(name, day, slot)
                if row is not None and row.answered:
                    when = f" at {row.taken_at.astimezone(tz):%H:%M}" if row.taken_at else ""
                    return self.show(pairing_hash, {}, f"The {slot} dose of {row.medication} was already "
                                     f"{row.status}{when}; nothing was changed.", "409 Conflict")
                views = {page.dose_key(v.dose): v for v in self._dose_views(config, now)}
                view = views.get(key)
                if view is None or action not in view.actions:
                    # Named as the page named it: a name the page never showed is not echoed.
                    what = f"The {slot} dose of {view.dose.medication}" if view else "That dose"
                    return self.show(pairing_hash, {}, f"{what} cannot be answered "
                                     f"{page.ACTION_LABELS[action].lower()} now; nothing was changed.", "409 Conflict")
                message = self._answer(config, view.dose, action, now)
        except TooCloseError as err:  # the phone has no --force
            return self.show(pairing_hash, {}, f"Not recorded: {err.fact}.", "409 Conflict")
        except ReminderdError as err:
            return self.show(pairing_hash, {}, f"Not recorded: {err}.", "409 Conflict")
        return self.show(pairing_hash, {}, message)

    def _answer(self, config: Config, dose: Dose, action: str, now: datetime) -> str:
        tz, store = config.timezone, self.store
        if action == TAKE:
            # A slot with no row yet (id 0) is answered by its time, which makes the row.
            answer = services.take_dose(store, config, dose.id, now, VIA_PHONE) if dose.id else \
                services.take(store, config, dose.medication, now, now, via=VIA_PHONE)
            d = answer.dose
            note = f" Note: the next dose is near. {answer.advice}" if answer.advice else ""
            return f"Recorded: {d.medication} {d.dose}, {d.slot} dose taken at {d.taken_at.astimezone(tz):%H:%M}.{note}"
        if action == SKIP:
            d = (services.skip_dose(store, config, dose.id, now, VIA_PHONE, SKIPPED_FROM_PHONE) if dose.id else
                 services.skip(store, config, dose.medication, now, now, SKIPPED_FROM_PHONE, via=VIA_PHONE)).dose
            return f"Recorded: {d.medication} {d.slot} dose skipped."
        d = services.snooze_dose(store, config, dose.id, now, VIA_PHONE).dose
        return f"Snoozed: {d.medication} {d.slot} dose, reminding again at {d.snoozed_until.astimezone(tz):%H:%M}."

    def answer_checkin(self, pairing_hash: str, fields: dict[str, str]) -> Response:
        config, now = self.config(), self.now()
        tz = config.timezone
        night = core.last_night(now, tz)
        if fields.get("night") != night.isoformat():
            return self.show(pairing_hash, {}, f"That form was for another night; this page asks about the "
                             f"night of {night:%A %-d %B}. Nothing was changed.", "409 Conflict")
        detail = "frequency" in fields or "woke" in fields
        marking = "other_cause" in fields  # the one-tap "anything else?" changes nothing else
        try:
            with self.store.write():
                previous = self.store.checkin(night)
                kept = previous is not None and (detail or marking)
                note = previous.note if kept else None  # a note typed elsewhere stays
                frequency, woke = ((previous.frequency, previous.woke) if marking and previous is not None
                                   else (fields.get("frequency"), fields.get("woke")))
                other = fields["other_cause"] if marking else previous and previous.other_cause
                entry = services.checkin(self.store, config, night, fields.get("severity"), frequency, woke, note,
                                         other, now=now, via=VIA_PHONE).entry
        except UsageError as err:
            return self.show(pairing_hash, {}, f"Not recorded: {err}.", "400 Bad Request")
        return self.show(pairing_hash, {}, f"Recorded last night: {core.describe(entry)}.")


def _read_form(environ: dict) -> tuple[dict[str, str], Response | None]:
    """A small url-encoded form, each field once; or the refusal."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}, _bad("Expected a form.", "415 Unsupported Media Type")
    try:
        length = int(environ.get("CONTENT_LENGTH") or "0")
    except ValueError:
        length = -1
    if not 0 <= length <= MAX_BODY:
        return {}, _bad("The form is too large.", "413 Content Too Large")
    raw = environ["wsgi.input"].read(length)
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True,
                          max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}, _bad("The form could not be read.")
    if any(len(values) != 1 for values in parsed.values()):
        return {}, _bad("The form could not be read.")
    return {k: v[0] for k, v in parsed.items()}, None


def _where(err: BaseException) -> str:
    """The frames an error passed through, innermost last: file, line and function only."""
    return " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                      for f in reversed(traceback.extract_tb(err.__traceback__)))


def _cookies(header: str) -> list[str]:
    """Every value of the page's cookie: a browser sends one per path that matches, the
    longest path first, so a cookie another page on this host set for /dose would come
    before the phone's own and must not hide it."""
    values = []
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            values.append(value)
    return values


def _html(text: str) -> bytes:
    return text.encode("utf-8")


def _refusal() -> Response:
    return "403 Forbidden", [], _html(page.short_page(REFUSAL_TITLE, REFUSAL_TEXT, link=False))


def _bad(text: str, status: str = "400 Bad Request") -> Response:
    return status, [], _html(page.short_page("Nothing was changed", text))


def _method_not_allowed(allowed: str = "GET") -> Response:
    return "405 Method Not Allowed", [("Allow", allowed)], _html(page.short_page(
        "Nothing was changed", "Answers are sent with the page's buttons."))
