"""The tables that connect reminderd to other devices: [push], [[contact]], [[rater]],
[remote] and [replica] (the url_files that hold their secrets are read at the edge,
`reminderd.config_file`)."""

from __future__ import annotations

from typing import Any, Callable

from reminderd.core.config.collect import Collector, Secret
from reminderd.core.config.settings import Contact, PushSettings, Rater, RemoteSettings, ReplicaSettings
from reminderd.core.config.tables import CONTACT_KEYS, PUSH_KEYS, RATER_KEYS, REMOTE_KEYS, REPLICA_KEYS


def remote(c: Collector, raw: Any) -> RemoteSettings | None:
    before = len(c.problems)
    fields = c.fields(raw, "remote", REMOTE_KEYS)
    if ("certificate" in fields) != ("key" in fields) and len(c.problems) == before:
        given, missing = ("certificate", "key") if "certificate" in fields else ("key", "certificate")
        c.problems.append(f"remote.{missing}: missing; expected both certificate and key for HTTPS, "
                          f"or neither (remote.{given} is set)")
    if len(c.problems) > before:
        return None
    host, port = fields.pop("listen")
    return RemoteSettings(host=host, port=port, **fields)


def _one_url(c: Collector, table: Any, path: str) -> None:
    given = [k for k in ("url", "url_file") if isinstance(table, dict) and k in table]
    if len(given) == 2:
        c.problems.append(f"{path}.url: given beside url_file; expected exactly one of url or url_file")
    elif not given and isinstance(table, dict):
        c.problems.append(f"{path}.url: missing; expected url, or url_file (a file holding the URL, mode 0600)")


def _one_url_table(c: Collector, table: Any, path: str, keys: dict, settings: type) -> Any:
    """An optional table whose secret is one url or url_file: [push], [replica]."""
    if table is None:
        return None
    before = len(c.problems)
    fields = c.fields(table, path, keys)
    _one_url(c, table, path)
    return settings(**fields) if len(c.problems) == before else None


def push(c: Collector, table: Any) -> PushSettings | None:
    return _one_url_table(c, table, "push", PUSH_KEYS, PushSettings)


def replica(c: Collector, table: Any) -> ReplicaSettings | None:
    return _one_url_table(c, table, "replica", REPLICA_KEYS, ReplicaSettings)


def _named_tables(c: Collector, raw: Any, name: str, keys: dict,
                  rules: Callable[[Any, str], None]) -> list[tuple[str, dict]]:
    """An array of tables ([[contact]], [[rater]]) each with a `name` of its own (in any
    case): (key path, fields) of each table without a problem; `rules(table, path)` adds
    what that kind of table checks across its keys."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        c.bad(name, Secret(raw), f"[[{name}]] tables (an array of tables)")  # it may be a URL
        return []
    found: list[tuple[str, dict]] = []
    for i, table in enumerate(raw):
        path, before = f"{name}[{i}]", len(c.problems)
        fields = c.fields(table, path, keys)
        rules(table, path)
        if "name" in fields and any(f["name"].casefold() == fields["name"].casefold() for _, f in found):
            c.bad(f"{path}.name", fields["name"], f"a name not already used by another {name}")
        if len(c.problems) == before:
            found.append((path, fields))
    return found


def contacts(c: Collector, raw: Any) -> tuple[Contact, ...]:
    return tuple(Contact(**fields) for _, fields in
                 _named_tables(c, raw, "contact", CONTACT_KEYS, lambda table, path: _one_url(c, table, path)))


def raters(c: Collector, raw: Any) -> tuple[Rater, ...]:
    """[[rater]] tables: each a name of her own, asked from `time` until `until`, by a url
    or url_file (optional: without one she opens her page herself)."""
    from reminderd.core.config.values import format_slot

    def at_most_one_url(table: Any, path: str) -> None:
        if isinstance(table, dict) and "url" in table and "url_file" in table:
            c.problems.append(f"{path}.url: given beside url_file; expected at most one of url or url_file")

    found = []
    for path, fields in _named_tables(c, raw, "rater", RATER_KEYS, at_most_one_url):
        rater = Rater(**fields)
        if rater.until <= rater.time:
            c.bad(f"{path}.until", format_slot(rater.until), f"a time after {path}.time ({format_slot(rater.time)})")
        else:
            found.append(rater)
    return tuple(found)

