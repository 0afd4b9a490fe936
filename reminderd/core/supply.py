"""Tablets on hand, as pure arithmetic: what was added (the starting count and every
refill) less `per_dose` for every dose taken since counting started."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from reminderd.core.config.settings import Medication


class Supply(NamedTuple):
    medication: str
    tablets: float
    days: float | None  # None for an as-needed medicine or a day with no doses

    @property
    def text(self) -> str:
        tablets = f"{self.tablets:g} tablet{'' if self.tablets == 1 else 's'}"
        return tablets if self.days is None else f"{tablets}, about {int(self.days)} day(s)"


def supply_left(med: Medication, added: float, taken: int, day: date) -> Supply:
    tablets = max(added - taken * med.per_dose, 0.0)
    step = med.step_on(day)
    per_day = len(step.times) * med.per_dose if step is not None else 0
    return Supply(med.name, tablets, tablets / per_day if per_day else None)


def needs_refill(med: Medication, supply: Supply) -> bool:
    return supply.days is not None and supply.days < med.refill_warn_days
