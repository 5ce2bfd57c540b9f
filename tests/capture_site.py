"""A local site that misbehaves on purpose: redirects, errors, pages that never go
idle, a server that hangs, one that kills the browser. 127.0.0.1 only; every wait
is bounded."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from capture.browser import descendant_pids

from .servers import SITES, QuietHandler

MAX_HOLD = 25.0
SET_COOKIE_SECRET = "SETCOOKIE-secret-9911-xyz"
BEARER_SECRET = "TOKEN-zq81-bearer-secret-77"


def chromium_descendants(root_pid: int) -> list[int]:
    """PIDs of Chromium processes below root_pid (the evidence process)."""
    found = []
    for pid in descendant_pids(root_pid):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if "chrom" in name:
            found.append(pid)
    return found


class MisbehavingHandler(QuietHandler):
    kill_root_pid: int | None = None  # set by the test that wants the browser killed

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(SITES), **kwargs)

    def _send(self, status: int, body: bytes, ctype="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - stdlib naming
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/redirect-2")
            self.end_headers()
        elif url.path == "/redirect-2":
            self.send_response(301)
            self.send_header("Location", "/hello.html")
            self.end_headers()
        elif url.path == "/missing":
            self._send(404, "<!doctype html><meta charset=utf-8><title>404 页面不存在</title><h1>404 Not Found 页面不存在</h1>".encode())
        elif url.path == "/hold":
            seconds = min(float(query.get("seconds", ["5"])[0]), MAX_HOLD)
            time.sleep(seconds)
            self._send(200, b"{}", "application/json")
        elif url.path in ("/hang", "/slow"):
            time.sleep(MAX_HOLD)
            self._send(200, b"<title>finally</title>late")
        elif url.path == "/secret":
            body = (SITES / "capture" / "secret.html").read_bytes()
            self._send(200, body, headers=[("Set-Cookie", f"fresh={SET_COOKIE_SECRET}; Path=/; HttpOnly")])
        elif url.path == "/api/token":
            self._send(200, ('{"token": "%s"}' % BEARER_SECRET).encode(), "application/json")
        elif url.path == "/api/me":
            self._send(200, b'{"user": "buyer"}', "application/json")
        elif url.path == "/do-kill":
            root = type(self).kill_root_pid
            if root:
                type(self).kill_root_pid = None  # once: the relaunched browser must live
                for pid in chromium_descendants(root):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            self._send(200, b"", "image/gif")
        else:
            super().do_GET()
