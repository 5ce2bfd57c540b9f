"""Playwright's driver started before the capture's imports (capture/driverstart.py):
already running when the session begins, and never left behind when the run ends
early."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


def _shows_the_driver(pids: set[int], within: float = 20.0) -> bool:
    """Whether one of `pids` is Playwright's driver. Spawning returns once the exec has
    begun, and until the kernel has set the new program's arguments up (on a cold page
    cache, while it reads node's binary from disk) its command line reads empty: looked
    at again, boundedly."""
    ends = time.monotonic() + within
    while True:
        for pid in pids:
            try:
                if b"run-driver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return True
            except OSError:
                pass
        if time.monotonic() > ends:
            return False
        time.sleep(0.01)


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
        # Its process is running already, while nothing awaits it (no loop runs here).
        started = set(_children(os.getpid())) - before
        assert started
        assert _shows_the_driver(started)
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


@pytest.mark.parametrize("after", [0.05, 0.2, 0.4, 0.8])
def test_ctrl_c_around_the_early_start_ends_cleanly(tmp_path, site, after):
    # Wherever it lands (the imports, the loop's first turns, the driver still starting,
    # the session's first steps), a Ctrl-C leaves no traceback, no asyncio complaint and
    # no process behind.
    marker = secrets.token_hex(8)
    proc = subprocess.Popen(
        [sys.executable, "-m", "capture", "capture", "--page", f"{site}/hello.html", "--no-trace",
         "-o", str(tmp_path / "bundle")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "EVIDENCE_TEST_MARK": marker},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    # Python's own start (-2: the signal's default, before Python handles it; 130: while
    # it imports), then the session's "interrupted" or Click's "Aborted!" (1).
    assert proc.returncode in (-2, 0, 1, 130), stdout + stderr
    # Under load 50 ms can still be site.py, where no code of ours runs to answer.
    _, stderr = _without_pythons_own_start(stderr)
    for complaint in ("Traceback", "Task was destroyed", "Exception ignored", "never awaited"):
        assert complaint not in stderr, stderr
    assert _gone(f"EVIDENCE_TEST_MARK={marker}")


def _without_pythons_own_start(stderr: str) -> tuple[bool, str]:
    """(whether the Ctrl-C met the interpreter's own start, what stderr says after it).

    Before the package's first line runs (site.py, a .pth file, runpy) only Python can
    answer a Ctrl-C: a fatal "init_import_site" error, or site's report of a .pth line it
    then skips. Their frames are all Python's, none in capture/. What follows the
    package's first line is test_ctrl_c_between_the_package_and_entry_is_a_quiet_exit's."""
    lines = stderr.splitlines(keepends=True)
    ends = [n for n, line in enumerate(lines) if line.strip() == "KeyboardInterrupt"]
    if not ends:
        return False, stderr
    head = lines[: ends[0] + 1]
    frames = [line for line in head if line.strip().startswith('File "')]
    if not frames or any(f"{os.sep}capture{os.sep}" in line for line in frames):
        return False, stderr
    text = "".join(lines)
    skipped = "Remainder of file ignored\n"  # site.py went on without that .pth line
    if text.startswith("Error processing line") and skipped in text:
        return True, text.split(skipped, 1)[1]
    return True, "".join(lines[ends[0] + 1 :])


_AS_THE_TOOL = """
import os, signal, sys, time
sys.argv, sys.orig_argv = ["-m"], [sys.executable, "-m", {module!r}, "capture"]
import capture  # noqa: E402 - where `python -m` imports the package before __main__
sys.argv = ["capture"]
print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, flush=True)
os.kill(os.getpid(), signal.SIGINT)  # Python's start, before entry(): __main__ compiled
time.sleep(5)
print("not interrupted")
"""


def test_ctrl_c_between_the_package_and_entry_is_a_quiet_exit():
    # Under load a Ctrl-C once landed while Python compiled __main__.py (no .pyc where
    # PYTHONDONTWRITEBYTECODE is set): a KeyboardInterrupt traceback from runpy.
    done = subprocess.run([sys.executable, "-c", _AS_THE_TOOL.format(module="capture")],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "False\n", "")


def test_the_package_leaves_ctrl_c_alone_when_it_is_not_the_tool():
    # `python -m capture.schemas`, a library user, a test: KeyboardInterrupt as usual.
    done = subprocess.run([sys.executable, "-c", _AS_THE_TOOL.format(module="capture.schemas")],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("True\n") and "KeyboardInterrupt" in done.stderr
    assert done.returncode == -signal.SIGINT and "not interrupted" not in done.stdout


def test_entry_gives_ctrl_c_back_to_python():
    import capture
    from capture.cli import _own_interrupts

    before = signal.signal(signal.SIGINT, capture._interrupted_at_start)
    try:
        _own_interrupts()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
