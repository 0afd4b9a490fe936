"""The morning check-in: how were the spasms last night? Questions, scales, validation,
and the rule for when the daemon asks.

A check-in belongs to a *night*, named by the date of its evening: the night of Friday
27 November is answered on Saturday morning. A night can be answered from the local day
after it, never before, and one answered again is replaced (the store keeps both events).

Nothing here reads the clock: `now` is always passed in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Callable, NamedTuple
from zoneinfo import ZoneInfo

from reminderd.core.config.settings import CheckinSettings
from reminderd.core.records import Marker
from reminderd.errors import UsageError
from reminderd.core.schedule import local_instant
from reminderd.core.words import VIA_CLI, VIA_NOTIFICATION, VIA_PHONE, VIA_WINDOW

# Spasm severity, the one-click answer; 0 means there were no spasms.
SEVERITY = ("none", "mild", "moderate", "severe")
# The Penn Spasm Frequency Scale.
FREQUENCY = (
    "none",
    "spasms only when moved or touched",
    "fewer than one an hour",
    "more than one an hour",
    "more than ten an hour",
)
WOKE_MAX = 50  # a night has no more wakings than this; a bigger number is a typo
NOTE_MAX = 1000  # characters
VIAS = (VIA_NOTIFICATION, VIA_CLI, VIA_WINDOW, VIA_PHONE)


class Question(NamedTuple):
    key: str
    prompt: str
    low: int | None = None  # None: free text
    high: int | None = None
    labels: tuple[str, ...] = ()
    required: bool = False


SEVERITY_QUESTION = Question("severity", "How bad were your spasms?", 0, 3, SEVERITY, required=True)
FREQUENCY_QUESTION = Question("frequency", "How often did you have spasms?", 0, 4, FREQUENCY)
WOKE_QUESTION = Question("woke", "How many times did spasms wake you?", 0, WOKE_MAX)
NOTE_QUESTION = Question("note", "Anything else about the night?")
# In the order they are asked: the one-click answer first.
QUESTIONS = (SEVERITY_QUESTION, FREQUENCY_QUESTION, WOKE_QUESTION, NOTE_QUESTION)
# One optional tap, yes or nothing: what the report allows for as a common cause of a
# missed dose and a bad night. Only what is recorded can be allowed for.
OTHER_CAUSE_PROMPT = "Anything else that could explain the night: unwell, an infection, heat, alcohol, a relapse?"
OTHER_CAUSE_SHORT = "something else could explain the night"
OTHER_CAUSE_QUESTION = Question("other_cause", OTHER_CAUSE_PROMPT, 0, 1, ("no", "yes"))


class Checkin(NamedTuple):
    """One night's answers. `night` is the date of the evening."""

    night: date
    severity: int
    frequency: int | None = None
    woke: int | None = None
    note: str | None = None
    answered_at: datetime | None = None  # aware
    via: str = VIA_CLI
    other_cause: bool | None = None  # OTHER_CAUSE_PROMPT: True yes, False no, None not answered


# --- asked one step at a time, from a notification -------------------------------------


class Step(NamedTuple):
    """One question of the check-in as a notification asks it: its answers as buttons
    (value, label), and whether it is asked given the night's answers so far."""

    question: Question
    choices: tuple[tuple[int, str], ...]
    asked: Callable[[Checkin], bool] = lambda answers: True


def _had_spasms(answers: Checkin) -> bool:
    return answers.severity > 0


# In the order they are asked. The first records the night; each later one adds its answer
# to it, so a morning that stops after one click still has its severity. One more question
# is one more row here (and its answer in Checkin and `make_checkin`).
STEPS = (
    Step(SEVERITY_QUESTION, ((0, "None"), (1, "Mild"), (2, "Moderate"), (3, "Severe"))),
    Step(FREQUENCY_QUESTION, ((1, "Only when moved or touched"), (2, "Under one an hour"),
                              (3, "Over one an hour"), (4, "Over ten an hour")), _had_spasms),
    Step(WOKE_QUESTION, ((0, "Not at all"), (1, "Once"), (2, "Twice"), (3, "3 times"), (4, "4 times")),
         _had_spasms),
    # Asked after every night, a good one too: marked only after bad nights, it would
    # follow the severity it is there to explain.
    Step(OTHER_CAUSE_QUESTION, ((1, "Yes, something else"),)),
)


