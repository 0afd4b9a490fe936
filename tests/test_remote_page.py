"""The phone page served by the daemon as a real process, on a loopback port, tried with a
plain HTTP client as an attacker would: pairing, answers by form posts, wrong and revoked
tokens, forged and replayed posts, sizes and slow clients, and HTTPS.

The fake clock stands at 08:05 on Saturday 28 November 2026 (London is on UTC): the 08:00
dose of gabapentin is due and open; last night is Friday 27th's."""

from __future__ import annotations

import re
import socket
import ssl
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import Cli, at, config_text, rows
from tests.daemon_process import DaemonProcess
from tests.fakeclock import FakeClock
from tests.receivers import free_port
from reminderd.remote.pairing import digest, pairing_path
from reminderd.remote.server import REQUEST_S
from tests.remote_client import Client, certificate, listening_ports, pair

pytestmark = pytest.mark.system

REFUSAL = "Pair this phone by scanning the code that `reminderd pair` shows on the computer."
DOSE = "gabapentin|2026-11-28|08:00"


class Page:
    def __init__(self, cli: Cli, daemon: DaemonProcess, port: int, link: str) -> None:
        self.cli, self.daemon, self.port, self.link = cli, daemon, port, link

    def client(self, **kwargs) -> Client:
        return Client(self.port, **kwargs)

    def paired(self, link: str | None = None, **kwargs) -> Client:
        """A phone paired with `link`, or with a new link (each link works once)."""
        client = self.client(**kwargs)
        client.cookie = pair(link or self.new_link(), client)
        return client

    def new_link(self) -> str:
        return re.search(r"http://\S+/pair/\S+", self.cli("pair").stdout)[0]

    def dose(self) -> list[tuple]:
        return rows(self.cli, "SELECT status, via FROM doses WHERE local_date = '2026-11-28' AND slot = '08:00'")

    def events(self) -> int:
        return rows(self.cli, "SELECT count(*) FROM events WHERE kind != 'reminded'")[0][0]


