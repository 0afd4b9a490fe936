"""The daemon's refill warning: once a local day, with a dose's first reminder, say that
its tablets run low."""

from __future__ import annotations

import logging
from datetime import datetime

from reminderd.core.config.settings import Medication
from reminderd.core.typed import as_typed
from reminderd.core.words import REFILL_WARNED, VIA_DAEMON
from reminderd.daemon.shared import Shared

log = logging.getLogger("reminderd")


def warn_supply(shared: Shared, med: Medication, now: datetime) -> None:
    from reminderd import services
    from reminderd.core.supply import needs_refill

    config, store = shared.config, shared.store
    services.start_supply_counts(store, config, now)
    supply = services.supply_of(store, config, med, now)
    if supply is None or not needs_refill(med, supply):
        return
    today = now.astimezone(config.timezone).date().isoformat()
    if store.last_event_at(REFILL_WARNED, medication=med.name, date=today) is not None:
        return
    store.add_event(REFILL_WARNED, VIA_DAEMON, now, None, {"medication": med.name, "date": today})
    log.info("supply: %s %s left; refill warning shown", med.name, supply.text)
    name = "your medication" if config.notifications.private else med.name
    shared.show_plain(f"supply:{med.name}", f"Refill soon: {name}",
                      f"{supply.text} left. When you have more, record it with: "
                      f"reminderd refill {'MEDICATION' if config.notifications.private else as_typed(med.name)} TABLETS")
