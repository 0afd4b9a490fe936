"""The partner's night: a second rater's questions, in the words of someone who sleeps beside
him, and whether anything reminderd sent had told her about that night's doses before she
answered. Pure core: `now`, the config's values and the rows are arguments.

Her questions keep his check-in's scale for how bad the night was (0-3, so the two can be
compared night by night) and ask the rest as a bed partner can tell it: the Penn Spasm
Frequency Scale counts spasms per hour, which someone asleep cannot; the bed-partner items of
the Pittsburgh Sleep Quality Index ("legs twitching or jerking while you sleep") ask how often
over a month. She is asked about one night, in counts she can give: never, once, a few times,
often, all night.

A rating is *blinded* when nothing reminderd sent her, before she answered, named a dose of
that night: a missed-dose alert for one of its doses, a not-running alert listing one, or the
day's summary (which lists the day's doses). Such a message is recorded with the rating
(`told`), so the report can keep to the blinded ones. What she heard any other way cannot be
recorded, and is said so wherever the figure is shown.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Mapping, NamedTuple
from zoneinfo import ZoneInfo

from reminderd.core.analysis.nights import night_of_dose
from reminderd.core.checkin import WOKE_MAX, Question, answer_parts, check_night, parse_answer
from reminderd.core.typed import as_typed
from reminderd.core.words import MISSED_ALERT, NOT_RUNNING_ALERT, SUMMARY, VIA_CLI, VIA_PHONE
from reminderd.errors import UsageError

# How much his spasms disturbed the night: the same four steps as his own severity.
SEVERITY = ("none", "mild", "moderate", "severe")
FREQUENCY = ("never", "once", "a few times", "often", "all night")
SEVERITY_QUESTION = Question("severity", "How much did your partner's spasms disturb the night?", 0, 3, SEVERITY,
                             required=True)
FREQUENCY_QUESTION = Question("frequency", "How often did you feel or notice them (legs jerking, twitching or "
                              "going stiff)?", 0, 4, FREQUENCY)
WOKE_QUESTION = Question("woke", "How many times did they wake you?", 0, WOKE_MAX)
NOTE_QUESTION = Question("note", "Anything else about the night?")
QUESTIONS = (SEVERITY_QUESTION, FREQUENCY_QUESTION, WOKE_QUESTION, NOTE_QUESTION)
VIAS = (VIA_CLI, VIA_PHONE)

# The alerts to a contact that can tell of a night's doses (what `told` names).
TELLING_ALERTS = (MISSED_ALERT, NOT_RUNNING_ALERT, SUMMARY)


class Rating(NamedTuple):
    """One rater's answers about one night (the date of its evening)."""

    rater: str
    night: date
    severity: int
    frequency: int | None = None
    woke: int | None = None
    note: str | None = None
    answered_at: datetime | None = None  # aware
    via: str = VIA_CLI
    # The first message that told her of the night's doses before she answered (its key,
    # "missed:17", "summary:2026-11-20"); None: nothing reminderd sent had.
    told: str | None = None

    @property
    def blinded(self) -> bool:
        return self.told is None


def make_rating(rater: str, night: date, severity: Any, frequency: Any = None, woke: Any = None,
                note: Any = None, *, now: datetime, tz: ZoneInfo, via: str, told: str | None,
                names: dict[str, str] | None = None) -> Rating:
    """Validate one night's answers into a Rating, or raise UsageError saying what is
    accepted. `names` maps a question's key to how refusals name it ("--woke").

    Severity 0 means the spasms did not disturb the night: they woke her 0 times (filled in
    when left out, refused when it says otherwise); she may still have felt one. A severity
    above 0 with frequency 0 (never) is refused: what she never noticed did not disturb it.
    """
    if via not in VIAS:
        raise ValueError(f"via {via!r}; expected one of {VIAS}")  # a bug, not user input
    names = names or {}
    check_night(night, now, tz)
    answers = {q.key: parse_answer(q, value, names.get(q.key))
               for q, value in zip(QUESTIONS, (severity, frequency, woke, note))}
    sev, freq, woke_n = answers["severity"], answers["frequency"], answers["woke"]
    sev_name, freq_name = names.get("severity", "severity"), names.get("frequency", "frequency")
    if sev == 0:
        if woke_n:
            raise UsageError(f"{names.get('woke', 'woke')} {woke_n} does not fit {sev_name} 0 (the spasms did not "
                             f"disturb the night); expected 0 times woken or a {sev_name} from 1 to 3")
        woke_n = 0
    elif freq == 0:
        raise UsageError(f"{sev_name} {sev} ({SEVERITY[sev]}) does not fit {freq_name} 0 (never noticed); "
                         f"expected a {freq_name} from 1 to 4 or {sev_name} 0")
    return Rating(rater=rater, night=night, severity=sev, frequency=freq, woke=woke_n, note=answers["note"],
                  answered_at=now, via=via, told=told)


