"""The page's HTTP server: one thread with an asyncio loop holds the sockets, h11 reads
HTTP strictly, and a small pool of threads runs the page (a WSGI application) once a whole
request has arrived.

Why this and not cheroot (the first version's server) or an ASGI server: cheroot accepts
connections without limit, runs the TLS handshake in its one accepting thread, gives a
slow client a worker thread for as long as it trickles, and loops on a failing accept();
hypercorn and uvicorn bound neither the number of connections nor (uvicorn) the wait for a
first request. The measurements are in the README. So here:

- **Slots.** At most MAX_CONNECTIONS connections, PER_ADDRESS of them from one address,
  decided as each is accepted. A connection over either limit takes the place of the
  oldest one still waiting for its request (a silent or slow client), or is closed at once
  if every slot is being answered. So a flood costs a bounded number of file descriptors,
  and a phone's new connection always gets in.
- **Deadlines, not idle timeouts.** A connection must deliver a whole request (the TLS
  handshake, head and body) within REQUEST_S of arriving or of its previous answer, and
  take its answer within REQUEST_S: a byte every few seconds does not keep it open. Nothing
  more is read from a client while its answers are not being taken, so requests pipelined
  behind unread answers never pile them up in memory.
- **Nothing blocks the loop.** The TLS handshake runs in the loop like any read; the page
  runs in THREADS threads, never the loop's.
- **Strict HTTP.** h11 refuses malformed framing, a space before the colon, a signed
  Content-Length and a bare CR; Content-Length together with Transfer-Encoding is refused
  here. A refusal is a plain 400 and nothing of the request is logged.
- **Errors on the accept path** (out of file descriptors, say) stop accepting for
  ACCEPT_RETRY_S instead of spinning, and are logged once a minute at most.
"""

from __future__ import annotations

import asyncio
import io
import logging
import resource
import socket
import ssl
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Callable

import h11

from reminderd.core.config.settings import Config, RemoteSettings
from reminderd.remote import page_url, plain_http_warning
from reminderd.remote.app import PageApp
from reminderd.remote.guard import Throttled
from reminderd.remote.pairing import legacy_path

log = logging.getLogger("reminderd")
MAX_CONNECTIONS = 64  # a phone or two open up to 6 each; the rest is room to shed a flood
PER_ADDRESS = 16
REQUEST_S = 10.0  # a whole request must arrive within this, and its answer be taken within it
# The promise (README, the page's fault matrix): the paired phone has every answer within
# this, whatever a flood, slow or silent clients do meanwhile.
ANSWER_WITHIN_S = 2.0
# A stopping page: its loop ends at once unless an answer is being written; it stops beside
# the push's wait (Daemon.shutdown), so this fits inside that wait.
STOP_WAIT_S = 2.0
THREADS = 2  # the page's answers are short (a few SQLite reads and at most one write)
MAX_HEAD = 8 * 1024
MAX_BODY = 4 * 1024
BACKLOG = 128  # connections the kernel holds until they are accepted
# The kernel's buffers of each connection, each way (it doubles this): a request and its
# answer are a few KB, and with the kernel's own sizing a client that sends and never reads
# held nearly 6 MB of kernel memory per connection (1.5 MB unread, 4 MB unsent).
SOCKET_BUFFER = 64 * 1024
ACCEPT_BATCH = 16
ACCEPT_RETRY_S = 1.0
ERRORS_LOGGED_EVERY_S = 60.0
# Descriptors the rest of the daemon may need beside the page's connections (the log,
# D-Bus, a sending child's pipes); below this much room the soft limit is raised.
FD_RESERVE = 256
SERVER_NAME = "reminderd"


