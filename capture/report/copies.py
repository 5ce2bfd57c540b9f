"""JPEG copies of each capture's screenshots for report.pdf, made while the later targets
are still being captured: the report is printed only after the last capture, and
converting every PNG then was about half of its time.

A capture's pictures never change once it is finished, and where each one is shown (so
how wide its copy must be) depends only on its own section of the report: rendering
that section alone gives the same `data-print-px` the whole report will. Whatever is not
ready when the report is printed (a copy that failed, a resumed run's earlier captures)
is converted then, as before. The PNGs stay the evidence; the copies never enter the
bundle.

The copies stay in the converter's page as blob URLs, and the report is printed in that
same page (pdf.py): each PNG crosses over to the browser once, and no JPEG crosses back
and over again (that was most of the report's CPU time).
"""

from __future__ import annotations

import asyncio
import html
import mimetypes
import re
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from ..manifest import Capture, Manifest
from ..scripts import script
from ..tabs import EveryTime
from .layout import CONTENT_WIDTH_PX, chat_grid, png_size, print_px, too_large
from .render import bundle_loader, render_html

_IMG = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)" data-print-px="(\d+)"')
_CSP_IMAGES = re.compile(r'(<meta http-equiv="Content-Security-Policy" content="[^"]*?\bimg-src)')
_ORIGIN = "http://evidence-copies.invalid/"
JPEG_QUALITY = 0.85
WAIT_AT_PRINT = 30.0  # seconds the report waits for copies still being made
SEGMENT_BATCH = 8  # chat segments converted together (one call into the page for them)


def widest(report_html: str) -> dict[str, int]:
    """Bundle path -> the widest its picture is printed, from a rendered report."""
    found: dict[str, int] = {}
    for src, px in _IMG.findall(report_html):
        path = unquote(html.unescape(src))
        found[path] = max(found.get(path, 0), int(px))
    return found


def segment_print_px(png: bytes) -> int | None:
    """How wide the report will print a chat segment of this image, as figures.py lays
    out a conversation whose segments all have this size (they do, but for the last,
    which is shorter and so changes nothing); None for what figures.py would not show."""
    size = png_size(png)
    if size is None or too_large(*size):
        return None
    width, height = size
    return print_px(width, width * chat_grid(width, height).scale)


def screenshot_print_px(png: bytes) -> int | None:
    """How wide the report will print a page's screenshot or tile of this image: at the
    content width, or its own if narrower (figures.screenshot); None for what it would
    not show."""
    size = png_size(png)
    if size is None or too_large(*size):
        return None
    return print_px(size[0], min(size[0], CONTENT_WIDTH_PX))


class PrintCopies:
    """Background conversions in the session's browser: a chat's segments in batches
    while the chat is still being pictured (at the width they are expected to print),
    then every finished capture's pictures at the width its section of the report says.
    Only a copy made at the width the section says is used."""

    def __init__(self, browser_of, root: Path, lang: str = "both", tabs=None):
        # A callable: the session may relaunch its browser between two captures.
        self.browser_of, self.root, self.lang = browser_of, Path(root), lang
        self.tabs = tabs or EveryTime()  # told when the converter's tab opens (tabs.py)
        self.made: dict[str, tuple[int, str]] = {}  # path -> (width printed at, blob URL of the JPEG)
        self.confirmed: set[str] = set()  # paths whose copy has the width their section says
        self.waiting: dict[str, int] = {}  # segments written, not yet converted
        self.tasks: list[asyncio.Task] = []
        # One page for all conversions, one at a time: a page of its own per capture
        # cost a renderer process each (about 0.4 s of CPU).
        self.converter = None
        self.lock = asyncio.Lock()

    def segment_written(self, path: str, width: int) -> None:
        """A chat segment is on disk (call on the event loop)."""
        self.waiting[path] = width
        if len(self.waiting) >= SEGMENT_BATCH:
            self._start(self._flush())

    def screenshot_written(self, path: str, width: int) -> None:
        """A page's screenshot or tile is on disk (call on the event loop): converted
        while the page's next tile is taken, not after its last."""
        self.waiting[path] = width
        self._start(self._flush())

    def add(self, manifest: Manifest, capture: Capture) -> None:
        """A capture is finished: convert whatever of it is not yet converted right."""
        self._start(self._flush())
        section = manifest.model_copy(update={"captures": [capture]})
        self._start(self._section(section))

    async def ready(self, timeout: float = WAIT_AT_PRINT) -> Printable | None:
        """The confirmed copies and the page they live in, after waiting (boundedly) for
        those still being made; None when there is no such page (any more)."""
        pending = [task for task in self.tasks if not task.done()]
        late = set()
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                task.cancel()
        async with self.lock:
            if late:
                # Cancelling stops only our side: the page's script may still convert, and
                # would take the report's images for its own. The report gets a page of
                # its own, which converts them all.
                await self._drop_converter()
            if self.converter is None or self.converter.is_closed():
                return None
            urls = {path: self.made[path][1] for path in self.confirmed if path in self.made}
            return Printable(self.converter.page, urls)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self._drop_converter()

    async def _drop_converter(self) -> None:
        """Close the converter's page (and with it the copies in it), if any."""
        converter, self.converter = self.converter, None
        if converter is not None:
            try:
                await asyncio.wait_for(converter.close(), 10)
            except BaseException:
                pass

    def _start(self, work) -> None:
        self.tasks.append(asyncio.create_task(work))

    async def _flush(self) -> None:
        batch, self.waiting = self.waiting, {}
        if batch:
            await self._convert(batch)

    async def _section(self, section: Manifest) -> None:
        sizes = widest(render_html(section, lang=self.lang, image_loader=bundle_loader(self.root)))
        async with self.lock:  # after the batches queued before it (the lock is fair)
            todo = {path: px for path, px in sizes.items() if self.made.get(path, (None,))[0] != px}
        if todo:
            await self._convert(todo)
        self.confirmed.update(path for path, px in sizes.items() if self.made.get(path, (None,))[0] == px)

    async def _convert(self, sizes: dict[str, int]) -> None:
        async with self.lock:
            try:
                if self.converter is None or self.converter.is_closed():
                    # Copies live in their page: a new page (after a relaunch) has none.
                    self.made.clear()
                    self.confirmed.clear()
                    self.converter = await _Converter.open(self.browser_of(), self.root)
                    self.tabs.opened()
                made = await self.converter.jpegs(sizes)
            except Exception:  # the print converts whatever is missing itself
                await self._drop_converter()
                return
            self.made.update((path, (sizes[path], url)) for path, url in made.items())


