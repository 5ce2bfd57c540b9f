"""Lazy content (capture/lazy.py): a page whose content loads on a scroll is scrolled
through, whatever loads it (loading=lazy, an IntersectionObserver of the window, a
scroll listener), and its last screen is captured loaded; a page on which nothing could
load is not scrolled, and its record says so."""

from __future__ import annotations

import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from capture.asyncrun import run_async
from capture.manifest import Manifest

from .servers import SITES, QuietHandler, serve

PAGES = ["native.html", "observer.html", "listener.html", "static.html", "box-listener.html",
         "wrapped-observer.html", "content-visibility.html", "closed-component.html"]


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    out = tmp_path_factory.mktemp("lazy") / "bundle"
    with serve(partial(QuietHandler, directory=str(SITES / "lazyload"))) as url:
        targets = [argument for page in PAGES for argument in ("--page", f"{url}/{page}")]
        done = subprocess.run([sys.executable, "-m", "capture", "capture", *targets, "--no-trace",
                               "--no-report", "--timeout", "60", "-o", str(out)],
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    manifest = Manifest.model_validate_json((out / "manifest.json").read_bytes())
    return out, dict(zip(PAGES, manifest.captures, strict=True))


def _text(out: Path, capture) -> str:
    return (out / next(a.path for a in capture.artifacts if a.role == "text")).read_text("utf-8")


def _scroll(capture) -> str:
    [action] = [a for a in capture.actions if a.type == "scroll"]
    return action.detail


@pytest.mark.parametrize("page, loaded, why", [
    ("native.html", "IMAGE {n} LOADED", "elements with loading=lazy"),
    ("observer.html", "SECTION {n} LOADED", "1 IntersectionObserver of the window"),
    ("listener.html", "SECTION {n} LOADED", "scroll listeners (scroll)"),
    # A wrapped constructor hides the observers from the heap query: not judged.
    ("wrapped-observer.html", "SECTION {n} LOADED", ""),
])
def test_content_that_loads_on_a_scroll_is_captured_loaded_to_the_last_screen(captured, page, loaded, why):
    out, captures = captured
    text = _text(out, captures[page])
    assert all(loaded.format(n=n) in text for n in range(1, 21)), text[-800:]
    assert _scroll(captures[page]).startswith("scrolled the page in ")
    assert why in _scroll(captures[page])


@pytest.mark.parametrize("page", ["static.html", "box-listener.html"])
def test_a_page_on_which_nothing_loads_on_a_scroll_is_not_scrolled_and_says_so(captured, page):
    # box-listener.html: a scroll listener and an observer of an inner box only, which
    # scrolling the window does not move.
    out, captures = captured
    assert _scroll(captures[page]).startswith("not scrolled for lazy content: nothing on the page")
    assert "第 20 部分" in _text(out, captures[page])


@pytest.mark.parametrize("page, why", [
    ("content-visibility.html", "content-visibility"),  # laid out only near the window
    ("closed-component.html", "web components"),  # a closed shadow root is not looked into
])
def test_a_page_whose_content_cannot_be_seen_from_outside_is_scrolled(captured, page, why):
    _, captures = captured
    detail = _scroll(captures[page])
    assert detail.startswith("scrolled the page in ") and why in detail


class _SlowImages(QuietHandler):
    """/img?ms=N: a picture after N ms (at most 20 s); anything else: a page whose own
    setTimeout and Array.from never answer, as a hostile page's might not."""

    def do_GET(self):  # noqa: N802 - stdlib name
        if self.path.startswith("/img"):
            wait = min(int(self.path.rsplit("=", 1)[1]), 20_000) / 1000
            self.server.stopping.wait(wait)  # ends early when the server stops
            body = (SITES / "lazyload" / "pic.svg").read_bytes()
            kind = "image/svg+xml"
        else:
            body, kind = (b"<!doctype html><title>images</title><body><script>"
                          b"window.setTimeout = () => 0; Array.from = () => [];</script>"), "text/html"
        try:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the browser gave up on it


async def _images_after(url: str, ms: int) -> tuple[str, bool]:
    """What the image wait says about a picture arriving after `ms`, and whether the page
    had it then: through our own session, as a capture waits."""
    from playwright.async_api import async_playwright

    from capture.browser import find_browser, launch_args
    from capture.devtools import devtools_session
    from capture.lazy import _images_loaded

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(find_browser().executable),
                                           args=launch_args())
        try:
            page = await browser.new_page()
            await page.goto(url)
            await page.evaluate("(src) => { const i = new Image(); i.src = src; document.body.append(i); }",
                                f"{url}/img?ms={ms}")
            async with devtools_session(page) as session:
                said = await _images_loaded(page, session, lambda share: 60_000 * share)
            return said, await page.evaluate("() => document.images[0].complete")
        finally:
            await browser.close()


@pytest.mark.parametrize("ms, said, complete", [(600, "images loaded", True),
                                                  (10_000, "some images still loading", False)])
def test_images_still_coming_in_are_waited_for_a_bounded_while(ms, said, complete):
    with serve(_SlowImages) as url:
        assert run_async(lambda: _images_after(url, ms)) == (said, complete)
