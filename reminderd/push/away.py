"""Is he away from the screen? The screen saver's lock (org.freedesktop.ScreenSaver, or
GNOME's org.gnome.ScreenSaver, on the session bus) or logind's idle hint for the user (system bus), where they exist.
Asked from the push thread, never the scheduler's, with a short time limit."""

from __future__ import annotations

import logging

log = logging.getLogger("reminderd")
ASK_TIMEOUT_S = 1.0


def is_away(timeout: float = ASK_TIMEOUT_S) -> bool:
    return screen_locked(timeout) or session_idle(timeout)


# KDE, Xfce and others answer on the freedesktop name; GNOME Shell only on its own.
SCREEN_SAVERS = (("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver"),
                 ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver"))


def screen_locked(timeout: float = ASK_TIMEOUT_S) -> bool:
    from jeepney import DBusAddress, new_method_call

    for name, path in SCREEN_SAVERS:
        reply = _ask("SESSION", new_method_call(DBusAddress(path, bus_name=name, interface=name), "GetActive"), timeout)
        if reply is not None:
            return bool(reply[0])
    return False


def session_idle(timeout: float = ASK_TIMEOUT_S) -> bool:
    from jeepney import DBusAddress, Properties

    user = DBusAddress("/org/freedesktop/login1/user/self", bus_name="org.freedesktop.login1",
                       interface="org.freedesktop.login1.User")
    reply = _ask("SYSTEM", Properties(user).get("IdleHint"), timeout)
    return bool(reply and reply[0][1])  # a variant: ("b", True)


def _ask(bus: str, message, timeout: float) -> tuple | None:
    try:
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(bus=bus, auth_timeout=timeout) as conn:
            reply = conn.send_and_get_reply(message, timeout=timeout)
    except Exception as err:  # no such bus or service: not known to be away
        log.debug("away check on the %s bus: %s", bus.lower(), err)
        return None
    return reply.body if reply.header.message_type.name == "method_return" else None
