"""What the command line's WHEN, DATE, DURATION and TABLETS mean, as click parameter
types over the core's own parsing (reminderd.core.typed), so a refusal is the core's one
line ("--at '25:00' is not valid; expected …"), exit 2, before anything is opened."""

from __future__ import annotations

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
        from datetime import date

        from reminderd.core.typed import parse_day

        return value if isinstance(value, date) else parse_day(value, _name(param, "--date"))


class Duration(click.ParamType):
    """A length of time as the config writes it: "10m", "1h", "90s"."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from datetime import timedelta

        from reminderd.core.config.values import parse_duration
        from reminderd.errors import BadValue
        from reminderd.errors import UsageError

        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(value)
        except BadValue as bad:
            raise UsageError(f"{_name(param, '--for')} {value!r} is not valid; expected {bad.expected}") from None


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
