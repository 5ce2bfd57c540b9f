"""Playwright's driver started before the capture's imports (capture/driverstart.py):
already running when the session begins, and never left behind when the run ends
early."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from capture.driverstart import EarlyDriver, start_early


def in_a_thread(test):
    """Run the test where no loop runs (pytest-playwright's sync fixtures leave one
    running in the main thread), as the command line's main thread is."""
    import functools
    from concurrent.futures import ThreadPoolExecutor

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(test, *args, **kwargs).result()

    return wrapper


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _with_marker(marker: str) -> list[int]:
    """Processes whose environment carries `marker` (the run and whatever it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _gone(marker: str, within: float = 20.0) -> bool:
    ends = time.monotonic() + within
    while _with_marker(marker):
        if time.monotonic() > ends:
            return False
        time.sleep(0.1)
    return True


@in_a_thread
def test_the_driver_is_spawned_before_the_session_runs_and_serves_it():
    before = set(_children(os.getpid()))
    early = EarlyDriver()
    try:
        # Its process is running already, while nothing awaits it.
        started = set(_children(os.getpid())) - before
        assert any("run-driver" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                   for pid in started)
        runner = early.take()

        async def launched_version():
            playwright = await early.playwright()
            try:
                return playwright.chromium.name
            finally:
                await playwright.stop()

        assert runner.run(launched_version()) == "chromium"
    finally:
        early.close()


@in_a_thread
def test_a_driver_nobody_took_is_stopped_on_close():
    before = set(_children(os.getpid()))
    early = EarlyDriver()
    started = set(_children(os.getpid())) - before
    assert started
    early.close()
    early.close()  # twice is harmless
    ends = time.monotonic() + 20
    while set(_children(os.getpid())) & started and time.monotonic() < ends:
        time.sleep(0.1)
    assert not set(_children(os.getpid())) & started


@in_a_thread
def test_under_a_running_loop_nothing_is_started_early():
    import asyncio

    async def inside():
        return start_early()

    assert asyncio.run(inside()) is None


def test_a_run_refused_after_the_driver_started_says_one_line_and_leaves_no_process(tmp_path, site):
    taken = tmp_path / "bundle"
    taken.mkdir()
    (taken / "earlier.txt").write_text("earlier evidence")
    marker = f"EVIDENCE_TEST_MARK={secrets.token_hex(8)}"
    name, value = marker.split("=")
    done = subprocess.run(
        [sys.executable, "-m", "capture", "capture", "--page", f"{site}/hello.html", "-o", str(taken)],
        capture_output=True, text=True, timeout=120, env={**os.environ, name: value},
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not empty" in lines[0], done.stderr
    assert (taken / "earlier.txt").read_text() == "earlier evidence"
    assert _gone(marker)