class PageServer:
    """The listening socket, the loop's thread and the page's threads."""

    def __init__(self, settings: RemoteSettings, app: PageApp) -> None:
        self.settings = settings
        self.app = app
        self.tls: ssl.SSLContext | None = None
        if settings.https:
            self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls.minimum_version = ssl.TLSVersion.TLSv1_2
            self.tls.load_cert_chain(str(settings.certificate), str(settings.key))
        self.slots = Slots(MAX_CONNECTIONS, PER_ADDRESS)
        self.pool = ThreadPoolExecutor(THREADS, thread_name_prefix="remote-page")
        self.errors = Throttled(log.error, ERRORS_LOGGED_EVERY_S, time.monotonic)
        self.loop = asyncio.new_event_loop()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Future | None = None

    def start(self) -> None:
        """Bind now, so that a busy port is an error here and not in a thread."""
        room_for(MAX_CONNECTIONS + FD_RESERVE)
        family = socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            for buffer in (socket.SO_RCVBUF, socket.SO_SNDBUF):  # inherited by every connection
                sock.setsockopt(socket.SOL_SOCKET, buffer, SOCKET_BUFFER)
            sock.bind((self.settings.host, self.settings.port))
            sock.listen(BACKLOG)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="remote-page", daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop(self) -> None:
        if self._thread is not None and self._stopped is not None:
            self.loop.call_soon_threadsafe(lambda: self._stopped.done() or self._stopped.set_result(None))
            self._thread.join(STOP_WAIT_S)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.app.close()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.set_exception_handler(self._loop_error)
        try:
            self.loop.run_until_complete(self._serve(ready))
        finally:
            self.slots.close_all()
            self.loop.run_until_complete(asyncio.sleep(0))  # their sockets close on the next turn
            self.loop.close()

    async def _serve(self, ready: threading.Event) -> None:
        self._stopped = self.loop.create_future()
        self.loop.add_reader(self._sock, self._accept)
        ready.set()
        try:
            await self._stopped
        finally:
            self.loop.remove_reader(self._sock)
            self._sock.close()

    def _accept(self) -> None:
        """Take up to ACCEPT_BATCH waiting connections (then let the others' reads run):
        each gets a slot at once or is closed at once, so that a flood never holds more
        descriptors than the slots."""
        for _ in range(ACCEPT_BATCH):
            try:
                sock, peer = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:  # out of descriptors, say: wait rather than spin on it
                self.errors("remote page: cannot accept a connection (%s); trying again every %g s",
                            err.strerror or type(err).__name__, ACCEPT_RETRY_S)
                self.loop.remove_reader(self._sock)
                self.loop.call_later(ACCEPT_RETRY_S, self.loop.add_reader, self._sock, self._accept)
                return
            conn = Connection(self, _address(peer))
            if not self.slots.admit(conn):
                sock.close()
                continue
            self.loop.create_task(self._connect(conn, sock))

    async def _connect(self, conn: Connection, sock: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: conn, sock)
        except OSError:
            sock.close()
            conn.close(abort=True)

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        """asyncio's report of an error outside any request: accept() failing (it then waits
        a second itself), or a bug in a connection's callbacks. Logged without the data."""
        err = context.get("exception")
        what = f"{type(err).__name__}: {err.strerror}" if isinstance(err, OSError) and err.strerror else \
            type(err).__name__ if err is not None else "no exception"
        self.errors("remote page: %s (%s); the page goes on", context.get("message", "error"), what)


class Slots:
    """Which connections are open, oldest first; at most `limit` of them and `per_address`
    from one address. Used only from the loop's thread."""

    def __init__(self, limit: int, per_address: int) -> None:
        self.limit = limit
        self.per_address = per_address
        self._open: OrderedDict[Connection, None] = OrderedDict()

    def admit(self, conn: Connection) -> bool:
        """Make room for `conn` if it is over a limit, by closing the oldest connection
        still waiting for its request (of the same address, if that is the limit); False
        when every candidate is being answered."""
        same = [c for c in self._open if c.address == conn.address]
        crowd = same if len(same) >= self.per_address else list(self._open) if len(self._open) >= self.limit else []
        if crowd:
            waiting = next((c for c in crowd if c.waiting), None)
            if waiting is None:
                return False
            self.release(waiting)
            waiting.close(abort=True)
        self._open[conn] = None
        return True

    def release(self, conn: Connection) -> None:
        self._open.pop(conn, None)

    def close_all(self) -> None:
        for conn in list(self._open):
            conn.close(abort=True)


