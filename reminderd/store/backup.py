"""The whole log as one JSON file, and back: `reminderd export` and `reminderd import`.

The file holds every row of every log table exactly as stored (UTC instants as text,
ids included), one row a line, so that export -> import -> export gives the same bytes.
It says what it is (`format`, `version`) and which schema its rows fit. Version 2 carries
the prescription history, version 3 the check-in's "anything else that could explain the
night?", version 4 a second rater's nights; files of versions 1 to 3 (without them) are
still imported.

Nothing in a file is trusted: every field must be what the store itself would have
written (aware UTC instants in the store's spelling, real dates, known statuses, "HH:MM"
slots, finite numbers in range, ids unique and every reference pointing at a row of the
file). A file that does not fit is refused whole, in one line naming the first row and
field at fault, before anything is written.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from reminderd.core.clock import UTC
from reminderd.core.checkin import NOTE_MAX, WOKE_MAX
from reminderd.core.prescriptions import PrescriptionError, config_of
from reminderd.core.rating import TELLING_ALERTS
from reminderd.core.rating import VIAS as RATING_VIAS
from reminderd.core.words import RATING, RATING_UNDONE, STATUSES, SUPPLY_KINDS, TAKEN, UNDONE
from reminderd.errors import BadValue, ImportFileError, UsageError
from reminderd.store import ANSWER_FIELDS, MAX_TABLETS, SCHEMA_VERSION, UNDOABLE, Store

FORMAT = "reminderd-export"
VERSION = 4
# The schema each export version's rows fit: version 1 had no prescription history,
# version 2 no "anything else?" in its check-ins, version 3 no ratings.
SCHEMA_OF_VERSION = {1: 3, 2: 4, 3: 5, 4: SCHEMA_VERSION}
TABLES_OF_VERSION = {1: Store.LOG_TABLES[:4], 2: Store.LOG_TABLES[:5], 3: Store.LOG_TABLES[:5],
                     4: Store.LOG_TABLES}
# Columns an older version's rows lack: imported as not answered (null).
NEW_COLUMNS = {"checkins": {"other_cause": 3}}


def dump(store: Store) -> str:
    """The export file's text."""
    lines = ["{", f'  "format": "{FORMAT}",', f'  "version": {VERSION},',
             f'  "schema_version": {SCHEMA_VERSION},']
    for i, table in enumerate(Store.LOG_TABLES):
        rows = store.table_rows(table)
        body = ",\n".join("    " + json.dumps(row, ensure_ascii=False) for row in rows)
        comma = "," if i < len(Store.LOG_TABLES) - 1 else ""
        lines.append(f'  "{table}": [\n{body}\n  ]{comma}' if rows else f'  "{table}": []{comma}')
    return "\n".join(lines) + "\n}\n"


# Limits no real log reaches, so that a file that is not an export is refused before it is
# held in memory: a year of three daily doses exports as 1.4 MB (its rows take three times
# that once read), and an export is three levels deep (an object of lists of rows).
MAX_FILE_BYTES = 100 * 2 ** 20
MB_OF_TEN_YEARS = 14


