"""report.pdf: the report HTML printed by Chromium, A4, page numbers and fingerprint on every page."""

from __future__ import annotations

import html
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from .labels import TEXT
from .render import PAGE_MARGINS_MM, bundle_loader

# The browser may run on another machine (--browser-endpoint, --cdp-endpoint) and cannot
# read our files: the report and the bundle files it shows are served from here by
# request interception, under a name that never reaches any network.
_ORIGIN = "http://evidence-report.invalid/"
_BASE = re.compile(r'<base href="(file:[^"]*)">\n?')
_META = re.compile(r'<meta name="evidence-fingerprint" content="([0-9a-fA-F]{0,64})">')


def fingerprint_in(html_text: str) -> str:
    found = _META.search(html_text)
    return found.group(1) if found else ""


def footer_template(fingerprint: str, lang: str = "both") -> str:
    zh, en = TEXT["fingerprint"]
    label = {"zh": zh, "en": en}.get(lang, f"{zh} {en}")
    # Header/footer templates get no page styles and a tiny default font: set both here.
    return (
        '<div style="width:100%;margin:0 12mm;font-size:7pt;color:#333;'
        "font-family:'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;"
        'display:flex;justify-content:space-between;align-items:baseline">'
        f"<span>{label} SHA-256: "
        f"<span style=\"font-family:'DejaVu Sans Mono',monospace\">{html.escape(fingerprint)}</span></span>"
        '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span>'
        "</div>"
    )


async def render_pdf(
    browser, html_path: Path, *, fingerprint: str | None = None, lang: str = "both"
) -> bytes:
    """Print `html_path` to PDF bytes in a fresh context of an already-running browser.

    The fingerprint for the footer is read from the report's own meta tag unless given.
    """
    html_path = Path(html_path).resolve()
    text = html_path.read_text(encoding="utf-8", errors="replace")
    if fingerprint is None:
        fingerprint = fingerprint_in(text)
    base = _BASE.search(text)
    load = bundle_loader(Path(url2pathname(urlsplit(base.group(1)).path)) if base else html_path.parent)
    document = _BASE.sub("", text, count=1).encode("utf-8")

    async def serve(route):
        url = route.request.url
        if url == _ORIGIN + "report.html":
            await route.fulfill(body=document, content_type="text/html; charset=utf-8")
            return
        data = load(unquote(urlsplit(url).path).lstrip("/")) if url.startswith(_ORIGIN) else None
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
        return await page.pdf(
            format="A4",
            print_background=True,
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=footer_template(fingerprint, lang),
            margin={side: f"{mm}mm" for side, mm in PAGE_MARGINS_MM.items()},
        )
    finally:
        await context.close()
