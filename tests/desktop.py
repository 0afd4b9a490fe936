"""A private desktop for tests: its own D-Bus session bus, an Xvfb display and a real dunst.

Nothing of the machine's is used or needed (no X, no bus, root is fine), and everything
is stopped at the end. Usable without pytest:

    with Desktop() as desktop:
        subprocess.run(["notify-send", "hi"], env=desktop.env)
        wait_for(lambda: desktop.displayed() == 1)

What dunst 1.9 does, found by trying it (and relied on below):
- Its context menu (`dunstctl context`) runs the `dmenu` command from its config with one
  line per action of each *displayed* notification on stdin, in no stable order:
      #<label> (<summary>) [<notification id>,<action key>]
  e.g. "#Taken (Gabapentin) [2,taken]"; a "default" action is listed too, with its own
  label. The line printed back is the action invoked (`ActionInvoked` to the sender); an
  empty answer invokes nothing. The menu runs in a thread of dunst's: `dunstctl context`
  returns before it is done, and while one is still finishing dunst refuses the next
  ("Context menu already running, refusing to rerun"), so the helpers ask again until a
  menu opens. Our dmenu stand-in matches by action key, never position.
- A rule's `script` runs (just after, asynchronously: poll) for every notification it
  displays, with DUNST_ID, DUNST_SUMMARY,
  DUNST_URGENCY ("LOW"/"NORMAL"/"CRITICAL"), DUNST_CATEGORY, DUNST_DESKTOP_ENTRY,
  DUNST_TIMEOUT… in its environment: `shown()` reads what it recorded.
- `dunstctl history` lists only closed notifications (without urgency or actions); for the
  displayed ones there is only a count.
- Its ids start again at 1 in a new dunst; the packaged D-Bus service file would let a bus
  start a stray dunst by activation, so the private bus has no service directories.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

DUNSTRC = """[global]
    dmenu = {dmenu}
    notification_limit = 0
    stack_duplicates = false
    sticky_history = yes
    history_length = 100
    idle_threshold = 0
    show_age_threshold = -1
    always_run_script = true
# Nothing expires during a test.
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
[record_shown]
    script = {record}
"""

# dunst's dmenu: records the menu, then answers the line of the wanted action, if any.
DMENU_SCRIPT = """#!{python}
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
menu = sys.stdin.read()
try:  # one press per choice written: taken away atomically
    os.replace(os.path.join(here, "choice"), os.path.join(here, "choice.used"))
    with open(os.path.join(here, "choice.used")) as f:
        wanted = f.read().strip()  # "KEY" or "ID,KEY"
except FileNotFoundError:
    wanted = ""
pick = ""
if wanted:
    tail = "[" + wanted + "]" if "," in wanted else "," + wanted + "]"
    pick = next((line for line in menu.splitlines() if line.endswith(tail)), "")
with open(os.path.join(here, "menu.tmp"), "w") as f:
    f.write(menu)
os.replace(os.path.join(here, "menu.tmp"), os.path.join(here, "menu.txt"))
try:
    os.write(1, (pick + "\\n").encode())  # one write: dunst stops reading after the first
except BrokenPipeError:
    pass
"""

# dunst's rule script: one JSON line per displayed notification.
RECORD_SCRIPT = """#!{python}
import json, os
record = {{k[6:].lower(): v for k, v in os.environ.items() if k.startswith("DUNST_")}}
record["id"] = int(record.get("id", 0))
with open(os.environ["DESKTOP_SHOWN_LOG"], "a") as f:
    f.write(json.dumps(record) + "\\n")
"""

MENU_LINE = re.compile(r"^#(?P<label>.*?) \((?P<summary>.*)\) \[(?P<id>\d+),(?P<key>[^\]]*)\]$")


# How long a wait for an event gives up after when the wait is no promise (a daemon started
# on a busy machine, a server's post, a row written): generous, since it only bounds a
# failure. A wait that checks a promise is timed against the product's own constant
# instead (STOP_TIMEOUT_S, JUMP_REMINDED_WITHIN_S, the page's ANSWER_WITHIN_S, …).
GIVE_UP_S = 30.0


def wait_for(check: Callable[[], T], timeout: float = 5.0, what: str = "condition", fail: bool = True) -> T:
    """Poll `check` until it returns something truthy, and return that; after `timeout`
    seconds, AssertionError (or, with fail=False, the last falsy result)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            if not fail:
                return result
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {result!r})")
        time.sleep(0.05)


@dataclass(frozen=True)
class MenuItem:
    """One action line of dunst's context menu."""

    label: str
    summary: str
    id: int
    key: str


