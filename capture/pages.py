"""One page: load, settle, act, then screenshot (whole or tiled), DOM, MHTML, text,
and where it came from. Each step records itself and may fail without ending the
capture (a half-captured page is still evidence)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from .manifest import Response, Tls
from .plan import Target
from .record import MASK_COLOR, Recorder

# GPU-backed Chromium repeats content beyond its 16 384 px texture limit; the software
# rasteriser of headless Chromium 156 paints 1280 px wide pages whole only up to about
# 86 600 px and leaves the rest white. Above the lower bound we tile, always.
SINGLE_SHOT_MAX = 16_384
TILE_HEIGHT = 8_192
SETTLE_QUIET = 0.5  # seconds without network traffic that count as "settled"
SETTLE_CAP = 3.0  # never wait longer than this for quiet: chats long-poll forever
LAZY_SCROLL_MAX_STEPS = 200

LOGIN_HINTS = ("login", "signin", "sign-in", "logon", "passport", "auth", "sso")


@dataclass
class PageOptions:
    timeout: float
    max_chat_scrolls: int
    chat_selector: str | None = None
    profile: str | None = None  # name of the login profile, for expiry warnings
    login_used: bool = False


class NetworkWatch:
    """Watches requests so we can wait for a quiet network, boundedly.

    A request open for longer than LONG_LIVED is a long-poll or a stream: it may never
    end, so it does not keep the page from counting as settled (like networkidle2)."""

    LONG_LIVED = 1.0

    def __init__(self, page):
        self.loop = asyncio.get_running_loop()
        self.open: dict[object, float] = {}
        self.last_change = self.loop.time()
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, request):
        self.open[request] = self.last_change = self.loop.time()

    def _end(self, request):
        self.open.pop(request, None)
        self.last_change = self.loop.time()

    def _quiet(self, now: float) -> tuple[bool, int]:
        lingering = sum(1 for began in self.open.values() if now - began >= self.LONG_LIVED)
        return (now - self.last_change >= SETTLE_QUIET and lingering == len(self.open)), lingering

    async def settle(self, rec: Recorder, deadline: float, cap: float = SETTLE_CAP) -> None:
        start = self.loop.time()
        stop = min(deadline, start + cap)
        while self.loop.time() < stop:
            now = self.loop.time()
            quiet, lingering = self._quiet(now)
            if quiet:
                extra = (f"; {lingering} long-lived request(s) still open (e.g. long-polling), "
                         "not waited for") if lingering else ""
                rec.action("settle", f"network quiet for {SETTLE_QUIET} s after {now - start:.1f} s{extra}")
                return
            await asyncio.sleep(0.05)
        rec.action(
            "settle",
            f"network still busy after {self.loop.time() - start:.1f} s ({len(self.open)} requests "
            "open); continued without waiting further",
        )


def _remaining_ms(deadline: float, share: float = 1.0, floor: float = 0.5) -> float:
    left = deadline - asyncio.get_running_loop().time()
    return max(floor, left * share) * 1000


async def _provenance(response, rec: Recorder) -> Response:
    result = Response(status=response.status, status_text=response.status_text or None)
    try:
        addr = await response.server_addr()
        if addr:
            result.server_ip = addr.get("ipAddress")
            result.server_port = addr.get("port")
    except Exception as exc:  # provenance is best effort; the page is still evidence
        rec.warn(f"server address not available: {exc}")
    try:
        headers = await response.all_headers()
        result.server_date = headers.get("date")
    except Exception:
        result.server_date = response.headers.get("date")
    try:
        details = await response.security_details()
    except Exception:
        details = None
    if details:
        def when(value):
            return datetime.fromtimestamp(value, timezone.utc) if value else None

        result.tls = Tls(
            protocol=details.get("protocol"),
            subject=details.get("subjectName"),
            issuer=details.get("issuer"),
            valid_from=when(details.get("validFrom")),
            valid_to=when(details.get("validTo")),
        )
    return result


async def _record_redirects(response, rec: Recorder) -> None:
    hops = []
    request = response.request.redirected_from
    while request is not None and len(hops) < 50:
        hops.append(request)
        request = request.redirected_from
    for request in reversed(hops):
        earlier = await request.response()
        status = earlier.status if earlier else "?"
        target = request.redirected_to.url if request.redirected_to else "?"
        rec.action("redirect", f"{status} {request.url} -> {target}")


async def load(page, target: Target, rec: Recorder, watch: NetworkWatch, deadline: float):
    """Navigate; returns the main response or None. Raises only when nothing loaded."""
    rec.action("load", f"goto {target.url}")
    response = await page.goto(target.url, wait_until="commit", timeout=_remaining_ms(deadline, 0.8))
    try:
        await page.wait_for_load_state("load", timeout=_remaining_ms(deadline, 0.5))
        rec.action("wait", "load event fired")
    except Exception:
        rec.action("wait", "load event did not fire in time; captured as it is", outcome="warning")
        rec.warn("the page did not finish loading within its time limit; captured as it was")
    await watch.settle(rec, deadline)
    return response


async def perform_actions(page, target: Target, rec: Recorder, watch: NetworkWatch, deadline: float):
    if target.wait_for:
        try:
            await page.wait_for_selector(target.wait_for, timeout=_remaining_ms(deadline, 0.3))
            rec.action("wait_for", "element appeared", selector=target.wait_for)
        except Exception:
            rec.action("wait_for", "element did not appear", selector=target.wait_for, outcome="warning")
            rec.warn(f"wait_for: nothing matched {target.wait_for!r} in time")
    for selector in target.click:
        locator = page.locator(selector)
        try:
            count = await locator.count()
        except Exception as exc:
            count, error = 0, str(exc).splitlines()[0]
        else:
            error = ""
        if count == 0:
            rec.action("click", error or "nothing matched", selector=selector, outcome="warning")
            rec.warn(f"click: nothing matched {selector!r}" + (f" ({error})" if error else ""))
            continue
        try:
            await locator.first.click(timeout=_remaining_ms(deadline, 0.2))
            rec.action("click", f"clicked the first of {count} match(es)", selector=selector)
        except Exception as exc:
            rec.action("click", str(exc).splitlines()[0], selector=selector, outcome="warning")
            rec.warn(f"click on {selector!r} failed")
            continue
        await watch.settle(rec, deadline, cap=1.5)
    if target.javascript:
        rec.capture.modified_by_script = True
        try:
            await page.evaluate(target.javascript)
            rec.action("javascript", target.javascript[:500])
        except Exception as exc:
            rec.action("javascript", str(exc).splitlines()[0], outcome="warning")
            rec.warn("the plan's javascript failed")


async def scroll_for_lazy_content(page, rec: Recorder, deadline: float) -> None:
    """Scroll through the page once so lazy images load, then back to the top."""
    steps = await page.evaluate(
        """async (maxSteps) => {
            const step = Math.max(200, window.innerHeight);
            let y = 0, n = 0;
            while (n < maxSteps && y < document.documentElement.scrollHeight) {
                window.scrollTo(0, y); n++; y += step;
                await new Promise(r => requestAnimationFrame(r));
            }
            window.scrollTo(0, 0);
            return n;
        }""",
        LAZY_SCROLL_MAX_STEPS,
    )
    try:
        await page.wait_for_function(
            "Array.from(document.images).every(i => i.complete)",
            timeout=min(2000, _remaining_ms(deadline, 0.2)),
        )
        images = "images loaded"
    except Exception:
        images = "some images still loading"
    rec.action("scroll", f"scrolled the page in {steps} steps for lazy content, back to top; {images}")


async def mask_locators(page, selectors: list[str], rec: Recorder):
    """Locators to black out in every image; what was masked goes on the record."""
    locators = []
    for selector in selectors:
        locator = page.locator(selector)
        try:
            boxes = [await locator.nth(i).bounding_box() for i in range(min(await locator.count(), 50))]
        except Exception as exc:
            rec.action("mask", str(exc).splitlines()[0], selector=selector, outcome="warning")
            rec.warn(f"mask: invalid selector {selector!r}")
            continue
        boxes = [b for b in boxes if b]
        if not boxes:
            rec.action("mask", "nothing matched", selector=selector, outcome="warning")
            rec.warn(f"mask: nothing matched {selector!r}")
            continue
        regions = "; ".join(
            f"x={b['x']:.0f} y={b['y']:.0f} w={b['width']:.0f} h={b['height']:.0f}" for b in boxes
        )
        rec.action("mask", f"blacked out {len(boxes)} region(s): {regions}", selector=selector)
        locators.append(locator)
    return locators


async def screenshot(page, rec: Recorder, full_page: bool, masks) -> None:
    height = await page.evaluate(
        "Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)"
    )
    width = await page.evaluate("document.documentElement.clientWidth || window.innerWidth")
    rec.capture.page_height = height
    options = {"mask": masks, "mask_color": MASK_COLOR, "animations": "disabled", "timeout": 120_000}
    if not full_page or height <= SINGLE_SHOT_MAX:
        data = await page.screenshot(full_page=full_page, **options)
        rec.write("screenshot.png", data, "screenshot", "image/png")
        rec.action("screenshot", f"{'full page' if full_page else 'first screen'}, {height} px tall")
        return
    count = 0
    shoot = await _tile_camera(page, masks, options)
    for number, top in enumerate(range(0, height, TILE_HEIGHT), 1):
        tile = min(TILE_HEIGHT, height - top)
        data = await shoot({"x": 0, "y": top, "width": width, "height": tile})
        rec.write(f"screenshot-{number:03d}.png", data, "screenshot_tile", "image/png",
                  offset_y=top, height=tile)
        count = number
    rec.action("screenshot", f"page is {height} px tall (over {SINGLE_SHOT_MAX}): {count} tiles of up to {TILE_HEIGHT} px")


async def _tile_camera(page, masks, options):
    """How to take one tile. Without masks, one DevTools session and Chromium's fast
    PNG encoder (about a third quicker per tile than Playwright's clip path, though
    CSS animations are not frozen on it); with masks, Playwright, which paints them."""
    if masks:
        async def playwright_tile(clip):
            return await page.screenshot(clip=clip, full_page=True, **options)

        return playwright_tile
    cdp = await page.context.new_cdp_session(page)

    async def devtools_tile(clip):
        shot = await cdp.send("Page.captureScreenshot", {
            "format": "png", "clip": {**clip, "scale": 1},
            "captureBeyondViewport": True, "optimizeForSpeed": True,
        })
        return base64.b64decode(shot["data"])

    return devtools_tile


async def snapshots(page, context, rec: Recorder) -> None:
    """DOM, MHTML and visible text of the page as it is now (after our actions)."""
    try:
        rec.write("page.html", (await page.content()).encode("utf-8"), "dom", "text/html; charset=utf-8")
    except Exception as exc:
        rec.warn(f"DOM snapshot failed: {str(exc).splitlines()[0]}")
    try:
        cdp = await context.new_cdp_session(page)
        try:
            snap = await cdp.send("Page.captureSnapshot", {"format": "mhtml"})
        finally:
            await cdp.detach()
        rec.write("page.mhtml", snap["data"].encode("utf-8"), "mhtml", "multipart/related")
    except Exception as exc:
        rec.warn(f"MHTML archive failed: {str(exc).splitlines()[0]}")
    try:
        text = await page.evaluate("document.body ? document.body.innerText : ''")
        rec.write("text.txt", text.encode("utf-8"), "text", "text/plain; charset=utf-8")
    except Exception as exc:
        rec.warn(f"text extraction failed: {str(exc).splitlines()[0]}")


def _looks_like_login(url: str, status: int | None) -> bool:
    if status == 401:
        return True
    path = urlsplit(url).path.lower()
    for segment in path.split("/"):
        stem = segment.split(".", 1)[0]
        if stem in LOGIN_HINTS or stem.startswith(("login", "signin")):
            return True
    return False


async def capture_target(context, target: Target, rec: Recorder, options: PageOptions) -> None:
    """Everything for one target; raises only for a dead browser (the session relaunches)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (target.timeout or options.timeout)
    page = await context.new_page()
    crashed = []
    page.on("crash", lambda _page: crashed.append(True))
    watch = NetworkWatch(page)
    capture = rec.capture
    try:
        try:
            response = await load(page, target, rec, watch, deadline)
        except Exception as exc:
            message = str(exc).splitlines()[0]
            capture.error = f"could not load the page: {message}"
            rec.action("load", message, outcome="failed")
            if "Target page, context or browser has been closed" in message or crashed:
                raise
            # Chromium shows its own error page; a picture of it is part of the record.
            await _error_page_picture(page, rec)
            return
        capture.final_url = page.url
        if response is not None:
            await _record_redirects(response, rec)
            capture.response = await _provenance(response, rec)
            if response.status >= 400:
                rec.warn(f"the server answered HTTP {response.status} {response.status_text}".rstrip())
        try:
            capture.title = await page.title()
        except Exception:
            pass
        status = response.status if response else None
        if _looks_like_login(page.url, status) and not _looks_like_login(target.url, None):
            if options.login_used:
                name = f"profile {options.profile!r}" if options.profile else "the storage state"
                rec.warn(
                    f"this looks like a login page, not the page asked for: the login session "
                    f"({name}) may have expired; refresh it with: evidence login {target.url} "
                    f"--profile {options.profile or 'NAME'}"
                )
            else:
                rec.warn(
                    "this looks like a login page, not the page asked for: log in first with "
                    f"`evidence login {target.url} --profile NAME`, then capture with --profile NAME"
                )
        await perform_actions(page, target, rec, watch, deadline)
        try:
            capture.title = await page.title()  # as captured, after our actions
        except Exception:
            pass
        if target.full_page:
            await scroll_for_lazy_content(page, rec, deadline)
        masks = await mask_locators(page, target.mask, rec)
        if target.kind == "chat":
            from .chat import capture_chat

            await capture_chat(
                page,
                rec,
                selector=target.chat_selector or options.chat_selector,
                max_scrolls=target.max_chat_scrolls or options.max_chat_scrolls,
                deadline=deadline,
                mask=target.mask,
            )
        await screenshot(page, rec, target.full_page, masks)
        await snapshots(page, context, rec)
        if crashed:
            capture.error = capture.error or "the browser tab crashed during capture"
    finally:
        try:
            await page.close()
        except Exception:
            pass


async def _error_page_picture(page, rec: Recorder) -> None:
    try:
        data = await page.screenshot(timeout=10_000)
        rec.write("screenshot.png", data, "screenshot", "image/png")
        rec.action("screenshot", "the browser's error page")
    except Exception:
        pass