def read_all(port: int, request: bytes) -> bytes:
    """Send raw bytes; everything the server sends back until it closes (or resets)."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request)
        try:
            while chunk := conn.recv(4096):
                got += chunk
        except ConnectionResetError:
            pass
    return got


def start_page(cli: Cli, tmp_path: Path, extra: str = "", started: list | None = None,
               start: str = "2026-11-28 08:05:00", env: dict[str, str] | None = None, **settings: str) -> Page:
    port = free_port()
    cli.clock = FakeClock(tmp_path / "clock", at(start))
    cli.config.write_text(config_text(extra=f'\n[remote]\nlisten = "127.0.0.1:{port}"\n{extra}', **settings))
    d = DaemonProcess(cli, env=cli.env() | (env or {}))
    if started is not None:
        started.append(d)
    d.wait_for(r"remote page: listening on 127\.0\.0\.1:\d+")
    out = cli("pair")
    assert out.returncode == 0, out.stderr
    link = re.search(r"https?://\S+/pair/\S+", out.stdout)[0]
    return Page(cli, d, port, link)


@pytest.fixture
def page(cli: Cli, tmp_path: Path):
    started: list[DaemonProcess] = []
    yield start_page(cli, tmp_path, started=started)
    for d in started:
        d.stop()


def test_without_remote_the_daemon_listens_on_no_socket(clocked: Cli, daemon) -> None:
    d = daemon()
    d.wait_for(r"reminder 1: gabapentin")  # well past start-up
    assert listening_ports(d.proc.pid) == []
    assert "remote page" not in d.output


def test_with_remote_it_listens_on_the_configured_port_only(page: Page) -> None:
    assert listening_ports(page.daemon.proc.pid) == [page.port]


def test_pair_prints_a_one_use_link_and_a_qr_code_and_keeps_only_hashes(page: Page) -> None:
    out = page.cli("pair", "--name", "his phone")
    code = out.stdout.split("/pair/")[1].split()[0]
    assert len(code) >= 43
    assert "█" in out.stdout and "▀" in out.stdout  # the QR code, in block characters
    assert "It works once, until 2026-11-28 08:15:" in out.stdout  # CODE_LIFETIME
    phone = page.client()
    credential = pair(f"http://127.0.0.1:{page.port}/pair/{code}", phone)
    kept = pairing_path(page.cli.db).read_text()
    assert code not in kept and credential not in kept
    assert digest(credential) in kept
    assert oct(pairing_path(page.cli.db).stat().st_mode & 0o777) == "0o600"


def test_pair_without_remote_is_refused_in_one_line(cli: Cli) -> None:
    out = cli("pair")
    assert out.returncode == 2
    assert out.stderr == ('reminderd: no page to pair with: the config has no [remote] table; expected e.g. '
                          '[remote] listen = "100.101.102.103:8765", then restart the daemon\n')
    assert not pairing_path(cli.db).exists()


def test_paired_phone_answers_taken_and_a_replay_changes_nothing(page: Page) -> None:
    phone = page.paired()
    shown = phone.get()
    assert shown.status == 200
    assert shown.headers["Cache-Control"] == "no-store"
    csp = shown.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert shown.headers["X-Frame-Options"] == "DENY" and shown.headers["Referrer-Policy"] == "same-origin"
    assert "<script" not in shown.body
    assert "Due now." in shown.body and 'value="taken"' in shown.body
    assert "Reminders are off" not in shown.body  # the daemon serving it is reminding
    form = {"form": shown.form_token, "dose": DOSE, "action": "taken"}
    done = phone.post("/dose", form)
    assert done.status == 200, done.body
    assert "Recorded: gabapentin 300 mg, 08:00 dose taken at 08:05." in done.body
    assert page.dose() == [("taken", "phone")]
    count = page.events()
    again = phone.post("/dose", form)  # the same form, sent again (a reload, or a replay)
    assert again.status == 403 and "Nothing was changed" in again.body
    # A fresh page, but the dose is answered: the post says so.
    fresh = phone.get()
    assert "Taken at 08:05." in fresh.body and 'value="taken"' not in fresh.body
    late = phone.post("/dose", {"form": fresh.form_token, "dose": DOSE, "action": "skip"})
    assert late.status == 409
    assert "The 08:00 dose of gabapentin was already taken at 08:05; nothing was changed." in late.body
    assert page.events() == count and page.dose() == [("taken", "phone")]


def test_the_daemon_stops_reminding_once_the_phone_answers(cli: Cli, tmp_path: Path) -> None:
    started: list[DaemonProcess] = []
    try:
        page = start_page(cli, tmp_path, started=started, start="2026-11-28 07:59:58", remind_every="3s",
                          min_gap="1h")
        page.daemon.wait_for(r"reminder 2: gabapentin 300 mg, 08:00 dose")
        phone = page.paired()
        done = phone.post("/dose", {"form": phone.get().form_token, "dose": DOSE, "action": "taken"})
        assert done.status == 200 and page.dose() == [("taken", "phone")]
        sent = rows(page.cli, "SELECT reminders_sent FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'")[0][0]
        # Nothing more about 08:00 before the next event that must come: the 14:00 dose's reminder.
        cli.clock.set(at("2026-11-28 13:59:58"))
        page.daemon.wait_for(r"reminder 1: gabapentin 300 mg, 14:00 dose")
        assert page.daemon.count(r"reminder \d+: gabapentin 300 mg, 08:00 dose") == sent
    finally:
        for d in started:
            d.stop()


def test_a_dose_answered_elsewhere_meanwhile_says_so(page: Page) -> None:
    phone = page.paired()
    shown = phone.get()
    assert page.cli("take").returncode == 0  # from the desktop, while the page is open
    reply = phone.post("/dose", {"form": shown.form_token, "dose": DOSE, "action": "taken"})
    assert reply.status == 409 and "already taken at 08:05" in reply.body
    assert page.dose() == [("taken", "cli")]


def test_snooze_and_skip_go_through_the_same_rules(page: Page) -> None:
    phone = page.paired()
    snoozed = phone.post("/dose", {"form": phone.get().form_token, "dose": DOSE, "action": "snooze"})
    assert snoozed.status == 200 and "reminding again at 08:15" in snoozed.body
    [(until, via)] = rows(page.cli, "SELECT snoozed_until, via FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'")
    assert until.startswith("2026-11-28T08:15") and via is None
    assert rows(page.cli, "SELECT source FROM events WHERE kind = 'snoozed'") == [("phone",)]
    later = phone.post("/dose", {"form": phone.get().form_token, "dose": "gabapentin|2026-11-28|22:00",
                                 "action": "taken"})
    assert later.status == 409 and "cannot be answered taken now" in later.body
    skipped = phone.post("/dose", {"form": phone.get().form_token, "dose": DOSE, "action": "skip"})
    assert skipped.status == 200 and "08:00 dose skipped" in skipped.body
    assert page.dose() == [("skipped", "phone")]


def test_every_wrong_token_gets_the_same_short_refusal(page: Page) -> None:
    phone = page.paired()
    good = phone.cookie
    tries = [
        page.client().get("/"),
        page.client(cookie="x").get("/"),
        page.client(cookie=good[:-1] + ("A" if good[-1] != "A" else "B")).get("/"),
        page.client(cookie=good + "A").get("/"),
        page.client().get("/pair/" + good[:-2]),
    ]
    client = page.client(source="127.0.0.3")  # a fresh address: its first failures are free
    tries += [client.get("/no/such/page"), client.post("/dose", {"dose": DOSE, "action": "taken"}),
              client.get("/pair/../../etc/passwd"), client.get("/pair/" + "A" * 5000)]
    first = tries[0]
    assert first.status == 403 and REFUSAL in first.body
    for reply in tries:
        assert (reply.status, reply.body) == (first.status, first.body)
        assert "Set-Cookie" not in reply.headers
    assert page.dose() == [("pending", None)]


def test_revoke_all_unpairs_every_link_and_phone(page: Page) -> None:
    phone = page.paired()
    second_link = page.new_link()
    assert phone.get().status == 200
    out = page.cli("pair", "--revoke-all")
    assert out.returncode == 0 and "Unpaired every phone (1)" in out.stdout
    refused = phone.get()
    assert refused.status == 403 and REFUSAL in refused.body
    assert page.client(source="127.0.0.2").get(urlsplit(second_link).path).status == 403


def test_repeated_failures_from_one_address_lock_it_out(page: Page) -> None:
    good = page.paired().cookie
    guesser = page.client(source="127.0.0.2")
    for _ in range(6):
        assert guesser.get("/pair/" + "A" * 43).status == 403
    # Locked out now: even the right token is refused from there, with the same refusal...
    locked = page.client(cookie=good, source="127.0.0.2").get()
    assert locked.status == 403 and REFUSAL in locked.body
    # ...while the phone at another address goes on.
    assert page.client(cookie=good).get().status == 200
    assert "refused a request from 127.0.0.2" in page.daemon.output


def test_forged_posts_change_nothing(page: Page) -> None:
    phone = page.paired()
    count = page.events()
    # A GET changes nothing.
    assert phone.get(f"/dose?form={phone.get().form_token}&dose={DOSE}&action=taken").status == 405
    assert phone.get(f"/?dose={DOSE}&action=taken").status == 200
    # No form token, a made-up one, and another site's page (it cannot read ours, and
    # the browser says where the post came from).
    assert phone.post("/dose", {"dose": DOSE, "action": "taken"}).status == 403
    assert phone.post("/dose", {"form": "made-up", "dose": DOSE, "action": "taken"}).status == 403
    token = phone.get().form_token
    forged = phone.post("/dose", {"form": token, "dose": DOSE, "action": "taken"},
                        {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert forged.status == 403 and "Nothing was changed" in forged.body
    assert phone.post("/dose", {"form": token, "dose": DOSE, "action": "taken"}).status == 403  # spent
    cross = phone.post("/dose", {"form": phone.get().form_token, "dose": DOSE, "action": "taken"},
                       {"Sec-Fetch-Site": "same-site"})
    assert cross.status == 403
    # The Origin alone, as an older browser sends it without Sec-Fetch-Site.
    origin = phone.post("/dose", {"form": phone.get().form_token, "dose": DOSE, "action": "taken"},
                        {"Origin": "http://evil.example"})
    assert origin.status == 403 and "Nothing was changed" in origin.body
    # Not a form; a field twice; a dose or action that does not exist.
    assert phone.request("POST", "/dose", b'{"action": "taken"}', {"Content-Type": "application/json"}).status == 415
    body = f"form={phone.get().form_token}&dose={DOSE}&action=taken&action=skip".encode()
    assert phone.request("POST", "/dose", body, {"Content-Type": "application/x-www-form-urlencoded"}).status == 400
    for dose, action in ((DOSE, "delete"), ("gabapentin|x|08:00", "taken")):
        assert phone.post("/dose", {"form": phone.get().form_token, "dose": dose, "action": action}).status == 400
    # A dose the page does not show (no medication of that name) is not answered.
    unknown = phone.post("/dose", {"form": phone.get().form_token, "dose": "aspirin|2026-11-28|08:00", "action": "taken"})
    assert unknown.status == 409 and "That dose cannot be answered taken now; nothing was changed." in unknown.body
    # A form from a page given to another pairing is not this phone's.
    other = page.paired(page.new_link())
    assert phone.post("/dose", {"form": other.get().form_token, "dose": DOSE, "action": "taken"}).status == 403
    assert page.events() == count and page.dose() == [("pending", None)]


def test_the_page_answers_only_to_its_own_names(page: Page) -> None:
    phone = page.paired()
    rebound = phone.get("/", Host=f"evil.example:{page.port}")  # a name pointed at this address (DNS rebinding)
    assert rebound.status == 421 and "Due now." not in rebound.body
    assert phone.get("/", Host=f"localhost:{page.port}").status == 200
    # The same Origin as a rebinding page's is not enough either.
    post = phone.post("/dose", {"form": phone.get().form_token, "dose": DOSE, "action": "taken"},
                      {"Host": f"evil.example:{page.port}", "Origin": f"http://evil.example:{page.port}"})
    assert post.status == 421 and page.dose() == [("pending", None)]
    same = phone.post("/dose", {"form": phone.get().form_token, "dose": DOSE, "action": "taken"},
                      {"Origin": f"http://127.0.0.1:{page.port}"})
    assert same.status == 200 and page.dose() == [("taken", "phone")]


def test_sizes_are_limited_and_slow_clients_cut_off(page: Page) -> None:
    phone = page.paired()
    huge_body = phone.request("POST", "/dose", b"a=" + b"b" * 10_000,
                              {"Content-Type": "application/x-www-form-urlencoded"})
    assert huge_body.status == 413
    huge_header = phone.get("/", **{"X-Filler": "y" * 20_000})
    assert huge_header.status in (413, 431)
    # A client that sends half a request and goes quiet is disconnected (REQUEST_S).
    with socket.create_connection(("127.0.0.1", page.port), timeout=30) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        while slow.recv(4096):  # returns b"" when the server closes the connection
            pass
        took = time.monotonic() - started
        assert REQUEST_S - 1 < took < REQUEST_S + 3, f"cut after {took:.1f} s, not at the page's REQUEST_S deadline"
    assert phone.get().status == 200  # and the page still answers
    assert page.dose() == [("pending", None)]


def test_checkin_one_tap_then_frequency_and_wakings(page: Page) -> None:
    phone = page.paired()
    shown = phone.get()
    assert "Last night (Friday 27 November)" in shown.body
    tapped = phone.post("/checkin", {"form": shown.form_token, "night": "2026-11-27", "severity": "2"})
    assert tapped.status == 200 and "Recorded last night: severity 2 (moderate)." in tapped.body
    assert 'name="frequency"' in tapped.body and 'name="woke"' in tapped.body
    bad = phone.post("/checkin", {"form": tapped.form_token, "night": "2026-11-27", "severity": "2",
                                  "frequency": "3", "woke": "99"})
    assert bad.status == 400 and "woke &#x27;99&#x27; is not valid; expected a whole number from 0 to 50" in bad.body
    full = phone.post("/checkin", {"form": bad.form_token, "night": "2026-11-27", "severity": "2",
                                   "frequency": "3", "woke": "1"})
    assert full.status == 200 and "frequency 3 (more than one an hour), woke 1 time" in full.body
    assert rows(page.cli, "SELECT night, severity, frequency, woke, via FROM checkins") == \
        [("2026-11-27", 2, 3, 1, "phone")]
    other_night = phone.post("/checkin", {"form": full.form_token, "night": "2026-11-28", "severity": "0"})
    assert other_night.status == 409
    assert rows(page.cli, "SELECT count(*) FROM events WHERE kind = 'checkin'") == [(2,)]


def test_checkin_anything_else_is_one_tap_that_keeps_the_other_answers(page: Page) -> None:
    phone = page.paired()
    shown = phone.get()
    assert "Anything else that could explain the night" not in shown.body  # severity first
    tapped = phone.post("/checkin", {"form": shown.form_token, "night": "2026-11-27", "severity": "3"})
    full = phone.post("/checkin", {"form": tapped.form_token, "night": "2026-11-27", "severity": "3",
                                   "frequency": "4", "woke": "2"})
    assert 'name="other_cause" value="1" aria-pressed="false"' in full.body
    marked = phone.post("/checkin", {"form": full.form_token, "night": "2026-11-27", "severity": "3",
                                     "other_cause": "1"})
    assert marked.status == 200 and "woke 2 times, something else could explain the night." in marked.body
    assert 'name="other_cause" value="0" class="chosen" aria-pressed="true"' in marked.body
    assert rows(page.cli, "SELECT severity, frequency, woke, other_cause FROM checkins") == [(3, 4, 2, 1)]
    # A severity tapped again keeps the mark; the button again takes it back.
    again = phone.post("/checkin", {"form": marked.form_token, "night": "2026-11-27", "severity": "2"})
    assert rows(page.cli, "SELECT severity, other_cause FROM checkins") == [(2, 1)]
    phone.post("/checkin", {"form": again.form_token, "night": "2026-11-27", "severity": "2", "other_cause": "0"})
    assert rows(page.cli, "SELECT severity, other_cause FROM checkins") == [(2, 0)]


def test_https_with_the_configured_certificate(cli: Cli, tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    started: list[DaemonProcess] = []
    try:
        page = start_page(cli, tmp_path, f'certificate = "{cert}"\nkey = "{key}"\n', started)
        assert page.link.startswith(f"https://127.0.0.1:{page.port}/pair/")
        tls = ssl.create_default_context(cafile=str(cert))
        phone = page.client(tls=tls)
        code = re.search(r'name="code" value="([^"]+)"', phone.get(urlsplit(page.link).path).body)[1]
        reply = phone.post("/pair", {"code": code}, {"Origin": f"https://127.0.0.1:{page.port}"})
        assert reply.status == 303 and "; Secure" in reply.headers["Set-Cookie"]
        phone.cookie = re.match(r"reminderd=([^;]+);", reply.headers["Set-Cookie"])[1]
        shown = phone.get()
        assert shown.status == 200 and "Due now." in shown.body
        # Plain HTTP to the TLS port, with the cookie: an error or a reset, never the page.
        assert not read_all(page.port, f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: reminderd={phone.cookie}\r\n\r\n"
                            .encode()).startswith(b"HTTP/1.1 200")
    finally:
        for d in started:
            d.stop()