class Desktop:
    """A private session bus, an X display and dunst, with ways to look and press."""

    def __init__(self) -> None:
        # A short path of our own: a unix socket path must stay under 108 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="desktop-"))
        self.display = ""
        self.bus_address = ""
        self.env: dict[str, str] = {}
        self._xvfb: subprocess.Popen | None = None
        self._bus: subprocess.Popen | None = None
        self._dunst: subprocess.Popen | None = None
        self._generation = 0  # how many dunsts have been started

    # Lifecycle ------------------------------------------------------------------------

    def start(self) -> Desktop:
        try:
            self._start_xvfb()
            self._start_bus()
            self.env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
            self.env.update(DISPLAY=self.display, DBUS_SESSION_BUS_ADDRESS=self.bus_address)
            self._write_dunst_config()
            self.start_dunst()
        except BaseException:  # even on Ctrl-C: leave no Xvfb or bus behind, then re-raise
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop dunst, the bus and Xvfb (and anything they started); remove the folder."""
        for proc in (self._dunst, self._bus, self._xvfb):
            _end(proc)
        self._dunst = self._bus = self._xvfb = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Desktop:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_xvfb(self) -> None:
        # -displayfd: Xvfb picks a free display number itself and writes it when ready.
        read, write = os.pipe()
        try:
            with self._log("xvfb") as log:
                self._xvfb = subprocess.Popen(
                    ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1280x800x24"],
                    pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
            os.close(write)
            write = -1
            number = _read_line(read, timeout=10, what="Xvfb's display number")
        finally:
            os.close(read)
            if write >= 0:
                os.close(write)
        self.display = f":{number}"

    def _start_bus(self) -> None:
        config = self.dir / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=self.dir / "bus"))
        with self._log("dbus") as log:
            self._bus = subprocess.Popen(
                ["dbus-daemon", f"--config-file={config}", "--print-address=1", "--nofork", "--nopidfile"],
                stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        assert self._bus.stdout is not None
        _read_line(self._bus.stdout.fileno(), timeout=10, what="the bus address")  # once it listens
        # Without the ",guid=" part, the address stays valid for the bus of restart_bus().
        self.bus_address = f"unix:path={self.dir / 'bus'}"

    def _write_dunst_config(self) -> None:
        for name, text in (("dmenu", DMENU_SCRIPT), ("record-shown", RECORD_SCRIPT)):
            script = self.dir / name
            script.write_text(text.format(python=sys.executable))
            script.chmod(0o755)
        (self.dir / "dunstrc").write_text(DUNSTRC.format(dmenu=self.dir / "dmenu", record=self.dir / "record-shown"))

    def start_dunst(self) -> None:
        """Start dunst and wait until it owns org.freedesktop.Notifications."""
        assert self._dunst is None, "dunst is already running"
        self._generation += 1
        env = self.env | {"DESKTOP_SHOWN_LOG": str(self._shown_log)}
        with self._log("dunst") as log:
            self._dunst = subprocess.Popen(["dunst", "-config", str(self.dir / "dunstrc")], env=env,
                                           stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        wait_for(lambda: self._dunst_answers() or self._dunst.poll() is not None, what="dunst to start")
        if self._dunst.poll() is not None:
            raise RuntimeError(f"dunst exited at start:\n{self.logs('dunst')}")

    def stop_dunst(self) -> None:
        """Stop dunst and wait until its bus name is free."""
        _end(self._dunst)
        self._dunst = None
        wait_for(lambda: not self._dunst_answers(), what="dunst's bus name to be released")

    def restart_bus(self) -> None:
        """A new session bus at the same address (every connection drops), and a new dunst."""
        self.stop_dunst()
        _end(self._bus)
        (self.dir / "bus").unlink(missing_ok=True)
        self._start_bus()
        self.start_dunst()

    def kill_and_restart_dunst(self) -> None:
        """A new dunst in place of the old one: no notification survives, ids start again."""
        self.stop_dunst()
        self.start_dunst()

    # Looking --------------------------------------------------------------------------

    def dunstctl(self, *args: str) -> str:
        done = subprocess.run(["dunstctl", *args], env=self.env, capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise RuntimeError(f"dunstctl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def displayed(self) -> int:
        """How many notifications dunst has on screen now."""
        return int(self.dunstctl("count", "displayed"))

    def history(self) -> list[dict]:
        """Closed notifications, newest first: {"id", "summary", "body", "appname",
        "category", "default_action_name", ...} (dunst keeps no urgency or actions here)."""
        data = json.loads(self.dunstctl("history"))["data"][0]
        return [{name: field["data"] for name, field in n.items()} for n in data]

    def shown(self) -> list[dict]:
        """Every notification this dunst displayed (a replacement is shown again), oldest
        first: {"id": int, "summary", "body", "urgency": "LOW"|"NORMAL"|"CRITICAL",
        "category", "desktop_entry", "app_name", "timeout", ...}."""
        if not self._shown_log.exists():
            return []
        *lines, _unfinished = self._shown_log.read_text().split("\n")
        return [json.loads(line) for line in lines]

    def menu(self, timeout: float = 5.0) -> list[MenuItem]:
        """Open dunst's context menu, choose nothing, and return its action lines. dunst
        opens no menu when no displayed notification has an action: don't ask then."""
        return self._context_menu("", timeout)

    def press(self, action: str, notification_id: int | None = None, timeout: float = 5.0) -> MenuItem:
        """Press the button with action key `action` (of notification `notification_id`,
        if several have one) through dunst's context menu; return the menu line chosen.
        dunst sends ActionInvoked just after: poll for its effect."""
        wanted = action if notification_id is None else f"{notification_id},{action}"
        items = self._context_menu(wanted, timeout)
        chosen = [i for i in items if i.key == action and notification_id in (None, i.id)]
        if not chosen:
            raise AssertionError(f"no {wanted!r} in dunst's menu: {items}")
        return chosen[0]

    def close_all(self) -> None:
        self.dunstctl("close-all")

    def close_last(self) -> None:
        """Close the newest notification as a user would: no action is invoked."""
        self.dunstctl("close")

    def logs(self, name: str = "dunst") -> str:
        """What "dunst", "dbus" or "xvfb" wrote to stderr, for failure messages."""
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # Inside ---------------------------------------------------------------------------

    @property
    def _shown_log(self) -> Path:
        return self.dir / f"shown-{self._generation}.jsonl"

    def _log(self, name: str):
        return open(self.dir / f"{name}.log", "ab")

    def _dunst_answers(self) -> bool:
        done = subprocess.run(["dunstctl", "debug"], env=self.env, capture_output=True, timeout=10)
        return done.returncode == 0

    def _context_menu(self, wanted: str, timeout: float) -> list[MenuItem]:
        menu = self.dir / "menu.txt"
        menu.unlink(missing_ok=True)
        (self.dir / "choice").write_text(wanted)

        def opened() -> bool:
            # dunst refuses while the last menu is still finishing: ask again. The
            # choice is used once, so a menu opening twice still presses once.
            self.dunstctl("context")
            return wait_for(menu.exists, 0.5, what="", fail=False)

        try:
            wait_for(opened, timeout, what="dunst to open its context menu")
        finally:
            (self.dir / "choice").unlink(missing_ok=True)
        items = []
        for line in menu.read_text().splitlines():
            found = MENU_LINE.match(line)
            if found:
                items.append(MenuItem(found["label"], found["summary"], int(found["id"]), found["key"]))
        return items


