"""Escaping for the report: every string from a page, a manifest or a user goes through here."""

from __future__ import annotations

import html

from ..display import visible, visible_with_ascii_hosts


def e(value, keep: str = "") -> str:
    """Escape anything that came from a page, a manifest or a user.

    HTML-escaped, and every invisible or reordering character (U+202E and the other
    bidi controls, zero-width characters, controls) shown as `\\uXXXX`, so the report
    shows what the page said, not what it makes a reader see; `keep` spares some
    (a transcript's line breaks).
    """
    return html.escape(visible("" if value is None else str(value), keep), quote=True)


def t(value) -> str:
    """Like `e`, for the tool's own running text (actions, warnings, checks): any URL in
    it is shown with its host in ASCII form, as the URL fields are."""
    return html.escape(visible_with_ascii_hosts("" if value is None else str(value)), quote=True)
