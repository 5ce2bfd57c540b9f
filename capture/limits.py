"""Bounds on what a bundle may hold, shared by the writer's side and the hostile reader.

A file near any of these is not one the tool wrote; reading stops there.
"""

MAX_MANIFEST_BYTES = 64 << 20
MAX_SUMS_BYTES = 16 << 20
MAX_TOKEN_BYTES = 1 << 20  # an RFC 3161 reply is a few KiB
MAX_CA_BYTES = 4 << 20
MAX_TOKENS = 999
MAX_ENTRIES = 100_000  # files in a bundle, entries in a zip, lines in SHA256SUMS
MAX_DIR_DEPTH = 32
MAX_JSON_DEPTH = 32
MAX_ZIP_TOTAL_BYTES = 16 << 30
