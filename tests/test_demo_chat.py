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
