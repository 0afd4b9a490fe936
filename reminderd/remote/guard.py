"""The page's two memories against attackers, both in memory and bounded: failed
attempts per address (to slow guessing down), and the one-use anti-forgery tokens of
the forms it has served (so a replayed or forged form changes nothing).

Time is given as `now` (monotonic seconds), so both are tested with plain numbers.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

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