class Printable:
    """The page the copies live in, and the blob URL of each confirmed copy (bundle path
    -> URL), for pdf.py to print the report in."""

    def __init__(self, page, urls: dict[str, str]):
        self.page, self.urls = page, urls

    def document(self, report_html: str) -> str:
        """The report with each confirmed copy in place of its PNG, and its
        Content-Security-Policy letting images come from blob URLs."""
        def swap(match: re.Match) -> str:
            url = self.urls.get(unquote(html.unescape(match.group(1))))
            if url is None:
                return match.group(0)
            start, end = match.span(1)
            return match.group(0)[: start - match.start()] + html.escape(url) + match.group(0)[end - match.start():]
        return _IMG.sub(swap, _CSP_IMAGES.sub(r"\1 blob:", report_html, count=1))


class _Converter:
    """A page of its own context (scripts off) that serves only the bundle's files. It
    is loaded once: a navigation would end the blob URLs of the copies made in it."""

    def __init__(self, page, root: Path):
        self.page, self.load = page, bundle_loader(root)

    @classmethod
    async def open(cls, browser, root: Path) -> _Converter:
        context = await browser.new_context(java_script_enabled=False)
        try:
            converter = cls(await context.new_page(), root)
            await context.route("**/*", converter._serve)
            await converter.page.goto(_ORIGIN, wait_until="load", timeout=30_000)
        except BaseException:
            await context.close()
            raise
        return converter

    def is_closed(self) -> bool:
        return self.page.is_closed()

    async def close(self) -> None:
        await self.page.context.close()

    async def _serve(self, route) -> None:
        url = route.request.url
        if url == _ORIGIN:
            await route.fulfill(body="<!doctype html><title>copies</title><body>",
                                content_type="text/html; charset=utf-8")
            return
        data = self.load(unquote(urlsplit(url).path).lstrip("/")) if url.startswith(_ORIGIN) else None
        if data is None:
            # Only the bundle's files: nothing may be fetched from anywhere else.
            await route.abort()
            return
        await route.fulfill(body=data, content_type=mimetypes.guess_type(urlsplit(url).path)[0]
                            or "application/octet-stream")

    async def jpegs(self, sizes: dict[str, int]) -> dict[str, str]:
        """A blob URL in this page per bundle path, of its JPEG copy by js/report_jpeg.js."""
        srcs = {quote(name, safe="/"): name for name in sizes}
        items = [[src, sizes[name]] for src, name in srcs.items()]
        encoded = await self.page.evaluate(
            f"(arg) => ({script('report_add_images')})(arg, {script('report_jpeg')})", [items, JPEG_QUALITY])
        made = {}
        for src, url in encoded if isinstance(encoded, list) else []:
            if src in srcs and isinstance(url, str) and url.startswith("blob:"):
                made[srcs[src]] = url
        return made
