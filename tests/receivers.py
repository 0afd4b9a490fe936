"""Real servers on loopback that receive what reminderd sends through Apprise: an HTTP
server (json:// and ntfy:// posts) and an SMTP server (aiosmtpd, for mailto://)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.desktop import wait_for

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
    """Records every POST. `hang`: hold each request up to 30 s before answering, as a
    server that accepted the connection and then stalls; `delay`: answer each one after
    that many seconds (`hung` is set when a held or delayed request arrives). Start and
    stop it at will: the port stays the same, so a test can have the server down and then up."""

    def __init__(self) -> None:
        self.port = free_port()
        self.posts: list[Post] = []
        self.hang = False
        self.delay = 0.0
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
                if receiver.hang:
                    receiver.hung.set()
                    receiver._release.wait(30)
                    return
                if receiver.delay:
                    receiver.hung.set()
                    receiver._release.wait(receiver.delay)
                receiver.posts.append(Post(self.path, dict(self.headers), json.loads(data or b"{}")))
                answer = json.dumps({"id": f"m{len(receiver.posts)}", "event": "message"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Post]:
        wait_for(lambda: len(self.posts) >= count, timeout=timeout, what=f"{count} post(s) at the HTTP server")
        return list(self.posts)


class SmtpReceiver:
    """aiosmtpd on loopback; keeps every message it is given."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self.port = free_port()
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope) -> str:
                receiver.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 Message accepted for delivery"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        wait_for(lambda: len(self.messages) >= count, timeout=timeout, what=f"{count} e-mail(s) at the SMTP server")
        return list(self.messages)

    def url(self, to: str = "partner@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=reminderd@example.com&to={to}"


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""