def _read_line(fd: int, timeout: float, what: str) -> str:
    """One line from a child's pipe, without hanging if the child never writes it."""
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise RuntimeError(f"timed out waiting for {what}")
        chunk = os.read(fd, 1024)
        if not chunk:
            raise RuntimeError(f"the process exited before giving {what}")
        data += chunk
    return data.decode().strip()


def _end(proc: subprocess.Popen | None) -> None:
    """Stop a process we started in its own session, and whatever it started."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group (menu or rule scripts)
    except ProcessLookupError:
        pass
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


# pytest fixtures ----------------------------------------------------------------------

try:
    import pytest
except ImportError:  # the helpers above work without pytest
    pytest = None

if pytest is not None:

    def _private_desktop(mp: pytest.MonkeyPatch) -> Iterator[Desktop]:
        with Desktop() as desktop:
            # Code under test that asks for "the session bus" or "the display" gets ours.
            mp.setenv("DISPLAY", desktop.display)
            mp.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.bus_address)
            mp.delenv("WAYLAND_DISPLAY", raising=False)
            yield desktop

    @pytest.fixture
    def desktop() -> Iterator[Desktop]:
        """A fresh private desktop for one test."""
        with pytest.MonkeyPatch.context() as mp:
            yield from _private_desktop(mp)

    @pytest.fixture(scope="module")
    def module_desktop() -> Iterator[Desktop]:
        """One private desktop shared by a module's tests (close_all() between them)."""
        with pytest.MonkeyPatch.context() as mp:
            yield from _private_desktop(mp)
