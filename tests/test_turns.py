"""A target that loaded ahead waits for its turn to be pictured (capture/pages.py,
capture/session.py): what it pictures is the page as it is at its turn, looked at again
after the wait, and the wait is in its record and not in its time limit."""

from __future__ import annotations

import asyncio

from capture.pages import PageOptions, capture_target
from capture.plan import Target

from .chat_site import new_recorder
from .test_chat import chromium_async  # noqa: F401 - the module's one async Chromium

LATE = "added while the page waited for its turn"


def test_a_page_that_waited_for_its_turn_is_looked_at_again_and_pictured_as_it_is_then(
        tmp_path, chromium_async, site):  # noqa: F811
    rec = new_recorder(tmp_path, f"{site}/hello.html")
    turn = asyncio.Semaphore(1)

    async def run():
        context = await chromium_async.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            await turn.acquire()  # another target's pictures are being taken
            options = PageOptions(timeout=60, max_chat_scrolls=10, turn=turn)
            work = asyncio.create_task(capture_target(context, Target(kind="page", url=f"{site}/hello.html"),
                                                      rec, options))
            while not turn.locked() or not getattr(turn, "_waiters", None):
                assert not work.done(), work.result()
                await asyncio.sleep(0.02)
            # Loaded and settled, waiting: the page changes meanwhile.
            [page] = context.pages
            await page.evaluate(f"document.body.insertAdjacentHTML('beforeend', '<p>{LATE}</p>')")
            await asyncio.sleep(0.1)
            turn.release()
            await work
            assert not turn.locked()  # its turn is given back once the capture is done
        finally:
            await context.close()

    chromium_async.run(run(), timeout=120)
    capture = rec.capture
    assert capture.error is None
    details = [(a.type, a.detail) for a in capture.actions]
    waited = next(i for i, (kind, detail) in enumerate(details)
                  if kind == "wait" and "for other targets' pictures" in detail)
    settles = [i for i, (kind, detail) in enumerate(details) if kind == "settle" and "content" in detail]
    # Settled once before the wait, and looked at again after it: the late change was seen.
    assert settles[0] < waited < settles[-1]
    assert "the document was still changing" in details[settles[-1]][1]
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
