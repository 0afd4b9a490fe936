"""Putting reminderd in place for a user, and taking it away: the systemd user unit or the
XDG autostart entry that starts the daemon with the desktop (never both: there is never a
second daemon), the application entry that names its notifications, and `uninstall`."""
