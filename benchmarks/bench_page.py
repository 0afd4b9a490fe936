#!/usr/bin/env python3
"""The phone page's HTTP server under attack and at rest, to choose the server by measurement.

Serves a trivial WSGI page (GET / answers "ok") in a child process with the server named
by --server, and measures, from this process on loopback:

- flood: FLOOD connections opened at once from 127.0.0.2 and held (every other one sends
  a request with a wrong cookie, the rest nothing), for HOLD_S;
- slow: SLOW clients from 127.0.0.3 sending a request one byte every 5 s, for HOLD_S;
- silent TLS: one TCP connection to the HTTPS port that never sends its ClientHello;
- framing: Content-Length with Transfer-Encoding, a space before the colon, a signed
  Content-Length and a bare CR, each answered (status) or not;
- idle: the serving process's CPU, wake-ups and VmRSS over --idle seconds.

In each attack, a "phone" on 127.0.0.1 asks for the page every quarter second: the
longest answer and the answers that failed (the goal: every answer within 2 s, the page's
ANSWER_WITHIN_S), and the child's most open file descriptors and CPU time are reported.

    python benchmarks/bench_page.py [--server reminderd|cheroot|hypercorn|all] [--idle 30] [--json]

reminderd's server is always there; cheroot (the first version's server) and hypercorn
are measured when installed (`pip install cheroot hypercorn`). Takes about a minute per server.
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PYTHON, REPO, emit, table, verdict  # noqa: E402

sys.path.insert(0, str(REPO))
from reminderd.remote.server import ANSWER_WITHIN_S  # noqa: E402  (the goal is the page's own promise)

FLOOD = 2000
SLOW = 50
HOLD_S = 15.0
TICK = os.sysconf("SC_CLK_TCK")
FRAMINGS = {
    "length+chunked": "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "space before colon": "Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "signed length": "Content-Length: +5\r\n\r\nhello",
    "bare CR": "Content-Length: 5\rX: y\r\n\r\nhello",
}


# --- the child: one server, one trivial page -----------------------------------------------


def page(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def serve(name: str, port: int, cert: str | None, key: str | None) -> None:
    """Run `name` on 127.0.0.1:port until killed, set up as reminderd would use it."""
    if name == "reminderd":
        from reminderd.core.config.settings import RemoteSettings
        from reminderd.remote.server import PageServer

        settings = RemoteSettings("127.0.0.1", port, Path(cert) if cert else None, Path(key) if key else None)

        class App:
            __call__ = staticmethod(page)

            def close(self) -> None:
                pass

        PageServer(settings, App()).start()
    elif name == "cheroot":  # as the first version set it up
        from cheroot import wsgi

        server = wsgi.Server(("127.0.0.1", port), page, numthreads=4, max=4, request_queue_size=16,
                             timeout=10, shutdown_timeout=2)
        if cert:
            from cheroot.ssl.builtin import BuiltinSSLAdapter

            server.ssl_adapter = BuiltinSSLAdapter(cert, key)
        server.prepare()
        threading.Thread(target=server.serve, daemon=True).start()
    elif name == "hypercorn":
        import asyncio

        from hypercorn.asyncio import serve as hypercorn_serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.keep_alive_timeout = 10
        config.read_timeout = 10
        config.ssl_handshake_timeout = 10
        config.accesslog = None
        if cert:
            config.certfile, config.keyfile = cert, key
        async def run() -> None:  # in a thread, as the daemon would: no signal handlers
            await hypercorn_serve(page, config, mode="wsgi", shutdown_trigger=asyncio.Event().wait)

        threading.Thread(target=lambda: asyncio.run(run()), daemon=True).start()
    print("serving", flush=True)
    threading.Event().wait()


# --- this process: the attacker and the phone ------------------------------------------------


class Child:
    def __init__(self, name: str, port: int, cert: str | None = None, key: str | None = None) -> None:
        args = [PYTHON, __file__, "--serve", name, "--port", str(port)] + (["--cert", cert, "--key", key] if cert else [])
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True,
                                     cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)})
        assert self.proc.stdout.readline().strip() == "serving"
        time.sleep(0.5)
        self.port = port

    def files(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def cpu_s(self) -> float:
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def wakeups(self) -> int:
        total = 0
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            for line in (task / "status").read_text().splitlines():
                if "ctxt_switches" in line:
                    total += int(line.split()[1])
        return total

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def ask(port: int, tls: ssl.SSLContext | None) -> tuple[bool, float]:
    started = time.monotonic()
    try:
        conn = (http.client.HTTPSConnection("127.0.0.1", port, context=tls, timeout=ANSWER_WITHIN_S * 5) if tls
                else http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_WITHIN_S * 5))
        conn.request("GET", "/")
        ok = conn.getresponse().read() == b"ok"
        conn.close()
    except OSError:
        ok = False
    return ok, time.monotonic() - started


def attack(child: Child, hold: float, tls: ssl.SSLContext | None, start_attack) -> dict:
    stop = threading.Event()
    answers: list[tuple[bool, float]] = []

    def phone() -> None:
        while not stop.wait(0.25):
            answers.append(ask(child.port, tls))

    cpu0, files = child.cpu_s(), child.files()
    thread = threading.Thread(target=phone)
    thread.start()
    held = start_attack()
    end = time.monotonic() + hold
    while time.monotonic() < end:
        files = max(files, child.files())
        time.sleep(0.1)
    stop.set()
    thread.join()
    for s in held:
        s.close()
    took = [t for _, t in answers]
    return {"answers": len(answers), "failed": sum(not ok for ok, _ in answers), "slowest_s": max(took, default=0.0),
            "most_files": files, "cpu_s": child.cpu_s() - cpu0,
            "ok": bool(answers) and all(ok for ok, _ in answers) and max(took) < ANSWER_WITHIN_S}


def connections(port: int, count: int, source: str, send: bytes | None = None, every_other: bool = False) -> list:
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.bind((source, 0))
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    for i, s in enumerate(socks):
        if send is not None and (not every_other or i % 2):
            try:
                s.send(send)
            except OSError:
                pass
    return socks


def slow_clients(port: int, stop_after: float) -> list:
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    socks = connections(port, SLOW, "127.0.0.3")

    def trickle() -> None:
        for i in range(len(request)):
            for s in socks:
                try:
                    s.send(request[i:i + 1])
                except OSError:
                    pass
            if threading.Event().wait(5.0) or time.monotonic() > stop_after:
                return

    threading.Thread(target=trickle, daemon=True).start()
    return socks


def framing(port: int) -> dict[str, str]:
    out = {}
    for name, rest in FRAMINGS.items():
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n{rest}".encode())
            try:
                first = s.recv(200).split(b"\r\n")[0].decode("latin-1")
            except OSError as err:
                first = type(err).__name__
        out[name] = first.removeprefix("HTTP/1.1 ") or "(closed)"
    return out


def idle(child: Child, seconds: float) -> dict:
    cpu0, wake0, t0 = child.cpu_s(), child.wakeups(), time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    return {"cpu_pct": 100 * (child.cpu_s() - cpu0) / elapsed, "wakeups_per_s": (child.wakeups() - wake0) / elapsed,
            "rss_mb": child.rss_mb()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(name: str, idle_s: float, cert: str, key: str) -> dict:
    result: dict = {}
    child = Child(name, free_port())
    try:
        result["idle"] = idle(child, idle_s)
        result["framing"] = framing(child.port)
        result["flood"] = attack(child, HOLD_S, None, lambda: connections(
            child.port, FLOOD, "127.0.0.2", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: x=y\r\n\r\n", every_other=True))
        result["slow"] = attack(child, HOLD_S, None, lambda: slow_clients(child.port, time.monotonic() + HOLD_S))
    finally:
        child.stop()
    child = Child(name, free_port(), cert, key)
    try:
        tls = ssl.create_default_context(cafile=cert)
        result["silent TLS"] = attack(child, 12.0, tls, lambda: connections(child.port, 1, "127.0.0.4"))
    finally:
        child.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="all", choices=["all", "reminderd", "cheroot", "hypercorn"])
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of rest measured (default 30)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cert", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.cert, args.key)
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, FLOOD + 1024), hard))
    names = ["reminderd", "cheroot", "hypercorn"] if args.server == "all" else [args.server]
    available = []
    for name in names:
        try:
            __import__({"reminderd": "reminderd.remote.server"}.get(name, name))
            available.append(name)
        except ImportError:
            print(f"{name}: not installed, left out", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-page-") as tmp:
        cert, key = f"{tmp}/cert.pem", f"{tmp}/key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        results = {name: measure(name, max(5.0, args.idle), cert, key) for name in available}
    rows = []
    for name, r in results.items():
        for what in ("flood", "slow", "silent TLS"):
            a = r[what]
            rows.append([name, what, a["answers"], a["failed"], a["slowest_s"], a["most_files"], a["cpu_s"], verdict(a["ok"])])
    text = [f"the phone asks every 0.25 s; goal: every answer within {ANSWER_WITHIN_S:g} s", "",
            table(["server", "attack", "answers", "failed", "slowest s", "most fds", "CPU s", "goal"], rows), "",
            table(["server", *FRAMINGS], [[n, *r["framing"].values()] for n, r in results.items()]), "",
            table(["server", "idle CPU %", "wake-ups/s", "VmRSS MB"],
                  [[n, r["idle"]["cpu_pct"], r["idle"]["wakeups_per_s"], r["idle"]["rss_mb"]] for n, r in results.items()])]
    emit(results, args.json, "\n".join(text))


if __name__ == "__main__":
    main()
