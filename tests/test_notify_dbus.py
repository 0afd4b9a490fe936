"""DBusNotifier against a real dunst on a private bus and display (tests/desktop.py).

Buttons are pressed through dunst's context menu, by action key."""

from __future__ import annotations

import threading

import pytest
from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.threading import DBusRouter, Proxy, ReceiveStopped, open_dbus_connection

from reminderd.errors import NotifierUnavailable
from reminderd.core.words import SKIP, SNOOZE, TAKE
from reminderd.notify.base import DEFAULT, Reminder
from reminderd.notify.dbus import DBusNotifier
from tests.desktop import Desktop, wait_for

BUTTONS = ((TAKE, "Taken"), (SNOOZE, "Snooze 10 min"), (SKIP, "Skip"))


def dose(key: str = "dose:1", body: str = "300 mg, due 08:00", urgency: str = "critical", **kw) -> Reminder:
    return Reminder(key=key, title=f"Gabapentin ({key})", body=body, actions=BUTTONS, urgency=urgency,
                    cli_hint="Answer with: reminderd taken", **kw)


@pytest.fixture
def answers() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def notifier(desktop: Desktop, answers: list) -> DBusNotifier:
    notifier = DBusNotifier()  # finds the private bus through DBUS_SESSION_BUS_ADDRESS
    notifier.start(lambda key, action: answers.append((key, action)))
    yield notifier
    notifier.stop()


def shown_last(desktop: Desktop, summary: str, body: str | None = None) -> dict:
    """dunst's record of the latest display of the notification titled `summary` (with
    `body`, if given), once dunst has shown it."""
    def find():
        return [n for n in desktop.shown() if n["summary"] == summary and body in (None, n["body"])]
    return wait_for(find, what=f"dunst to show {summary!r} {body or ''}")[-1]


def test_a_reminder_shows_its_buttons_urgency_and_hints(desktop, notifier):
    notifier.show(dose())

    wait_for(lambda: desktop.displayed() == 1, what="one notification")
    shown = shown_last(desktop, "Gabapentin (dose:1)")
    assert (shown["body"], shown["urgency"], shown["category"], shown["desktop_entry"], shown["timeout"]) == \
           ("300 mg, due 08:00", "CRITICAL", "x-reminderd.dose", "reminderd", "0")
    assert notifier.has_actions
    menu = {item.key: item.label for item in desktop.menu()}
    # The body click ("default") is never an answer: it shows the answers again.
    assert menu == {DEFAULT: "Show the answers", TAKE: "Taken", SNOOZE: "Snooze 10 min", SKIP: "Skip"}


@pytest.mark.parametrize("urgency, dunst_says", [("low", "LOW"), ("normal", "NORMAL")])
def test_urgency_reaches_the_server(desktop, notifier, urgency, dunst_says):
    notifier.show(Reminder(key="checkin:2026-11-27", title="How was the night?", body="", urgency=urgency))
    assert shown_last(desktop, "How was the night?")["urgency"] == dunst_says


@pytest.mark.parametrize("action", [TAKE, SNOOZE, SKIP])
def test_pressing_a_button_answers_and_closes(desktop, notifier, answers, action):
    notifier.show(dose())
    nid = shown_last(desktop, "Gabapentin (dose:1)")["id"]

    desktop.press(action, notification_id=nid)

    wait_for(lambda: answers, what="on_answer")
    assert answers == [("dose:1", action)]
    wait_for(lambda: desktop.displayed() == 0, what="the notification to close")
    assert [n["id"] for n in desktop.history()] == [nid]


def test_a_click_is_no_answer_it_shows_the_reminder_again_expanded(desktop, notifier, answers):
    notifier.show(dose(urgency="normal"))
    first = shown_last(desktop, "Gabapentin (dose:1)")
    assert first["urgency"] == "NORMAL"
    desktop.press(DEFAULT, notification_id=first["id"])
    again = wait_for(lambda: [n for n in desktop.shown() if n["id"] != first["id"]], what="the reminder again")[-1]
    assert (again["summary"], again["urgency"]) == ("Gabapentin (dose:1)", "CRITICAL")  # GNOME expands a critical one
    assert {item.key for item in desktop.menu()} == {DEFAULT, TAKE, SNOOZE, SKIP}
    desktop.press(SKIP, notification_id=again["id"])  # and an answer still reaches the daemon
    wait_for(lambda: answers, what="on_answer")
    assert answers == [("dose:1", SKIP)]


