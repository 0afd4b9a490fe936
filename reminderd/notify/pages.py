"""Every answer within reach on a server that shows few buttons.

GNOME Shell shows at most three buttons on a notification (`MAX_NOTIFICATION_BUTTONS = 3`
in its messageTray.js; a fourth action is silently dropped), and only when the banner is
expanded (a critical one is expanded at once). So where the server is known to show few,
a reminder's answers are shown a page at a time: the first ones and "More…", which shows
the next page in place of this one. A click on the notification ("default") never
answers: it shows the reminder again from its first page, expanded. Pure: the backend
keeps which page is shown.
"""

from __future__ import annotations

MORE = "more:"  # + the page to show: an action of the backend's own, never an answer
MORE_LABEL = "More…"
# What a click on the notification does, named for servers that list it (dunst's menu):
# a reminder is shown again with its answers; a notice without any is read, and goes.
CLICK_LABEL = "Show the answers"
DISMISS_LABEL = "Dismiss"

# Servers known to show fewer buttons than they are given, by GetServerInformation's name.
BUTTON_LIMITS = {"gnome-shell": 3}

Actions = tuple[tuple[str, str], ...]


def button_limit(server_name: str) -> int | None:
    """How many buttons the server shows (None: all it is given)."""
    return BUTTON_LIMITS.get(server_name)


def pages(actions: Actions, limit: int | None) -> list[Actions]:
    """`actions` cut into the pages a server showing `limit` buttons can show whole: each
    page but the last holds `limit - 1` answers and "More…"; the last holds the rest."""
    if limit is None or len(actions) <= limit:
        return [actions]
    result: list[Actions] = []
    rest = actions
    while len(rest) > limit:
        result.append(rest[:limit - 1] + ((f"{MORE}{len(result) + 1}", MORE_LABEL),))
        rest = rest[limit - 1:]
    return result + [rest]


def page_asked(action: str) -> int | None:
    """The page a "More…" button asks for, or None for an answer."""
    if action.startswith(MORE) and action[len(MORE):].isdigit():
        return int(action[len(MORE):])
    return None
