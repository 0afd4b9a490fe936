"""reminderd: medication reminders on the Linux desktop, and an honest log of every dose."""

__version__ = "0.1.0"
