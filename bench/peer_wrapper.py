"""Run shot-scraper's CLI with Playwright pointed at a given Chromium executable.

shot-scraper has `--browser chromium` and `--browser-arg`, but no option for the
browser's executable: it calls `playwright.chromium.launch(headless=..., args=...)` and so
expects Playwright's own downloaded Chromium, which machines without outside access do
not have. This wrapper runs inside shot-scraper's virtual environment and makes every
launch use $BENCH_CHROMIUM (the browser evidence-capture uses); the flags come through
shot-scraper's own `--browser-arg`. Nothing else about shot-scraper changes.

    BENCH_CHROMIUM=/usr/bin/chromium PEER_VENV/bin/python bench/peer_wrapper.py multi shots.yml ...
"""

from __future__ import annotations

import os
import sys

from playwright.sync_api import BrowserType


def _point_at(executable: str) -> None:
    original = BrowserType.launch

    def launch(self, *args, **kwargs):
        kwargs.setdefault("executable_path", executable)
        return original(self, *args, **kwargs)

    BrowserType.launch = launch


def main() -> None:
    executable = os.environ.get("BENCH_CHROMIUM")
    if not executable:
        sys.exit("peer_wrapper: set BENCH_CHROMIUM to the Chromium executable")
    _point_at(executable)
    from shot_scraper.cli import cli

    cli(prog_name="shot-scraper")


if __name__ == "__main__":
    main()
