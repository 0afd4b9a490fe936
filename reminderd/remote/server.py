"""The page's HTTP server: cheroot (CherryPy's WSGI server) in threads of the daemon.

cheroot rather than waitress: it has TLS built in (the optional certificate and key),
and both limit header and body sizes and time slow clients out. Its limits are set here
so that a client on the network cannot hold the daemon's memory or threads for long.
"""

from __future__ import annotations

import logging
import ssl
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable

from reminderd.core.config.settings import Config, RemoteSettings
from reminderd.remote import page_url
from reminderd.remote.app import PageApp

log = logging.getLogger("reminderd")
THREADS = 4  # a phone or two; more would only be more for an attacker to hold
MAX_HEADER = 8 * 1024
MAX_BODY = 4 * 1024
TIMEOUT_S = 10  # a client silent this long is disconnected


class PageServer:
    def __init__(self, settings: RemoteSettings, app: PageApp) -> None:
        from cheroot import wsgi  # only in a daemon that serves the page

        self.settings = settings
        self.app = app
        self.server = wsgi.Server((settings.host, settings.port), app, numthreads=THREADS, max=THREADS,
                                  request_queue_size=16, timeout=TIMEOUT_S, shutdown_timeout=2,
                                  server_name="reminderd")
        self.server.max_request_header_size = MAX_HEADER
        self.server.max_request_body_size = MAX_BODY
        self.server.version = "reminderd"  # not the server's name and version
        if settings.https:
            from cheroot.ssl.builtin import BuiltinSSLAdapter

            adapter = BuiltinSSLAdapter(str(settings.certificate), str(settings.key))
            adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
            self.server.ssl_adapter = adapter
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.server.prepare()  # binds now, so a busy port is an error here, not in a thread
        self._thread = threading.Thread(target=self.server.serve, name="remote-page", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.stop()
        if self._thread is not None:
            self._thread.join(5)
        self.app.close()


def start_page(config: Config, db_path: Path, now: Callable[[], datetime],
               current_config: Callable[[], Config]) -> PageServer | None:
    """Serve the page if `[remote]` says so. A failure is logged, not raised: the
    reminders matter more than the page."""
    settings = config.remote
    if settings is None:
        return None
    where = f"{settings.host}:{settings.port}"
    try:
        server = PageServer(settings, PageApp(current_config, db_path, now, settings.https))
        server.start()
    except (OSError, ssl.SSLError, ValueError) as err:
        log.error("remote page: cannot serve on %s (%s); reminders go on without it", where, err)
        return None
    log.info("remote page: listening on %s (%s); open %s on a paired phone (`reminderd pair`)",
                where, "https" if settings.https else "http", page_url(config))
    return server
