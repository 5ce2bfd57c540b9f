"""The two exceptions that carry exit codes; only cli.py turns them into messages."""


class UsageError(Exception):
    """The user asked for something we cannot do as asked (exit 2)."""

    exit_code = 2


class EvidenceError(Exception):
    """The evidence failed: nothing could be captured, or a bundle did not verify (exit 1)."""

    exit_code = 1
