"""The desktop entries reminderd writes, as the Desktop Entry Specification reads them, and
the systemd unit's stop timeout."""

from __future__ import annotations

import subprocess

import pytest

from reminderd.install.desktop import application_entry, autostart_entry, exec_line
from reminderd.install.unit import STOP_TIMEOUT_S, TEMPLATE, render_unit
from reminderd.push import outbox
from reminderd.remote import server
from reminderd.replica import supervisor


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


def test_the_unit_gives_a_stop_the_time_the_daemon_is_held_to() -> None:
    """TimeoutStopSec, as installed and as shipped for a copy by hand, is STOP_TIMEOUT_S
    (the tests time a stop against it), and each wait of a stopping daemon fits inside it."""
    def stop_sec(unit: str) -> float:
        return float(next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("TimeoutStopSec=")))

    assert stop_sec(render_unit()) == stop_sec(TEMPLATE.read_text(encoding="utf-8")) == STOP_TIMEOUT_S
    # Daemon.shutdown: the page stops beside the push's wait for a send in flight (then its
    # cut), and then Litestream's last sync and its thread; half a second is left for the rest
    # (the last record of the stop, the timers, the notifier).
    push = outbox.STOP_WAIT_S + outbox.CANCEL_WAIT_S
    assert server.STOP_WAIT_S <= push
    assert push + supervisor.STOP_WAIT_S + supervisor.THREAD_WAIT_S + 0.5 <= STOP_TIMEOUT_S
