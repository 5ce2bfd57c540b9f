"""What the pictures of a capture cover, checked before the bundle is sealed.

The manifest says which range of the page each screenshot tile shows and which range
of the conversation each chat segment shows; a reader relies on those ranges adding
up. This module is the one place that says how far pictures may go (a page can claim
any height) and that checks the recorded ranges: they must tile [0, extent) with no
gap, or a warning on the capture must say exactly how far they go. Overlaps are
allowed (the last window of a chat overlaps the one before it) and are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from .bundlepath import bundle_path
from .png import png_size
from .record import Recorder

# No capture pictures more than this many CSS px of height: a page may report any
# height (2e9 px would be hundreds of thousands of tiles); the rest is stated.
MAX_PICTURED_HEIGHT = 500_000

TILES = ("screenshot_tile", "screenshots", "page")
SEGMENTS = ("chat_segment", "chat segments", "conversation")


def px(value: float) -> str:
    """2000000000 -> '2 000 000 000' (a space groups thousands in zh-CN and English)."""
    return f"{round(value):,}".replace(",", " ")


def statement(kind: tuple[str, str, str], end: float, extent: float) -> str:
    """The one wording for "the pictures stop short", which `check` looks for."""
    _, pictures, whole = kind
    return f"{pictures} cover 0–{px(end)} px of a {whole} that reports {px(extent)} px"


@dataclass(frozen=True)
class Span:
    name: str
    top: int
    height: int
    rows: int | None = None  # rows of its image, None when it cannot be read

    @property
    def bottom(self) -> int:
        return self.top + self.height


def spans(rec: Recorder, role: str) -> list[Span]:
    found = []
    for artifact in rec.capture.artifacts:
        if artifact.role != role:
            continue
        top = artifact.offset_y if role == "screenshot_tile" else artifact.scroll_top
        name = artifact.path.rsplit("/", 1)[-1]
        found.append(Span(name, top or 0, artifact.height or 0, _rows(rec, artifact.path)))
    return found


def _rows(rec: Recorder, path: str) -> int | None:
    try:
        with rec.writer.root.joinpath(*bundle_path(path).parts).open("rb") as image:
            return png_size(image.read(24))[1]
    except (OSError, ValueError):
        return None


def problems(found: list[Span], extent: int) -> tuple[list[str], list[str], int]:
    """(gaps, overlaps, end of the range covered from 0 without a gap) of `found`."""
    gaps, overlaps, covered, end = [], [], 0, None
    for span in found:
        if span.height <= 0:
            gaps.append(f"{span.name} shows nothing of it")
            continue
        if span.rows is None or span.rows < span.height:
            # A picture cannot show more CSS px than it has rows (device pixels >= CSS px).
            gaps.append(f"{span.name} is recorded as {px(span.height)} px but its image has "
                        f"{'no readable' if span.rows is None else px(span.rows)} rows")
        if span.top > covered:
            gaps.append(f"{px(covered)}–{px(span.top)} px is in no picture (before {span.name})")
            end = covered if end is None else end
        elif span.top < covered:
            overlaps.append(f"{span.name} repeats {px(min(covered, span.bottom) - span.top)} px")
        covered = max(covered, span.bottom)
    if covered > extent:
        gaps.append(f"the pictures reach {px(covered)} px, beyond its {px(extent)} px")
    return gaps, overlaps, min(covered if end is None else end, extent)


def check(rec: Recorder, kind: tuple[str, str, str], extent: int | None) -> None:
    """Check the recorded ranges of `kind`; record the result; warn on any false claim."""
    role, pictures, whole = kind
    found = spans(rec, role)
    if not found or not extent:
        return
    gaps, overlaps, end = problems(found, extent)
    for gap in gaps:
        rec.warn(f"{pictures} do not cover the {whole} as recorded: {gap}")
    short = statement(kind, end, extent)
    if end < extent and not any(short in warning for warning in rec.capture.warnings):
        rec.warn(short)
        gaps.append(short)
    detail = (f"{pictures} ({len(found)}) cover 0–{px(end)} of {px(extent)} px"
              + (f"; {'; '.join(gaps)}" if gaps else "; no gap")
              + (f"; overlaps: {', '.join(overlaps)}" if overlaps else ""))
    rec.action("coverage_check", detail, outcome="warning" if gaps else "ok")
