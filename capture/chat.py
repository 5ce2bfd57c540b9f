"""Scroll container: find the conversation, load its history, segments, transcript.

A chat lives in a fixed-height scroll box whose older messages arrive only when the
user scrolls up, and which may be a virtualized list keeping only the visible rows in
the DOM. A page screenshot shows one screen of it, so this module scrolls the box
itself: to the top until the history stops growing, then from the top to the bottom
in steps of one box height, taking a screenshot of the box and collecting its visible
rows at each step. The transcript is merged from those steps, which is the only way
to get all of a virtualized list: a row is known by its offset in the scrolled content
and its text, so a row seen twice is kept once and two equal messages are both kept.

Every wait is bounded by the target's deadline; when time, the scroll limit or the
site runs out, what was captured is still written and a warning says how far it got.
"""

from __future__ import annotations

import asyncio
import base64
import math
import statistics
from dataclasses import dataclass, field
from typing import Self

from .record import MASK_COLOR, Recorder

POLL = 0.025  # seconds between looks at the box while history loads
# How long a history request may take before we call the endpoint stalled. Longer
# than most mobile back ends need, short enough that a dead one costs little.
IN_FLIGHT_LIMIT = 5.0
# With no request in flight: how long nothing must change at the top before we
# believe the history is complete. Scaled by how long earlier loads took.
QUIET_FIRST = 1.0
QUIET_MIN, QUIET_MAX = 1.0, 3.0  # long enough for a few nudges (below)
GRACE = 0.15  # a change at the top with no request seen: how long before it counts
NUDGE = 0.2  # nothing in flight after a scroll to the top: scroll to it again this often
CALL_LIMIT = 10.0  # one page.evaluate or screenshot; a hung page must not hang us
STEP_ESTIMATE = 0.15  # seconds per capture step, to keep time for the capture itself
WRITE_RESERVE = 0.3  # seconds kept for writing files at the end
# Kinds of request through which chats fetch history (JSONP uses scripts).
HISTORY_REQUESTS = frozenset({"xhr", "fetch", "script"})

# Which elements are the message rows: the children of the descendant with the most
# element children, among those holding a fair share of the text (a long rich message
# can have more children than a short chat has messages); when messages are grouped
# (by day), the children of every group of the same shape.
_ROWS_LIB = r"""
  function rowParents(el) {
    const total = (el.textContent || "").length;
    let best = el, most = el.childElementCount, seen = 0;
    const walk = el.ownerDocument.createTreeWalker(el, NodeFilter.SHOW_ELEMENT);
    while (walk.nextNode() && seen++ < 20000) {
      const node = walk.currentNode, n = node.childElementCount;
      if (n > most && (node.textContent || "").length >= 0.3 * total) { best = node; most = n; }
    }
    if (best === el || !best.parentElement) return [best];
    const shape = (n) => n.tagName + "." + (n.classList[0] || "");
    const groups = Array.from(best.parentElement.children).filter((n) => shape(n) === shape(best));
    return groups.length > 1 ? groups : [best];
  }
"""

