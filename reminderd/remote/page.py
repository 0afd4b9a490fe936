"""The page's HTML: plain forms, no JavaScript, large targets, one column for a small
screen, headings and labels a screen reader can walk. Pure: given what to show, returns text."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from html import escape

from reminderd.core import checkin as core
from reminderd.core import rating as rated
from reminderd.core.checkin import Checkin, Question
from reminderd.core.rating import Rating
from reminderd.core.clock import local_time
from reminderd.core.doses import Dose
from reminderd.core.words import MISSED, SKIP, SKIPPED, SNOOZE, TAKE, TAKEN

ACTION_LABELS = {TAKE: "Taken", SNOOZE: "Snooze", SKIP: "Skip"}

STYLE = """
body{font:1.25rem/1.5 system-ui,sans-serif;margin:0;padding:1rem;max-width:40rem;color:#111;background:#fff}
h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.4rem;margin:1.5rem 0 .5rem}h3{font-size:1.25rem;margin:0}
ul{list-style:none;padding:0;margin:0}li{border:2px solid #555;border-radius:.5rem;padding:.75rem;margin:0 0 1rem}
button{display:block;width:100%;min-height:3.5rem;margin:.5rem 0;font:inherit;font-weight:bold;
border:3px solid #111;border-radius:.5rem;background:#e8e8e8;color:#111}
button.main{background:#0a5d1a;color:#fff;border-color:#0a5d1a}
button:focus,input:focus{outline:4px solid #1a4fd6;outline-offset:2px}
fieldset{border:0;padding:0;margin:0 0 1rem}legend{font-weight:bold;padding:0;margin-bottom:.5rem}
label.choice{display:flex;align-items:center;gap:.75rem;min-height:3rem;padding:.25rem .5rem;
border:2px solid #555;border-radius:.5rem;margin:.5rem 0}
input[type=radio]{width:1.75rem;height:1.75rem;flex:none}
input[type=number]{font:inherit;width:6rem;min-height:3rem;padding:0 .5rem;border:2px solid #111;border-radius:.5rem}
input[type=text]{font:inherit;width:100%;box-sizing:border-box;min-height:3rem;padding:0 .5rem;border:2px solid #111;
border-radius:.5rem}
.status{font-weight:bold;border-left:.5rem solid #1a4fd6;padding:.5rem .75rem;background:#eef2fd}
.chosen{background:#0a5d1a;color:#fff}
"""
# The CSP allows exactly this style block and nothing else (no script at all).
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


@dataclass(frozen=True)
class DoseView:
    dose: Dose
    actions: tuple[str, ...]  # what can be answered for it now, in ACTION_LABELS order


def dose_key(dose: Dose) -> str:
    """How a form names a dose: it stays the same whether or not its row exists yet."""
    return f"{dose.medication}|{dose.local_date.isoformat()}|{dose.slot}"


def dose_state(dose: Dose, now: datetime, tz: tzinfo) -> str:
    if dose.status == TAKEN:
        return f"Taken at {local_time(dose.taken_at, tz)}."
    if dose.status == SKIPPED:
        return "Skipped."
    if dose.status == MISSED:
        return "Missed."
    if dose.snoozed_until is not None and dose.snoozed_until > now:
        return f"Snoozed until {local_time(dose.snoozed_until, tz)}."
    if dose.due <= now:
        return "Due now."
    return f"Due at {local_time(dose.due, tz)}."


def render(*, today: date, doses: list[DoseView], night: date, checkin: Checkin | None, form_token: str,
           now: datetime, tz: tzinfo, message: str | None = None, banner: str | None = None) -> str:
    parts = ["<h1>reminderd</h1>"]
    if banner:  # "Reminders are off: …", first of all
        parts.append(f'<p class="status" role="alert">{escape(banner)}</p>')
    if message:
        parts.append(f'<p class="status" role="status">{escape(message)}</p>')
    parts.append(f'<section aria-labelledby="doses"><h2 id="doses">Today’s doses, {today:%A %-d %B}</h2>')
    if not doses:
        parts.append("<p>No doses are planned today.</p>")
    parts.append("<ul>")
    for view in doses:
        d = view.dose
        parts.append(f"<li><h3>{escape(d.slot)}: {escape(d.medication)} {escape(d.dose)}</h3>"
                     f"<p>{escape(dose_state(d, now, tz))}</p>")
        if view.actions:
            parts.append(_form("/dose", form_token, {"dose": dose_key(d)},
                               "".join(_dose_button(a, d) for a in view.actions)))
        parts.append("</li>")
    parts.append("</ul></section>")
    parts.append(_checkin_section(night, checkin, form_token))
    return _page("reminderd", "\n".join(parts))


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"referrer\" content=\"same-origin\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body><main>\n{body}\n</main></body></html>\n"
    )


# --- a rater's page: her question about last night and her own answers, nothing else --------

RATING_NOTE_MAX = 150  # characters on the page: the form stays inside the page's 2 KB (the terminal takes more)


def render_rating(*, rater: str, night: date, rating: Rating | None, past: list[Rating], undo: date | None,
                  form_token: str, message: str | None = None) -> str:
    """Her page: how his spasms disturbed last night (one tap), then how often she felt them,
    how many times they woke her and a note; the undo of her last answer (`undo`: its
    night); her own answers of the nights before. Nothing about his doses, his check-ins or
    any alert is passed in."""
    parts = [f"<h1>{escape(rater)}: the night</h1>"]
    if message:
        parts.append(f'<p class="status" role="status">{escape(message)}</p>')
    parts.append(f'<section aria-labelledby="night"><h2 id="night">Last night ({night:%A %-d %B})</h2>')
    if rating is not None:
        parts.append(f"<p>Your answer: {escape(rated.describe(rating))}.</p>")
    parts.append(_severity_form("/rating", form_token, night, rated.SEVERITY_QUESTION, rating))
    if rating is not None:
        low = 1 if rating.severity else 0  # what disturbed the night, she noticed
        woke = _woke_input(rated.WOKE_QUESTION, rating.woke) if rating.severity else ""
        parts.append(_form("/rating", form_token, {"night": night.isoformat(), "severity": str(rating.severity)},
            _frequency_choices(rated.FREQUENCY_QUESTION, rating.frequency, low) + woke
            + f'<p><label for="note">{escape(rated.NOTE_QUESTION.prompt)}</label><br>'
            f'<input type="text" id="note" name="note" maxlength="{RATING_NOTE_MAX}"'
            f' value="{escape(rating.note or "")}"></p><button type="submit" class="main">Save</button>'))
    parts.append("</section>")
    if undo is not None:
        parts.append(_form("/rating/undo", form_token, {"night": undo.isoformat()},
                           f'<button type="submit">Undo my last answer (the night of {undo:%a %-d %b})</button>'))
    if past:
        items = "".join(f"<li><h3>{r.night:%A %-d %B}</h3><p>{escape(rated.describe(r))}</p></li>" for r in past)
        parts.append(f'<section aria-labelledby="past"><h2 id="past">Your answers before</h2><ul>{items}</ul>'
                     "</section>")
    return _page(f"{rater}: the night", "\n".join(parts))


def _checkin_section(night: date, checkin: Checkin | None, form_token: str) -> str:
    parts = [f'<section aria-labelledby="night"><h2 id="night">Last night ({night:%A %-d %B})</h2>']
    if checkin is not None:
        parts.append(f"<p>Answered: {escape(core.describe(checkin))}.</p>")
    parts.append(_severity_form("/checkin", form_token, night, core.SEVERITY_QUESTION, checkin))
    if checkin is not None and checkin.severity > 0:
        parts.append(_form("/checkin", form_token, {"night": night.isoformat(), "severity": str(checkin.severity)},
            _frequency_choices(core.FREQUENCY_QUESTION, checkin.frequency, 1)
            + _woke_input(core.WOKE_QUESTION, checkin.woke) + '<button type="submit" class="main">Save</button>'))
    if checkin is not None:  # one tap, and one more to take it back: the report allows for the nights marked
        marked = bool(checkin.other_cause)
        state = ' class="chosen" aria-pressed="true"' if marked else ' aria-pressed="false"'
        parts.append(_form("/checkin", form_token, {"night": night.isoformat(), "severity": str(checkin.severity)},
                           f'<button type="submit" name="other_cause" value="{0 if marked else 1}"{state}>'
                           f"{escape(core.OTHER_CAUSE_PROMPT)}</button>"))
    parts.append("</section>")
    return "\n".join(parts)


def _severity_form(action: str, form_token: str, night: date, question: Question, answered) -> str:
    """The one-tap question: a button per severity, the one answered shown pressed."""
    chosen = None if answered is None else answered.severity
    buttons = "".join(_severity_button(n, label, n == chosen) for n, label in enumerate(question.labels))
    return _form(action, form_token, {"night": night.isoformat()},
                 f"<fieldset><legend>{escape(question.prompt)}</legend>{buttons}</fieldset>")


def _frequency_choices(question: Question, chosen: int | None, low: int) -> str:
    """How often, as choices from `low` up, each a large target with its label."""
    return f"<fieldset><legend>{escape(question.prompt)}</legend>" + "".join(
        f'<label class="choice"><input type="radio" name="frequency" value="{n}"'
        f'{" checked" if chosen == n else ""}> {escape(question.labels[n].capitalize())}</label>'
        for n in range(low, len(question.labels))) + "</fieldset>"


def _woke_input(question: Question, value: int | None) -> str:
    return (f'<p><label for="woke">{escape(question.prompt)}</label><br><input type="number" id="woke" name="woke" '
            f'min="0" max="{question.high}" inputmode="numeric" value="{"" if value is None else value}"></p>')


def _dose_button(action: str, dose: Dose) -> str:
    style = ' class="main"' if action == TAKE else ""
    # The label names the dose: a screen reader listing buttons hears which one it answers.
    named = escape(f"{ACTION_LABELS[action]}: {dose.slot} {dose.medication}")
    return (f'<button type="submit" name="action" value="{action}"{style} aria-label="{named}">'
            f"{ACTION_LABELS[action]}</button>")


def _severity_button(value: int, label: str, chosen: bool) -> str:
    style = ' class="chosen" aria-pressed="true"' if chosen else ""
    return f'<button type="submit" name="severity" value="{value}"{style}>{label.capitalize()}</button>'


def _form(action: str, form_token: str, hidden: dict[str, str], inner: str) -> str:
    fields = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">'
                     for k, v in {"form": form_token, **hidden}.items())
    return f'<form method="post" action="{action}">{fields}{inner}</form>'


def pairing_page(name: str, code: str, rater: str | None = None) -> str:
    """The page a pairing link opens: nothing is spent until the button is pressed, so a
    link preview or a browser's prefetch cannot use the link up. `rater`: the link pairs
    that rater's phone (her own page)."""
    does = f"rate the nights for {escape(rater)}" if rater else "answer doses"
    return _document("Pair this phone", f"<h1>Pair this phone</h1><p>This phone will {does} as "
                     f"{escape(repr(name))}. The link works once.</p>"
                     f'<form method="post" action="/pair"><input type="hidden" name="code" value="{escape(code)}">'
                     '<button type="submit" class="main">Pair this phone</button></form>')


def short_page(title: str, text: str, link: bool = True) -> str:
    """A page with one sentence: a refusal, or an answer that changed nothing."""
    back = '<p><a href="/">Back to the page</a></p>' if link else ""  # his or hers: it names neither
    return _document(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{back}")


def _document(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
            f"<body><main>{body}</main></body></html>\n")
