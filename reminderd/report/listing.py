"""The log as text a person or a spreadsheet reads: a table, CSV or JSON.

CSV and JSON carry instants as UTC ISO 8601 (exact, sortable); the table shows local
wall-clock times, as the user lives them.
"""

from __future__ import annotations

import json
from datetime import date, datetime, tzinfo
from typing import Any

from reminderd.core.clock import local_time
from reminderd.store import Store, iso


def dose_rows(store: Store, first: date, last: date, medication: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for d in store.doses_on_dates(first, last, medication):
        rows.append({
            "id": d.id, "medication": d.medication, "local_date": d.local_date.isoformat(),
            "slot": d.slot, "dose": d.dose, "due": iso(d.due), "status": d.status,
            "taken_at": iso(d.taken_at), "late_minutes": d.late_minutes, "via": d.via,
            "reason": d.reason, "reminders_sent": d.reminders_sent,
        })
    return rows


def render(rows: list[dict[str, Any]], columns: list[str], fmt: str, tz: tzinfo) -> str:
    if fmt == "json":
        return json.dumps([{c: r[c] for c in columns} for r in rows], indent=2) + "\n"
    if fmt == "csv":
        import csv  # only for csv: the table, the usual listing, needs none
        import io

        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    from reminderd.report.table import simple_table

    def shown(column: str, value: Any) -> Any:
        if value is None:
            return ""
        if column in ("due", "taken_at"):
            return local_time(datetime.fromisoformat(value), tz, "%Y-%m-%d %H:%M")
        return value

    table = [[shown(c, r[c]) for c in columns] for r in rows]
    if not table:
        return "no doses recorded in that period\n"
    return simple_table(table, columns) + "\n"