# One library for detection and for a selector the user gave. Runs in the page;
# returns CSS paths (verified unique), never touches the DOM.
_FIND_LIB = (
    r"""
(target, opts) => {
  const CHAT_WORDS = /chat|message|msg|conversation|dialog|talk|(^|[^a-z])im([-_ ]|$)|聊天|消息|客服|会话|对话/i;
  const doc = document;
  const vw = innerWidth || 1, vh = innerHeight || 1;
  const isDoc = (el) => el === doc.scrollingElement || el === doc.documentElement || el === doc.body;
  function scrolls(el) {
    if (isDoc(el)) return false;
    const style = getComputedStyle(el);
    if (!/(auto|scroll|overlay)/.test(style.overflowY)) return false;
    if (style.visibility === "hidden" || style.display === "none") return false;
    return el.clientHeight >= 40 && el.scrollHeight > el.clientHeight + 4;
  }
  function area(el) {
    const r = el.getBoundingClientRect();
    return Math.max(0, Math.min(r.width, vw)) * Math.max(0, Math.min(r.height, vh));
  }
"""
    + _ROWS_LIB
    + r"""
  function names(el) {
    const cls = typeof el.className === "string" ? el.className : "";
    return [el.id, cls, el.getAttribute("role") || "", el.getAttribute("aria-label") || ""].join(" ");
  }
  function composerBelow(el) {
    // Chats have their message box right under the conversation.
    const r = el.getBoundingClientRect();
    let scope = el.parentElement;
    for (let depth = 0; scope && depth < 2; depth++, scope = scope.parentElement) {
      const boxes = scope.querySelectorAll('textarea, [contenteditable=""], [contenteditable="true"], [role="textbox"]');
      for (const box of boxes) {
        if (el.contains(box)) continue;
        const b = box.getBoundingClientRect();
        if (b.width && b.height && b.top >= r.bottom - 8 && b.top - r.bottom < 200 &&
            b.left < r.right && b.right > r.left) return true;
      }
    }
    return false;
  }
  function judge(el) {
    const reasons = [];
    const share = area(el) / (vw * vh);
    let score = share;
    const parents = rowParents(el);
    const parent = parents[0];
    const kids = parents.flatMap((p) => Array.from(p.children));
    if (kids.length >= 3) {
      const shapes = new Map();
      let texty = 0;
      for (const k of kids) {
        const shape = k.tagName + "." + (k.classList[0] || "");
        shapes.set(shape, (shapes.get(shape) || 0) + 1);
        if ((k.textContent || "").trim()) texty++;
      }
      const common = Math.max(...shapes.values());
      if (common / kids.length >= 0.6 && texty / kids.length >= 0.6) {
        score += 1.5;
        reasons.push(`${kids.length} similar rows with text`);
      }
    }
    let hinted = CHAT_WORDS.test(names(parent)) || (kids[0] && CHAT_WORDS.test(names(kids[0])));
    for (let n = el, depth = 0; n && depth < 3 && !hinted; n = n.parentElement, depth++) {
      hinted = CHAT_WORDS.test(names(n)) || n.getAttribute("role") === "log";
    }
    if (hinted) { score += 1; reasons.push("chat-like names"); }
    if (el.scrollTop > 0 && el.scrollTop + el.clientHeight >= el.scrollHeight - 4) {
      score += 1;
      reasons.push("scrolled to the latest");
    }
    if (composerBelow(el)) { score += 0.5; reasons.push("message box below"); }
    reasons.push(`${Math.round(share * 100)}% of the viewport`);
    return {score: Math.round(score * 1000) / 1000, reasons};
  }
  function cssPath(el) {
    if (isDoc(el)) return "html";
    const parts = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (node.id) {
        const byId = "#" + CSS.escape(node.id);
        if (doc.querySelectorAll(byId).length === 1) { parts.unshift(byId); break; }
      }
      if (node === doc.documentElement) { parts.unshift("html"); break; }
      let part = node.tagName.toLowerCase();
      const parent = node.parentElement;
      if (!parent) { parts.unshift(part); break; }
      const same = Array.from(parent.children).filter((c) => c.tagName === node.tagName);
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(node) + 1})`;
      parts.unshift(part);
    }
    const path = parts.join(" > ");
    return doc.querySelector(path) === el ? path : null;
  }
  function candidate(el) {
    const path = cssPath(el);
    if (!path) return null;
    return {path, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight, ...judge(el)};
  }
  function best(els) {
    const found = els.filter(scrolls).map(candidate).filter(Boolean);
    found.sort((a, b) => b.score - a.score);
    return found;
  }
  const page = doc.scrollingElement || doc.documentElement;
  const pageScrolls = page.scrollHeight > page.clientHeight + 4;
  if (!target) {
    const all = Array.from(doc.querySelectorAll("body *")).slice(0, 50000);
    return {found: best(all), pageScrolls};
  }
  // A selector the user gave: the box itself, the box inside it, or the box around it.
  if (isDoc(target)) return {found: [], pageScrolls, how: "page"};
  if (scrolls(target)) return {found: [candidate(target)].filter(Boolean), pageScrolls, how: "itself"};
  const inside = best(Array.from(target.querySelectorAll("*")));
  if (inside.length) return {found: inside, pageScrolls, how: "inside"};
  for (let up = target.parentElement; up; up = up.parentElement) {
    if (scrolls(up)) return {found: [candidate(up)].filter(Boolean), pageScrolls, how: "around"};
  }
  return {found: [candidate(target)].filter(Boolean), pageScrolls, how: "as-is"};
}
"""
)

_DETECT_JS = f"(opts) => ({_FIND_LIB})(null, opts)"
_RESOLVE_JS = f"(el, opts) => ({_FIND_LIB})(el, opts)"

