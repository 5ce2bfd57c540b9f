"""Find, launch or connect Chromium, and describe it for the record.

Discovery order (design contract): --browser-executable / EVIDENCE_BROWSER; Playwright's
own Chromium if installed; an installed Chrome, Edge or Chromium.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .errors import EvidenceError, UsageError, first_line
from .messages import t

ENV_BROWSER = "EVIDENCE_BROWSER"

# This machine (and many corporate ones) refuses outside traffic; without these
# Chromium keeps dialling update and field-trial servers during a capture.
BASE_ARGS = ["--disable-background-networking", "--disable-component-update"]

_LINUX_NAMES = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
    "microsoft-edge-stable",
]
_MAC_PATHS = [
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
]
_WINDOWS_SUFFIXES = [
    r"Google\Chrome\Application\chrome.exe",
    r"Microsoft\Edge\Application\msedge.exe",
    r"Chromium\Application\chrome.exe",
]


@dataclass
class FoundBrowser:
    executable: Path
    source: str  # "option", "environment", "playwright", "system"


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def playwright_browsers_dir() -> Path:
    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured == "0":
        # Playwright's "inside the package" mode; find_spec locates it without importing.
        import importlib.util

        spec = importlib.util.find_spec("playwright")
        if spec and spec.origin:
            return Path(spec.origin).parent / "driver" / "package" / ".local-browsers"
    elif configured:
        return Path(configured)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ms-playwright"


def _build_number(relative: Path) -> int:
    digits = relative.parts[0].rpartition("-")[2]
    return int(digits) if digits.isdigit() else -1


def _playwright_chromium() -> Path | None:
    root = playwright_browsers_dir()
    if not root.is_dir():
        return None
    patterns = [
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        "chromium-*/chrome-mac*/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
        "chromium-*/chrome-win*/chrome.exe",
    ]
    for pattern in patterns:
        # Newest build first: directory names end in the build number (numerically:
        # chromium-1200 is newer than chromium-999).
        builds = sorted(root.glob(pattern), key=lambda c: _build_number(c.relative_to(root)))
        for candidate in reversed(builds):
            if _is_executable(candidate):
                return candidate
    return None


def _system_browser() -> Path | None:
    for name in _LINUX_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    if sys.platform == "darwin":
        for candidate in map(Path, _MAC_PATHS):
            if _is_executable(candidate):
                return candidate
    if sys.platform == "win32":
        roots = [os.environ.get(v) for v in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
        for root in filter(None, roots):
            for suffix in _WINDOWS_SUFFIXES:
                candidate = Path(root) / suffix
                if candidate.is_file():
                    return candidate
    return None


def find_browser(explicit: str | None = None) -> FoundBrowser:
    """The Chromium to use, or UsageError (exit 2) naming what is wrong."""
    for value, source in ((explicit, "option"), (os.environ.get(ENV_BROWSER), "environment")):
        if value:
            path = Path(value).expanduser()
            if not _is_executable(path):
                what = "--browser-executable" if source == "option" else ENV_BROWSER
                raise UsageError(t("browser.not_executable", path=path, what=what))
            return FoundBrowser(path, source)
    found = _playwright_chromium()
    if found:
        return FoundBrowser(found, "playwright")
    found = _system_browser()
    if found:
        return FoundBrowser(found, "system")
    raise UsageError(t("browser.none_found"))


def launch_args() -> list[str]:
    args = list(BASE_ARGS)
    # Chromium refuses to start its sandbox as root; only then do we turn it off.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


def executable_version(executable: Path, timeout: float = 15) -> str | None:
    """`chromium --version`, or None when the file does not answer like a browser."""
    try:
        done = subprocess.run(
            [str(executable), "--version"],
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = done.stdout.decode("utf-8", "replace").strip()
    # GNU `true --version` answers too; a browser's version has at least three parts.
    if done.returncode != 0 or not re.search(r"\b\d+\.\d+\.\d+", text):
        return None
    return text.splitlines()[0]


def file_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def descendant_pids(root_pid: int) -> list[int]:
    """PIDs below root_pid, parents before children, from /proc (Linux; else empty)."""
    proc = Path("/proc")
    parents: dict[int, int] = {}
    if proc.is_dir():
        for entry in proc.iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
    found: list[tuple[int, int]] = []
    for pid in parents:
        walk, depth = pid, 0
        while walk in parents and walk != root_pid and depth < 50:
            walk, depth = parents[walk], depth + 1
        if walk == root_pid and pid != root_pid:
            found.append((depth, pid))
    return [pid for _, pid in sorted(found)]


def real_executable(path: Path) -> Path:
    """The binary actually running for a launched browser.

    Debian's /usr/bin/chromium is a shell script that starts /usr/lib/chromium/chromium;
    hashing the script would say nothing about the browser. On Linux the running
    process tells the truth (/proc/PID/exe of our Chromium descendants); elsewhere the
    executable itself is the browser.
    """
    for pid in descendant_pids(os.getpid()):
        try:
            exe = Path(os.readlink(f"/proc/{pid}/exe"))
        except OSError:
            continue
        if "chrom" in exe.name.lower() or "msedge" in exe.name.lower():
            return exe
    return path


def os_description() -> str:
    return f"{platform.system()} {platform.release()} ({platform.machine()})"


def local_timezone() -> str:
    """IANA name of the machine's zone, for the browser context and the record."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name and "/" in name:
        return name
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


