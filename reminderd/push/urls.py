"""Apprise URLs are secrets (tokens, passwords, private topics): how one is read from a
0600 file, and scrubbed out of what a server answers. Their syntax and masked form are
the core's (`reminderd.core.urls`), which the config checks them by."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from pathlib import Path
from typing import Callable
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit

from reminderd.core.urls import MAX_URL, URL_EXPECTED, check_url, mask
from reminderd.errors import BadUrl


def scrub(text: str, url: str) -> str:
    """Remove every piece of `url` (user, password, token, host, path and query parts) from a
    message, such as an error Apprise or a server wrote, so it can be logged and shown: as
    written, percent-decoded and percent-encoded (either case), JSON-escaped, and inside
    any base64 (a server that echoes `Authorization: Basic …` echoes "user:password")."""
    text = text.replace(url, mask(url))
    forms = sorted({form for piece in _pieces(url) for form in _forms(piece)}, key=len, reverse=True)
    text = _BASE64.sub(lambda run: "…" if _hides_any(run[0], forms) else run[0], text)
    for form in forms:
        text = re.sub(re.escape(form), "…", text, flags=re.IGNORECASE)
    return text


# A run of base64 (either alphabet) long enough to hide a 3-character secret.
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{4,}={0,2}")


def _pieces(url: str) -> set[str]:
    """The URL's parts of 3 characters or more, as written and percent-decoded, and the
    "user:password" pair that Basic authentication sends."""
    rest = url.partition("://")[2]
    pieces = set(re.split(r"[:/@?&=#]+", rest))
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:  # a malformed port or address: the split pieces still go
        user = password = None
    if user is not None and password is not None:
        pieces |= {user, password, f"{user}:{password}", f"{unquote(user)}:{unquote(password)}"}
    pieces |= {unquote(p) for p in pieces} | {unquote_plus(p) for p in pieces}
    return {p for p in pieces if len(p) >= 3}


def _forms(piece: str) -> set[str]:
    escaped = json.dumps(piece)[1:-1]
    return {piece, quote(piece, safe=""), quote(piece), quote_plus(piece), escaped, escaped.replace("/", "\\/")}


def _hides_any(run: str, forms: list[str]) -> bool:
    """Does this run decode, as base64 from any of its first four characters, to text
    (Latin-1 or UTF-8) holding one of the forms?"""
    standard = run.rstrip("=").replace("-", "+").replace("_", "/")
    for start in range(4):
        chunk = standard[start:]
        chunk = chunk[:-1] if len(chunk) % 4 == 1 else chunk  # one spare character is no byte
        try:
            raw = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True)
        except ValueError:
            continue
        # Basic authentication encodes as Latin-1 (requests does), most else as UTF-8.
        if any(form in decoded for decoded in (raw.decode("latin-1"), raw.decode("utf-8", "replace"))
               for form in forms):
            return True
    return False


def read_url_file(path: Path, check: Callable[[object], str] = check_url, what: str = "Apprise URL") -> str:
    """The URL in a file only its owner can read (mode 0600 or stricter), checked by
    `check` (an Apprise URL unless told otherwise: [replica] reads Litestream's)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as err:
        raise BadUrl(f"a readable file holding one {what} ({err.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BadUrl(f"a regular file holding one {what}")
        if info.st_mode & 0o077:
            raise BadUrl(f"a file only you can read, but its mode is {stat.S_IMODE(info.st_mode):04o} "
                         f"(fix it with: chmod 600 {path})")
        if info.st_uid != os.getuid():
            raise BadUrl("a file you own")
        data = os.read(fd, MAX_URL + 2)
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadUrl(f"a file holding one {what} in UTF-8") from None
    try:
        return check(text)
    except BadUrl as bad:
        raise BadUrl(f"a file holding one {what}; {URL_EXPECTED if check is check_url else bad}") from None
