"""The complaint-ready report: report.html and report.pdf, made from a bundle's manifest.

Two entry points: the capture session calls `write_report_async` with its open browser
(and writes SHA256SUMS itself afterwards); `evidence report` calls `regenerate`, which
refuses a bundle that does not verify, launches its own Chromium and rewrites SHA256SUMS.
Nothing here imports Playwright at module level.
"""

from __future__ import annotations

import asyncio
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import ValidationError

from ..bundle import MANIFEST, BundleWriter, sha256_hex
from ..errors import EvidenceError, UsageError
from ..manifest import Manifest
from .render import bundle_loader, render_html

__all__ = ["regenerate", "render_html", "write_report", "write_report_async"]

REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"


async def _render_both(root: Path, manifest: Manifest, fingerprint: str, browser, lang, timestamps):
    from .pdf import render_pdf

    root = Path(root).resolve()
    text = render_html(
        manifest, fingerprint, lang=lang, timestamps=timestamps, image_loader=bundle_loader(root)
    )
    # Chromium prints a copy kept outside the bundle (a <base> points its images back
    # in), so a failed print leaves the bundle exactly as it was.
    with tempfile.TemporaryDirectory(prefix="evidence-report-") as tmp:
        printable = Path(tmp) / REPORT_HTML
        base = f'<head>\n<base href="{root.as_uri()}/">'
        printable.write_text(text.replace("<head>", base, 1), encoding="utf-8")
        pdf = await render_pdf(browser, printable, fingerprint=fingerprint, lang=lang)
    return text.encode("utf-8"), pdf


async def write_report_async(
    writer: BundleWriter,
    manifest: Manifest,
    fingerprint: str,
    browser,
    lang: str = "both",
    timestamps: list[dict] | None = None,
) -> None:
    """Write report.html and report.pdf through `writer`; the caller writes SHA256SUMS."""
    html_bytes, pdf_bytes = await _render_both(
        writer.root, manifest, fingerprint, browser, lang, timestamps
    )
    writer.write_file(REPORT_HTML, html_bytes)
    writer.write_file(REPORT_PDF, pdf_bytes)


def _load(root: Path) -> tuple[Manifest, str]:
    root = Path(root)
    if root.is_file() and root.suffix.lower() == ".zip":
        raise UsageError(f"{root} is a zip; `evidence report` needs the unpacked bundle directory")
    if not root.is_dir() or not (root / MANIFEST).is_file():
        raise UsageError(f"{root} is not an evidence bundle directory (no {MANIFEST} in it)")
    data = (root / MANIFEST).read_bytes()
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError:
        raise EvidenceError(
            f"{root / MANIFEST} is not a valid manifest; run `evidence verify {root}`"
        ) from None
    return manifest, sha256_hex(data)


def _run(coro_factory):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_factory())
    # Called from code that already runs a loop (e.g. Playwright's sync API): a loop
    # cannot be nested, so this one gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result()


def write_report(
    root: Path,
    *,
    lang: str = "both",
    browser_executable: str | None = None,
    timestamps: list[dict] | None = None,
    browser_settings=None,
) -> str:
    """(Re)write report.html, report.pdf and SHA256SUMS of the bundle at `root`.

    Launches its own Chromium (capture.browser discovery), or connects as
    `browser_settings` (a capture.browser.BrowserSettings) say; returns the fingerprint.
    Does not check the bundle first: `regenerate` does.
    """
    root = Path(root)
    manifest, fingerprint = _load(root)

    async def work():
        from playwright.async_api import async_playwright

        from ..browser import BrowserSettings, open_browser

        async with async_playwright() as playwright:
            settings = browser_settings or BrowserSettings(executable=browser_executable)
            browser, _, _ = await open_browser(playwright, settings)
            try:
                return await _render_both(root, manifest, fingerprint, browser, lang, timestamps)
            finally:
                await browser.close()

    try:
        html_bytes, pdf_bytes = _run(work)
    except (UsageError, EvidenceError):
        raise
    except Exception as exc:  # the browser failed us: say so in one line, keep the old report
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvidenceError(f"the report could not be rendered: {first}") from None
    writer = BundleWriter(root)
    writer.write_file(REPORT_HTML, html_bytes)
    writer.write_file(REPORT_PDF, pdf_bytes)
    writer.write_sums(manifest)
    return fingerprint


def regenerate(
    root: Path, *, lang: str = "both", browser_executable: str | None = None, browser_settings=None
) -> str:
    """`evidence report`: verify, then rewrite the report and SHA256SUMS.

    A bundle that does not verify is refused: rewriting SHA256SUMS over it would hide
    the very change that verify found.
    """
    from ..verify import verify

    root = Path(root)
    _load(root)  # one clear usage error for "not a bundle directory", before verify
    checked = verify(root)
    if checked.verdict != "INTACT":
        raise EvidenceError(
            f"{root} is {checked.verdict}; refusing to regenerate its report, which would "
            f"hide that (see `evidence verify {root}`)"
        )
    timestamps = [t.model_dump() for t in checked.timestamps] or None
    return write_report(
        root, lang=lang, browser_executable=browser_executable, timestamps=timestamps,
        browser_settings=browser_settings,
    )