# Shared by the loading and capture steps: geometry of the box and its rows.
_VIEW_LIB = (
    r"""
  const doc = el.ownerDocument;
  const isDoc = el === doc.scrollingElement || el === doc.documentElement;
  // One frame, then a task: by then the page's own frame callbacks and the work they
  // queued (virtual lists render there) have run. The timer bounds it in a hidden tab.
  const nextFrame = () => new Promise((done) => {
    const timer = setTimeout(done, 100);
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { clearTimeout(timer); done(); };
      channel.port2.postMessage(0);
    });
  });
  const go = (top) => el.scrollTo({top, behavior: "instant"});
"""
    + _ROWS_LIB
    + r"""
  let parentsSeen = null;
  function rowElements() {
    // Found once per call (the walk is not free), again if the page replaced them.
    if (!parentsSeen || !parentsSeen.every((p) => p.isConnected && el.contains(p))) {
      parentsSeen = rowParents(el);
    }
    return parentsSeen.flatMap((p) => Array.from(p.children));
  }
  function textOf(row) {
    const lines = (row.innerText || "").split("\n")
      .map((line) => line.replace(/\s+/g, " ").trim()).filter(Boolean);
    if (lines.length) return lines.join("\n");
    if (!row.querySelector("img, picture, video, canvas, svg")) return "";
    const alts = Array.from(row.querySelectorAll("img[alt]")).map((i) => i.alt.trim()).filter(Boolean);
    return alts.length ? `[图片 image: ${alts.join(", ")}]` : "[图片 image]";
  }
  // Offsets are in scroll-content coordinates: the same row has the same offset in
  // every step, two equal messages never do.
  function rows() {
    const viewTop = isDoc ? 0 : el.getBoundingClientRect().top + el.clientTop;
    const out = [];
    for (const row of rowElements()) {
      const r = row.getBoundingClientRect();
      if (r.height) out.push({row, offset: Math.round(r.top - viewTop + el.scrollTop), height: r.height});
    }
    return out;
  }
  // Share of the visible window that rows fill: near 0 while a virtual list has not
  // rendered the window yet.
  function coverage(all) {
    const top = el.scrollTop, bottom = top + el.clientHeight;
    const spans = all.map(({offset, height}) => [Math.max(top, offset), Math.min(bottom, offset + height)])
      .filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
    let sum = 0, end = top;
    for (const [a, b] of spans) { if (b > end) { sum += b - Math.max(a, end); end = b; } }
    return sum / Math.max(1, el.clientHeight);
  }
  // Wait (bounded) until the window is rendered: debounced lists render late. Up to
  // 1 s for an empty window, 0.4 s for one filled less than earlier windows were.
  async function rendered(want) {
    const start = performance.now();
    for (;;) {
      await nextFrame();
      const filled = coverage(rows()), waited = performance.now() - start;
      if (!(filled < 0.5 && waited < 1000) && !(filled < want && waited < 400)) return;
    }
  }
  // A list whose rows in the DOM span much less than its content is virtualized.
  function virtualized(all) {
    if (!all.length) return true;
    const last = all[all.length - 1];
    return Math.abs(last.offset + last.height - all[0].offset) < el.scrollHeight - 2 * el.clientHeight;
  }
  function offsetOf(row) {
    const viewTop = isDoc ? 0 : el.getBoundingClientRect().top + el.clientTop;
    return Math.round(row.getBoundingClientRect().top - viewTop + el.scrollTop);
  }
"""
)

# Loading: go to the top (nudging when already there, so the page sees a scroll) and
# report the height before, and what the top looks like a frame later.
_LOAD_JS = (
    "async (el, toTop) => {"
    + _VIEW_LIB
    + r"""
  const before = el.scrollHeight;
  if (toTop) {
    if (el.scrollTop < 1) { go(Math.min(120, el.scrollHeight)); await nextFrame(); }
    go(0);
    if (virtualized(rows())) await rendered(0.5);
  }
  let first = "", firstOffset = Infinity;
  for (const {row, offset} of rows()) {
    if (offset < firstOffset) {
      firstOffset = offset;
      first = offset + ":" + (row.textContent || "").slice(0, 200);
    }
  }
  return {top: Math.floor(el.scrollTop), height: el.scrollHeight, client: el.clientHeight, before, first};
}"""
)

