"""Where the screenshots go on A4 pages: slices of tall pages, the grid of chat segments.

Sizes are CSS px of the printed page (96 per inch). A4 with PAGE_MARGINS_MM (pdf.py
passes them to page.pdf) leaves a content box of 186 x 269 mm = 703 x 1016 px; every
figure plus its caption must fit in one box, or Chromium would cut or shrink it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PAGE_MARGINS_MM = {"top": 12, "bottom": 16, "left": 12, "right": 12}
CONTENT_WIDTH_PX = 703
CONTENT_HEIGHT_PX = 1016
SLICE_MAX_PX = 940
# Neighbouring slices repeat a few rows so sub-pixel rounding can never drop a line.
OVERLAP_ROWS = 4
# A first slice is fitted under the capture's heading when at least this much room is left.
MIN_FIRST_SLICE_PX = 240
# The PDF's JPEG copy of an image has at most this many pixels per CSS px it is shown at
# (120 dpi): sharp at 100-125 % zoom, and a 300-message chat's report stays under 2 MB.
PRINT_SCALE = 1.25
# A PNG header may claim any size; past these the report shows a note, not the image.
MAX_IMAGE_SIDE = 65_536
MAX_IMAGE_PIXELS = 1 << 28
MAX_SLICES = 120

# Chat segments: a grid, as few columns as still put MIN_SEGMENTS_PER_PAGE on a page,
# never smaller than MIN_SEGMENT_SCALE of their own size.
GRID_GAP_PX = 8
SEGMENT_CAPTION_PX = 14
SEGMENT_ROW_GAP_PX = 6
MIN_SEGMENTS_PER_PAGE = 4
MIN_SEGMENT_SCALE = 0.3
MAX_SHRINK_FOR_A_ROW = 0.9  # shrink up to 10 % more when that fits one more row on a page


def print_px(width: int, shown_px: float) -> int:
    """How many pixels wide the PDF's copy of an image `width` px wide, shown at
    `shown_px` CSS px, is made."""
    return max(1, min(width, math.ceil(shown_px * PRINT_SCALE)))


def png_size(data: bytes | None) -> tuple[int, int] | None:
    """(width, height) as the PNG header claims them, or None (not a PNG, or empty)."""
    from ..png import png_size as header_size

    try:
        width, height = header_size(data or b"")
    except ValueError:
        return None
    return (width, height) if width > 0 and height > 0 else None


def too_large(width: int, height: int) -> bool:
    """More than any browser can draw: a header that lies, or an image beyond showing."""
    return width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS


def slices(width: int, height: int, first_px: float | None = None) -> list[tuple[int, int]]:
    """Row ranges [top, bottom) of a screenshot, each small enough for one page, at most
    MAX_SLICES of them (an absurd header cannot make the report endless).

    The image is shown at the content width (or its own width, if narrower), so a
    slice of `rows` image rows is rows * shown/width CSS px tall. `first_px`: the room
    left on the page where the first slice goes.
    """
    shown = min(width, CONTENT_WIDTH_PX)
    rows = max(OVERLAP_ROWS + 1, math.floor(SLICE_MAX_PX * width / shown))
    first = rows
    if first_px is not None and first_px >= MIN_FIRST_SLICE_PX:
        first = max(OVERLAP_ROWS + 1, min(rows, math.floor(first_px * width / shown)))
    ranges, top = [], 0
    while len(ranges) < MAX_SLICES:
        bottom = min(height, top + (first if not ranges else rows))
        ranges.append((top, bottom))
        if bottom >= height:
            break
        top = bottom - OVERLAP_ROWS
    return ranges


@dataclass(frozen=True)
class Grid:
    columns: int
    scale: float  # shown size / image size

    @property
    def column_px(self) -> float:
        return (CONTENT_WIDTH_PX - (self.columns - 1) * GRID_GAP_PX) / self.columns


def _rows_per_page(height: int, scale: float) -> int:
    return math.floor(CONTENT_HEIGHT_PX / (height * scale + SEGMENT_CAPTION_PX + SEGMENT_ROW_GAP_PX))


def _grid(width: int, height: int, columns: int) -> Grid:
    column = (CONTENT_WIDTH_PX - (columns - 1) * GRID_GAP_PX) / columns
    scale = min(1.0, column / width)
    rows = _rows_per_page(height, scale)
    # Just short of one more row: shrink a little rather than leave the space empty.
    wanted = rows + 1
    fit = ((CONTENT_HEIGHT_PX / wanted) - SEGMENT_CAPTION_PX - SEGMENT_ROW_GAP_PX - 0.5) / height
    if fit >= scale * MAX_SHRINK_FOR_A_ROW:
        scale = fit
    return Grid(columns, scale)


def chat_grid(width: int, height: int) -> Grid:
    """The layout for chat segments of (width x height) image pixels."""
    candidates = [_grid(width, height, n) for n in range(1, 5)]
    legible = [g for g in candidates if g.scale >= MIN_SEGMENT_SCALE] or candidates[:1]
    for grid in legible:
        if grid.columns * _rows_per_page(height, grid.scale) >= MIN_SEGMENTS_PER_PAGE:
            return grid
    return max(legible, key=lambda g: (g.columns * _rows_per_page(height, g.scale), -g.columns))


@dataclass(frozen=True)
class SegmentView:
    """How much of a chat segment the report shows: the rows the one before it already
    showed are trimmed (said in its caption), a gap before it is named."""

    skip_rows: int = 0  # image rows at the top not shown
    repeated_px: int = 0  # CSS px of the conversation the previous segment already showed
    gap_px: int = 0  # CSS px of the conversation between the previous segment and this one


def segment_views(segments: list[tuple[int | None, int | None, int | None]]) -> list[SegmentView]:
    """[(scroll_top, height in CSS px, image height in px)] in order -> what to show of each."""
    views, end = [], None
    for top, css_height, image_height in segments:
        if top is None or not css_height or not image_height:
            views.append(SegmentView())
            end = None
            continue
        view = SegmentView()
        if end is not None and top < end:
            repeated = min(end - top, css_height - 1)
            skip = min(image_height - 1, round(repeated * image_height / css_height))
            view = SegmentView(skip_rows=skip, repeated_px=repeated)
        elif end is not None and top > end:
            view = SegmentView(gap_px=top - end)
        views.append(view)
        end = max(end or 0, top + css_height)
    return views