@dataclass
class BrowserSettings:
    """How to get a browser: launch a local executable or connect to a remote one."""

    executable: str | None = None
    headless: bool = True
    endpoint: str | None = None
    cdp_endpoint: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    viewport_width: int = 1280
    viewport_height: int = 900
    locale: str = "zh-CN"
    timezone: str = field(default_factory=local_timezone)


# Playwright's `run-server` reads the launch options for the browser it starts from this
# header (honoured for executablePath and args only when the server runs with --unsafe).
LAUNCH_OPTIONS_HEADER = "x-playwright-launch-options"
_CONNECT_TIMEOUT_MS = 30_000


def public_endpoint(url: str) -> str:
    """The endpoint as it may be written down: no user:password@, no query (tokens)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(unparseable endpoint)"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def check_endpoint(url: str, option: str, schemes: tuple[str, ...]) -> str:
    """UsageError unless `url` is an absolute URL with one of `schemes` and a host."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError:
        host, parts = None, None
    if parts is None or parts.scheme.lower() not in schemes or not host:
        example = f"{schemes[0]}://127.0.0.1:PORT/"
        raise UsageError(t("browser.endpoint_url", option=option, example=example,
                           schemes=", ".join(schemes), given=public_endpoint(url)))
    return url


def browser_settings(executable: str | None = None, endpoint: str | None = None,
                     cdp_endpoint: str | None = None, headers: Sequence[str] = (),
                     headed: bool = False) -> BrowserSettings:
    """BrowserSettings from plain values (command-line options or a plan), checked."""
    parsed = {}
    for raw in headers:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            # The value is likely a secret: do not echo it.
            raise UsageError(t("browser.header_form"))
        parsed[name.strip()] = value.strip()
    if endpoint and cdp_endpoint:
        raise UsageError(t("browser.two_endpoints"))
    if endpoint:
        check_endpoint(endpoint, "--browser-endpoint", ("ws", "wss", "http", "https"))
    if cdp_endpoint:
        check_endpoint(cdp_endpoint, "--cdp-endpoint", ("http", "https", "ws", "wss"))
        if executable:
            raise UsageError(t("browser.executable_and_cdp"))
    if parsed and not (endpoint or cdp_endpoint):
        raise UsageError(t("browser.header_alone"))
    return BrowserSettings(executable=executable, endpoint=endpoint, cdp_endpoint=cdp_endpoint,
                           headers=parsed, headless=not headed)


def remote_launch_options(settings: BrowserSettings) -> dict:
    """What a Playwright server is asked to launch with: nothing unless the user chose.

    A browser service has its own browser; only an explicit --browser-executable (a path
    on the server's machine) or --headed is passed on.
    """
    options: dict = {}
    if settings.executable:
        options["executablePath"] = settings.executable
        options["args"] = launch_args()
    if settings.executable or not settings.headless:
        options["headless"] = settings.headless
    return options


def _connect_headers(settings: BrowserSettings) -> dict[str, str]:
    headers = dict(settings.headers)
    options = remote_launch_options(settings)
    if options and not any(name.lower() == LAUNCH_OPTIONS_HEADER for name in headers):
        headers[LAUNCH_OPTIONS_HEADER] = json.dumps(options)
    return headers


def _connect_failure(exc: Exception, settings: BrowserSettings, what: str, url: str) -> EvidenceError:
    """One line naming the endpoint, with no credential, token or header value in it."""
    text = first_line(exc)
    text = re.sub(r"^BrowserType\.connect(_over_cdp)?:\s*", "", text)
    text = text.replace(url, public_endpoint(url))
    text = re.sub(r"(\w+://)[^/\s@]*@", r"\1", text)  # user:password@ in any URL
    text = re.sub(r"(\w+://[^\s?]*)\?\S*", r"\1", text)  # ?token=... in any URL
    for value in settings.headers.values():
        if len(value) >= 4:
            text = text.replace(value, "…")
    return EvidenceError(f"cannot connect to the {what} at {public_endpoint(url)}: {text[:300]}")


async def open_browser(playwright, settings: BrowserSettings):
    """Launch or connect; returns (browser, found executable or None, launch args).

    A remote browser gives (browser, None, []): what it runs is reported by the remote
    side (browser.version, navigator.userAgent), not known here. Failing to connect is
    an EvidenceError whose message is safe to write into a bundle.
    """
    if settings.endpoint:
        try:
            browser = await playwright.chromium.connect(
                settings.endpoint, headers=_connect_headers(settings) or None,
                timeout=_CONNECT_TIMEOUT_MS,
            )
        except Exception as exc:  # noqa: BLE001 - any failure to connect: one clear line
            raise _connect_failure(exc, settings, "Playwright server", settings.endpoint) from None
        return browser, None, []
    if settings.cdp_endpoint:
        try:
            browser = await playwright.chromium.connect_over_cdp(
                settings.cdp_endpoint, headers=settings.headers or None,
                timeout=_CONNECT_TIMEOUT_MS,
            )
        except Exception as exc:  # noqa: BLE001 - any failure to connect: one clear line
            raise _connect_failure(exc, settings, "DevTools endpoint", settings.cdp_endpoint) from None
        return browser, None, []
    found = find_browser(settings.executable)
    args = launch_args()
    browser = await playwright.chromium.launch(
        executable_path=str(found.executable), headless=settings.headless, args=args
    )
    return browser, found, args
