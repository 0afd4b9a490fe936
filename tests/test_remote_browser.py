"""The phone page in a real browser: Debian's headless Chromium at a phone's size, driven
by selenium, taps Taken and answers last night's check-in with plain form posts; the
screenshot is kept in the test's folder and checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import Cli, rows
from tests.daemon_process import DaemonProcess
from tests.test_remote_page import start_page

pytestmark = pytest.mark.system

PHONE = {"width": 390, "height": 844, "pixelRatio": 2}  # an ordinary phone's CSS viewport
STATUS_BLUE = (26, 79, 214)  # the bar beside the status line, in the page's style


def phone_browser(profile: Path) -> webdriver.Chrome:
    """Headless Chromium at a phone's size, with a profile (and so cookies) of its own: one phone."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture
def browser(tmp_path: Path):
    driver = phone_browser(tmp_path / "chromium-profile")
    yield driver
    driver.quit()


def shows(browser, text: str) -> None:
    """Wait until the page's status line says `text`; else fail with what the page shows."""
    try:
        # The page is replaced after a tap: Chromium may answer for the old page's status node
        # with "Node ... does not belong to the document" rather than a stale element.
        WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,)).until(
            seen.text_to_be_present_in_element((By.CSS_SELECTOR, '[role="status"]'), text))
    except TimeoutException:
        raise AssertionError(f"no {text!r} at {browser.current_url}:\n{browser.page_source}") from None


def test_phone_taps_taken_and_answers_the_checkin(cli: Cli, tmp_path: Path, browser) -> None:
    started: list[DaemonProcess] = []
    try:
        page = start_page(cli, tmp_path, started=started)
        wait = WebDriverWait(browser, 20)
        browser.get(page.link)  # as after scanning the QR code
        browser.find_element(By.XPATH, '//button[normalize-space()="Pair this phone"]').click()
        wait.until(seen.url_to_be(f"http://127.0.0.1:{page.port}/"))
        assert "/pair" not in browser.current_url  # the pairing code does not stay in the address bar
        taken = browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Taken: 08:00 gabapentin"]')
        assert taken.size["height"] >= 48 and taken.size["width"] >= 300  # a large target
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE["width"]
        taken.click()
        shows(browser, "Recorded: gabapentin 300 mg, 08:00 dose taken at")
        assert rows(cli, "SELECT status, via FROM doses WHERE slot = '08:00' AND local_date = '2026-11-28'") == \
            [("taken", "phone")]

        browser.find_element(By.XPATH, '//button[@name="severity" and normalize-space()="Mild"]').click()
        shows(browser, "Recorded last night: severity 1 (mild).")
        # The follow-up: frequency by its label (a large target), wakings typed.
        browser.find_element(By.XPATH, '//label[contains(., "Fewer than one an hour")]').click()
        woke = browser.find_element(By.ID, "woke")  # found by its label's for=, as a screen reader does
        assert browser.find_element(By.CSS_SELECTOR, 'label[for="woke"]').text == "How many times did spasms wake you?"
        woke.send_keys("2")
        browser.find_element(By.XPATH, '//button[normalize-space()="Save"]').click()
        shows(browser, "woke 2 times")
        assert rows(cli, "SELECT night, severity, frequency, woke, via FROM checkins") == \
            [("2026-11-27", 1, 2, 2, "phone")]

        shot = tmp_path / "phone-page.png"
        assert browser.save_screenshot(str(shot))
        image = Image.open(shot).convert("RGB")
        assert image.size == (PHONE["width"] * PHONE["pixelRatio"], PHONE["height"] * PHONE["pixelRatio"])
        colours = image.getcolors(maxcolors=1 << 20)
        assert len(colours) > 50  # text and buttons, not a blank page
        white = sum(n for n, c in colours if c == (255, 255, 255))
        assert white < 0.95 * image.size[0] * image.size[1]
        assert any(c == STATUS_BLUE for _, c in colours)  # the answer's status line is on screen
    finally:
        for d in started:
            d.stop()
