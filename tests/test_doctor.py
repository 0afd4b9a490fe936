"""`reminderd doctor`: the judging rules with plain values, then the command against real
parts: a private session bus with and without dunst, a damaged log, a broken config, and
the daemon's own start-up check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reminderd.doctor import (OK, PROBLEM, WARNING, judge_clock, judge_daemon, judge_log_modes,
                              judge_notification_server, judge_service, judge_session_environment, judge_zone, parse_properties)
from tests.conftest import config_text
from tests.desktop import wait_for
from tests.test_notify_dbus import ButtonlessServer

DUNST_CAPS = ["actions", "body", "body-hyperlinks", "body-markup"]


@pytest.mark.parametrize("folder, files, expected", [
    (0o700, {"reminderd.db": 0o600, "reminderd.db-wal": 0o600}, []),
    (0o755, {"reminderd.db": 0o600}, ["its folder is 755 (others can look in; expected 700)"]),
    (0o700, {"reminderd.db": 0o644}, ["reminderd.db is 644 (others can read it; expected 600)"]),
    (0o700, {"reminderd.db": 0o400}, []),
], ids=["private", "open-folder", "readable-file", "read-only-is-fine"])
def test_log_permissions(folder, files, expected):
    assert judge_log_modes(folder, files) == expected


@pytest.mark.parametrize("env, status, says", [
    ({"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"}, OK, "has DISPLAY=:0"),
    ({"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": "x"}, OK, "has WAYLAND_DISPLAY=wayland-0"),
    ({"DBUS_SESSION_BUS_ADDRESS": "x"}, PROBLEM, "has no DISPLAY or WAYLAND_DISPLAY"),
    ({"DISPLAY": ":0"}, PROBLEM, "has no DBUS_SESSION_BUS_ADDRESS"),
    ({}, PROBLEM, "has no DISPLAY or WAYLAND_DISPLAY and no DBUS_SESSION_BUS_ADDRESS"),
], ids=["x11", "wayland", "no-display", "no-bus", "neither"])
def test_session_environment(env, status, says):
    finding = judge_session_environment(env, "the manager")
    assert finding.status == status and says in finding.found
    if status == PROBLEM:
        assert "systemctl --user import-environment DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS" in finding.fix


def test_session_environment_outside_systemd_makes_no_claim_about_systemd():
    finding = judge_session_environment({}, "the daemon's environment", by_systemd=False)
    assert finding.status == PROBLEM and "systemd" not in finding.problem + finding.fix
    assert "started outside a desktop session" in finding.problem
    assert judge_session_environment({"DISPLAY": ":0", "DBUS_SESSION_BUS_ADDRESS": "x"}, "it", by_systemd=False).status == OK


@pytest.mark.parametrize("props, status, fix", [
    ("LoadState=loaded\nUnitFileState=enabled\nActiveState=active\n", OK, ""),
    ("LoadState=not-found\nUnitFileState=\nActiveState=inactive\n", PROBLEM, "reminderd install-service"),
    ("LoadState=loaded\nUnitFileState=disabled\nActiveState=active\n", PROBLEM, "systemctl --user enable --now reminderd"),
    ("LoadState=loaded\nUnitFileState=enabled\nActiveState=failed\n", PROBLEM, "journalctl --user -u reminderd"),
], ids=["running", "not-installed", "not-enabled", "failed"])
def test_service_states(props, status, fix):
    finding = judge_service(parse_properties(props))
    assert finding.status == status and fix in finding.fix


def test_gnome_shell_is_said_to_show_three_buttons():
    gnome = judge_notification_server(("gnome-shell", "GNOME", "43.9", "1.2"), DUNST_CAPS, "auto")
    assert gnome.status == OK and 'shows 3 buttons at most (more answers come behind "More…")' in gnome.found


@pytest.mark.system  # systemctl is asked first, as a process
def test_an_autostart_entry_starts_the_daemon_and_never_beside_the_unit(tmp_path, monkeypatch):
    from reminderd import paths
    from reminderd.doctor import check_service

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    paths.autostart_path().parent.mkdir(parents=True)
    paths.autostart_path().write_text("[Desktop Entry]\n")
    [alone] = check_service()
    assert alone.status == OK and alone.found == f"started at login by the autostart entry {paths.autostart_path()}"
    paths.unit_path().parent.mkdir(parents=True)
    paths.unit_path().write_text("[Unit]\n")
    [both] = check_service()
    assert both.status == PROBLEM and both.fix == "Keep one: reminderd install-service (it removes the other)"


LOG = Path("/home/him/.local/share/reminderd/reminderd.db")


@pytest.mark.parametrize("pid, log, running, status, found", [
    (42, LOG, True, OK, "running (pid 42)"),
    (None, None, True, OK, "running (pid unknown)"),  # between taking its lock and saying who it is
    (None, None, False, PROBLEM, "not running"),
    (42, Path("/run/user/1000/reminderd-example/reminderd.db"), True, PROBLEM,
     "running (pid 42), reminding from another log: /run/user/1000/reminderd-example/reminderd.db"),
], ids=["running", "running-unsaid", "not-running", "another-log"])
def test_the_daemon_is_judged_by_its_lock(pid, log, running, status, found):
    finding = judge_daemon(pid, log, running, LOG, "reminderd run (your desktop starts it at login)",
                           "stop `reminderd run` (Ctrl-C) and start it again")
    assert (finding.status, finding.found) == (status, found)
    if not running:
        assert finding.fix == "Start it: reminderd run (your desktop starts it at login)"


def test_notification_server_judgement():
    dunst = judge_notification_server(("dunst", "knopwob", "1.9.0", "1.2"), DUNST_CAPS, "auto")
    assert dunst.status == OK
    assert dunst.found == ("dunst 1.9.0 by knopwob: shows buttons, "
                           "no persistence (reminders are repeated instead)")
    plain = judge_notification_server(("tiny", "me", "0.1", "1.2"), ["body", "persistence"], "auto")
    assert plain.status == WARNING and "NO buttons, keeps notifications until dismissed" in plain.found
    assert "reminderd take" in plain.fix
    logged = judge_notification_server(("dunst", "knopwob", "1.9.0", "1.2"), DUNST_CAPS, "log")
    assert logged.status == WARNING and 'backend = "auto"' in logged.fix


@pytest.mark.parametrize("synchronised, status", [(True, OK), (False, PROBLEM), (None, WARNING)])
def test_clock(synchronised, status):
    finding = judge_clock(synchronised, "no timedated")
    assert finding.status == status
    if status == PROBLEM:
        assert finding.fix.startswith("Turn synchronisation on: timedatectl set-ntp true")


@pytest.mark.parametrize("config_zone, from_system, machine, status", [
    ("Europe/London", False, "Europe/London", OK),
    ("Europe/London", True, "Europe/London", OK),
    ("Europe/London", False, "America/New_York", WARNING),
    (None, True, "Europe/Paris", OK),
], ids=["same", "the-machines", "differs", "no-config"])
def test_zone(config_zone, from_system, machine, status):
    assert judge_zone(config_zone, from_system, machine).status == status


# --- the command against real parts --------------------------------------------------------


def run_doctor(cli, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reminderd", "doctor", *args], env=env or cli.env(),
                          capture_output=True, text=True, timeout=60)


def doctor(cli, *args: str, env: dict | None = None) -> tuple[int, dict]:
    """Exit code and the findings by check name, from --format json."""
    done = run_doctor(cli, "--format", "json", *args, env=env)
    assert done.stderr == ""
    return done.returncode, {f["check"]: f for f in json.loads(done.stdout)}


def session_env(cli, desktop) -> dict:
    return cli.env() | {"DISPLAY": desktop.display, "DBUS_SESSION_BUS_ADDRESS": desktop.bus_address}


@pytest.fixture
def good(cli):
    """A config with buttons wanted and a log made by reminderd."""
    cli.config.write_text(config_text().replace('backend = "log"', 'backend = "auto"'))
    assert cli("status").returncode == 0
    return cli


@pytest.fixture
def reminding(good, desktop):
    """The daemon of `good`'s log running on the desktop: nothing is wrong."""
    from tests.daemon_process import DaemonProcess

    d = DaemonProcess(good, env=session_env(good, desktop))
    d.wait_for(r"dose\(s\) scheduled")
    yield d
    d.stop()


