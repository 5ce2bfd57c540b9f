"""Real remote browsers for tests: Playwright's own `run-server` and a Chromium started
with --remote-debugging-port, both on 127.0.0.1, both always stopped (with everything
they started) when the block ends. Every wait is bounded."""

from __future__ import annotations

from capture.browser import descendant_pids

import contextlib
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from capture.browser import find_browser, launch_args

from .servers import SITES, QuietHandler

START_TIMEOUT = 30.0
KILL_PATH = "/remote/kill-server"


ROOT = Path(__file__).resolve().parent.parent


def remote_readme() -> str:
    """The README's "Remote browsers" section (notes/remote-readme.md until merged)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## Remote browsers\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    if found and "run-server" in found.group(1):
        return found.group(1)
    return (ROOT / "notes" / "remote-readme.md").read_text(encoding="utf-8")


def documented_command(must_contain: str) -> list[str]:
    """The first command line in the README section's sh blocks holding `must_contain`:
    the fixtures run what the README tells people to run."""
    for block in re.findall(r"```sh\n(.*?)```", remote_readme(), re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if must_contain in line:
                return shlex.split(line)
    raise AssertionError(
        f"the README's remote-browser section has no command with {must_contain!r}"
    )


def _replace_value(words: list[str], option: str, value: str) -> list[str]:
    """`--option VALUE` or `--option=VALUE` set to `value` (the README's fixed ports
    become 0 here, so tests never collide with anything)."""
    out = list(words)
    for i, word in enumerate(out):
        if word == option and i + 1 < len(out):
            out[i + 1] = value
            return out
        if word.startswith(option + "="):
            out[i] = f"{option}={value}"
            return out
    raise AssertionError(f"the README's command has no {option}: {' '.join(words)}")


descendants = descendant_pids


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a process we started and everything below it, by PID.

    The tree is listed first: once the parent dies, its children are re-parented and
    could no longer be told apart from anyone else's. Playwright starts browsers in
    their own process group, so killing the server's group alone would leave them.
    Parents go first: a server must not see its browser die and answer anyone after.
    """
    if process.poll() is not None:
        return  # already reaped: its PID may belong to someone else by now
    for pid in [process.pid, *descendants(process.pid)]:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if ready:
            return process.stdout.readline()
    return ""


@dataclass
class PlaywrightServer:
    process: subprocess.Popen
    endpoint: str  # ws://127.0.0.1:PORT/

    @property
    def port(self) -> int:
        return urlsplit(self.endpoint).port

    def kill(self) -> None:
        kill_tree(self.process)


@contextlib.contextmanager
def playwright_server() -> Iterator[PlaywrightServer]:
    """`playwright run-server` from the installed package, on 127.0.0.1:0.

    --unsafe lets clients choose the executable: this server has no downloaded browser
    and must launch the system Chromium the tool asks for.
    """
    words = documented_command("run-server --port 3000 --host 127.0.0.1 --unsafe")
    assert words[:4] == ["python", "-m", "playwright", "run-server"], words
    command = [sys.executable, *_replace_value(words, "--port", "0")[1:]]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        line = _read_line(process, START_TIMEOUT)
        found = re.search(r"Listening on (ws://127\.0\.0\.1:\d+/)", line)
        if not found:
            raise RuntimeError(f"playwright run-server did not start: {line!r}")
        yield PlaywrightServer(process, found.group(1))
    finally:
        kill_tree(process)
        process.stdout.close()


@dataclass
class DevToolsBrowser:
    process: subprocess.Popen
    endpoint: str  # http://127.0.0.1:PORT
    user_agent: str


def can_hide_tmp() -> bool:
    """Can a process get a /tmp of its own here (root, Linux mount namespaces)?"""
    if not shutil.which("unshare") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs none /tmp"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return done.returncode == 0


# Runs the browser in a mount namespace with an empty /tmp: like a browser on another
# machine, it cannot read the files the tool writes there (bundles, report copies).
_HIDE_TMP = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs none /tmp && exec "$@"', "sh"]


@contextlib.contextmanager
def devtools_chromium(user_agent: str, hide_tmp: bool = False) -> Iterator[DevToolsBrowser]:
    """Headless Chromium with --remote-debugging-port on 127.0.0.1 and a user agent of
    its own, so a test can tell what the remote side reported from anything local.

    hide_tmp: the browser sees an empty /tmp of its own (see can_hide_tmp).
    """
    profile = Path(
        tempfile.mkdtemp(prefix="evidence-devtools-", dir="/var/tmp" if hide_tmp else None)
    )
    words = documented_command("--remote-debugging-port=9222")
    assert words[0] == "chromium" and "--remote-debugging-address=127.0.0.1" in words, words
    # Port 0: Chromium picks a free port and writes it into DevToolsActivePort.
    words = _replace_value(
        _replace_value(words, "--remote-debugging-port", "0"), "--user-data-dir", str(profile)
    )
    extra = [a for a in launch_args() if a not in words]
    command = [
        *(_HIDE_TMP if hide_tmp else []),
        str(find_browser().executable),
        *words[1:],
        *extra,
        f"--user-agent={user_agent}",
        "--no-first-run",
        "about:blank",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        port = None
        while time.monotonic() < deadline and process.poll() is None:
            lines = active.read_text().splitlines() if active.is_file() else []
            if len(lines) >= 2 and lines[0].isdigit():
                port = int(lines[0])
                break
            time.sleep(0.05)
        if port is None:
            raise RuntimeError("Chromium did not open its DevTools port")
        yield DevToolsBrowser(process, f"http://127.0.0.1:{port}", user_agent)
    finally:
        kill_tree(process)
        shutil.rmtree(profile, ignore_errors=True)


def site_handler(on_kill: Callable[[], None]):
    """tests/sites, plus KILL_PATH, which calls `on_kill` (once) before answering."""
    calls: list[bool] = []

    class RemoteSiteHandler(QuietHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(SITES), **kwargs)

        def do_GET(self):
            if urlsplit(self.path).path != KILL_PATH:
                return super().do_GET()
            if not calls:
                calls.append(True)
                on_kill()
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.send_header("Content-Length", "0")
            self.end_headers()

    return RemoteSiteHandler


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A 127.0.0.1 port that refuses connections while the block runs: bound, never
    listening, so nothing else can take it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
