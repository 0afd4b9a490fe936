"""`reminderd run`: the scheduler that turns slots into reminders.

One APScheduler job per open dose, with id "dose:<id>", so a dose can never have two
timers. When a job fires, the dose is read again inside a write transaction and the pure
rules in `doses.decide` say what to do; asking twice at one moment gives one reminder.

APScheduler waits on the monotonic clock, which stops during suspend, and a wall-clock
change does not wake it. So the main thread looks every `WATCH_S` seconds for a jump of
the wall clock against the monotonic one (suspend, resume, a clock or zone change) and
for a commit by another process (the CLI), and then re-reads the log and wakes the
scheduler. Its misfire grace is unlimited: a late reminder is sent late, never dropped.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import date, datetime, timedelta, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from reminderd.core import doses as rules
from reminderd.core import grouping
from reminderd.core.config import Config, Medication, format_duration
from reminderd.core.doses import Dose, GiveUp, Remind, Wait
from reminderd.errors import AlreadyTakenError, DoseError, ReminderdError, TooCloseError
from reminderd.notify.base import DEFAULT, SKIP, SNOOZE, TAKEN, Notifier, Reminder
from reminderd.core.prescriptions import History, canonical_of
from reminderd.core.schedule import Slot, next_local_midnight, slots_between
from reminderd.store import Store
from reminderd.daemon import systemd
from reminderd.daemon.sleepwatch import SleepWatcher
from reminderd.daemon.morning import MorningCheckin, night_of
from reminderd.push.outbox import Push

log = logging.getLogger("reminderd")
UTC = timezone.utc

WATCH_S = 2.0  # how often the main thread looks for clock jumps and CLI writes
JUMP_S = 5.0  # a wall-clock jump larger than this is a suspend or a clock change
ZONE_CHECK_S = 30.0  # how often the machine's time zone is looked at (config without one)
TAKEN_ANYWAY = "taken-anyway"  # the button on the minimum-gap warning


def utc_now() -> datetime:
    return datetime.now(UTC)


class Daemon:
    def __init__(
        self,
        config: Config,
        store: Store,
        notifier: Notifier,
        now: Callable[[], datetime] = utc_now,
        reload_config: Callable[[], Config] | None = None,
        checkin_window_command: list[str] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.notifier = notifier
        self.now = now
        self._reload_config = reload_config
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._reload_requested = threading.Event()
        self.sleepwatch = SleepWatcher(self.refresh)
        self.morning = MorningCheckin(self, checkin_window_command)
        self.push = Push(self)  # phone and contacts, through Apprise ([push], [[contact]])
        self.page = None  # the phone page's server, when [remote] is configured
        self._clock_offset = time.time() - time.monotonic()
        self._data_version = 0
        self._zone_checked = time.monotonic()
        self._started_at: datetime | None = None
        self.after_start: Callable[[], None] | None = None  # e.g. the self-check, once reminders are out
        self._group_shown: dict[str, tuple[int, ...]] = {}  # group key -> dose ids it lists
        self._holding_groups = 0  # >0 while a group's answer is being recorded dose by dose
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(1)},
            # A job sets its own next timer while it runs, and that timer can fall due before it
            # returns (a jump, or a slow D-Bus under load): with max_instances 1 that run was
            # skipped, and a date timer skipped is lost. The one worker runs them in turn.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 2},
        )

    # --- life cycle ----------------------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM or SIGINT. Returns the exit code."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self._stop.set())
        signal.signal(signal.SIGHUP, lambda *_: self._reload_requested.set())
        self.start()
        systemd.notify("READY=1", f"STATUS={self.status_line()}")
        if self.after_start is not None:
            self.after_start()
        try:
            self.watch()
        finally:
            self.shutdown()
        return 0

    def start(self) -> None:
        log.info(
            "reminderd started: %d medication(s), time zone %s, log %s",
            len(self.config.medications), self.config.timezone.key, self.store.path,
        )
        # Taken before the first look at the doses, so that a jump while starting up is
        # noticed by watch() too.
        self._clock_offset = time.time() - time.monotonic()
        self._data_version = self.store.data_version()
        self._started_at = self.now()
        self.notifier.start(self.on_answer)
        self.scheduler.start()
        self.refresh(restarting=True)
        self.push.started(self.now())
        self.sleepwatch.start()
        if self.config.remote is not None:
            from reminderd.remote.server import start_page

            self.page = start_page(self.config, self.store.path, self.now, lambda: self.config)

    def shutdown(self) -> None:
        if self.page is not None:
            self.page.stop()
        self.sleepwatch.stop()
        self.push.stop()
        self.scheduler.shutdown(wait=False)
        self.notifier.stop()
        log.info("reminderd stopped")

    def watch(self) -> None:
        """The main thread: wait for a signal, a clock jump or a write by the CLI."""
        offset, data_version = self._clock_offset, self._data_version
        watchdog = systemd.watchdog_interval()
        last_ping = time.monotonic()
        # Event.wait, not time.sleep: it returns at once on stop, and it keeps working
        # when the wall clock is moved under it.
        while not self._stop.wait(WATCH_S):
            new_offset = time.time() - time.monotonic()
            jump = new_offset - offset
            offset = new_offset
            changed = self.store.data_version()
            if abs(jump) > JUMP_S:
                log.warning("the clock jumped by %+.0f s (suspend, resume or a clock change); "
                            "checking every dose", jump)
                self.refresh()
            elif changed != data_version:
                self.refresh()
            else:
                # The scheduler sleeps on a monotonic timeout computed when it last
                # looked, so a wall-clock step under JUMP_S (NTP) would make it late by
                # that much; a nudge bounds the lateness to WATCH_S.
                self.scheduler.wakeup()
            data_version = changed
            if self._reload_requested.is_set() or self._machine_zone_changed():
                self._reload_requested.clear()
                self.reload()
            if watchdog and time.monotonic() - last_ping >= watchdog / 2:
                systemd.notify("WATCHDOG=1")
                last_ping = time.monotonic()

    def _machine_zone_changed(self) -> bool:
        """With no zone in the config, a change of the machine's zone (travel) is a
        reload. Looked at every ZONE_CHECK_S, not on every watch turn: it reads files."""
        if not self.config.zone_from_system or time.monotonic() - self._zone_checked < ZONE_CHECK_S:
            return False
        self._zone_checked = time.monotonic()
        from reminderd.core.config import system_zone_name

        zone = system_zone_name()
        if zone == self.config.timezone.key:
            return False
        log.warning("the machine's time zone is now %s (was %s)", zone, self.config.timezone.key)
        return True

    def reload(self) -> None:
        """SIGHUP: use a new config for the future; keep the old one if the new one is bad."""
        if self._reload_config is None:
            return
        systemd.notify("RELOADING=1")
        try:
            config = self._reload_config()
        except ReminderdError as err:
            log.error("reload refused, still running on the previous config:\n%s", err)
            self._show_plain("reload", "reminderd: config not reloaded", str(err))
        else:
            with self._lock:
                self.config = config
                self.store.record_prescription(canonical_of(config), self.now())
                log.info("config reloaded: %d medication(s)", len(config.medications))
                self.refresh()
                self.push.plan_summaries()
        systemd.notify("READY=1", f"STATUS={self.status_line()}")

    # --- the schedule --------------------------------------------------------------

    def refresh(self, restarting: bool = False) -> None:
        """Make sure today's and tomorrow's slots have rows, and every open dose a job.

        A planned dose whose due instant moved (a zone change) is replanned only while it
        is still in the future and unreminded; then its timer follows from its new row.

        Rows are created from the longest give-up window ago, so a dose still in its
        window when the daemon starts is reminded now, and none is invented for a time
        long past, nor for a slot the prescription in force at its due instant did not
        have (a medication added at 08:30 has no 08:00 dose that day). `restarting`: the notifications of the last run died with it, so a
        dose that was being reminded is reminded again at once.
        """
        with self._lock:
            now = self.now()
            lookback = max((m.give_up_after for m in self.config.medications), default=timedelta(0))
            horizon = next_local_midnight(next_local_midnight(now, self.config.timezone), self.config.timezone)
            planned = slots_between(self.config, now - lookback, horizon)
            created = self.store.ensure_doses(prescribed_then(self.store, self.config, planned), now)
            self._follow_config(planned, now)
            if created:
                log.info("%d dose(s) scheduled up to %s", created, horizon.astimezone(self.config.timezone).date())
            open_ids = [dose.id for dose in self.store.open_doses()]
            # A dose with a timer that is no longer open was answered elsewhere (the CLI):
            # its tick closes the notification and drops the timer.
            scheduled = [int(job.id[5:]) for job in self.scheduler.get_jobs() if job.id.startswith("dose:")]
            for dose_id in dict.fromkeys(open_ids + scheduled):
                self.tick(dose_id, restarting=restarting)
            self.scheduler.add_job(
                self.refresh, "date", run_date=next_local_midnight(now, self.config.timezone) + timedelta(seconds=1),
                id="rollover", replace_existing=True,
            )
            self.morning.tick()
        self.scheduler.wakeup()

    def _follow_config(self, planned: list, now: datetime) -> None:
        """After a config change, future doses follow it: slots it no longer has are
        dropped if nothing has happened to them yet, and a changed dose text is taken
        over. Past and answered doses keep what they had."""
        keep = {(s.medication, s.local_date.isoformat(), s.slot) for s in planned}
        for gone in self.store.delete_unstarted_doses(keep, now):
            self._unschedule(gone.id)
            log.info("no longer scheduled: %s %s dose of %s", gone.medication, gone.slot, gone.local_date)
        plans = {(s.medication, s.local_date, s.slot): s for s in planned if s.due > now}
        for dose in self.store.open_doses():
            plan = plans.get((dose.medication, dose.local_date, dose.slot))
            if plan is not None and (plan.dose, plan.due) != (dose.dose, dose.due) and dose.reminders_sent == 0:
                self.store.replan_dose(dose.id, plan.dose, plan.due)
                if plan.due != dose.due:
                    log.info("%s %s dose of %s now falls due at %s", dose.medication, dose.slot, dose.local_date,
                             plan.due.isoformat())

    def medication_of(self, dose: Dose) -> Medication | None:
        return self.config.medication(dose.medication)

    def tick(self, dose_id: int, restarting: bool = False) -> None:
        """Do what the rules say about one dose now, and set its next timer."""
        with self._lock:
            show: Reminder | None = None
            said: list[str] = []  # logged after the commit: a reader who sees the line sees the row
            with self.store.write():
                dose = self.store.dose(dose_id)
                if dose is None:
                    return
                med = self.medication_of(dose)
                now = self.now()
                if med is None or med.as_needed:
                    # The medication left the config (or is taken only as needed): its
                    # open doses are not reminded, and stay open so nothing is recorded
                    # that did not happen.
                    self._unschedule(dose_id)
                    return
                # A dose its group already reminded in this run is not reminded again on restart.
                decision = rules.decide(dose, med, now,
                                        restarting=restarting and not self._reminded_since_start(dose))
                first_reminder = isinstance(decision, Remind) and decision.number == 1
                group = self._group(dose)
                if isinstance(decision, Remind) and len(group) > 1:
                    dose, show = self._remind_group(group, dose, now, said)
                    decision = rules.decide(dose, med, now)
                elif isinstance(decision, Remind):
                    dose = rules.reminded(dose, now)
                    self.store.save_dose(dose, "reminded", "daemon", now,
                                         {"number": decision.number, "last": decision.last})
                    show = self._dose_reminder(dose, med, now, decision)
                    self.push.on_reminder(dose, med, now, decision)
                    late = round((now - dose.due).total_seconds() / 60)
                    said.append(f"reminder {decision.number}: {med.name} {dose.dose}, {dose.slot} dose of "
                                f"{dose.local_date}{f', {late} min late' if late > 0 else ''}"
                                f"{' (last reminder)' if decision.last else ''}")
                    decision = rules.decide(dose, med, now)
                elif isinstance(decision, GiveUp):
                    missed = rules.give_up_now(dose, med, now)
                    dose = missed.dose
                    self.store.save_dose(dose, "missed", "daemon", now, {"reason": dose.reason})
                    said.append(f"missed: {med.name} {dose.slot} dose of {dose.local_date} ({dose.reason})")
                    self.push.on_missed(dose, med, now, dose.reason,
                                        news=now - rules.give_up_at(dose, med) < rules.LATE_NOTICE_LIMIT)
                    if missed.tell:
                        title, body = rules.missed_text(dose, med, self.config, self.config.notifications.private)
                        show = Reminder(key=_key(dose), title=title, body=body, urgency="normal",
                                        resident=False, cli_hint="")
                        if len(group) > 1:
                            show = self._group_missed_notice(group, dose)
            for line in said:
                log.warning("%s", line)
            if show is not None:
                self.notifier.show(show)
                if first_reminder:
                    self._warn_supply(med, now)
            if isinstance(decision, Wait):
                self.scheduler.add_job(self.tick, "date", run_date=decision.until, args=[dose_id],
                                       id=_key(dose), replace_existing=True)
            elif not dose.open:
                if show is None:
                    self.notifier.close(_key(dose))
                self._unschedule(dose_id)
            if len(group) > 1 and not (show is not None and show.key.startswith("group:")):
                self._update_group(group[0])

    def _unschedule(self, dose_id: int) -> None:
        job = self.scheduler.get_job(f"dose:{dose_id}")
        if job is not None:
            job.remove()

    def _dose_reminder(self, dose: Dose, med: Medication, now: datetime, decision: Remind) -> Reminder:
        private = self.config.notifications.private
        title, body = rules.reminder_text(dose, med, self.config, now, decision, private)
        snooze = _minutes(med.snooze)
        return Reminder(
            key=_key(dose),
            title=title,
            body=body,
            actions=((TAKEN, "Taken"), (SNOOZE, f"Snooze {snooze}"), (SKIP, "Skip")),
            # Critical from the third reminder: it stays on screen until answered.
            urgency="critical" if decision.number >= 3 else "normal",
            cli_hint=("Answer with: reminderd take  (or skip / snooze)" if private
                      else f"Answer with: reminderd take {med.name}  (or skip / snooze {med.name})"),
        )

    # --- answers from notification buttons ------------------------------------------

    def on_answer(self, key: str, action: str) -> None:
        """A button was pressed (any thread). Recorded at once; the dose's timer follows."""
        kind, _, ident = key.partition(":")
        if kind == "checkin":
            night = night_of(key)
            try:
                if night is not None:
                    self.morning.answer(night, action)
            except ReminderdError as err:
                log.warning("check-in answer %s not recorded: %s", action, err)
            except Exception:  # a bug here must not kill the notifier's thread
                log.exception("check-in answer %s failed", action)
            return
        if kind == "group" and ident.isdigit():
            self._answer_group(int(ident), action)
            return
        if kind != "dose" or not ident.isdigit():
            return
        dose_id = int(ident)
        try:
            with self._lock:
                self._answer(dose_id, action)
        except DoseError as err:
            log.warning("answer %s for dose %d not recorded: %s", action, dose_id, err)
        except Exception:  # a bug here must not kill the notifier's thread
            log.exception("answer %s for dose %d failed", action, dose_id)

    def _answer(self, dose_id: int, action: str) -> None:
        """A button, answered through the same services as the CLI."""
        from reminderd import services

        now, tz = self.now(), self.config.timezone
        try:
            if action in (TAKEN, DEFAULT, TAKEN_ANYWAY):
                dose = services.take_dose(self.store, self.config, dose_id, now, "notification",
                                          force=action == TAKEN_ANYWAY).dose
                log.warning("taken: %s %s dose of %s at %s via notification", dose.medication, dose.slot,
                            dose.local_date, now.astimezone(tz).strftime("%H:%M"))
            elif action == SNOOZE:
                dose = services.snooze_dose(self.store, self.config, dose_id, now, "notification").dose
                log.warning("snoozed: %s %s dose until %s", dose.medication, dose.slot,
                            dose.snoozed_until.astimezone(tz).strftime("%H:%M"))
            elif action == SKIP:
                dose = services.skip_dose(self.store, self.config, dose_id, now, "notification",
                                          "skipped from the notification").dose
                log.warning("skipped: %s %s dose of %s via notification", dose.medication, dose.slot, dose.local_date)
            else:
                return
        except AlreadyTakenError:
            log.info("dose %d already taken; the second Taken is the same dose", dose_id)
            return
        except TooCloseError as err:
            self.notifier.show(self._too_close(dose_id, err))
            return
        self.notifier.close(_key(dose))
        self.tick(dose_id)

    def _too_close(self, dose_id: int, err: TooCloseError) -> Reminder:
        """The minimum-gap warning: asks again instead of recording."""
        dose = self.store.dose(dose_id)
        name = dose.medication if dose is not None else "it"
        private = self.config.notifications.private
        return Reminder(
            key=f"dose:{dose_id}", title="Taken again?" if private else f"Take {name} now?",
            body="Doses would be closer than the minimum gap." if private else f"Careful: {err}.",
            actions=((TAKEN_ANYWAY, "Taken anyway"), (SKIP, "Skip")), urgency="critical",
            cli_hint="Record it with: reminderd take --force" if private
            else f"Record it with: reminderd take {name} --force",
        )

    # --- doses due together (grouping.py has the rules) ---------------------------

    def _reminded_since_start(self, dose: Dose) -> bool:
        return (self._started_at is not None and dose.last_reminded_at is not None
                and dose.last_reminded_at >= self._started_at)

    def _group(self, dose: Dose) -> tuple[Dose, ...]:
        """The doses reminded together with `dose` (itself alone, mostly)."""
        day = dose.local_date
        reminded = [d for d in self.store.doses_on_dates(day - timedelta(days=1), day + timedelta(days=1))
                    if (m := self.medication_of(d)) is not None and not m.as_needed]
        return grouping.group_of(dose, reminded, self.config.group_within)

    def _meds(self) -> dict[str, Medication]:
        return {m.name: m for m in self.config.medications}

    def _remind_group(self, group: tuple[Dose, ...], owed: Dose, now: datetime,
                      said: list[str]) -> tuple[Dose, Reminder]:
        """`owed` is owed a reminder: remind it and every dose of its group owed one
        soon, each counted on its own row, all in one notification. Inside a write; the
        log lines go to `said`, for after the commit."""
        meds = self._meds()
        key = grouping.group_key(group)
        updated = {d.id: d for d in group}
        reminded: list[tuple[Dose, int]] = []
        for dose in grouping.remind_with(group, meds, now, self.config.group_within):
            med = meds[dose.medication]
            number = dose.reminders_sent + 1
            last = now + med.remind_every >= rules.give_up_at(dose, med)
            dose = rules.reminded(dose, now)
            updated[dose.id] = dose
            reminded.append((dose, number))
            self.store.save_dose(dose, "reminded", "daemon", now, {"number": number, "last": last, "group": key})
            late = round((now - dose.due).total_seconds() / 60)
            said.append(f"reminder {number}: {med.name} {dose.dose}, {dose.slot} dose of {dose.local_date}"
                        f"{f', {late} min late' if late > 0 else ''}{' (last reminder)' if last else ''} (with {key})")
            after = rules.decide(dose, med, now)
            if dose.id != owed.id and isinstance(after, Wait):  # its timer follows the group's reminder
                self.scheduler.add_job(self.tick, "date", run_date=after.until, args=[dose.id],
                                       id=_key(dose), replace_existing=True)
        listed = grouping.listed([updated[d.id] for d in group], now)
        self._group_shown[key] = tuple(d.id for d in listed)
        reminder = self._group_reminder(key, listed, now)
        self.push.on_group_reminder(reminded, reminder.title, reminder.body, now)
        return updated[owed.id], reminder

    def _group_reminder(self, key: str, listed: list[Dose], now: datetime) -> Reminder:
        meds, private = self._meds(), self.config.notifications.private
        title, body = grouping.reminder_text(listed, meds, self.config, now, private)
        snooze = min((meds[d.medication].snooze for d in listed if d.medication in meds), default=timedelta(minutes=10))
        urgent = any(d.reminders_sent >= 3 for d in listed)
        return Reminder(key=key, title=title, body=body,
                        actions=grouping.actions(listed, f"Snooze {_minutes(snooze) if snooze >= timedelta(minutes=1) else format_duration(snooze)}", private),
                        urgency="critical" if urgent else "normal", cli_hint=grouping.cli_hint(listed, private))

    def _group_missed_notice(self, group: tuple[Dose, ...], just_missed: Dose) -> Reminder:
        """One missed-dose notice per group, replaced as more of its doses are missed."""
        missed = [just_missed if d.id == just_missed.id else d for d in group]
        missed = [d for d in missed if d.status == rules.MISSED]
        title, body = grouping.missed_text(missed, self._meds(), self.config, self.config.notifications.private)
        return Reminder(key=f"missed:{grouping.group_key(group)}", title=title, body=body, urgency="normal",
                        resident=False, cli_hint="")

    def _update_group(self, first: Dose) -> None:
        """Show the group's notification again listing the doses still open (one was
        answered, here or from the CLI), or withdraw it; not a new reminder."""
        if self._holding_groups:
            return
        with self._lock:
            group = self._group(self.store.dose(first.id) or first)
            key = grouping.group_key(group)
            now = self.now()
            listed = grouping.listed(group, now)
            ids = tuple(d.id for d in listed)
            if ids == self._group_shown.get(key, ()):
                return
            self._group_shown[key] = ids
        if listed:
            self.notifier.show(self._group_reminder(key, listed, now))
        else:
            self.notifier.close(key)

    def _answer_group(self, first_id: int, action: str) -> None:
        """A button of a group's notification: All taken, Snooze, or Taken for one dose."""
        try:
            with self._lock:
                first = self.store.dose(first_id)
                if first is None:
                    return
                group = self._group(first)
                listed = grouping.listed(group, self.now())
                if action == grouping.ALL_TAKEN:
                    chosen = [(d.id, TAKEN) for d in listed]
                elif action == SNOOZE:
                    chosen = [(d.id, SNOOZE) for d in listed]
                elif action.startswith(grouping.TAKEN_ONE):
                    chosen = [(d.id, TAKEN) for d in listed if f"{grouping.TAKEN_ONE}{d.id}" == action]
                else:
                    return
                self._group_shown.pop(grouping.group_key(group), None)  # the button closed it
                self._holding_groups += 1
                try:
                    for dose_id, answer in chosen:
                        try:
                            self._answer(dose_id, answer)
                        except DoseError as err:
                            log.warning("answer %s for dose %d not recorded: %s", answer, dose_id, err)
                finally:
                    self._holding_groups -= 1
                self._update_group(first)
        except Exception:  # a bug here must not kill the notifier's thread
            log.exception("answer %s for group %d failed", action, first_id)

    def _warn_supply(self, med: Medication, now: datetime) -> None:
        """Once a local day, with the first reminder of a dose, say that tablets run low."""
        from reminderd import services
        from reminderd.core.supply import needs_refill

        services.start_supply_counts(self.store, self.config, now)
        supply = services.supply_of(self.store, self.config, med, now)
        if supply is None or not needs_refill(med, supply):
            return
        today = now.astimezone(self.config.timezone).date().isoformat()
        if self.store.last_event_at("refill-warned", medication=med.name, date=today) is not None:
            return
        self.store.add_event("refill-warned", "daemon", now, None, {"medication": med.name, "date": today})
        log.warning("supply: %s %s left; refill warning shown", med.name, supply.text)
        name = "your medication" if self.config.notifications.private else med.name
        self._show_plain(f"supply:{med.name}", f"Refill soon: {name}",
                         f"{supply.text} left. When you have more, record it with: "
                         f"reminderd refill {'MEDICATION' if self.config.notifications.private else med.name} TABLETS")

    # --- helpers ---------------------------------------------------------------------

    def _show_plain(self, key: str, title: str, body: str) -> None:
        try:
            self.notifier.show(Reminder(key=key, title=title, body=body, resident=False, category="x-reminderd"))
        except Exception:
            log.exception("could not show %s", key)

    def status_line(self) -> str:
        now = self.now()
        upcoming = [d for d in self.store.open_doses() if d.due > now]
        if not upcoming:
            return "no dose scheduled"
        d = upcoming[0]
        return f"next: {d.medication} {d.slot} ({d.due.astimezone(self.config.timezone):%a %H:%M})"


def prescribed_then(store: Store, config: Config, planned: list[Slot]) -> list[Slot]:
    """The planned slots the prescription in force at their due instant has: the past is
    judged by the prescription of its time (prescriptions.History)."""
    rows = store.prescription_rows()
    if not rows or all(s.due >= rows[-1][0] for s in planned):
        return planned  # nothing before the last change: the common case, without parsing the history
    history = History.of(rows, config)
    since = rows[-1][0]
    expected: dict[date, set[tuple[str, str]]] = {}
    for day in {s.local_date for s in planned if s.due < since}:
        expected[day] = {(s.medication, s.slot) for s in history.slots_on(day)}
    return [s for s in planned if s.due >= since or (s.medication, s.slot) in expected[s.local_date]]


def _key(dose: Dose) -> str:
    return f"dose:{dose.id}"


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
