"""The answering functions, kept under their first name: they live in reminderd.services."""

from reminderd.services import (  # noqa: F401
    Answer,
    Undo,
    describe_event,
    edit,
    last_answer,
    parse_slot,
    pick_medication,
    refill,
    skip,
    skip_dose,
    snooze,
    snooze_dose,
    start_supply_counts,
    supply_of,
    take,
    take_dose,
    undo,
)
