"""Real servers on loopback that receive what reminderd sends through Apprise: an HTTP
server (json:// and ntfy:// posts) and an SMTP server (aiosmtpd, for mailto://)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import json
import socket
import struct
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.desktop import GIVE_UP_S, wait_for

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: dict


class HttpReceiver:
    """Records every POST it reads (`received`) and every one it accepted (`posts`, answered
    200), and can misbehave as real servers do:

    - `delay`: answer each request that many seconds after reading it;
    - `hang`: read a request and then say nothing (until the receiver stops, at most 60 s);
    - `reset`: read a request whole, then reset the connection (RST) without answering;
    - `fail_first`: answer the first that many requests with `fail_status` (500), then 200;
    - `echo_auth`: put the request's Authorization header in every answer, as a careless
      server or proxy does in its error pages;
    - `echo_path_after`: answer the failing ones with that many characters of text, then the
      request's path (an error page saying which path it has no route for).

    `hung` is set when a request arrives that is held (delay or hang). Start and stop it at
    will: the port stays the same, so a test can have the server down and then up."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Post] = []
        self.posts: list[Post] = []
        self.hang = False
        self.reset = False
        self.delay = 0.0
        self.fail_first = 0
        self.fail_status = 500
        self.echo_auth = False
        self.echo_path_after: int | None = None
        self.hung = threading.Event()  # a request has arrived and is being held
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def up(self) -> bool:
        return self._server is not None

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                post = Post(self.path, dict(self.headers), json.loads(data or b"{}"))
                receiver.received.append(post)
                if receiver.reset:
                    self._reset()
                    return
                if receiver.hang or receiver.delay:
                    receiver.hung.set()
                    receiver._release.wait(60 if receiver.hang else receiver.delay)
                    if receiver.hang:
                        return
                failing = len(receiver.received) <= receiver.fail_first
                if not failing:
                    receiver.posts.append(post)
                answer = {"id": f"m{len(receiver.posts)}", "event": "message"}
                if failing:
                    answer = {"error": "internal error, try again"}
                if receiver.echo_auth:
                    answer["you sent"] = f"Authorization: {self.headers.get('Authorization')}"
                body = json.dumps(answer).encode()
                if failing and receiver.echo_path_after is not None:
                    body = ("." * receiver.echo_path_after + f" no route for POST {self.path}").encode()
                self.send_response(receiver.fail_status if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _reset(self) -> None:
                """Close with RST (linger 0): the client sees its connection reset."""
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.wfile = io.BytesIO()  # the server's flush after the handler goes nowhere
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # a client gone before its answer (a killed sender) is part of the test

        self._release.clear()
        self._server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = GIVE_UP_S) -> list[Post]:
        wait_for(lambda: len(self.posts) >= count, timeout=timeout, what=f"{count} post(s) at the HTTP server")
        return list(self.posts)

    def wait_received(self, count: int, timeout: float = GIVE_UP_S) -> list[Post]:
        wait_for(lambda: len(self.received) >= count, timeout=timeout,
                 what=f"{count} request(s) read by the HTTP server")
        return list(self.received)


class SmtpReceiver:
    """aiosmtpd on loopback; keeps every message it is given (`received`, as soon as its
    data has come in) and every one it accepted (`messages`). `delay`: answer the data
    that many seconds later; `hang`: never answer it (until the receiver stops)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[EmailMessage] = []
        self.messages: list[EmailMessage] = []
        self.port = free_port()
        self.delay = 0.0
        self.hang = False
        self._release: asyncio.Event | None = None
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope) -> str:
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                receiver.received.append(message)
                if receiver.hang or receiver.delay:
                    receiver._release = receiver._release or asyncio.Event()
                    try:
                        await asyncio.wait_for(receiver._release.wait(), 60 if receiver.hang else receiver.delay)
                    except asyncio.TimeoutError:
                        pass
                    if receiver.hang:
                        return "451 gave up"
                receiver.messages.append(message)
                return "250 Message accepted for delivery"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._release is not None:
            self._controller.loop.call_soon_threadsafe(self._release.set)
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = GIVE_UP_S) -> list[EmailMessage]:
        wait_for(lambda: len(self.messages) >= count, timeout=timeout, what=f"{count} e-mail(s) at the SMTP server")
        return list(self.messages)

    def wait_received(self, count: int, timeout: float = GIVE_UP_S) -> list[EmailMessage]:
        wait_for(lambda: len(self.received) >= count, timeout=timeout,
                 what=f"{count} e-mail(s) read by the SMTP server")
        return list(self.received)

    def url(self, to: str = "partner@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=reminderd@example.com&to={to}"


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""



@pytest.fixture
def http():
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp():
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()
