"""The tiles of a page taller than one picture can be (pages.py), one clip at a time.

Playwright's page.screenshot(clip=..., full_page=True) sends Chromium one
Page.captureScreenshot of the clip beyond the viewport, around preparation in every
frame (animations finished or stopped, in the document and its shadow roots; the caret
hidden; the fonts waited for) and with the PNG encoded small. On the 30 000 px benchmark
page that encoding was about 40 % of the tiles' time. So where that preparation would
change nothing (no animation in any document or open shadow root, no focused field,
every font loaded, in every frame; nothing masked; the page still as tall as the clip),
a tile is the very same call through our own DevTools session with the PNG encoded for
speed: the same lossless pixels, a file about 1.4x larger (4 tiles: 1.25 s to 0.75 s
alone, 2.9 to 4.1 MB). The frames are looked at before and after each picture, in a
world of our own in each (as Playwright's preparation runs in its own), so the page's
scripts cannot answer for them; a frame that cannot be looked at so (another process's,
one still loading), or a page that started to move, is pictured Playwright's way from
that tile on.

Chromium implements such a clip by changing the page's device emulation for the shot
and then restoring the emulation *of the session that asked*: a session with none
restores none, and the page is left at the window's 800x600 screen (a page styled by
`max-device-width` then came out in its small-screen colours). So our session first sets
the very override Playwright set (chat_camera.metrics_override), and is not detached
while the page lives (devtools.py `keep`). No fixed viewport, or a mobile or touch
device: every tile is Playwright's.
"""

from __future__ import annotations

import asyncio
import base64
import math

from .chat_camera import metrics_override
from .scripts import script

LOOK_LIMIT = 2.0  # seconds for the look into every frame; past it, Playwright's way
CALL_LIMIT = 10.0  # seconds for one call of ours that sets up or measures
SHOT_LIMIT = 120.0  # seconds for one tile, as Playwright's path allows
_WORLD = "evidence-capture-tiles"


class TileCamera:
    """`await camera(clip)`: one tile's PNG. `emulating`: our session carries the
    override, so it must outlive the pictures (it ends with the page)."""

    def __init__(self, page, options: dict, front, devtools, emulation: dict | None):
        self.page, self.options, self.front, self.devtools = page, options, front, devtools
        own = devtools is not None and not options.get("mask")
        self.override = metrics_override(emulation) if own else None  # None: Playwright's way
        self.emulating = False
        self.worlds: dict[str, int] = {}  # frame id -> our world's execution context in it
        self.ours = 0  # tiles taken through our session

    async def __call__(self, clip: dict) -> bytes:
        await self.front()
        if self.override is not None:
            try:
                if await self._still() and await self._fits(clip):
                    png = await self._through_devtools(clip)
                    if await self._still():
                        self.ours += 1
                        return png
            except Exception:  # whatever went wrong here, Playwright's way still may not
                pass
            self.override = None
        return await self.page.screenshot(clip=clip, full_page=True, timeout=SHOT_LIMIT * 1000, **self.options)

    async def _still(self) -> bool:
        """Nothing for Playwright to prepare, in any frame (looked at all at once)."""
        tree = await asyncio.wait_for(self.devtools.send("Page.getFrameTree"), CALL_LIMIT)
        frames, todo = [], [tree["frameTree"]]
        while todo:
            node = todo.pop()
            frames.append(node["frame"]["id"])
            todo.extend(node.get("childFrames", ()))
        answers = await asyncio.wait_for(asyncio.gather(*(self._look(frame) for frame in frames)), LOOK_LIMIT)
        return all(answer is True for answer in answers)

    async def _look(self, frame: str):
        if frame not in self.worlds:
            made = await self.devtools.send("Page.createIsolatedWorld", {"frameId": frame, "worldName": _WORLD})
            self.worlds[frame] = made["executionContextId"]
        reply = await self.devtools.send("Runtime.evaluate", {
            "expression": script("tile_still"), "contextId": self.worlds[frame], "returnByValue": True})
        return None if "exceptionDetails" in reply else reply.get("result", {}).get("value")

    async def _fits(self, clip: dict) -> bool:
        """Whether the page is still as tall as the clip: Playwright cuts a clip to the
        page as it is at the picture (so a page that shrank is left to it)."""
        metrics = await asyncio.wait_for(self.devtools.send("Page.getLayoutMetrics"), CALL_LIMIT)
        return math.ceil(metrics["cssContentSize"]["height"]) >= clip["y"] + clip["height"]

    async def _through_devtools(self, clip: dict) -> bytes:
        """What Playwright's Chromium takeScreenshot sends for a full-page clip, encoded
        for speed."""
        if not self.emulating:
            self.emulating = True  # before the call: even a failed one may have set it
            await asyncio.wait_for(self.devtools.send("Emulation.setDeviceMetricsOverride", self.override),
                                   CALL_LIMIT)
        shot = await asyncio.wait_for(self.devtools.send("Page.captureScreenshot", {
            "format": "png", "clip": {**clip, "scale": 1}, "captureBeyondViewport": True,
            "optimizeForSpeed": True}), SHOT_LIMIT)
        return base64.b64decode(shot["data"])
