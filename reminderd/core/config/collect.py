"""Every problem in a file, collected at once, each naming its key path, the value found
(secrets masked) and what was expected, so a user fixes the file in one go."""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as _clock
from typing import Any

from reminderd.core.config.tables import TABLES, Parser
from reminderd.errors import BadValue


def show(value: Any) -> str:
    """A value as the user wrote it in TOML, for error messages."""
    if isinstance(value, Secret):
        return value.text
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, (_clock, date, datetime)):
        return f"{value.isoformat()} (a TOML date or time; write it in quotes)"
    return repr(value)


class Secret:
    """A URL shown in an error: masked, since it holds credentials; a value that is not a
    string (a list of URLs, say) only by its kind."""

    def __init__(self, url: Any) -> None:
        from reminderd.core.urls import mask  # its pattern compiled only where a URL is shown

        kind = "a table" if isinstance(url, dict) else "a list" if isinstance(url, list) else "a value"
        self.text = f'"{mask(url)}"' if isinstance(url, str) else f"{kind} (hidden)"


def _holds_urls(path: str) -> bool:
    """[push], [replica], each [[contact]] and [[rater]]: their values may be URLs, which hold secrets."""
    return path in ("push", "replica", "contact", "rater") or path.startswith(("contact[", "rater["))


class Collector:
    """The problems found so far in one file, as the lines of its ConfigError."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, path: str, value: Any, expected: str) -> None:
        self.problems.append(f"{path}: {show(value)} is not valid; expected {expected}")

    def fields(self, table: Any, path: str, keys: dict[str, tuple[Parser, bool]]) -> dict:
        """Parse the keys of one table; unknown and missing keys are problems too."""
        prefix = f"{path}." if path else ""
        if not isinstance(table, dict):
            self.bad(path, Secret(table) if _holds_urls(path) else table, "a table")
            return {}
        out: dict[str, Any] = {}
        for key, value in table.items():
            if key not in keys:
                known = ", ".join(list(keys) + ([f"[{t}]" for t in TABLES] if not path else []))
                self.problems.append(f"{prefix}{key}: unknown setting; expected one of: {known}")
                continue
            parser = keys[key][0]
            if parser is None:
                out[key] = value
                continue
            try:
                out[key] = parser(value)
            except BadValue as bad:
                secret = key == "url" and _holds_urls(path)
                self.bad(prefix + key, Secret(value) if secret else value, bad.expected)
        for key, (_, required) in keys.items():
            if required and key not in table:
                self.problems.append(f"{prefix}{key}: missing; this setting is required")
        return out
