"""Answers from notification buttons (any thread), recorded through the same services
as the command line; then the dose's timer follows. A failure is logged, never raised:
it must not kill the notifier's thread."""

from __future__ import annotations

import logging

from reminderd.core import grouping
from reminderd.daemon import reminders
from reminderd.core.words import (ALL_TAKEN, SKIP, SKIP_ONE, SKIPPED_FROM_NOTIFICATION, SNOOZE, TAKE, TAKEN_ANYWAY,
                                  TAKEN_ONE, VIA_NOTIFICATION)
from reminderd.daemon.morning import CHECKIN_PREFIX, MorningCheckin, night_of
from reminderd.daemon.reminders import DOSE_PREFIX, key
from reminderd.daemon.scheduler import DoseTimers
from reminderd.daemon.shared import Shared
from reminderd.errors import AlreadyTakenError, DoseError, ReminderdError, TooCloseError

log = logging.getLogger("reminderd")


class Buttons:
    def __init__(self, shared: Shared, timers: DoseTimers, morning: MorningCheckin) -> None:
        self.shared = shared
        self.timers = timers
        self.morning = morning

    def on_answer(self, key_text: str, action: str) -> None:
        """A button was pressed (any thread). Recorded at once; the dose's timer follows."""
        ident = key_text.partition(":")[2]
        if key_text.startswith(CHECKIN_PREFIX):
            night = night_of(key_text)
            try:
                if night is not None:
                    self.morning.answer(night, action)
            except ReminderdError as err:
                log.warning("check-in answer %s not recorded: %s", action, err)
            except Exception:  # a bug here must not kill the notifier's thread
                log.exception("check-in answer %s failed", action)
            return
        if key_text.startswith(grouping.GROUP_PREFIX) and ident.isdigit():
            self._answer_group(int(ident), action)
            return
        if not key_text.startswith(DOSE_PREFIX) or not ident.isdigit():
            return
        dose_id = int(ident)
        try:
            with self.shared.lock:
                self._answer(dose_id, action)
        except DoseError as err:
            log.warning("answer %s for dose %d not recorded: %s", action, dose_id, err)
        except Exception:  # a bug here must not kill the notifier's thread
            log.exception("answer %s for dose %d failed", action, dose_id)

    def _answer(self, dose_id: int, action: str) -> None:
        """A button, answered through the same services as the CLI."""
        from reminderd import services

        s = self.shared
        if s.stopped:  # under the lock: both callers hold it
            return
        store, config, now = s.store, s.config, s.now()
        tz = config.timezone
        try:
            if action in (TAKE, TAKEN_ANYWAY):
                dose = services.take_dose(store, config, dose_id, now, VIA_NOTIFICATION,
                                          force=action == TAKEN_ANYWAY).dose
                log.info("taken: %s %s dose of %s at %s via notification", dose.medication, dose.slot,
                         dose.local_date, now.astimezone(tz).strftime("%H:%M"))
            elif action == SNOOZE:
                dose = services.snooze_dose(store, config, dose_id, now, VIA_NOTIFICATION).dose
                log.info("snoozed: %s %s dose until %s", dose.medication, dose.slot,
                         dose.snoozed_until.astimezone(tz).strftime("%H:%M"))
            elif action == SKIP:
                dose = services.skip_dose(store, config, dose_id, now, VIA_NOTIFICATION,
                                          SKIPPED_FROM_NOTIFICATION).dose
                log.info("skipped: %s %s dose of %s via notification", dose.medication, dose.slot, dose.local_date)
            else:
                return
        except AlreadyTakenError:
            log.info("dose %d already taken; the second Taken is the same dose", dose_id)
            return
        except TooCloseError as err:
            s.notifier.show(reminders.too_close(config, dose_id, store.dose(dose_id), err))
            return
        s.notifier.close(key(dose))
        self.timers.tick(dose_id)

    def _answer_group(self, first_id: int, action: str) -> None:
        """A button of a group's notification: All taken, Snooze, or Taken or Skip for one dose."""
        s = self.shared
        try:
            with s.lock:
                if s.stopped:
                    return
                first = s.store.dose(first_id)
                if first is None:
                    return
                group = self.timers.group(first)
                listed = grouping.listed(group, s.now())
                if action == ALL_TAKEN:
                    chosen = [(d.id, TAKE) for d in listed]
                elif action == SNOOZE:
                    chosen = [(d.id, SNOOZE) for d in listed]
                elif action.startswith(TAKEN_ONE):
                    chosen = [(d.id, TAKE) for d in listed if f"{TAKEN_ONE}{d.id}" == action]
                elif action.startswith(SKIP_ONE):
                    chosen = [(d.id, SKIP) for d in listed if f"{SKIP_ONE}{d.id}" == action]
                else:
                    return
                with self.timers.answering_group(group):
                    for dose_id, answer in chosen:
                        try:
                            self._answer(dose_id, answer)
                        except DoseError as err:
                            log.warning("answer %s for dose %d not recorded: %s", answer, dose_id, err)
                self.timers.update_group(first)
        except Exception:  # a bug here must not kill the notifier's thread
            log.exception("answer %s for group %d failed", action, first_id)
