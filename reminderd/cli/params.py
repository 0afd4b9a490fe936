"""What the command line's WHEN, DATE, DURATION and TABLETS mean, as click parameter
types over the core's own parsing (reminderd.core.typed), so a refusal is the core's one
line ("--at '25:00' is not valid; expected …"), exit 2, before anything is opened."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import click


def _name(param: click.Parameter | None, default: str) -> str:
    """How the person typed it: "--at" for an option, "TABLETS" for an argument."""
    if isinstance(param, click.Option):
        return param.opts[0]
    return param.human_readable_name if param is not None else default


class When(click.ParamType):
    """A time as the person meant it (reminderd.core.typed.parse_when), in the config's
    zone at the command's `now`; `day_from` names the option whose date a bare "HH:MM" is on."""

    name = "when"

    def __init__(self, day_from: str | None = None) -> None:
        self.day_from = day_from

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from reminderd.cli import App
        from reminderd.core.typed import TypedTime, parse_when

        if isinstance(value, TypedTime):
            return value
        app = ctx.find_object(App)
        day = ctx.params.get(self.day_from) if self.day_from else None
        return parse_when(value, app.now(), app.config.timezone, _name(param, "--at"), day)


class Date(click.ParamType):
    """A local date YYYY-MM-DD within the years a log can hold."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from reminderd.core.typed import parse_day

        return value if isinstance(value, date) else parse_day(value, _name(param, "--date"))


class Duration(click.ParamType):
    """A length of time as the config writes it: "10m", "1h", "90s"."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from reminderd.core.typed import parse_length

        return value if isinstance(value, timedelta) else parse_length(value, _name(param, "--for"))


class Tablets(click.ParamType):
    """A positive, finite number of tablets."""

    name = "tablets"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from reminderd.core.typed import parse_tablets

        return value if isinstance(value, float) else parse_tablets(value, _name(param, "TABLETS"))


WHEN = When()
DATE = Date()
DURATION = Duration()
TABLETS = Tablets()


def period(since: date | None, until: date | None, today: date, days_before: int) -> tuple[date, date]:
    """The dates of --since and --until as given, or by default up to `today` and from
    `days_before` days before the last; refused when --since is after --until."""
    from reminderd.errors import UsageError

    last = until or today
    first = since or last - timedelta(days=days_before)
    if first > last:
        raise UsageError(f"--since {first} is after --until {last}; expected since <= until")
    return first, last
