"""GNOME Shell itself, headless, for tests: its own session and system buses, a virtual
monitor, and the notification service GNOME starts for org.freedesktop.Notifications.

    with GnomeShell() as shell:
        ...  # DBUS_SESSION_BUS_ADDRESS=shell.bus_address reaches it
        banner = shell.wait_for_banner("Gabapentin 300 mg")
        shell.press(banner["id"], "Taken")

What GNOME Shell 43 does, read in its source (js/ui/messageTray.js, notificationDaemon.js,
messageList.js) and seen here:
- A notification's banner shows at most three buttons (`MAX_NOTIFICATION_BUTTONS = 3`):
  a fourth action and any after it are dropped without a word.
- The buttons show only when the banner is expanded: on hover, or at once when the
  notification is critical. The notification list (under the clock) shows no buttons.
- A click on the banner or its row emits the "default" action when there is one (never a
  button); without one, GNOME opens the application named by `desktop-entry`.
- A button of a resident notification leaves it in place; the click hides the banner.
- A banner hides itself after 4 s only if someone used the keyboard or mouse in the second
  before it appeared; otherwise it stays until answered or someone comes back.
- org.freedesktop.Notifications is owned by a small gjs service (org.gnome.Shell.Notifications)
  that the shell starts by D-Bus activation and that sends ActionInvoked only to the
  connection that called Notify.

The test reads and presses the banners through a small extension of its own (below),
enabled by a session mode that lists it: it calls the banner's own button and click
handlers, so what it presses is exactly what GNOME shows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.desktop import BUS_CONFIG, _end, _read_line, wait_for

UUID = "reminderd-test@reminderd"
MODE = "reminderd-test"
NOTIFICATIONS_SERVICE = Path("/usr/share/dbus-1/services/org.gnome.Shell.Notifications.service")
DRIVER = "org.reminderd.ShellTest"

METADATA = {"uuid": UUID, "name": "reminderd test driver", "description": "Reads and presses banners for tests.",
            "shell-version": ["43", "44", "45", "46", "47"]}
MODE_FILE = {"parentMode": "user", "enabledExtensions": [UUID]}

EXTENSION = """/* exported init */
const { Gio } = imports.gi;
const Main = imports.ui.main;

const IFACE = `<node><interface name="org.reminderd.ShellTest">
  <method name="State"><arg type="s" direction="out"/></method>
  <method name="Press"><arg type="u" direction="in"/><arg type="s" direction="in"/><arg type="b" direction="out"/></method>
  <method name="Click"><arg type="u" direction="in"/><arg type="b" direction="out"/></method>
  <method name="Clear"/>
</interface></node>`;

function daemon() {
    return Main.notificationDaemon._fdoNotificationDaemon;
}

function idOf(notification) {
    for (const [id, ndata] of Object.entries(daemon()._notifications)) {
        if (ndata.notification === notification)
            return Number(id);
    }
    return 0;
}

function buttons(banner) {
    return banner._buttonBox ? banner._buttonBox.get_children().map(b => b.label) : [];
}

class Driver {
    State() {
        const tray = Main.messageTray;
        const shown = tray._banner && tray._notification;
        const banner = shown ? {
            id: idOf(tray._notification), title: tray._notification.title,
            body: tray._notification.bannerBodyText, urgency: tray._notification.urgency,
            // the body as it reads on screen, after GNOME's markup
            text: tray._banner.bodyLabel.clutter_text.get_text(),
            expanded: tray._banner.expanded, buttons: buttons(tray._banner),
        } : null;
        const notifications = Object.entries(daemon()._notifications).map(([id, ndata]) => ({
            id: Number(id), title: ndata.summary, actions: ndata.actions,
        }));
        return JSON.stringify({ started: !Main.layoutManager._startingUp, banner, notifications });
    }

    // A button of the banner on screen, as a click on it: the banner is expanded first, as
    // hovering it does (a critical one is already).
    Press(id, label) {
        const tray = Main.messageTray;
        if (!tray._banner || idOf(tray._notification) !== id)
            return false;
        if (!tray._banner.expanded)
            tray._expandBanner(false);
        const button = buttons(tray._banner).includes(label)
            ? tray._banner._buttonBox.get_children().find(b => b.label === label) : null;
        if (!button)
            return false;
        button.emit('clicked', 1);
        return true;
    }

