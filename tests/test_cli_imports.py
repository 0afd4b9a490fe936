"""The quick commands import only what they need: the command table names every command,
and `take`, `status` and `log` run without the daemon, D-Bus, push, report or logging code
(each in a fresh interpreter, where nothing else has imported them first)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import click
import pytest

from reminderd.cli import COMMANDS, cli as command
from tests.conftest import Cli

# Modules a quick command has no use for (their import alone costs tens of ms). `dataclasses`:
# the records a command builds are NamedTuples (reminderd.core.records), cheaper to define;
# `pathlib`: the config's and the log's paths are strings (reminderd.paths).
HEAVY = ("apscheduler", "jeepney", "sqlite_utils", "apprise", "logging", "reminderd.daemon", "reminderd.notify",
         "reminderd.push.outbox", "reminderd.push.send", "reminderd.remote", "reminderd.report.build",
         "reminderd.core.analysis", "reminderd.doctor", "reminderd.store.backup", "numpy", "dataclasses", "tzlocal",
         "pathlib")
# Runs one command in this interpreter, then prints what it imported.
PROBE = ("import json, sys\nfrom reminderd.cli import cli\n"
         "try:\n    cli.main(sys.argv[1:], prog_name='reminderd')\nexcept SystemExit as done:\n    code = done.code\n"
         "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)\n")


def test_every_command_in_the_table_is_the_command_of_that_name() -> None:
    for name, target in COMMANDS.items():
        module, _, function = target.partition(":")
        found = getattr(importlib.import_module(module), function)
        assert isinstance(found, click.Command) and found.name == name, target
    ctx = click.Context(command, info_name="reminderd")
    assert command.list_commands(ctx) == sorted(COMMANDS)


def test_the_top_level_help_lists_every_visible_command(cli: Cli) -> None:
    out = cli("--help")
    assert out.returncode == 0, out.stderr
    listed = out.stdout.split("Commands:")[1]
    for name in COMMANDS:
        # What install.sh writes (the manual page, the application entry) is hidden.
        assert (f"  {name} " in listed) == (name not in ("man", "desktop-entry")), name


@pytest.mark.parametrize("args", [["take"], ["status"], ["log"], ["log", "--format", "csv"]])
def test_a_quick_command_imports_none_of_the_heavy_modules(cli: Cli, args: list[str]) -> None:
    assert cli("status").returncode == 0  # the log made first: creating it needs sqlite-utils, once
    # Without site (-S), as in a plain install: an editable install's finder imports pathlib
    # before any command runs. The package and its libraries are found on PYTHONPATH instead.
    env = dict(cli.env(), PYTHONPATH=os.pathsep.join([str(Path(__file__).parent.parent), sysconfig.get_path("purelib")]))
    done = subprocess.run([sys.executable, "-S", "-c", PROBE, *args], env=env, capture_output=True, text=True,
                          timeout=60)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (None, 0), done.stderr
    heavy = [m for m in report["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == [], (args, heavy)


def test_the_collector_is_on_for_the_daemon_and_off_for_a_quick_command(cli: Cli) -> None:
    """The launcher (reminderd/__main__.py) starts every command with the cyclic garbage
    collector off; the daemon, which lives for days, turns it back on."""
    import gc

    from reminderd.cli import LONG_RUNNING

    assert LONG_RUNNING == {"run"}
    try:
        gc.disable()
        assert cli("status").returncode == 0 and not gc.isenabled()
        assert cli.in_process("run", "--help").returncode == 0 and gc.isenabled()  # the group turned it on
    finally:
        gc.enable()
