"""report.pdf: the report HTML printed by Chromium, A4, page numbers and fingerprint on every page.

The PDF is a reading copy: each screenshot in it is a JPEG (quality 0.85, at most
layout.PRINT_SCALE times the size it is shown at), made by the same browser from the
bundle's PNG, which stays the evidence. That keeps a whole report within what a complaint
form accepts, and Chromium embeds a JPEG as it is instead of re-compressing a PNG.
"""

from __future__ import annotations

import asyncio
import html
import mimetypes
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..scripts import script
from .labels import TEXT
from .render import PAGE_MARGINS_MM, bundle_loader

if TYPE_CHECKING:
    from .copies import Printable

# The browser may run on another machine (--browser-endpoint, --cdp-endpoint) and cannot
# read our files: the report and the bundle files it shows are served from here by
# request interception, under a name that never reaches any network.
_ORIGIN = "http://evidence-report.invalid/"
_BASE = re.compile(r'<base href="(file:[^"]*)">\n?')
_META = re.compile(r'<meta name="evidence-fingerprint" content="([0-9a-fA-F]{0,64})">')
JPEG_QUALITY = 0.85
CONVERT_TIMEOUT = 60.0


def fingerprint_in(html_text: str) -> str:
    found = _META.search(html_text)
    return found.group(1) if found else ""


def footer_template(fingerprint: str, lang: str = "both", part: tuple[int, int] | None = None) -> str:
    """Every page's footer: the sealed report names where its fingerprint is (it cannot
    hold it); a later rendering shows the fingerprint and says it is not sealed; a part
    printed for upload (outside the bundle) says which part it is and shows it."""
    key = "footer_part" if part else ("footer_unsealed" if fingerprint else "footer_sealed")
    zh, en = TEXT[key]
    if part:
        zh, en = zh.format(k=part[0], n=part[1]), en.format(k=part[0], n=part[1])
    label = {"zh": zh, "en": en}.get(lang, f"{zh} · {en}")
    number = (f" <span style=\"font-family:'DejaVu Sans Mono',monospace\">{html.escape(fingerprint)}</span>"
              if fingerprint else "")
    # Header/footer templates get no page styles and a tiny default font: set both here.
    return (
        '<div style="width:100%;margin:0 12mm;font-size:7pt;color:#333;'
        "font-family:'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;"
        'display:flex;justify-content:space-between;align-items:baseline">'
        f"<span>{html.escape(label)}{number}</span>"
        '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span>'
        "</div>"
    )


async def render_pdf(
    browser, html_path: Path, *, fingerprint: str | None = None, lang: str = "both",
    page_ranges: str | None = None, part: tuple[int, int] | None = None, jpeg: bool = True,
    copies: Printable | None = None,
) -> bytes:
    """Print `html_path` to PDF bytes in an already-running browser: in a fresh context,
    or in the page that holds `copies`. Either way its context is closed afterwards.

    The fingerprint for the footer is read from the report's own meta tag unless given.
    `page_ranges` ("4-6") prints only those pages; `part` (k, n) says in every footer that
    this is part k of n of the report (for a file outside the bundle). `copies`: the JPEG
    copies made during a run and the page they are in (report/copies.Printable); the
    report is then printed in that page, which serves the bundle's files itself.
    """
    html_path = Path(html_path).resolve()
    text = html_path.read_text(encoding="utf-8", errors="replace")
    if fingerprint is None:
        fingerprint = fingerprint_in(text)
    base = _BASE.search(text)
    load = bundle_loader(Path(url2pathname(urlsplit(base.group(1)).path)) if base else html_path.parent)
    text = _BASE.sub("", text, count=1)
    if jpeg and copies is not None and not copies.page.is_closed():
        page, ready = copies.page, list(copies.urls.values())
        # Not a navigation: that would end the page's blob URLs, which are the copies.
        await page.set_content(copies.document(text), wait_until="load", timeout=120_000)
    else:
        page, ready = await _report_page(browser, text.encode("utf-8"), load), []
    try:
        if jpeg:
            await _as_jpeg(page, ready)
        options = {"page_ranges": page_ranges} if page_ranges else {}
        return await page.pdf(
            format="A4",
            print_background=True,
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=footer_template(fingerprint, lang, part),
            margin={side: f"{mm}mm" for side, mm in PAGE_MARGINS_MM.items()},
            **options,
        )
    finally:
        await page.context.close()


async def _report_page(browser, document: bytes, load):
    """A page of a context of its own showing the report, served from here."""

    async def serve(route):
        url = route.request.url
        if url == _ORIGIN + "report.html":
            await route.fulfill(body=document, content_type="text/html; charset=utf-8")
            return
        path = unquote(urlsplit(url).path).lstrip("/")
        data = load(path) if url.startswith(_ORIGIN) else None
        if data is None:
            # Only the report and its bundle files: nothing may be fetched from anywhere else.
            await route.abort()
            return
        kind = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
        await route.fulfill(body=data, content_type=kind)

    # The report needs no script; turning it off means even an escaping bug runs nothing.
    context = await browser.new_context(java_script_enabled=False)
    try:
        await context.route("**/*", serve)
        page = await context.new_page()
        await page.goto(_ORIGIN + "report.html", wait_until="load", timeout=120_000)
    except BaseException:
        await context.close()
        raise
    return page


async def _as_jpeg(page, ready: list[str]) -> None:
    """The loaded report's screenshots swapped for JPEG copies inside the page: each PNG
    crossed over once, and the JPEGs leave the browser only in the PDF."""
    from playwright.async_api import Error as PlaywrightError

    try:
        await asyncio.wait_for(page.evaluate(script("report_jpeg"), [JPEG_QUALITY, ready]), CONVERT_TIMEOUT)
    except (asyncio.TimeoutError, PlaywrightError):
        pass  # whatever was not swapped is printed from its PNG, as before
