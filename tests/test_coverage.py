"""The self-check of what pictures cover (capture/coverage.py), on real files: a gap,
a short image or an unstated shortfall becomes a warning; overlaps are recorded."""

from __future__ import annotations

import struct
import zlib

from capture.coverage import SEGMENTS, TILES, check, px, statement

from .chat_site import new_recorder


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x10\x20\x30" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def recorder_with(tmp_path, segments: list[tuple[int, int, int]]):
    rec = new_recorder(tmp_path, "http://127.0.0.1/chat")
    for number, (top, height, rows) in enumerate(segments, 1):
        rec.write(f"chat-{number:03d}.png", png(4, rows), "chat_segment", "image/png",
                  scroll_top=top, height=height)
    return rec


def last_check(rec):
    return [a for a in rec.capture.actions if a.type == "coverage_check"][-1]


def test_thousands_are_grouped_with_spaces():
    assert px(2e9) == "2 000 000 000" and px(0) == "0" and px(999) == "999"
    assert statement(TILES, 500_000, 2e9) == (
        "screenshots cover 0–500 000 px of a page that reports 2 000 000 000 px"
    )


def test_segments_that_tile_the_conversation_pass_and_overlaps_are_recorded(tmp_path):
    rec = recorder_with(tmp_path, [(0, 600, 600), (600, 600, 600), (1000, 600, 600)])
    check(rec, SEGMENTS, 1600)
    assert rec.capture.warnings == []
    action = last_check(rec)
    assert action.outcome == "ok"
    assert action.detail == "chat segments (3) cover 0–1 600 of 1 600 px; no gap; overlaps: chat-003.png repeats 200 px"


def test_a_gap_between_segments_is_a_warning_and_the_shortfall_is_stated(tmp_path):
    rec = recorder_with(tmp_path, [(0, 540, 600), (600, 600, 600)])
    check(rec, SEGMENTS, 1200)
    assert rec.capture.warnings == [
        "chat segments do not cover the conversation as recorded: 540–600 px is in no picture "
        "(before chat-002.png)",
        "chat segments cover 0–540 px of a conversation that reports 1 200 px",
    ]
    assert last_check(rec).outcome == "warning"


def test_a_picture_with_fewer_rows_than_it_claims_is_a_warning(tmp_path):
    rec = recorder_with(tmp_path, [(0, 600, 540)])
    check(rec, SEGMENTS, 600)
    assert rec.capture.warnings == [
        "chat segments do not cover the conversation as recorded: chat-001.png is recorded as "
        "600 px but its image has 540 rows"
    ]


def test_a_shortfall_already_stated_is_not_stated_twice(tmp_path):
    rec = recorder_with(tmp_path, [(0, 600, 600)])
    said = "chat capture stopped early (time limit): " + statement(SEGMENTS, 600, 5000) + ", 9 messages captured"
    rec.warn(said)
    check(rec, SEGMENTS, 5000)
    assert rec.capture.warnings == [said]
    assert last_check(rec).outcome == "ok"
    assert last_check(rec).detail == "chat segments (1) cover 0–600 of 5 000 px; no gap"
