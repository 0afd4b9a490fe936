"""`reminderd report`: the log and the prescription history turned into the adherence
figures and the missed-dose effect, rendered as terminal text, JSON, or one printable HTML
page. The effect imports numpy, which nothing else in reminderd does. The data is built once (`build`) and each format renders it (`text`, `json`, `html`);
`listing` and `table` render the `log` command and small tables.
"""

from __future__ import annotations

from datetime import date, datetime
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reminderd.core.config.settings import Config
    from reminderd.store import Store

# Each format's renderer, imported only when that format is asked for.
RENDERERS = {"text": "reminderd.report.text", "json": "reminderd.report.json", "html": "reminderd.report.html"}


def render(store: Store, config: Config, since: date, until: date, now: datetime, fmt: str,
           effect_since: date | None = None) -> str:
    """The report of the local dates `since`..`until` as the log stands at `now`, in `fmt`;
    the missed-dose effect over the nights from `effect_since` (default: the whole log)."""
    from reminderd.report.build import build

    renderer = import_module(RENDERERS[fmt])
    return renderer.render(build(store, config, since, until, now, effect_since))
