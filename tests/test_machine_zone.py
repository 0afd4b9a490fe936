"""With no zone in the config, the running daemon follows the machine's zone when it
changes (he flies): heard from the kernel, applied as a config change of zone is (the one
plan's zone rule), with one log line, and `status` agrees with it.

The daemon gets an /etc of its own: a mount namespace (unshare) with an overlay over the
machine's /etc, so the test changes the zone only for it and the commands run beside it
(nsenter), as timedatectl does: a new link renamed over /etc/localtime."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest

from tests.conftest import Cli, at, config_text, rows
from tests.daemon_process import DaemonProcess
from tests.fakeclock import FakeClock

# The config names no zone: the machine's is used, and followed.
NO_ZONE = config_text(give_up_after="40s").replace('timezone = "Europe/London"\n', "")


def set_zone(name: str) -> str:
    """Python run in the daemon's namespace: the zone set as timedated sets it (a link made
    beside /etc/localtime and renamed over it), and Debian's /etc/timezone written too."""
    return (f"import os; os.symlink('/usr/share/zoneinfo/{name}', '/etc/.localtime.new'); "
            "os.replace('/etc/.localtime.new', '/etc/localtime'); "
            f"open('/etc/.timezone.new', 'w').write('{name}\\n'); os.replace('/etc/.timezone.new', '/etc/timezone')")


class OwnEtc:
    """A daemon in a mount namespace of its own whose /etc is an overlay on the machine's."""

    def __init__(self, cli: Cli, zone: str) -> None:
        layers = cli.home / "etc-overlay"
        (layers / "upper").mkdir(parents=True)
        (layers / "work").mkdir()
        mount = (f"mount -t overlay overlay -o lowerdir=/etc,upperdir={layers}/upper,workdir={layers}/work /etc"
                 f' && "$0" -c "{set_zone(zone)}" && exec "$0" -m reminderd "$@"')
        self.env = {k: v for k, v in cli.env().items() if k != "TZ"}  # tzlocal reads TZ first
        self.daemon = DaemonProcess(cli, env=self.env, command=["unshare", "--mount", "--propagation", "private",
                                                                "sh", "-c", mount, sys.executable])

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """A command in the daemon's namespace, which sees its /etc."""
        return subprocess.run(["nsenter", f"--mount=/proc/{self.daemon.proc.pid}/ns/mnt", sys.executable, *args],
                              env=self.env, capture_output=True, text=True, timeout=30)


@pytest.fixture
def in_london(cli: Cli, tmp_path):
    """A daemon of its own /etc, on the machine's zone (London) at 09:00 (18:00 in Tokyo),
    the config naming none; started, its watches set; stopped after the test."""
    cli.clock = FakeClock(tmp_path / "clock", at("2026-11-28 09:00:00"))
    cli.config.write_text(NO_ZONE)
    own = OwnEtc(cli, "Europe/London")
    try:
        own.daemon.wait_for(r"time zone Europe/London")
        own.daemon.wait_for(r"doctor: run `reminderd doctor`")
        yield own
    finally:
        own.daemon.stop()


@pytest.mark.system
def test_the_daemon_follows_the_machines_zone_when_it_changes(cli: Cli, in_london: OwnEtc) -> None:
    own, d = in_london, in_london.daemon  # 09:00 in London, 18:00 in Tokyo
    moved = own.run("-c", set_zone("Asia/Tokyo"))
    assert moved.returncode == 0, moved.stderr
    [line] = d.wait_for(r"the machine's time zone is now")
    assert "Asia/Tokyo (was Europe/London)" in line

    # The one plan's zone rule, applied by the daemon itself (no command has run in the
    # new zone yet): from 18:00 in Tokyo on, the day's next dose is Tokyo's 22:00 (13:00
    # UTC), not London's 14:00 (14:00 UTC).
    d.wait_for(r"gabapentin 22:00 dose of 2026-11-28 now falls due at 2026-11-28T13:00:00\+00:00")
    assert rows(cli, "SELECT slot, due FROM doses WHERE local_date = '2026-11-28' ORDER BY due") == [
        ("22:00", "2026-11-28T13:00:00+00:00")]
    cli.clock.set(at("2026-11-28 12:59:57"))
    d.wait_for(r"reminder 1: gabapentin 300 mg, 22:00 dose of 2026-11-28")
    assert d.count(r"the machine's time zone is now") == 1
    assert d.count(r"config reloaded") == 0

    status = own.run("-m", "reminderd", "status")  # reads the zone afresh, as every command
    assert status.returncode == 0, status.stderr
    assert "Today, Saturday 28 November 2026 (Asia/Tokyo)" in status.stdout, status.stdout
    assert re.search(r"^22:00 +gabapentin +300 mg +DUE", status.stdout, re.M), status.stdout
    assert "14:00" not in status.stdout, status.stdout


@pytest.mark.system
def test_a_reload_that_drops_the_configs_zone_follows_the_machines_zone_as_it_is_now(
        cli: Cli, in_london: OwnEtc) -> None:
    """The daemon started on the machine's zone (London); he named London in the config and
    reloaded; the machine moved to Tokyo (nothing to follow then); he deletes the config's
    zone and reloads: the daemon takes the machine's zone as it is now, not the one read
    when it started."""
    own, d = in_london, in_london.daemon
    cli.config.write_text(config_text(give_up_after="40s"))  # names Europe/London
    d.proc.send_signal(signal.SIGHUP)
    d.wait_for(r"config reloaded")
    moved = own.run("-c", set_zone("Asia/Tokyo"))
    assert moved.returncode == 0, moved.stderr
    cli.config.write_text(NO_ZONE)
    d.proc.send_signal(signal.SIGHUP)
    d.wait_for(r"config reloaded", count=2)
    d.wait_for(r"gabapentin 22:00 dose of 2026-11-28 now falls due at 2026-11-28T13:00:00\+00:00")
    assert d.count(r"the machine's time zone is now") == 0


@pytest.mark.system
def test_a_zone_file_copied_into_place_without_a_name_is_not_taken_for_utc(cli: Cli, in_london: OwnEtc) -> None:
    """/etc/localtime made a plain copy of a zone file, no /etc/timezone beside it: the zone
    has no name to read, so the daemon says so and keeps the zone it had (taking it for UTC
    would move every dose by hours)."""
    own, d = in_london, in_london.daemon
    before = rows(cli, "SELECT slot, due FROM doses ORDER BY due")
    copied = own.run("-c", "import os, shutil; os.remove('/etc/timezone'); "
                           "shutil.copyfile('/usr/share/zoneinfo/Asia/Tokyo', '/etc/.localtime.new'); "
                           "os.replace('/etc/.localtime.new', '/etc/localtime')")
    assert copied.returncode == 0, copied.stderr
    d.wait_for(r"WARNING the machine's time zone changed but has no name reminderd can read .* the doses stay "
               r"in Europe/London")
    assert d.count(r"the machine's time zone is now") == 0
    assert rows(cli, "SELECT slot, due FROM doses ORDER BY due") == before  # London's, as they were
