"""The report as JSON: the period, the adherence figures, the missed-dose figures, the
as-needed counts, the prescriptions and the nights with something to say, for scripts and
other programs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reminderd.report.build import Report


def render(report: Report) -> str:
    """The whole report as one indented JSON object."""
    data = {
        "period": {"since": report.since.isoformat(), "until": report.until.isoformat()},
        "timezone": report.tz.key,
        "log_begins": report.log_begins.isoformat() if report.log_begins else None,
        **report.analysis.to_json_dict(),
        "as_needed": {p.medication: {"taken": p.taken, "days": p.days, "most_in_a_day": p.most_in_a_day}
                      for p in report.as_needed},
        "prescriptions": [{"from": p.start.isoformat(), "until": p.end and p.end.isoformat(),
                           "medications": dict(p.plans)} for p in report.prescriptions],
        "nights": [{"night": d.night.isoformat(), "label": d.label, "severity": d.severity, "doses": list(d.doses),
                    "as_needed": list(d.as_needed), "note": d.note, "other_cause": d.other_cause}
                   for d in report.details],
    }
    if report.raters:  # a second rater's figures beside his (none without one)
        from reminderd.report.raters import json_list

        data["raters"] = json_list(report)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
