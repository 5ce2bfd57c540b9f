"""Browser-side scripts: capture/js/<name>.js, package data, each read once.

In .js files rather than Python strings so that an editor, a linter and the test that
parses each one in Chromium see them; a script that is missing or does not parse is
then named by its file.
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files

_NAME = re.compile(r"[a-z][a-z0-9_]*")


@functools.cache
def script(name: str) -> str:
    """The source of capture/js/<name>.js."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a browser script name: {name!r} (capture/js/<name>.js)")
    try:
        return files(__package__).joinpath("js", f"{name}.js").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"browser script missing: capture/js/{name}.js") from None


def names() -> list[str]:
    """Every script there is, by name."""
    folder = files(__package__).joinpath("js")
    return sorted(p.name[: -len(".js")] for p in folder.iterdir() if p.name.endswith(".js"))
