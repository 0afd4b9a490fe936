"""Hear logind say the machine is going to sleep or has woken (PrepareForSleep on the
system bus), so a dose that fell due during suspend is reminded the moment the machine
wakes. Not every pause sends it (a virtual machine's does not): the daemon's check of
the wall clock against the monotonic clock stays the safety net."""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger("reminderd")

RULE = dict(type="signal", sender="org.freedesktop.login1", interface="org.freedesktop.login1.Manager",
            member="PrepareForSleep", path="/org/freedesktop/login1")


class SleepWatcher:
    """Calls `on_resume()` (from its own thread) each time logind reports a wake-up."""

    def __init__(self, on_resume: Callable[[], None]) -> None:
        self.on_resume = on_resume
        self._conn = None
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Connect to the system bus; False (and nothing running) when there is none."""
        try:
            from jeepney import DBus, MatchRule
            from jeepney.io.blocking import open_dbus_connection

            self._conn = open_dbus_connection(bus="SYSTEM")
            self._conn.send_and_get_reply(DBus().AddMatch(MatchRule(**RULE)), timeout=5)
            # The bus knows logind by its well-known name; its messages carry its unique name
            # (":1.5"), which jeepney's local filter compares as it is: it leaves the sender
            # out, or no PrepareForSleep would ever get through. `filter` gives a handle;
            # the messages arrive in its queue.
            queue = self._conn.filter(MatchRule(**{k: v for k, v in RULE.items() if k != "sender"}), bufsize=8).queue
        except Exception as err:  # no system bus is a normal case (containers, CI)
            log.info("not listening for suspend on the system bus (%s); the clock check covers it", err)
            self._conn = None
            return False
        self._thread = threading.Thread(target=self._listen, args=(queue,), name="sleepwatch", daemon=True)
        self._thread.start()
        return True

    def _listen(self, queue) -> None:
        conn = self._conn
        while conn is not None:
            try:
                message = conn.recv_until_filtered(queue)
            except Exception:  # the connection was closed by stop(), or the bus went away
                return
            going_to_sleep = bool(message.body[0]) if message.body else False
            if going_to_sleep:
                log.info("logind: going to sleep")
            else:
                log.info("logind: woke from sleep; checking every dose")
                try:
                    self.on_resume()
                except Exception:
                    log.exception("checking doses after resume failed")

    def stop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