# Capture step. First checks that what the previous step returned still holds (a
# virtual list may have rendered late: then it returns the fresh rows without
# scrolling, and the caller retakes the screenshot). It also measures how far older
# messages arriving at the top pushed the content down, by the offset of a reference
# row, so that offsets stay those of the content as it was when the pass began.
# Then it scrolls to `target` + that shift and returns the visible rows; a list that
# has all its rows in the DOM needs no frame, a virtual one gets one.
_STEP_JS = (
    "async (el, arg) => {"
    + _VIEW_LIB
    + r"""
  const visible = (all) => {
    const top = el.scrollTop, bottom = top + el.clientHeight;
    return all.filter(({offset, height}) => offset + height > top && offset < bottom)
      .map(({row, offset, height}) => [offset, textOf(row), height]).filter(([, text]) => text);
  };
  const reference = (all) => {
    const last = all[all.length - 1];
    return last ? {row: last.row, offset: last.offset, text: (last.row.textContent || "").slice(0, 500)}
                : {row: null, offset: 0, text: ""};
  };
  const sign = (found) => JSON.stringify(found);
  const state = (all, found, ref) => ({
    top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight, rows: found,
    filled: coverage(all),
    sig: sign(found), ref: {offset: ref.offset, text: ref.text},
    rect: isDoc ? null : (() => { const r = el.getBoundingClientRect();
      return {x: r.left, y: r.top, width: r.width, height: r.height}; })(),
    pageOffset: {x: scrollX, y: scrollY},
    inView: isDoc || (() => { const r = el.getBoundingClientRect();
      return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; })(),
  });
  if (!arg.expect) {
    // Screenshots are taken without Playwright's own wait for web fonts.
    await Promise.race([doc.fonts.ready, new Promise((done) => setTimeout(done, 2000))]);
  }
  let all = rows();
  if (arg.target === null && virtualized(all)) { await rendered(arg.want); all = rows(); }
  const ref = reference(all);
  const expect = arg.expect;
  const across = expect && expect.ref.text === ref.text ? ref.offset - expect.ref.offset : 0;
  if (expect) {
    const found = visible(all);
    if (sign(found) !== expect.sig || arg.target === null) {
      return {stale: sign(found) !== expect.sig, across, within: 0, ...state(all, found, ref)};
    }
  }
  go(arg.target + arg.shift + across);
  // A list with every row in the DOM shows the new window at once; a virtual one
  // renders it in a later frame. Should it render even later than we waited, the
  // next step's check sees the rows change and the screenshot is retaken.
  all = rows();
  const virtual = virtualized(all);
  if (virtual) { await rendered(arg.want); all = rows(); }
  const same = ref.row && ref.row.isConnected && (ref.row.textContent || "").slice(0, 500) === ref.text;
  const within = same ? offsetOf(ref.row) - ref.offset : 0;
  return {stale: false, across, within, virtual, ...state(all, visible(all), reference(all))};
}"""
)

