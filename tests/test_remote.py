"""The phone page's pure parts: the [remote] config, pairing hashes, the guards against
guessing and forged forms, the page's address. Plain values; time is a number."""

from __future__ import annotations

import os
import re
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from reminderd.config_file import load_config
from reminderd.core import words
from reminderd.core.config.load import parse_config
from reminderd.core.config.settings import RemoteSettings
from reminderd.errors import ConfigError, UsageError
from reminderd.remote import page_url, pairing, plain_http_warning
from reminderd.remote.guard import (FIRST_LOCKOUT_S, FORM_LIFETIME_S, FREE_FAILURES, MAX_FORMS, Failures, FormTokens,
                                    Throttled, allowed_hosts, host_allowed)

MEDICATION = """
timezone = "Europe/London"
[[medication]]
name = "gabapentin"
dose = "300 mg"
times = ["08:00", "22:00"]
"""
LISTEN_EXPECTED = 'an address and port "host:port", e.g. "127.0.0.1:8765", "0.0.0.0:8765" or "[::1]:8765"'


def parse(text: str):
    return parse_config(MEDICATION + text, "test.toml", lambda: "UTC")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return info.value.problems


def test_no_remote_table_means_no_page() -> None:
    assert parse("").remote is None
    assert page_url(parse("")) is None


@pytest.mark.parametrize("listen, host, port", [
    ("127.0.0.1:8765", "127.0.0.1", 8765),
    ("0.0.0.0:80", "0.0.0.0", 80),
    ("[::1]:65535", "::1", 65535),
    ("desktop.lan:8765", "desktop.lan", 8765),
], ids=["loopback", "every-interface", "ipv6", "host-name"])
def test_listen_is_parsed(listen: str, host: str, port: int) -> None:
    assert parse(f'[remote]\nlisten = "{listen}"\n').remote == RemoteSettings(host=host, port=port)


@pytest.mark.parametrize("text, expected", [
    ('[remote]\nlisten = "8765"\n', f'remote.listen: "8765" is not valid; expected {LISTEN_EXPECTED}'),
    ('[remote]\nlisten = "0.0.0.0:0"\n',
     f'remote.listen: "0.0.0.0:0" is not valid; expected {LISTEN_EXPECTED} with a port from 1 to 65535'),
    ('[remote]\nlisten = "0.0.0.0:70000"\n',
     f'remote.listen: "0.0.0.0:70000" is not valid; expected {LISTEN_EXPECTED} with a port from 1 to 65535'),
    ('[remote]\nlisten = "::1:8765"\n', f'remote.listen: "::1:8765" is not valid; expected {LISTEN_EXPECTED}'),
    ('[remote]\nlisten = "a b:1"\n', f'remote.listen: "a b:1" is not valid; expected {LISTEN_EXPECTED}'),
    ("[remote]\nlisten = 8765\n", f"remote.listen: 8765 is not valid; expected {LISTEN_EXPECTED}"),
    ("[remote]\n", "remote.listen: missing; this setting is required"),
    ('[remote]\nlisten = "127.0.0.1:8765"\nport = 1\n',
     "remote.port: unknown setting; expected one of: listen, certificate, key, url"),
    ('[remote]\nlisten = "127.0.0.1:8765"\nurl = "ftp://x"\n',
     'remote.url: "ftp://x" is not valid; expected the address the phone opens, e.g. "https://desktop.tailnet.ts.net:8765"'),
], ids=["no-host", "port-0", "port-too-big", "bare-ipv6", "space", "a-number", "no-listen", "unknown-key",
        "bad-url"])
