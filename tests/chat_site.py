"""The chat test site (lazy history endpoint with a delay, stalls) and a Recorder
for a chat capture: shared by tests/test_chat.py and bench/chat_bench.py, so no
pytest here."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from capture.bundle import BundleWriter
from capture.chat import capture_chat
from capture.manifest import Capture, utc_now
from capture.record import Recorder

from .servers import SITES, QuietHandler, serve

TOTAL = 400
ID = re.compile(r"#m(\d{4})")


class ChatSiteHandler(QuietHandler):
    """tests/sites plus /chat/history: the ids of older messages, after a delay.

    `stall_after=K` makes every history page after the K-th hang (bounded) and then
    drop the connection, like a dead back end.
    """

    release: threading.Event  # set when the server stops: ends stalled requests
    counter: dict

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path != "/chat/history":
            return super().do_GET()
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        before = int(query.get("before", 1))
        limit = min(int(query.get("limit", 30)), 200)
        page = int(query.get("page", 1))
        stall_after = int(query.get("stall_after", 0))
        with self.counter["lock"]:
            self.counter["history"] += 1
        if stall_after and page > stall_after:
            self.release.wait(30)
            self.close_connection = True
            return None
        time.sleep(min(int(query.get("delay", 0)), 5000) / 1000)
        ids = list(range(max(1, before - limit), before))
        body = json.dumps({"ids": ids}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the test closed its browser first
        return None


@contextlib.contextmanager
def chat_site():
    """(base URL of tests/sites/chat, counter of history requests served)."""
    release = threading.Event()
    counter = {"history": 0, "lock": threading.Lock()}
    handler = type("Handler", (ChatSiteHandler,), {"release": release, "counter": counter})
    try:
        with serve(partial(handler, directory=str(SITES))) as url:
            yield url + "/chat", counter
    finally:
        release.set()


def new_recorder(root: Path, url: str) -> Recorder:
    capture = Capture(index=3, kind="chat", requested_url=url, started_at=utc_now())
    return Recorder(capture, BundleWriter.create(root), "captures/03-chat")


async def run_chat(
    browser,
    url: str,
    root: Path,
    *,
    selector=None,
    max_scrolls=400,
    seconds=60.0,
    mask=(),
    after=None,
    emulation=None,
):
    """Open `url` in a fresh context (new_context keywords `emulation`, by default a
    1280x900 viewport, which the camera is told as a session tells it), capture its
    chat, then run `after(page)`."""
    rec = new_recorder(root, url)
    emulation = emulation or {"viewport": {"width": 1280, "height": 900}}
    context = await browser.new_context(**emulation)
    try:
        page = await context.new_page()
        await page.goto(url)
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + seconds
        await capture_chat(
            page,
            rec,
            selector=selector,
            max_scrolls=max_scrolls,
            deadline=deadline,
            mask=list(mask),
            emulation=emulation,
        )
        finished = loop.time()
        if after:
            await after(page)
    finally:
        await context.close()
    return rec, finished - start, deadline - finished