_BOTTOM_JS = "(el) => el.scrollTo({top: el.scrollHeight, behavior: 'instant'})"


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
        self.pending: set = set()
        self.finished = 0  # history requests that came back (or failed)
        self.last_activity = clock.now()
        self.arrived = asyncio.Event()

    def _started(self, request) -> None:
        if request.resource_type in HISTORY_REQUESTS:
            self.pending.add(request)
            self.last_activity = self.clock.now()

    def _ended(self, request) -> None:
        if request in self.pending:
            self.pending.discard(request)
            self.finished += 1
            self.last_activity = self.clock.now()
            self.arrived.set()

    async def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or less when a history request just ended."""
        try:
            await asyncio.wait_for(self.arrived.wait(), seconds)
        except TimeoutError:
            pass
        self.arrived.clear()

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


@dataclass
class _History:
    loads: int = 0
    tops: int = 0
    first_height: int = 0
    height: int = 0
    stopped: str | None = None  # why loading ended before the start was reached


@dataclass
class _Segment:
    png: bytes
    scroll_top: int
    height: int


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
) -> None:
    """Capture the whole conversation of a chat page into `rec`'s capture directory."""
    from playwright.async_api import Error as PlaywrightError

    clock = _Clock(deadline)
    try:
        box = await _find_container(page, rec, selector, clock)
    except (_Stopped, PlaywrightError) as exc:
        rec.warn(f"chat not captured: could not find the conversation ({_reason(exc)})")
        rec.action("chat_container", "no conversation found", selector=selector, outcome="failed")
        return
    rec.capture.chat_selector = box.path

    history = _History()
    with _Requests(page, clock) as requests:
        try:
            await _load_history(box, rec, history, max_scrolls, clock, requests)
        except (_Stopped, PlaywrightError) as exc:
            history.stopped = _reason(exc)
    _record_history(rec, history)

    files = _SegmentFiles(rec)
    done = _Pass()
    stop = None
    try:
        async with _Camera(page, box, list(mask)) as camera:
            done = await _capture_pass(box, clock, camera, files)
    except _Partial as partial:
        done, stop = partial.done, partial.reason
    await files.finish(done.segments)
    _write_capture(page, box, rec, done, history, stop)

    try:
        await clock.call(box.handle.evaluate, _BOTTOM_JS, limit=3.0)
        rec.action("scroll", "conversation left scrolled to the latest message", selector=box.path)
    except (_Stopped, PlaywrightError):
        pass  # where the box is left scrolled is cosmetic; the evidence is written


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


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
            result = await clock.call(frame.evaluate, _DETECT_JS, {}, limit=5.0)
        except Exception:  # a detached or cross-process frame that will not answer
            if frame is page.main_frame:
                raise
            continue
        scroll_areas += len(result["found"])
        for candidate in result["found"][:1]:
            if best is None or candidate["score"] > best[1]["score"]:
                best = (frame, candidate)
    if best is None:
        return await _page_itself(page, rec, clock, selector)
    frame, candidate = best
    handle = await clock.call(frame.query_selector, candidate["path"])
    if handle is None:
        return await _page_itself(page, rec, clock, selector)
    where = "" if frame is page.main_frame else f" in frame {frame.url}"
    others = f"; {scroll_areas} scroll areas on the page" if scroll_areas > 1 else ""
    rec.action(
        "chat_container",
        f"detected{where}: {candidate['path']} ({', '.join(candidate['reasons'])}{others})",
        selector=candidate["path"],
    )
    return _Container(frame, handle, candidate["path"], False)


async def _from_selector(page, rec: Recorder, selector: str, clock: _Clock) -> _Container | None:
    from playwright.async_api import Error as PlaywrightError

    problem = "matched nothing"
    hidden = False
    for frame in [page.main_frame] + [f for f in page.frames if f is not page.main_frame]:
        try:
            matches = await clock.call(frame.query_selector_all, selector, limit=5.0)
        except PlaywrightError as exc:
            if frame is page.main_frame and "selector" in str(exc).lower():
                problem = "is not a valid selector"
                break
            continue
        for match in matches:
            if not await clock.call(match.is_visible, limit=5.0):
                hidden = True
                continue
            result = await clock.call(match.evaluate, _RESOLVE_JS, {}, limit=5.0)
            if result.get("how") == "page":
                return await _page_itself(page, rec, clock, selector, given=True)
            if not result["found"]:
                continue
            path = result["found"][0]["path"]
            handle = await clock.call(frame.query_selector, path)
            if handle is None:
                continue
            how = {
                "itself": "",
                "inside": f"; the scroll box inside it is {path}",
                "around": f"; the scroll box around it is {path}",
                "as-is": "; it does not scroll, captured as it is",
            }[result["how"]]
            extra = f" (first visible of {len(matches)})" if len(matches) > 1 else ""
            rec.action(
                "chat_container", f"from --chat-selector {selector!r}{extra}{how}", selector=path
            )
            return _Container(frame, handle, path, False)
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
    steps = math.ceil(height / max(client, 1)) + 1
    return steps * STEP_ESTIMATE + WRITE_RESERVE + 0.5


