"""Two phones on one running daemon, in headless Chromium (issue 24): his, paired with his
page, and his partner's, paired with her own. She is sent the link at her time and answers
there; her page shows no dose and no alert; each phone's credential is refused on the other's
form; and a rating she makes after a missed-dose alert about that night is recorded as not
blinded. The daemon runs under a moved clock; her messages go to a real HTTP server."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import Cli, at, config_text, rows
from tests.daemon_process import DaemonProcess
from tests.fakeclock import FakeClock
from tests.receivers import HttpReceiver, free_port
from tests.remote_client import Client
from tests.test_remote_browser import phone_browser, shows

pytestmark = pytest.mark.system
DOSE_WORDS = ("gabapentin", "300 mg", "dose", "Dose", "missed", "Missed", "Taken", "check-in")


def pair_in(browser, cli: Cli, *args: str) -> None:
    """`reminderd pair …` on the computer, the link opened and confirmed on the phone."""
    out = cli("pair", *args)
    assert out.returncode == 0, out.stderr
    browser.get(re.search(r"http://\S+/pair/\S+", out.stdout)[0])
    browser.find_element(By.XPATH, '//button[normalize-space()="Pair this phone"]').click()
    WebDriverWait(browser, 20).until(lambda b: urlsplit(b.current_url).path == "/")


def tap(browser, xpath: str) -> None:
    browser.find_element(By.XPATH, xpath).click()


def blind_to_his_doses(browser) -> None:
    for word in DOSE_WORDS:
        assert word not in browser.page_source, word


def test_two_phones_his_and_hers(cli: Cli, tmp_path: Path) -> None:
    http, port = HttpReceiver().start(), free_port()
    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 07:20:00"))
    cli.config.write_text(config_text(remind_every="3s", give_up_after="40s", min_gap="1h", snooze="5s", extra=(
        f'\n[remote]\nlisten = "127.0.0.1:{port}"\n'
        f'\n[[rater]]\nname = "Partner"\ntime = "07:30"\nuntil = "11:00"\nurl = "json://127.0.0.1:{http.port}/her"\n'
        f'\n[[contact]]\nname = "Partner"\nurl = "json://127.0.0.1:{http.port}/alerts"\nalerts = ["missed"]\n')))
    daemon = DaemonProcess(cli)
    his = hers = None
    try:
        daemon.wait_for(r"remote page: listening on 127\.0\.0\.1:\d+")
        his, hers = phone_browser(tmp_path / "his-phone"), phone_browser(tmp_path / "her-phone")
        pair_in(his, cli, "--name", "his phone")
        pair_in(hers, cli, "--rater", "Partner")
        cli.clock.set(at("2026-11-28 07:29:58"))  # both paired: on to her time

        # At her time she is sent the link to her page, and nothing about his doses.
        (message,) = http.wait_for(1)
        assert message.path == "/her" and message.body["title"] == "How was last night?"
        assert message.body["message"] == ("How much did his spasms disturb the night of Fri 27 Nov? Answer on your "
                                           f"page: http://127.0.0.1:{port}/")
        hers.get(f"http://127.0.0.1:{port}/")
        blind_to_his_doses(hers)
        tap(hers, '//button[@name="severity" and normalize-space()="Moderate"]')
        shows(hers, "Recorded last night: disturbed the night: 2 (moderate).")
        tap(hers, '//label[contains(., "Often")]')
        hers.find_element(By.ID, "woke").send_keys("1")
        tap(hers, '//button[normalize-space()="Save"]')
        shows(hers, "woke her 1 time")
        blind_to_his_doses(hers)
        assert rows(cli, "SELECT rater, night, severity, frequency, woke, blinded, via FROM ratings") == [
            ("Partner", "2026-11-27", 2, 3, 1, 1, "phone")]

        # His phone sees his page; her routes refuse his credential, and his refuse hers.
        his.get(f"http://127.0.0.1:{port}/")
        assert "gabapentin" in his.page_source and "disturb" not in his.page_source
        his.get(f"http://127.0.0.1:{port}/rating")
        assert "Not this phone’s page" in his.page_source
        his_phone = Client(port, cookie=his.get_cookie("reminderd")["value"])
        her_phone = Client(port, cookie=hers.get_cookie("reminderd")["value"])
        his_token, her_token = his_phone.get().form_token, her_phone.get().form_token
        for client, path, fields in ((his_phone, "/rating", {"form": his_token, "night": "2026-11-27", "severity": "0"}),
                                     (his_phone, "/rating/undo", {"form": his_token, "night": "2026-11-27"}),
                                     (her_phone, "/dose", {"form": her_token, "dose": "gabapentin|2026-11-28|08:00",
                                                           "action": "taken"}),
                                     (her_phone, "/checkin", {"form": her_token, "night": "2026-11-27",
                                                              "severity": "3"})):
            reply = client.post(path, fields, {"Origin": f"http://127.0.0.1:{port}"})
            assert reply.status == 403 and "Not this phone’s page" in reply.body, (path, reply.body)
        assert rows(cli, "SELECT severity FROM ratings") == [(2,)] and rows(cli, "SELECT count(*) FROM checkins") == [(0,)]

        # The 08:00 dose is missed; the alert goes to her contact. Her next rating of that
        # night is recorded as not blinded, and her page still shows nothing of it.
        cli.clock.set(at("2026-11-28 08:00:45"))
        (alert,) = [p for p in http.wait_for(2, timeout=40) if p.path == "/alerts"]
        assert alert.body["title"] == "Missed: gabapentin 300 mg"
        cli.clock.set(at("2026-11-29 07:30:05"))
        daemon.wait_for(r"push: rater-ask to rater:Partner .* sent", count=2, timeout=40)
        hers.get(f"http://127.0.0.1:{port}/")
        blind_to_his_doses(hers)
        tap(hers, '//button[@name="severity" and normalize-space()="Severe"]')
        shows(hers, "Recorded last night: disturbed the night: 3 (severe).")
        assert "Your answers before" in hers.page_source and "Friday 27 November" in hers.page_source
        blind_to_his_doses(hers)
        (missed_id,) = rows(cli, "SELECT id FROM doses WHERE local_date = '2026-11-28' AND slot = '08:00'")[0]
        assert rows(cli, "SELECT night, blinded, told FROM ratings ORDER BY night") == [
            ("2026-11-27", 1, None), ("2026-11-28", 0, f"missed:{missed_id}")]

        # doctor follows her link to the running page.
        from reminderd import doctor
        from reminderd.config_file import load_config

        (found,) = doctor.check_raters(load_config(cli.config), cli.db)
        assert found.status == doctor.OK and found.found == (f"http://127.0.0.1:{port}/ answers (403 Forbidden); "
                                                             "1 phone paired with her page")
    finally:
        for browser in (his, hers):
            if browser is not None:
                browser.quit()
        daemon.stop()
        http.stop()
