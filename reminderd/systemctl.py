"""`systemctl --user …`, for the two places that talk to the user's service manager:
installing the unit (install/unit.py) and `reminderd doctor`."""

from __future__ import annotations

import shutil
import subprocess

TIMEOUT_S = 30.0  # a service manager that does not answer in this long is reported as absent


def systemctl_user(*args: str, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess | None:
    """Run `systemctl --user ARGS` (text output captured); None when there is no systemctl,
    it cannot be started, or it did not answer within `timeout`."""
    if not shutil.which("systemctl"):
        return None
    try:
        return subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
