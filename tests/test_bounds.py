"""Bounds on what a page claims (capture/pages.py, capture/chat.py, capture/coverage.py):
a page that reports an absurd height, or really is taller than the pixel cap, is
pictured within the capture's deadline and the cap, and the capture says exactly
what its pictures cover."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from capture.chat import capture_chat
from capture.coverage import MAX_PICTURED_HEIGHT
from capture.manifest import Manifest
from capture.pages import TILE_HEIGHT, PageOptions, capture_target
from capture.plan import Target
from capture.png import decode_rows, png_size

from .chat_site import ID, chat_site, new_recorder
from .test_chat import chromium_async  # noqa: F401 - the module's one async Chromium


def capture_cli(url: str, out: Path, timeout: int) -> Manifest:
    done = subprocess.run(
        [sys.executable, "-m", "capture", "capture", url, "--timeout", str(timeout), "--no-trace",
         "-o", str(out)], capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return Manifest.model_validate_json((out / "manifest.json").read_bytes())


def seconds_taken(capture) -> float:
    return (capture.finished_at - capture.started_at).total_seconds()


def tiles_of(capture) -> list:
    return [a for a in capture.artifacts if a.role == "screenshot_tile"]


def assert_tiles_follow_each_other(tiles) -> int:
    covered = 0
    for number, tile in enumerate(tiles, 1):
        assert tile.path.endswith(f"screenshot-{number:03d}.png")
        assert tile.offset_y == covered, f"gap or overlap before {tile.path}"
        covered += tile.height
    return covered


def test_pixel_cap_is_half_a_million_css_px():
    assert MAX_PICTURED_HEIGHT == 500_000
    assert PageOptions(timeout=1, max_chat_scrolls=1).max_pictured_height == MAX_PICTURED_HEIGHT


def test_page_claiming_two_billion_px_is_pictured_as_laid_out_and_says_so(tmp_path, site):
    out = tmp_path / "claims"
    capture = capture_cli(f"{site}/capture/claims-height.html", out, timeout=20).captures[0]
    assert capture.error is None and capture.page_height == 1500
    assert tiles_of(capture) == []
    [shot] = [a for a in capture.artifacts if a.role == "screenshot"]
    assert png_size((out / shot.path).read_bytes()) == (1280, 1500)
    assert capture.warnings == [
        "the page reports 2 000 000 000 px of height, but the browser laid out 1 500 px: "
        "screenshots cover 0–1 500 px of a page that reports 2 000 000 000 px (all that it renders)"
    ]
    [action] = [a for a in capture.actions if a.type == "screenshot"]
    assert action.outcome == "warning" and "the page reports 2 000 000 000 px" in action.detail
    assert seconds_taken(capture) <= 20


def test_really_tall_page_is_tiled_up_to_the_cap_and_says_so(tmp_path, chromium_async, site):  # noqa: F811
    # The cap is a parameter so that a 600 000 px page shows it without 62 tiles.
    cap = 40_000
    rec = new_recorder(tmp_path, f"{site}/capture/huge.html")

    async def run():
        context = await chromium_async.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            target = Target(kind="page", url=f"{site}/capture/huge.html")
            options = PageOptions(timeout=120, max_chat_scrolls=10, max_pictured_height=cap)
            await capture_target(context, target, rec, options)
        finally:
            await context.close()

    chromium_async.run(run(), timeout=300)
    capture = rec.capture
    assert capture.page_height == 600_000
    tiles = tiles_of(capture)
    assert len(tiles) == -(-cap // TILE_HEIGHT) and assert_tiles_follow_each_other(tiles) == cap
    expected = (
        "screenshots stopped at the cap of 40 000 px per capture: "
        "screenshots cover 0–40 000 px of a page that reports 600 000 px"
    )
    assert capture.warnings == [expected]
    [action] = [a for a in capture.actions if a.type == "screenshot"]
    assert action.outcome == "warning" and expected.split(": ", 1)[1] in action.detail
    [check] = [a for a in capture.actions if a.type == "coverage_check"]
    assert check.outcome == "ok" and "cover 0–40 000 of 600 000 px; no gap" in check.detail
    # The last tile shows the band that is really there (band i is rgb(i, 2i, 120)).
    last = tiles[-1]
    _, height, bpp, rows = decode_rows((tmp_path / last.path).read_bytes())
    assert height == last.height
    band = (last.offset_y + 500) // 1000
    assert tuple(rows[500][640 * bpp : 640 * bpp + 3]) == (band % 256, 2 * band % 256, 120)


def test_tiling_a_really_tall_page_stops_at_the_deadline_and_says_what_it_covers(tmp_path, site):
    # Long enough for the page to load and a first tile on a loaded machine, far too short
    # for the 74 tiles the page would need.
    timeout = 15
    capture = capture_cli(f"{site}/capture/huge.html", tmp_path / "huge", timeout).captures[0]
    assert capture.error is None and capture.page_height == 600_000
    tiles = tiles_of(capture)
    covered = assert_tiles_follow_each_other(tiles)
    assert 1 <= len(tiles) and covered < MAX_PICTURED_HEIGHT
    stated = f"screenshots cover 0–{covered:,} px of a page that reports 600 000 px".replace(",", " ")
    assert f"screenshots stopped at the time limit: {stated}" in capture.warnings
    # Stopped with time kept for the rest of the capture, not hundreds of tiles later
    # (the slack is for one tile and the DOM snapshots on a loaded machine).
    assert seconds_taken(capture) <= timeout + 15


def run_chat_with_cap(browser, url: str, root: Path, cap: int, seconds: float = 60):
    """(recorder, coroutine that captures the chat at `url` with pictures up to `cap` px)."""
    rec = new_recorder(root, url)

    async def run():
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = await context.new_page()
            await page.goto(url)
            loop = asyncio.get_running_loop()
            await capture_chat(page, rec, selector=None, max_scrolls=400,
                               deadline=loop.time() + seconds, max_height=cap)
        finally:
            await context.close()

    return rec, run()


def segments_of(rec) -> list:
    return [a for a in rec.capture.artifacts if a.role == "chat_segment"]


def test_chat_segments_stop_at_the_cap_and_say_what_they_cover(tmp_path, chromium_async):  # noqa: F811
    with chat_site() as (base, _):
        rec, job = run_chat_with_cap(chromium_async.browser, f"{base}/virtual.html", tmp_path, 5_000)
        chromium_async.run(job)
    segments = segments_of(rec)
    covered = 0
    for artifact in segments:
        assert artifact.scroll_top == covered
        covered += artifact.height
    assert 5_000 <= covered < 5_000 + 560 and rec.capture.chat_scroll_height == 400 * 64
    stated = f"chat segments cover 0–{covered:,} px of a conversation that reports 25 600 px"
    assert rec.capture.warnings[0].startswith(
        f"chat capture stopped early (the cap of 5 000 px per capture): {stated.replace(',', ' ')}, "
    )
    assert len(rec.capture.warnings) == 1
    [done] = [a for a in rec.capture.actions if a.type == "chat_capture"]
    assert done.outcome == "warning"


def test_chat_box_claiming_two_billion_px_is_captured_as_it_scrolls_and_says_so(
    tmp_path, chromium_async  # noqa: F811
):
    with chat_site() as (base, _):
        rec, job = run_chat_with_cap(
            chromium_async.browser, f"{base}/claims-height.html", tmp_path, MAX_PICTURED_HEIGHT
        )
        chromium_async.run(job)
    segments = segments_of(rec)
    covered = max(a.scroll_top + a.height for a in segments)
    [transcript] = [a for a in rec.capture.artifacts if a.role == "transcript"]
    text = (tmp_path / transcript.path).read_text("utf-8")
    assert [int(n) for n in ID.findall(text)] == list(range(1, 61))
    assert rec.capture.chat_scroll_height == 2_000_000_000 and len(segments) < 20
    stated = f"chat segments cover 0–{covered:,} px of a conversation that reports 2 000 000 000 px"
    assert any(stated.replace(",", " ") in w for w in rec.capture.warnings), rec.capture.warnings