def test_bad_remote_settings_are_refused_by_name(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_a_certificate_that_is_not_there_is_refused_by_name(tmp_path: Path) -> None:
    """Whether the file is there is asked where the config is read from disk."""
    (tmp_path / "config.toml").write_text(MEDICATION + '[remote]\nlisten = "127.0.0.1:8765"\n'
                                          'certificate = "/nonexistent/cert.pem"\nkey = "/etc/hostname"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "config.toml")
    assert info.value.problems == [
        'remote.certificate: "/nonexistent/cert.pem" is not valid; expected the path of an existing PEM file']


def test_remote_must_be_a_table() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config('remote = "on"\n' + MEDICATION, "test.toml", lambda: "UTC")
    assert info.value.problems == ['remote: "on" is not valid; expected a table']


def test_certificate_needs_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    assert problems(f'[remote]\nlisten = "127.0.0.1:8765"\ncertificate = "{cert}"\n') == [
        "remote.key: missing; expected both certificate and key for HTTPS, or neither (remote.certificate is set)"]
    both = parse(f'[remote]\nlisten = "127.0.0.1:8765"\ncertificate = "{cert}"\nkey = "{cert}"\n').remote
    assert both.https and both.certificate == cert


def test_page_url_names_the_listening_address_or_the_configured_url() -> None:
    assert page_url(parse('[remote]\nlisten = "192.168.1.20:8765"\n')) == "http://192.168.1.20:8765/"
    assert page_url(parse('[remote]\nlisten = "[fd00::5]:8765"\n')) == "http://[fd00::5]:8765/"
    assert page_url(parse('[remote]\nlisten = "0.0.0.0:8765"\nurl = "https://desk.tail.ts.net:8765"\n')) == \
        "https://desk.tail.ts.net:8765/"
    every = page_url(parse('[remote]\nlisten = "0.0.0.0:8765"\n'))
    assert every.startswith("http://") and every.endswith(":8765/") and "0.0.0.0" not in every


# --- pairing ---------------------------------------------------------------------------

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def test_a_code_is_spent_by_its_first_use_and_only_hashes_are_kept_in_a_private_file(tmp_path: Path) -> None:
    store = pairing.Pairings(tmp_path / "data" / "reminderd.db")
    code = store.new_code("his phone", words.PATIENT, T0)
    assert len(code) >= 43  # 256 bits
    secret, phone = store.redeem(code, T0 + timedelta(minutes=1))
    assert (phone.name, phone.role, phone.last_seen) == ("his phone", words.PATIENT, None)
    assert secret != code and store.phone(secret) == phone
    assert store.redeem(code, T0 + timedelta(minutes=2)) is None  # the link opened twice
    text = store.path.read_text()
    assert code not in text and secret not in text and pairing.digest(secret) in text
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600


def test_pairings_of_the_first_version_are_forgotten_at_the_first_new_one(tmp_path: Path) -> None:
    store = pairing.Pairings(tmp_path / "reminderd.db")
    store.legacy.write_text(pairing.digest("an old token that was its own link") + "\n")
    store.new_code(None, words.PATIENT, T0)
    assert not store.legacy.exists()


def test_a_code_expires(tmp_path: Path) -> None:
    store = pairing.Pairings(tmp_path / "reminderd.db")
    code = store.new_code(None, words.PATIENT, T0)
    assert store.code(code, T0 + pairing.CODE_LIFETIME - timedelta(seconds=1)) is not None
    assert store.redeem(code, T0 + pairing.CODE_LIFETIME) is None
    assert store.phones() == [] and store.codes(T0) == []  # spent by the try, expired or not


def test_wrong_credentials_match_nothing(tmp_path: Path) -> None:
    store = pairing.Pairings(tmp_path / "reminderd.db")
    assert store.phone("anything-at-all-of-a-good-length") is None  # nothing paired yet
    first, _ = store.redeem(store.new_code(None, words.PATIENT, T0), T0)
    code = store.new_code(None, words.PATIENT, T0)
    for wrong in (None, "", first[:-1], first + "x", first.upper(), "../../etc/passwd", "x" * 10_000,
                  pairing.digest(first), code):
        assert store.phone(wrong) is None, wrong
    assert store.phone(first).name == "phone"


def test_phones_are_named_listed_seen_and_revoked_one_at_a_time(tmp_path: Path) -> None:
    store = pairing.Pairings(tmp_path / "reminderd.db")
    his, _ = store.redeem(store.new_code(None, words.PATIENT, T0), T0)
    second, _ = store.redeem(store.new_code(None, words.PATIENT, T0), T0)
    store.new_code("tablet", words.PATIENT, T0)
    assert [p.name for p in store.phones()] == ["phone", "phone 2"]
    assert [c.name for c in store.codes(T0)] == ["tablet"]
    with pytest.raises(UsageError, match="a phone called 'phone' is already paired"):
        store.new_code("phone", words.PATIENT, T0)
    with pytest.raises(UsageError, match="not valid"):
        store.new_code("bell\x07", words.PATIENT, T0)
    store.seen(store.phone(his), T0 + timedelta(minutes=5))
    store.seen(store.phone(his), T0 + timedelta(minutes=5, seconds=30))  # within SEEN_EVERY: not written
    assert store.phone(his).last_seen == "2026-11-28T08:05:00+00:00"
    assert store.revoke("phone") and not store.revoke("phone")
    assert store.phone(his) is None and store.phone(second) is not None
    assert store.revoke("tablet") and store.codes(T0) == []  # a link not used yet is withdrawn
    assert store.revoke_all() == 1 and store.phone(second) is None


def test_each_credential_carries_whose_page_it_opens(tmp_path: Path) -> None:
    store = pairing.Pairings(tmp_path / "reminderd.db")
    hers, phone = store.redeem(store.new_code("her phone", pairing.rater_role("Anna"), T0), T0)
    assert phone.role == "rater:Anna" and store.phone(hers).role != words.PATIENT


def test_a_damaged_pairing_file_refuses_everyone(tmp_path: Path) -> None:
    store = pairing.Pairings(tmp_path / "reminderd.db")
    store.path.write_text("not json")
    with pytest.raises(UsageError, match="cannot be read"):
        store.phone("x" * 43)


# --- the guards ------------------------------------------------------------------------


def test_failures_from_one_address_lock_it_out_for_longer_each_time() -> None:
    f = Failures()
    for _ in range(FREE_FAILURES):
        assert not f.locked("10.0.0.9", 100.0)
        f.failed("10.0.0.9", 100.0)
    assert not f.locked("10.0.0.9", 100.0)  # the free failures are free
    f.failed("10.0.0.9", 100.0)
    assert f.locked("10.0.0.9", 100.0 + FIRST_LOCKOUT_S - 0.1)
    assert not f.locked("10.0.0.9", 100.0 + FIRST_LOCKOUT_S)
    assert not f.locked("10.0.0.10", 100.0)  # another address is not punished
    f.failed("10.0.0.9", 200.0)
    assert f.locked("10.0.0.9", 200.0 + 2 * FIRST_LOCKOUT_S - 0.1)
    f.succeeded("10.0.0.9")
    f.failed("10.0.0.9", 300.0)
    assert not f.locked("10.0.0.9", 300.0)


def test_a_form_token_is_spent_once_by_its_own_pairing_before_it_expires() -> None:
    forms = FormTokens()
    token = forms.issue("pairing-a", 0.0)
    assert not forms.spend(token, "pairing-b", 1.0)  # another pairing's: refused, and used up
    assert not forms.spend(token, "pairing-a", 1.0)
    token = forms.issue("pairing-a", 0.0)
    assert forms.spend(token, "pairing-a", 1.0)
    assert not forms.spend(token, "pairing-a", 2.0)  # replayed
    old = forms.issue("pairing-a", 0.0)
    assert not forms.spend(old, "pairing-a", FORM_LIFETIME_S)
    assert not forms.spend("made-up", "pairing-a", 1.0)


def test_form_tokens_are_bounded() -> None:
    forms = FormTokens()
    first = forms.issue("p", 0.0)
    for _ in range(MAX_FORMS):
        forms.issue("p", 0.0)
    assert not forms.spend(first, "p", 1.0)


# --- the page's HTML ---------------------------------------------------------------------


def test_the_page_escapes_what_it_shows_and_has_no_script() -> None:
    from datetime import date, datetime, timezone

    from reminderd.core.checkin import Checkin
    from reminderd.core.doses import Dose
    from reminderd.remote import page

    now = datetime(2026, 11, 28, 8, 5, tzinfo=timezone.utc)
    dose = Dose(id=1, medication='<img src=x onerror="alert(1)">', local_date=date(2026, 11, 28), slot="08:00",
                dose="300 mg", due=datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc))
    night = Checkin(night=date(2026, 11, 27), severity=2, frequency=3, woke=1, note="</p><script>alert(2)</script>")
    html = page.render(today=date(2026, 11, 28), doses=[page.DoseView(dose, (words.TAKE, words.SNOOZE, words.SKIP))],
                       night=date(2026, 11, 27), checkin=night, form_token="tok", now=now, tz=timezone.utc,
                       message="<b>hi</b>")
    assert "<script" not in html and "<img" not in html and "<b>hi" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html and "&lt;script&gt;" in html
    # the dose's form, the one-tap severity, the follow-up and the one-tap "anything else?"
    assert html.count('name="form" value="tok"') == 4
    assert 'aria-label="Taken: 08:00 &lt;img' in html  # each button names its dose for a screen reader
    assert '<label for="woke">' in html and 'id="woke"' in html
    assert '<button type="submit" name="severity" value="2" class="chosen" aria-pressed="true">Moderate</button>' in html


def test_the_page_says_first_when_reminders_are_off() -> None:
    from datetime import date, datetime, timezone

    from reminderd.remote import page

    now = datetime(2026, 11, 28, 8, 5, tzinfo=timezone.utc)
    off = "Reminders are off: the daemon is not running since 07:50 <now> — start it with: reminderd run"
    html = page.render(today=date(2026, 11, 28), doses=[], night=date(2026, 11, 27), checkin=None, form_token="tok",
                       now=now, tz=timezone.utc, banner=off)
    assert html.index('role="alert">Reminders are off: the daemon is not running since 07:50 &lt;now&gt;') < \
        html.index("Today’s doses")
    quiet = page.render(today=date(2026, 11, 28), doses=[], night=date(2026, 11, 27), checkin=None, form_token="tok",
                        now=now, tz=timezone.utc)
    assert "Reminders are off" not in quiet


# --- names, warnings, logs under a flood --------------------------------------------------


@pytest.mark.parametrize("host, local, allowed", [
    ("127.0.0.1:8765", "127.0.0.1", True),
    ("localhost:8765", "127.0.0.1", True),
    ("[::1]:8765", "::1", True),
    ("192.168.1.20:8765", "192.168.1.20", True),  # the address the request came in on
    ("DESK.tail.ts.net", "100.101.102.103", True),  # the configured url's host, any case
    ("desk.lan:8765", "192.168.1.20", True),  # the configured listening host
    ("evil.example:8765", "192.168.1.20", False),  # another name pointed at this address
    ("localhost:8765", "192.168.1.20", False),
    ("192.168.1.21:8765", "192.168.1.20", False),
    ("", "127.0.0.1", False),
    ("[::1", "::1", False),
], ids=["loopback", "localhost", "ipv6", "arrival-address", "url-host", "listen-host", "rebinding",
        "localhost-off-loopback", "other-address", "none", "broken"])
def test_the_page_answers_only_to_its_own_names(host: str, local: str, allowed: bool) -> None:
    settings = RemoteSettings(host="desk.lan", port=8765, url="https://desk.tail.ts.net:8765")
    assert host_allowed(host, local, allowed_hosts(settings)) is allowed


@pytest.mark.parametrize("listen, warned", [
    ("127.0.0.1", False), ("::1", False), ("100.101.102.103", False), ("fd7a:115c:a1e0::5", False),
    ("0.0.0.0", True), ("::", True), ("192.168.1.20", True), ("10.8.0.1", True), ("desk.lan", True),
])
def test_plain_http_beyond_loopback_or_tailscale_is_warned_about(listen: str, warned: bool) -> None:
    warning = plain_http_warning(RemoteSettings(host=listen, port=8765))
    assert (warning is not None) is warned
    if warned:
        assert "plain HTTP" in warning[0] and "remote.certificate" in warning[1]


def test_https_is_never_warned_about(tmp_path: Path) -> None:
    assert plain_http_warning(RemoteSettings(host="0.0.0.0", port=1, certificate=tmp_path, key=tmp_path)) is None


def test_a_throttled_line_is_written_once_a_period_with_the_count_left_out() -> None:
    written, clock = [], [0.0]
    line = Throttled(lambda msg, *args: written.append(msg % args), 60.0, lambda: clock[0])
    for _ in range(1000):
        line("refused %s", "10.0.0.9")
    assert written == ["refused 10.0.0.9"]
    clock[0] = 60.0
    line("refused %s", "10.0.0.9")
    assert written[1] == "refused 10.0.0.9 (and 999 more like it in the last 60 s)"


# --- the application, called in-process -----------------------------------------------------


class Answer:
    def __init__(self, app, environ: dict) -> None:
        def start_response(status, headers):
            self.status, self.headers = status, dict(headers)

        self.body = b"".join(app(environ, start_response)).decode()


def request(app, path: str = "/", method: str = "GET", body: str = "", cookie: str | None = None, **headers: str):
    import io

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "REMOTE_ADDR": "10.0.0.9", "SERVER_NAME": "127.0.0.1",
               "HTTP_HOST": "127.0.0.1:8765", "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body.encode())}
    if cookie is not None:
        environ["HTTP_COOKIE"] = f"reminderd={cookie}"
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    return Answer(app, environ)


def page_app(tmp_path: Path, config=lambda: parse("")):
    from reminderd.remote.app import PageApp

    return PageApp(config, tmp_path / "reminderd.db", lambda: T0, RemoteSettings(host="127.0.0.1", port=8765))


def test_a_500_logs_where_it_failed_but_never_the_request(tmp_path: Path, caplog) -> None:
    def broken():
        raise ValueError("form=secret-form-token&note=private words")  # an error that quotes what it was given

    app = page_app(tmp_path, broken)
    secret, _ = app.pairings.redeem(app.pairings.new_code(None, words.PATIENT, T0), T0)
    with caplog.at_level("INFO", logger="reminderd"):
        answer = request(app, cookie=secret)
    assert answer.status.startswith("500")
    assert "ValueError at " in caplog.text and "app.py:" in caplog.text
    assert "secret-form-token" not in caplog.text and "private words" not in caplog.text


def test_a_credential_opens_only_the_page_of_its_role(tmp_path: Path) -> None:
    app = page_app(tmp_path)
    hers, _ = app.pairings.redeem(app.pairings.new_code("her phone", pairing.rater_role("Anna"), T0), T0)
    refused = request(app, cookie=hers)
    assert refused.status.startswith("403") and "Not paired" in refused.body
    assert not app.failures.locked("10.0.0.9", 0.0)


def test_no_credential_never_counts_towards_a_lock_out_and_a_wrong_one_does(tmp_path: Path) -> None:
    app = page_app(tmp_path)
    for _ in range(10 * FREE_FAILURES):
        assert request(app).status.startswith("403")
        assert request(app, "/dose", "POST", "dose=x", Origin="http://news.example").status.startswith("403")
    assert not app.failures.locked("10.0.0.9", app.monotonic())
    for _ in range(FREE_FAILURES + 1):
        request(app, cookie="W" * 43)
    assert app.failures.locked("10.0.0.9", app.monotonic())


def test_check_config_and_doctor_warn_of_plain_http_beyond_loopback(cli) -> None:
    from reminderd.doctor import WARNING, check_page

    cli.config.write_text(MEDICATION + '[remote]\nlisten = "0.0.0.0:8765"\n')
    out = cli("check-config")
    assert out.returncode == 0
    assert "warning: The phone page is served over plain HTTP on every interface" in out.stdout
    finding = check_page(parse('[remote]\nlisten = "192.168.1.20:8765"\n'))
    assert finding.status == WARNING and "plain HTTP on 192.168.1.20" in finding.problem
    assert check_page(parse('[remote]\nlisten = "100.101.102.103:8765"\n')).status == "ok"
    cli.config.write_text(MEDICATION + '[remote]\nlisten = "127.0.0.1:8765"\n')
    assert "warning" not in cli("check-config").stdout


def test_the_unit_leaves_room_for_the_pages_connections() -> None:
    from reminderd.remote.server import FD_RESERVE, MAX_CONNECTIONS

    unit = (Path(__file__).parent.parent / "reminderd" / "reminderd.service").read_text()
    limit = int(next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("LimitNOFILE=")))
    assert limit >= MAX_CONNECTIONS + FD_RESERVE