def test_a_click_on_a_notice_without_answers_dismisses_it(desktop, notifier, answers):
    notifier.show(Reminder(key="missed:1", title="Missed: gabapentin", body="not answered", resident=False))
    nid = shown_last(desktop, "Missed: gabapentin")["id"]
    assert {item.key: item.label for item in desktop.menu()} == {DEFAULT: "Dismiss"}
    desktop.press(DEFAULT, notification_id=nid)
    wait_for(lambda: desktop.displayed() == 0, what="the notice to go")
    assert answers == [] and len(desktop.shown()) == 1


def test_closing_without_a_button_is_no_answer(desktop, notifier, answers):
    notifier.show(dose("dose:1"))
    first = shown_last(desktop, "Gabapentin (dose:1)")["id"]
    desktop.close_last()
    wait_for(lambda: desktop.displayed() == 0, what="the notification to close")
    # Answers come in order: once dose:2's arrives, dose:1's closing has been handled.
    notifier.show(dose("dose:2"))
    desktop.press(TAKE, notification_id=shown_last(desktop, "Gabapentin (dose:2)")["id"])
    wait_for(lambda: answers, what="on_answer for dose:2")
    assert answers == [("dose:2", TAKE)]

    # The closed one was forgotten: showing it again makes a new notification.
    notifier.show(dose("dose:1", body="still due"))
    again = shown_last(desktop, "Gabapentin (dose:1)", body="still due")
    assert again["id"] != first
    wait_for(lambda: desktop.displayed() == 1, what="dose:1 again")


def test_showing_a_key_again_replaces_its_notification(desktop, notifier, answers):
    notifier.show(dose(body="due 08:00"))
    first = shown_last(desktop, "Gabapentin (dose:1)")
    notifier.show(dose(body="due 08:00, reminded again at 08:15"))

    again = shown_last(desktop, "Gabapentin (dose:1)", body="due 08:00, reminded again at 08:15")
    assert again["id"] == first["id"]
    assert desktop.displayed() == 1
    assert {item.id for item in desktop.menu()} == {first["id"]}
    desktop.press(SNOOZE)
    wait_for(lambda: answers, what="on_answer")
    assert answers == [("dose:1", SNOOZE)]


def test_close_withdraws_the_notification(desktop, notifier, answers):
    notifier.show(dose("dose:1"))
    notifier.show(dose("dose:2"))
    wait_for(lambda: desktop.displayed() == 2, what="two notifications")

    notifier.close("dose:1")
    notifier.close("dose:1")  # twice, or an unknown key: nothing happens
    notifier.close("no-such-key")

    wait_for(lambda: desktop.displayed() == 1, what="dose:1 to close")
    assert [n["summary"] for n in desktop.history()] == ["Gabapentin (dose:1)"]
    assert {item.summary for item in desktop.menu()} == {"Gabapentin (dose:2)"}
    assert answers == []


def test_a_new_dunst_gets_the_open_reminders_again(desktop, notifier, answers):
    notifier.show(dose("dose:1"))
    notifier.show(dose("dose:2"))
    notifier.close("dose:2")
    wait_for(lambda: desktop.displayed() == 1, what="dose:1 alone")

    desktop.kill_and_restart_dunst()

    # Shown again by itself when the new dunst takes the bus name; dose:2 was closed.
    wait_for(lambda: desktop.displayed() == 1, what="dose:1 on the new dunst")
    again = shown_last(desktop, "Gabapentin (dose:1)")
    assert (again["urgency"], again["timeout"]) == ("CRITICAL", "0")
    assert [n["summary"] for n in desktop.shown()] == ["Gabapentin (dose:1)"]
    desktop.press(TAKE, notification_id=again["id"])
    wait_for(lambda: answers, what="on_answer from the new dunst")
    assert answers == [("dose:1", TAKE)]
    wait_for(lambda: desktop.displayed() == 0, what="the notification to close")


