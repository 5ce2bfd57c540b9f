"""The package's shape: imports run cli -> library, never back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "capture"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")
LIBRARY = [p for p in MODULES if p.relative_to(PACKAGE).as_posix() != "cli.py"]


def _imports_cli(tree: ast.AST, module: Path) -> list[str]:
    found = []
    depth = len(module.relative_to(PACKAGE).parts) - 1
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:  # relative: resolve against this module's package
                base = [] if node.level - 1 > depth else list(module.relative_to(PACKAGE).parts[:-1])
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(["capture", *base, *([target] if target else [])])
            names = [alias.name for alias in node.names]
            if target == "capture.cli" or (target == "capture" and "cli" in names):
                found.append(f"line {node.lineno}")
        elif isinstance(node, ast.Import):
            if any(alias.name == "capture.cli" for alias in node.names):
                found.append(f"line {node.lineno}")
    return found


@pytest.mark.parametrize("module", LIBRARY, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_library_modules_never_import_the_cli_or_read_argv(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    assert _imports_cli(tree, module) == []
    argv = [n.lineno for n in ast.walk(_without_start_guard(tree, module))
            if isinstance(n, ast.Attribute) and n.attr == "argv"
            and isinstance(n.value, ast.Name) and n.value.id == "sys"]
    assert argv == [], f"{module.name} reads sys.argv at lines {argv}"


def _without_start_guard(tree: ast.Module, module: Path) -> ast.Module:
    """The package's own __init__ runs before anything of the command under `python -m
    capture`: its _started_as_the_tool alone may look at the command line, to know whether
    this import is the command starting (the quiet Ctrl-C of Python's start)."""
    if module.relative_to(PACKAGE).as_posix() != "__init__.py":
        return tree
    body = [n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name == "_started_as_the_tool")]
    return ast.Module(body=body, type_ignores=[])