    // A click on the notification: on its banner if it is on screen, else on its row in the list.
    Click(id) {
        const ndata = daemon()._notifications[id];
        if (!ndata || !ndata.notification)
            return false;
        const tray = Main.messageTray;
        if (tray._banner && tray._notification === ndata.notification)
            tray._banner.emit('clicked', 1);
        else
            ndata.notification.activate();
        return true;
    }

    // Between tests: every notification gone, as if dismissed.
    Clear() {
        for (const source of Main.messageTray.getSources())
            source.destroy();
    }
}

let exported = null;
let nameId = 0;

function init() {
    return {
        enable() {
            exported = Gio.DBusExportedObject.wrapJSObject(IFACE, new Driver());
            exported.export(Gio.DBus.session, '/org/reminderd/ShellTest');
            nameId = Gio.DBus.session.own_name('org.reminderd.ShellTest', Gio.BusNameOwnerFlags.NONE, null, null);
        },
        disable() {
            Gio.DBus.session.unown_name(nameId);
            exported.unexport();
        },
    };
}
"""


class GnomeShell:
    """GNOME Shell on a virtual monitor, its buses, and the test's driver extension."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gnome-"))
        self.bus_address = ""
        self._buses: list[subprocess.Popen] = []
        self._shell: subprocess.Popen | None = None
        self._conn = None

    def start(self) -> GnomeShell:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        for name in ("run", "home", "config", "cache", "services"):
            (self.dir / name).mkdir(mode=0o700)
        # Only the service GNOME itself activates for notifications: no other server can take the name.
        shutil.copy(NOTIFICATIONS_SERVICE, self.dir / "services")
        extension = self.dir / "data" / "gnome-shell" / "extensions" / UUID
        extension.mkdir(parents=True)
        (extension / "metadata.json").write_text(json.dumps(METADATA))
        (extension / "extension.js").write_text(EXTENSION)
        # Told once per user that the screen lock needs GDM: told already, so no banner of GNOME's own.
        (self.dir / "data" / "gnome-shell" / "lock-warning-shown").touch()
        modes = self.dir / "modes" / "gnome-shell" / "modes"  # modes come from the system data dirs only
        modes.mkdir(parents=True)
        (modes / f"{MODE}.json").write_text(json.dumps(MODE_FILE))
        self.bus_address = self._bus("session", services=self.dir / "services")
        system = self._bus("system")  # logind is looked for there; nothing answers, as in a container
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DBUS_", "DISPLAY", "WAYLAND_"))}
        env.update(HOME=str(self.dir / "home"), XDG_RUNTIME_DIR=str(self.dir / "run"),
                   XDG_CONFIG_HOME=str(self.dir / "config"), XDG_CACHE_HOME=str(self.dir / "cache"),
                   XDG_DATA_HOME=str(self.dir / "data"), XDG_DATA_DIRS=f"{self.dir / 'modes'}:/usr/local/share:/usr/share",
                   DBUS_SESSION_BUS_ADDRESS=self.bus_address, DBUS_SYSTEM_BUS_ADDRESS=system,
                   GSETTINGS_BACKEND="memory")
        with open(self.dir / "shell.log", "ab") as log:
            self._shell = subprocess.Popen(
                ["gnome-shell", "--headless", "--virtual-monitor", "1280x800", "--wayland", "--no-x11",
                 f"--mode={MODE}"], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        from jeepney.io.blocking import open_dbus_connection

        self._conn = open_dbus_connection(self.bus_address)
        wait_for(lambda: self._answers(DRIVER, "State") or self._shell.poll() is not None, timeout=60,
                 what="GNOME Shell and its test driver")
        if self._shell.poll() is not None:
            raise RuntimeError(f"gnome-shell exited ({self._shell.returncode}):\n{self.logs()}")
        wait_for(lambda: self._answers("org.freedesktop.Notifications", "GetServerInformation"), timeout=30,
                 what="GNOME's notification service")
        # A banner shown while the user counts as active (input in the last IDLE_TIME, 1 s,
        # which a shell just started counts as) hides itself after 4 s; with nobody at the
        # keyboard it stays until answered. Tests look at it at their own pace: wait for idle.
        wait_for(lambda: self._idle_ms() > 1500, timeout=30, what="GNOME to see nobody at the keyboard")
        # GNOME's own notices come when its start-up is complete ("Logged in as a privileged
        # user", as root in CI): once it is, they are there, and cleared, so no banner of
        # theirs stands before the test's.
        wait_for(lambda: self.state()["started"], timeout=60, what="GNOME's start-up to complete")
        self.clear()

    def _bus(self, kind: str, services: Path | None = None) -> str:
        socket = self.dir / f"{kind}-bus"
        config = BUS_CONFIG.format(socket=socket).replace("<type>session</type>", f"<type>{kind}</type>")
        if services is not None:
            config = config.replace("<auth>", f"<servicedir>{services}</servicedir>\n  <auth>")
        (self.dir / f"{kind}-bus.conf").write_text(config)
        bus = subprocess.Popen(["dbus-daemon", f"--config-file={self.dir / f'{kind}-bus.conf'}", "--print-address=1",
                                "--nofork", "--nopidfile"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               start_new_session=True)
        self._buses.append(bus)
        _read_line(bus.stdout.fileno(), timeout=10, what=f"the {kind} bus address")
        return f"unix:path={socket}"

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        for proc in (self._shell, *self._buses):  # the notification service goes with its bus
            _end(proc)
        self._shell, self._buses = None, []
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> GnomeShell:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def logs(self) -> str:
        path = self.dir / "shell.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # Looking and pressing ------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return json.loads(self._call(DRIVER, "State")[0])

    def banner(self) -> dict[str, Any] | None:
        """The banner on screen: {"id", "title", "body" (as sent), "text" (the body as it reads
        on screen), "urgency" (1 normal, 3 critical),
        "expanded", "buttons": [label, …] as GNOME shows them}, or None."""
        return self.state()["banner"]

    def wait_for_banner(self, title: str, other_than: int | None = None, timeout: float = 20) -> dict[str, Any]:
        """The banner titled `title` (and not notification `other_than`), once on screen."""
        def found():
            b = self.banner()
            return b if b and b["title"] == title and b["id"] != other_than else None
        return wait_for(found, timeout=timeout, what=f"GNOME's banner {title!r} (on screen: {self.banner()})")

    def press(self, nid: int, label: str) -> None:
        """Click the button `label` of notification `nid`'s banner."""
        assert self._call(DRIVER, "Press", "us", (nid, label))[0], f"no button {label!r} on {self.banner()}"

    def click(self, nid: int) -> None:
        """Click notification `nid` itself (its banner, or its row in the list)."""
        assert self._call(DRIVER, "Click", "u", (nid,))[0], f"no notification {nid}"

    def clear(self) -> None:
        self._call(DRIVER, "Clear")

    def notify(self, title: str, actions: list[str], urgency: int = 1) -> int:
        """A notification sent as any application would (for GNOME's own rules)."""
        return self._call("org.freedesktop.Notifications", "Notify", "susssasa{sv}i", (
            "test", 0, "", title, "", actions, {"urgency": ("y", urgency), "resident": ("b", True)}, 0),
            interface="org.freedesktop.Notifications", path="/org/freedesktop/Notifications")[0]

    def _idle_ms(self) -> int:
        return self._call("org.gnome.Mutter.IdleMonitor", "GetIdletime", interface="org.gnome.Mutter.IdleMonitor",
                          path="/org/gnome/Mutter/IdleMonitor/Core")[0]

    def _answers(self, name: str, method: str) -> bool:
        try:
            if name == DRIVER:
                self._call(name, method)
            else:
                self._call(name, method, interface=name, path="/org/freedesktop/Notifications")
        except Exception:  # not there yet
            return False
        return True

    def _call(self, name: str, method: str, signature: str | None = None, body: tuple = (),
              interface: str = DRIVER, path: str = "/org/reminderd/ShellTest") -> tuple:
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import unwrap_msg

        message = new_method_call(DBusAddress(path, bus_name=name, interface=interface), method, signature, body)
        return unwrap_msg(self._conn.send_and_get_reply(message, timeout=10))


try:
    import pytest
except ImportError:  # the class above works without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="module")
    def gnome() -> GnomeShell:
        """One GNOME Shell for a module's tests; every notification is cleared before each."""
        with GnomeShell() as shell:
            yield shell
