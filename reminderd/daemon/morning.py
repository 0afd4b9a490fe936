"""The daemon's side of the morning check-in: ask at `[checkin] time`, ask again every
`remind_every` until `until`, stop once answered.

The question is a notification keyed "checkin:<night>" that asks the steps of
`core.checkin.STEPS` one at a time: severity first (None / Mild / Moderate / Severe),
recorded at once, then how often and how many times spasms woke him, and whether anything
else could explain the night, each added to the night's answer as it comes. A step's buttons are "<question>-<value>" ("severity-2",
"woke-1") and "full" (Answer in full…), which opens the check-in window as its own process
so the daemon never blocks on it. The click on the notification is the notifier's own:
it shows the question again, never answers it.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from datetime import date

from reminderd import services
from reminderd.core import checkin as core
from reminderd.core.words import ANSWER_IN_FULL, CHECKIN_UNANSWERED, VIA_DAEMON, VIA_NOTIFICATION
from reminderd.daemon.shared import Shared, while_running
from reminderd.notify.base import Reminder

log = logging.getLogger("reminderd")
FULL_LABEL = "Answer in full…"
JOB_ID = "checkin"
CHECKIN_PREFIX = "checkin:"  # the question's notification is "checkin:<night>"


class MorningCheckin:
    """Needs only what the daemon's parts share (the config, log, notifier, clock, timers
    and lock), not the daemon."""

    def __init__(self, shared: Shared, window_command: list[str] | None = None) -> None:
        self.shared = shared
        self.window_command = window_command
        # The night whose later questions are on screen: answered, yet not to be withdrawn.
        self.following: date | None = None

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
            if self.following not in (None, night):  # yesterday's last questions are over
                d.notifier.close(key(self.following))
                self.following = None
            d.store.checkin_asked(night, now)
            log.info("check-in: asking about the night of %s", night)
            d.notifier.show(self.question(night, core.STEPS[0], last=decision.last))
            decision = core.checkin_decision(now, tz, settings, answered, now)
        if isinstance(decision, core.AskLater):
            run_at = decision.until
        else:
            if d.store.last_checkin_asked(night) is not None and self.following != night:
                d.notifier.close(key(night))
                if not answered and d.store.last_event_at(CHECKIN_UNANSWERED, night=night.isoformat()) is None:
                    d.store.add_event(CHECKIN_UNANSWERED, VIA_DAEMON, now, None, {"night": night.isoformat()})
                    log.info("check-in: the night of %s was not answered; it can still be filled "
                             "in with `reminderd checkin --night %s`", night, night)
            run_at = core.next_checkin_at(now, tz, settings)
        d.scheduler.add_job(self.tick, "date", run_date=run_at, id=JOB_ID, replace_existing=True)

    def question(self, night: date, step: core.Step, last: bool = False,
                 answers: core.Checkin | None = None) -> Reminder:
        """A step of the check-in as a notification: its answers, then "Answer in full…"."""
        first = step is core.STEPS[0]
        title = "How were your spasms last night?" if first else step.question.prompt
        if answers is None:
            body = "One click is enough; \"Answer in full…\" asks everything."
        else:
            left = core.questions_left(answers, step)
            more = "One more question" if left == 1 else f"{left} more questions"
            body = f"Recorded: {core.describe(answers)}. {more}, or close this."
        if last:
            body += " Last time this morning: answer later with `reminderd checkin`."
        buttons = tuple((f"{step.question.key}-{value}", label) for value, label in step.choices)
        return Reminder(
            key=key(night), title=title, body=body, actions=buttons + ((ANSWER_IN_FULL, FULL_LABEL),),
            urgency="normal" if first else "critical",  # a later question follows a click: shown expanded
            category="x-reminderd.core.checkin", cli_hint="Answer with: reminderd checkin",
        )

    def answer(self, night: date, action: str) -> None:
        """A button of the check-in was pressed (any thread): recorded, then the next step."""
        if action == ANSWER_IN_FULL:
            self.open_window(night)
            return
        question, _, value = action.rpartition("-")
        step = core.step_named(question)
        if step is None or not value.isdigit():
            return
        d = self.shared
        with d.lock:
            if d.stopped:
                return
            entry = self._record(night, step, int(value))
            log.info("check-in: night of %s recorded from the notification: %s", night, core.describe(entry))
            following = core.next_step(entry, after=step.question.key)
            self.following = night if following is not None else None
            if following is None:
                d.notifier.close(key(night))
            self.tick()
            if following is not None:
                d.notifier.show(self.question(night, following, answers=entry))

    def _record(self, night: date, step: core.Step, value: int) -> core.Checkin:
        """The night's answers with this step's: the first step starts them afresh (keeping
        a note), a later one adds to what is recorded (from here or elsewhere)."""
        d = self.shared
        before = d.store.checkin(night)
        if step is core.STEPS[0] or before is None:
            answers = {"severity": None, "frequency": None, "woke": None, "note": before and before.note}
        else:
            answers = {"severity": before.severity, "frequency": before.frequency, "woke": before.woke,
                       "note": before.note, "other_cause": before.other_cause}
        answers[step.question.key] = value
        return services.checkin(d.store, d.config, night, **answers, now=d.now(), via=VIA_NOTIFICATION).entry

    def open_window(self, night: date) -> None:
        if not self.window_command:
            return
        command = self.window_command + ["--night", night.isoformat()]
        try:
            # Its own process: Tk wants the main thread, and the daemon must not wait on it.
            window = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True, start_new_session=True)
        except OSError as err:
            log.error("check-in: could not open the window (%s); answer with `reminderd checkin`", err)
            return
        log.info("check-in: opened the window for the night of %s", night)
        threading.Thread(target=self._window_closed, args=(window, night), name="checkin-window", daemon=True).start()

    def _window_closed(self, window: subprocess.Popen, night: date) -> None:
        """Says why, on the desktop, when the window could not open (no Tk, no display)."""
        _, said = window.communicate()
        if window.returncode == 0:
            return
        why = (said.strip().splitlines() or [f"it exited with code {window.returncode}"])[-1]
        why = why.removeprefix("reminderd: ")
        log.warning("check-in: the window for the night of %s did not open: %s", night, why)
        with self.shared.lock:
            if not self.shared.stopped:
                self.shared.show_plain("checkin-window", "The check-in window did not open", why)


def key(night: date) -> str:
    return f"{CHECKIN_PREFIX}{night.isoformat()}"


def night_of(key_text: str) -> date | None:
    try:
        return date.fromisoformat(key_text.partition(":")[2])
    except ValueError:
        return None
