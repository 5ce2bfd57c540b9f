"""One page: load, settle, act, then screenshot (whole or tiled), DOM, MHTML, text,
and where it came from. Each step records itself and may fail without ending the
capture (a half-captured page is still evidence)."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

from . import coverage
from .coverage import MAX_PICTURED_HEIGHT
from .devtools import devtools_session
from .errors import first_line
from .lazy import scroll_for_lazy_content
from .manifest import Response, Tls
from .messages import t
from .phases import OFF, Laps
from .plan import Target
from .progress import Ticker
from .record import MASK_COLOR, Recorder
from .scripts import script
from .tabs import EveryTime, FrontTab
from .tile_camera import TileCamera

# GPU-backed Chromium repeats content beyond its 16 384 px texture limit; the software
# rasteriser of headless Chromium 156 paints 1280 px wide pages whole only up to about
# 86 600 px and leaves the rest white. Above the lower bound we tile, always.
SINGLE_SHOT_MAX = 16_384
TILE_HEIGHT = 8_192
HEIGHT_SLACK = 2  # px between what a page reports and what is laid out: sub-pixel rounding
CALL_LIMIT = 10.0  # one question to a page that may be hostile or hung
SHOT_FLOOR = 30.0  # seconds the page's picture may take even past the deadline: it is the evidence
TILE_FLOOR = 10.0  # the same for one tile; only the first is taken past the deadline
SNAPSHOT_RESERVE = 2.0  # seconds kept after the tiles for the DOM, MHTML and text
ERROR_SHOT_FLOOR = 5.0  # seconds each try at the error page's picture may take, deadline or not
ERROR_SHOT_TRIES = 6
_CLAIMED_HEIGHT_JS = (
    "Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)"
)
# Seconds without network traffic that count as "settled". Short: a page that renders
# late is waited for by settle_content (DOM changes, loading indicators), not by this.
SETTLE_QUIET = 0.25
SETTLE_CAP = 3.0  # never wait longer than this for quiet: chats long-poll forever
DOM_QUIET = 0.3  # seconds without a change to the document that count as "content settled"
CONTENT_CAP = 10.0  # seconds at most for a loading indicator to go away
DOM_BUSY_CAP = 2.0  # seconds at most for a document that keeps changing (tickers, live chats)
CONTENT_POLL = 0.1

# Words of the pages shops show robots instead of their content.
BOT_BLOCK_WORDS = re.compile(
    r"机器人|验证码|人机验证|滑动验证|安全验证|访问过于频繁|captcha|are you a robot|not a robot"
    r"|access denied|unusual traffic|verify you are human",
    re.IGNORECASE,
)
BOT_PAGE_MAX_TEXT = 2_000  # characters: longer pages are content that merely mentions a word
_BODY_TEXT_JS = "document.body ? document.body.innerText.slice(0, 4000) : ''"
LOGIN_HINTS = ("login", "signin", "sign-in", "logon", "passport", "auth", "sso")


@dataclass
class PageOptions:
    timeout: float
    max_chat_scrolls: int
    chat_selector: str | None = None
    profile: str | None = None  # name of the login profile, for expiry warnings
    login_used: bool = False
    secrets: object | None = None  # the session's redact.Secrets, shared by its pages
    max_pictured_height: int = MAX_PICTURED_HEIGHT  # CSS px of pictures per capture
    laps: Laps = field(default_factory=lambda: OFF.laps(""))  # the benchmark's phase timer
    status: Callable[[str], None] | None = None  # progress of long work (progress.Ticker)
    tabs: FrontTab = field(default_factory=EveryTime)  # shared by the session's targets
    emulation: dict | None = None  # the context's viewport, screen and device (browserpool)
    # The session's share of the machine for a target's pictures and everything after its
    # load (session.py): a page loads and settles while others are pictured, then waits
    # for this. None: no wait.
    turn: asyncio.Semaphore | None = None


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
            # Whatever a (possibly remote) browser reports: an absurd date is a warning,
            # never the loss of the whole provenance record.
            if value is None:
                return None
            try:
                return datetime.fromtimestamp(value, timezone.utc)
            except (OverflowError, OSError, ValueError, TypeError):
                rec.warn(f"TLS certificate date not representable: {value!r}")
                return None

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


async def load(page, target: Target, rec: Recorder, watch: NetworkWatch, deadline: float,
               laps: Laps | None = None):
    """Navigate; returns the main response or None. Raises only when nothing loaded."""
    laps = laps or OFF.laps("")
    rec.action("load", f"goto {target.url}")
    response = await page.goto(target.url, wait_until="commit", timeout=_remaining_ms(deadline, 0.8))
    try:
        await page.wait_for_load_state("load", timeout=_remaining_ms(deadline, 0.5))
        rec.action("wait", "load event fired")
    except Exception:
        rec.action("wait", "load event did not fire in time; captured as it is", outcome="warning")
        rec.warn("the page did not finish loading within its time limit; captured as it was")
    laps("load")
    await watch.settle(rec, deadline)
    laps("settle_network")
    await settle_content(page, rec, deadline)
    laps("settle_content")
    return response


async def _content_state(page) -> dict | None:
    try:
        state = await asyncio.wait_for(page.evaluate(script("page_settle_state")), CALL_LIMIT)
    except Exception:
        return None
    return state if isinstance(state, dict) else None


CHANGING = "the document was still changing"


def _content_busy(state: dict) -> str | None:
    """Why the content is not settled yet, or None."""
    if isinstance(state.get("loader"), str):
        return f"loading indicator visible ({state['loader']})"
    quiet = state.get("quiet")
    if isinstance(quiet, (int, float)) and quiet < DOM_QUIET * 1000:
        return CHANGING
    return None


async def settle_content(page, rec: Recorder, deadline: float) -> None:
    """Wait, boundedly, until the document stops changing and no loading indicator shows:
    a single-page app renders after the network is quiet. A stable page costs one look."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    stop = min(deadline - SNAPSHOT_RESERVE, start + CONTENT_CAP)
    reasons: list[str] = []
    changing_since = None  # a document that only keeps changing is waited for less long
    while True:
        state = await _content_state(page)
        if state is None:
            rec.action("settle", "content could not be checked (the page did not answer)", outcome="warning")
            return
        waited = loop.time() - start
        busy = _content_busy(state)
        changing_since = (changing_since or loop.time()) if busy == CHANGING else None
        if changing_since is not None and loop.time() - changing_since >= DOM_BUSY_CAP:
            # A live page (ticker, chat) never stops; a loading indicator promises an end.
            rec.action("settle", f"content still changing after {waited:.2f} s (a live page?); "
                       "not waited for further")
            return
        if busy is None:
            how = f"; waited while: {'; then '.join(reasons)}" if reasons else ""
            rec.action("settle", f"content settled after {waited:.2f} s{how}")
            return
        if not reasons or reasons[-1] != busy:
            reasons.append(busy)
        if loop.time() >= stop:
            rec.action("settle", f"content not settled after {waited:.2f} s: {busy}; captured as it was",
                       outcome="warning")
            if state.get("loader"):
                rec.warn(f"a loading indicator was still visible when the page was captured: {state['loader']}")
            return
        await asyncio.sleep(CONTENT_POLL)


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
            count, error = 0, first_line(exc)
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
            rec.action("click", first_line(exc), selector=selector, outcome="warning")
            rec.warn(f"click on {selector!r} failed")
            continue
        await watch.settle(rec, deadline, cap=1.5)
    if target.javascript:
        rec.capture.modified_by_script = True
        try:
            await page.evaluate(target.javascript)
            rec.action("javascript", target.javascript[:500])
        except Exception as exc:
            rec.action("javascript", first_line(exc), outcome="warning")
            rec.warn("the plan's javascript failed")


