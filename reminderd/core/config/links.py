"""The tables that connect reminderd to other devices: [push], [[contact]], [remote] and
[replica] (the url_files that hold their secrets are read at the edge, `reminderd.config_file`)."""

from __future__ import annotations

from typing import Any

from reminderd.core.config.collect import Collector, Secret
from reminderd.core.config.settings import Contact, PushSettings, RemoteSettings, ReplicaSettings
from reminderd.core.config.tables import CONTACT_KEYS, PUSH_KEYS, REMOTE_KEYS, REPLICA_KEYS


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


def contacts(c: Collector, raw: Any) -> tuple[Contact, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.bad("contact", Secret(raw), "[[contact]] tables (an array of tables)")
        return ()
    contacts: list[Contact] = []
    for i, table in enumerate(raw):
        path, before = f"contact[{i}]", len(c.problems)
        fields = c.fields(table, path, CONTACT_KEYS)
        _one_url(c, table, path)
        if "name" in fields and any(o.name.casefold() == fields["name"].casefold() for o in contacts):
            c.bad(f"{path}.name", fields["name"], "a name not already used by another contact")
        if len(c.problems) == before:
            contacts.append(Contact(**fields))
    return tuple(contacts)