def test_errors_the_loop_reports_are_logged_once_a_period(tmp_path: Path, caplog) -> None:
    from reminderd.remote.server import ERRORS_LOGGED_EVERY_S, PageServer

    server = PageServer(RemoteSettings(host="127.0.0.1", port=8765), page_app(tmp_path))
    with caplog.at_level("ERROR", logger="reminderd"):
        for _ in range(1000):
            server._loop_error(server.loop, {"message": "socket.accept() out of system resource",
                                             "exception": OSError(24, "Too many open files")})
    assert caplog.text.count("remote page:") == 1 and "Too many open files" in caplog.text
    assert ERRORS_LOGGED_EVERY_S >= 60
    server.loop.close()


class Held:
    """A connection as the slots see it: its address, whether it still waits for its
    request, and whether it was closed to make room."""

    def __init__(self, address: str, waiting: bool = True) -> None:
        self.address, self.waiting, self.shed = address, waiting, False

    def close(self, abort: bool = False) -> None:
        self.shed = True


def test_a_new_connection_takes_the_place_of_the_oldest_one_waiting() -> None:
    from reminderd.remote.server import Slots

    slots = Slots(limit=6, per_address=3)
    flood = [Held("10.0.0.66") for _ in range(3)]
    assert all(slots.admit(c) for c in flood)
    fourth = Held("10.0.0.66")
    assert slots.admit(fourth) and flood[0].shed and not flood[1].shed  # one address: its own oldest
    others = [Held(f"10.0.0.{i}", waiting=False) for i in range(1, 4)]  # being answered
    assert all(slots.admit(c) for c in others) and not flood[1].shed
    phone = Held("10.0.0.7")
    assert slots.admit(phone) and flood[1].shed  # full: the oldest waiting goes
    assert not any(c.shed for c in others)
    for c in (flood[2], fourth, phone):
        c.waiting = False
    assert not slots.admit(Held("10.0.0.8"))  # every slot is being answered: refused


