"""Helpers shared by the benchmark scripts (stdlib only): statistics, a plain table,
JSON output, and a clean environment for running reminderd as a child process."""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import sys
import sysconfig
from pathlib import Path
from typing import Any, Sequence

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable  # the real interpreter, never a pyenv/asdf shim (a shim adds ~20-50 ms)


def reminderd_script() -> str:
    """The installed `reminderd` console script next to this interpreter (not a shim)."""
    here = Path(sysconfig.get_path("scripts")) / "reminderd"
    if here.exists():
        return str(here)
    found = shutil.which("reminderd")
    if not found:
        raise SystemExit("the `reminderd` script is not installed (pip install -e .)")
    return found


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile, p in [0, 100]."""
    if not values:
        return math.nan
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"n": len(values), "median": statistics.median(values) if values else math.nan,
            "p90": percentile(values, 90), "p99": percentile(values, 99),
            "min": min(values) if values else math.nan, "max": max(values) if values else math.nan}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(r: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def emit(result: dict, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(text)


def child_env(home: Path, pyc: bool = True, **extra: str) -> dict[str, str]:
    """os.environ minus the desktop and any inherited libfaketime, with reminderd's
    config, log and runtime folder inside `home`.

    pyc: cache bytecode as an installed package has it (pip compiles at install), in
    `home/pyc` (PYTHONPYCACHEPREFIX), so nothing is written beside the sources, even when
    the calling shell sets PYTHONDONTWRITEBYTECODE."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("FAKETIME") or k in ("LD_PRELOAD", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY",
                                                      "WAYLAND_DISPLAY", "NOTIFY_SOCKET", "PYTHONPROFILEIMPORTTIME",
                                                      "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"))}
    if pyc:
        env["PYTHONPYCACHEPREFIX"] = str(home / "pyc")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    (home / "run").mkdir(mode=0o700, exist_ok=True)
    env.update(REMINDERD_CONFIG=str(home / "config.toml"), REMINDERD_DB=str(home / "data" / "reminderd.db"),
               XDG_RUNTIME_DIR=str(home / "run"), XDG_DATA_HOME=str(home / "xdg-data"),
               XDG_CONFIG_HOME=str(home / "xdg-config"), PYTHONUNBUFFERED="1",
               # never the machine's own system bus (logind): the daemon would listen to it
               DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={home}/no-system-bus")
    env.update(extra)
    return env


def stop_process(proc) -> None:
    """SIGTERM, then SIGKILL if it has not gone within 10 s."""
    import signal
    import subprocess

    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
