"""The daemon's dose timers: rows for today's and tomorrow's slots, one APScheduler job
per open dose (id "dose:<id>"), and what each timer does when it fires, alone or with
the doses due together with it (grouping.py has the rules).

When a timer fires, the dose is read again inside a write transaction and the pure rules
in `doses.decide` say what to do; asking twice at one moment gives one reminder. Log
lines about a change are written after its commit, so a reader who sees the line sees
the row.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Iterator

from apscheduler.jobstores.base import JobLookupError

from reminderd import services
from reminderd.core import doses as rules
from reminderd.core import grouping
from reminderd.core.config.settings import Medication
from reminderd.core.doses import Dose, GiveUp, Remind, Wait
from reminderd.core.schedule import Slot, next_local_midnight
from reminderd.core.words import MISSED, REMINDED, VIA_DAEMON
from reminderd.daemon import reminders
from reminderd.daemon.reminders import DOSE_PREFIX, key, key_of
from reminderd.daemon.shared import Shared, while_running
from reminderd.daemon.supply import warn_supply
from reminderd.notify.base import Reminder

if TYPE_CHECKING:
    from reminderd.core.prescriptions import History
    from reminderd.push.outbox import Push

log = logging.getLogger("reminderd")
# The promise (README, Performance): a dose's reminder reaches the notification server
# within this of its due instant, 99 times in 100 (measured by bench_punctuality.py).
DUE_REMINDED_WITHIN_S = 0.5


class DoseTimers:
    """`after_refresh` runs at the end of every refresh, under the lock (the check-in's timer)."""

    def __init__(self, shared: Shared, push: Push, after_refresh: Callable[[], None]) -> None:
        self.shared = shared
        self.push = push
        self.after_refresh = after_refresh
        self.started_at: datetime | None = None  # set on start: a dose reminded since is not reminded on restart
        self._group_shown: dict[str, tuple[int, ...]] = {}  # group key -> dose ids it lists
        self._holding_groups = 0  # >0 while a group's answer is being recorded dose by dose

    # --- the schedule --------------------------------------------------------------

    @while_running
    def refresh(self, restarting: bool = False) -> None:
        """Make sure today's and tomorrow's slots have rows, and every open dose a job.

        A planned dose whose due instant moved (a zone change) is replanned only while it
        is still in the future and unreminded; then its timer follows from its new row.

        Rows are made for the slots of the one plan (`services.planned`, as `status` and
        the answers have it) from the longest give-up window ago, so a dose still in its
        window when the daemon starts is reminded now, and none is invented for a time
        long past, nor for a slot the plan does not have (a medication added at 08:30 has
        no 08:00 dose that day; a slot moved to 21:00 at 21:30 is still that night's dose).
        `restarting`: the notifications of the last run died with it, so a dose that was
        being reminded is reminded again at once.
        """
        s = self.shared
        now, config = s.now(), s.config
        lookback = max((m.give_up_after for m in config.medications), default=timedelta(0))
        horizon = next_local_midnight(next_local_midnight(now, config.timezone), config.timezone)
        planned = services.planned(s.store, config, now - lookback, horizon)
        created = s.store.ensure_doses(planned, now)
        self._follow_config(planned, now)
        if created:
            log.info("%d dose(s) scheduled up to %s", created, horizon.astimezone(config.timezone).date())
        open_ids = [dose.id for dose in s.store.open_doses()]
        # A dose with a timer that is no longer open was answered elsewhere (the CLI):
        # its tick closes the notification and drops the timer.
        scheduled = [int(job.id[len(DOSE_PREFIX):]) for job in s.scheduler.get_jobs()
                     if job.id.startswith(DOSE_PREFIX)]
        for dose_id in dict.fromkeys(open_ids + scheduled):
            self.tick(dose_id, restarting=restarting)
        s.scheduler.add_job(
            self.refresh, "date", run_date=next_local_midnight(now, config.timezone) + timedelta(seconds=1),
            id="rollover", replace_existing=True,
        )
        self.after_refresh()
        s.scheduler.wakeup()

    def _follow_config(self, planned: list[Slot], now: datetime) -> None:
        """After a config change, future doses follow it (`services.follow_plan`)."""
        gone, moved = services.follow_plan(self.shared.store, planned, now)
        for dose in gone:
            self.unschedule(dose.id)
            log.info("no longer scheduled: %s %s dose of %s", dose.medication, dose.slot, dose.local_date)
        for dose, plan in moved:
            if plan.due != dose.due:
                log.info("%s %s dose of %s now falls due at %s", dose.medication, dose.slot, dose.local_date,
                         plan.due.isoformat())

    @while_running
    def tick(self, dose_id: int, restarting: bool = False) -> None:
        """Do what the rules say about one dose now, and set its next timer."""
        s = self.shared
        show: Reminder | None = None
        said: list[str] = []  # logged after the commit: a reader who sees the line sees the row
        with s.store.write():
            dose = s.store.dose(dose_id)
            if dose is None:
                return
            config = s.config
            # Judged by its own prescription, as status and the answers judge it: a dose
            # of a medication the running config lacks (added and recorded by a command
            # before a reload, or taken off after the dose was due) is reminded and given
            # up like any other, and a window changed since it fell due does not move it.
            history = services.history_of(s.store, config)  # read once for the tick
            med = services.judged(s.store, config, [dose], history).get(dose.id)
            now = s.now()
            if med is None or med.as_needed:
                # Nothing prescribes it (or it is taken only as needed): not reminded,
                # and left open so nothing is recorded that did not happen.
                self.unschedule(dose_id)
                return
            # A dose its group already reminded in this run is not reminded again on restart.
            decision = rules.decide(dose, med, now,
                                    restarting=restarting and not self._reminded_since_start(dose))
            first_reminder = isinstance(decision, Remind) and decision.number == 1
            group = self.group(dose, history)
            meds = self.meds(group, history) if len(group) > 1 else {med.name: med}
            if isinstance(decision, Remind) and len(group) > 1:
                dose, show = self._remind_group(group, meds, dose, now, said)
                decision = rules.decide(dose, med, now)
            elif isinstance(decision, Remind):
                dose = rules.reminded(dose, now)
                s.store.save_dose(dose, REMINDED, VIA_DAEMON, now,
                                  {"number": decision.number, "last": decision.last})
                show = reminders.dose_reminder(config, dose, med, now, decision)
                self.push.on_reminder(dose, med, now, decision)
                said.append(reminders.reminder_line(med, dose, decision.number, decision.last, now))
                decision = rules.decide(dose, med, now)
            elif isinstance(decision, GiveUp):
                missed = rules.give_up_now(dose, med, now)
                dose = missed.dose
                s.store.save_dose(dose, MISSED, VIA_DAEMON, now, {"reason": dose.reason})
                said.append(f"missed: {med.name} {dose.slot} dose of {dose.local_date} ({dose.reason})")
                self.push.on_missed(dose, med, now, dose.reason,
                                    news=now - rules.give_up_at(dose, med) < rules.LATE_NOTICE_LIMIT)
                if missed.tell:
                    show = reminders.missed_notice(config, dose, med)
                    if len(group) > 1:
                        show = reminders.group_missed_notice(config, group, meds, dose)
        for line in said:  # reminders and missed doses are the daemon's ordinary work
            log.info("%s", line)
        if show is not None:
            s.notifier.show(show)
            if first_reminder:
                warn_supply(s, med, now)
        if isinstance(decision, Wait):
            s.scheduler.add_job(self.tick, "date", run_date=decision.until, args=[dose_id],
                                id=key(dose), replace_existing=True)
        elif not dose.open:
            if show is None:
                s.notifier.close(key(dose))
            self.unschedule(dose_id)
        if len(group) > 1 and not (show is not None and show.key.startswith(grouping.GROUP_PREFIX)):
            self.update_group(group[0])

    def unschedule(self, dose_id: int) -> None:
        # A one-off job that has just run is gone on the scheduler's own thread, between a
        # lookup and a remove: ask for the removal and accept that it is already done.
        try:
            self.shared.scheduler.remove_job(key_of(dose_id))
        except JobLookupError:
            pass

    # --- doses due together ----------------------------------------------------------

    def _reminded_since_start(self, dose: Dose) -> bool:
        # The log keeps instants to the second: a reminder in the second the daemon started is this run's.
        return (self.started_at is not None and dose.last_reminded_at is not None
                and dose.last_reminded_at >= self.started_at.replace(microsecond=0))

    def group(self, dose: Dose, history: History | None = None) -> tuple[Dose, ...]:
        """The doses reminded together with `dose` (itself alone, mostly)."""
        s = self.shared
        day = dose.local_date
        near = s.store.doses_on_dates(day - timedelta(days=1), day + timedelta(days=1))
        judged = services.judged(s.store, s.config, near, history)
        reminded = [d for d in near if (m := judged.get(d.id)) is not None and not m.as_needed]
        return grouping.group_of(dose, reminded, s.config.group_within)

    def meds(self, group: tuple[Dose, ...], history: History | None = None) -> dict[str, Medication]:
        """Each medication of a group as its dose is judged (a group has one dose of each)."""
        judged = services.judged(self.shared.store, self.shared.config, group, history)
        return {d.medication: judged[d.id] for d in group if d.id in judged}

    def _remind_group(self, group: tuple[Dose, ...], meds: dict[str, Medication], owed: Dose, now: datetime,
                      said: list[str]) -> tuple[Dose, Reminder]:
        """`owed` is owed a reminder: remind it and every dose of its group owed one
        soon, each counted on its own row, all in one notification. Inside a write; the
        log lines go to `said`, for after the commit."""
        s = self.shared
        config = s.config
        group_key = grouping.group_key(group)
        updated = {d.id: d for d in group}
        reminded: list[tuple[Dose, int]] = []
        for dose in grouping.remind_with(group, meds, now, config.group_within):
            med = meds[dose.medication]
            number = dose.reminders_sent + 1
            last = now + med.remind_every >= rules.give_up_at(dose, med)
            dose = rules.reminded(dose, now)
            updated[dose.id] = dose
            reminded.append((dose, number))
            s.store.save_dose(dose, REMINDED, VIA_DAEMON, now, {"number": number, "last": last, "group": group_key})
            said.append(reminders.reminder_line(med, dose, number, last, now, group_key))
            after = rules.decide(dose, med, now)
            if dose.id != owed.id and isinstance(after, Wait):  # its timer follows the group's reminder
                s.scheduler.add_job(self.tick, "date", run_date=after.until, args=[dose.id],
                                    id=key(dose), replace_existing=True)
        listed = grouping.listed([updated[d.id] for d in group], now)
        self._group_shown[group_key] = tuple(d.id for d in listed)
        reminder = reminders.group_reminder(config, group_key, listed, meds, now)
        self.push.on_group_reminder(reminded, reminder.title, reminder.body, now)
        return updated[owed.id], reminder

    def update_group(self, first: Dose) -> None:
        """Show the group's notification again listing the doses still open (one was
        answered, here or from the CLI), or withdraw it; not a new reminder."""
        if self._holding_groups:
            return
        s = self.shared
        with s.lock:  # its callers (a tick, a group's button) hold it and have checked `stopped`
            history = services.history_of(s.store, s.config)
            group = self.group(s.store.dose(first.id) or first, history)
            group_key = grouping.group_key(group)
            now = s.now()
            listed = grouping.listed(group, now)
            ids = tuple(d.id for d in listed)
            if ids == self._group_shown.get(group_key, ()):
                return
            self._group_shown[group_key] = ids
            config = s.config
            meds = self.meds(group, history) if listed else {}
        if listed:
            s.notifier.show(reminders.group_reminder(config, group_key, listed, meds, now))
        else:
            s.notifier.close(group_key)

    @contextmanager
    def answering_group(self, group: tuple[Dose, ...]) -> Iterator[None]:
        """While a group's button is recorded dose by dose: its notification (which the
        button closed) is not shown again after each dose, only once at the end."""
        self._group_shown.pop(grouping.group_key(group), None)
        self._holding_groups += 1
        try:
            yield
        finally:
            self._holding_groups -= 1
