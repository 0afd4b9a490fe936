"""reminderd(1): made from the commands' own help, found by `man` where install.sh puts it,
and what the systemd unit's Documentation= names."""

from __future__ import annotations

import inspect
import os
import subprocess
from pathlib import Path

import click
import pytest

from reminderd.cli import cli as command
from tests.conftest import Cli

REPO = Path(__file__).resolve().parent.parent


def visible_commands() -> dict[str, click.Command]:
    ctx = click.Context(command, info_name="reminderd")
    return {name: c for name in command.list_commands(ctx) if not (c := command.get_command(ctx, name)).hidden}


def roff(text: str) -> str:
    return text.replace("\\", "\\e").replace("-", "\\-")


def test_the_page_has_every_command_and_option_from_its_own_help(cli: Cli) -> None:
    out = cli("man")
    assert out.returncode == 0, out.stderr
    page = out.stdout
    assert page.startswith(".TH REMINDERD 1 ")
    for name, sub in visible_commands().items():
        assert f'.SS "reminderd {roff(name)} ' in page
        first_line = inspect.cleandoc(sub.help).splitlines()[0]
        assert roff(first_line) in page, name
        for param in sub.params:
            if isinstance(param, click.Option) and not param.hidden:  # hidden ones stay out, as commands do
                assert f"\\fB{roff(param.opts[0])}" in page, (name, param.opts)
    assert '.SS "reminderd man' not in page  # the hidden command that prints the page stays out
    assert "_REMINDERD_COMPLETE=bash_source reminderd" in page


@pytest.mark.system
def test_man_renders_it_without_warnings_and_finds_it_where_install_sh_puts_it(cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".local" / "share" / "man" / "man1").mkdir(parents=True)
    (home / ".local" / "bin").mkdir()
    page = home / ".local" / "share" / "man" / "man1" / "reminderd.1"
    page.write_text(cli("man").stdout)
    shown = subprocess.run(["man", "--warnings", "-l", str(page)], env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin"},
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    assert "reminderd take [OPTIONS] [MEDICATION]" in shown.stdout
    # man-db looks in ~/.local/share/man for a PATH that has ~/.local/bin, as install.sh sets up.
    env = {"HOME": str(home), "PATH": f"{home}/.local/bin:/usr/bin:/bin"}
    where = subprocess.run(["man", "-w", "reminderd"], env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(page), where.stderr


def test_install_sh_installs_the_page_the_unit_names() -> None:
    script = (REPO / "install.sh").read_text()
    assert '"$venv/bin/reminderd" man > "$HOME/.local/share/man/man1/reminderd.1"' in script
    unit = (REPO / "reminderd" / "reminderd.service").read_text()
    assert "Documentation=man:reminderd(1)" in unit.splitlines()
    assert os.access(REPO / "install.sh", os.X_OK)
