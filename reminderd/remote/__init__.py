"""The opt-in page for the phone: today's doses and last night's check-in, answered
through the same functions as the CLI. Off unless `[remote] listen` is set.

`page_url(config)` is the address to put in a push to the phone (it carries no secret:
the phone's browser holds the pairing in a cookie).
"""

from __future__ import annotations

import ipaddress
import socket

from reminderd.core.config.settings import Config, RemoteSettings

EVERY_INTERFACE = ("0.0.0.0", "::", "")
# Tailscale gives its devices addresses from these, and encrypts everything between them.
TAILSCALE = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("fd7a:115c:a1e0::/48"))


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


def plain_http_warning(remote: RemoteSettings) -> tuple[str, str] | None:
    """(what is wrong, what to do) for a page served over plain HTTP where others can reach
    it; None for HTTPS, a loopback address or a Tailscale address (the VPN encrypts it)."""
    if remote.https:
        return None
    try:
        address = ipaddress.ip_address(remote.host) if remote.host not in EVERY_INTERFACE else None
    except ValueError:
        address = None  # a host name: it may name any interface
    if address is not None and (address.is_loopback or any(address in net for net in TAILSCALE)):
        return None
    where = "every interface" if remote.host in EVERY_INTERFACE else remote.host
    return (f"The phone page is served over plain HTTP on {where}: unless that is only a VPN's address "
            "(WireGuard), anyone on the network who can capture traffic can read the page and take the "
            "phone's cookie.",
            "Set remote.listen to the VPN's address (Tailscale's 100.x.y.z), or set remote.certificate "
            "and remote.key for HTTPS.")
