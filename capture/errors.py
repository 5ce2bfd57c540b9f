"""Exit codes, and the two exceptions that carry them; only cli.py turns them into messages."""

from enum import IntEnum


class ExitCode(IntEnum):
    """What every command exits with (the contract in design.md)."""

    OK = 0  # success; the bundle is intact
    EVIDENCE_FAILED = 1  # verify found a problem, or capture could not capture
    USAGE = 2  # bad option, unreadable plan, missing bundle
    INTERRUPTED = 130  # Ctrl-C; what was captured is saved and verifies


class UsageError(Exception):
    """The user asked for something we cannot do as asked (exit 2)."""

    exit_code = ExitCode.USAGE


class EvidenceError(Exception):
    """The evidence failed: nothing could be captured, or a bundle did not verify (exit 1)."""

    exit_code = ExitCode.EVIDENCE_FAILED


def first_line(exc: BaseException) -> str:
    """What went wrong, in one line: the message's first non-empty line, else the type's name.

    Playwright messages carry a call log after the first line; a bare exception has no text.
    """
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
