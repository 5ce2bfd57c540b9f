"""Progress of long work (a chat's history, the tiles of a tall page, verifying a large
bundle): a status line at most every EVERY seconds, so a 25-second chat does not look
hung. What to show with it is the caller's: the CLI gives a function that rewrites one
line on a terminal and prints plain lines into a pipe, or none (--quiet, --json).
"""

from __future__ import annotations

import time
from collections.abc import Callable

EVERY = 2.0  # seconds between two status lines of one piece of work


class Ticker:
    """Shows `text()` when EVERY seconds have passed since the last line (or the start);
    `text` is a function so that nothing is formatted while nothing is shown."""

    def __init__(self, show: Callable[[str], None] | None, every: float = EVERY,
                 clock: Callable[[], float] = time.monotonic):
        self.show, self.every, self.clock = show, every, clock
        self.last = clock()

    def __call__(self, text: Callable[[], str]) -> None:
        if self.show is None:
            return
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            self.show(text())


class Console:
    """Lines for a person on `stream`: `line` for lasting ones, `status` for the one that
    the next replaces (rewritten in place on a terminal, a plain line into a pipe)."""

    def __init__(self, stream, tty: bool | None = None):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.pending = False  # a status line is on screen without its newline

    def line(self, text: str) -> None:
        self._clear()
        self.stream.write(text + "\n")
        self.stream.flush()

    def status(self, text: str) -> None:
        if not self.tty:
            self.line(text)
            return
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self.pending = True

    def done(self) -> None:
        """Before anything else is printed: no half line left behind."""
        self._clear()

    def _clear(self) -> None:
        if self.pending:
            self.stream.write("\r\x1b[K")
            self.pending = False
