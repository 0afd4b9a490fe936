"""The phone page's pure parts: the [remote] config, pairing hashes, the guards against
guessing and forged forms, the page's address. Plain values; time is a number."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reminderd.config_file import load_config
from reminderd.core.config.load import parse_config
from reminderd.core.config.settings import RemoteSettings
from reminderd.errors import ConfigError
from reminderd.remote import page_url, pairing
from reminderd.remote.guard import FIRST_LOCKOUT_S, FORM_LIFETIME_S, FREE_FAILURES, MAX_FORMS, Failures, FormTokens

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


def test_only_a_hash_of_the_token_is_kept_in_a_private_file(tmp_path: Path) -> None:
    db = tmp_path / "data" / "reminderd.db"
    token = pairing.new_token(db)
    path = pairing.pairing_path(db)
    assert len(token) >= 43  # 256 bits
    assert token not in path.read_text()
    assert path.read_text() == pairing.digest(token) + "\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert pairing.matching_hash(db, token) == pairing.digest(token)


def test_wrong_and_revoked_tokens_match_nothing(tmp_path: Path) -> None:
    db = tmp_path / "reminderd.db"
    assert pairing.matching_hash(db, "anything-at-all-of-a-good-length") is None  # nothing paired yet
    first, second = pairing.new_token(db), pairing.new_token(db)
    assert pairing.matching_hash(db, first) and pairing.matching_hash(db, second)
    for wrong in (None, "", first[:-1], first + "x", first.upper(), "../../etc/passwd", "x" * 10_000,
                  pairing.digest(first)):
        assert pairing.matching_hash(db, wrong) is None, wrong
    assert pairing.revoke(db) == 2
    assert pairing.matching_hash(db, first) is None and pairing.matching_hash(db, second) is None
    assert pairing.revoke(db) == 0


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
    html = page.render(today=date(2026, 11, 28), doses=[page.DoseView(dose, (page.TAKE, page.SNOOZE, page.SKIP))],
                       night=date(2026, 11, 27), checkin=night, form_token="tok", now=now, tz=timezone.utc,
                       message="<b>hi</b>")
    assert "<script" not in html and "<img" not in html and "<b>hi" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html and "&lt;script&gt;" in html
    assert html.count('name="form" value="tok"') == 3  # the dose's form, the one-tap and the follow-up
    assert 'aria-label="Taken: 08:00 &lt;img' in html  # each button names its dose for a screen reader
    assert '<label for="woke">' in html and 'id="woke"' in html
    assert '<button type="submit" name="severity" value="2" class="chosen" aria-pressed="true">Moderate</button>' in html
