"""The tiles of a page taller than one picture can be (pages.py), one clip at a time.

Playwright's page.screenshot(clip=..., full_page=True) sends Chromium one
Page.captureScreenshot of the clip beyond the viewport, around preparation in every
frame (animations finished or stopped, the caret hidden, the fonts waited for) and with
the PNG encoded small. On the 30 000 px benchmark page that encoding was about 40 % of
the tiles' time. So where that preparation would change nothing (no animation, no
focused field, every font loaded, in every frame; nothing masked), a tile is the very
same call through our own DevTools session with the PNG encoded for speed: the same
lossless pixels, a file about 1.4x larger (4 tiles: 1.25 s to 0.75 s alone, 2.9 to 4.1
MB). Looked at before and after each picture; a page that started to move is pictured
Playwright's way from that tile on.

Chromium implements such a clip by changing the page's device emulation for the shot
and then restoring the emulation *of the session that asked*: a session with none
restores none, and the page is left at the window's 800x600 screen (a page styled by
`max-device-width` then came out in its small-screen colours). So our session first sets
the very override Playwright set (chat_camera.metrics_override), and is not detached
while the page lives (devtools.py `keep`). No fixed viewport or a mobile device: every
tile is Playwright's.
"""

from __future__ import annotations

import asyncio
import base64

from .chat_camera import metrics_override

CALL_LIMIT = 10.0  # seconds for one look into a frame
SHOT_LIMIT = 120.0  # seconds for one tile, as Playwright's path allows
# True where Playwright's preparation for a picture would change nothing in this frame.
_STILL_JS = """() => {
  let active = document.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
  const editing = !!active && (active.isContentEditable || active.tagName === "INPUT" || active.tagName === "TEXTAREA");
  return document.getAnimations().length === 0 && !editing && document.fonts.status === "loaded";
}"""


class TileCamera:
    """`await camera(clip)`: one tile's PNG. `emulating`: our session carries the
    override, so it must outlive the pictures (it ends with the page)."""

    def __init__(self, page, options: dict, front, devtools, emulation: dict | None):
        self.page, self.options, self.front, self.devtools = page, options, front, devtools
        own = devtools is not None and not options.get("mask")
        self.override = metrics_override(emulation) if own else None  # None: Playwright's way
        self.emulating = False
        self.ours = 0  # tiles taken through our session

    async def __call__(self, clip: dict) -> bytes:
        await self.front()
        if self.override is not None and await self._still():
            try:
                png = await self._through_devtools(clip)
            except Exception:  # whatever went wrong, Playwright's way still may not
                self.override = None
            else:
                if await self._still():
                    self.ours += 1
                    return png
        return await self.page.screenshot(clip=clip, full_page=True, timeout=SHOT_LIMIT * 1000, **self.options)

    async def _still(self) -> bool:
        """Nothing for Playwright to prepare, in any frame; once not, never again here."""
        for frame in self.page.frames:
            try:
                still = await asyncio.wait_for(frame.evaluate(_STILL_JS), CALL_LIMIT)
            except Exception:  # a frame that cannot be asked: Playwright's way
                still = False
            if still is not True:
                self.override = None
                return False
        return True

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
