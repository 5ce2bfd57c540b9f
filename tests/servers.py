"""Local HTTP servers for tests, on the package's one helper (capture/localserver.py):
127.0.0.1 only, an ephemeral port, daemon threads, idle connections dropped."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from capture import localserver
from capture.localserver import QuietFileHandler as QuietHandler

SITES = Path(__file__).resolve().parent / "sites"

__all__ = ["SITES", "QuietHandler", "serve"]


@contextlib.contextmanager
def serve(handler_class=None, directory: Path = SITES) -> Iterator[str]:
    """Serve `handler_class` (default: the files under tests/sites) on 127.0.0.1:0."""
    handler = handler_class or partial(QuietHandler, directory=str(directory))
    with localserver.serve(handler) as url:
        yield url