@pytest.mark.system
def test_all_well_with_dunst_and_a_test_notification(good, desktop, reminding):
    code, found = doctor(good, "--notify", env=session_env(good, desktop))

    assert code == 0, found
    assert found["daemon"] == {"check": "daemon", "status": OK, "found": f"running (pid {reminding.proc.pid})",
                               "problem": "", "fix": ""}
    assert found["config"]["status"] == OK and "1 medication(s) (gabapentin)" in found["config"]["found"]
    assert found["log"]["status"] == OK and "intact, schema version" in found["log"]["found"]
    assert found["log permissions"]["status"] == OK
    note = found["notifications"]
    assert note["status"] == OK and note["found"].startswith("dunst ") and "shows buttons" in note["found"]
    # No user manager or system bus in the test's world: said plainly, not a failure.
    assert found["service"]["status"] == WARNING and "no systemd user manager" in found["service"]["found"]
    assert found["logind"]["status"] == WARNING
    shown = wait_for(lambda: [n for n in desktop.shown() if n["summary"] == "reminderd doctor"],
                     what="the test notification")
    assert shown[0]["body"] == "A test notification: if you can read this, reminders reach your screen."


@pytest.mark.system
def test_without_notify_nothing_is_shown(good, desktop, reminding):
    code, found = doctor(good, env=session_env(good, desktop))
    assert code == 0 and "test notification" not in found["notifications"]["found"]
    assert not [n for n in desktop.shown() if n["summary"] == "reminderd doctor"]


