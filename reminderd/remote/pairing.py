"""Who may open the page: pairing codes and paired phones, in one 0600 file beside the log.

Pairing works the way banks pair a phone. `reminderd pair --name NAME` makes a pairing
code, good for one use and for CODE_LIFETIME after it was made; the link and QR code carry
it. The phone that opens the link and confirms gets a credential of its own (a long random
secret, set in a cookie and never in a URL), and the code is spent. Each phone is listed by
name with when it was last seen, and revoked alone.

Each phone carries whose page its credential opens, its role: PATIENT (his doses and his
check-in) or, for the partner who rates the nights, `rater_role(NAME)` (her question
only). The page asks for a role on every route, so one kind of credential never opens the
other's page, and a new kind of page is a new role, not a new store.

Only SHA-256 hashes of codes and credentials are kept: both have 256 random bits, so there
is nothing to guess from a hash, and a slow password hash would only slow the page down.
The file is JSON, rewritten whole (a temporary file renamed over it) under a lock, so the
CLI and the daemon can both change it and a reader never sees half a file.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

from reminderd.core.words import RATER_PREFIX
from reminderd.errors import UsageError

SECRET_BYTES = 32
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # what token_urlsafe(32) makes
CODE_LIFETIME = timedelta(minutes=10)
SEEN_EVERY = timedelta(minutes=1)  # "last seen" is written at most this often per phone
NAME_SHAPE = re.compile(r"[^\x00-\x1f\x7f]{1,40}")
FILE_NAME = "remote-pairing.json"
LEGACY_FILE_NAME = "remote-pairing"  # the first version's bare hashes, whose tokens stayed in links


def rater_role(name: str) -> str:
    """The role of a credential that opens the page of the rater called `name` (issue 24)."""
    return RATER_PREFIX + name


@dataclass(frozen=True)
class Phone:
    """A paired phone: its name, whose page it opens, and when it was paired and last seen."""

    name: str
    role: str
    hash: str
    paired: str  # ISO instants in UTC, as stored
    last_seen: str | None = None


@dataclass(frozen=True)
class Code:
    """A pairing code not used yet: the phone it will be, until it expires."""

    name: str
    role: str
    hash: str
    expires: str


def pairing_path(db_path: Path) -> Path:
    return Path(db_path).parent / FILE_NAME


def legacy_path(db_path: Path) -> Path:
    return Path(db_path).parent / LEGACY_FILE_NAME


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Pairings:
    """The pairing file of the log at `db_path`. Every method reads the file again, so a
    `pair --revoke` in the terminal takes effect on the page's next request."""

    def __init__(self, db_path: Path) -> None:
        self.path = pairing_path(db_path)
        self.legacy = legacy_path(db_path)

    # --- reading --------------------------------------------------------------------------

    def phones(self) -> list[Phone]:
        return self._read()[0]

    def codes(self, now: datetime) -> list[Code]:
        """The codes not used yet and not expired."""
        return [c for c in self._read()[1] if datetime.fromisoformat(c.expires) > now]

    def phone(self, *secrets: str | None) -> Phone | None:
        """The phone whose credential one of `secrets` is, or None. Every stored hash is
        compared, in constant time, whatever the secret looks like."""
        phones = self.phones()
        return next((p for p in (_match(phones, secret) for secret in secrets) if p is not None), None)

    def code(self, code: str | None, now: datetime) -> Code | None:
        """The pairing code `code` is, if not used and not expired."""
        return _match(self.codes(now), code)

    # --- changing -------------------------------------------------------------------------

    def new_code(self, name: str | None, role: str, now: datetime) -> str:
        """Make a pairing code for a phone to be called `name` (the first free "phone",
        "phone 2", … when None); returns the code. A name in use is refused."""
        code = secrets.token_urlsafe(SECRET_BYTES)
        with self._changing() as (phones, codes):
            codes[:] = [c for c in codes if datetime.fromisoformat(c.expires) > now]
            taken = {p.name for p in phones} | {c.name for c in codes}
            if name is None:
                name = next(n for n in ("phone", *(f"phone {i}" for i in range(2, 1000))) if n not in taken)
            elif not NAME_SHAPE.fullmatch(name):
                raise UsageError(f"--name {name!r} is not valid; expected 1 to 40 characters, no control characters")
            elif name in taken:
                raise UsageError(f"a phone called {name!r} is already paired or being paired; "
                                 f"pick another --name, or first: reminderd pair --revoke {_quoted(name)}")
            codes.append(Code(name, role, digest(code), (now + CODE_LIFETIME).isoformat(timespec="seconds")))
        self._forget_legacy()
        return code

    def redeem(self, code: str | None, now: datetime) -> tuple[str, Phone] | None:
        """Spend a pairing code: the new phone's credential and the phone, or None when the
        code is unknown, used or expired. A code is spent by its first use, whatever comes after."""
        secret = secrets.token_urlsafe(SECRET_BYTES)
        with self._changing() as (phones, codes):
            found = _match(codes, code)
            codes[:] = [c for c in codes if c is not found and datetime.fromisoformat(c.expires) > now]
            if found is None or datetime.fromisoformat(found.expires) <= now:
                return None
            phone = Phone(found.name, found.role, digest(secret), now.isoformat(timespec="seconds"))
            phones.append(phone)
        return secret, phone

    def seen(self, phone: Phone, now: datetime) -> None:
        """Note that `phone` opened the page now (at most once per SEEN_EVERY)."""
        if phone.last_seen is not None and now - datetime.fromisoformat(phone.last_seen) < SEEN_EVERY:
            return
        with self._changing() as (phones, _):
            phones[:] = [replace(p, last_seen=now.isoformat(timespec="seconds")) if p.hash == phone.hash else p
                         for p in phones]

    def revoke(self, name: str) -> bool:
        """Unpair the phone called `name` (or withdraw its code not used yet)."""
        with self._changing() as (phones, codes):
            before = len(phones) + len(codes)
            phones[:] = [p for p in phones if p.name != name]
            codes[:] = [c for c in codes if c.name != name]
            return len(phones) + len(codes) < before

    def revoke_all(self) -> int:
        """Unpair every phone and withdraw every code; returns how many phones there were."""
        with self._changing() as (phones, codes):
            count = len(phones)
            phones.clear()
            codes.clear()
        self._forget_legacy()
        return count

    # --- the file -------------------------------------------------------------------------

    def _read(self) -> tuple[list[Phone], list[Code]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return ([Phone(**p) for p in data.get("phones", [])], [Code(**c) for c in data.get("codes", [])])
        except FileNotFoundError:
            return [], []
        except (ValueError, TypeError, AttributeError) as err:
            # Hand-edited or damaged: refusing everyone is the safe reading.
            raise UsageError(f"{self.path} cannot be read ({type(err).__name__}); "
                             "remove it and pair the phones again") from None

    @contextmanager
    def _changing(self) -> Iterator[tuple[list[Phone], list[Code]]]:
        """Read, let the caller change the lists, write back if they changed, all under the
        lock. A wrong code posted to the page changes nothing, so it costs no write to disk."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(self.path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            phones, codes = self._read()
            before = (list(phones), list(codes))
            yield phones, codes
            if (phones, codes) != before:
                self._write(phones, codes)
        finally:
            os.close(lock)  # releases the lock

    def _write(self, phones: list[Phone], codes: list[Code]) -> None:
        text = json.dumps({"phones": [asdict(p) for p in phones], "codes": [asdict(c) for c in codes]}, indent=1)
        partial = self.path.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a leftover with looser permissions is tightened
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.path)

    def _forget_legacy(self) -> None:
        self.legacy.unlink(missing_ok=True)


def _match(entries: list, secret: str | None):
    """The entry whose hash `secret` has, compared in constant time with every one; a
    secret of the wrong shape is hashed and compared all the same, so it takes as long."""
    good_shape = secret is not None and SECRET_SHAPE.fullmatch(secret) is not None
    candidate = digest(secret if good_shape else "-")
    found = None
    for entry in entries:
        if hmac.compare_digest(entry.hash, candidate) and good_shape:
            found = entry
    return found


def _quoted(name: str) -> str:
    return f"'{name}'" if " " in name else name


def pairing_base(config) -> str:
    """The page's address, to which a pairing link adds pair/CODE. Refused without [remote]."""
    from reminderd.remote import page_url

    base = page_url(config)
    if base is None:
        raise UsageError('no page to pair with: the config has no [remote] table; expected e.g. '
                         '[remote] listen = "100.101.102.103:8765", then restart the daemon')
    return base


def print_qr(link: str, out) -> None:
    import segno  # only here: the rest of the CLI does not need it

    segno.make(link, error="m").terminal(out=out, compact=True)