async def mask_locators(page, selectors: list[str], rec: Recorder):
    """Locators to black out in every image; what was masked goes on the record."""
    locators = []
    for selector in selectors:
        locator = page.locator(selector)
        try:
            boxes = [await locator.nth(i).bounding_box() for i in range(min(await locator.count(), 50))]
        except Exception as exc:
            rec.action("mask", first_line(exc), selector=selector, outcome="warning")
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


async def _page_size(page, cdp) -> tuple[int | None, int | None, int]:
    """(height the page's script reports, height Chromium laid out, width to picture).

    A script can make scrollHeight say anything (2e9 px); the layout metrics come from
    the browser and bound what a picture can show."""
    claimed = None
    try:
        claimed = _as_px(await asyncio.wait_for(page.evaluate(_CLAIMED_HEIGHT_JS), CALL_LIMIT))
    except Exception:  # a hostile getter may throw or never return
        pass
    rendered, width = None, None
    if cdp is not None:
        try:
            metrics = await asyncio.wait_for(cdp.send("Page.getLayoutMetrics"), CALL_LIMIT)
            rendered = _as_px(math.ceil(metrics["cssContentSize"]["height"]))
            width = _as_px(metrics["cssLayoutViewport"]["clientWidth"])
        except Exception:
            pass
    if width is None:
        viewport = page.viewport_size or {"width": 1280}
        width = viewport["width"]
    return claimed, rendered, width


