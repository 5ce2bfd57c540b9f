"""The pictures of a capture in the report: screenshot slices, the chat segment grid, the
transcript. Geometry comes from layout.py; every name and string is escaped."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from urllib.parse import quote

from ..bundlepath import UnsafePath, bundle_path
from ..manifest import Artifact
from .escape import e
from .labels import Words
from .layout import (
    CONTENT_WIDTH_PX,
    PRINT_SCALE,
    chat_grid,
    png_size,
    print_px,
    segment_views,
    slices,
    too_large,
)

Loader = Callable[[str], "bytes | None"]
SPEAKER_LINE_CHARS = 80


def _src(path: str) -> str | None:
    try:
        bundle_path(path)
    except UnsafePath:
        return None
    return e(quote(path, safe="/"))


def _img(src: str, width: int, height: int, name: str, shown_px: float, offset_pct: float) -> str:
    """The image, told (for pdf.py) how wide its JPEG copy needs to be."""
    return (f'<img src="{src}" data-print-px="{print_px(width, shown_px)}" width="{width}" height="{height}" '
            f'alt="{name}" style="margin-top:-{offset_pct:.6f}%">')


def _clipped(src: str, width: int, height: int, top: int, bottom: int, name: str, shown_px: float) -> str:
    # Percentages in margin-top are of the containing block's *width*, so the offset
    # scales with the shown width exactly like the image does.
    return (f'<div class="clip" style="aspect-ratio:{width}/{bottom - top}">'
            + _img(src, width, height, name, shown_px, top / width * 100) + "</div>")


def screenshot(w: Words, artifact: Artifact, loader: Loader | None, first_px: float | None = None) -> str:
    """A screenshot or tile at the page's width, in slices of at most a page each;
    `first_px` is the room left where the first slice goes."""
    src = _src(artifact.path)
    name = e(artifact.path)
    size = png_size(loader(artifact.path) if loader else None)
    if src is None:
        return f'<div class="notice error"><p>{name}: {w("image_missing")}</p></div>'
    if size is None:
        # Unknown dimensions: the whole image at page width is the best we can do.
        return (f'<figure class="slice"><figcaption class="mono">{name}</figcaption>'
                f'<img class="whole" src="{src}" data-print-px="{round(CONTENT_WIDTH_PX * PRINT_SCALE)}" '
                f'alt="{name}"></figure>')
    width, height = size
    if too_large(width, height):
        return (f'<div class="notice warning"><p><span class="mono">{name}</span>: '
                f'{w("image_too_large", w=f"{width:,}", h=f"{height:,}")}</p></div>')
    ranges = slices(width, height, first_px)
    shown = min(width, CONTENT_WIDTH_PX)
    out = []
    for i, (top, bottom) in enumerate(ranges, 1):
        caption = f'<span class="mono">{name}</span>'
        if len(ranges) > 1:
            caption += f" · {w('part', i=str(i), n=str(len(ranges)))}"
        caption += f" · {w('rows', a=str(top + 1), b=str(bottom), h=str(height))}"
        out.append(f'<figure class="slice" style="width:{shown}px;max-width:100%">'
                   f"<figcaption>{caption}</figcaption>"
                   + _clipped(src, width, height, top, bottom, name, shown) + "</figure>")
    if ranges[-1][1] < height:
        out.append(f'<div class="notice warning"><p>{name}: '
                   f'{w("rows_not_shown", a=str(ranges[-1][1] + 1), h=str(height))}</p></div>')
    return "".join(out)


def chat_segments(w: Words, segments: list[Artifact], loader: Loader | None,
                  heading: str = "chat_segments") -> str:
    """Every segment of the conversation, several to a page, in reading order; what one
    repeats of the segment before it is trimmed, and its caption says so."""
    if not segments:
        return ""
    data = [loader(a.path) if loader else None for a in segments]
    sizes = [png_size(d) for d in data]
    known = [s for s in sizes if s and not too_large(*s)]
    if not known:
        return "".join(screenshot(w, a, loader) for a in segments)
    widest = max(s[0] for s in known)
    tallest = max(s[1] for s in known)
    grid = chat_grid(widest, tallest)
    views = segment_views([(a.scroll_top, a.height, s[1] if s else None) for a, s in zip(segments, sizes)])
    cells = [_segment(w, a, size, view, grid.scale) for a, size, view in zip(segments, sizes, views)]
    columns = " ".join([f"{grid.column_px:.2f}px"] * grid.columns)
    return (f"<h4>{w(heading)} <span class=\"sub\">{w('segments_order')}</span></h4>"
            f'<div class="segments" style="grid-template-columns:{columns}">{"".join(cells)}</div>')


def _segment(w: Words, artifact: Artifact, size, view, scale: float) -> str:
    src, name = _src(artifact.path), e(artifact.path)
    if src is None or size is None or too_large(*size):
        return (f'<figure class="segment"><figcaption><span class="mono">{name}</span></figcaption>'
                f'<div class="notice error"><p>{w("image_missing")}</p></div></figure>')
    width, height = size
    caption = f'<span class="mono">{name}</span>'
    if artifact.scroll_top is not None and artifact.height:
        caption += f" · {artifact.scroll_top}–{artifact.scroll_top + artifact.height} px"
    notes = []
    if view.repeated_px:
        notes.append(w("seg_repeat", px=str(view.repeated_px)))
    if view.gap_px:
        notes.append(w("seg_gap", px=str(view.gap_px)))
    if notes:
        caption += '<br><span class="flag">' + " · ".join(notes) + "</span>"
    shown = width * scale
    return (f'<figure class="segment" style="width:{shown:.2f}px"><figcaption>{caption}</figcaption>'
            + _clipped(src, width, height, view.skip_rows, height, name, shown) + "</figure>")


def transcript(w: Words, artifact: Artifact, loader: Loader | None) -> str:
    """The transcript as text, in two columns, one paragraph per message (blank lines
    in the file separate them); line breaks as in the file."""
    data = loader(artifact.path) if loader else None
    head = f'<h3>{w("transcript")} <span class="mono">{e(artifact.path)}</span></h3>'
    if data is None:
        return head + f'<div class="notice warning"><p>{w("transcript_missing")}</p></div>'
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    blocks = [b for b in re.split(r"\n[ \t]*\n", text) if b.strip()]
    return head + f'<div class="transcript">{"".join(_message(block) for block in blocks)}</div>'


def _message(block: str) -> str:
    """One block of the transcript; a short first line (who and when) runs into the text
    after it, set apart, so a one-line message takes one line."""
    lines = [e(line, keep="\t") for line in block.strip("\n").split("\n")]
    if len(lines) > 1 and len(lines[0]) <= SPEAKER_LINE_CHARS and not lines[0].startswith("#"):
        return f'<p><span class="who">{lines[0]}</span> ' + "<br>".join(lines[1:]) + "</p>"
    return "<p>" + "<br>".join(lines) + "</p>"


# --- how tall a heading will be, to fit the first slice under it --------------------------

_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"</p>|</li>|<br>|</div>")


def text_height_px(fragment: str, font_px: float, line_px: float, width_px: float = CONTENT_WIDTH_PX) -> float:
    """A generous estimate of the height of an HTML fragment of short text blocks."""
    total = 0.0
    for piece in _BREAKS.split(fragment):
        text = html.unescape(_TAGS.sub("", piece)).strip()
        if not text:
            continue
        ems = sum(1.0 if ord(ch) >= 0x2E80 else 0.62 for ch in text)
        total += max(1, math.ceil(ems * font_px / width_px)) * line_px
    return total
