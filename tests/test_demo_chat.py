"""The demo's own chat, as `evidence demo` captures it: every segment shows the
conversation to its last row, and the recorded ranges tile the whole conversation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from capture.manifest import Manifest
from capture.png import decode_rows

SHOP_CSS = Path(__file__).resolve().parents[1] / "capture/demo/static/assets/shop.css"
# A glyph row or a message gap inside the box is never this tall a stripe of the
# page's own background: the box paints its own.
BAND_LIMIT = 4


def page_background() -> bytes:
    found = re.search(r"--bg:\s*#([0-9a-fA-F]{6})", SHOP_CSS.read_text("utf-8"))
    return bytes.fromhex(found.group(1))


def background_bands(data: bytes, colour: bytes) -> list[tuple[int, int]]:
    """[first, last] row ranges longer than BAND_LIMIT whose every pixel is `colour`."""
    width, _, bpp, rows = decode_rows(data)
    plain = [row == (colour if bpp == 3 else colour + b"\xff") * width for row in rows]
    bands, start = [], None
    for y, flat in enumerate(plain + [False]):
        if flat and start is None:
            start = y
        elif not flat and start is not None:
            if y - start > BAND_LIMIT:
                bands.append((start, y - 1))
            start = None
    return bands


@pytest.fixture(scope="module")
def demo_bundle(demo_run) -> Path:
    return demo_run[0]


def test_demo_chat_segments_show_the_conversation_to_their_last_row(demo_bundle):
    manifest = Manifest.model_validate_json((demo_bundle / "manifest.json").read_bytes())
    chat = next(c for c in manifest.captures if c.kind == "chat")
    segments = [a for a in chat.artifacts if a.role == "chat_segment"]
    assert len(segments) > 10
    colour = page_background()
    banded = {}
    for artifact in segments:
        bands = background_bands((demo_bundle / artifact.path).read_bytes(), colour)
        if bands:
            banded[artifact.path] = bands
    assert banded == {}, f"page background where the conversation should be: {banded}"


def test_demo_chat_coverage_claims_match_the_pictures(demo_bundle):
    manifest = Manifest.model_validate_json((demo_bundle / "manifest.json").read_bytes())
    chat = next(c for c in manifest.captures if c.kind == "chat")
    assert chat.warnings == []
    covered = 0
    for artifact in (a for a in chat.artifacts if a.role == "chat_segment"):
        assert artifact.scroll_top <= covered, f"gap before {artifact.path}"
        covered = max(covered, artifact.scroll_top + artifact.height)
    assert covered == chat.chat_scroll_height > 20_000


def _pdf_images(pdf: Path) -> list[tuple[str, str, str]]:
    """(width, height, encoding) of every image in a PDF, in order (poppler's pdfimages)."""
    import subprocess

    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, check=True,
                             text=True).stdout.splitlines()[2:]
    return [(cols[3], cols[4], cols[8]) for cols in (line.split() for line in listing)]


def test_reading_copies_made_during_the_run_have_the_widths_the_report_prints(demo_bundle, tmp_path):
    # The run makes the PDF's JPEG copies while it captures (chat segments even before
    # the chat is finished): the sealed PDF must hold exactly what printing the same
    # report afresh, converting everything at print time, holds.
    import shutil

    from capture.report import write_unsealed_report
    from capture.report.copies import screenshot_print_px, segment_print_px, widest
    from capture.report.render import bundle_loader, render_html

    manifest = Manifest.model_validate_json((demo_bundle / "manifest.json").read_bytes())
    chat = next(c for c in manifest.captures if c.kind == "chat")
    section = render_html(manifest.model_copy(update={"captures": [chat]}),
                          image_loader=bundle_loader(demo_bundle))
    printed = widest(section)
    segments = [a for a in chat.artifacts if a.role == "chat_segment"]
    assert segments and all(
        segment_print_px((demo_bundle / a.path).read_bytes()) == printed[a.path] for a in segments)
    # A page's screenshots and tiles are converted as each is written, the same way.
    pictures = 0
    for capture in manifest.captures:
        printed = widest(render_html(manifest.model_copy(update={"captures": [capture]}),
                                     image_loader=bundle_loader(demo_bundle)))
        for artifact in (a for a in capture.artifacts if a.role in ("screenshot", "screenshot_tile")):
            assert screenshot_print_px((demo_bundle / artifact.path).read_bytes()) == printed[artifact.path]
            pictures += 1
    assert pictures >= len(manifest.captures)

    copy = tmp_path / "bundle"
    shutil.copytree(demo_bundle, copy)
    _, (_, afresh) = write_unsealed_report(copy)
    sealed = _pdf_images(demo_bundle / "report.pdf")
    assert sealed and {kind for *_, kind in sealed} == {"jpeg"}
    assert sealed == _pdf_images(afresh)