def _as_px(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return max(0, int(value))


async def screenshot(page, rec: Recorder, full_page: bool, masks, deadline: float,
                     max_height: int = MAX_PICTURED_HEIGHT, status=None, front=None,
                     emulation: dict | None = None) -> None:
    """`front()` brings the page's tab to the front (tabs.py), before the picture and
    before each tile: a tab opened meanwhile (the report's converter) comes up in front.
    `emulation`: the context's viewport and device, which a tile taken through our own
    session must keep (tile_camera.py)."""
    front = front or _nothing
    await front()
    camera = None
    # Layout metrics, and the tiles where tile_camera.py may take them; kept with the
    # page once it carries an emulation.
    async with devtools_session(page, optional=True, keep=lambda: camera is not None and camera.emulating) as cdp:
        claimed, rendered, width = await _page_size(page, cdp)
        height = rendered if rendered is not None else (claimed or 0)
        rec.capture.page_height = height
        told = _height_claim(claimed, height) if full_page else ""
        options = {"mask": masks, "mask_color": MASK_COLOR, "animations": "disabled"}
        if not full_page or height <= SINGLE_SHOT_MAX:
            data = await page.screenshot(full_page=full_page, timeout=_remaining_ms(deadline, floor=SHOT_FLOOR),
                                         **options)
            rec.write("screenshot.png", data, "screenshot", "image/png")
            what = "full page" if full_page else "first screen"
            rec.action("screenshot", f"{what}, {height} px tall{told}", outcome="warning" if told else "ok")
        else:
            camera = TileCamera(page, options, front, cdp, emulation)
            await _tiles(page, rec, camera, width, height, deadline, max_height, told, Ticker(status))
        if told:
            rec.warn(f"the page reports {coverage.px(claimed)} px of height, but the browser "
                     f"laid out {coverage.px(height)} px: "
                     + coverage.statement(coverage.TILES, height, claimed) + " (all that it renders)")
    coverage.check(rec, coverage.TILES, rec.capture.page_height)


_BOX_GEOMETRY_JS = "(el) => [el.scrollTop, el.scrollHeight, el.clientHeight]"
_BOX_SCROLL_JS = "(el, y) => { el.scrollTop = y; return el.scrollTop; }"


async def _inner_box(page):
    """The page's main inner scrolling box, as an element handle, or None."""
    try:
        handle = await asyncio.wait_for(page.evaluate_handle(script("page_inner_box")), CALL_LIMIT)
    except Exception:
        return None
    return handle.as_element()


async def picture_inner_box(page, rec: Recorder, masks, deadline: float,
                            max_height: int = MAX_PICTURED_HEIGHT) -> None:
    """A page whose content lives in a scrolling box of its own (a description, an order
    list) shows only the box's first window in the page's picture: picture the rest as
    segments, window after window, while the time allows."""
    box = await _inner_box(page)
    if box is None:
        return
    loop = asyncio.get_running_loop()
    total = window = top = number = 0
    stop = None
    try:
        original, total, window = (int(v) for v in await box.evaluate(_BOX_GEOMETRY_JS))
        while top < min(total, max_height):
            if number and loop.time() + SNAPSHOT_RESERVE > deadline:
                stop = "the time limit"
                break
            shown = int(await box.evaluate(_BOX_SCROLL_JS, top))
            data = await box.screenshot(mask=masks, mask_color=MASK_COLOR, animations="disabled",
                                        timeout=_remaining_ms(deadline, floor=TILE_FLOOR))
            number += 1
            rec.write(f"box-{number:03d}.png", data, "box_segment", "image/png",
                      scroll_top=shown, height=window)
            top = shown + window
        await box.evaluate(_BOX_SCROLL_JS, original)  # the DOM snapshot shows it as it was
    except Exception as exc:
        stop = f"a segment failed ({first_line(exc)})"
    finally:
        try:
            await box.dispose()
        except Exception:
            pass
    _record_box(rec, number, window, total, top, stop, max_height)


def _record_box(rec: Recorder, number: int, window, total, covered: int, stop: str | None,
                max_height: int) -> None:
    if stop is None and covered < total:
        stop = f"the cap of {coverage.px(max_height)} px per capture"
    detail = (f"the page's content scrolls inside a box {window} px tall holding {total} px: "
              f"{number} segment{'' if number == 1 else 's'}")
    if stop:
        shown = min(covered, total)
        rec.warn(f"the inner scrolling box was pictured only to {shown} of {total} px: stopped at {stop}")
        detail += f"; stopped at {stop} ({shown} of {total} px)"
    rec.action("scroll_box", detail, outcome="warning" if stop else "ok")


def _height_claim(claimed: int | None, height: int) -> str:
    """A note when what the page says about its height is not what the browser laid out."""
    if claimed is None or abs(claimed - height) <= HEIGHT_SLACK:
        return ""
    return f" (the page reports {coverage.px(claimed)} px; pictured as laid out)"


async def _tiles(page, rec: Recorder, shoot, width: int, height: int, deadline: float,
                 max_height: int, told: str, tick: Ticker) -> None:
    """Tiles from the top, until the page, the pixel cap or the time runs out."""
    loop = asyncio.get_running_loop()
    limit = min(height, max_height)
    covered, slowest, number, stop = 0, 0.0, 0, None
    while covered < limit:
        # Always one tile; after that, only while the slowest yet still fits, with time
        # kept for the DOM, MHTML and text that follow.
        if number and loop.time() + 1.5 * slowest + SNAPSHOT_RESERVE > deadline:
            stop = "the time limit"
            break
        began = loop.time()
        tile = min(TILE_HEIGHT, limit - covered)
        try:
            data = await asyncio.wait_for(
                shoot({"x": 0, "y": covered, "width": width, "height": tile}),
                max(TILE_FLOOR, deadline - loop.time()),
            )
        except Exception as exc:
            stop = f"a tile failed ({first_line(exc)})"
            break
        number += 1
        rec.write(f"screenshot-{number:03d}.png", data, "screenshot_tile", "image/png",
                  offset_y=covered, height=tile)
        covered += tile
        slowest = max(slowest, loop.time() - began)
        tick(lambda n=number, c=covered: t("progress.tiles", number=n, covered=coverage.px(c),
                                           height=coverage.px(height)))
    if stop is None and covered < height:
        stop = f"the cap of {coverage.px(max_height)} px per capture"
    detail = (f"page is {height} px tall (over {SINGLE_SHOT_MAX}): {number} tile"
              f"{'' if number == 1 else 's'} of up to {TILE_HEIGHT} px{told}")
    ours = getattr(shoot, "ours", 0)
    if ours:
        detail += (f"; {ours} of them taken through the tool's own DevTools session, "
                   "their PNG encoded for speed (the same pixels, a larger file)")
    if stop:
        covers = coverage.statement(coverage.TILES, covered, height)
        rec.warn(f"screenshots stopped at {stop}: {covers}")
        detail += f"; stopped at {stop}: {covers}"
    rec.action("screenshot", detail, outcome="warning" if stop or told else "ok")


async def _nothing() -> None:
    pass


async def snapshots(page, context, rec: Recorder, secrets=None) -> None:
    """DOM, MHTML and visible text of the page as it is now (after our actions)."""
    from .redact import PageRedaction

    # Session secrets never enter the bundle; the visible text (text.txt) is evidence.
    redaction = await PageRedaction.learn(page, context, secrets)
    try:
        data, removed = redaction.html(await page.content())
        rec.write("page.html", data, "dom", "text/html; charset=utf-8", redactions=removed)
    except Exception as exc:
        rec.warn(f"DOM snapshot failed: {first_line(exc)}")
    try:
        async with devtools_session(page) as cdp:
            snap = await cdp.send("Page.captureSnapshot", {"format": "mhtml"})
        data, removed = redaction.mhtml(snap["data"].encode("utf-8"))
        rec.write("page.mhtml", data, "mhtml", "multipart/related", redactions=removed)
    except Exception as exc:
        rec.warn(f"MHTML archive failed: {first_line(exc)}")
    try:
        text = await page.evaluate("document.body ? document.body.innerText : ''")
        rec.write("text.txt", text.encode("utf-8"), "text", "text/plain; charset=utf-8")
    except Exception as exc:
        rec.warn(f"text extraction failed: {first_line(exc)}")


def _looks_like_login(url: str, status: int | None) -> bool:
    if status == 401:
        return True
    path = urlsplit(url).path.lower()
    for segment in path.split("/"):
        stem = segment.split(".", 1)[0]
        if stem in LOGIN_HINTS or stem.startswith(("login", "signin")):
            return True
    return False


def target_closed(exc: BaseException) -> bool:
    """Is `exc` Playwright's word that the page, its context or the browser is gone?

    Its TargetClosedError is not re-exported by playwright.async_api."""
    from playwright._impl._errors import TargetClosedError

    return isinstance(exc, TargetClosedError)


async def capture_target(context, target: Target, rec: Recorder, options: PageOptions) -> None:
    """Everything for one target; raises only for a dead browser (the session relaunches)."""
    deadline = asyncio.get_running_loop().time() + (target.timeout or options.timeout)
    laps = options.laps
    page = await context.new_page()
    options.tabs.opened()
    crashed = []
    page.on("crash", lambda _page: crashed.append(True))
    watch = NetworkWatch(page)
    turn = None  # held from the wait for it to the end
    try:
        # Observes only (when the document last changed), for settle_content.
        await page.add_init_script(script("page_settle_watch"))
        laps("new_page")
        loaded, response = await _load_or_error_page(page, target, rec, watch, deadline, crashed, laps)
        if not loaded:
            return
        await _record_arrival(page, target, rec, response, options)
        laps("provenance")
        if options.turn is not None:
            waited = await _waited_for(options.turn)
            turn = options.turn  # nothing awaited in between: it is released whatever follows
            await _after_turn(page, rec, waited, deadline + waited)
            deadline += waited  # the wait does not count against the time limit
            laps("turn")
        await perform_actions(page, target, rec, watch, deadline)
        await _record_title(page, rec)  # as captured, after our actions
        laps("actions")
        # Its pictures are drawn at the display's rate only in front (tabs.py); a chat
        # brings its tab forward again while its history loads.
        async def front() -> None:
            await options.tabs.bring(page, page.bring_to_front)

        await front()
        if target.full_page:
            await scroll_for_lazy_content(page, rec, lambda share: _remaining_ms(deadline, share))
        masks = await mask_locators(page, target.mask, rec)
        laps("lazy_scroll")
        if target.kind == "chat":
            await _chat(page, target, rec, options, deadline)
        await screenshot(page, rec, target.full_page, masks, deadline, options.max_pictured_height,
                         options.status, front=front, emulation=options.emulation)
        laps("screenshot")
        if target.full_page and target.kind != "chat":
            await picture_inner_box(page, rec, masks, deadline, options.max_pictured_height)
            laps("inner_box")
        await snapshots(page, context, rec, options.secrets)
        laps("snapshots")
        if crashed:
            rec.capture.error = rec.capture.error or "the browser tab crashed during capture"
    finally:
        if turn is not None:
            turn.release()
        try:
            await page.close()
        except Exception:
            pass
        laps("close_page")


TURN_LOOK = 0.05  # seconds of waiting for a turn after which the content is looked at again


async def _waited_for(turn: asyncio.Semaphore) -> float:
    """Take the turn; the seconds it took."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    await turn.acquire()
    return loop.time() - began


async def _after_turn(page, rec: Recorder, waited: float, deadline: float) -> None:
    """A page that waited for its turn to be pictured is looked at again: settled is
    what it is when pictured, not when it loaded; and one that went elsewhere meanwhile
    says so. `deadline`: its time limit, the wait not counted."""
    if waited >= TURN_LOOK:
        rec.action("wait", f"loaded and settled; waited {waited:.2f} s for other targets' pictures")
        now, arrived = rec.clean(page.url), rec.capture.final_url
        if now != arrived:
            rec.capture.final_url = now
            rec.warn(f"the page went from {arrived} to {now} while it waited for its turn to be "
                     f"pictured: it is pictured at {now}; its recorded response is that of {arrived}")
        await settle_content(page, rec, deadline)


async def _load_or_error_page(page, target: Target, rec: Recorder, watch: NetworkWatch, deadline: float,
                              crashed: list, laps: Laps | None = None) -> tuple[bool, object]:
    """(whether the page loaded, its main response or None). A page that did not load
    is recorded with a picture of the browser's error page; a dead browser or tab raises."""
    try:
        return True, await load(page, target, rec, watch, deadline, laps)
    except Exception as exc:
        message = rec.clean(first_line(exc))
        rec.capture.error = f"could not load the page: {message}"
        rec.action("load", message, outcome="failed")
        if target_closed(exc) or crashed:
            raise
    # Chromium shows its own error page; a picture of it is part of the record.
    await _error_page_picture(page, rec, deadline)
    return False, None


async def _record_arrival(page, target: Target, rec: Recorder, response, options: PageOptions) -> None:
    """Where the page came from and how it was answered, and whether it is a login page."""
    capture = rec.capture
    capture.final_url = rec.clean(page.url)
    if response is not None:
        await _record_redirects(response, rec)
        capture.response = await _provenance(response, rec)
        if response.status >= 400:
            rec.warn(f"the server answered HTTP {response.status} {response.status_text}".rstrip())
    await _record_title(page, rec)
    status = response.status if response else None
    if _looks_like_login(page.url, status) and not _looks_like_login(target.url, None):
        rec.warn(_login_warning(target, options))
    await _check_bot_block(page, rec, status)


async def _check_bot_block(page, rec: Recorder, status: int | None) -> None:
    """A warning when the page looks like a shop's refusal of robots, not its content."""
    try:
        text = await asyncio.wait_for(page.evaluate(_BODY_TEXT_JS), CALL_LIMIT)
    except Exception:
        text = ""
    text = text if isinstance(text, str) else ""
    # A whole shop page may mention 验证码 in passing; a block page is short.
    found = BOT_BLOCK_WORDS.search(f"{rec.capture.title or ''}\n{text[:BOT_PAGE_MAX_TEXT]}") \
        if len(text) <= BOT_PAGE_MAX_TEXT else None
    if status not in (403, 429) and not found:
        return
    why = f"HTTP {status}" if status in (403, 429) else ""
    if found:
        why += (" and " if why else "") + f"the page says {found.group(0)!r}"
    rec.warn(f"this looks like a bot block ({why}), not the page asked for: the site may refuse "
             "automated browsers; try again with --headed, or log in first with "
             "`evidence login URL --profile NAME` and capture with --profile NAME")


async def _record_title(page, rec: Recorder) -> None:
    try:
        rec.capture.title = await page.title()
    except Exception:
        pass


def _login_warning(target: Target, options: PageOptions) -> str:
    if options.login_used:
        name = f"profile {options.profile!r}" if options.profile else "the storage state"
        return (
            f"this looks like a login page, not the page asked for: the login session "
            f"({name}) may have expired; refresh it with: evidence login {target.url} "
            f"--profile {options.profile or 'NAME'}"
        )
    return (
        "this looks like a login page, not the page asked for: log in first with "
        f"`evidence login {target.url} --profile NAME`, then capture with --profile NAME"
    )


async def _chat(page, target: Target, rec: Recorder, options: PageOptions, deadline: float) -> None:
    from .chat import capture_chat

    await capture_chat(
        page,
        rec,
        selector=target.chat_selector or options.chat_selector,
        max_scrolls=target.max_chat_scrolls or options.max_chat_scrolls,
        deadline=deadline,
        mask=target.mask,
        max_height=options.max_pictured_height,
        laps=options.laps,
        status=options.status,
        tabs=options.tabs,
        emulation=options.emulation,
    )


async def _error_page_picture(page, rec: Recorder, deadline: float) -> None:
    """A picture of Chromium's own error page, which is part of the record.

    On a busy machine the error page may still be committing when the load fails (the
    picture then fails with it), so a failed picture is tried again, after letting the
    error page finish loading, while the deadline allows and at least twice; a picture
    still missing is said in the warnings, never silently dropped."""
    loop = asyncio.get_running_loop()
    failures: list[str] = []
    while True:
        try:
            await page.wait_for_load_state("load", timeout=min(2000, _remaining_ms(deadline)))
        except Exception:
            pass  # a picture of a page still loading is still a picture
        try:
            data = await page.screenshot(timeout=_remaining_ms(deadline, floor=ERROR_SHOT_FLOOR))
        except Exception as exc:
            failures.append(first_line(exc))
            if len(failures) >= ERROR_SHOT_TRIES or (len(failures) >= 2 and loop.time() >= deadline):
                break
            await asyncio.sleep(min(0.5 * len(failures), max(0.0, deadline - loop.time())))
            continue
        rec.write("screenshot.png", data, "screenshot", "image/png")
        retried = f" (after {len(failures)} failed attempt(s): {failures[-1]})" if failures else ""
        rec.action("screenshot", f"the browser's error page{retried}")
        return
    rec.action("screenshot", f"no picture of the browser's error page: {failures[-1]}", outcome="failed")
    rec.warn(f"the browser's error page could not be pictured ({len(failures)} attempts, "
             f"the last: {failures[-1]})")
