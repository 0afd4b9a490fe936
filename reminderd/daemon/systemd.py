"""The few words reminderd says to systemd (sd_notify), written by hand: a datagram to
$NOTIFY_SOCKET is all the protocol there is, and a library for it would be heavier than
these lines. Outside systemd every call does nothing."""

from __future__ import annotations

import os
import socket


def notify(*lines: str) -> bool:
    """Send "READY=1", "STATUS=…", "WATCHDOG=1", "RELOADING=1" … to the service manager."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(lines).encode())
    except OSError:
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between the pings systemd expects, if the unit has WatchdogSec."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000
