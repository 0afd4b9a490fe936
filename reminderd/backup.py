"""The whole log as one JSON file, and back: `reminderd export` and `reminderd import`.

The file holds every row of every log table exactly as stored (UTC instants as text,
ids included), one row a line, so that export -> import -> export gives the same bytes.
It says what it is (`format`, `version`) and which schema its rows fit; a file that
does not fit is refused with every problem found, before anything is written.
"""

from __future__ import annotations

import json
from typing import Any

from reminderd.errors import UsageError
from reminderd.store import SCHEMA_VERSION, Store

FORMAT = "reminderd-export"
VERSION = 1
MAX_PROBLEMS_SHOWN = 10


class ImportFileError(UsageError):
    """An export file that cannot be restored; holds every problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        shown += f"\n  - and {more} more" if more > 0 else ""
        super().__init__(f"{source} cannot be imported; nothing was changed:\n{shown}")


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


def load(text: str, store: Store, source: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of an export file, checked against the log's own tables: every column
    present and nothing else, each value of its column's type, NOT NULL kept, ids
    unique, every event's dose in the file. Raises ImportFileError naming each problem."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ImportFileError(source, [f"not JSON: {err.msg} at line {err.lineno} column {err.colno}"]) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportFileError(source, [f'not a reminderd export: expected an object with "format": "{FORMAT}"'])
    problems: list[str] = []
    if doc.get("version") != VERSION:
        problems.append(f"version: {doc.get('version')!r} is not valid; expected {VERSION}")
    if doc.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"schema_version: {doc.get('schema_version')!r} is not valid; expected "
                        f"{SCHEMA_VERSION}, the log schema of this reminderd")
    unknown = set(doc) - {"format", "version", "schema_version", *Store.LOG_TABLES}
    problems += [f"{key}: unknown key; expected only format, version, schema_version and "
                 f"{', '.join(Store.LOG_TABLES)}" for key in sorted(unknown)]
    tables = {table: _rows(doc, table, store.table_columns(table), problems) for table in Store.LOG_TABLES}
    dose_ids = {row.get("id") for row in tables["doses"]}
    for i, row in enumerate(tables["events"]):
        if row.get("dose_id") is not None and row["dose_id"] not in dose_ids:
            problems.append(f"events[{i}].dose_id: {row['dose_id']!r} is not the id of any dose in the file")
    if problems:
        raise ImportFileError(source, problems)
    return tables


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


def _value_problem(value: Any, kind: str, not_null: bool) -> str | None:
    """What is expected instead of `value` in a column of SQLite type `kind`, or None."""
    if value is None:
        return "a value (this column may not be empty)" if not_null else None
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind == "INTEGER":
        return None if is_int else "a whole number" + ("" if not_null else " or null")
    if kind in ("FLOAT", "REAL"):
        return None if is_int or isinstance(value, float) else "a number" + ("" if not_null else " or null")
    return None if isinstance(value, str) else "text" + ("" if not_null else " or null")