def step_named(key: str) -> Step | None:
    return next((s for s in STEPS if s.question.key == key), None)


def next_step(answers: Checkin, after: str) -> Step | None:
    """The step to ask once the step `after` is answered with `answers` (None: done)."""
    keys = [s.question.key for s in STEPS]
    return next((s for s in STEPS[keys.index(after) + 1:] if s.asked(answers)), None)


def questions_left(answers: Checkin, step: Step) -> int:
    """How many questions the morning still asks, `step` (the one shown now) included."""
    return sum(1 for s in STEPS[STEPS.index(step):] if s.asked(answers))


# --- validation ------------------------------------------------------------------------


def expected(question: Question) -> str:
    """What a question accepts, in the words every refusal uses."""
    if question.low is None:
        return f"at most {NOTE_MAX} characters"
    if question.labels:
        scale = ", ".join(f"{i} {question.labels[i]}" for i in range(question.low, question.high + 1))
        return f"a whole number from {question.low} to {question.high} ({scale})"
    return f"a whole number from {question.low} to {question.high}"


def parse_answer(question: Question, value: Any, name: str | None = None) -> int | str | None:
    """One answer as typed (text) or given (int); None or blank means not answered.

    `name` is how the refusal names the question ("--severity" on the command line).
    """
    name = name or question.key
    if value is None or (isinstance(value, str) and not value.strip()):
        if question.required:
            raise UsageError(f"{name} is needed; expected {expected(question)}")
        return None
    if question.low is None:
        text = str(value).strip()
        if len(text) > NOTE_MAX:
            raise UsageError(f"{name} is {len(text)} characters long; expected {expected(question)}")
        return text
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not question.low <= number <= question.high:
        shown = repr(value.strip()) if isinstance(value, str) else repr(value)
        raise UsageError(f"{name} {shown} is not valid; expected {expected(question)}")
    return number


def parse_other_cause(value: Any, name: str = "other_cause") -> bool | None:
    """The "anything else?" answer: yes/no, 1/0 or a bool; None or blank is not answered."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in ("1", "yes", "y", "true"):
        return True
    if text in ("0", "no", "n", "false"):
        return False
    raise UsageError(f"{name} {str(value).strip()!r} is not valid; expected yes or no (1 or 0)")


def last_night(now: datetime, tz: ZoneInfo) -> date:
    """The night the morning check-in is about: the evening before today's local date."""
    return now.astimezone(tz).date() - timedelta(days=1)


def check_night(night: date, now: datetime, tz: ZoneInfo) -> None:
    """A night is answered from the next local morning on, never before."""
    latest = last_night(now, tz)
    if night > latest:
        raise UsageError(
            f"the night of {night} has not passed yet; a night is answered from the next "
            f"morning, so the latest that can be answered now is {latest}"
        )


