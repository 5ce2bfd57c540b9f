"""Small HTTP servers on 127.0.0.1: the demo shop, the test sites and the benchmark's
pages all run on this one, so each is bounded the same way.

Bounds: the loopback address only, an ephemeral port unless one is asked for, daemon
threads (a held request never keeps the process alive), an idle-connection timeout
per request, an optional lifetime after which the server stops by itself, and
`stopping`, set before shutdown so handlers that hold a request can end it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

HOST = "127.0.0.1"
# A browser opens spare connections it may never use; each pins a thread until then.
REQUEST_TIMEOUT = 30
JOIN_TIMEOUT = 5.0


class QuietHandler(BaseHTTPRequestHandler):
    """No access log on stderr, and an idle connection is dropped after REQUEST_TIMEOUT."""

    timeout = REQUEST_TIMEOUT

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


class QuietFileHandler(QuietHandler, SimpleHTTPRequestHandler):
    """Files under `directory=`, quietly."""


class LocalServer(ThreadingHTTPServer):
    """`with LocalServer(handler) as server:` serves on 127.0.0.1 until the block ends
    (or `lifetime` seconds, if given, whichever comes first)."""

    daemon_threads = True
    # Port 0 is always fresh; a port asked for must not be shared with a lingering socket.
    allow_reuse_address = False
    request_queue_size = 64

    def __init__(self, handler, port: int = 0, lifetime: float | None = None, name: str = "local-server"):
        if not 0 <= port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if lifetime is not None and lifetime <= 0:
            raise ValueError("lifetime must be above 0 seconds")
        super().__init__((HOST, port), handler)
        self.stopping = threading.Event()
        self.lifetime = lifetime
        self.name = name
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self._stop_lock = threading.Lock()
        self._closed = False

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"

    def start(self) -> Self:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name=self.name, daemon=True
        )
        self._thread.start()
        if self.lifetime is not None:
            self._timer = threading.Timer(self.lifetime, self.stop)
            self._timer.daemon = True
            self._timer.start()
        return self

    def stop(self) -> None:
        """Release held requests, stop accepting, close the socket.

        Safe to call twice and from the lifetime timer: whoever comes second returns
        once the socket is closed."""
        with self._stop_lock:
            if self._closed:
                return
            self.stopping.set()
            if self._timer is not None and self._timer is not threading.current_thread():
                self._timer.cancel()
            if self._thread is not None:
                self.shutdown()  # waits for serve_forever, which only runs once started
                self._thread.join(JOIN_TIMEOUT)
            self.server_close()
            self._closed = True

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


@contextlib.contextmanager
def serve(handler, port: int = 0, lifetime: float | None = None) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 for the block; yields the base URL (no trailing /)."""
    with LocalServer(handler, port=port, lifetime=lifetime) as server:
        yield server.url
