"""Portable desktop notifications through plyer. They have no buttons, so the text says
how to answer from a terminal."""

from __future__ import annotations

import os
import shutil
import warnings

from reminderd.errors import NotifierUnavailable
from reminderd.notify.base import AnswerCallback, Reminder


class PlyerNotifier:
    name = "plyer"

    def start(self, on_answer: AnswerCallback) -> None:
        # plyer reports no failure of its own (it runs notify-send and ignores the exit
        # code), so check up front that a desktop session is there to show anything.
        if not (os.environ.get("DBUS_SESSION_BUS_ADDRESS") or os.environ.get("DISPLAY")
                or os.environ.get("WAYLAND_DISPLAY")):
            raise NotifierUnavailable("no desktop session (no D-Bus session bus or display)")
        if not shutil.which("notify-send") and not _has_dbus_python():
            raise NotifierUnavailable("plyer needs notify-send (libnotify-bin) or dbus-python")
        if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            _check_session_bus()

    def show(self, reminder: Reminder) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # plyer warns when dbus-python is absent
                from plyer import notification

                body = reminder.body + (f"\n{reminder.cli_hint}" if reminder.cli_hint else "")
                notification.notify(title=reminder.title, message=body, app_name="reminderd", timeout=0)
        except Exception as err:  # plyer raises whatever its platform module raises
            raise NotifierUnavailable(f"plyer failed: {err}") from err

    def close(self, key: str) -> None:
        pass  # plyer cannot withdraw a notification

    def stop(self) -> None:
        pass


def _has_dbus_python() -> bool:
    try:
        import dbus  # noqa: F401
    except ImportError:
        return False
    return True


def _check_session_bus() -> None:
    """plyer's notify-send fails quietly when the bus is gone, so look before using it."""
    try:
        from jeepney.io.blocking import open_dbus_connection

        open_dbus_connection(bus="SESSION", auth_timeout=2).close()
    except Exception as err:  # any failure to connect means no notifications this way
        raise NotifierUnavailable(f"the D-Bus session bus cannot be reached ({err})") from err
