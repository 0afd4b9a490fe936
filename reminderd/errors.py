"""Every error class of reminderd. A ReminderdError carries the exit code the CLI uses, so
one handler in reminderd.cli turns any of them into a message and an exit, without a
traceback; the last three are raised and caught inside the program, never shown as they are."""

from __future__ import annotations


class ReminderdError(Exception):
    """Something the user can act on; `str(err)` is the whole message."""

    exit_code = 1


class UsageError(ReminderdError):
    """Bad input from the user: a bad argument, a dose that cannot be taken now."""

    exit_code = 2


class ConfigError(UsageError):
    """A config file that cannot be used. Holds every problem found, one per line."""

    def __init__(self, problems: list[str], source: str = "config") -> None:
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s):\n{lines}")


class DoseError(UsageError):
    """A dose action that the rules refuse (taken twice, too soon after the last one)."""


class StoreError(ReminderdError):
    """The database cannot be used safely (damaged, foreign, newer than this program)."""


class AlreadyTakenError(DoseError):
    """A second Taken for a dose already taken: it is the same dose, recorded once."""


class TooCloseError(DoseError):
    """A Taken that would put two doses closer than the medication's minimum gap."""

    FORCE = "If you really took it, record it with --force"

    @property
    def fact(self) -> str:
        """The refusal without the command line's way past it: a notification has its own
        "Taken anyway" button, and the phone page none."""
        return str(self).removesuffix(self.FORCE).rstrip(". ")


class AlreadyRunning(ReminderdError):
    """A second daemon for the same data: the first one holds the lock."""

    exit_code = 3

    def __init__(self, message: str, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid  # the daemon holding the lock, to say how to stop it


class ImportFileError(UsageError):
    """An export file that cannot be restored: one line with the first problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        more = len(problems) - 1
        also = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(f"{source} cannot be imported, nothing was changed: {problems[0]}{also}")


class AnalysisError(ReminderdError):
    """Values the analysis cannot use: a naive datetime, an unknown status, a bad range."""


# --- raised and caught inside the program, never shown as they are --------------------------


class BadValue(Exception):
    """One value that does not fit; `expected` says what would (the config and the CLI
    turn it into their own message)."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


class BadUrl(Exception):
    """Why a URL or a url_file cannot be used; the message never holds the URL."""


class NotifierUnavailable(Exception):
    """The backend cannot show notifications right now (no bus, no server, no display)."""
