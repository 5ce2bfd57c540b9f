"""The tiles of a tall page (capture/tile_camera.py): through our own DevTools session
where Playwright's preparation would change nothing, with the very pixels Playwright's
way gives and the page's emulation kept; Playwright's way wherever the page moves, has a
field in focus, or anything is masked."""

from __future__ import annotations

import pytest

from capture.devtools import devtools_session
from capture.png import decode_rows
from capture.record import MASK_COLOR
from capture.tile_camera import TileCamera

from .test_chat import chromium_async  # noqa: F401 - the module's one async Chromium

VIEWPORT = {"width": 1280, "height": 900}
EMULATION = {"viewport": VIEWPORT}
OPTIONS = {"mask": [], "mask_color": MASK_COLOR, "animations": "disabled"}
CLIPS = [{"x": 0, "y": y, "width": 1280, "height": 8192} for y in (0, 8192)]  # of a 40 000 px page


async def _nothing() -> None:
    pass


async def _tiles(browser, url: str, *, emulation=EMULATION, before=None):
    """(tiles through the camera, the same clips Playwright's way, tiles it took itself,
    the page's window and screen afterwards)."""
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await context.new_page()
        await page.goto(url)
        if before is not None:
            await before(page)
        async with devtools_session(page, optional=True, keep=lambda: True) as cdp:
            camera = TileCamera(page, OPTIONS, _nothing, cdp, emulation)
            ours = [await camera(clip) for clip in CLIPS]
            theirs = [await page.screenshot(clip=clip, full_page=True, **OPTIONS) for clip in CLIPS]
            window = await page.evaluate("[innerWidth, innerHeight, screen.width, screen.height]")
        return ours, theirs, camera.ours, window
    finally:
        await context.close()


def _pixels(png: bytes):
    width, height, bpp, rows = decode_rows(png)
    return width, height, bpp, [bytes(row) for row in rows]


def test_a_still_page_is_tiled_through_our_session_with_playwrights_very_pixels(chromium_async, site):  # noqa: F811
    ours, theirs, taken, window = chromium_async.run(_tiles(chromium_async.browser, f"{site}/capture/tall.html"))
    assert taken == len(CLIPS)
    for mine, playwrights in zip(ours, theirs):
        assert _pixels(mine) == _pixels(playwrights)
    # The page is still at the screen it is captured at (our session set the same one).
    assert window == [1280, 900, 1280, 900]


@pytest.mark.parametrize("where", ["", "?shadow", "?lying", "?shadow&lying"])
def test_a_page_with_an_animation_is_tiled_playwrights_way(chromium_async, site, where):  # noqa: F811
    # Also one in a shadow root (the document's getAnimations does not list it), and a
    # page whose own getAnimations says there is none (we look in a world of our own).
    url = f"{site}/capture/tall-moving.html{where}"
    *_, taken, window = chromium_async.run(_tiles(chromium_async.browser, url))
    assert taken == 0 and window == [1280, 900, 1280, 900]


def test_a_page_that_starts_moving_goes_playwrights_way_from_then_on(chromium_async, site):  # noqa: F811
    async def run():
        context = await chromium_async.browser.new_context(viewport=VIEWPORT)
        try:
            page = await context.new_page()
            await page.goto(f"{site}/capture/tall.html")
            asked = []

            async def front():  # called before each tile: an animation starts before the second
                asked.append(True)
                if len(asked) == 2:
                    await page.evaluate("document.body.animate([{opacity: 1}, {opacity: 0.5}], 100000)")

            async with devtools_session(page, optional=True, keep=lambda: True) as cdp:
                camera = TileCamera(page, OPTIONS, front, cdp, EMULATION)
                tiles = [await camera(clip) for clip in CLIPS]
            return camera.ours, tiles
        finally:
            await context.close()

    taken, tiles = chromium_async.run(run())
    assert taken == 1 and len(tiles) == len(CLIPS)


def test_a_focused_field_masks_or_no_fixed_viewport_go_playwrights_way(chromium_async, site):  # noqa: F811
    async def focus(page):
        await page.evaluate("""() => { const field = document.createElement('input');
            document.body.prepend(field); field.focus(); }""")

    browser, url = chromium_async.browser, f"{site}/capture/tall.html"
    assert chromium_async.run(_tiles(browser, url, before=focus))[2] == 0
    async def with_mask():
        context = await browser.new_context(viewport=VIEWPORT)
        try:
            page = await context.new_page()
            await page.goto(url)
            options = {**OPTIONS, "mask": [page.locator("h2")]}
            async with devtools_session(page, optional=True) as cdp:
                camera = TileCamera(page, options, _nothing, cdp, EMULATION)
                await camera(CLIPS[0])
                return camera.ours
        finally:
            await context.close()

    assert chromium_async.run(with_mask()) == 0
    assert chromium_async.run(_tiles(browser, url, emulation=None))[2] == 0
    assert chromium_async.run(_tiles(browser, url, emulation={"viewport": VIEWPORT, "is_mobile": True}))[2] == 0
