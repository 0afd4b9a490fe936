"""The config as a file on this machine: its text read, and the files it names (each
url_file's URL, the page's certificate and key, the replica's key) and the machine's time
zone looked up, so that the core (`reminderd.core.config`) parses what it is handed and
reads nothing itself.

Problems with the named files are found once the text itself parses (a second pass, as
`check-config` shows them), each named by its key like every other problem."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from reminderd.core.config.collect import show
from reminderd.core.config.load import parse_config
from reminderd.core.config.settings import Config
from reminderd.errors import BadUrl, ConfigError

if TYPE_CHECKING:
    from pathlib import Path


def load_config(path: str | os.PathLike[str], fresh_zone: bool = False) -> Config:
    """The config at `path`; `fresh_zone`: the machine's zone, for a config that names
    none, read anew (the running daemon's reload: tzlocal keeps its first answer)."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise ConfigError([f"no config file at {path}; run `reminderd init` to write one"],
                          str(path)) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError([f"cannot read the file: {err}"], str(path)) from None
    zone = (lambda: system_zone_name(fresh=True)) if fresh_zone else system_zone_name
    return with_named_files(parse_config(text, str(path), zone), os.path.dirname(os.fspath(path)))


def system_zone_name(fresh: bool = False) -> str:
    """The machine's time zone name ($TZ, /etc/localtime), "UTC" when it cannot be told."""
    return machine_zone_name(fresh) or "UTC"


def machine_zone_name(fresh: bool = False) -> str | None:
    """The machine's time zone name, or None when it cannot be told (a zone file copied
    into /etc/localtime with no name beside it). tzlocal keeps its first answer for the
    life of the process: `fresh` reads the machine's settings again (the running daemon,
    when they changed, and on a reload), and keeps the answer it had while they cannot be
    read (half-written, or in conflict)."""
    try:
        import tzlocal  # comes with APScheduler; imported here so the CLI stays quick

        if fresh:
            import time

            time.tzset()  # the C library's local time too (the log lines' times), read anew first
            try:
                tzlocal.reload_localzone()
            except Exception:  # half-written or in conflict: the answer it had stands
                pass
        return tzlocal.get_localzone_name() or None
    except Exception:  # tzlocal raises several kinds on odd systems
        return None


def with_named_files(config: Config, folder: str | os.PathLike[str]) -> Config:
    """Fill each `url` from its `url_file` and find the replica's key_file (`~` expanded,
    relative to the config's folder), and find the page's certificate and key (`~`
    expanded). A url_file that others can read or that holds no URL, or a certificate that
    is not there, is refused, named by its key."""
    problems: list[str] = []

    def beside(path: Path) -> Path:
        from pathlib import Path  # only where the config names a file: the quick commands need no pathlib

        written = path.expanduser()
        return written if written.is_absolute() else Path(folder) / written

    def read(target, path: str, **kind):
        if target is None or target.url_file is None:
            return target
        from reminderd.push.urls import read_url_file  # only where a file holds a URL

        where = beside(target.url_file)
        try:
            return target._replace(url=read_url_file(where, **kind), url_file=where)
        except BadUrl as bad:
            problems.append(f"{path}.url_file: {show(str(where))} is not valid; expected {bad}")
            return target

    def pem(path: Path | None, key: str) -> Path | None:
        if path is None:
            return None
        found = path.expanduser()
        if not found.is_file():
            problems.append(f"remote.{key}: {show(str(path))} is not valid; expected the path of an existing PEM file")
        return found

    push = read(config.push, "push")
    contacts = tuple(read(contact, f"contact[{i}]") for i, contact in enumerate(config.contacts))
    raters = tuple(read(rater, f"rater[{i}]") for i, rater in enumerate(config.raters))
    replica = config.replica
    if replica is not None:
        from reminderd.core.config.values import check_replica_url

        replica = read(replica, "replica", check=check_replica_url, what="replica URL")
        if replica.key_file is not None:
            replica = replica._replace(key_file=beside(replica.key_file))
    remote = config.remote and config.remote._replace(certificate=pem(config.remote.certificate, "certificate"),
                                                      key=pem(config.remote.key, "key"))
    if problems:
        raise ConfigError(problems, config.source)
    return config._replace(push=push, contacts=contacts, raters=raters, remote=remote, replica=replica)
