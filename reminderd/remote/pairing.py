"""Pairing a phone: a long random token, of which only a SHA-256 hash is kept, in a
0600 file beside the log. `reminderd pair --revoke` empties the file, so every link and
every paired browser stops working at once (the page reads the file on each request).

A plain hash is enough: the token has 256 random bits, so there is nothing to guess from
the hash, and a slow password hash would only slow the page down.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

TOKEN_BYTES = 32
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")  # what token_urlsafe makes, with room


def pairing_path(db_path: Path) -> Path:
    return Path(db_path).parent / "remote-pairing"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(db_path: Path) -> str:
    """Make a token, keep its hash (beside earlier pairings) and return the token."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    path = pairing_path(db_path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)  # an older file with looser permissions is tightened
    with open(fd, "a", encoding="ascii") as out:
        out.write(digest(token) + "\n")
    return token


def revoke(db_path: Path) -> int:
    """Forget every pairing; returns how many there were."""
    path = pairing_path(db_path)
    count = len(_hashes(path))
    if path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC, 0o600)
        os.close(fd)
    return count


def matching_hash(db_path: Path, token: str | None) -> str | None:
    """The stored hash `token` matches, or None. Every stored hash is compared, in
    constant time, whatever the token looks like."""
    hashes = _hashes(pairing_path(db_path))
    # A token of the wrong shape is still hashed and compared, so it takes as long.
    candidate = digest(token if token is not None and TOKEN_SHAPE.fullmatch(token) else "-")
    found = None
    for stored in hashes:
        if hmac.compare_digest(stored, candidate) and token is not None and TOKEN_SHAPE.fullmatch(token):
            found = stored
    return found


def _hashes(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="ascii")
    except (FileNotFoundError, UnicodeDecodeError):
        return []
    return [line for line in text.split() if re.fullmatch(r"[0-9a-f]{64}", line)]


def pairing_link(config, db_path: Path) -> str:
    """A new token's link: the page's address with /pair/TOKEN. Refused without [remote]."""
    from reminderd.errors import UsageError
    from reminderd.remote import page_url

    base = page_url(config)
    if base is None:
        raise UsageError('no page to pair with: the config has no [remote] table; expected e.g. '
                         '[remote] listen = "0.0.0.0:8765", then restart the daemon')
    return f"{base}pair/{new_token(db_path)}"


def print_qr(link: str, out) -> None:
    import segno  # only here: the rest of the CLI does not need it

    segno.make(link, error="m").terminal(out=out, compact=True)
