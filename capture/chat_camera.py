"""Pictures of the conversation box as the picture pass scrolls it (chat.py).

Where the box is a rectangle inside the main frame's viewport and nothing is masked,
each picture is taken through our own DevTools session: the same Page.captureScreenshot
of the same clip that Playwright's page.screenshot(clip=...) sends, the same pixels,
without the four calls Playwright makes around it (its preparation in every frame, the
fonts, the layout metrics, the clean-up) and without the trace's DOM snapshots before
and after each of them. On a 400-message chat that was 48 pictures at about 70 ms each,
85 ms under load; ours take about 50, and 33 with the PNG encoded for speed
(`optimizeForSpeed`: the same lossless pixels, a file about a fifth larger; a segment
is about 60 KiB). That encoding was a quarter of each picture's time, on the chat's
critical path; the page tiles, megabytes each, stay Playwright's smaller encoding.

Chromium implements a clip by changing the page's device emulation for the shot and
then restoring the emulation *of the session that asked*. A session with none restores
none: the page then reports an 800x600 screen and a shorter window, and every later
picture of it is wrong (which is how a first try at this failed). So our session first
sets the very override Playwright set on its own (`metrics_override`), and is never
detached while the page lives: detaching a session clears the emulation it set, which
is Playwright's too. After each picture the pass measures the box again; should the
window not be the size the override says, the camera goes back to Playwright's way.

Everything else (a box in another frame, a box out of view, the page itself as the
conversation, masks, a mobile device) is Playwright's page or element screenshot.
"""

from __future__ import annotations

import base64
import math

from .record import MASK_COLOR


def metrics_override(emulation: dict | None) -> dict | None:
    """Playwright's Emulation.setDeviceMetricsOverride for a context opened with these
    new_context keywords (its Chromium page's _updateViewport), or None where the camera
    leaves pictures to Playwright: no fixed viewport, or a mobile or touch device, whose
    touch emulation Playwright restores around pictures itself."""
    if not emulation or emulation.get("is_mobile") or emulation.get("has_touch"):
        return None
    viewport = emulation.get("viewport")
    if not isinstance(viewport, dict) or not viewport.get("width") or not viewport.get("height"):
        return None
    screen = emulation.get("screen") or viewport
    return {
        "mobile": False,
        "width": viewport["width"],
        "height": viewport["height"],
        "screenWidth": screen["width"],
        "screenHeight": screen["height"],
        "deviceScaleFactor": emulation.get("device_scale_factor") or 1,
        "screenOrientation": {"angle": 0, "type": "landscapePrimary"},
    }


def trimmed(clip: dict, width: float, height: float) -> dict | None:
    """The clip cut to the viewport, as Playwright cuts it; None when nothing is left."""
    x1, y1 = max(0, min(clip["x"], width)), max(0, min(clip["y"], height))
    x2 = max(0, min(clip["x"] + clip["width"], width))
    y2 = max(0, min(clip["y"] + clip["height"], height))
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        return None
    return {"x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1}


class Camera:
    """Screenshots of the box (`chat._Container`) as it is scrolled."""

    def __init__(self, page, box, mask: list[str], override: dict | None, call_limit: float):
        self.page, self.box, self.call_limit = page, box, call_limit
        self.locators = [page.locator(m) for m in mask]
        self.override = override  # None: every picture is Playwright's
        self.emulating = False  # our session carries the override (and so stays attached)

    def how(self, step: dict) -> str:
        """ "document" (the viewport of the page or frame that is the chat), "element"
        (Playwright brings the box into view itself) or "clip" (the box's rectangle)."""
        if self.box.is_document:
            return "document"
        if (
            self.box.frame is not self.page.main_frame
            or not step["inView"]
            or step["rect"]["width"] < 1
        ):
            return "element"
        return "clip"

    def _own(self, step: dict) -> bool:
        return (self.override is not None and self.box.devtools is not None and not self.locators
                and self.how(step) == "clip")

    def intact(self, after: dict) -> bool:
        """Whether the window is still as the override made it, after a picture of ours;
        if not, later pictures are Playwright's (the caller takes this one again)."""
        if not self.emulating or self.override is None:
            return True
        same = (after.get("vh") == self.override["height"]
                and abs((after.get("dpr") or 1) - self.override["deviceScaleFactor"]) < 1e-6)
        if not same:
            self.override = None
        return same

    async def shoot(self, step: dict, clock) -> bytes:
        page, box, mask = self.page, self.box, self.locators
        timeout = max(1.0, min(self.call_limit, clock.left())) * 1000
        how = self.how(step)
        if how == "document":
            if box.frame is page.main_frame:
                return await page.screenshot(mask=mask, mask_color=MASK_COLOR, timeout=timeout)
            element = await box.frame.frame_element()
            return await element.screenshot(mask=mask, mask_color=MASK_COLOR, timeout=timeout)
        if how == "element":
            # Playwright scrolls it into view and handles boxes taller than the window.
            return await box.handle.screenshot(mask=mask, mask_color=MASK_COLOR, timeout=timeout)
        if self._own(step):
            png = await self._through_devtools(step["rect"])
            if png is not None:
                return png
        return await page.screenshot(
            clip=step["rect"], mask=mask, mask_color=MASK_COLOR, timeout=timeout, caret="initial"
        )

    async def _through_devtools(self, rect: dict) -> bytes | None:
        """What page.screenshot(clip=rect, caret="initial") sends (its Chromium
        takeScreenshot), through our session and encoded for speed; None for a clip
        outside the viewport, which Playwright refuses with its own error."""
        session, override = self.box.devtools, self.override
        view = trimmed(rect, override["width"], override["height"])
        if view is None:
            return None
        if not self.emulating:
            self.emulating = True  # before the call: even a failed one may have set it
            await session.send("Emulation.setDeviceMetricsOverride", override)
        metrics = (await session.send("Page.getLayoutMetrics"))["visualViewport"]
        scale = metrics["scale"]
        clip = {
            "x": metrics["pageX"] + view["x"],
            "y": metrics["pageY"] + view["y"],
            "width": math.floor(view["width"] / scale + 1e-3),
            "height": math.floor(view["height"] / scale + 1e-3),
            "scale": scale,
        }
        shot = await session.send("Page.captureScreenshot", {
            "format": "png", "clip": clip, "captureBeyondViewport": False, "optimizeForSpeed": True})
        return base64.b64decode(shot["data"])
