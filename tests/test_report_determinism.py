"""The same log always gives the same report: nothing in it is drawn at random, and nothing
depends on the order of a set or a dict that differs from one process to the next. Checked
across real processes with different hash seeds, on a log of over a year of nights (every
one of its rotations computed, by FFT)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Cli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_report import generate  # noqa: E402  (the benchmark's realistic log, three medications)

END = date(2026, 11, 27)


@pytest.mark.system
def test_two_processes_with_different_hash_seeds_give_the_same_report(cli: Cli, monkeypatch) -> None:
    sizes = generate(cli.home, END, years=1.2)
    cli.db.parent.mkdir(exist_ok=True)
    (cli.home / "reminderd.db").rename(cli.db)
    cli.config.write_text((cli.home / "config.toml").read_text())
    assert sizes["days"] > 365
    outputs = []
    for seed in ("1", "2"):
        monkeypatch.setenv("PYTHONHASHSEED", seed)
        done = cli.process("report", "--format", "json", "--since", sizes["since"], "--until", sizes["until"],
                           at="2026-11-28 09:00:00")
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    effect = json.loads(outputs[0])["effect"]
    assert effect["p_value"] is not None and effect["ci95"] is not None  # the test really ran
