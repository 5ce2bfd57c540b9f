"""Which of the session's tabs the browser draws at the display's rate.

All targets' tabs share one headless window, and only its tab in front is drawn at the
display's rate; a tab behind it gets about a frame a second. A site sees a scroll only
at a frame, so a chat behind another target's tab answered our scroll to the top of its
history up to a second late, the history took twice as long, and an end of history
taken after a quiet second could be false (measured: 240 of 400 messages, "reached the
start"). So a tab is brought to the front for the work that waits on its frames (the
chat's history, a page's pictures), only when another tab has come up since.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

BRING_LIMIT = 3.0  # seconds; a hung browser must not hang a capture


class FrontTab:
    """Shared by the targets of one session."""

    def __init__(self):
        self.front: object | None = None  # the page last brought to the front

    def opened(self) -> None:
        """A tab was opened: it comes up in front of the others."""
        self.front = None

    async def bring(self, page, bring: Callable[[], Awaitable]) -> None:
        """`bring` the page's tab to the front, unless it is there already."""
        if self.front is page:
            return
        if await _brought(bring):
            self.front = page


class EveryTime(FrontTab):
    """For a capture on its own (tests, one page): other tabs are not known, so the
    tab is brought to the front whenever asked."""

    async def bring(self, page, bring: Callable[[], Awaitable]) -> None:
        await _brought(bring)


async def _brought(bring: Callable[[], Awaitable]) -> bool:
    # Only a matter of speed: a tab that cannot be brought forward (closed, a browser
    # that does not answer) fails in the work that follows, with its own clear error.
    try:
        await asyncio.wait_for(bring(), BRING_LIMIT)
        return True
    except Exception:
        return False