def make_checkin(
    night: date,
    severity: Any,
    frequency: Any = None,
    woke: Any = None,
    note: Any = None,
    other_cause: Any = None,
    *,
    now: datetime,
    tz: ZoneInfo,
    via: str,
    names: dict[str, str] | None = None,
) -> Checkin:
    """Validate one night's answers into a Checkin, or raise UsageError saying what is
    accepted. `names` maps a question's key to how refusals name it ("--woke").

    Severity 0 means no spasms: frequency and wakings are then 0, filled in when left out
    and refused when they say otherwise; a severity above 0 with frequency 0 is refused.
    """
    if via not in VIAS:
        raise ValueError(f"via {via!r}; expected one of {VIAS}")  # a bug, not user input
    names = names or {}
    check_night(night, now, tz)
    answers = {
        q.key: parse_answer(q, value, names.get(q.key))
        for q, value in zip(QUESTIONS, (severity, frequency, woke, note))
    }
    sev, freq, woke_n = answers["severity"], answers["frequency"], answers["woke"]
    sev_name, freq_name = names.get("severity", "severity"), names.get("frequency", "frequency")
    if sev == 0:
        if freq:
            raise UsageError(
                f"{freq_name} {freq} ({FREQUENCY[freq]}) does not fit {sev_name} 0 (none, no "
                f"spasms); expected {freq_name} 0 or a {sev_name} from 1 to 3")
        if woke_n:
            raise UsageError(
                f"{names.get('woke', 'woke')} {woke_n} does not fit {sev_name} 0 (none, no "
                f"spasms); expected 0 wakings or a {sev_name} from 1 to 3")
        freq, woke_n = 0, 0
    elif freq == 0:
        raise UsageError(
            f"{sev_name} {sev} ({SEVERITY[sev]}) does not fit {freq_name} 0 (none, no spasms); "
            f"expected a {freq_name} from 1 to 4 or {sev_name} 0")
    return Checkin(night=night, severity=sev, frequency=freq, woke=woke_n, note=answers["note"],
                   answered_at=now, via=via,
                   other_cause=parse_other_cause(other_cause, names.get("other_cause", "other_cause")))


def describe(checkin: Checkin) -> str:
    """ "severity 2 (moderate), frequency 3 (more than one an hour), woke 2 times" """
    parts = answer_parts(checkin, ("severity", "frequency", "woke"), (SEVERITY, FREQUENCY))
    if checkin.other_cause:
        parts.append(OTHER_CAUSE_SHORT)
    return ", ".join(parts)


def answer_parts(night: Any, words: tuple[str, str, str], scales: tuple[tuple[str, ...], ...]) -> list[str]:
    """A night's answers (severity, frequency, woke and note, as a check-in or a rating has
    them) in words: each scale's value with its label, the wakings counted, the note quoted."""
    parts = [f"{words[0]} {night.severity} ({scales[0][night.severity]})"]
    if night.frequency is not None:
        parts.append(f"{words[1]} {night.frequency} ({scales[1][night.frequency]})")
    if night.woke is not None:
        parts.append(f"{words[2]} {night.woke} time" + ("" if night.woke == 1 else "s"))
    if night.note:
        parts.append(f"note \"{night.note}\"")
    return parts


# --- when the daemon asks --------------------------------------------------------------


class Ask(NamedTuple):
    """Show the check-in notification now, for `night`, and record that it was asked."""

    night: date
    last: bool  # no further reminder follows before `until`


class AskLater(NamedTuple):
    """Nothing to do before `until` (aware UTC); then decide again."""

    until: datetime


class Stop(Marker):
    """Nothing more this morning: answered, or past `until` (the night stays open for
    `reminderd checkin`). The next morning begins at `next_checkin_at(now, …)`."""

    __slots__ = ()


CheckinDecision = Ask | AskLater | Stop


def checkin_decision(
    now: datetime,
    tz: ZoneInfo,
    settings: CheckinSettings,
    answered: bool,
    last_asked: datetime | None,
) -> CheckinDecision:
    """What the daemon does about this morning's check-in (the one for `last_night`).

    `answered`: last night has a check-in. `last_asked`: when it was last asked about
    (from the log, so a restart does not ask again early). Ask at `settings.time`, then
    every `remind_every` while unanswered, until `settings.until`. Asking twice at one
    moment asks once: after an Ask, the caller records `now` as `last_asked`.
    """
    if answered:
        return Stop()
    today = now.astimezone(tz).date()
    start = local_instant(today, settings.time, tz)
    end = local_instant(today, settings.until, tz)
    if now < start:
        return AskLater(start)
    if now >= end:
        return Stop()
    if last_asked is not None and last_asked >= start:
        owed = last_asked + settings.remind_every
        if now < owed:
            return AskLater(min(owed, end))
    return Ask(night=today - timedelta(days=1), last=now + settings.remind_every >= end)


def next_checkin_at(now: datetime, tz: ZoneInfo, settings: CheckinSettings) -> datetime:
    """The first ask of the next local morning (aware UTC), for the timer after a Stop."""
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return local_instant(tomorrow, settings.time, tz)
