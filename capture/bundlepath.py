"""Paths inside a bundle: one validator shared by the writer and the hostile reader."""

from __future__ import annotations

from pathlib import PurePosixPath

MAX_PATH_CHARS = 512


class UnsafePath(ValueError):
    """A path that could escape the bundle or mean different files on different systems."""


def bundle_path(text: str) -> PurePosixPath:
    """Return `text` as a safe relative path inside a bundle, or raise UnsafePath."""
    if not isinstance(text, str) or not text:
        raise UnsafePath("empty path")
    if len(text) > MAX_PATH_CHARS:
        raise UnsafePath("path longer than %d characters" % MAX_PATH_CHARS)
    if "\x00" in text:
        raise UnsafePath("path contains a NUL byte")
    if "\\" in text:
        raise UnsafePath("path contains a backslash")
    if any(ord(ch) < 32 for ch in text):
        raise UnsafePath("path contains a control character")
    if text.startswith("/"):
        raise UnsafePath("absolute path")
    # "C:x" is relative on POSIX but drive-relative on Windows.
    if len(text) >= 2 and text[1] == ":":
        raise UnsafePath("path with a drive letter")
    parts = text.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise UnsafePath("path with an empty, '.' or '..' component")
    return PurePosixPath(text)
