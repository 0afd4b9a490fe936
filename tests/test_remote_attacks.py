"""The phone page attacked again after issue 22, against the daemon as a real process: what
an attacker who can reach the port, but holds no credential, can make the daemon do.

Attackers use other loopback addresses than the phone (127.0.0.1), as other machines would."""

from __future__ import annotations

import re
import select
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from reminderd.remote.guard import FREE_FAILURES
from reminderd.remote.pairing import pairing_path
from reminderd.remote.server import REQUEST_S, SOCKET_BUFFER
from tests.remote_client import pair
from tests.test_remote_page import DOSE, Page, page  # noqa: F401 (page: the fixture)

pytestmark = pytest.mark.system

WRONG_CODE = "W" * 43  # the shape of a real code
PIPELINED_S = REQUEST_S - 2  # within the page's deadline: that is not what stops it reading
STALLED_S = 1.5  # nothing taken for this long: the page has stopped reading
MAX_GROWTH = 8_000_000  # bytes of the daemon's memory


def test_wrong_pairing_codes_cost_no_write_to_disk(page: Page) -> None:
    """Each address may post FREE_FAILURES wrong codes before it is locked out, and an
    attacker may hold many addresses (an IPv6 /64): none of them may rewrite the pairing
    file (an fsync each), only a code that pairs."""
    kept = pairing_path(page.cli.db)
    before = kept.stat()
    for n in range(3):
        stranger = page.client(source=f"127.0.0.{n + 2}")
        for _ in range(FREE_FAILURES):
            assert stranger.post("/pair", {"code": WRONG_CODE}).status == 403
    after = kept.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    pair(page.link, page.client())
    assert kept.stat().st_ino != before.st_ino  # a code that pairs is written, as ever


def test_a_cookie_another_page_on_this_host_set_for_a_path_does_not_hide_the_phones(page: Page) -> None:
    """Cookies ignore ports: a page served elsewhere on this computer can set `reminderd`
    for /dose (the phone's own is HttpOnly, so it cannot be overwritten), and Chromium then
    sends that one first on every answer (checked by hand: every tap was "Not paired")."""
    phone = page.paired()
    tossed = {"Cookie": f"reminderd={WRONG_CODE}; reminderd={phone.cookie}"}
    for _ in range(FREE_FAILURES + 1):  # as often as would lock the phone out, were they counted
        assert phone.request("GET", "/", headers=tossed).status == 200
    form = urlencode({"form": phone.get().form_token, "dose": DOSE, "action": "taken"}).encode()
    answered = phone.request("POST", "/dose", form, {**tossed, "Content-Type": "application/x-www-form-urlencoded"})
    assert answered.status == 200 and page.dose() == [("taken", "phone")], answered.body


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) * 1024


def test_a_client_that_never_reads_its_answers_costs_no_memory(page: Page) -> None:
    """Requests pipelined on one connection without a cookie (never locked out), their
    answers never read: once its answers are not taken the page reads nothing more from that
    connection, instead of answering on and keeping every answer in memory (before: 5 MB a
    second, without end), and the kernel holds what waits in buffers the page sized (before:
    nearly 6 MB per connection). The phone is answered meanwhile."""
    pid, phone = page.daemon.proc.pid, page.paired()
    before = rss_bytes(pid)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # little room for answers on this side
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)  # and for requests
    sock.bind(("127.0.0.2", 0))
    sock.connect(("127.0.0.1", page.port))
    sock.setblocking(False)
    # A 4 KB head each, so that every read the page makes (up to 256 KB) frees room at once.
    request = b"GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + b"f" * 4000 + b"\r\n\r\n"
    began = moved = time.monotonic()
    pending = b""
    with sock:
        while time.monotonic() - moved < STALLED_S and time.monotonic() - began < PIPELINED_S:
            if select.select([], [sock], [], 0.1)[1]:
                chunk = pending or request * 16
                pending = chunk[sock.send(chunk):]
                moved = time.monotonic()
        grown = rss_bytes(pid) - before
        assert time.monotonic() - moved >= STALLED_S, f"still reading after {PIPELINED_S} s; {grown} bytes more"
        assert grown < MAX_GROWTH, grown
        # What waits unread is held by the kernel, in the buffer the page sized (doubled).
        assert unread_by_the_page(page.port, sock.getsockname()[1]) <= 2 * SOCKET_BUFFER
        assert phone.get().status == 200


def unread_by_the_page(port: int, client_port: int) -> int:
    """The bytes the kernel holds for the page's end of a connection, not read yet."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, queues = fields[1], fields[2], fields[4]  # queues: "sending:unread" in hex
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port:
            return int(queues.split(":")[1], 16)
    raise AssertionError(f"no connection from port {client_port} to the page")
