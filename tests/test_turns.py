"""A target that loaded ahead waits for its turn to be pictured (capture/pages.py,
capture/session.py): what it pictures is the page as it is at its turn, looked at again
after the wait, and the wait is in its record and not in its time limit."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from capture.manifest import Manifest
from capture.pages import PageOptions, capture_target
from capture.plan import Target

from .capture_site import MisbehavingHandler
from .chat_site import new_recorder
from .servers import serve
from .test_chat import chromium_async  # noqa: F401 - the module's one async Chromium

LATE = "added while the page waited for its turn"


def _captured_while_held(chromium_async, tmp_path, url: str, while_held, timeout: float = 60):  # noqa: F811
    """Capture `url` with its turn held by the test: once the capture waits for it,
    `await while_held(page)`, then the turn is given. Returns the capture."""
    rec = new_recorder(tmp_path, url)
    turn = asyncio.Semaphore(1)

    async def run():
        context = await chromium_async.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            await turn.acquire()  # another target's pictures are being taken
            options = PageOptions(timeout=timeout, max_chat_scrolls=10, turn=turn)
            work = asyncio.create_task(capture_target(context, Target(kind="page", url=url), rec, options))
            while not getattr(turn, "_waiters", None):  # until the capture waits for it
                assert not work.done(), work.result()
                await asyncio.sleep(0.02)
            [page] = context.pages
            await while_held(page)
            turn.release()
            await work
            assert not turn.locked()  # its turn is given back once the capture is done
        finally:
            await context.close()

    chromium_async.run(run(), timeout=180)
    return rec.capture


def test_a_page_that_waited_for_its_turn_is_looked_at_again_and_pictured_as_it_is_then(
        tmp_path, chromium_async, site):  # noqa: F811
    async def change(page):
        # Loaded and settled, waiting: the page changes meanwhile, and goes on changing
        # for a while after its turn comes.
        await page.evaluate(f"""() => {{
            document.body.insertAdjacentHTML('beforeend', '<p id="late">{LATE}</p>');
            const until = performance.now() + 1500;
            const tick = setInterval(() => {{
                document.getElementById('late').dataset.n = String(performance.now());
                if (performance.now() > until) clearInterval(tick);
            }}, 50);
        }}""")
        await asyncio.sleep(0.1)

    capture = _captured_while_held(chromium_async, tmp_path, f"{site}/hello.html", change)
    assert capture.error is None
    details = [(a.type, a.detail) for a in capture.actions]
    waited = next(i for i, (kind, detail) in enumerate(details)
                  if kind == "wait" and "for other targets' pictures" in detail)
    settles = [i for i, (kind, detail) in enumerate(details) if kind == "settle" and "content" in detail]
    # Settled once before the wait, and looked at again after it: the late change was seen.
    assert settles[0] < waited < settles[-1]
    assert "changing" in details[settles[-1]][1]  # waited while it changed, boundedly
    assert waited < next(i for i, (kind, _) in enumerate(details) if kind == "screenshot")
    text = next(a for a in capture.artifacts if a.role == "text")
    assert LATE in (tmp_path / text.path).read_text(encoding="utf-8")


def test_a_page_with_its_turn_free_records_no_wait(tmp_path, chromium_async, site):  # noqa: F811
    rec = new_recorder(tmp_path, f"{site}/hello.html")
    turn = asyncio.Semaphore(1)

    async def run():
        context = await chromium_async.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            await capture_target(context, Target(kind="page", url=f"{site}/hello.html"), rec,
                                 PageOptions(timeout=60, max_chat_scrolls=10, turn=turn))
            assert not turn.locked()
        finally:
            await context.close()

    chromium_async.run(run(), timeout=120)
    assert rec.capture.error is None
    assert not [a for a in rec.capture.actions if "for other targets' pictures" in a.detail]
    assert len([a for a in rec.capture.actions if a.type == "settle" and "content" in a.detail]) == 1


def test_the_wait_for_a_turn_does_not_count_against_the_time_limit(tmp_path, chromium_async, site):  # noqa: F811
    # Held past its whole time limit: counted, the 16 400 px page would stop at its first
    # tile ("the time limit"); not counted, all three are taken.
    timeout = 8

    async def hold(page):
        await asyncio.sleep(timeout + 1)

    capture = _captured_while_held(chromium_async, tmp_path, f"{site}/capture/device-width.html", hold,
                                   timeout=timeout)
    assert capture.error is None and capture.page_height == 16_400
    assert capture.warnings == []
    assert [a.height for a in capture.artifacts if a.role == "screenshot_tile"] == [8192, 8192, 16]
    [waited] = [a for a in capture.actions if "for other targets' pictures" in a.detail]
    assert float(waited.detail.split("waited ")[1].split(" s")[0]) >= timeout


def test_a_page_that_went_elsewhere_while_it_waited_says_so(tmp_path, chromium_async, site):  # noqa: F811
    url, moved = f"{site}/hello.html", f"{site}/long.html"

    async def go(page):
        await page.evaluate(f"location.href = {moved!r}")
        await page.wait_for_url(moved)
        await page.wait_for_load_state("load")

    capture = _captured_while_held(chromium_async, tmp_path, url, go)
    assert capture.error is None and capture.final_url == moved
    assert capture.warnings == [f"the page went from {url} to {moved} while it waited for its turn to be "
                                f"pictured: it is pictured at {moved}; its recorded response is that of {url}"]
    text = next(a for a in capture.artifacts if a.role == "text")
    assert "Screen 7" in (tmp_path / text.path).read_text(encoding="utf-8")  # the page it went to


@pytest.fixture(scope="module")
def slow_site():
    with serve(MisbehavingHandler) as url:  # /hold answers late
        yield url


def test_with_two_jobs_a_third_page_loads_while_the_first_two_hold_their_turns(tmp_path, slow_site):
    # The first two take their turns at once and hold them while they wait (bounded by
    # their own time limit) for an element that never comes. The third, opened beside
    # them, loads later (its load event waits 3 s for an image) and then waits its turn.
    site = slow_site
    plan = tmp_path / "plan.toml"
    plan.write_text(
        f'[[target]]\nurl = "{site}/hello.html?1"\nwait_for = "#never"\ntimeout = 40\n'
        f'[[target]]\nurl = "{site}/hello.html?2"\nwait_for = "#never"\ntimeout = 40\n'
        f'[[target]]\nurl = "{site}/capture/late-load.html"\n', encoding="utf-8")
    out = tmp_path / "bundle"
    done = subprocess.run([sys.executable, "-m", "capture", "capture", "--plan", str(plan), "--jobs", "2",
                           "--no-report", "--no-trace", "-q", "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    first, second, third = Manifest.model_validate_json((out / "manifest.json").read_bytes()).captures
    assert [c.error for c in (first, second, third)] == [None, None, None]
    # The third was opened and loaded beside the other two, not after one of them ended.
    loaded = next(a.at for a in third.actions if a.type == "wait" and a.detail == "load event fired")
    assert loaded < min(first.finished_at, second.finished_at)
    [waited] = [a for a in third.actions if "for other targets' pictures" in a.detail]
    after = [a.type for a in third.actions[third.actions.index(waited) + 1:]]
    assert after[0] == "settle" and "screenshot" in after  # looked at again, then pictured
    assert not [a for c in (first, second) for a in c.actions if "for other targets' pictures" in a.detail]
