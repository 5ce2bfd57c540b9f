"""Compile the package's bytecode before anything is timed.

An installed tool has its .pyc files from the install; an editable checkout writes them
on first import, unless PYTHONDONTWRITEBYTECODE is set (it is on some machines), and
then every measured run compiles every module it imports again: about 0.05 s for
verify and more for a capture, charged to the tool and to none of its peers.
"""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "capture"


def compile_package() -> None:
    if not compileall.compile_dir(PACKAGE, quiet=1):
        raise RuntimeError(f"cannot compile {PACKAGE}")