def describe(rating: Rating) -> str:
    """ "disturbed the night: 2 (moderate), felt them: 3 (often), woke her 2 times" """
    return ", ".join(answer_parts(rating, ("disturbed the night:", "felt them:", "woke her"), (SEVERITY, FREQUENCY)))


# --- blinding ------------------------------------------------------------------------------


class Sent(NamedTuple):
    """A message that may have reached her: its key, the first moment it may have (its
    first try that did not fail), and the nights whose doses it named."""

    key: str
    at: datetime  # aware
    nights: frozenset[date]


def nights_told(key: str, dose_due: Mapping[int, datetime], listed: Iterable[int] | None, bedtime: time,
                tz: ZoneInfo, days: Iterable[date] = ()) -> frozenset[date]:
    """The nights whose doses a contact alert named, from its key ("missed:17",
    "summary:2026-11-20", "not-running:…"), for a not-running alert the doses it listed
    (`listed`; None for one recorded before they were kept: then the day it was sent and the
    day before, which is as far back as its doses can reach in a day's stop), and for a
    summary the days it covered (`days`: several when it folded in days the daemon was not
    running; else the day its key names). A day's doses are that night's: every slot is
    before bedtime. `dose_due` gives each known dose's due instant."""
    kind, _, rest = key.partition(":")
    if kind == MISSED_ALERT:
        due = dose_due.get(int(rest)) if rest.isdigit() else None
        return frozenset() if due is None else frozenset({night_of_dose(due, bedtime, tz)})
    if kind == SUMMARY:
        try:
            return frozenset(days) or frozenset({date.fromisoformat(rest)})
        except ValueError:
            return frozenset()
    if kind == NOT_RUNNING_ALERT:
        if listed is not None:
            return frozenset(night_of_dose(dose_due[i], bedtime, tz) for i in listed if i in dose_due)
        try:
            day = datetime.fromisoformat(rest).astimezone(tz).date()
        except ValueError:
            return frozenset()
        return frozenset({day, day - timedelta(days=1)})
    return frozenset()


def told_of(night: date, sent: Iterable[Sent], answered_at: datetime) -> str | None:
    """The first message sent before `answered_at` that named a dose of `night`, by its
    key; None when there was none (the rating is blinded)."""
    first = min((s for s in sent if s.at <= answered_at and night in s.nights), key=lambda s: s.at, default=None)
    return None if first is None else first.key


def told_text(told: str) -> str:
    """A message key in words: "the missed-dose alert (missed:17)"."""
    kind = told.partition(":")[0]
    what = {MISSED_ALERT: "a missed-dose alert", SUMMARY: "the day's summary",
            NOT_RUNNING_ALERT: "a not-running alert"}.get(kind, "a message")
    return f"{what} ({told})"


# --- the config: who rates, and what tells her ---------------------------------------------


def config_warnings(config: Any) -> list[str]:
    """What check-config says about the raters: one who is also a contact told of missed
    doses (or sent the summary) is unblinded on those nights, and one with no way to be
    asked or to answer but this machine's terminal."""
    warnings = []
    for i, rater in enumerate(config.raters):
        for j, contact in enumerate(config.contacts):
            telling = [a for a in contact.alerts if a in TELLING_ALERTS]
            if contact.name.casefold() != rater.name.casefold() or not telling:
                continue
            effects = []
            if MISSED_ALERT in telling:
                effects.append("a missed-dose alert comes only on a night with a missed dose, so her blinded "
                               "ratings will hold few such nights and her blinded figure little evidence")
            if SUMMARY in telling:
                effects.append("the day's summary lists every dose, so no rating she makes after it of that "
                               "night is blinded")
            if NOT_RUNNING_ALERT in telling:
                effects.append("a not-running alert names the doses it lists")
            warnings.append(
                f"rater[{i}] {rater.name!r} is also contact[{j}], sent {', '.join(telling)} alerts: a rating made "
                "after one of them named a dose of that night is recorded as not blinded and left out of her "
                f"blinded figure; {'; '.join(effects)}. The trade-off: an alert lets her help him take a dose in "
                "time; blinding lets her ratings show what a missed dose costs free of anyone's expectation. Keep "
                f"the alerts if he relies on them; otherwise take them out of contact[{j}].alerts")
        if rater.url is None and config.remote is None:
            warnings.append(f"rater[{i}] {rater.name!r} has no url and there is no [remote] page: she can only "
                            f"answer at this machine, with: reminderd checkin --rater {as_typed(rater.name)}")
    return warnings

