"""JPEG copies of each capture's screenshots for report.pdf, made while the later targets
are still being captured: the report is printed only after the last capture, and
converting every PNG then was about half of its time.

A capture's pictures never change once it is finished, and where each one is shown (so
how wide its copy must be) depends only on its own section of the report: rendering
that section alone gives the same `data-print-px` the whole report will. Whatever is not
ready when the report is printed (a copy that failed, a resumed run's earlier captures)
is converted then, as before. The PNGs stay the evidence; the copies never enter the
bundle.
"""

from __future__ import annotations

import asyncio
import base64
import html
import re
from importlib import resources
from pathlib import Path
from urllib.parse import quote, unquote

from ..manifest import Capture, Manifest
from ..tabs import EveryTime
from .layout import CONTENT_WIDTH_PX, chat_grid, png_size, print_px, too_large
from .render import bundle_loader, render_html

_IMG = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)" data-print-px="(\d+)"')
_ORIGIN = "http://evidence-copies.invalid/"
_JPEG_DATA = "data:image/jpeg;base64,"
JPEG_QUALITY = 0.85
WAIT_AT_PRINT = 30.0  # seconds the report waits for copies still being made
SEGMENT_BATCH = 8  # chat segments converted together (one page load for them)


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
        self.made: dict[str, tuple[int, bytes]] = {}  # path -> (width printed at, JPEG)
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

    async def ready(self, timeout: float = WAIT_AT_PRINT) -> dict[str, bytes]:
        """The confirmed copies, after waiting (boundedly) for those still being made."""
        pending = [task for task in self.tasks if not task.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                task.cancel()
        return {path: self.made[path][1] for path in self.confirmed if path in self.made}

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.converter is not None:
            try:
                await asyncio.wait_for(self.converter.close(), 10)
            except BaseException:
                pass
            self.converter = None

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
                    self.converter = await _Converter.open(self.browser_of(), self.root)
                    self.tabs.opened()
                made = await self.converter.jpegs(sizes)
            except Exception:  # the print converts whatever is missing itself
                self.converter = None
                return
        self.made.update((path, (sizes[path], data)) for path, data in made.items())


class _Converter:
    """A page of its own context (scripts off) that serves only the bundle's files and
    the page of the conversion being made."""

    def __init__(self, page, root: Path):
        self.page, self.load = page, bundle_loader(root)
        self.document, self.url, self.count = "", "", 0

    @classmethod
    async def open(cls, browser, root: Path) -> _Converter:
        context = await browser.new_context(java_script_enabled=False)
        converter = cls(await context.new_page(), root)
        await context.route("**/*", converter._serve)
        return converter

    def is_closed(self) -> bool:
        return self.page.is_closed()

    async def close(self) -> None:
        await self.page.context.close()

    async def _serve(self, route) -> None:
        url = route.request.url
        if url == self.url:
            await route.fulfill(body=self.document, content_type="text/html; charset=utf-8")
            return
        data = self.load(unquote(url[len(_ORIGIN):])) if url.startswith(_ORIGIN) else None
        if data is None:
            await route.abort()
            return
        await route.fulfill(body=data, content_type="image/png")

    async def jpegs(self, sizes: dict[str, int]) -> dict[str, bytes]:
        """JPEG bytes per bundle path, by the report's own jpeg.js."""
        srcs = {quote(name, safe="/"): name for name in sizes}
        # Shown tiny: laid out at their natural size, a 30 000 px tile would be painted too.
        self.document = "<style>img{width:4px;height:4px}</style>" + "".join(
            f'<img src="{html.escape(src)}" data-print-px="{sizes[name]}">' for src, name in srcs.items())
        self.count += 1
        self.url = f"{_ORIGIN}?{self.count}"
        script = resources.files(__package__).joinpath("jpeg.js").read_text(encoding="utf-8")
        await self.page.goto(self.url, wait_until="load", timeout=120_000)
        encoded = await self.page.evaluate(script, [JPEG_QUALITY, [], True])
        made = {}
        for src, url in encoded if isinstance(encoded, list) else []:
            if src in srcs and isinstance(url, str) and url.startswith(_JPEG_DATA):
                made[srcs[src]] = base64.b64decode(url[len(_JPEG_DATA):])
        return made
