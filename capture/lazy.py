"""Scrolling through a page so that lazy content loads, where anything on it could.

A page loads lazy images and infinite lists when they come into the window: through
loading=lazy, an IntersectionObserver of the viewport, or a scroll listener. Scrolling
through the 30,000 px benchmark page, a screen per frame, took 1 s alone and 2 s beside
other targets, and that page has none of these. So the page is first asked, passively
(no hook in it, nothing it runs changes), whether anything could load on a scroll: its
elements and style sheets, and, through a DevTools session of our own, the
IntersectionObserver objects in its heap and the listeners on its window, document,
root and body. Only when none is there, or the page is no taller than the window, is
the scroll left out; anything that cannot be told (no session, a page that does not
answer or has not finished loading, a wrapped IntersectionObserver, frames, web
components, lazy-loader markup, content-visibility, a style sheet of another origin)
means the scroll as before. Either way the record says which, and why.
"""

from __future__ import annotations

import asyncio

from .record import Recorder
from .scripts import script

LAZY_SCROLL_MAX_STEPS = 200
LAZY_SCROLL_TIME = 15.0  # seconds at most for that scroll, whatever the page says its height is
LOOK_LIMIT = 5.0  # seconds for the look that decides; past it, the page is scrolled through
IMAGES_LIMIT = 2.0  # seconds at most for images still loading after the scroll
IMAGES_SLACK = 0.5  # seconds past that for the answer to come back from the page
# Events a lazy loader listens to on the window to see it scrolled.
SCROLL_EVENTS = frozenset({"scroll", "scrollend", "wheel", "mousewheel", "DOMMouseScroll", "touchmove"})
_GROUP = "evidence-capture-lazy"
_IMAGES_JS = "Array.from(document.images).every(i => i.complete)"
# Polled on a timer, not per frame: a tab not in front gets no frames.
_IMAGES_WAIT_JS = (
    "(limit) => new Promise((done) => { const end = performance.now() + limit;"
    f" const check = () => {{ if ({_IMAGES_JS}) done(true);"
    " else if (performance.now() >= end) done(false); else setTimeout(check, 25); };"
    " check(); })"
)
_VIEWPORT_OBSERVERS_JS = (
    "function () { return this.filter((o) => { try { return !o.root || o.root.nodeType === 9; }"
    " catch (e) { return true; } }).length; }"
)


async def scroll_for_lazy_content(page, rec: Recorder, budget) -> None:
    """Scroll through the page once so lazy content loads, then back to the top, unless
    nothing on the page could load on a scroll. Bounded in steps and in time: the
    page's reported height may be anything. `budget(share)`: milliseconds, that share
    of the time the target has left."""
    from .devtools import devtools_session

    async with devtools_session(page, optional=True) as session:
        await _scroll_for_lazy_content(page, session, rec, budget)


async def _scroll_for_lazy_content(page, session, rec: Recorder, budget) -> None:
    signs = await _lazy_signs(session)
    if signs == []:
        images = await _images_loaded(page, session, budget)
        rec.action("scroll", "not scrolled for lazy content: nothing on the page loads on a scroll "
                   "(no loading=lazy element, lazy-loader markup, IntersectionObserver of the "
                   "window, scroll listener, frame, web component or content-visibility), or it "
                   f"is no taller than the window; {images}")
        return
    walk = page.evaluate(script("page_lazy_scroll"), LAZY_SCROLL_MAX_STEPS)
    limit = max(1.0, min(LAZY_SCROLL_TIME, budget(0.3) / 1000))
    try:
        steps = await asyncio.wait_for(walk, limit)
    except TimeoutError:
        try:
            await asyncio.wait_for(page.evaluate("window.scrollTo(0, 0)"), LOOK_LIMIT)
        except Exception:
            pass
        rec.action("scroll", f"scrolling for lazy content stopped after {limit:.1f} s (its share of "
                   "the time limit); back to top", outcome="warning")
        return
    images = await _images_loaded(page, session, budget)
    why = f" ({', '.join(signs)})" if signs else ""
    rec.action("scroll", f"scrolled the page in {steps} steps for lazy content{why}, back to top; {images}")


