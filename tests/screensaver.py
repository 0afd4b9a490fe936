"""Private buses (real dbus-daemons) with the services that tell whether he is away from
the screen: a screen saver answering org.freedesktop.ScreenSaver.GetActive as a locked
desktop's does, and logind's user object with its IdleHint property. For tests of
escalation while he is away."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from tests.desktop import BUS_CONFIG, _end, _read_line


class _BusService:
    """A dbus-daemon of its own, and one service on it answering from a thread."""

    NAME = ""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=folder / "bus"))
        self._bus = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--print-address=1", "--nofork",
                                      "--nopidfile"], stdout=subprocess.PIPE, start_new_session=True)
        _read_line(self._bus.stdout.fileno(), timeout=10, what="the bus address")
        self.address = f"unix:path={folder / 'bus'}"
        self.asked = 0
        self._conn = None
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        assert ready.wait(10), f"{self.NAME} did not take its name"

    def _serve(self, ready: threading.Event) -> None:
        from jeepney import DBus, MessageType
        from jeepney.io.blocking import open_dbus_connection

        self._conn = conn = open_dbus_connection(self.address)
        conn.send_and_get_reply(DBus().RequestName(self.NAME), timeout=5)
        ready.set()
        while True:
            try:
                message = conn.receive()
            except Exception:  # closed at the end of the test
                return
            if message.header.message_type == MessageType.method_call:
                reply = self.answer(message)
                if reply is not None:
                    self.asked += 1
                    conn.send(reply)

    def answer(self, message):
        raise NotImplementedError

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        _end(self._bus)


class LockedScreen(_BusService):
    NAME = "org.freedesktop.ScreenSaver"

    def __init__(self, folder: Path) -> None:
        self.locked = True
        super().__init__(folder)

    def answer(self, message):
        from jeepney import new_method_return
        from jeepney.low_level import HeaderFields

        if message.header.fields.get(HeaderFields.member) == "GetActive":
            return new_method_return(message, "b", (self.locked,))
        return None


class IdleSession(_BusService):
    """logind on a private "system" bus: the user object's IdleHint."""

    NAME = "org.freedesktop.login1"

    def __init__(self, folder: Path) -> None:
        self.idle = True
        super().__init__(folder)

    def answer(self, message):
        from jeepney import new_method_return
        from jeepney.low_level import HeaderFields

        fields = message.header.fields
        if (fields.get(HeaderFields.path) == "/org/freedesktop/login1/user/self"
                and fields.get(HeaderFields.member) == "Get" and message.body[1] == "IdleHint"):
            return new_method_return(message, "v", (("b", self.idle),))
        return None

    def prepare_for_sleep(self, going: bool) -> None:
        """logind's broadcast before a suspend (True) and after the resume (False)."""
        from jeepney import DBusAddress, new_signal

        manager = DBusAddress("/org/freedesktop/login1", interface="org.freedesktop.login1.Manager")
        self._conn.send(new_signal(manager, "PrepareForSleep", "b", (going,)))
