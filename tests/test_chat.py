"""Whole chats: the conversation box is found, its history loaded, its segments cover
it and its transcript holds every message once, in order (capture/chat.py).

The tests share one Chromium driven through the async API (as the capture session
drives it) from an event loop on its own thread, and one local site whose history
endpoint can be slow or dead.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path

import pytest

from capture.browser import find_browser, launch_args
from capture.chat_camera import Camera
from capture.coverage import px
from capture.png import decode_rows, png_size
from capture.record import Recorder

from .chat_site import ID, TOTAL, chat_site, new_recorder, run_chat  # noqa: F401

class AsyncChromium:
    """One Chromium for the module, driven through the async API from its own event
    loop thread: pytest-playwright's sync fixtures, used by other tests in the same
    run, keep a loop of their own on the main thread."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.playwright, self.browser = self.run(self._start())

    async def _start(self):
        from playwright.async_api import async_playwright

        playwright = await async_playwright().start()
        browser = await playwright.chromium.launch(
            executable_path=str(find_browser().executable), args=launch_args()
        )
        return playwright, browser

    def run(self, coroutine, timeout: float = 180):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        try:
            self.run(self.browser.close(), 30)
            self.run(self.playwright.stop(), 30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


@pytest.fixture(scope="module")
def chromium_async():
    driver = AsyncChromium()
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture(scope="module")
def chat_server():
    with chat_site() as found:
        yield found


@pytest.fixture
def capture(tmp_path, chromium_async, chat_server):
    """capture("lazy.html", **options) -> (recorder, seconds taken, deadline left)."""
    site, served = chat_server

    def run(name: str, **options):
        url = f"{site}/{name}"
        return chromium_async.run(run_chat(chromium_async.browser, url, tmp_path, **options))

    run.served = served
    return run


def transcript(rec: Recorder, root: Path) -> str:
    [artifact] = [a for a in rec.capture.artifacts if a.role == "transcript"]
    return (root / artifact.path).read_text("utf-8")


def messages(text: str) -> list[str]:
    return text.rstrip("\n").split("\n\n")[1:]


def segments(rec: Recorder):
    return [a for a in rec.capture.artifacts if a.role == "chat_segment"]


def assert_segments_cover_the_conversation(rec: Recorder, root: Path, whole: bool = True) -> None:
    """Segments from the top without a gap, each picture as tall as it claims; with
    `whole`, to the end of the conversation (else the capture said where they stopped)."""
    found = segments(rec)
    assert [a.path.rsplit("/", 1)[1] for a in found] == [
        f"chat-{n:03d}.png" for n in range(1, len(found) + 1)
    ]
    covered = 0
    for artifact in found:
        assert artifact.media_type == "image/png"
        assert artifact.scroll_top <= covered, f"gap before {artifact.path}"
        covered = max(covered, artifact.scroll_top + artifact.height)
        data = (root / artifact.path).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert hashlib.sha256(data).hexdigest() == artifact.sha256
        assert len(data) == artifact.bytes
        # The picture has a row for every px of conversation it is recorded to show.
        assert png_size(data)[1] >= artifact.height > 0
    assert rec.capture.chat_scroll_height > 0
    assert covered >= rec.capture.chat_scroll_height if whole else covered > 0
    [check] = [a for a in rec.capture.actions if a.type == "coverage_check"]
    if whole:
        assert check.outcome == "ok" and "no gap" in check.detail
    else:  # stopped early, said so; never a hole inside what is covered
        assert "is in no picture" not in check.detail and f"cover 0–{px(covered)} " in check.detail


async def chat_at_bottom(page) -> bool:
    return await page.evaluate(
        "() => { const b = document.getElementById('chat');"
        " return b.scrollTop + b.clientHeight >= b.scrollHeight - 1; }"
    )


def ids_in(text: str) -> list[int]:
    return [int(n) for n in ID.findall(text)]


def test_lazy_chat_transcript_has_every_message_once_in_order(capture, tmp_path):
    async def after(page):
        seen["bottom"] = await chat_at_bottom(page)

    seen = {}
    before = capture.served["history"]
    rec, _, _ = capture("lazy.html", after=after)
    text = transcript(rec, tmp_path)
    assert ids_in(text) == list(range(1, TOTAL + 1))
    assert rec.capture.chat_messages == TOTAL == len(messages(text))
    assert "卖家 · 05-01 09:01 · #m0001\n" in text
    assert rec.capture.chat_selector == "#chat"
    assert rec.capture.warnings == []
    assert capture.served["history"] - before >= (TOTAL - 30) // 30
    assert_segments_cover_the_conversation(rec, tmp_path)
    types = [a.type for a in rec.capture.actions]
    assert types[:3] == ["chat_container", "chat_history", "chat_history_end"]
    assert seen["bottom"], "the chat is left scrolled to the latest message"


def test_segments_are_taken_without_changing_the_page_viewport(capture, tmp_path):
    # Shots through a DevTools session of our own without Playwright's device emulation
    # on it replaced that emulation: the page was laid out at the browser window's size
    # for the shot (and left there), which cost the demo's first segment its bottom 60 px.
    # The camera's session now carries the same override and outlives the pass.
    async def after(page):
        seen.update(await page.evaluate(
            "() => ({view: [innerWidth, innerHeight], screen: [screen.width, screen.height]})"
        ))

    seen = {}
    rec, _, _ = capture("lazy.html", after=after)
    assert seen == {"view": [1280, 900], "screen": [1280, 900]}
    assert rec.capture.warnings == []
    assert_segments_cover_the_conversation(rec, tmp_path)


async def playwright_picture_of_the_top(page) -> bytes:
    """Playwright's own screenshot of the chat box scrolled to its top."""
    rect = await page.evaluate("""() => {
        const el = document.querySelector('#chat'); el.scrollTop = 0;
        const r = el.getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height}; }""")
    await page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
    return await page.screenshot(clip=rect, caret="initial")


def test_segment_shot_is_the_picture_playwright_takes_of_the_same_window(capture, tmp_path):
    # A segment is the box's window as Playwright pictures it, nothing else in the
    # image, though our own DevTools session takes it (chat_camera.py).
    async def after(page):
        seen["playwright"] = await playwright_picture_of_the_top(page)

    seen = {}
    rec, _, _ = capture("lazy.html", after=after)
    first = segments(rec)[0]
    assert first.scroll_top == 0
    ours = decode_rows((tmp_path / first.path).read_bytes())
    assert _same_pixels(ours, decode_rows(seen["playwright"]))


def test_segments_at_another_scale_and_screen_are_playwright_pictures_and_keep_the_page(
        capture, tmp_path):
    # The camera's session repeats Playwright's whole override (viewport, screen, scale):
    # a picture of it is Playwright's picture, and the page keeps its emulation after.
    emulation = {"viewport": {"width": 1000, "height": 700}, "screen": {"width": 1440, "height": 1000},
                 "device_scale_factor": 2}

    async def after(page):
        seen.update(await page.evaluate(
            "() => ({view: [innerWidth, innerHeight], screen: [screen.width, screen.height],"
            " dpr: devicePixelRatio})"))
        seen["playwright"] = await playwright_picture_of_the_top(page)

    seen = {}
    rec, _, _ = capture("lazy.html", emulation=emulation, after=after)
    assert {k: seen[k] for k in ("view", "screen", "dpr")} == {
        "view": [1000, 700], "screen": [1440, 1000], "dpr": 2}
    assert rec.capture.warnings == []
    assert_segments_cover_the_conversation(rec, tmp_path)
    first = segments(rec)[0]
    assert first.scroll_top == 0
    ours = decode_rows((tmp_path / first.path).read_bytes())
    assert ours[0] == 2 * 480  # device pixels
    assert _same_pixels(ours, decode_rows(seen["playwright"]))


@pytest.fixture
def through_devtools(monkeypatch):
    """For each picture the camera tried through our own session: whether it got one."""
    taken = []
    real = Camera._through_devtools

    async def counted(self, rect):
        png = await real(self, rect)
        taken.append(png is not None)
        return png

    monkeypatch.setattr(Camera, "_through_devtools", counted)
    return taken


def test_segments_go_through_our_session(capture, tmp_path, through_devtools):
    # Otherwise the tests above would pass on Playwright's pictures alone.
    rec, _, _ = capture("lazy.html")
    assert len(through_devtools) >= len(segments(rec)) > 5 and all(through_devtools)


def _same_pixels(a, b, slack: int = 2) -> bool:
    """The same size, and every channel within `slack` of the other's. Chromium does not
    repeat the anti-aliasing of an edge bit for bit from one raster to the next: under
    load, 57 pixels of a 480x560 window, all on the bubbles' rounded edges, were 1 apart.
    A changed page (another emulation, a shifted window) is tens of rows of other colours."""
    (width, height, channels, rows), (other_width, other_height, other_channels, other_rows) = a, b
    if (width, height, channels) != (other_width, other_height, other_channels):
        return False
    return all(row == other or max(abs(x - y) for x, y in zip(row, other)) <= slack
               for row, other in zip(rows, other_rows))


def test_chat_that_ignores_scrolls_right_after_a_load_is_still_complete(capture, tmp_path):
    # The first scroll to the top after a load lands while the site is still "busy"
    # and is ignored; the history must not be taken as complete because of it.
    rec, _, _ = capture("lazy.html?settle=300")
    assert ids_in(transcript(rec, tmp_path)) == list(range(1, TOTAL + 1))
    assert not rec.capture.warnings


def test_virtualized_chat_transcript_has_every_message_once_in_order(capture, tmp_path):
    async def after(page):
        seen["bottom"] = await chat_at_bottom(page)

    seen = {}
    rec, _, _ = capture("virtual.html", after=after)
    text = transcript(rec, tmp_path)
    assert ids_in(text) == list(range(1, TOTAL + 1))
    assert rec.capture.chat_messages == TOTAL
    assert rec.capture.chat_scroll_height == TOTAL * 64
    assert rec.capture.warnings == []
    assert "chat_history" not in [a.type for a in rec.capture.actions]
    assert_segments_cover_the_conversation(rec, tmp_path)
    assert seen["bottom"], "the chat is left scrolled to the latest message"


def test_virtualized_chat_that_renders_late_is_complete(capture, tmp_path):
    # Rows render only 100 ms after scrolling pauses, with no rows beyond the window.
    rec, _, _ = capture("virtual.html?n=80&overscan=0&render_delay=100")
    assert ids_in(transcript(rec, tmp_path)) == list(range(1, 81))
    assert_segments_cover_the_conversation(rec, tmp_path)


def test_identical_messages_all_survive_also_when_grouped_by_day(capture, tmp_path):
    async def dom_counts(page):
        counts.update(
            await page.evaluate(
                """() => {
              const rows = document.querySelectorAll('#list .day > *');
              const texts = Array.from(document.querySelectorAll('#list .bubble'))
                .map((bubble) => bubble.textContent);
              return {all: rows.length, ok: texts.filter((t) => t === '好的').length};
            }"""
            )
        )

    counts = {}
    rec, _, _ = capture("repeated.html", after=dom_counts)
    found = messages(transcript(rec, tmp_path))
    assert len(found) == counts["all"] == rec.capture.chat_messages
    assert sum(m.endswith("\n好的") for m in found) == counts["ok"] >= 30
    # Grouped by day: the day titles are rows too, every group's messages are there.
    assert [m for m in found if m.startswith("——")] == [f"—— 5月{d}日 ——" for d in (1, 2, 3)]
    assert found[4:7] == ["买家 · 10:03\n好的"] * 3
    assert found[-2:] == ["卖家 · 12:00\n好的"] * 2
    assert len(segments(rec)) > 3
    assert_segments_cover_the_conversation(rec, tmp_path)


def test_masked_selectors_are_covered_in_every_segment(capture, tmp_path, through_devtools):
    rec, _, _ = capture("repeated.html", mask=[".meta"])
    assert through_devtools == []  # masks are Playwright's to paint
    for artifact in segments(rec):
        _, _, bpp, rows = decode_rows((tmp_path / artifact.path).read_bytes())
        # A masked region is a solid black run, wider than any glyph stroke.
        run = b"\x00\x00\x00" * 40 if bpp == 3 else b"\x00\x00\x00\xff" * 40
        assert any(run in row for row in rows), f"no masked region in {artifact.path}"
    # Masks hide pixels only: the transcript still has every message.
    assert rec.capture.chat_messages == len(messages(transcript(rec, tmp_path))) > 60


def test_stalled_history_gives_a_warning_and_a_partial_transcript_in_time(capture, tmp_path):
    rec, _, left = capture("stall.html", seconds=20)
    assert left > 0
    [warning] = rec.capture.warnings
    assert warning.startswith("chat history may be incomplete: stopped after 1 load (")
    assert "60 messages captured" in warning
    text = transcript(rec, tmp_path)
    assert ids_in(text) == list(range(TOTAL - 59, TOTAL + 1))
    assert rec.capture.chat_messages == 60
    assert rec.capture.actions[2].type == "chat_history_end"
    assert rec.capture.actions[2].outcome == "warning"
    assert_segments_cover_the_conversation(rec, tmp_path)


def test_scroll_limit_stops_loading_with_a_warning(capture, tmp_path):
    rec, _, _ = capture("lazy.html", max_scrolls=2)
    assert any(
        w == "chat history may be incomplete: stopped after 2 loads "
        "(limit --max-chat-scrolls 2), 90 messages captured"
        for w in rec.capture.warnings
    )
    # The capture itself scrolls to the top, where the page loads once more: those
    # messages land above the captured range and neither shift nor repeat the rest.
    assert ids_in(transcript(rec, tmp_path)) == list(range(TOTAL - 89, TOTAL + 1))
    assert_segments_cover_the_conversation(rec, tmp_path)


def test_short_deadline_stops_loading_and_still_writes_what_it_has(capture, tmp_path):
    rec, _, left = capture("lazy.html", seconds=3)
    assert left > 0
    assert any("(time limit)" in w for w in rec.capture.warnings)
    ids = ids_in(transcript(rec, tmp_path))
    # What it has is one run of messages without a gap. Normally that run ends at the
    # newest message; on a loaded machine the pictures themselves may run out of time
    # first, and then the capture must say where they stopped.
    assert len(ids) >= 30 and ids == list(range(ids[0], ids[0] + len(ids)))
    pictured_all = ids[-1] == TOTAL
    if not pictured_all:
        assert any("time limit" in w and "cover" in w for w in rec.capture.warnings), rec.capture.warnings
    assert rec.capture.chat_messages == len(ids)
    assert_segments_cover_the_conversation(rec, tmp_path, whole=pictured_all)


def test_of_two_scroll_areas_the_chat_is_chosen(capture, tmp_path):
    rec, _, _ = capture("two-scroll.html")
    assert rec.capture.chat_selector == "#p2"
    assert ids_in(transcript(rec, tmp_path)) == list(range(1, 41))
    assert "2 scroll areas" in rec.capture.actions[0].detail
    assert_segments_cover_the_conversation(rec, tmp_path)


def test_chat_selector_overrides_detection(capture, tmp_path):
    rec, _, _ = capture("two-scroll.html", selector="#orders")
    # #orders is the list inside the scroll box: the box around it is used.
    assert rec.capture.chat_selector == "#p1"
    found = messages(transcript(rec, tmp_path))
    assert len(found) == 60 and found[0].startswith("订单 202405010001")
    assert rec.capture.warnings == []
    assert_segments_cover_the_conversation(rec, tmp_path)


def test_chat_selector_matching_nothing_warns_and_detects(capture, tmp_path):
    rec, _, _ = capture("two-scroll.html", selector="#gone")
    assert rec.capture.warnings == [
        "--chat-selector '#gone' matched nothing; the conversation was detected instead"
    ]
    assert rec.capture.actions[0].outcome == "warning"
    assert rec.capture.chat_selector == "#p2"


def geometry(top=0, y=273.28125, height=600, client=600, inset=0, vh=900, dpr=1):
    return {"top": top, "client": client, "clientTop": inset, "vh": vh, "dpr": dpr,
            "rect": {"x": 361, "y": y, "width": 878, "height": height}}


def test_recorded_range_is_what_the_picture_shows():
    from capture.chat import _pictured

    box = geometry(top=1200)
    assert _pictured(box, box, 600, "clip") == (1200, 1800, 0)
    # The demo's first segment: the viewport was 813 px tall once the shot was taken,
    # so its last 60 rows were page background, not conversation.
    assert _pictured(geometry(), geometry(vh=813), 600, "clip") == (0, 540, 60)
    # Borders are the box's own pixels but no conversation; device pixels are not CSS px.
    bordered = geometry(height=604, inset=2)
    assert _pictured(bordered, bordered, 604, "clip") == (0, 600, 0)
    assert _pictured(geometry(dpr=2), geometry(dpr=2), 1200, "clip") == (0, 600, 0)
    # A box cut off by the bottom of the viewport: the clip keeps only what is in view.
    low = geometry(y=700)
    assert _pictured(low, low, 200, "clip") == (0, 200, 0)
    # Playwright brings a box it must scroll to into view and pictures all of it.
    assert _pictured(low, geometry(y=100), 600, "element") == (0, 600, 0)
