"""Local HTTP servers for tests: 127.0.0.1 only, an ephemeral port, bounded lifetime."""

from __future__ import annotations

import contextlib
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITES = Path(__file__).resolve().parent / "sites"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


class BoundedServer(ThreadingHTTPServer):
    daemon_threads = True
    # A hanging test page must not keep the server (or pytest) alive forever.
    request_queue_size = 64


@contextlib.contextmanager
def serve(handler_class=None, directory: Path = SITES):
    """Serve `handler_class` (default: the files under tests/sites) on 127.0.0.1:0."""
    handler = handler_class or partial(QuietHandler, directory=str(directory))
    server = BoundedServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