async def _load_history(
    box: _Container, rec, history: _History, max_scrolls: int, clock: _Clock, requests: _Requests
) -> None:
    latencies: list[float] = []
    while True:
        if history.loads >= max_scrolls:
            history.stopped = f"limit --max-chat-scrolls {max_scrolls}"
            return
        start = await clock.call(box.handle.evaluate, _LOAD_JS, True)
        history.tops += 1
        if not history.first_height:
            history.first_height = start["before"]
        history.height = start["height"]
        if clock.left() < _capture_estimate(start["height"], start["client"]):
            history.stopped = "time limit"
            return
        began = clock.now()
        quiet = (
            QUIET_FIRST
            if not latencies
            else min(QUIET_MAX, max(QUIET_MIN, 2 * max(latencies) + 0.2))
        )
        finished_before = requests.finished
        changed_at = None
        nudged = began
        while True:
            await requests.wait(POLL)
            now = await clock.call(box.handle.evaluate, _LOAD_JS, False)
            history.height = now["height"]
            changed = now["height"] > start["before"] or now["first"] != start["first"]
            # A spinner changes the box too, before its request reaches us: a change
            # counts once a history request has come back, or, for sites that push
            # history another way, once it has lasted GRACE with none in flight.
            if changed and not requests.pending:
                if requests.finished > finished_before:
                    break
                changed_at = changed_at or clock.now()
                if clock.now() - changed_at >= GRACE:
                    break
                continue
            changed_at = None
            if requests.pending:
                if clock.now() - began >= IN_FLIGHT_LIMIT:
                    history.stopped = (
                        f"the site did not send older messages within {IN_FLIGHT_LIMIT:g} s"
                    )
                    return
            elif clock.now() - max(began, requests.last_activity) >= quiet:
                return  # nothing in flight and nothing new: the start of the conversation
            elif clock.now() - nudged >= NUDGE:
                # Sites ignore a scroll that comes while they still finish the previous
                # load (a "busy" flag cleared just after the rows land): while nothing
                # is in flight, scroll away and back to the top again now and then.
                await clock.call(box.handle.evaluate, _LOAD_JS, True)
                nudged = clock.now()
            if clock.left() < _capture_estimate(now["height"], now["client"]):
                history.stopped = "time limit"
                return
        history.loads += 1
        latencies.append(clock.now() - began)


def _record_history(rec: Recorder, history: _History) -> None:
    if history.loads:
        rec.action(
            "chat_history",
            f"scrolled to the top {_times(history.tops)}; older messages arrived "
            f"{_times(history.loads)} (scroll height {history.first_height} -> {history.height} px)",
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
    box: _Container, clock: _Clock, camera: _Camera, files: _SegmentFiles
) -> _Pass:
    """From the top to the bottom in steps of one box height: segments and rows."""
    from playwright.async_api import Error as PlaywrightError

    done = _Pass()
    target = 0  # top of the next window, in the coordinates the pass began with
    shift = 0  # how far older messages arriving at the top pushed the content down
    last = None  # what the previous step saw, to check it still holds
    finishing = False  # the last window is taken: only check that it still holds
    stale_retakes = 0
    steps, max_steps = 0, None
    step_times: list[float] = []
    filled: list[float] = []  # share of each window that rows filled
    try:
        while True:
            steps += 1
            if max_steps and steps > max_steps:
                raise _Stopped("the conversation kept changing while it was captured")
            needed = (max(step_times) if step_times else STEP_ESTIMATE) * 1.5 + WRITE_RESERVE
            if clock.left() < needed:
                raise _Stopped("time limit")
            began = clock.now()
            arg = {
                "target": None if finishing else target,
                "shift": shift,
                "expect": None if stale_retakes >= 3 and not finishing else last,
                "want": _want(filled),
            }
            step = await clock.call(box.handle.evaluate, _STEP_JS, arg)
            moved = step["across"] + step["within"]
            shift += moved
            done.prepended += max(moved, 0)
            for offset, text, height in step["rows"]:
                done.add_row(offset - shift, text, height)
            last = {"sig": step["sig"], "ref": step["ref"]}
            if step["stale"]:
                stale_retakes += 1
                if moved:
                    # The content moved under the last window: take it again where it is now.
                    again = done.segments.pop()
                    done.covered = max((s.scroll_top + s.height for s in done.segments), default=0)
                    target, last, finishing = again.scroll_top, None, False
                    continue
                # The rows changed after the last screenshot (a late render): retake it.
                done.segments[-1].png = await clock.call(camera.shoot, step, clock)
                if finishing and stale_retakes >= 3:
                    break
                continue
            if finishing:
                break
            stale_retakes = 0
            png = await clock.call(camera.shoot, step, clock)
            top, client = round(step["top"]) - shift, step["client"]
            height = step["height"] - shift
            if max_steps is None:
                max_steps = 3 * math.ceil(height / max(client, 1)) + 20
            if done.segments and top > done.covered:
                raise _Stopped(f"the conversation did not scroll as asked (to {target} px)")
            if done.segments and top <= done.segments[-1].scroll_top:
                raise _Stopped(f"the conversation stopped scrolling at {top} px")
            done.segments.append(_Segment(png, top, client))
            await files.write_upto(done.segments, len(done.segments) - 1)
            done.covered = max(done.covered, top + client)
            done.scroll_height = height
            filled.append(step["filled"])
            step_times.append(clock.now() - began)
            if done.covered >= height or client < 1:
                finishing = True  # a virtual list may render the last window late
            target = top + client
        return done
    except (_Stopped, PlaywrightError) as exc:
        raise _Partial(done, _reason(exc)) from None