def test_while_dunst_is_away_show_raises_and_the_reminder_comes_back_with_it(desktop, notifier, answers):
    desktop.stop_dunst()
    with pytest.raises(NotifierUnavailable):
        notifier.show(dose(body="due 08:00, reminded while away"))
    notifier.close("dose:0")  # never raises

    desktop.start_dunst()

    shown = shown_last(desktop, "Gabapentin (dose:1)")
    assert shown["body"] == "due 08:00, reminded while away"
    desktop.press(SKIP)
    wait_for(lambda: answers, what="on_answer")
    assert answers == [("dose:1", SKIP)]


def test_after_the_bus_restarts_the_notifier_reconnects(desktop, notifier, answers):
    notifier.show(dose())
    wait_for(lambda: desktop.displayed() == 1, what="the notification")

    desktop.restart_bus()  # dunst goes with it and comes back

    again = wait_for(lambda: desktop.shown(), timeout=10, what="the reminder on the new bus")
    assert [n["summary"] for n in again] == ["Gabapentin (dose:1)"]
    desktop.press(TAKE)
    wait_for(lambda: answers, what="on_answer over the new connection")
    assert answers == [("dose:1", TAKE)]


@pytest.mark.parametrize("address", ["unix:path=/nonexistent/bus", "unix:abstract=reminderd-no-bus", "nonsense", None])
def test_no_session_bus_is_unavailable(monkeypatch, address):
    if address is None:
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    notifier = DBusNotifier()
    with pytest.raises(NotifierUnavailable):
        notifier.start(lambda key, action: None)
    with pytest.raises(NotifierUnavailable):
        notifier.show(dose())
    notifier.close("dose:1")
    notifier.stop()


def test_a_bus_without_notification_server_is_unavailable(desktop):
    desktop.stop_dunst()
    notifier = DBusNotifier()
    with pytest.raises(NotifierUnavailable):
        notifier.start(lambda key, action: None)
    with pytest.raises(NotifierUnavailable):
        notifier.show(dose())
    notifier.stop()


class ButtonlessServer:
    """A notification server without the "actions" capability, as some are. dunst always
    has buttons, so this minimal one answers in its place on the private bus."""

    def __init__(self) -> None:
        self.notified: list[tuple] = []
        self.closed: list[int] = []
        self._conn = open_dbus_connection(bus="SESSION")
        with DBusRouter(self._conn) as router:
            assert Proxy(message_bus, router).RequestName("org.freedesktop.Notifications") == (1,)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                msg = self._conn.receive()
            except ReceiveStopped:
                return
            if msg.header.message_type is not MessageType.method_call:
                continue
            member = msg.header.fields[HeaderFields.member]
            if member == "GetCapabilities":
                self._conn.send(new_method_return(msg, "as", (["body"],)))
            elif member == "Notify":
                self.notified.append(msg.body)
                self._conn.send(new_method_return(msg, "u", (len(self.notified),)))
            elif member == "CloseNotification":
                self.closed.append(msg.body[0])
                self._conn.send(new_method_return(msg))
            else:
                self._conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    def close(self) -> None:
        self._conn.interrupt()
        self._thread.join(timeout=5)
        self._conn.close()


def test_without_buttons_the_text_says_how_to_answer(desktop):
    desktop.stop_dunst()
    server = ButtonlessServer()
    notifier = DBusNotifier()
    try:
        notifier.start(lambda key, action: None)
        assert not notifier.has_actions
        notifier.show(dose())
        notifier.show(Reminder(key="info", title="Note", body="plain", cli_hint="not for plain messages"))
        (_, _, _, _, body, actions, hints, timeout), (*_, plain_body, _, _, _) = server.notified
        assert (body, actions, timeout) == ("300 mg, due 08:00\nAnswer with: reminderd taken", [], 0)
        assert hints["urgency"] == ("y", 2) and hints["resident"] == ("b", True)
        assert plain_body == "plain"
    finally:
        notifier.stop()
        server.close()
