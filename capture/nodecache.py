"""A compile cache for Playwright's driver, which is Node: its bundle is compiled anew
by every `evidence` run otherwise. With Node's cache (NODE_COMPILE_CACHE, Node 22.1 and
later) the driver was ready in 0.26 s instead of 0.35.

The cache holds only V8's compiled code, checked by Node against the source it was made
from; a cache Node cannot write or read is silently not used. A cache the user chose (or
turned off with NODE_DISABLE_COMPILE_CACHE) is theirs.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

VARIABLE = "NODE_COMPILE_CACHE"


def cache_dir(environ: MutableMapping[str, str]) -> Path | None:
    base = environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory to be found
            return None
    return Path(base) / "evidence-capture" / "node-compile-cache"


def use_node_compile_cache(environ: MutableMapping[str, str]) -> None:
    """Point the driver's Node at our cache directory (environ is what the driver is
    started with: Playwright hands it the process's environment)."""
    if VARIABLE in environ or environ.get("NODE_DISABLE_COMPILE_CACHE"):
        return
    folder = cache_dir(environ)
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return  # a read-only home: the driver compiles as it always did
    if os.access(folder, os.W_OK | os.X_OK):
        environ[VARIABLE] = str(folder)
