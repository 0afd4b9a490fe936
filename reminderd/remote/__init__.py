"""The opt-in page for the phone: today's doses and last night's check-in, answered
through the same functions as the CLI. Off unless `[remote] listen` is set.

`page_url(config)` is the address to put in a push to the phone (it carries no secret:
the phone's browser holds the pairing in a cookie).
"""

from __future__ import annotations

import socket

from reminderd.core.config.settings import Config

EVERY_INTERFACE = ("0.0.0.0", "::", "")


def page_url(config: Config) -> str | None:
    """The page's address as the phone opens it, e.g. "http://192.168.1.20:8765/";
    None when `[remote]` is not configured."""
    remote = config.remote
    if remote is None:
        return None
    if remote.url:
        return remote.url
    host = lan_address() if remote.host in EVERY_INTERFACE else remote.host
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if remote.https else 'http'}://{host}:{remote.port}/"


def lan_address() -> str:
    """The machine's address on its main network, for a page listening on every interface."""
    try:
        # A UDP "connect" sends nothing; it only picks the interface a packet would leave by.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
            return probe.getsockname()[0]
    except OSError:
        return socket.gethostname()
