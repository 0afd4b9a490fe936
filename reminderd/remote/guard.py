"""The page's memories against attackers, all in memory and bounded: failed attempts
per address (to slow guessing down), the one-use anti-forgery tokens of the forms it has
served (so a replayed or forged form changes nothing), and how often a line about them was
logged (so a flood cannot fill the log). Also which names the page answers to.

Time is given as `now` (monotonic seconds), so they are tested with plain numbers.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from reminderd.core.config.settings import RemoteSettings

FREE_FAILURES = 5  # a mistyped link or two; after these, each failure locks the address out
FIRST_LOCKOUT_S = 2.0  # doubled with each further failure
MAX_LOCKOUT_S = 15 * 60.0
FORGET_AFTER_S = 24 * 3600.0
MAX_ADDRESSES = 4096  # the oldest address is forgotten first: the table cannot grow without end
FORM_LIFETIME_S = 2 * 3600.0
MAX_FORMS = 64


@dataclass
class _Record:
    failures: int
    last: float
    locked_until: float


class Failures:
    """Repeated failures from one address are slowed down: after FREE_FAILURES, the
    address is locked out for a time that doubles with each failure. While locked out,
    its requests are refused without looking at the token, so guessing gets nowhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_address: OrderedDict[str, _Record] = OrderedDict()

    def locked(self, address: str, now: float) -> bool:
        with self._lock:
            record = self._by_address.get(address)
            return record is not None and now < record.locked_until

    def failed(self, address: str, now: float) -> None:
        with self._lock:
            record = self._by_address.pop(address, None)
            if record is None or now - record.last > FORGET_AFTER_S:
                record = _Record(0, now, 0.0)
            record.failures += 1
            record.last = now
            extra = record.failures - FREE_FAILURES
            if extra > 0:
                record.locked_until = now + min(FIRST_LOCKOUT_S * 2 ** min(extra - 1, 20), MAX_LOCKOUT_S)
            self._by_address[address] = record
            while len(self._by_address) > MAX_ADDRESSES:
                self._by_address.popitem(last=False)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._by_address.pop(address, None)


class FormTokens:
    """One token per page served; a post spends it. A token is bound to the pairing that
    got the page, and expires after FORM_LIFETIME_S."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def issue(self, pairing: str, now: float) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (pairing, now + FORM_LIFETIME_S)
            while len(self._tokens) > MAX_FORMS:
                self._tokens.popitem(last=False)
        return token

    def spend(self, token: str, pairing: str, now: float) -> bool:
        """True once for a token this page issued to this pairing and that has not expired."""
        with self._lock:
            found = self._tokens.pop(token, None)
        if found is None:
            return False
        owner, expires = found
        return hmac.compare_digest(owner, pairing) and now < expires


class Throttled:
    """A log line that an attacker could make come thousands of times a second: written
    the first time, then at most once every `every` seconds, saying how many were left out."""

    def __init__(self, write: Callable[..., None], every: float, monotonic: Callable[[], float]) -> None:
        self._write = write
        self._every = every
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._next = float("-inf")
        self._left_out = 0

    def __call__(self, message: str, *args: object) -> None:
        with self._lock:
            now = self._monotonic()
            if now < self._next:
                self._left_out += 1
                return
            left_out, self._left_out, self._next = self._left_out, 0, now + self._every
        if left_out:
            message += f" (and {left_out} more like it in the last {self._every:.0f} s)"
        self._write(message, *args)


def allowed_hosts(settings: RemoteSettings) -> frozenset[str]:
    """The names the page answers to: the configured listening host (unless it is every
    interface) and the host of the configured `url`. The address a request came in on is
    allowed as well, per request (see host_allowed)."""
    names = {settings.host.lower()} - {"0.0.0.0", "::", ""}
    if settings.url:
        names.add((urlsplit(settings.url).hostname or "").lower())
    return frozenset(names - {""})


def host_allowed(host_header: str, local_address: str, names: frozenset[str]) -> bool:
    """Whether a request's Host names this page: a configured name, the address the
    connection arrived at, or "localhost" on a loopback address. Anything else is another
    name pointed at this address (DNS rebinding), whose pages must not reach this one."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1:host.find("]")] if "]" in host else ""
    elif host.count(":") == 1:
        host = host.split(":")[0]
    if not host:
        return False
    if host in names or host == local_address.lower():
        return True
    try:
        return host == "localhost" and ipaddress.ip_address(local_address).is_loopback
    except ValueError:
        return False
