"""Freedesktop notifications over the D-Bus session bus, with Taken/Snooze/Skip buttons.

One connection does everything: GNOME sends `ActionInvoked` and `NotificationClosed` only
to the connection that called `Notify`. A receiver thread reads every message on it:
replies go to the caller waiting for them, signals to an event thread, which calls
`on_answer` (so `on_answer` may itself call `show()` or `close()`), follows the server
being replaced, and reconnects when the bus connection drops.

Two gestures are this backend's own and never reach `on_answer`: a click on the
notification (the "default" action) shows it again from its first page, expanded; and on
a server that shows few buttons (pages.py), "More…" shows the next page of answers.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent import futures
from concurrent.futures import Future
from dataclasses import replace
from html import escape

from jeepney import DBusAddress, HeaderFields, MatchRule, Message, MessageType, message_bus, new_method_call
from jeepney.io.threading import DBusConnection, ReceiveStopped, open_dbus_connection
from jeepney.wrappers import DBusErrorResponse, unwrap_msg

from reminderd.errors import NotifierUnavailable
from reminderd.notify import pages
from reminderd.notify.base import DEFAULT, AnswerCallback, Reminder

log = logging.getLogger("reminderd.notify")

SERVER = "org.freedesktop.Notifications"
NOTIFICATIONS = DBusAddress("/org/freedesktop/Notifications", bus_name=SERVER, interface=SERVER)
URGENCY = {"low": 0, "normal": 1, "critical": 2}
CALL_TIMEOUT_S = 5.0
RECONNECT_EVERY_S = 2.0

SERVER_SIGNALS = MatchRule(type="signal", sender=SERVER, interface=SERVER, path="/org/freedesktop/Notifications")
OWNER_CHANGES = MatchRule(type="signal", sender="org.freedesktop.DBus", interface="org.freedesktop.DBus",
                          member="NameOwnerChanged", path="/org/freedesktop/DBus")
OWNER_CHANGES.add_arg_condition(0, SERVER)


class _Dropped:
    """Event: the receiver lost this connection."""

    def __init__(self, conn: DBusConnection) -> None:
        self.conn = conn


class DBusNotifier:
    name = "dbus"

    def __init__(self, bus: str = "SESSION", app_name: str = "reminderd") -> None:
        self._bus = bus  # "SESSION" or a D-Bus address (tests give a private bus)
        self._app_name = app_name
        self._on_answer: AnswerCallback = lambda key, action: None
        # Guards the connection and the maps below; held across a Notify call so two
        # show() of one key cannot both create a notification.
        self._lock = threading.RLock()
        self._conn: DBusConnection | None = None
        self._server = ""  # unique bus name of the server our ids belong to
        self._has_actions = False
        self._body_markup = False
        self._button_limit: int | None = None  # how many buttons the server shows (None: all)
        self._open: dict[str, Reminder] = {}  # last Reminder per open key, to show again
        self._ids: dict[str, int] = {}  # key -> notification id on the current server
        self._keys: dict[int, str] = {}
        self._replies: dict[int, Future[Message]] = {}
        self._replies_lock = threading.Lock()  # not self._lock: a caller holds that while it waits
        self._events: queue.Queue[Message | _Dropped | None] = queue.Queue()  # new one per start()
        self._stopping = threading.Event()
        self._event_thread: threading.Thread | None = None

    @property
    def has_actions(self) -> bool:
        """Whether the server shows buttons (its capabilities include "actions")."""
        return self._has_actions

    # The Notifier protocol ------------------------------------------------------------

    def start(self, on_answer: AnswerCallback) -> None:
        self._on_answer = on_answer
        self._stopping.clear()
        with self._lock:
            if self._conn is None:
                self._connect()
            try:
                self._ask_server()
            except NotifierUnavailable:
                self._disconnect()
                raise
        if self._event_thread is None:
            self._events = queue.Queue()
            self._event_thread = threading.Thread(target=self._handle_events, args=(self._events,),
                                                  name="notify-events", daemon=True)
            self._event_thread.start()

    def show(self, reminder: Reminder) -> None:
        with self._lock:
            # Kept before trying, so a server that appears later gets the latest version.
            self._open[reminder.key] = reminder
            if self._conn is None:
                if self._event_thread is None:
                    raise NotifierUnavailable("the D-Bus notifier is not started")
                self._connect()
                self._reshow_locked()
                return
            self._show_locked(reminder)

    def close(self, key: str) -> None:
        with self._lock:
            self._open.pop(key, None)
            self._withdraw(key)

    def stop(self) -> None:
        self._stopping.set()
        self._events.put(None)
        with self._lock:
            self._disconnect()
            self._open.clear()
        thread, self._event_thread = self._event_thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=CALL_TIMEOUT_S)

    def reshow_all(self) -> None:
        """Show every open reminder again on the current server, as new notifications:
        the ids of a previous server mean nothing to this one."""
        with self._lock:
            if self._conn is None:
                raise NotifierUnavailable("not connected to the session bus")
            self._reshow_locked()

    # Talking to the server (lock held) ------------------------------------------------

    def _connect(self) -> None:
        if self._bus == "SESSION" and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise NotifierUnavailable("there is no desktop session here (DBUS_SESSION_BUS_ADDRESS is not set)")
        try:
            conn = open_dbus_connection(bus=self._bus)
        except Exception as err:  # jeepney raises KeyError, ValueError, OSError, RuntimeError...
            raise NotifierUnavailable(f"the D-Bus session bus cannot be reached ({err})") from err
        self._conn = conn
        self._server = ""
        self._ids.clear()
        self._keys.clear()
        threading.Thread(target=self._receive, args=(conn,), name="notify-receiver", daemon=True).start()
        try:
            for rule in (SERVER_SIGNALS, OWNER_CHANGES):
                self._call(message_bus.AddMatch(rule))
        except NotifierUnavailable:
            self._disconnect()
            raise

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()  # wakes the receiver with ReceiveStopped
            except OSError:
                pass
        self._fail_replies()
        self._ids.clear()
        self._keys.clear()

    def _ask_server(self) -> None:
        """Learn who the server is, whether it shows buttons, and how many."""
        capabilities = self._call(new_method_call(NOTIFICATIONS, "GetCapabilities"))[0]
        try:
            name = self._call(new_method_call(NOTIFICATIONS, "GetServerInformation"))[0]
        except NotifierUnavailable:  # required by the spec, yet not every server has it
            name = ""
        self._server = self._call(message_bus.GetNameOwner(SERVER))[0]
        self._has_actions = "actions" in capabilities
        # Such a server reads the body as markup (GNOME Shell, dunst): our text is plain, so
        # "with food & water" or a "<" in a name must reach it escaped to be shown as written.
        self._body_markup = "body-markup" in capabilities
        self._button_limit = pages.button_limit(name)

    def _reshow_locked(self) -> None:
        self._ids.clear()
        self._keys.clear()
        self._ask_server()
        for reminder in list(self._open.values()):
            self._show_locked(reminder)

    def _show_locked(self, reminder: Reminder, page: int = 0) -> None:
        actions: list[str] = []
        body = reminder.body
        if self._has_actions:
            # The click: never an answer (a click on a banner is how GNOME opens or
            # dismisses it), so the backend keeps it; servers that list it name it.
            actions += [DEFAULT, pages.CLICK_LABEL if reminder.actions else pages.DISMISS_LABEL]
            shown = pages.pages(reminder.actions, self._button_limit)
            for key, label in shown[min(page, len(shown) - 1)]:
                actions += [key, label]
        elif reminder.actions and reminder.cli_hint:
            body = f"{body}\n{reminder.cli_hint}"
        if self._body_markup:
            body = escape(body, quote=False)
        hints: dict[str, tuple[str, object]] = {
            "urgency": ("y", URGENCY.get(reminder.urgency, 1)), "desktop-entry": ("s", self._app_name)}
        if reminder.category:
            hints["category"] = ("s", reminder.category)
        if reminder.resident:
            hints["resident"] = ("b", True)
        expire_ms = 0 if reminder.resident else -1  # 0: never expires; -1: the server decides
        replaces = self._ids.get(reminder.key, 0)
        nid = self._call(new_method_call(NOTIFICATIONS, "Notify", "susssasa{sv}i", (
            self._app_name, replaces, "", reminder.title, body, actions, hints, expire_ms)))[0]
        self._forget(reminder.key)
        self._ids[reminder.key] = nid
        self._keys[nid] = reminder.key

    def _withdraw(self, key: str) -> None:
        """Close the notification of `key` on the server (lock held); `_open` is kept."""
        nid = self._forget(key)
        if nid is None or self._conn is None:
            return
        try:
            self._call(new_method_call(NOTIFICATIONS, "CloseNotification", "u", (nid,)))
        except NotifierUnavailable as err:
            log.info("could not close notification %s for %s: %s", nid, key, err)

    def _forget(self, key: str) -> int | None:
        nid = self._ids.pop(key, None)
        if nid is not None:
            self._keys.pop(nid, None)
        return nid

    def _call(self, msg: Message) -> tuple:
        """Send a method call and wait for its reply, which the receiver thread hands over."""
        conn = self._conn
        if conn is None:
            raise NotifierUnavailable("not connected to the session bus")
        serial = next(conn.outgoing_serial)
        reply: Future[Message] = Future()
        with self._replies_lock:
            self._replies[serial] = reply
        try:
            conn.send(msg, serial=serial)
            return unwrap_msg(reply.result(timeout=CALL_TIMEOUT_S))
        except (OSError, futures.TimeoutError, DBusErrorResponse) as err:  # not TimeoutError before 3.11
            raise NotifierUnavailable(f"{msg.header.fields.get(HeaderFields.member)} failed: {err!r}") from err
        finally:
            with self._replies_lock:
                self._replies.pop(serial, None)

    def _fail_replies(self) -> None:
        with self._replies_lock:
            waiting, self._replies = self._replies, {}
        for reply in waiting.values():
            if not reply.done():
                reply.set_exception(ConnectionError("the D-Bus connection closed"))

    # Threads --------------------------------------------------------------------------

    def _receive(self, conn: DBusConnection) -> None:
        """Read every message on `conn` until it is closed or drops."""
        try:
            while True:
                msg = conn.receive()
                serial = msg.header.fields.get(HeaderFields.reply_serial)
                if serial is not None:
                    with self._replies_lock:
                        reply = self._replies.get(serial)
                    if reply is not None and not reply.done():
                        reply.set_result(msg)
                elif msg.header.message_type is MessageType.signal:
                    self._events.put(msg)
        except ReceiveStopped:
            return  # closed by us
        except (OSError, ValueError) as err:  # the bus went away, or sent garbage
            if self._conn is not conn:
                return  # closed by us while it was reading
            log.warning("lost the D-Bus session bus connection: %r", err)
            self._events.put(_Dropped(conn))

    def _handle_events(self, events: queue.Queue[Message | _Dropped | None]) -> None:
        while True:
            event = events.get()
            if event is None or self._stopping.is_set():
                return
            if isinstance(event, _Dropped):
                self._reconnect(event.conn)
                continue
            member = event.header.fields.get(HeaderFields.member)
            if member == "ActionInvoked":
                self._action_invoked(*event.body)
            elif member == "NotificationClosed":
                with self._lock:
                    key = self._keys.get(event.body[0])
                    if key is not None:  # closed by the user, not answered: forget it
                        self._forget(key)
                        self._open.pop(key, None)
            elif member == "NameOwnerChanged":
                self._server_changed(new_owner=event.body[2])

    def _action_invoked(self, nid: int, action: str) -> None:
        with self._lock:
            key = self._keys.get(nid)
            if key is None:
                return  # someone else's notification, or one we already closed
            reminder = self._open.get(key)
            page = 0 if action == DEFAULT else pages.page_asked(action)
            if page is not None:
                self._show_page(key, reminder, page)
                return
            # Servers differ on whether a button closes its notification, so close it, and
            # before on_answer: a reminder it shows in its place may get the same id back.
            self.close(key)
        try:
            self._on_answer(key, action)
        except Exception:  # a bug in the callback must not stop the answers after it
            log.exception("on_answer(%r, %r) failed", key, action)

    def _show_page(self, key: str, reminder: Reminder | None, page: int) -> None:
        """The click or "More…" (lock held): a reminder with answers shown again at `page`,
        critical so that GNOME expands it and its buttons show at once; one without is read."""
        self._withdraw(key)
        if reminder is None or not reminder.actions:
            self._open.pop(key, None)
            return
        try:
            self._show_locked(replace(reminder, urgency="critical"), page)
        except NotifierUnavailable as err:
            log.warning("could not show %s again: %s", key, err)

    def _server_changed(self, new_owner: str) -> None:
        with self._lock:
            if not new_owner:  # the server went away, and its notifications with it
                self._ids.clear()
                self._keys.clear()
                self._server = ""
                return
            if new_owner == self._server or self._conn is None:
                return
            log.info("a new notification server (%s): showing %d open reminders again", new_owner, len(self._open))
            try:
                self._reshow_locked()
            except NotifierUnavailable as err:
                log.warning("could not show reminders on the new notification server: %s", err)

    def _reconnect(self, dropped: DBusConnection) -> None:
        with self._lock:
            if self._conn is not dropped:
                return  # already closed by stop(), or replaced by show()
            self._disconnect()
        while not self._stopping.wait(RECONNECT_EVERY_S):
            with self._lock:
                if self._stopping.is_set() or self._conn is not None:
                    return
                try:
                    self._connect()
                except NotifierUnavailable as err:
                    log.debug("still no session bus: %s", err)
                    continue
                log.info("reconnected to the D-Bus session bus")
                try:
                    self._reshow_locked()
                except NotifierUnavailable as err:  # NameOwnerChanged will tell when it comes
                    log.warning("no notification server yet: %s", err)
                return