def test_pair_refuses_two_actions_at_once_and_an_unknown_name(cli) -> None:
    cli.config.write_text(MEDICATION + '[remote]\nlisten = "127.0.0.1:8765"\n')
    both = cli("pair", "--list", "--revoke-all")
    assert (both.returncode, both.stderr) == (
        2, "reminderd: use one of --list, --revoke NAME, --revoke-all, or pair a phone (with --name or --rater)\n")
    unknown = cli("pair", "--revoke", "nobody")
    assert (unknown.returncode, unknown.stderr) == (2, "reminderd: no phone called 'nobody'; see: reminderd pair --list\n")
    assert cli("pair", "--list").stdout == "No phone is paired. Pair one with: reminderd pair --name NAME\n"


def test_a_take_too_close_to_the_last_says_so_without_the_command_lines_force(tmp_path: Path) -> None:
    from reminderd import services
    from reminderd.remote.app import PageApp
    from reminderd.store import Store

    config = parse_config(MEDICATION.replace('["08:00", "22:00"]', '["08:00", "10:00"]') + 'min_gap = "2h"\n',
                          "test.toml", lambda: "UTC")
    store = Store.open(tmp_path / "reminderd.db")
    services.take(store, config, "gabapentin", T0 + timedelta(minutes=90), T0 + timedelta(minutes=90))
    store.close()
    app = PageApp(lambda: config, tmp_path / "reminderd.db", lambda: T0 + timedelta(hours=2),
                  RemoteSettings(host="127.0.0.1", port=8765))
    phone, _ = app.pairings.redeem(app.pairings.new_code(None, words.PATIENT, T0), T0)
    token = re.search(r'name="form" value="([^"]+)"', request(app, cookie=phone).body)[1]
    refused = request(app, "/dose", "POST", f"form={token}&dose=gabapentin%7C2026-11-28%7C10%3A00&action=taken",
                      cookie=phone)
    assert refused.status.startswith("409")
    assert "Not recorded: gabapentin was last taken 30m before that (the 08:00 dose of 2026-11-28); doses should " \
           "be at least 2h apart." in refused.body and "--force" not in refused.body
