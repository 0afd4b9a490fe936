"""The daemon's side of what leaves the machine: escalation to his phone and alerts to
his contacts, sent through Apprise without ever holding up a reminder.

A message is recorded in `events` ("push-due", with its id) when it is decided, in the
same transaction as the dose change that caused it. Each try is recorded as it begins
("push-try") and its end as "push-sent", "push-failed" (tried again with back-off),
"push-unconfirmed" (it went out but no answer was seen: not sent again) or
"push-cancelled"; core/delivery.py has the rules. So each message goes out once, one
decided just before a stop goes out after the restart, and one whose try the daemon never
saw the end of (it was killed) is sent once more, marked. Sending happens on this module's
own thread, each try in a short-lived child (`deliver`), so Apprise never stays in the
daemon's memory and a slow server never delays the scheduler.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Callable

from reminderd.core import alerts, delivery
from reminderd.core.alerts import PUSH, Message
from reminderd.core.config.settings import Config, Contact, Medication, PushSettings, Rater
from reminderd.core.doses import Dose, Remind
from reminderd.core.words import (ESCALATE, NOT_RUNNING, NOTICE_SHOWN, PUSH_CANCELLED, PUSH_DUE, PUSH_FAILED,
                                  PUSH_SENT, PUSH_TRY, PUSH_UNCONFIRMED, RATER_ASK, RATER_PREFIX, SUMMARY, VIA_DAEMON)
from reminderd.push.deliver import Sender
from reminderd.push.urls import mask

if TYPE_CHECKING:
    from reminderd.daemon.shared import Shared
    from reminderd.store import Store

log = logging.getLogger("reminderd")
# The events that settle a message: it is not sent again.
SETTLED = (PUSH_SENT, PUSH_UNCONFIRMED, PUSH_CANCELLED)


def _never_raises(hook: Callable) -> Callable:
    """A hook runs inside the reminder's transaction: its failure must not undo it."""

    @functools.wraps(hook)
    def guarded(*args, **kwargs) -> None:
        try:
            hook(*args, **kwargs)
        except Exception:
            log.exception("push: %s failed; the reminder is not affected", hook.__name__)

    return guarded
# How long a stopping daemon waits for a send in flight, so that its answer is recorded
# (and not sent again by the next run); then the send is cut short and what it came to is
# recorded (CANCEL_WAIT_S), all well inside the unit's TimeoutStopSec (install.unit.STOP_TIMEOUT_S).
STOP_WAIT_S = 1.5
CANCEL_WAIT_S = 1.0
LATE_AT_START = timedelta(minutes=2)  # a dose this far past due at start fell due while stopped
# The longest wait for a retry due: its instant is on the wall clock, which may jump (a
# suspend), so the thread looks again at least this often while one is pending.
RETRY_LOOK_S = 5.0


def recipient(config: Config, to: str) -> PushSettings | Contact | Rater | None:
    if to == PUSH:
        return config.push
    if to.startswith(RATER_PREFIX):
        return config.rater(to[len(RATER_PREFIX):])
    return next((c for c in config.contacts if c.name == to), None)


def send(url: str, title: str, body: str, message_id: str, timeout: timedelta) -> tuple[bool, str]:
    """One try, for `notify-test`: (sent, what the server answered, the URL scrubbed out)."""
    result = Sender().send(url, title, body, message_id, timeout.total_seconds())
    return result.sent, result.answer


@dataclass
class _Pending:
    message: Message
    id: str  # core.delivery.message_id: the same on every try
    first_tried: datetime
    tries: int = 0
    failures: int = 0
    next_at: datetime | None = None
    repeat_of: datetime | None = None  # the cut-short try this one repeats