@pytest.mark.system
def test_a_daemon_that_is_not_running_is_the_problem(good, desktop):
    # Started at login by an autostart entry, but not running now: status says "Reminders are
    # off", and doctor, the first thing to run when no reminder came, must not say "no problem".
    env = session_env(good, desktop) | {"XDG_CONFIG_HOME": str(good.home / "xdg")}
    subprocess.run([sys.executable, "-m", "reminderd", "install-service", "--autostart"], env=env, check=True,
                   capture_output=True, timeout=60)
    done = run_doctor(good, env=env)
    assert done.returncode == 1
    assert "PROBLEM daemon: not running" in done.stdout.splitlines()
    assert "        What to do: Start it: reminderd run (your desktop starts it at login)" in done.stdout


@pytest.mark.system
def test_a_session_without_a_notification_server(good, desktop):
    desktop.stop_dunst()
    code, found = doctor(good, env=session_env(good, desktop))

    assert code == 1
    assert found["notifications"] == {
        "check": "notifications", "status": PROBLEM, "found": "no notification server on the session bus",
        "problem": "Reminders cannot be shown on screen; the daemon would only write them to its log.",
        "fix": "Start a notification server (your desktop's, or dunst or mako), or log in to a desktop session"}


@pytest.mark.system
def test_no_session_bus_at_all(good):
    code, found = doctor(good)
    assert code == 1
    assert found["notifications"]["found"] == "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"


@pytest.mark.system
def test_a_server_without_buttons_is_a_warning(good, desktop):
    desktop.stop_dunst()
    server = ButtonlessServer()  # on the private bus, through the desktop fixture's environment
    try:
        code, found = doctor(good, env=session_env(good, desktop))
    finally:
        server.close()
    # A warning, not a problem: the only problem is that no daemon runs here.
    assert code == 1 and [check for check, f in found.items() if f["status"] == PROBLEM] == ["daemon"]
    assert found["notifications"]["status"] == WARNING
    assert "NO buttons" in found["notifications"]["found"]