async def _images_loaded(page, session, budget) -> str:
    """Whether the page's images are all loaded, waited for a bounded while. Through our
    session where there is one: a wait that changes nothing, which as Playwright's
    wait_for_function was a trace action with a DOM snapshot of the whole page before
    and after it (on the 30,000 px page, 40 ms of the renderer's time)."""
    limit = min(IMAGES_LIMIT * 1000, budget(0.2))
    try:
        if session is None:
            await page.wait_for_function(_IMAGES_JS, timeout=limit)
            return "images loaded"
        if await asyncio.wait_for(_wait_in_own_world(session, limit), limit / 1000 + IMAGES_SLACK):
            return "images loaded"
    except Exception:
        pass
    return "some images still loading"


async def _wait_in_own_world(session, limit_ms: float) -> bool:
    # A world of our own in the page's main frame: the same document, but the page's
    # own replacements of setTimeout, Array.from or Promise are not there to stall the
    # wait or make it say loaded.
    tree = await session.send("Page.getFrameTree")
    world = await session.send("Page.createIsolatedWorld", {
        "frameId": tree["frameTree"]["frame"]["id"], "worldName": "evidence-capture-images"})
    reply = await session.send("Runtime.evaluate", {
        "expression": f"({_IMAGES_WAIT_JS})({int(limit_ms)})", "returnByValue": True,
        "awaitPromise": True, "contextId": world["executionContextId"]})
    return reply.get("result", {}).get("value") is True


async def _lazy_signs(session) -> list[str] | None:
    """What on the page could load content on a scroll: [] for nothing (or nowhere to
    scroll), None when that cannot be told."""
    if session is None:
        return None
    try:
        return await asyncio.wait_for(_ask(session), LOOK_LIMIT)
    except Exception:  # a page that does not answer, or closes: scroll as always
        return None


async def _ask(session) -> list[str] | None:
    async def value(expression: str):
        reply = await session.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return None if "exceptionDetails" in reply else reply["result"].get("value")

    async def handle(expression: str) -> str | None:
        reply = await session.send("Runtime.evaluate", {"expression": expression, "objectGroup": _GROUP})
        return None if "exceptionDetails" in reply else reply["result"].get("objectId")

    found = await value(script("page_lazy_signs"))
    if not isinstance(found, dict) or not isinstance(found.get("signs"), list) or not found.get("known"):
        return None
    if not found.get("scrollable"):
        return []
    signs = [str(sign) for sign in found["signs"]]
    try:
        observers = await _viewport_observers(session, handle)
        if observers is None:
            return None
        if observers:
            signs.append(f"{observers} IntersectionObserver{'s' if observers > 1 else ''} of the window")
        listening = await _scroll_listeners(session, handle)
        if listening is None:
            return None
        if listening:
            signs.append("scroll listeners (" + ", ".join(sorted(listening)) + ")")
    finally:
        await session.send("Runtime.releaseObjectGroup", {"objectGroup": _GROUP})
    return signs


async def _viewport_observers(session, handle) -> int | None:
    """IntersectionObservers in the page's heap whose root is the viewport."""
    prototype = await handle("IntersectionObserver.prototype")
    if prototype is None:
        return None
    objects = await session.send("Runtime.queryObjects", {"prototypeObjectId": prototype, "objectGroup": _GROUP})
    array = objects.get("objects", {}).get("objectId")
    if array is None:
        return None
    reply = await session.send("Runtime.callFunctionOn", {
        "objectId": array, "functionDeclaration": _VIEWPORT_OBSERVERS_JS, "returnByValue": True})
    count = reply.get("result", {}).get("value")
    return count if isinstance(count, int) else None


async def _scroll_listeners(session, handle) -> set[str] | None:
    """Scroll-like events listened to on the window, the document, its root and body."""
    found: set[str] = set()
    for expression, depth in (("window", 0), ("document", 2)):
        target = await handle(expression)
        if target is None:
            return None
        reply = await session.send("DOMDebugger.getEventListeners", {"objectId": target, "depth": depth})
        found.update(item.get("type", "") for item in reply.get("listeners", [])
                     if item.get("type") in SCROLL_EVENTS)
    return found