class Push:
    """Owned by the daemon; its hooks are called from the daemon's tick and refresh."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared  # the daemon's config, log, clock, timers and lock
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._if_away: list[Message] = []  # escalations that go only if he is away
        self._late_at_start: list[Dose] = []
        self._starting = True
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sender = Sender()
        self._said_empty = False  # "nothing left to send" logged since the last message
        self._replica_alerted: datetime | None = None  # the outage already alerted in this run

    @property
    def store(self) -> Store:
        return self.shared.store

    @property
    def config(self) -> Config:
        return self.shared.config

    # --- hooks from the daemon (inside its lock and the dose's transaction) ---------------

    @_never_raises
    def on_reminder(self, dose: Dose, med: Medication, now: datetime, decision: Remind) -> None:
        self._note_late_at_start([(dose, decision.number)], now)
        if self.config.push is not None:
            self._escalate(alerts.escalation(dose, med, self.config, now, decision), decision.number, now)

    @_never_raises
    def on_group_reminder(self, reminded: list[tuple[Dose, int]], title: str, body: str, now: datetime) -> None:
        """Doses due together were reminded in one notification (each with its number)."""
        self._note_late_at_start(reminded, now)
        if self.config.push is not None and reminded:
            self._escalate(alerts.group_escalation(reminded, title, body), max(n for _, n in reminded), now)

    def _note_late_at_start(self, reminded: list[tuple[Dose, int]], now: datetime) -> None:
        if self._starting:
            self._late_at_start += [d for d, n in reminded if n == 1 and now - d.due > LATE_AT_START]

    def _escalate(self, message: Message, number: int, now: datetime) -> None:
        if alerts.escalates(number, self.config.push.after_reminders, away=False):
            self._record(message, now)
        else:  # asking the screen saver takes a D-Bus round trip: done on the push thread
            with self._lock:
                self._if_away.append(message)
            if not self._starting:
                self._ensure_thread()
            self._wake.set()

    @_never_raises
    def on_missed(self, dose: Dose, med: Medication, now: datetime, reason: str, news: bool) -> None:
        """`news`: missed recently enough to tell (not days ago). Given up at start because
        no daemon ran: listed in the one not-running alert, if it is news (a row an older
        version left open weeks ago is given up at start too, and is not)."""
        if self._starting and reason == NOT_RUNNING:
            if news:
                self._late_at_start.append(dose)
        elif news:
            for message in alerts.missed_alerts(dose, med, self.config):
                self._record(message, now)

    # --- hooks from the replica's supervisor (its own thread) -----------------------------

    @_never_raises
    def on_replica_failing(self, since: datetime, error: str | None) -> None:
        """The replica failed again, as it has since `since`: past a day, one alert for the
        outage (its key names `since`, so a restart does not send it again)."""
        d = self.shared
        if since == self._replica_alerted or not alerts.replica_failing_too_long(since, d.now()):
            return  # most failures: nothing to read or write
        with d.lock:
            if d.stopped:
                return
            now = d.now()
            for message in alerts.replica_alerts(self.config, since, error, now):
                self._tell(message, now)
            self._replica_alerted = since

    @_never_raises
    def on_replica_working(self, since: datetime) -> None:
        """A write reached the replica again after failing since `since`: whoever was told
        of that outage is told it is over."""
        d = self.shared
        with d.lock:
            if d.stopped:
                return
            now = d.now()
            told = [json.loads(r["detail"])["to"] for r in self.store.events(
                PUSH_DUE, NOTICE_SHOWN, detail={"key": alerts.replica_alert_key(since)})]
            for message in alerts.replica_back(told, since, now, self.config.timezone):
                self._tell(message, now)

    def _tell(self, message: Message, now: datetime) -> None:
        """Sent, or, to him without a phone, shown on the desktop: either once, as the log
        remembers (a notice is recorded as NOTICE_SHOWN, with its key and to whom)."""
        if message.to != alerts.DESKTOP:
            self._record(message, now)
        elif self.store.last_event_at(NOTICE_SHOWN, key=message.key) is None:
            self.store.add_event(NOTICE_SHOWN, VIA_DAEMON, now, None,
                                 {"key": message.key, "to": message.to, "kind": message.kind, "title": message.title})
            log.info("push: %s shown on the desktop (no [push] set)", message.kind)
            self.shared.show_plain(message.key, message.title, message.body)

    @_never_raises
    def started(self, now: datetime) -> None:
        """After the first look at the doses: the messages left by the last run, one
        not-running alert, the summaries due, and then the sending thread."""
        left = self._resume(now)
        for message in alerts.not_running_alerts(self._late_at_start, self.config, now):
            self._record(message, now)
        self._late_at_start = []
        if self.config.push or self.config.contacts or self._raters_asked():
            log.info("push: %d recipient(s); %d message(s) left from the last run", len(targets(self.config)), left)
        self.plan_daily()
        self._starting = False
        if self._pending or self._if_away or self.config.push or self.config.contacts or self._raters_asked():
            self._ensure_thread()

    @_never_raises
    def plan_daily(self) -> None:
        """Send the summaries due and not yet sent (those missed while the daemon was not
        running folded into one, saying so), and a rater's morning message; set each one's
        next timer."""
        d = self.shared
        with d.lock:
            if d.stopped:
                return
            now, tz = d.now(), self.config.timezone
            for contact in alerts.contacts_for(self.config, SUMMARY):
                days = alerts.summaries_owed(contact, self._last_summary_day(contact.name), now, tz)
                if days:  # none that the log already has
                    self._record(self._summary(contact, days, now), now)
                d.scheduler.add_job(self.plan_daily, "date", run_date=alerts.next_summary_at(contact, now, tz),
                                    id=f"summary:{contact.name}", replace_existing=True)
            for rater in self._raters_asked():
                night = alerts.rater_ask_due(rater, now, tz)
                if night is not None and self.store.rating(rater.name, night) is None:
                    self._record(alerts.rater_ask(rater, night, d.page_url(self.config)), now)
                d.scheduler.add_job(self.plan_daily, "date", run_date=alerts.next_daily(rater.time, now, tz),
                                    id=f"{RATER_PREFIX}{rater.name}", replace_existing=True)

    def _raters_asked(self) -> list[Rater]:
        """The raters asked by a message (the others open their page themselves)."""
        return [r for r in self.config.raters if r.url]

    def _ensure_thread(self) -> None:
        """The sending thread, started once there is anyone to send to (none otherwise)."""
        if self._thread is None and not self._stop.is_set():
            self._thread = threading.Thread(target=self._run, name="push", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Send nothing more; wait up to STOP_WAIT_S for a send in flight to be answered,
        then cut it short: either way what it came to is recorded (see core/delivery)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
            if self._thread.is_alive():
                self._sender.cancel()
                self._thread.join(CANCEL_WAIT_S)

    # --- recording ----------------------------------------------------------------------

    def _recorded(self, key: str, to: str) -> bool:
        return self.store.last_event_at(PUSH_DUE, key=key, to=to) is not None

    def _record(self, message: Message, now: datetime) -> None:
        if self._recorded(message.key, message.to):
            return
        message_id = delivery.message_id(message.key, message.to, now)
        self.store.add_event(PUSH_DUE, VIA_DAEMON, now, message.dose_id,
                             {"key": message.key, "to": message.to, "kind": message.kind, "id": message_id,
                              "title": message.title, "body": message.body} | alerts.what_it_names(message))
        with self._lock:
            self._pending[(message.key, message.to)] = _Pending(message, message_id, now, next_at=now)
            self._said_empty = False
        if not self._starting:
            self._ensure_thread()
        self._wake.set()

    def _resume(self, now: datetime) -> int:
        """Messages recorded but not settled (the last run stopped first): sent now, or, if
        the last run was killed during a try, once more as a repeat (core/delivery)."""
        left = 0
        by_message: dict[tuple[str, str], list[dict]] = {}
        for e in self._events((PUSH_DUE, PUSH_TRY, PUSH_FAILED) + SETTLED, now - delivery.GIVE_UP_AFTER):
            by_message.setdefault((e["key"], e["to"]), []).append(e)
        for (key, to), events in by_message.items():
            due = next((e for e in events if e["event"] == PUSH_DUE), None)
            if due is None or any(e["event"] in SETTLED for e in events) or (key, to) in self._pending:
                continue
            ended = {e["try"] for e in events if e["event"] == PUSH_FAILED}
            tries = [delivery.Try(e["try"], e["at"], bool(e.get("repeat")), e["try"] in ended)
                     for e in events if e["event"] == PUSH_TRY]
            then = delivery.resume(tries)
            message = alerts.named(Message(key, to, due["kind"], due["title"], due["body"], due["dose_id"]), due)
            if not then.send:
                self._settle_now(message, PUSH_UNCONFIRMED, now, {
                    "error": "its repeat was cut short too (reminderd was killed twice while sending it); "
                             "not sent a third time", "try": then.tries})
                continue
            left += 1
            with self._lock:
                self._pending[(key, to)] = _Pending(message, due.get("id") or delivery.message_id(key, to, due["at"]),
                                                    due["at"], then.tries, then.failures, now, then.repeat_of)
                self._said_empty = False
        return left

    def _events(self, kinds: tuple[str, ...], since: datetime) -> list[dict]:
        from reminderd.store import from_iso

        rows = self.store.events(*kinds, since=since)
        return [json.loads(r["detail"]) | {"at": from_iso(r["at"]), "dose_id": r["dose_id"], "event": r["kind"]}
                for r in rows]

    def _last_summary_day(self, to: str) -> date | None:
        rows = self.store.events(PUSH_DUE, detail={"to": to, "kind": SUMMARY}, newest_first=True, limit=1)
        return alerts.summary_day(json.loads(rows[0]["detail"])["key"]) if rows else None

    def _summary(self, contact: Contact, days: list[date], now: datetime) -> Message:
        from reminderd import services
        from reminderd.core.checkin import describe

        history = services.history_of(self.store, self.config)
        summary_days = []
        for day in days:
            night = self.store.checkin(day - timedelta(days=1))
            # The day's doses as the one plan has them, as status and the report show them.
            doses = tuple(p.dose for p in services.doses_on(self.store, self.config, day, history))
            summary_days.append(alerts.SummaryDay(day, doses, describe(night) if night else None))
        return alerts.summary_message(contact, summary_days, self.config, now)

    # --- the sending thread -------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._escalate_if_away()
                self._send_due()
                self._say_if_empty()
            except Exception:  # a bug here must not end the sending for good
                log.exception("push: sending failed")
            # A message, a stop or an escalation sets `_wake`; with nothing to send the wait
            # has no timeout, so at rest the thread never wakes.
            self._wake.wait(self.wait_s(self.shared.now()))
            self._wake.clear()

    def _say_if_empty(self) -> None:
        """Logged once each time every message recorded has been sent or settled (and at
        start): the moment after which nothing more goes out until something new."""
        with self._lock:
            empty = not self._pending
            if not empty:
                self._said_empty = False
                return
            if self._said_empty:
                return
            self._said_empty = True
        log.info("push: nothing left to send")

    def wait_s(self, now: datetime) -> float | None:
        """How long the sending thread may wait: until the first retry is due (from 1 s to
        RETRY_LOOK_S), not at all for an escalation that waits on the screen, and with
        nothing to send without a timeout (None)."""
        with self._lock:
            if self._if_away:
                return 0.0
            due = [p.next_at for p in self._pending.values() if p.next_at is not None]
        if not due:
            return None
        # At least a second: a retry that failed in a way that left it due is not a busy loop.
        return min(RETRY_LOOK_S, max(1.0, (min(due) - now).total_seconds()))

    def _escalate_if_away(self) -> None:
        with self._lock:
            waiting, self._if_away = self._if_away, []
        if not waiting:
            return
        from reminderd.push.away import is_away

        if not is_away():
            return
        log.info("push: away from the screen; the reminder goes to the phone too")
        with self.shared.lock:
            if self.shared.stopped:
                return
            now = self.shared.now()
            for message in waiting:
                if self._still_wanted(message):
                    self._record(message, now)

    def _still_wanted(self, message: Message) -> bool:
        """An escalation for a dose answered meanwhile, or a rater's question about a night
        she has rated meanwhile, would only be noise."""
        if message.kind == RATER_ASK:
            night = date.fromisoformat(message.key.partition(":")[2])
            return self.store.rating(message.to[len(RATER_PREFIX):], night) is None
        if message.kind != ESCALATE or message.dose_id is None:
            return True
        dose = self.store.dose(message.dose_id)
        return dose is not None and dose.open

    def _send_due(self) -> None:
        now = self.shared.now()
        with self._lock:
            due = [p for p in self._pending.values() if p.next_at is not None and p.next_at <= now]
        for pending in sorted(due, key=lambda p: p.first_tried):
            if self._stop.is_set():
                return
            self._try(pending)

    def _try(self, pending: _Pending) -> None:
        message = pending.message
        where = "your phone" if message.to == PUSH else message.to
        target = recipient(self.config, message.to)
        with self.shared.lock:
            if self.shared.stopped:
                return
            if target is None or target.url is None or not self._still_wanted(message):
                gone = target is None or target.url is None
                self._settle_now(message, PUSH_CANCELLED, self.shared.now(),
                                 {"reason": "no longer configured" if gone else "answered before it was sent"})
                return
            pending.tries += 1
            self.store.add_event(PUSH_TRY, VIA_DAEMON, self.shared.now(), message.dose_id,
                                 {"key": message.key, "to": message.to, "try": pending.tries,
                                  "repeat": pending.repeat_of is not None})
        body = message.body
        if pending.repeat_of is not None:
            body += "\n\n" + delivery.repeat_note(pending.repeat_of, self.config.timezone)
        result = self._sender.send(target.url, message.title, body, pending.id, target.timeout.total_seconds())
        what = f"{message.kind} to {where} ({mask(target.url)}, id {pending.id})"
        if result.sent:
            self._settle(pending, PUSH_SENT, {"answer": result.answer, "try": pending.tries})
            log.info("push: %s sent: %s", what, result.answer)
            return
        if result.outcome == delivery.UNCONFIRMED:
            error = f"{result.answer}; not sent again (it may have arrived, and a repeat would arrive twice)"
            self._settle(pending, PUSH_UNCONFIRMED, {"error": error, "try": pending.tries})
            log.error("push: %s not confirmed, try %d: %s", what, pending.tries, error)
            return
        pending.failures += 1
        now = self.shared.now()
        retry = delivery.next_try(pending.first_tried, pending.failures, now)
        with self.shared.lock:
            if self.shared.stopped:  # the answer came as the daemon stopped: the next run retries
                return
            self.store.add_event(PUSH_FAILED, VIA_DAEMON, now, message.dose_id,
                                 {"key": message.key, "to": message.to, "error": result.answer,
                                  "outcome": result.outcome, "try": pending.tries})
        log.error("push: %s failed, try %d: %s; %s", what, pending.tries, result.answer,
                  f"trying again at {retry.astimezone(self.config.timezone):%H:%M:%S}" if retry else "given up")
        if retry is None:
            self._settle(pending, PUSH_CANCELLED, {"reason": f"not sent after {pending.failures} tries"})
        else:
            pending.next_at = retry

    def _settle(self, pending: _Pending, kind: str, detail: dict) -> None:
        with self.shared.lock:
            if self.shared.stopped:  # not recorded: the next run sends it again (see `_resume`)
                return
            self._settle_now(pending.message, kind, self.shared.now(), detail)

    def _settle_now(self, message: Message, kind: str, now: datetime, detail: dict) -> None:
        self.store.add_event(kind, VIA_DAEMON, now, message.dose_id, {"key": message.key, "to": message.to} | detail)
        with self._lock:
            self._pending.pop((message.key, message.to), None)


def last_failure(store: Store) -> tuple[datetime, str, str, bool] | None:
    """For `status`: (when, to whom, the error, whether that recipient got one since). An
    unconfirmed message counts: its error says that it may have arrived."""
    from reminderd.store import from_iso

    rows = store.events(PUSH_FAILED, PUSH_UNCONFIRMED, newest_first=True, limit=1)
    if not rows:
        return None
    detail = json.loads(rows[0]["detail"])
    later = store.events(PUSH_SENT, after_id=rows[0]["id"], detail={"to": detail["to"]}, limit=1)
    return from_iso(rows[0]["at"]), detail["to"], detail["error"], bool(later)


def targets(config: Config) -> list[tuple[str, str, str]]:
    """(recipient, its URL, what it gets) for each configured one, for the CLI."""
    out = []
    if config.push and config.push.url:
        out.append((PUSH, config.push.url, f"reminders from the {_nth(config.push.after_reminders)} on, "
                                            "or the first while the screen is locked or idle"))
    for c in config.contacts:
        if c.url:
            gets = ", ".join(f"summary at {c.summary_time:%H:%M}" if a == SUMMARY else a for a in c.alerts)
            out.append((c.name, c.url, gets))
    for r in config.raters:
        if r.url:
            out.append((RATER_PREFIX + r.name, r.url, f"the link to her page at {r.time:%H:%M}, until "
                                                              f"{r.until:%H:%M}, unless she has rated the night"))
    return out


def describe(config: Config) -> list[str]:
    """One line per recipient, the URL masked: for `status` and `check-config`."""
    return [f"{_recipient(to)}: {mask(url)} ({gets})" for to, url, gets in targets(config)]


def _recipient(to: str) -> str:
    if to == PUSH:
        return "push to your phone"
    if to.startswith(RATER_PREFIX):
        return "rater " + to[len(RATER_PREFIX):]
    return "contact " + to


def _nth(n: int) -> str:
    return f"{n}{'st' if n % 10 == 1 and n != 11 else 'nd' if n % 10 == 2 and n != 12 else 'rd' if n % 10 == 3 and n != 13 else 'th'}"


def url_keys(config: Config) -> dict[str, str]:
    """Each configured URL by the config key it came from, for error messages."""
    keys = {}
    for path, target in [("push", config.push)] + [(f"contact[{i}]", c) for i, c in enumerate(config.contacts)] \
            + [(f"rater[{i}]", r) for i, r in enumerate(config.raters)]:
        if target is not None and target.url:
            keys[f"{path}.{'url_file' if target.url_file else 'url'}"] = target.url
    return keys


def check_urls(config: Config) -> list[str]:
    """Problems with URLs Apprise cannot use, each naming its key, the URL masked."""
    from reminderd.push.send import unusable
    from reminderd.push.urls import URL_EXPECTED

    keys = url_keys(config)
    return [f'{key}: "{mask(keys[key])}" is not valid; expected a service Apprise knows, with all its parts: '
            f"{URL_EXPECTED} (see https://github.com/caronc/apprise/wiki)" for key in unusable(keys)]
