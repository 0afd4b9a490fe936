"""The full check-in as a small window (tkinter): what "Answer in full…" opens.

Every question on one screen; Save hands the answers to a callback, which validates and
records them (a refusal is shown in the window, which stays open). Usable from the
keyboard alone: on a scale, typing its number picks it and moves to the next question;
Tab and Space move and choose, Enter saves, Escape cancels.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any, Callable

from reminderd.core import checkin as core
from reminderd.errors import ReminderdError

try:
    import tkinter as tk
    from tkinter import ttk
except ImportError:  # python3-tk is not installed
    tk = None  # type: ignore[assignment]

TITLE = "reminderd check-in"
NOT_ANSWERED = -1

SaveCallback = Callable[[Any, Any, Any, Any, Any], None]
"""on_save(severity, frequency, woke, note, other_cause), the answers as given (None: not
answered; woke and note as typed; other_cause whether the box is ticked); it validates
them and raises ReminderdError to refuse them."""


def open_checkin_window(night: date, on_save: SaveCallback, previous: core.Checkin | None = None) -> str | None:
    """Show the check-in for `night` until it is saved or cancelled; None once it has been.

    Returns why, having done nothing, when it cannot open (no Tk, no X display).
    `previous` (the night's earlier answer) fills the fields in.
    """
    if tk is None:
        return ("it needs Tk for Python, which is not installed (Debian and Ubuntu: sudo apt install python3-tk; "
                "install.sh installs it)")
    display = os.environ.get("DISPLAY")
    if not display:
        if os.environ.get("WAYLAND_DISPLAY"):
            return "Tk needs an X display (Xwayland), and this Wayland session has none (DISPLAY is not set)"
        return "there is no display here (DISPLAY is not set: not inside a desktop session)"
    try:
        root = tk.Tk(className="reminderd")
    except tk.TclError as err:
        return f"the display {display} cannot be opened ({err})"
    CheckinDialog(root, night, on_save, previous)
    root.mainloop()
    return None


class CheckinDialog:
    def __init__(self, root: "tk.Tk", night: date, on_save: SaveCallback, previous: core.Checkin | None) -> None:
        self.root = root
        self.on_save = on_save
        self._focused = False
        root.title(TITLE)
        root.resizable(False, False)
        frame = ttk.Frame(root, padding=12)
        frame.grid(sticky="nsew")

        ttk.Label(frame, text=f"The night of {night:%A %d %B %Y}", font="TkHeadingFont").grid(
            sticky="w", pady=(0, 8))
        self.severity = tk.IntVar(value=previous.severity if previous else NOT_ANSWERED)
        first = self._scale(frame, core.SEVERITY_QUESTION, self.severity, skippable=False)
        self.frequency = tk.IntVar(value=_or_unanswered(previous.frequency if previous else None))
        self._scale(frame, core.FREQUENCY_QUESTION, self.frequency, skippable=True)

        ttk.Label(frame, text=core.WOKE_QUESTION.prompt).grid(sticky="w", pady=(8, 0))
        self.woke = ttk.Spinbox(frame, from_=0, to=core.WOKE_MAX, width=5)
        self.woke.grid(sticky="w")
        if previous and previous.woke is not None:
            self.woke.set(str(previous.woke))

        ttk.Label(frame, text=core.NOTE_QUESTION.prompt).grid(sticky="w", pady=(8, 0))
        self.note = ttk.Entry(frame, width=50)
        self.note.grid(sticky="we")
        if previous and previous.note:
            self.note.insert(0, previous.note)

        self.other_cause = tk.BooleanVar(value=bool(previous and previous.other_cause))
        ttk.Checkbutton(frame, text=core.OTHER_CAUSE_PROMPT, variable=self.other_cause).grid(sticky="w", pady=(8, 0))

        self.error = ttk.Label(frame, text="", foreground="#b00020", wraplength=420)
        self.error.grid(sticky="w", pady=(8, 0))
        buttons = ttk.Frame(frame)
        buttons.grid(sticky="e", pady=(8, 0))
        ttk.Button(buttons, text="Save", command=self.save, default="active").grid(row=0, column=0, padx=4)
        ttk.Button(buttons, text="Cancel", command=self.cancel).grid(row=0, column=1)

        root.bind("<Return>", lambda _: self.save())
        root.bind("<KP_Enter>", lambda _: self.save())
        root.bind("<Escape>", lambda _: self.cancel())
        root.protocol("WM_DELETE_WINDOW", self.cancel)
        # Opened on purpose by a click on "Answer in full…": it takes the keyboard as soon as
        # it is on screen (focus on a window not yet mapped would be lost).
        root.bind("<Map>", lambda event: self._shown(event, first))
        root.lift()

    def _shown(self, event: "tk.Event", first: "ttk.Radiobutton") -> None:
        if event.widget is self.root and not self._focused:
            self._focused = True
            first.focus_force()

    def _scale(self, frame: "ttk.Frame", question: core.Question, variable: "tk.IntVar",
               skippable: bool) -> "ttk.Radiobutton":
        ttk.Label(frame, text=question.prompt).grid(sticky="w", pady=(8, 0))
        buttons = [
            ttk.Radiobutton(frame, text=f"{value}  {label.capitalize()}", value=value, variable=variable)
            for value, label in enumerate(question.labels)
        ]
        if skippable:
            buttons.append(ttk.Radiobutton(frame, text="Not answered", value=NOT_ANSWERED, variable=variable))

        def choose(event: "tk.Event") -> str | None:
            # Typing a scale's number picks it and moves on: a keyboard needs no aiming.
            if event.char.isdigit() and int(event.char) < len(question.labels):
                variable.set(int(event.char))
                buttons[-1].tk_focusNext().focus_set()
                return "break"
            return None

        for button in buttons:
            button.grid(sticky="w", padx=(12, 0))
            button.bind("<Key>", choose)
        return buttons[0]

    def save(self) -> None:
        severity = self.severity.get()
        frequency = self.frequency.get()
        try:
            self.on_save(
                None if severity == NOT_ANSWERED else severity,  # refused: severity is required
                None if frequency == NOT_ANSWERED else frequency,
                self.woke.get(),
                self.note.get(),
                self.other_cause.get(),
            )
        except ReminderdError as err:
            self.error.configure(text=str(err))
            return
        self.root.destroy()

    def cancel(self) -> None:
        self.root.destroy()


def _or_unanswered(value: int | None) -> int:
    return NOT_ANSWERED if value is None else value