class Connection(asyncio.Protocol):
    """One client: its TLS handshake, then requests read with h11, one at a time, each
    answered by the page in the pool's threads."""

    def __init__(self, server: PageServer, address: str) -> None:
        self.server = server
        self.loop = server.loop
        self.transport: asyncio.Transport | None = None
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self.address = address
        self.local = ""
        self.waiting = True  # for a whole request: the state in which it may be shed
        self.closed = False
        self.blocked = False  # its answers are not being taken (asyncio's flow control)
        self._deadline: asyncio.TimerHandle | None = None
        self._request: h11.Request | None = None
        self._body = bytearray()
        self._early: bytes | None = b"" if server.tls is not None else None

    # --- asyncio's calls ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if self.closed:  # shed while its transport was being made
            transport.abort()
            return
        self.local = _address(transport.get_extra_info("sockname"))
        self._arm()
        if self.server.tls is not None:
            transport.pause_reading()  # the ClientHello is for the TLS layer; start_tls reads on
            self.loop.create_task(self._handshake(transport))

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        if self._early is not None:  # decrypted before start_tls has handed over its transport
            self._early += data
            return
        self.http.receive_data(data)
        self._read()

    def eof_received(self) -> bool:
        if not self.closed:
            self.http.receive_data(b"")
            self._read()
        # Half-open, so that an answer being made is still written (TLS cannot do that).
        return self.server.tls is None

    def connection_lost(self, exc: Exception | None) -> None:
        self._released()

    def pause_writing(self) -> None:
        # A client that pipelines requests and never reads the answers would otherwise have
        # them all kept in memory (5 MB a second from one connection): read nothing more
        # until it takes them.
        self.blocked = True

    def resume_writing(self) -> None:
        self.blocked = False
        if self.waiting and not self.closed:
            self.transport.resume_reading()
            self._read()

    # --- one request ------------------------------------------------------------------------

    async def _handshake(self, plain: asyncio.BaseTransport) -> None:
        try:
            secure = await self.loop.start_tls(plain, self, self.server.tls, server_side=True,  # type: ignore[arg-type]
                                               ssl_handshake_timeout=REQUEST_S)
        except (OSError, ssl.SSLError, asyncio.TimeoutError, ConnectionError, RuntimeError):
            plain.abort()
            self._released()
            return
        if self.closed or secure is None:
            (secure or plain).abort()
            self._released()
            return
        self.transport, early, self._early = secure, self._early, None
        if early:
            self.data_received(early)

    def _read(self) -> None:
        """Take what h11 has parsed: a request, its body, its end; or refuse the request."""
        while self.waiting and not self.closed and not self.blocked:
            try:
                event = self.http.next_event()
            except h11.RemoteProtocolError as err:
                self._refuse(err.error_status_hint)
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self._request, self._body = event, bytearray()
                status = _framing_refusal(event)
                if status:
                    self._refuse(status)
                    return
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > MAX_BODY:
                    self._refuse(413)
                    return
            elif isinstance(event, h11.EndOfMessage):
                self._answer()
            elif isinstance(event, h11.ConnectionClosed):
                self.close()

    def _answer(self) -> None:
        self.waiting = False
        self.transport.pause_reading()
        environ = self._environ(self._request, bytes(self._body))
        future = self.loop.run_in_executor(self.server.pool, run_page, self.server.app, environ)
        future.add_done_callback(self._answered)

    def _answered(self, future: asyncio.Future) -> None:
        if self.closed or future.cancelled():
            return
        try:
            status, headers, body = future.result()
        except Exception as err:  # the page answers its own errors; this is the server's
            self.server.errors("remote page: no answer made (%s)", type(err).__name__)
            self.close(abort=True)
            return
        if self._request.method == b"HEAD":
            body = b""  # the headers as for GET, and no body
        keep = self.http.their_state is h11.DONE
        try:
            data = self.http.send(h11.Response(status_code=status[0], reason=status[1], headers=headers))
            data += self.http.send(h11.Data(data=body)) + self.http.send(h11.EndOfMessage())
        except h11.LocalProtocolError:
            self.close(abort=True)
            return
        self.transport.write(data)
        if not keep or self.http.our_state is not h11.DONE or self.http.their_state is not h11.DONE:
            self.close()
            return
        self.http.start_next_cycle()
        self.waiting = True
        self._arm()
        if not self.blocked:
            self.transport.resume_reading()
            self._read()  # a request that came pipelined behind this one

    def _environ(self, request: h11.Request, body: bytes) -> dict:
        target = request.target.decode("latin-1")
        path, _, query = target.partition("?")
        environ = {
            "REQUEST_METHOD": request.method.decode("ascii"),
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": self.local,
            "SERVER_PORT": str(self.server.settings.port),
            "SERVER_PROTOCOL": "HTTP/" + request.http_version.decode("ascii"),
            "REMOTE_ADDR": self.address,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.server.tls else "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in request.headers:
            key = name.decode("latin-1").upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value.decode("latin-1")
            else:
                key = "HTTP_" + key
                text = value.decode("latin-1")
                environ[key] = f"{environ[key]}, {text}" if key in environ else text
        return environ

    def _refuse(self, status: int) -> None:
        """A request that cannot be read: a plain refusal, and the connection is closed."""
        self.waiting = False
        reason = {400: "Bad Request", 413: "Content Too Large", 431: "Request Header Fields Too Large"}.get(
            status, "Bad Request")
        text = f"{reason}.\n".encode()
        self.transport.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                             f"Content-Length: {len(text)}\r\nCache-Control: no-store\r\n"
                             f"X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n".encode() + text)
        self.close()

    # --- its end ------------------------------------------------------------------------------

    def _arm(self) -> None:
        """The deadline of the request to come (and of the answer before it being taken)."""
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(REQUEST_S, self._late)

    def _late(self) -> None:
        self._deadline = None
        if self.waiting or self.closed:
            self.close(abort=True)
        else:
            self._arm()  # the page is still answering; the answer comes to a live connection

    def close(self, abort: bool = False) -> None:
        """Close after what was written is sent (within REQUEST_S), or at once."""
        if self.transport is None:  # accepted, its transport not made yet: connection_made aborts it
            self._released()
            return
        if abort:
            self.transport.abort()
            self._released()
            return
        self.closed = True
        self.transport.close()
        if self._deadline is not None:
            self._deadline.cancel()
        # A client that does not read its answer keeps the slot only until then.
        self._deadline = self.loop.call_later(REQUEST_S, self._abort_late)

    def _abort_late(self) -> None:
        self._deadline = None
        self.transport.abort()
        self._released()

    def _released(self) -> None:
        self.closed = True
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.server.slots.release(self)