def read(path: Path) -> str:
    """An export file's text, read no further than MAX_FILE_BYTES (`/dev/zero` has no end)."""
    source = str(path)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise UsageError(f"{path} cannot be read ({err.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(source, [f"larger than {MAX_FILE_BYTES // 2 ** 20} MB; an export of ten years "
                                       f"of three daily doses is about {MB_OF_TEN_YEARS} MB"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"{path} cannot be read ({err})") from None


def parse(text: str, source: str) -> dict[str, Any]:
    """The file as JSON: an object that says it is a reminderd export of a known version.
    Raises ImportFileError. Needs no log, so a file refused here creates none."""
    try:
        doc = _json(text)
    except ValueError as err:
        raise ImportFileError(source, [str(err)]) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportFileError(source, [f'not a reminderd export: expected an object with "format": "{FORMAT}"'])
    version = doc.get("version")
    if isinstance(version, bool) or version not in SCHEMA_OF_VERSION:
        raise ImportFileError(source, [f"version: {json.dumps(version)} is not valid; expected "
                                       f"{', '.join(map(str, list(SCHEMA_OF_VERSION)[:-1]))} or {VERSION}"])
    return doc


def load(doc: dict[str, Any], store: Store, source: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of a parsed export file, checked against the log's own tables (every
    column present and nothing else, each value of its column's type, NOT NULL kept) and
    then field by field as the store would have written them. Version-1 files get an
    empty prescription history. Raises ImportFileError naming each problem."""
    version = doc["version"]
    problems: list[str] = []
    if doc.get("schema_version") != SCHEMA_OF_VERSION[version]:
        problems.append(f"schema_version: {json.dumps(doc.get('schema_version'))} is not valid; expected "
                        f"{SCHEMA_OF_VERSION[version]}, the log schema of export version {version}")
    names = TABLES_OF_VERSION[version]
    unknown = set(doc) - {"format", "version", "schema_version", *names}
    problems += [f"{key}: unknown key; expected only format, version, schema_version and "
                 f"{', '.join(names)}" for key in sorted(unknown)]
    tables = {table: _rows(doc, table, _columns_of(store, table, version), problems) if table in names else []
              for table in Store.LOG_TABLES}
    for table, added in NEW_COLUMNS.items():
        for column, since in added.items():
            if version < since:
                for row in tables[table]:
                    row[column] = None
    if not problems:  # the fields' meaning is checked once every field has its column's type
        _check_meaning(tables, problems)
    if problems:
        raise ImportFileError(source, problems)
    return tables


def _json(text: str) -> Any:
    """JSON as reminderd writes it, or ValueError saying why not (NaN and Infinity, which
    JSON itself does not have, and nesting deeper than the reader follows, are refused)."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise ValueError(f"not JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    except RecursionError:  # Python's reader stops near 1,000 levels, in bounded time and memory
        raise ValueError("not JSON reminderd reads: nested too deeply (an export is 3 levels deep)") from None
    except ValueError as err:
        raise ValueError(f"not JSON: {err}") from None


def _columns_of(store: Store, table: str, version: int) -> list[tuple[str, str, bool]]:
    """The table's columns as an export of `version` has them."""
    added = NEW_COLUMNS.get(table, {})
    return [c for c in store.table_columns(table) if version >= added.get(c[0], 0)]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _rows(doc: dict, table: str, columns: list[tuple[str, str, bool]],
          problems: list[str]) -> list[dict[str, Any]]:
    rows = doc.get(table)
    if not isinstance(rows, list):
        problems.append(f"{table}: {'missing' if rows is None else 'not a list'}; expected a list of rows")
        return []
    names = [name for name, _, _ in columns]
    seen_ids: set[Any] = set()
    for i, row in enumerate(rows):
        where = f"{table}[{i}]"
        if not isinstance(row, dict):
            problems.append(f"{where}: not an object; expected the columns {', '.join(names)}")
            continue
        missing = [n for n in names if n not in row]
        extra = [k for k in row if k not in names]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
        if extra:
            problems.append(f"{where}: unknown column {', '.join(extra)}; expected {', '.join(names)}")
        for name, kind, not_null in columns:
            if name in row:
                problem = _value_problem(row[name], kind, not_null or name == "id")
                if problem:
                    problems.append(f"{where}.{name}: {json.dumps(row[name])} is not valid; expected {problem}")
        if isinstance(row.get("id"), int):
            if row["id"] in seen_ids:
                problems.append(f"{where}.id: {row['id']} is used twice; expected each id once")
            seen_ids.add(row["id"])
    return [row for row in rows if isinstance(row, dict)]


SQLITE_INT = 2 ** 63 - 1


def _value_problem(value: Any, kind: str, not_null: bool) -> str | None:
    """What is expected instead of `value` in a column of SQLite type `kind`, or None."""
    if value is None:
        return "a value (this column may not be empty)" if not_null else None
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind == "INTEGER":
        ok = is_int and -SQLITE_INT <= value <= SQLITE_INT
        return None if ok else "a whole number" + ("" if not_null else " or null")
    if kind in ("FLOAT", "REAL"):
        ok = (is_int and abs(value) <= SQLITE_INT) or (isinstance(value, float) and math.isfinite(value))
        return None if ok else "a number" + ("" if not_null else " or null")
    return None if isinstance(value, str) else "text" + ("" if not_null else " or null")


# --- what each field means ------------------------------------------------------------

Check = Callable[[Any], "str | None"]  # the value -> what was expected, or None when it is good
INSTANT = "an instant as reminderd writes it, UTC ISO 8601 like 2026-11-20T08:00:00+00:00"
MAX_LATE_MINUTES = 366 * 24 * 60  # a dose answered more than a year from its due time is no record


def _instant(value: Any) -> str | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return INSTANT
    if parsed.tzinfo is None or parsed.utcoffset() != UTC.utcoffset(None):
        return INSTANT
    return None if parsed.isoformat(timespec="seconds") == value and 1900 < parsed.year < 9000 else INSTANT


def _required_instant(value: Any) -> str | None:
    return INSTANT if value is None else _instant(value)


def _day(value: Any) -> str | None:
    try:
        ok = date.fromisoformat(value).isoformat() == value
    except ValueError:
        ok = False
    return None if ok and 1900 < int(value[:4]) < 9000 else "a real date YYYY-MM-DD"


def _slot(value: Any) -> str | None:
    import re

    if re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value) or re.fullmatch(r"PRN [1-9]\d{0,3}", value):
        return None
    return 'a slot "HH:MM" (00:00 to 23:59) or "PRN n"'


def _one_of(*allowed: str) -> Check:
    return lambda v: None if v in allowed else "one of " + ", ".join(f'"{a}"' for a in allowed)


def _in_range(low: float, high: float, what: str = "a whole number") -> Check:
    return lambda v: None if v is None or low <= v <= high else f"{what} from {low:g} to {high:g}"


def _text(value: Any) -> str | None:
    return None if value is None or value.strip() else "text that is not blank"


def _positive_id(value: Any) -> str | None:
    return None if value >= 1 else "a whole number of at least 1"


def _json_object(value: Any) -> str | None:
    if value is None:
        return None
    try:
        parsed = _json(value)
    except ValueError:
        return "a JSON object as text, or null"
    return None if isinstance(parsed, dict) else "a JSON object as text, or null"


def _rater_name(value: Any) -> str | None:
    from reminderd.core.config.values import parse_rater_name

    try:
        return None if parse_rater_name(value) == value else "a name without spaces around it"
    except BadValue as bad:
        return bad.expected


def _note(value: Any) -> str | None:
    return None if value is None or len(value) <= NOTE_MAX else f"text of at most {NOTE_MAX} characters, or null"


def _told(value: Any) -> str | None:
    """What told a rater of a night's doses: a message key as the outbox records it."""
    kind, _, rest = (value or "").partition(":")
    return None if value is None or (kind in TELLING_ALERTS and rest) else \
        "null, or the key of the message that told her (missed:ID, summary:DATE or not-running:INSTANT)"


FIELD_CHECKS: dict[str, dict[str, Check]] = {
    "doses": {
        "id": _positive_id, "medication": _text, "local_date": _day, "slot": _slot, "dose": _text,
        "due": _required_instant, "status": _one_of(*STATUSES), "taken_at": _instant,
        "late_minutes": _in_range(-MAX_LATE_MINUTES, MAX_LATE_MINUTES),
        "snoozed_until": _instant, "reminders_sent": _in_range(0, 100_000),
        "last_reminded_at": _instant, "answered_at": _instant, "created_at": _instant,
    },
    "events": {"id": _positive_id, "at": _required_instant, "kind": _text, "source": _text, "detail": _json_object},
    "checkins": {
        "id": _positive_id, "night": _day, "severity": _in_range(0, 3), "frequency": _in_range(0, 4),
        "woke": _in_range(0, 50), "answered_at": _required_instant, "via": _text, "updated_at": _required_instant,
        "other_cause": _in_range(0, 1),
    },
    "ratings": {
        "id": _positive_id, "rater": _rater_name, "night": _day, "severity": _in_range(0, 3),
        "frequency": _in_range(0, 4), "woke": _in_range(0, WOKE_MAX), "note": _note,
        "answered_at": _required_instant, "via": _one_of(*RATING_VIAS), "blinded": _in_range(0, 1),
        "told": _told, "updated_at": _required_instant,
    },
    "supply": {
        "id": _positive_id, "medication": _text, "at": _required_instant, "kind": _one_of(*SUPPLY_KINDS),
        "change": _in_range(-MAX_TABLETS, MAX_TABLETS, "a number of tablets"),
    },
    "prescriptions": {"id": _positive_id, "in_force_from": _required_instant},
}


def _check_meaning(tables: dict[str, list[dict[str, Any]]], problems: list[str]) -> None:
    """Each field as the store writes it, then what rows say about each other."""
    for table, checks in FIELD_CHECKS.items():
        for i, row in enumerate(tables[table]):
            for name, check in checks.items():
                expected = check(row[name])
                if expected:
                    problems.append(f"{table}[{i}].{name}: {json.dumps(row[name])} is not valid; expected {expected}")
    for i, row in enumerate(tables["prescriptions"]):
        _check_prescription(row["prescription"], f"prescriptions[{i}].prescription", problems)
    if problems:
        return
    _check_doses(tables["doses"], problems)
    _check_events(tables["events"], {row["id"] for row in tables["doses"]}, problems)
    nights: dict[str, int] = {}
    for i, row in enumerate(tables["checkins"]):
        if row["night"] in nights:
            problems.append(f"checkins[{i}].night: {row['night']} already has a check-in "
                            f"(checkins[{nights[row['night']]}]); expected one per night")
        nights.setdefault(row["night"], i)
    _check_ratings(tables["ratings"], problems)
    _check_rating_events(tables["events"], problems)


def _check_ratings(ratings: list[dict[str, Any]], problems: list[str]) -> None:
    """One row per rater and night; blinded says what told says; answers that fit together."""
    seen: dict[tuple, int] = {}
    for i, row in enumerate(ratings):
        key = (row["rater"], row["night"])
        if key in seen:
            problems.append(f"ratings[{i}]: {row['rater']} already rated the night of {row['night']} "
                            f"(ratings[{seen[key]}]); expected one row per rater and night")
        seen.setdefault(key, i)
        if row["blinded"] != (row["told"] is None):
            problems.append(f"ratings[{i}].blinded: {row['blinded']} is not valid; expected "
                            f"{int(row['told'] is None)}, as told is {json.dumps(row['told'])}")
        if row["severity"] == 0 and row["woke"]:
            problems.append(f"ratings[{i}].woke: {row['woke']} is not valid; expected 0 or null with severity 0")
        if row["severity"] > 0 and row["frequency"] == 0:
            problems.append(f"ratings[{i}].frequency: 0 is not valid; expected 1 to 4 or null with severity "
                            f"{row['severity']}")


def _check_rating_events(events: list[dict[str, Any]], problems: list[str]) -> None:
    """A rating's event keeps the answer and the row it replaced (`before`), which an undo
    puts back: each must be a row as the store writes it. An undoing names a rating of the file."""
    from reminderd.store.ratings import RATING_FIELDS

    ratings = {row["id"]: json.loads(row["detail"] or "{}") for row in events if row["kind"] == RATING}
    for i, row in enumerate(events):
        detail = json.loads(row["detail"]) if row["detail"] else {}
        if row["kind"] == RATING:
            answer = {k: v for k, v in detail.items() if k != "before"}
            if "before" not in detail or not _is_rating_row(answer) or \
                    not (detail["before"] is None or _is_rating_row(detail["before"])):
                problems.append(f"events[{i}].detail: a rating's answer or the answer it replaced (before) is not "
                                f"valid; expected the fields {', '.join(RATING_FIELDS)} as a ratings row has them")
        elif row["kind"] == RATING_UNDONE:
            undone = ratings.get(detail.get("event"))
            if undone is None or (undone.get("rater"), undone.get("night")) != (detail.get("rater"),
                                                                               detail.get("night")):
                problems.append(f"events[{i}].detail: an undone rating names no rating of the file; expected "
                                '{"event": the id of the rating it undid, "rater": …, "night": …}')


_RATING_TEXT = ("rater", "night", "note", "answered_at", "via", "told")
_RATING_REQUIRED = ("rater", "night", "severity", "answered_at", "via", "blinded")


def _is_rating_row(row: Any) -> bool:
    """An answer as the ratings table holds it (without its id and updated_at)."""
    from reminderd.store.ratings import RATING_FIELDS

    if not isinstance(row, dict) or set(row) != set(RATING_FIELDS):
        return False
    checks = FIELD_CHECKS["ratings"]
    return row["blinded"] == (row["told"] is None) and not any(
        _value_problem(row[k], "TEXT" if k in _RATING_TEXT else "INTEGER", k in _RATING_REQUIRED)
        or checks[k](row[k]) for k in RATING_FIELDS)


def _check_prescription(text: str, where: str, problems: list[str]) -> None:
    """Read by the config's own parsers and rules, as `check-config` reads a config, and
    held to the canonical form: each problem named by its place inside the prescription."""
    try:
        config_of(text)
    except PrescriptionError as err:
        problems += [f"{where}.{path}: {message}" if path else f"{where}: {message}" for path, message in err.problems]


def _check_doses(doses: list[dict[str, Any]], problems: list[str]) -> None:
    seen: dict[tuple, int] = {}
    for i, row in enumerate(doses):
        key = (row["medication"], row["local_date"], row["slot"])
        if key in seen:
            problems.append(f"doses[{i}]: {' '.join(key)} is also doses[{seen[key]}]; expected one row a dose")
        seen.setdefault(key, i)
        if row["status"] == TAKEN and row["taken_at"] is None:
            problems.append(f"doses[{i}].taken_at: null is not valid; expected when a taken dose was taken")
        if row["status"] != TAKEN and row["taken_at"] is not None:
            problems.append(f"doses[{i}].taken_at: {json.dumps(row['taken_at'])} is not valid; "
                            f"expected null for a {row['status']} dose")


def _check_events(events: list[dict[str, Any]], dose_ids: set[int], problems: list[str]) -> None:
    event_ids = {row["id"] for row in events}
    for i, row in enumerate(events):
        if row["dose_id"] is not None and row["dose_id"] not in dose_ids:
            problems.append(f"events[{i}].dose_id: {row['dose_id']!r} is not the id of any dose in the file")
        detail = json.loads(row["detail"]) if row["detail"] else {}
        if row["kind"] == UNDONE and (detail.get("event") not in event_ids or row["dose_id"] is None):
            problems.append(f"events[{i}].detail: an undoing names no event of the file; expected "
                            '{"event": the id of the answer it undid}')
        before = detail.get("before")
        if row["kind"] in UNDOABLE and before is not None:
            ok = isinstance(before, dict) and set(before) == set(ANSWER_FIELDS) and before["status"] in STATUSES \
                and all(before[k] is None or isinstance(before[k], str) and _instant(before[k]) is None
                        for k in ("taken_at", "snoozed_until", "answered_at"))
            if not ok:
                problems.append(f"events[{i}].detail: its earlier state (before) is not valid; expected "
                                f"the fields {', '.join(ANSWER_FIELDS)} as a dose row has them")