@pytest.mark.system
def test_a_damaged_log(good):
    data = bytearray(good.db.read_bytes())
    assert len(data) >= 3 * 4096
    data[4096:8192] = b"\xff" * 4096  # a whole page of garbage, as a bad disk block leaves
    good.db.write_bytes(bytes(data))
    before = good.db.read_bytes()

    code, found = doctor(good)

    assert code == 1
    assert found["log"]["status"] == PROBLEM
    assert "damaged" in found["log"]["found"] or "cannot be read" in found["log"]["found"]
    assert "Move it aside" in found["log"]["fix"] or ".recover" in found["log"]["fix"]
    assert good.db.read_bytes() == before  # looked at, never written


@pytest.mark.system
def test_a_log_others_can_read(good):
    os.chmod(good.db, 0o644)
    code, found = doctor(good)
    assert code == 1
    assert found["log permissions"]["status"] == PROBLEM
    assert found["log permissions"]["found"] == "reminderd.db is 644 (others can read it; expected 600)"
    assert oct(os.stat(good.db).st_mode)[-3:] == "644"  # doctor says, it does not change


@pytest.mark.system
def test_a_broken_config(good, desktop):
    good.config.write_text(config_text(times='["25:00"]'))
    done = run_doctor(good, env=session_env(good, desktop))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == f"PROBLEM config: {good.config} cannot be used"
    assert '        - medication[0].times[0]: "25:00" is not valid; expected a time "HH:MM" from "00:00" to "23:59"' in lines
    assert (f"        What to do: Correct the settings named above, then check again with: "
            f"reminderd check-config {good.config}") in lines
    assert lines[-1] == "2 problem(s): config, daemon"  # and nothing reminds


@pytest.mark.system
def test_the_daemon_logs_what_is_wrong_at_start_and_starts_anyway(daemon):
    d = daemon()  # its environment has no display and no session bus
    d.wait_for(r"reminderd started")
    d.wait_for(r"doctor: problem session environment: the daemon's environment has no DISPLAY or "
               r"WAYLAND_DISPLAY and no DBUS_SESSION_BUS_ADDRESS")
    d.wait_for(r"INFO reminder 1: gabapentin", timeout=30)  # the start was not held up
    # Run from a terminal, not by systemd: nothing it says blames systemd.
    doctor = [line for line in d.output.splitlines() if "doctor:" in line]
    assert "started outside a desktop session" in "\n".join(doctor) and "systemd" not in "\n".join(doctor)
    # Reminders are its ordinary work (INFO); the warnings are the problems found.
    warnings = [line for line in d.output.splitlines() if " WARNING " in line]
    assert warnings and all("doctor:" in line for line in warnings), warnings


@pytest.mark.system
def test_push_and_contact_urls_are_checked_dry_and_masked(good):
    # A real HTTP server is not needed: nothing may be sent, and none is listening.
    good.config.write_text(good.config.read_text() + '\n[push]\nurl = "ntfy://127.0.0.1:9/pills-7f3a9c"\n'
                           '\n[[contact]]\nname = "Anna"\nalerts = ["missed"]\nurl = "nosuchservice://secret-token/x"\n')
    done = run_doctor(good, "--format", "json")
    found = {f["check"]: f for f in json.loads(done.stdout)}
    assert found["push: your phone"] == {"check": "push: your phone", "status": OK,
                                         "found": "ntfy://… (recognised by Apprise; nothing sent)",
                                         "problem": "", "fix": ""}
    anna = found["push: contact Anna"]
    assert anna["status"] == PROBLEM and anna["found"] == "nosuchservice://…: Apprise does not recognise this URL"
    assert "pills-7f3a9c" not in done.stdout and "secret-token" not in done.stdout
    assert done.returncode == 1


@pytest.mark.system
def test_no_push_configured(good):
    _, found = doctor(good)
    assert found["push"]["found"] == "no push or contact URLs configured"