def _framing_refusal(request: h11.Request) -> int | None:
    """What h11 lets through but this page refuses: a body framed two ways at once (a
    proxy in front could read it the other way), a body too large to be a form, or a head
    larger than MAX_HEAD that arrived in one piece (h11 limits only a head still incomplete)."""
    if sum(len(name) + len(value) + 4 for name, value in request.headers) + len(request.target) > MAX_HEAD:
        return 431
    names = [name for name, _ in request.headers]
    if b"transfer-encoding" in names and b"content-length" in names:
        return 400
    for name, value in request.headers:
        if name == b"content-length" and int(value) > MAX_BODY:  # h11 checked it is digits
            return 413
    return None


def _address(peer) -> str:
    """The address of a socket name; an IPv4 address seen through an IPv6 socket as itself."""
    if not peer:
        return ""
    host = peer[0] if isinstance(peer, tuple) else str(peer)
    return host.removeprefix("::ffff:") if host.startswith("::ffff:") and "." in host else host


def run_page(app: PageApp, environ: dict) -> tuple[tuple[int, bytes], list[tuple[str, str]], bytes]:
    """The page's answer to one request, in a pool thread: ((code, reason), headers, body)."""
    answer: dict = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info=None) -> None:
        code, _, reason = status.partition(" ")
        answer["status"], answer["headers"] = (int(code), reason.encode("latin-1")), headers

    body = b"".join(app(environ, start_response))  # PageApp answers every error itself
    headers = [(k, v) for k, v in answer["headers"]] + [("Server", SERVER_NAME)]
    return answer["status"], headers, body


def room_for(needed: int) -> None:
    """Raise the soft limit on open files towards the hard one when it leaves less than
    `needed` (outside systemd the soft limit is often 1,024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def start_page(config: Config, db_path: Path, now: Callable[[], datetime],
               current_config: Callable[[], Config]) -> PageServer | None:
    """Serve the page if `[remote]` says so. A failure is logged, not raised: the
    reminders matter more than the page."""
    settings = config.remote
    if settings is None:
        return None
    where = f"{settings.host}:{settings.port}"
    try:
        server = PageServer(settings, PageApp(current_config, db_path, now, settings))
        server.start()
    except (OSError, ssl.SSLError, ValueError) as err:
        log.error("remote page: cannot serve on %s (%s); reminders go on without it", where, err)
        return None
    log.info("remote page: listening on %s (%s); open %s on a paired phone (`reminderd pair`)",
                where, "https" if settings.https else "http", page_url(config))
    if legacy_path(db_path).exists():
        log.warning("remote page: phones paired before pairing codes were introduced are no longer accepted "
                    "(their link was their key); pair each again: reminderd pair --name NAME")
    warning = plain_http_warning(settings)
    if warning:
        log.warning("remote page: %s", " ".join(warning))
    return server
