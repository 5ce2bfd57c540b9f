"""A DevTools session of our own on one page, for what Playwright does not offer (layout
metrics, MHTML, cookies, untraced looks and pictures): opened boundedly, and detached
unless it must live as long as its page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

OPEN_LIMIT = 5.0  # seconds to open or detach; a hung browser must not hang a capture


@asynccontextmanager
async def devtools_session(page, *, optional: bool = False, keep=lambda: False) -> AsyncIterator:
    """The session; with `optional`, None when none can be had (not Chromium's protocol,
    a browser that does not answer) and the caller goes Playwright's own way. When
    `keep()` is true at the end, the session is left to end with its page: detaching a
    session that set an emulation clears the page's emulation (chat_camera.py)."""
    try:
        session = await asyncio.wait_for(page.context.new_cdp_session(page), OPEN_LIMIT)
    except Exception:
        if not optional:
            raise
        session = None
    try:
        yield session
    finally:
        if session is not None and not keep():
            try:
                await asyncio.wait_for(session.detach(), OPEN_LIMIT)
            except Exception:
                pass  # the page or browser is gone: so is the session
