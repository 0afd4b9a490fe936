"""Apprise URLs are secrets (tokens, passwords, private topics): how one is read from a
0600 file, and scrubbed out of what a server answers. Their syntax and masked form are
the core's (`reminderd.core.urls`), which the config checks them by."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Callable

from reminderd.core.urls import MAX_URL, URL_EXPECTED, check_url, mask
from reminderd.errors import BadUrl


def scrub(text: str, url: str) -> str:
    """Remove every piece of `url` (user, password, host, path parts) from a message,
    such as an error Apprise or a server wrote, so it can be logged and shown."""
    text = text.replace(url, mask(url))
    rest = url.partition("://")[2]
    for piece in sorted(set(re.split(r"[:/@?&=#]+", rest)), key=len, reverse=True):
        if len(piece) >= 3:
            text = text.replace(piece, "…")
    return text


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
