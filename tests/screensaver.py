"""A private session bus (a real dbus-daemon) with a screen saver on it that answers
org.freedesktop.ScreenSaver.GetActive as a locked desktop's does, for tests of
escalation while he is away from the screen."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from tests.desktop import BUS_CONFIG, _end, _read_line


class LockedScreen:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=folder / "bus"))
        self._bus = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--print-address=1", "--nofork",
                                      "--nopidfile"], stdout=subprocess.PIPE, start_new_session=True)
        _read_line(self._bus.stdout.fileno(), timeout=10, what="the bus address")
        self.address = f"unix:path={folder / 'bus'}"
        self.locked = True
        self.asked = 0
        self._conn = None
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        assert ready.wait(10), "the screen saver did not take its name"

    def _serve(self, ready: threading.Event) -> None:
        from jeepney import DBus, MessageType, new_method_return
        from jeepney.io.blocking import open_dbus_connection

        self._conn = conn = open_dbus_connection(self.address)
        conn.send_and_get_reply(DBus().RequestName("org.freedesktop.ScreenSaver"), timeout=5)
        ready.set()
        while True:
            try:
                message = conn.receive()
            except Exception:  # closed at the end of the test
                return
            fields = message.header.fields
            if message.header.message_type == MessageType.method_call and fields.get(3) == "GetActive":
                self.asked += 1
                conn.send(new_method_return(message, "b", (self.locked,)))

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        _end(self._bus)