def _want(filled: list[float]) -> float:
    """How full a rendered window should be: most of what earlier windows were."""
    if not filled:
        return 0.5
    return 0.9 * statistics.median(filled)


class _Camera:
    """Screenshots of the box as it is scrolled.

    Without masks, in the main frame, a direct DevTools capture of the box's rectangle:
    the same bytes as page.screenshot(clip=...), in two thirds of the time, because
    page.screenshot prepares and restores every frame of the page each time.
    """

    def __init__(self, page, box: _Container, mask: list[str]):
        self.page, self.box = page, box
        self.locators = [page.locator(m) for m in mask]
        self.devtools = None

    async def __aenter__(self) -> Self:
        from playwright.async_api import Error as PlaywrightError

        if (
            not self.locators
            and not self.box.is_document
            and self.box.frame is self.page.main_frame
        ):
            try:
                self.devtools = await asyncio.wait_for(
                    self.page.context.new_cdp_session(self.page), 5
                )
            except (PlaywrightError, TimeoutError):
                self.devtools = None  # not Chromium's protocol: page.screenshot it is
        return self

    async def __aexit__(self, *exc) -> None:
        from playwright.async_api import Error as PlaywrightError

        if self.devtools is not None:
            try:
                await asyncio.wait_for(self.devtools.detach(), 5)
            except (PlaywrightError, TimeoutError):
                pass

    async def shoot(self, step: dict, clock: _Clock) -> bytes:
        page, box, mask = self.page, self.box, self.locators
        timeout = max(1.0, min(CALL_LIMIT, clock.left())) * 1000
        if box.is_document:
            if box.frame is page.main_frame:
                return await page.screenshot(mask=mask, mask_color=MASK_COLOR, timeout=timeout)
            element = await box.frame.frame_element()
            return await element.screenshot(mask=mask, mask_color=MASK_COLOR, timeout=timeout)
        rect = step["rect"]
        if box.frame is not page.main_frame or not step["inView"] or rect["width"] < 1:
            # Playwright scrolls it into view and handles boxes taller than the window.
            return await box.handle.screenshot(mask=mask, mask_color=MASK_COLOR, timeout=timeout)
        if self.devtools is not None:
            clip = {
                "x": rect["x"] + step["pageOffset"]["x"],
                "y": rect["y"] + step["pageOffset"]["y"],
                "width": rect["width"],
                "height": rect["height"],
                "scale": 1,
            }
            shot = await self.devtools.send(
                "Page.captureScreenshot",
                {"format": "png", "clip": clip, "captureBeyondViewport": False},
            )
            return base64.b64decode(shot["data"])
        return await page.screenshot(clip=rect, mask=mask, mask_color=MASK_COLOR, timeout=timeout, caret="initial")


def _write_capture(
    page, box: _Container, rec: Recorder, done: _Pass, history: _History, stop: str | None
) -> None:
    messages = done.messages()
    rec.capture.chat_scroll_height = done.scroll_height or None
    rec.capture.chat_messages = len(messages)

    notes = []
    if history.stopped:
        notes.append(
            f"chat history may be incomplete: stopped after {_plural(history.loads, 'load')} "
            f"({history.stopped}), {len(messages)} messages captured"
        )
    if stop and done.segments:
        notes.append(
            f"chat capture stopped early ({stop}): the segments cover {done.covered} of "
            f"{done.scroll_height} px, {len(messages)} messages captured"
        )
    elif stop:
        notes.append(f"chat capture stopped early ({stop}) before the first segment")
    for note in notes:
        rec.warn(note)
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
        outcome="warning" if stop else "ok",
    )

    header = [
        "# 聊天记录 Chat transcript",
        f"# 网址 URL: {page.url}",
        f"# 会话区域 Container: {box.path}",
        f"# 消息数 Messages: {len(messages)}",
    ] + [f"# 注意 Warning: {note}" for note in notes]
    text = "\n".join(header) + "\n\n" + "\n\n".join(messages) + ("\n" if messages else "")
    rec.write("transcript.txt", text.encode("utf-8"), "transcript", "text/plain; charset=utf-8")
