"""For the phone page's system tests: a free loopback port, a plain HTTP client (http.client,
so every header and byte is what the test says), and the daemon's listening sockets."""

from __future__ import annotations

import http.client
import os
import re
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def form_token(self) -> str:
        found = re.search(r'name="form" value="([^"]+)"', self.body)
        assert found, self.body
        return found[1]


@dataclass
class Client:
    port: int
    cookie: str | None = None
    source: str | None = None  # another loopback address (127.0.0.2) plays another machine
    tls: ssl.SSLContext | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        kwargs = {"timeout": 20, "source_address": (self.source, 0) if self.source else None}
        conn = (http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls, **kwargs) if self.tls
                else http.client.HTTPConnection("127.0.0.1", self.port, **kwargs))
        sent = dict(self.extra)
        if self.cookie:
            sent["Cookie"] = f"reminderd={self.cookie}"
        sent.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def get(self, path: str = "/", **headers: str) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Reply:
        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})


def pair(link: str, client: Client) -> str:
    """Open the pairing link and tap "Pair this phone", as the phone would; returns the
    phone's credential from its cookie."""
    asked = client.get(urlsplit(link).path)
    assert asked.status == 200 and "Pair this phone" in asked.body, asked
    code = re.search(r'name="code" value="([^"]+)"', asked.body)[1]
    reply = client.post("/pair", {"code": code})
    assert reply.status == 303 and reply.headers["Location"] == "/", reply
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    secret = re.match(r"reminderd=([^;]+);", cookie)[1]
    assert secret != code and code not in cookie  # the phone's own credential, not the link's code
    return secret


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by openssl in `folder`."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def listening_ports(pid: int) -> list[int]:
    """The TCP ports the process listens on and the UDP ports it has bound, from /proc:
    its socket inodes, looked up in the kernel's socket tables."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            local, state, inode = cols[1], cols[3], cols[9]
            listening = state == "0A" if table.startswith("tcp") else True
            if inode in inodes and listening:
                ports.append(int(local.rsplit(":", 1)[1], 16))
    return ports
