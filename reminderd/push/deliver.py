"""One try of one message: the sending child (`push/send.py`) run under a time limit,
and what the try came to (core/delivery's outcomes), told from what the child reported as
it went. A try can be cut short from another thread (the daemon stopping): what it came to
is then known as well as it can be, from whether the request had been written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass

from reminderd.core.delivery import SENT, UNCONFIRMED, UNREACHED
from reminderd.push.urls import scrub

CONNECT_S = 10.0  # reaching the server: name, connection, TLS
STARTUP_S = 15.0  # starting Python and importing Apprise in the child on a busy machine


@dataclass(frozen=True)
class Result:
    outcome: str  # core.delivery: SENT, REFUSED, UNREACHED or UNCONFIRMED
    answer: str  # what the server answered, or why nothing was sent; the URL scrubbed out

    @property
    def sent(self) -> bool:
        return self.outcome == SENT


def limit_s(answer_s: float) -> float:
    """The child's whole time: start-up, then the connection, then the answer (smtplib may
    wait the answer's time at each step of the conversation; two of them are allowed)."""
    return STARTUP_S + min(CONNECT_S, answer_s) + 2 * answer_s


class Sender:
    """Sends one message at a time; `cancel` cuts the one in flight short (from any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._cancelled = False

    def send(self, url: str, title: str, body: str, message_id: str, answer_s: float) -> Result:
        job = json.dumps({"url": url, "title": title, "body": body, "id": message_id,
                          "connect": min(CONNECT_S, answer_s), "answer": answer_s, "parent": os.getpid()})
        limit = limit_s(answer_s)
        with self._lock:
            if self._cancelled:
                return Result(UNREACHED, "not sent: reminderd is stopping")
            child = self._child = subprocess.Popen(
                [sys.executable, "-m", "reminderd.push.send"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
        cut = None
        try:
            out, err = child.communicate(job, timeout=limit)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            cut = f"no answer within {limit:g} s; the send was stopped"
        finally:
            with self._lock:
                self._child = None
                cut = "the send was stopped: reminderd is stopping" if self._cancelled else cut
        return Result(*_read(out, err, child.returncode, cut, url))

    def cancel(self) -> None:
        """Stop the send in flight, if any, and every later one."""
        with self._lock:
            self._cancelled = True
            if self._child is not None:
                self._child.kill()


def _read(out: str, err: str, code: int | None, cut: str | None, url: str) -> tuple[str, str]:
    """(outcome, answer) from the child's lines: its result, or, when it was cut short or
    failed, what its reports say of how far it got."""
    result, wrote = None, False
    for line in out.splitlines():
        try:
            report = json.loads(line)
        except ValueError:
            continue
        wrote = wrote or "wrote" in report
        result = report if "outcome" in report else result
    if result is not None and cut is None:
        outcome, answer = str(result["outcome"]), str(result["answer"])
    else:
        outcome = UNCONFIRMED if wrote else UNREACHED
        # Its last words, scrubbed before they are cut (a cut piece of a secret is not recognisable).
        answer = cut or f"the sender failed: {scrub(err.strip(), url)[-300:] or code}"
    if outcome == UNCONFIRMED:
        answer = f"the message was written, then no answer came: {answer}"
    return outcome, scrub(answer, url)
