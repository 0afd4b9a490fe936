"""Send one message through one Apprise URL, as a short-lived child process.

Apprise and the libraries it loads weigh some 20 MB; imported here, they never stay in
the daemon's memory. Reads {"url", "title", "body"} as JSON on stdin (never the command
line, where other users could read the URL) and prints {"ok", "answer"} as JSON: what
the server answered, or why nothing was sent. The parent scrubs the URL out of it.
"""

from __future__ import annotations

import json
import logging
import sys


class _Answers(logging.Handler):
    """Apprise's own account of the send (Sent…, Failed…, the server's error)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def send(url: str, title: str, body: str) -> dict:
    import smtplib

    import apprise
    from requests.adapters import HTTPAdapter

    heard: list[str] = []
    # Wrapped to hear the server itself: Apprise logs only whether a send worked.
    http_send, smtp_data = HTTPAdapter.send, smtplib.SMTP.data

    def hear_http(self, request, **kwargs):
        response = http_send(self, request, **kwargs)
        heard.append(f"HTTP {response.status_code} {response.text.strip()[:300]}")
        return response

    def hear_smtp(self, msg):
        code, text = smtp_data(self, msg)
        heard.append(f"SMTP {code} {text.decode('utf-8', 'replace').strip()[:300]}")
        return code, text

    HTTPAdapter.send, smtplib.SMTP.data = hear_http, hear_smtp
    answers = _Answers()
    logging.getLogger("apprise").addHandler(answers)
    logging.getLogger("apprise").setLevel(logging.INFO)
    sender = apprise.Apprise()
    if not sender.add(url):
        return {"ok": False, "answer": "Apprise cannot use this URL (unknown service or a bad part)"}
    ok = bool(sender.notify(title=title, body=body))
    told = [line for line in answers.lines if not line.startswith("Notifying")]
    answer = "; ".join(heard + [line for line in told if not ok or not heard])
    return {"ok": ok, "answer": answer or ("sent" if ok else "not sent")}


def unusable(urls: dict[str, str]) -> list[str]:
    """The keys (config paths) of the URLs Apprise cannot use: an unknown service or a
    missing part. Checked by `check-config`, in its own short-lived process."""
    import apprise

    logging.getLogger("apprise").setLevel(logging.CRITICAL)  # its warning would print the URL
    return [key for key, url in urls.items() if not apprise.Apprise().add(url)]


def main() -> None:
    job = json.load(sys.stdin)
    try:
        result = send(job["url"], job["title"], job["body"])
    except Exception as err:  # reported to the parent, which logs and retries
        result = {"ok": False, "answer": f"{type(err).__name__}: {err}"}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
