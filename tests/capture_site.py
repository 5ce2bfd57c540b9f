"""A local site that misbehaves on purpose: redirects, errors, pages that never go
idle, a server that hangs, one that kills the browser. 127.0.0.1 only; every wait
is bounded."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .servers import SITES, QuietHandler

MAX_HOLD = 25.0
SET_COOKIE_SECRET = "SETCOOKIE-secret-9911-xyz"
BEARER_SECRET = "TOKEN-zq81-bearer-secret-77"


def chromium_descendants(root_pid: int) -> list[int]:
    """PIDs of Chromium processes below root_pid (the evidence process)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents[int(entry.name)] = ppid
        names[int(entry.name)] = name
    found = []
    for pid in parents:
        walk, depth = pid, 0
        while walk in parents and walk != root_pid and depth < 50:
            walk, depth = parents[walk], depth + 1
        if walk == root_pid and pid != root_pid and "chrom" in names[pid]:
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
