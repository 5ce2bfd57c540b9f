"""The complaint-ready report: report.html and report.pdf, made from a bundle's manifest.

Two entry points:
- the capture session calls `write_sealed_report` with its open browser before the
  final manifest is written: the report becomes two artifacts (role `report`) of that
  manifest, so the fingerprint covers the file a mediator actually reads;
- `evidence report` calls `regenerate`, which refuses a bundle that does not verify and
  writes a later rendering under unsealed/ (listed in SHA256SUMS, never in the
  manifest), marked NOT SEALED. The sealed set never changes after the seal.
And one for `evidence pack --max-mb`: `print_report_parts` prints the sealed report.html
again as report-1.pdf ... when the sealed report.pdf alone is over an upload limit (files
outside the bundle, each saying which part it is and the fingerprint).
Nothing here imports Playwright at module level.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..asyncrun import run_async
from ..bundle import MANIFEST, UNSEALED_DIR, BundleWriter, sha256_hex
from ..errors import EvidenceError, UsageError
from ..manifest import Artifact, Manifest, format_utc, utc_now
from .render import bundle_loader, render_html

if TYPE_CHECKING:
    from .copies import Printable

__all__ = ["print_report_parts", "regenerate", "render_html", "write_sealed_report", "write_unsealed_report"]

REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
MAX_RENDERINGS = 999_999


async def _render_both(root: Path, manifest: Manifest, browser, lang: str, copies=None,
                       **words) -> tuple[bytes, bytes]:
    from .pdf import render_pdf

    root = Path(root).resolve()
    text = render_html(manifest, lang=lang, image_loader=bundle_loader(root), **words)
    # Chromium prints a copy kept outside the bundle (a <base> points its images back
    # in), so a failed print leaves the bundle exactly as it was.
    with tempfile.TemporaryDirectory(prefix="evidence-report-") as tmp:
        printable = Path(tmp) / REPORT_HTML
        base = f'<head>\n<base href="{root.as_uri()}/">'
        printable.write_text(text.replace("<head>", base, 1), encoding="utf-8")
        pdf = await render_pdf(browser, printable, fingerprint=words.get("fingerprint") or "", lang=lang,
                               copies=copies)
    return text.encode("utf-8"), pdf


async def write_sealed_report(
    writer: BundleWriter, manifest: Manifest, browser, lang: str = "both",
    tsa_requested: Sequence[str] = (), copies: Printable | None = None,
) -> list[Artifact]:
    """Render the report of a finished run and write it as artifacts; the caller adds
    them to the manifest and then writes the manifest (the seal). `copies`: the JPEG
    copies for the PDF made during the run (report/copies.Printable)."""
    html_bytes, pdf_bytes = await _render_both(writer.root, manifest, browser, lang, copies,
                                               tsa_requested=tsa_requested)
    return [
        writer.write_artifact(REPORT_HTML, html_bytes, "report", "text/html; charset=utf-8"),
        writer.write_artifact(REPORT_PDF, pdf_bytes, "report", "application/pdf"),
    ]


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


def _free_rendering_number(root: Path) -> int:
    folder = Path(root) / UNSEALED_DIR
    for number in range(1, MAX_RENDERINGS + 1):
        if not any((folder / f"report-{number}.{ext}").exists() for ext in ("html", "pdf")):
            return number
    raise EvidenceError(f"{folder} already holds {MAX_RENDERINGS} renderings")


def write_unsealed_report(
    root: Path, *, lang: str = "both", timestamps: list | None = None, browser_settings=None,
) -> tuple[str, list[Path]]:
    """A later rendering under unsealed/, then SHA256SUMS; returns (fingerprint, files).

    Does not check the bundle first: `regenerate` does."""
    root = Path(root)
    manifest, fingerprint = _load(root)
    words = dict(fingerprint=fingerprint, timestamps=timestamps, rendered_at=format_utc(utc_now()))
    html_bytes, pdf_bytes = _with_browser(
        browser_settings, lambda browser: _render_both(root, manifest, browser, lang, **words),
        "the report could not be rendered")
    number = _free_rendering_number(root)
    writer = BundleWriter(root)
    names = [f"{UNSEALED_DIR}/report-{number}.html", f"{UNSEALED_DIR}/report-{number}.pdf"]
    writer.write_file(names[0], html_bytes)
    writer.write_file(names[1], pdf_bytes)
    writer.write_sums(manifest)
    return fingerprint, [root / name for name in names]


def regenerate(root: Path, *, lang: str = "both", browser_settings=None) -> tuple[str, list[Path]]:
    """`evidence report`: verify, then write a later, unsealed rendering.

    A bundle that does not verify is refused: rewriting SHA256SUMS over it would hide
    the very change that verify found.
    """
    from ..verify import require_intact

    root = Path(root)
    _load(root)  # one clear usage error for "not a bundle directory", before verify
    checked = require_intact(root, "render its report, which would hide that")
    timestamps = list(checked.timestamps) or None  # manifest.TimestampCheck, as verify judged them
    return write_unsealed_report(root, lang=lang, timestamps=timestamps, browser_settings=browser_settings)


# --- the report in parts, for an upload form ---------------------------------------------

_PAGE = re.compile(rb"/Type\s*/Page\b")
MAX_PART_ROUNDS = 12


def _with_browser(browser_settings, job, failed: str = "the report could not be printed"):
    """Run `job(browser)` in a browser of our own; one clear line if the browser fails."""

    async def work():
        from playwright.async_api import async_playwright

        from ..browser import BrowserSettings, open_browser

        async with async_playwright() as playwright:
            browser, _, _ = await open_browser(playwright, browser_settings or BrowserSettings())
            try:
                return await job(browser)
            finally:
                await browser.close()

    try:
        return run_async(work)
    except (UsageError, EvidenceError):
        raise
    except Exception as exc:  # the browser failed us: say so in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvidenceError(f"{failed}: {first}") from None


async def _print_parts(browser, html_path: Path, fingerprint: str, limit: int) -> list[tuple[bytes, tuple[int, int]]]:
    from .pdf import render_pdf

    whole = await render_pdf(browser, html_path, fingerprint=fingerprint, part=(1, 1))
    pages = max(1, len(_PAGE.findall(whole)))
    count = min(pages, max(1, math.ceil(len(whole) / (limit * 0.85))))
    ranges = [(1 + pages * i // count, pages * (i + 1) // count) for i in range(count)]
    for round_ in range(1, MAX_PART_ROUNDS + 1):
        printed = [await render_pdf(browser, html_path, fingerprint=fingerprint, page_ranges=f"{a}-{b}",
                                    part=(k, len(ranges)))
                   for k, (a, b) in enumerate(ranges, 1)]
        # A part over the limit is halved (a single page cannot be) and all printed again:
        # each says "part k of n", and n has changed.
        over = {i for i, data in enumerate(printed) if len(data) > limit and ranges[i][0] < ranges[i][1]}
        if not over or round_ == MAX_PART_ROUNDS:
            return list(zip(printed, ranges))
        split = []
        for i, (a, b) in enumerate(ranges):
            middle = (a + b) // 2
            split.extend([(a, middle), (middle + 1, b)] if i in over else [(a, b)])
        ranges = split
    return []  # not reached: the last round returns


def print_report_parts(root: Path, fingerprint: str, limit: int, folder: Path, *,
                       browser_settings=None) -> list[tuple[Path, tuple[int, int]]]:
    """The sealed report.html printed again as report-1.pdf ... of at most `limit` bytes
    each, at page boundaries, every page saying which part it is and the fingerprint: for
    an upload form, when the sealed report.pdf alone is over its limit. The files are
    outside the bundle (so they may show the fingerprint); a single page larger than the
    limit stays one part."""
    html_path = Path(root) / REPORT_HTML
    if not html_path.is_file():
        raise EvidenceError(f"report.pdf is over the limit and {html_path} is missing, "
                            "so it cannot be printed again in parts")
    pieces = _with_browser(browser_settings,
                           lambda browser: _print_parts(browser, html_path, fingerprint, limit))
    paths = []
    for number, (data, pages) in enumerate(pieces, 1):
        path = Path(folder) / f"report-{number}.pdf"
        path.write_bytes(data)
        paths.append((path, pages))
    return paths
