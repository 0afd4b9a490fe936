"""The daemon's side of the morning check-in: ask at `[checkin] time` with one-click
answers, ask again every `remind_every` until `until`, stop once answered.

The question's key is "checkin:<night>"; its buttons are "severity-0" … "severity-3"
(None / Mild / Moderate / Severe) and "full" (Answer in full…), which, like a click on
the body, opens the check-in window as its own process so the daemon never blocks on it.
"""

from __future__ import annotations

import logging
import subprocess
from datetime import date

from reminderd.core import checkin as core
from reminderd import services
from reminderd.daemon.shared import Shared, while_running
from reminderd.notify.base import DEFAULT, Reminder

log = logging.getLogger("reminderd")
FULL = "full"
SEVERITY_ACTION = "severity-"
BUTTONS = tuple((f"{SEVERITY_ACTION}{n}", label.capitalize()) for n, label in enumerate(core.SEVERITY))
JOB_ID = "checkin"


class MorningCheckin:
    """Needs only what the daemon's parts share (the config, log, notifier, clock, timers
    and lock), not the daemon."""

    def __init__(self, shared: Shared, window_command: list[str] | None = None) -> None:
        self.shared = shared
        self.window_command = window_command

    @while_running
    def tick(self) -> None:
        """Ask, wait or stop, as `checkin.checkin_decision` says; then set the next timer."""
        d = self.shared
        config, now = d.config, d.now()
        tz, settings = config.timezone, config.checkin
        night = core.last_night(now, tz)
        answered = d.store.checkin(night) is not None
        decision = core.checkin_decision(now, tz, settings, answered, d.store.last_checkin_asked(night))
        if isinstance(decision, core.Ask):
            d.store.checkin_asked(night, now)
            log.info("check-in: asking about the night of %s", night)
            d.notifier.show(self.question(night, decision.last))
            decision = core.checkin_decision(now, tz, settings, answered, now)
        if isinstance(decision, core.AskLater):
            run_at = decision.until
        else:
            if d.store.last_checkin_asked(night) is not None:
                d.notifier.close(key(night))
                if not answered and d.store.last_event_at("checkin-unanswered", night=night.isoformat()) is None:
                    d.store.add_event("checkin-unanswered", "daemon", now, None, {"night": night.isoformat()})
                    log.info("check-in: the night of %s was not answered; it can still be filled "
                                "in with `reminderd checkin --night %s`", night, night)
            run_at = core.next_checkin_at(now, tz, settings)
        d.scheduler.add_job(self.tick, "date", run_date=run_at, id=JOB_ID, replace_existing=True)

    def question(self, night: date, last: bool) -> Reminder:
        body = "One click is enough; \"Answer in full…\" asks everything."
        if last:
            body += " Last time this morning: answer later with `reminderd checkin`."
        return Reminder(
            key=key(night), title="How were your spasms last night?", body=body,
            actions=BUTTONS + ((FULL, "Answer in full…"),), urgency="normal",
            category="x-reminderd.core.checkin", cli_hint="Answer with: reminderd checkin",
        )

    def answer(self, night: date, action: str) -> None:
        """A button of the check-in question was pressed (any thread)."""
        d = self.shared
        if action.startswith(SEVERITY_ACTION) and action[len(SEVERITY_ACTION):].isdigit():
            with d.lock:
                if d.stopped:
                    return
                now = d.now()
                entry = services.checkin(d.store, d.config, night, int(action[len(SEVERITY_ACTION):]), now=now,
                                         via="notification").entry
                log.info("check-in: night of %s recorded from the notification: %s", night, core.describe(entry))
            d.notifier.close(key(night))
            self.tick()
        elif action in (FULL, DEFAULT):
            self.open_window(night)

    def open_window(self, night: date) -> None:
        if not self.window_command:
            return
        command = self.window_command + ["--night", night.isoformat()]
        try:
            # Its own process: Tk wants the main thread, and the daemon must not wait on it.
            subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
            log.info("check-in: opened the window for the night of %s", night)
        except OSError as err:
            log.error("check-in: could not open the window (%s); answer with `reminderd checkin`", err)


def key(night: date) -> str:
    return f"checkin:{night.isoformat()}"


def night_of(key_text: str) -> date | None:
    try:
        return date.fromisoformat(key_text.partition(":")[2])
    except ValueError:
        return None
