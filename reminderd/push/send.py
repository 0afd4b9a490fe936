"""Send one message through one Apprise URL, as a short-lived child process.

Apprise and the libraries it loads weigh some 20 MB; imported here, they never stay in
the daemon's memory. Reads {"url", "title", "body", "id", "connect", "answer", "parent"}
as JSON on stdin (never the command line, where other users could read the URL) and
prints JSON lines on stdout: {"wrote": n} the moment a request has been written whole
(so that a parent that must cut the send short knows whether it went out), then
{"ok", "outcome", "answer"}: what the try came to (core/delivery) and what the server
answered, or why nothing was sent. A server's answer is scrubbed of the URL here, before it
is cut short (a cut through a secret would leave a piece that no scrub can recognise), and
the parent scrubs the whole answer again.

Apprise is wrapped at the two seams every service passes through, requests' HTTP adapter
and smtplib, to hear the server itself (Apprise logs only whether a send worked), to
tell a request never written from one whose answer never came, and to give the message
its id where the service takes one.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from urllib.parse import parse_qs, urlsplit

from reminderd.core.delivery import REFUSED, SENT, UNCONFIRMED, UNREACHED
from reminderd.push.urls import scrub

HEARD_CHARS = 300  # of each answer a server gives


class _Answers(logging.Handler):
    """Apprise's own account of the send (Sent…, Failed…, the server's error)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class _Progress:
    """Requests written whole and answers read, reported to the parent as they happen."""

    def __init__(self) -> None:
        self.written = self.answered = 0
        self.heard: list[str] = []

    def wrote(self) -> None:
        self.written += 1
        print(json.dumps({"wrote": self.written}), flush=True)

    def outcome(self, ok: bool) -> str:
        if ok:
            return SENT
        if self.written > self.answered:
            return UNCONFIRMED
        return REFUSED if self.heard else UNREACHED


def send(job: dict, progress: _Progress) -> dict:
    import smtplib

    import apprise
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection

    url, message_id = job["url"], job["id"]
    answers = _Answers()
    logging.getLogger("apprise").addHandler(answers)
    logging.getLogger("apprise").setLevel(logging.INFO)
    sender = apprise.Apprise()
    if not sender.add(url):
        return {"ok": False, "outcome": UNREACHED,
                "answer": "Apprise cannot use this URL (unknown service or a bad part)"}
    service = sender[0]
    _limit_waits(service, url, job["connect"], job["answer"])
    headers = _id_headers(service, message_id)
    http_send, getresponse = HTTPAdapter.send, HTTPConnection.getresponse
    smtp_sendmail, smtp_data = smtplib.SMTP.sendmail, smtplib.SMTP.data

    def hear_http(self, request, **kwargs):
        request.headers.update(headers)
        response = http_send(self, request, **kwargs)
        progress.heard.append(f"HTTP {response.status_code} {_heard(response.text, url)}")
        return response

    def answered_http(self, *args, **kwargs):
        progress.wrote()  # urllib3 asks for the answer once the request is written whole
        response = getresponse(self, *args, **kwargs)
        progress.answered += 1
        return response

    def sendmail_with_id(self, from_addr, to_addrs, msg, *args, **kwargs):
        return smtp_sendmail(self, from_addr, to_addrs, _with_message_id(msg, message_id), *args, **kwargs)

    def hear_smtp(self, msg):
        def send_noting_the_end(data):
            type(self).send(self, data)
            if isinstance(data, bytes) and data.endswith(b"\r\n.\r\n"):
                progress.wrote()

        self.send = send_noting_the_end
        try:
            code, text = smtp_data(self, msg)
        finally:
            del self.send
        progress.answered += 1
        progress.heard.append(f"SMTP {code} {_heard(text.decode('utf-8', 'replace'), url)}")
        return code, text

    HTTPAdapter.send, HTTPConnection.getresponse = hear_http, answered_http
    smtplib.SMTP.sendmail, smtplib.SMTP.data = sendmail_with_id, hear_smtp
    ok = bool(sender.notify(title=job["title"], body=job["body"]))
    told = [line for line in answers.lines if not line.startswith("Notifying")]
    answer = "; ".join(progress.heard + [line for line in told if not ok or not progress.heard])
    return {"ok": ok, "outcome": progress.outcome(ok), "answer": answer or ("sent" if ok else "not sent")}


def _heard(answer: str, url: str) -> str:
    """The start of a server's answer, the URL's secrets removed before it is cut."""
    return scrub(answer.strip(), url)[:HEARD_CHARS]


def _limit_waits(service, url: str, connect: float, answer: float) -> None:
    """The daemon's limits, unless the URL sets Apprise's own (`cto`, `rto`). smtplib has
    one timeout for the connection and every reply, so e-mail gets the answer's."""
    given = parse_qs(urlsplit(url).query)
    if "cto" not in given:
        service.socket_connect_timeout = answer if _is_email(service) else min(connect, answer)
    if "rto" not in given:
        service.socket_read_timeout = answer


def _is_email(service) -> bool:
    return hasattr(service, "smtp_host")


def _protocols(service) -> set[str]:
    found: set[str] = set()
    for p in (getattr(service, "protocol", None), getattr(service, "secure_protocol", None)):
        found |= set(p) if isinstance(p, (tuple, list)) else {p}
    return found


def _id_headers(service, message_id: str) -> dict[str, str]:
    """Where an HTTP service takes an id: ntfy (2.16 and later) shows a message with the
    same X-Sequence-ID in place of the first; a webhook gets the IETF draft's
    Idempotency-Key, a structured-field string. E-mail gets its Message-ID instead."""
    protocols = _protocols(service)
    if protocols & {"ntfy", "ntfys"}:
        return {"X-Sequence-ID": message_id}
    if protocols & {"json", "jsons", "form", "forms", "xml", "xmls"}:
        return {"Idempotency-Key": f'"{message_id}"'}
    return {}


_MESSAGE_ID = re.compile(r"^Message-ID:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", re.IGNORECASE | re.MULTILINE)


def _with_message_id(msg, message_id: str):
    """The e-mail with our id as its Message-ID (a mail client shows one message per id)."""
    if not isinstance(msg, str):
        return msg
    end = re.search(r"\r?\n\r?\n", msg)
    head, rest = (msg[:end.start()], msg[end.start():]) if end else (msg, "")
    ours = f"Message-ID: <{message_id}@reminderd>"
    head, found = _MESSAGE_ID.subn(ours, head, count=1)
    newline = "\r\n" if "\r\n" in msg else "\n"
    return (head if found else f"{ours}{newline}{head}") + rest


def _die_with_parent(parent: int) -> None:
    """A daemon killed (kill -9, a crash) takes its sending child along, so a message is
    not sent behind the back of a log that will never hear of it (the next run repeats
    it, marked). Linux only; the signal follows the thread that started the child, which
    waits for it."""
    import ctypes
    import os
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


def unusable(urls: dict[str, str]) -> list[str]:
    """The keys (config paths) of the URLs Apprise cannot use: an unknown service or a
    missing part. Checked by `check-config`, in its own short-lived process."""
    import apprise

    logging.getLogger("apprise").setLevel(logging.CRITICAL)  # its warning would print the URL
    return [key for key, url in urls.items() if not apprise.Apprise().add(url)]


def main() -> None:
    job = json.load(sys.stdin)
    if job.get("parent"):
        _die_with_parent(job["parent"])
    progress = _Progress()
    try:
        result = send(job, progress)
    except Exception as err:  # reported to the parent, which logs and retries
        result = {"ok": False, "outcome": progress.outcome(False), "answer": f"{type(err).__name__}: {err}"}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
