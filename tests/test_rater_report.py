"""The report of a simulated log with two raters (issue 24): his check-ins and his partner's
ratings of nine weeks, two of hers made after a missed-dose alert about that night. The
text, the JSON and the HTML (in headless Chromium) show each rater's figure, her blinded
one, the one of both (their mean), their agreement and which to trust; a log without a
rater shows none of it."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from reminderd.core.analysis.raters import weighted_kappa
from reminderd.core.rating import Rating
from reminderd.report.figures import LABEL_NAMES
from reminderd.store import Store
from tests.conftest import Cli, config_text
from tests.test_report import Page, chromium, write_log

UTC = timezone.utc
FIRST, NIGHTS = date(2026, 9, 1), 63
MISSED = {5, 6, 15, 23, 24, 33, 41, 42, 50, 58}  # nights (from FIRST) whose 22:00 dose was missed
TOLD = {23, 41}  # her ratings made after a missed-dose alert about that night
PERIOD = ("--since", "2026-09-01", "--until", "2026-11-02")
RATER = '\n[[rater]]\nname = "Partner"\ntime = "07:30"\n'


def simulate(cli: Cli, told: set[int] = TOLD) -> None:
    """One latent night each, his rating worse after a missed dose he knew of (no true
    effect), hers blinded except on `told`; some nights either did not rate."""
    rng = random.Random(7)
    base = [rng.gauss(1.2, 0.7) for _ in range(NIGHTS)]
    clip = lambda v: max(0, min(3, round(v)))  # noqa: E731
    his = {i: clip(base[i] + rng.gauss(0, 0.4) + (1.0 if i in MISSED else 0)) for i in range(NIGHTS) if i % 11 != 3}
    write_log(cli, FIRST, ["TTM" if i in MISSED else "TTT" for i in range(NIGHTS)], his)
    store = Store.open(cli.db)
    for i in range(NIGHTS):
        if i % 13 == 7:
            continue
        night, severity = FIRST + timedelta(days=i), clip(base[i] + rng.gauss(0, 0.4))
        at = datetime.combine(night + timedelta(days=1), time(7, 30), UTC)
        key = f"missed:{store.dose_at('gabapentin', night, '22:00').id}" if i in told else None
        store.save_rating(Rating("Partner", night, severity, 2 if severity else 0, 1 if severity else 0, None, at,
                                 "phone", key), at, "phone")
    store.close()


@pytest.fixture
def two(cli: Cli) -> Cli:
    cli.config.write_text(config_text(extra=RATER))
    simulate(cli)
    return cli


def report(cli: Cli, *args: str):
    out = cli("report", *PERIOD, *args, at="2026-11-05 12:00:00", timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_json_shows_each_rater_her_blinded_figure_both_and_their_agreement(two: Cli):
    data = json.loads(report(two, "--format", "json"))
    (partner,) = data["raters"]
    assert (partner["rater"], partner["nights_rated"], partner["nights_blinded"]) == ("Partner", 58, 56)
    nights = partner["nights"]
    assert [n["night"] for n in nights if not n["blinded"]] == ["2026-09-24", "2026-10-12"]
    both = [(n["his_severity"], n["severity"]) for n in nights if n["his_severity"] is not None]
    assert partner["nights_both_rated"] == len(both) == 52
    agreement = partner["agreement"]
    assert agreement["weighted_kappa"] == pytest.approx(weighted_kappa(both))
    low, high = agreement["ci95"]
    assert -1 <= low < agreement["weighted_kappa"] < high <= 1
    she = agreement["she_rated"]
    assert (she["worse"], she["same"], she["better"]) == (sum(1 for h, s in both if s > h),
                                                          sum(1 for h, s in both if s == h),
                                                          sum(1 for h, s in both if s < h))
    figures = partner["effect"]
    assert figures["hers"]["nights_after_a_missed_dose"] == 9
    assert figures["hers_blinded"]["nights_after_a_missed_dose"] == 7  # the two told nights left out
    for figure in ("hers", "hers_blinded", "together"):
        assert figures[figure]["refused"] is None and len(figures[figure]["ci95"]) == 2
    # His expectation shows in his figure; her blinded ratings of the same nights show less.
    assert data["effect"]["difference"] > figures["hers_blinded"]["difference"]
    assert partner["most_trustworthy"].startswith("Partner's blinded figure is the most trustworthy")


def test_text_shows_the_figures_side_by_side_and_says_which_to_trust(two: Cli):
    text = report(two)
    data = json.loads(report(two, "--format", "json"))["raters"][0]
    section = text[text.index("A SECOND RATER: PARTNER"):]
    assert "Partner rated 58 nights (56 blinded: nothing reminderd sent had named that night's doses" in \
        " ".join(section.split())
    rows = {line.split("  ")[0]: line for line in section.splitlines()}
    for name in ("his check-ins", "Partner, every rating", "Partner, blinded only", "both (their mean)"):
        assert name in rows, section
    blinded = data["effect"]["hers_blinded"]
    assert f"{blinded['p_value']:.2g}" in rows["Partner, blinded only"]
    assert f"weighted kappa {data['agreement']['weighted_kappa']:.2f}" in " ".join(section.split())
    assert "Partner's blinded figure is the most trustworthy" in " ".join(section.split())
    assert f"Thu 24 Sep  {LABEL_NAMES['missed']}" in section and section.count(" told\n") == 2


def test_with_no_blinded_rating_no_figure_is_called_free_of_expectation(cli: Cli):
    cli.config.write_text(config_text(extra=RATER))
    simulate(cli, told=set(range(NIGHTS)))
    partner = json.loads(report(cli, "--format", "json"))["raters"][0]
    assert partner["nights_blinded"] == 0 and partner["effect"]["hers_blinded"]["refused"]
    assert partner["most_trustworthy"].startswith("No figure is free of expectation yet: none of her 58 ratings "
                                                  "is blinded.")


def test_a_log_without_a_rater_reports_as_before(cli: Cli):
    write_log(cli, FIRST, ["TTM" if i in MISSED else "TTT" for i in range(NIGHTS)], {i: i % 3 for i in range(NIGHTS)})
    assert "raters" not in json.loads(report(cli, "--format", "json"))
    assert "RATER" not in report(cli)
    assert "rater" not in report(cli, "--format", "html")


@pytest.mark.system
def test_the_html_shows_both_raters_in_chromium(two: Cli, tmp_path: Path):
    from PIL import Image

    page_file = tmp_path / "report.html"
    report(two, "--format", "html", "--output", str(page_file))
    html = page_file.read_text()
    assert "<script" not in html and "url(" not in html
    dom = chromium(tmp_path, "--dump-dom", page_file.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = Page()
    rendered.feed(dom.stdout)
    assert {"summary", "severity-chart", "rater-partner"} <= rendered.ids
    text = " ".join(" ".join(rendered.text).split())
    for words in ("A second rater: Partner", "his check-ins", "Partner, every rating", "Partner, blinded only",
                  "both (their mean)", "weighted kappa", "Partner's blinded figure is the most trustworthy"):
        assert words in text
    assert rendered.tags.count("svg") == 4  # his two charts, her figures and her nights
    assert dom.stdout.count('class="hers"') == 58 and dom.stdout.count('class="his"') == 57
    assert dom.stdout.count('class="night told"') == 2
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,5200", page_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 22)
    purple = sum(n for n, c in colours if c == (0x8E, 0x44, 0xAD))
    assert purple > 2000  # her bars and calendar cells are drawn, not only written
