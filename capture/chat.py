"""Scroll container: find the conversation, load its history, segments, transcript.

A chat lives in a fixed-height scroll box whose older messages arrive only when the
user scrolls up, and which may be a virtualized list keeping only the visible rows in
the DOM. A page screenshot shows one screen of it, so this module scrolls the box
itself: to the top until the history stops growing, then from the top to the bottom
in steps of one box height (each window starts where the previous picture was measured
to end), taking a screenshot of the box and collecting its visible rows at each step. The transcript is merged from those steps, which is the only way
to get all of a virtualized list: a row is known by its offset in the scrolled content
and its text, so a row seen twice is kept once and two equal messages are both kept.

Widgets are found inside open shadow roots too; a newest-first (column-reverse) box is
measured from its visual top like any other; where scrolling to the top loads nothing,
a "load more" control there is clicked and the mouse wheel turned up; messages that
arrive at the bottom meanwhile (a live chat) are marked as such, never taken for history.

Every wait is bounded by the target's deadline; when time, the scroll limit or the
site runs out, what was captured is still written and a warning says how far it got.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import statistics
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Self

from . import coverage
from .chat_camera import Camera, metrics_override
from .coverage import MAX_PICTURED_HEIGHT
from .devtools import devtools_session
from .errors import first_line
from .messages import t
from .png import png_size
from .progress import Ticker
from .record import Recorder
from .scripts import script
from .tabs import EveryTime, FrontTab

POLL = 0.025  # seconds at least between looks at the box while history loads
WATCH = 0.15  # seconds the page watches the box for a change before it reports back
# How long a history request may take before we call the endpoint stalled. Longer
# than most mobile back ends need, short enough that a dead one costs little.
IN_FLIGHT_LIMIT = 5.0
# With no request in flight: how long nothing must change at the top before we
# believe the history is complete. Scaled by how long earlier loads took.
QUIET_FIRST = 1.0
QUIET_MIN, QUIET_MAX = 1.0, 3.0  # long enough for a few nudges (below)
CHATTER = 3  # requests back with nothing new at the top: the site is not sending history
GRACE = 0.15  # a change at the top with no request seen: how long before it counts
NUDGE = 0.2  # nothing in flight after a scroll to the top: scroll to it again this often
CALL_LIMIT = 10.0  # one page.evaluate or screenshot; a hung page must not hang us
# Seconds a step waits for web fonts still loading before its window is pictured, as
# Playwright's screenshot waits for them (chat_camera.py), within the step's CALL_LIMIT.
FONTS_WAIT = 4.0  # twice at most in a step
STEP_ESTIMATE = 0.15  # seconds per capture step, to keep time for the capture itself
WRITE_RESERVE = 0.3  # seconds kept for writing files at the end
FOREIGN_SLACK = 2  # CSS px of a picture outside the box that sub-pixel layout explains
# Kinds of request through which chats fetch history (JSONP uses scripts).
HISTORY_REQUESTS = frozenset({"xhr", "fetch", "script"})
WHEEL_PX = 400  # one turn of the wheel up, as a notched mouse sends a few of them

# The scripts are capture/js/chat_*.js, each a function expression; they are put
# together here by calling one with another, so each file still parses on its own.
_ROWS = script("chat_rows")  # which elements are the message rows
_FIND = script("chat_find")  # which element is the conversation
# Made for the box once per call: its geometry and its rows.
_VIEW = f"(\n{script('chat_view')}\n)(el, \n{_ROWS}\n)"

_DETECT_JS = f"(opts) => (\n{_FIND}\n)(null, opts, \n{_ROWS}\n)"
_RESOLVE_JS = f"(el, opts) => (\n{_FIND}\n)(el, opts, \n{_ROWS}\n)"
_LOAD_JS = f"(el, arg) => (\n{script('chat_load')}\n)(el, arg, {_VIEW})"
_STEP_JS = f"(el, arg) => (\n{script('chat_step')}\n)(el, arg, {_VIEW})"
# Measured again once a picture is taken: a scroll that had not landed, or a viewport
# that changed under the shot, narrows what the picture is recorded to show.
_GEOMETRY_JS = f"(el) => {_VIEW}.geometry()"
# How long shots in a row may find the box scrolled under them (a live chat jumping to
# its newest message, older messages pushed in above), each then taken again by a
# fresh step, before the capture stops: seconds, and at least that many shots.
MOVED_FOR, MOVED_SHOTS = 5.0, 3

_TO_TOP = {"toTop": True}
# Not writable, not configurable: the page can see the box there but not swap it.
_HAND_OVER_JS = "(el, key) => Object.defineProperty(window, key, {value: el})"
_BOTTOM_JS = "(el) => el.scrollTo({top: el.scrollHeight, behavior: 'instant'})"
_TAIL_JS = f"(el) => {_VIEW}.tail()"
# The elements found stay in the page; only their description crosses over.
_PLAIN_JS = "(r) => ({...r, found: r.found.map(({el, ...rest}) => rest)})"
_MORE_JS = script("chat_more")
# Whether there is such a control, as a look: a click on one is a Playwright action
# (in the trace), and so was the search for it before every load, with two DOM
# snapshots of the whole conversation each time, though almost no chat has one.
_MORE_SEEN_JS = f"(el) => !!(\n{_MORE_JS}\n)(el)"
_FIRST_JS = "(r) => (r.found[0] || {}).el || null"


class _Stopped(Exception):
    """Time, the site or the page ran out; what was captured so far is kept."""


@dataclass
class _Clock:
    deadline: float
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)

    def now(self) -> float:
        return self.loop.time()

    def left(self) -> float:
        return self.deadline - self.loop.time()

    async def call(self, fn, *args, limit: float = CALL_LIMIT, what: str = "the page"):
        """Await fn(*args) within `limit` seconds and the deadline."""
        left = min(limit, self.left())
        if left <= 0:
            raise _Stopped("time limit")
        try:
            return await asyncio.wait_for(fn(*args), left)
        except TimeoutError:
            if self.left() <= 0:
                raise _Stopped("time limit") from None
            raise _Stopped(f"{what} did not answer within {limit:g} s") from None


class _Requests:
    """History requests in flight, so a slow endpoint is told from an empty one."""

    def __init__(self, page, clock: _Clock):
        self.page, self.clock = page, clock
        self.pending: dict = {}  # request -> when it started
        self.started: list[float] = []  # when each history request started
        self.finished = 0  # history requests that came back (or failed)
        self.last_activity = clock.now()

    def _started(self, request) -> None:
        if request.resource_type in HISTORY_REQUESTS:
            self.pending[request] = self.last_activity = self.clock.now()
            self.started.append(self.last_activity)

    def first_since(self, when: float) -> float | None:
        return next((t for t in self.started if t >= when), None)

    def _ended(self, request) -> None:
        if request in self.pending:
            del self.pending[request]
            self.finished += 1
            self.last_activity = self.clock.now()

    def oldest(self) -> float:
        """How long the oldest request in flight has been (0 with none)."""
        return self.clock.now() - min(self.pending.values(), default=self.clock.now())

    def __enter__(self) -> Self:
        self.page.on("request", self._started)
        self.page.on("requestfinished", self._ended)
        self.page.on("requestfailed", self._ended)
        return self

    def __exit__(self, *exc) -> None:
        self.page.remove_listener("request", self._started)
        self.page.remove_listener("requestfinished", self._ended)
        self.page.remove_listener("requestfailed", self._ended)


@dataclass
class _Container:
    frame: object
    handle: object
    path: str
    is_document: bool
    waiting: bool = False  # does not overflow yet: older messages may come on a wheel up
    devtools: object = None  # a DevTools session of our own for looks (see _Looks)
    key: str = ""  # the window property that holds the box for those looks

    async def look(self, js: str, arg=None):
        """A read-only look at the box: it scrolls nothing and changes nothing."""
        return await self._untraced(js, arg)

    async def step(self, js: str, arg=None):
        """A step of the picture pass: it scrolls the box to a window and measures it."""
        return await self._untraced(js, arg)

    async def _untraced(self, js: str, arg):
        if self.devtools is None:
            return await self.handle.evaluate(js, arg)
        reply = await self.devtools.send("Runtime.evaluate", {
            "expression": f"({js})(window[{json.dumps(self.key)}], {json.dumps(arg)})",
            "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in reply:
            raise _Stopped(f"a look at the conversation failed: {_exception_text(reply['exceptionDetails'])}")
        return reply["result"].get("value")


def _exception_text(details: dict) -> str:
    found = details.get("exception") or {}
    return str(found.get("description") or details.get("text") or "error").splitlines()[0][:200]


@asynccontextmanager
async def _looks(page, box: _Container, keep=lambda: False):
    """Looks at the box, the picture pass's steps and (chat_camera.py) its pictures,
    through a DevTools session of our own, outside Playwright. `keep()` true at the end:
    the session stays attached until the page closes (it carries the page's emulation).

    Each Playwright call is an action of the trace, recorded with a DOM snapshot before
    and after, which the renderer takes by walking the whole document: waiting for
    history, re-measuring after each shot and the steps were about 150 such calls on a
    400-message chat, and their snapshots cost more renderer time than the shots. Looks
    change nothing. A step scrolls the box to a window that is then pictured; the
    pictures are in the bundle (chat-NNN.png, each with the range it shows), and the
    history's scrolls to the top stay in the trace. Only for a box in
    the main frame (a session of ours evaluates there); the box is handed over as a
    window property that the page can read but not replace. Without a session, both
    are Playwright's evaluate.
    """
    from playwright.async_api import Error as PlaywrightError

    if box.frame is not page.main_frame:
        yield
        return
    async with devtools_session(page, optional=True, keep=keep) as devtools:
        key = f"__evidenceCaptureBox{secrets.token_hex(8)}"
        try:
            if devtools is not None:
                await asyncio.wait_for(box.handle.evaluate(_HAND_OVER_JS, key), CALL_LIMIT)
                box.devtools, box.key = devtools, key
        except (PlaywrightError, TimeoutError):
            pass
        try:
            yield
        finally:
            box.devtools = None


@dataclass
class _History:
    loads: int = 0
    tops: int = 0
    first_height: int = 0
    height: int = 0
    stopped: str | None = None  # why loading ended before the start was reached
    clicks: int = 0  # "load more" controls clicked
    wheels: int = 0  # mouse wheel turns up over the box
    tail: str = ""  # the newest message before loading: later ones arrived during capture


@dataclass
class _Segment:
    png: bytes
    scroll_top: int  # the range of the conversation the picture shows, CSS px
    height: int
    foreign: int = 0  # CSS px of the image that show something other than the box


@dataclass
class _Pass:
    segments: list[_Segment] = field(default_factory=list)
    rows: dict[tuple[int, str], int] = field(default_factory=dict)
    scroll_height: int = 0
    covered: int = 0  # [0, covered) is in the segments
    prepended: int = 0  # px of older messages that arrived during the pass

    def add_row(self, offset: int, text: str, height: float) -> None:
        # The same row may come back a pixel off after sub-pixel layout; equal text
        # within 2 px is the same row, anything further apart is another message.
        for near in (0, -1, 1, -2, 2):
            if (offset + near, text) in self.rows:
                return
        if offset + height <= 0:
            return  # arrived above the captured range while it was captured
        self.rows[(offset, text)] = len(self.rows)

    def messages(self) -> list[str]:
        ordered = sorted(self.rows.items(), key=lambda item: (item[0][0], item[1]))
        return [text for (_, text), _ in ordered]


async def capture_chat(
    page,
    rec: Recorder,
    *,
    selector: str | None,
    max_scrolls: int,
    deadline: float,
    mask: list[str] = (),
    max_height: int = MAX_PICTURED_HEIGHT,
    laps=None,
    status=None,
    tabs: FrontTab | None = None,
    emulation: dict | None = None,
) -> None:
    """Capture the whole conversation of a chat page into `rec`'s capture directory,
    pictures of at most `max_height` CSS px of it. `emulation`: the new_context keywords
    of the page's context, which the camera repeats (chat_camera.py)."""
    from playwright.async_api import Error as PlaywrightError

    clock = _Clock(deadline)
    try:
        box = await _find_container(page, rec, selector, clock)
    except (_Stopped, PlaywrightError) as exc:
        rec.warn(f"chat not captured: could not find the conversation ({first_line(exc)})")
        rec.action("chat_container", "no conversation found", selector=selector, outcome="failed")
        return
    rec.capture.chat_selector = box.path

    tabs = tabs or EveryTime()

    async def front() -> None:
        await _to_front(page, box, tabs)

    camera = Camera(page, box, list(mask), metrics_override(emulation), CALL_LIMIT)
    async with _looks(page, box, keep=lambda: camera.emulating):
        history = await _load_history(page, rec, box, clock, max_scrolls, Ticker(status), front)
        if laps:
            laps("chat_history")
        files = _SegmentFiles(rec)
        done, stop = _Pass(), None
        try:
            done = await _capture_pass(box, clock, camera, files, max_height, Ticker(status))
        except _Partial as partial:
            done, stop = partial.done, partial.reason
        await files.finish(done.segments)
    _write_capture(page, box, rec, done, history, stop)
    coverage.check(rec, coverage.SEGMENTS, rec.capture.chat_scroll_height)
    if laps:
        laps("chat_segments")

    try:
        await clock.call(box.handle.evaluate, _BOTTOM_JS, limit=3.0)
        rec.action("scroll", "conversation left scrolled to the latest message", selector=box.path)
    except (_Stopped, PlaywrightError):
        pass  # where the box is left scrolled is cosmetic; the evidence is written


async def _to_front(page, box: _Container, tabs: FrontTab) -> None:
    """The chat's tab in front, where the browser draws it at the display's rate: a tab
    behind draws about a frame a second, and a site sees a scroll only at a frame
    (tabs.py). Through our own DevTools session when there is one: untraced."""

    async def bring() -> None:
        if box.devtools is not None:
            await box.devtools.send("Page.bringToFront")
        else:
            await page.bring_to_front()

    await tabs.bring(page, bring)


async def _load_history(page, rec: Recorder, box: _Container, clock: _Clock, max_scrolls: int,
                        tick: Ticker, front) -> _History:
    from playwright.async_api import Error as PlaywrightError

    history = _History()
    with _Requests(page, clock) as requests:
        try:
            history.tail = await clock.call(box.handle.evaluate, _TAIL_JS, limit=5.0)
            await _Loader(box, rec, history, max_scrolls, clock, requests, tick, front).run()
        except (_Stopped, PlaywrightError) as exc:
            history.stopped = first_line(exc)
    _record_history(rec, history)
    return history


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


# --- 1. which element is the conversation ----------------------------------------------


async def _find_container(page, rec: Recorder, selector: str | None, clock: _Clock) -> _Container:
    if selector:
        found = await _from_selector(page, rec, selector, clock)
        if found:
            return found
    frames = [page.main_frame] + [f for f in page.frames if f is not page.main_frame]
    best = None
    scroll_areas = 0
    for frame in frames:
        try:
            result, handle = await _found(clock, frame.evaluate_handle, _DETECT_JS, {})
        except Exception:  # a detached or cross-process frame that will not answer
            if frame is page.main_frame:
                raise
            continue
        scroll_areas += len(result["found"])
        for candidate in result["found"][:1]:
            if handle and (best is None or candidate["score"] > best[1]["score"]):
                best = (frame, candidate, handle)
    if best is None:
        return await _page_itself(page, rec, clock, selector)
    frame, candidate, handle = best
    where = "" if frame is page.main_frame else f" in frame {frame.url}"
    others = f"; {scroll_areas} scroll areas on the page" if scroll_areas > 1 else ""
    rec.action(
        "chat_container",
        f"detected{where}: {candidate['path']} ({', '.join(candidate['reasons'])}{others})",
        selector=candidate["path"],
    )
    return _Container(frame, handle, candidate["path"], False, bool(candidate.get("waiting")))


async def _found(clock: _Clock, evaluate_handle, js: str, arg) -> tuple[dict, object]:
    """What chat_find.js says, and its first element (a handle, or None): a handle,
    unlike a path, also reaches into shadow roots."""
    answer = await clock.call(evaluate_handle, js, arg, limit=5.0)
    result = await clock.call(answer.evaluate, _PLAIN_JS, limit=5.0)
    element = (await clock.call(answer.evaluate_handle, _FIRST_JS, limit=5.0)).as_element()
    return result, element


class _BadSelector(Exception):
    """The selector itself is at fault, not the frame it was tried in."""


async def _matches(frame, selector: str, clock: _Clock, judge: bool) -> list:
    """The elements `selector` matches in `frame`; [] when the frame does not answer.

    Playwright has no error class for a selector it cannot parse. With `judge`, a
    failure is told apart by asking the frame a plain question: when it answers that
    and the selector fails again, the selector is at fault (_BadSelector)."""
    from playwright.async_api import Error as PlaywrightError

    try:
        return await clock.call(frame.query_selector_all, selector, limit=5.0)
    except PlaywrightError:
        if not judge:
            return []
    try:
        await clock.call(frame.query_selector, "html", limit=5.0)
    except PlaywrightError:
        return []  # detached or navigating: the frame is the trouble
    try:
        return await clock.call(frame.query_selector_all, selector, limit=5.0)
    except PlaywrightError:
        raise _BadSelector(selector) from None


async def _from_selector(page, rec: Recorder, selector: str, clock: _Clock) -> _Container | None:
    problem = "matched nothing"
    hidden = False
    for frame in [page.main_frame] + [f for f in page.frames if f is not page.main_frame]:
        try:
            matches = await _matches(frame, selector, clock, judge=frame is page.main_frame)
        except _BadSelector:
            problem = "is not a valid selector"
            break
        for match in matches:
            if not await clock.call(match.is_visible, limit=5.0):
                hidden = True
                continue
            result, handle = await _found(clock, match.evaluate_handle, _RESOLVE_JS, {})
            if result.get("how") == "page":
                return await _page_itself(page, rec, clock, selector, given=True)
            if not result["found"] or handle is None:
                continue
            path = result["found"][0]["path"]
            how = {
                "itself": "",
                "inside": f"; the scroll box inside it is {path}",
                "around": f"; the scroll box around it is {path}",
                "as-is": "; it does not scroll, captured as it is",
                "waiting": f"; {path} does not overflow yet (older messages may come on a wheel up)",
            }[result["how"]]
            extra = f" (first visible of {len(matches)})" if len(matches) > 1 else ""
            rec.action(
                "chat_container", f"from --chat-selector {selector!r}{extra}{how}", selector=path
            )
            return _Container(frame, handle, path, False, result["how"] == "waiting")
    if hidden and problem == "matched nothing":
        problem = "matched nothing visible"
    rec.warn(f"--chat-selector {selector!r} {problem}; the conversation was detected instead")
    rec.action(
        "chat_container",
        f"--chat-selector {selector!r} {problem}; detecting instead",
        selector=selector,
        outcome="warning",
    )
    return None


async def _page_itself(page, rec, clock, selector, given: bool = False) -> _Container:
    """No scroll box: the page itself is the conversation (it may still scroll)."""
    frame = page.main_frame
    handle = await clock.call(
        frame.evaluate_handle, "document.scrollingElement || document.documentElement"
    )
    scrolls = await clock.call(handle.evaluate, "(el) => el.scrollHeight > el.clientHeight + 4")
    if given:
        detail = f"--chat-selector {selector!r} is the page itself"
    elif scrolls:
        detail = "no scroll box on the page: the page itself is the conversation"
    else:
        detail = "nothing scrolls: the conversation is what the page shows"
        rec.warn("no scrollable conversation found; the chat was captured as the page shows it")
    rec.action(
        "chat_container", detail, selector="html", outcome="ok" if scrolls or given else "warning"
    )
    return _Container(frame, handle.as_element(), "html", True)


# --- 2. load the whole history ---------------------------------------------------------


def _capture_estimate(height: int, client: int) -> float:
    steps = math.ceil(min(height, MAX_PICTURED_HEIGHT) / max(client, 1)) + 1
    return steps * STEP_ESTIMATE + WRITE_RESERVE + 0.5


class _Loader:
    """Loads the history: to the top of the box until nothing more arrives there.

    Older messages are what arrives at the top; a new message at the bottom (a live
    chat) is not, so it neither counts as a load nor keeps the loading going. Where
    scrolling to the top does not load, a "load more" control is clicked and a mouse
    wheel is turned up over the box, each bounded by the scroll limit and recorded."""

    def __init__(self, box, rec, history, max_scrolls, clock, requests, tick: Ticker, front):
        self.box, self.rec, self.history, self.tick = box, rec, history, tick
        self.front = front  # brings the chat's tab to the front (_to_front)
        self.max_scrolls, self.clock, self.requests = max_scrolls, clock, requests
        self.latencies: list[float] = []  # seconds from a scroll to the top to older messages
        self.reactions: list[float] = []  # seconds from our scroll to the site's request
        self.wheel = box.waiting  # turned on for good once a wheel brought history

    async def run(self) -> None:
        history, clock = self.history, self.clock
        while True:
            if history.loads >= self.max_scrolls:
                history.stopped = f"limit --max-chat-scrolls {self.max_scrolls}"
                return
            await self.front()
            scrolled = clock.now()
            start = await clock.call(self.box.handle.evaluate, _LOAD_JS, _TO_TOP)
            history.tops += 1
            if not history.first_height:
                history.first_height = start["before"]
            history.height = start["height"]
            if start["height"] <= start["client"] + 4:
                self.wheel = True  # nothing to scroll: the page can only see a wheel
            if clock.left() < _capture_estimate(start["height"], start["client"]):
                history.stopped = "time limit"
                return
            await self._click_more()
            if not await self._wait_for_older(start, scrolled):
                await self._check_more_gone()
                return
            history.loads += 1

    def _quiet(self) -> float:
        # Scaled by the typical load, not the slowest: a request still in flight is
        # waited for anyway (up to IN_FLIGHT_LIMIT), and one load slowed by a busy
        # machine (other targets being pictured) made every later end wait 3 s. But
        # the time the site took to react to a scroll at all (to send its request) is
        # what the end must outwait: on a busy machine that was once over a second,
        # and taking that for the start of the conversation would be a false end.
        if not self.latencies:
            return QUIET_FIRST
        typical = 2 * statistics.median(self.latencies) + 0.2
        slowest_reaction = 2 * max(self.reactions, default=0.0) + 0.3
        return min(QUIET_MAX, max(QUIET_MIN, typical, slowest_reaction))

    def _reaction(self, scrolls: list[float]) -> None:
        """How long after our last scroll before it the site sent its first request."""
        sent = self.requests.first_since(scrolls[0])
        if sent is not None:
            self.reactions.append(sent - max(t for t in scrolls if t <= sent))

    async def _wait_for_older(self, start: dict, scrolled: float) -> bool:
        """True once older messages arrived; False when the history ended or stopped."""
        history, clock, requests = self.history, self.clock, self.requests
        began = nudged = clock.now()
        scrolls = [scrolled]  # when we scrolled to the top in this wait
        quiet = self._quiet()
        finished_before = requests.finished
        changed_at = None
        now = start
        while True:
            # Waits in the page until the top changes (or WATCH passes), then looks here.
            look = {"toTop": False, "waitMs": WATCH * 1000, "first": now["first"], "height": now["height"]}
            asked = clock.now()
            now = await clock.call(self.box.look, _LOAD_JS, look)
            self.tick(lambda seen=now: t("progress.chat_history", loads=history.loads,
                                         height=coverage.px(seen["height"])))
            if clock.now() - asked < POLL:  # a box that changes all the time: not faster than this
                await asyncio.sleep(POLL)
            history.height = now["height"]
            # A spinner changes the box too, before its request reaches us: a change
            # counts once a history request has come back, or, for sites that push
            # history another way, once it has lasted GRACE with none in flight.
            if _older_arrived(start, now) and not requests.pending:
                if requests.finished > finished_before:
                    break
                changed_at = changed_at or clock.now()
                if clock.now() - changed_at >= GRACE:
                    break
                continue
            changed_at = None
            # A site that keeps talking (a live chat polling for new messages) while
            # nothing arrives at the top is not sending history: after a few such
            # requests they no longer put off the end.
            talking = requests.finished - finished_before >= CHATTER
            if requests.pending and requests.oldest() >= IN_FLIGHT_LIMIT:
                history.stopped = (
                    f"the site did not send older messages within {IN_FLIGHT_LIMIT:g} s"
                )
                return False
            if requests.pending and not talking:
                pass
            elif clock.now() - (began if talking else max(began, requests.last_activity)) >= quiet:
                return False  # nothing in flight and nothing new: the start of the conversation
            elif clock.now() - nudged >= NUDGE:
                # Sites ignore a scroll that comes while they still finish the previous
                # load (a "busy" flag cleared just after the rows land): while nothing
                # is in flight, scroll away and back to the top again now and then.
                await self.front()
                scrolls.append(clock.now())
                await clock.call(self.box.handle.evaluate, _LOAD_JS, _TO_TOP)
                await self._wheel_up()
                nudged = clock.now()
            if clock.left() < _capture_estimate(now["height"], now["client"]):
                history.stopped = "time limit"
                return False
        self.latencies.append(clock.now() - began)
        self._reaction(scrolls)
        return True

    async def _click_more(self) -> None:
        """Click a "load more" control at the top, if there is one (a recorded action)."""
        from playwright.async_api import Error as PlaywrightError

        if self.history.clicks >= self.max_scrolls:
            return
        if not await self._more_seen():
            return
        found = await self.clock.call(self.box.handle.evaluate_handle, _MORE_JS, limit=5.0)
        control = found.as_element()
        if control is None:
            return
        text = first_line(await self.clock.call(control.inner_text, limit=5.0)).strip()
        try:
            await self.clock.call(lambda: control.click(timeout=5000), limit=6.0)
        except PlaywrightError as exc:
            self.rec.action(
                "click",
                f"{text!r} at the top of the conversation could not be clicked ({first_line(exc)})",
                selector=self.box.path,
                outcome="warning",
            )
            return
        self.history.clicks += 1
        self.rec.action(
            "click",
            f"{text!r} at the top of the conversation (older messages, click "
            f"{self.history.clicks})",
            selector=self.box.path,
        )

    async def _check_more_gone(self) -> None:
        """A "load more" control still there when nothing more came: say so."""
        if self.history.stopped or not self.history.clicks:
            return
        if not await self._more_seen():
            return
        found = await self.clock.call(self.box.handle.evaluate_handle, _MORE_JS, limit=5.0)
        control = found.as_element()
        if control is not None:
            text = first_line(await self.clock.call(control.inner_text, limit=5.0)).strip()
            self.history.stopped = (
                f"{text!r} was still shown after {_plural(self.history.clicks, 'click')} "
                "with nothing more arriving"
            )

    async def _more_seen(self) -> bool:
        return bool(await self.clock.call(self.box.look, _MORE_SEEN_JS, limit=5.0))

    async def _wheel_up(self) -> None:
        """Turn the mouse wheel up over the box: some chats load older messages on
        that and not on a scroll (a box that does not overflow cannot scroll)."""
        if not self.wheel or self.history.wheels >= 3 * self.max_scrolls:
            return
        page = self.requests.page
        rect = await self.clock.call(self.box.handle.bounding_box, limit=3.0)
        view = page.viewport_size or {"width": 1280, "height": 900}
        if not rect or rect["width"] < 1 or rect["height"] < 1:
            return
        x = min(max(rect["x"] + rect["width"] / 2, 1), view["width"] - 1)
        y = min(max(rect["y"] + min(rect["height"] / 2, 80), 1), view["height"] - 1)
        await self.clock.call(page.mouse.move, x, y, limit=3.0)
        await self.clock.call(page.mouse.wheel, 0, -WHEEL_PX, limit=3.0)
        self.history.wheels += 1


def _older_arrived(start: dict, now: dict) -> bool:
    """Something new at the top of the box: not a new message at its bottom."""
    if now["first"] != start["first"]:
        return True
    return now["height"] > start["before"] and now["last"] == start["last"]


def _record_history(rec: Recorder, history: _History) -> None:
    if history.loads:
        wheels = f"; mouse wheel turned up {_times(history.wheels)}" if history.wheels else ""
        rec.action(
            "chat_history",
            f"scrolled to the top {_times(history.tops)}{wheels}; older messages arrived "
            f"{_times(history.loads)} (scroll height {history.first_height} -> {history.height} px)",
        )
    elif history.wheels:
        rec.action(
            "chat_history",
            f"mouse wheel turned up {_times(history.wheels)} at the top; no older messages arrived",
        )
    if history.stopped:
        rec.action("chat_history_end", f"stopped: {history.stopped}", outcome="warning")
    else:
        rec.action(
            "chat_history_end",
            "reached the start of the conversation "
            f"(nothing more arrived at the top; scroll height {history.height} px)",
        )


# --- 3. segments and transcript --------------------------------------------------------


class _Partial(Exception):
    def __init__(self, done: _Pass, reason: str):
        super().__init__(reason)
        self.done, self.reason = done, reason


class _SegmentFiles:
    """Writes segments that can no longer change while the next ones are taken.

    Only the newest segment may still be retaken or dropped, so every one before it
    goes to disk (hashed, fsynced) in a worker thread, in order.
    """

    def __init__(self, rec: Recorder):
        self.rec = rec
        self.written = 0
        self.task: asyncio.Task | None = None

    async def write_upto(self, segments: list[_Segment], upto: int) -> None:
        if self.task:
            await self.task
            self.task = None
        batch = segments[self.written : upto]
        if batch:
            self.task = asyncio.create_task(asyncio.to_thread(self._write, batch, self.written + 1))
            self.written = upto

    async def finish(self, segments: list[_Segment]) -> None:
        await self.write_upto(segments, len(segments))
        if self.task:
            await self.task
            self.task = None

    def _write(self, batch: list[_Segment], first: int) -> None:
        for number, segment in enumerate(batch, first):
            self.rec.write(
                f"chat-{number:03d}.png",
                segment.png,
                "chat_segment",
                "image/png",
                scroll_top=segment.scroll_top,
                height=segment.height,
            )
            segment.png = b""  # on disk now; a long chat need not stay in memory


async def _capture_pass(
    box: _Container, clock: _Clock, camera: Camera, files: _SegmentFiles, cap: int, tick: Ticker
) -> _Pass:
    """From the top to the bottom, each window starting where the last picture ended:
    segments and rows."""
    return await _CapturePass(box, clock, camera, files, cap, tick).run()


class _CapturePass:
    """One pass over the conversation, a window per step, and where it is between steps."""

    def __init__(
        self, box: _Container, clock: _Clock, camera: Camera, files: _SegmentFiles, cap: int,
        tick: Ticker,
    ):
        self.box, self.clock, self.camera, self.files, self.cap = box, clock, camera, files, cap
        self.tick = tick  # progress lines while it runs
        self.done = _Pass()
        self.target = 0  # top of the next window, in the coordinates the pass began with
        self.shift = 0  # how far older messages arriving at the top pushed the content down
        self.last: str | None = None  # what the previous step saw, to check it still holds
        # A row and its offset as the previous step left them, whatever that step did:
        # how far it has moved since is how far older messages pushed the content down.
        self.ref: dict | None = None
        self.finishing = False  # the last window is taken: only check that it still holds
        self.stale_retakes = self.moved_shots = 0
        self.moved_since = 0.0  # when the box first scrolled under the latest shots
        self.steps, self.max_steps = 0, None
        self.step_times: list[float] = []
        self.filled: list[float] = []  # share of each window that rows filled

    async def run(self) -> _Pass:
        from playwright.async_api import Error as PlaywrightError

        try:
            while await self._step():
                pass
            return self.done
        except (_Stopped, PlaywrightError) as exc:
            raise _Partial(self.done, first_line(exc)) from None

    async def _step(self) -> bool:
        """One window; False once the pass is complete."""
        self._count_step()
        began = self.clock.now()
        step = await self.clock.call(self.box.step, _STEP_JS, self._arg())
        moved = self._absorb(step)
        if step["stale"]:
            return await self._retake(step, moved)
        if self.finishing:
            return False
        self.stale_retakes = 0
        segment = await _take(self.box, self.clock, self.camera, step, self.shift)
        if segment is None:
            return self._moved_under_shot()
        self.moved_shots = 0
        await self._keep(segment, step, began)
        return True

    def _moved_under_shot(self) -> bool:
        """The box scrolled while it was pictured: the next step measures how far the
        content moved and goes to the window again. Not back to the scroll position
        the shot was asked at: older messages pushed in above have moved what is there."""
        self.moved_shots += 1
        if self.moved_shots == 1:
            self.moved_since = self.clock.now()
        elif self.moved_shots >= MOVED_SHOTS and self.clock.now() - self.moved_since > MOVED_FOR:
            raise _Stopped("the page kept scrolling the conversation away while it was pictured")
        self.last = None
        return True

    def _count_step(self) -> None:
        self.steps += 1
        if self.max_steps and self.steps > self.max_steps:
            raise _Stopped("the conversation kept changing while it was captured")
        needed = (max(self.step_times) if self.step_times else STEP_ESTIMATE) * 1.5 + WRITE_RESERVE
        if self.clock.left() < needed:
            raise _Stopped("time limit")

    def _arg(self) -> dict:
        return {
            "target": None if self.finishing else self.target,
            "shift": self.shift,
            "expect": None if self.stale_retakes >= 3 and not self.finishing else self.last,
            "ref": self.ref,
            "want": _want(self.filled),
            "fontsMs": FONTS_WAIT * 1000,
        }

    def _absorb(self, step: dict) -> int:
        """The step's rows, in the pass's coordinates; how far the content moved."""
        moved = step["across"] + step["within"]
        self.shift += moved
        self.done.prepended += max(moved, 0)
        for offset, text, height in step["rows"]:
            self.done.add_row(offset - self.shift, text, height)
        self.last, self.ref = step["sig"], step["ref"]
        return moved

    async def _retake(self, step: dict, moved: int) -> bool:
        """The last window changed after its picture; False when the pass ends here."""
        done = self.done
        self.stale_retakes += 1
        # The page scrolled the box itself (a live chat jumps to a new message).
        away = abs(step["top"] - self.shift - done.segments[-1].scroll_top) > 1
        if moved or away:
            # The content moved under the last window: take it again where it is now.
            again = done.segments.pop()
            done.covered = max((s.scroll_top + s.height for s in done.segments), default=0)
            self.target, self.last, self.finishing = again.scroll_top, None, False
            return True
        # The rows changed after the last screenshot (a late render): retake it.
        again = await _take(self.box, self.clock, self.camera, step, self.shift)
        if again is None:
            done.segments.pop()
            done.covered = max((s.scroll_top + s.height for s in done.segments), default=0)
            self.target, self.finishing = done.covered, False
            return self._moved_under_shot()
        done.segments[-1] = again
        done.covered = max(s.scroll_top + s.height for s in done.segments)
        return not (self.finishing and self.stale_retakes >= 3)

    async def _keep(self, segment: _Segment, step: dict, began: float) -> None:
        """A new window's picture joins the pass, which moves on to the next window."""
        done, cap = self.done, self.cap
        height = step["height"] - self.shift
        if self.max_steps is None:
            self.max_steps = 3 * math.ceil(min(height, cap) / max(segment.height, 1)) + 20
        if done.segments and segment.scroll_top > done.covered:
            raise _Stopped(f"the conversation did not scroll as asked (to {self.target} px)")
        if done.segments and segment.scroll_top <= done.segments[-1].scroll_top:
            raise _Stopped(f"the conversation stopped scrolling at {segment.scroll_top} px")
        done.segments.append(segment)
        await self.files.write_upto(done.segments, len(done.segments) - 1)
        done.covered = max(done.covered, segment.scroll_top + segment.height)
        done.scroll_height = height
        self.tick(lambda: t("progress.chat_segments", segments=len(done.segments), covered=coverage.px(done.covered),
                            height=coverage.px(height), messages=len(done.rows)))
        self.filled.append(step["filled"])
        self.step_times.append(self.clock.now() - began)
        if done.covered >= height:
            self.finishing = True  # a virtual list may render the last window late
        elif done.covered >= cap:
            raise _Stopped(f"the cap of {coverage.px(cap)} px per capture")
        self.target = done.covered


async def _take(
    box: _Container, clock: _Clock, camera: Camera, step: dict, shift: int
) -> _Segment | None:
    """A picture of the window `step` saw, and the range of the conversation it shows,
    from where the box was both before and after the shot and from the image itself;
    None if the box scrolled under the shot."""
    png = await clock.call(camera.shoot, step, clock)
    after = await clock.call(box.look, _GEOMETRY_JS)
    if abs(after["top"] - step["top"]) > 1 or not camera.intact(after):
        return None
    top, bottom, foreign = _pictured(step, after, png_size(png)[1], camera.how(step))
    if bottom - top < 1:
        raise _Stopped(
            "the conversation box could not be pictured (outside the browser's viewport)"
        )
    return _Segment(png, top - shift, bottom - top, foreign)


def _pictured(before: dict, after: dict, image_rows: int, how: str) -> tuple[int, int, int]:
    """(top, bottom) of the box's scroll content that a picture shows, and how many CSS
    px of the image show something other than the box.

    The picture shows the box's scroll port only where the port was inside the browser's
    viewport both when the shot was asked for and once it was taken, and where the image
    has rows. A clip is cut to the viewport by Playwright, so a clip image starts at the
    box's first visible row; an element screenshot is the whole box. The scroll position
    is the one the shot was asked at: older messages arriving during the shot move
    scrollTop with the content, and a window that changed under the shot is seen by the
    next step, which takes it again."""
    image = image_rows / max(before.get("dpr") or 1, 0.01)
    clip_top = max(0.0, before["rect"]["y"]) if how == "clip" else 0.0
    top, bottom, foreign = -math.inf, math.inf, 0.0
    for state in (before, after):
        # Everything below in the coordinates of the box's border box (0 = its top edge).
        y = state["rect"]["y"] if how == "clip" else 0.0
        shot = (clip_top - y, clip_top - y + image)
        view = (-y, state["vh"] - y) if how == "clip" else (-math.inf, math.inf)
        edge = state["rect"]["height"] if how != "document" else math.inf
        inset = state["clientTop"]
        low = max(inset, view[0], shot[0])
        high = min(inset + state["client"], view[1], shot[1])
        top = max(top, before["top"] + low - inset)
        bottom = min(bottom, before["top"] + high - inset)
        of_box = min(shot[1], view[1], edge) - max(shot[0], view[0], 0.0)
        foreign = max(foreign, image - max(0.0, of_box))
    return round(top), max(round(top), round(bottom)), round(foreign)


def _want(filled: list[float]) -> float:
    """How full a rendered window should be: most of what earlier windows were."""
    if not filled:
        return 0.5
    return 0.9 * statistics.median(filled)


def _foreign(done: _Pass) -> list[tuple[int, _Segment]]:
    return [(n, s) for n, s in enumerate(done.segments, 1) if s.foreign > FOREIGN_SLACK]


def _notes(done: _Pass, history: _History, stop: str | None, messages: int) -> list[str]:
    """The warnings of a chat capture, also written at the top of the transcript."""
    notes = []
    if history.stopped:
        notes.append(
            f"chat history may be incomplete: stopped after {_plural(history.loads, 'load')} "
            f"({history.stopped}), {messages} messages captured"
        )
    if stop and done.segments:
        covers = coverage.statement(coverage.SEGMENTS, done.covered, done.scroll_height)
        notes.append(f"chat capture stopped early ({stop}): {covers}, {messages} messages captured")
    elif stop:
        notes.append(f"chat capture stopped early ({stop}) before the first segment")
    for number, segment in _foreign(done):
        notes.append(
            f"chat-{number:03d}.png: {segment.foreign} px of the picture show something other "
            f"than the conversation box; it is recorded as showing only {segment.scroll_top}–"
            f"{segment.scroll_top + segment.height} px of the conversation"
        )
    return notes


ARRIVED = "[采集期间到达 arrived during capture]"


def _mark_arrivals(rec: Recorder, box: _Container, messages: list[str], tail: str) -> list[str]:
    """Messages after the one that was newest when the capture began came in during it
    (a live chat): marked where they are, and recorded, as they are no history."""
    if not tail or tail not in messages:
        return messages
    first = len(messages) - messages[::-1].index(tail)
    if first >= len(messages):
        return messages
    count = len(messages) - first
    where = f"message {first + 1}" if count == 1 else f"messages {first + 1}–{len(messages)}"
    rec.action(
        "chat_live",
        f"{_plural(count, 'new message')} arrived at the bottom during capture ({where} of "
        f"{len(messages)} in the transcript, marked {ARRIVED}); not counted as history",
        selector=box.path,
    )
    return messages[:first] + [f"{ARRIVED}\n{m}" for m in messages[first:]]


def _write_capture(
    page, box: _Container, rec: Recorder, done: _Pass, history: _History, stop: str | None
) -> None:
    messages = done.messages()
    rec.capture.chat_scroll_height = done.scroll_height or None
    rec.capture.chat_messages = len(messages)

    notes = _notes(done, history, stop, len(messages))
    if not messages and not stop:
        notes.append(f"the conversation box {box.path} yielded no messages")
    for note in notes:
        rec.warn(note)
    messages = _mark_arrivals(rec, box, messages, history.tail)
    if done.prepended:
        rec.action(
            "chat_capture",
            f"older messages ({done.prepended} px) arrived at the top "
            "while the conversation was captured; they are above the captured range",
        )
    rec.action(
        "chat_capture",
        f"{_plural(len(done.segments), 'segment')} over {done.covered} of "
        f"{done.scroll_height} px, {_plural(len(messages), 'message')}",
        selector=box.path,
        outcome="warning" if stop or _foreign(done) else "ok",
    )

    header = [
        "# 聊天记录 Chat transcript",
        f"# 网址 URL: {page.url}",
        f"# 会话区域 Container: {box.path}",
        f"# 消息数 Messages: {len(messages)}",
    ] + [f"# 注意 Warning: {note}" for note in notes]
    text = "\n".join(header) + "\n\n" + "\n\n".join(messages) + ("\n" if messages else "")
    rec.write("transcript.txt", text.encode("utf-8"), "transcript", "text/plain; charset=utf-8")
