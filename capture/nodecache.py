"""A compile cache for Playwright's driver, which is Node: its bundle is compiled anew
by every `evidence` run otherwise. With Node's cache (NODE_COMPILE_CACHE, Node 22.1 and
later) the driver was ready in 0.26 s instead of 0.35.

The cache holds only V8's compiled code, checked by Node against the source it was made
from; a cache Node cannot write or read is silently not used. It is used only in a
directory of this user's that no one else can write to (not a link). A cache the user
chose (or turned off with NODE_DISABLE_COMPILE_CACHE) is theirs.
"""

from __future__ import annotations

import os
import stat
from collections.abc import MutableMapping
from pathlib import Path

VARIABLE = "NODE_COMPILE_CACHE"


def cache_dir(environ: MutableMapping[str, str]) -> Path | None:
    base = environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # a relative one is to be ignored (XDG)
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory to be found
            return None
    return Path(base) / "evidence-capture" / "node-compile-cache"


def _ours(folder: Path) -> bool:
    """A real directory of this user that nobody else may write to: Node loads what is
    in it into the driver, and its checks are for integrity, not for whose it is."""
    try:
        info = folder.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022:
        return False
    return not hasattr(os, "geteuid") or info.st_uid == os.geteuid()


def use_node_compile_cache(environ: MutableMapping[str, str]) -> None:
    """Point the driver's Node at our cache directory (environ is what the driver is
    started with: Playwright hands it the process's environment)."""
    if VARIABLE in environ or environ.get("NODE_DISABLE_COMPILE_CACHE"):
        return
    folder = cache_dir(environ)
    if folder is None:
        return
    try:
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.mkdir(exist_ok=True, mode=0o700)
    except OSError:
        return  # a read-only home: the driver compiles as it always did
    if _ours(folder.parent) and _ours(folder) and os.access(folder, os.W_OK | os.X_OK):
        environ[VARIABLE] = str(folder)
