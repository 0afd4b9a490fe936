"""The desktop entries reminderd writes, as the Desktop Entry Specification reads them."""

from __future__ import annotations

import subprocess

import pytest

from reminderd.install.desktop import application_entry, autostart_entry, exec_line


@pytest.mark.parametrize(("args", "line"), [
    (("/usr/bin/python3", "-m", "reminderd", "run"), "/usr/bin/python3 -m reminderd run"),
    (("/home/a b/venv/bin/python", "-m"), '"/home/a b/venv/bin/python" -m'),
    (("/opt/$x/python",), '"/opt/\\\\$x/python"'),  # quoted, the $ escaped, that backslash escaped again
    (("/opt/100%/python",), "/opt/100%%/python"),  # not a field code
], ids=["plain", "space", "dollar", "percent"])
def test_exec_line_quotes_as_the_spec_says(args, line):
    assert exec_line(*args) == line


@pytest.mark.system  # desktop-file-validate, the specification's own checker
@pytest.mark.parametrize("entry", [application_entry, autostart_entry], ids=["application", "autostart"])
def test_the_entries_are_valid(tmp_path, entry):
    path = tmp_path / "reminderd.desktop"
    path.write_text(entry("/home/a b/.local/share/reminderd-venv/bin/python"))
    done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stdout
