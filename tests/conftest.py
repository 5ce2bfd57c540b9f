"""Shared fixtures: the discovered Chromium, and a local site server."""

from __future__ import annotations

import pytest

from capture.browser import find_browser, launch_args

from .servers import serve


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return str(find_browser().executable)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    # pytest-playwright launches Playwright's own Chromium by default, which cannot be
    # downloaded here: point it at the browser the tool itself discovers.
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": launch_args()}


@pytest.fixture(scope="session")
def site():
    """Base URL of tests/sites served on 127.0.0.1."""
    with serve() as url:
        yield url


@pytest.fixture(autouse=True)
def english_unless_asked(monkeypatch):
    # Tests read English output unless they choose a language (tests/test_language.py
    # sets the locale per run); a developer's zh_CN locale must not fail them.
    monkeypatch.setenv("EVIDENCE_LANG", "en")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One `evidence demo`, as a user runs it, shared by every test that reads its bundle
    (the run takes half a minute; the tests only read what it wrote)."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("demo")
    done = subprocess.run([sys.executable, "-m", "capture", "demo", "-o", "bundle"], cwd=root,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "bundle", done
