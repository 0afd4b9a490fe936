"""Apprise URLs as the config holds them: the syntax it accepts, and the masked form shown
wherever a URL could be seen (they hold tokens, passwords, private topics). Reading one from
its file and scrubbing one out of a server's message are the edge's (`reminderd.push.urls`)."""

from __future__ import annotations

import re

from reminderd.errors import BadUrl

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,31})://\S+$")
URL_EXPECTED = 'an Apprise URL such as "ntfy://ntfy.sh/a-long-random-topic" or "mailto://user:password@example.com"'
MAX_URL = 4096


def mask(url: str) -> str:
    """ "ntfy://ntfy.sh/my-secret-topic" -> "ntfy://…": for some services the host is
    the token itself (tgram://BOTTOKEN/…), so nothing after the scheme is shown."""
    match = _URL.match(url)
    return f"{match[1].lower()}://…" if match else "(hidden)"


def check_url(url: object) -> str:
    if not isinstance(url, str) or len(url) > MAX_URL or not _URL.match(url.strip()):
        raise BadUrl(URL_EXPECTED)
    return url.strip()
