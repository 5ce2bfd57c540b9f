"""`evidence doctor`: can this machine make good evidence? Each check says how to fix it.

Also runs the clean-environment checks (`--clean-check URL`) without capturing, through
the same functions the capture session records in the manifest.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from . import __version__
from .browser import (
    BrowserSettings,
    executable_version,
    file_sha256,
    find_browser,
    launch_args,
    open_browser,
)
from .asyncrun import run_async
from .environment import (
    browser_check,
    clean_checks,
    clock_check,
    host_of,
    resolution_check,
    tool_check,
    tool_digest,
)
from .display import visible_with_ascii_hosts
from .errors import UsageError, first_line
from .scripts import script
from .manifest import EnvironmentCheck, utc_now

SETUP_FIX = "run the README set-up command, or: apt-get install chromium fonts-noto-cjk"

LAUNCH_TIMEOUT_MS = 30_000
PAGE_TIMEOUT_MS = 15_000
STEP_TIMEOUT_S = 20

# Common characters from the CJK Unified Ideographs block, simplified forms included,
# so a Japanese- or Korean-only font that lacks them is caught too.
CJK_SAMPLE = "中文证据订单聊天"
# Code points no font draws: whatever the browser paints for them is its "no glyph" box.
TOFU_SAMPLES = "\U0010fffd\ue000"

_FONT_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"></head>'
    f'<body><p id="cjk" style="font: 40px sans-serif">{CJK_SAMPLE}</p></body></html>'
)

# Paints each character alone on a canvas and returns its alpha channel; comparing
# bitmaps (not only widths) tells real glyphs from a fallback box of the same width.


class Check(EnvironmentCheck):
    """A doctor line: a check in the manifest's terms, plus how to fix it."""

    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.result != "problem"

    @property
    def warning(self) -> bool:
        """Passed, but worth a look (only clean-environment checks warn)."""
        return self.result == "warning"


def verdict(name: str, ok: bool, detail: str, fix: str = "") -> Check:
    return Check(name=name, result="ok" if ok else "problem", detail=detail, fix=fix)


# --- verdicts that need no browser --------------------------------------------------------


def judge_glyphs(chars: str, bitmaps: list[str], tofu_bitmaps: list[str]) -> tuple[bool, str]:
    """Were the CJK characters drawn as real, distinct glyphs? (ok, why)."""
    blank = base64.b64encode(bytes(64 * 64)).decode()
    missing = [c for c, b in zip(chars, bitmaps) if b == blank or b in tofu_bitmaps]
    if missing:
        shown = "".join(missing)
        return (
            False,
            f"{len(missing)} of {len(chars)} test characters ({shown}) drawn as empty boxes",
        )
    if len(set(bitmaps)) < len(bitmaps):
        return False, f"distinct characters {chars} drawn with identical shapes (a fallback glyph)"
    return True, f"{len(chars)} test characters ({chars}) drawn as distinct glyphs"


def fonts_from_fc_list(run=subprocess.run) -> Check:
    """Without a working browser, ask fontconfig whether any Chinese font is installed."""
    name = "CJK font"
    if not shutil.which("fc-list"):
        return verdict(name, False, "not checked: no working browser and no fc-list", SETUP_FIX)
    try:
        done = run(
            ["fc-list", ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return verdict(name, False, f"not checked: fc-list failed ({exc})", SETUP_FIX)
    families = sorted(
        {line.split(",")[0].strip() for line in done.stdout.splitlines() if line.strip()}
    )
    if families:
        return verdict(
            name, True, f"installed (fontconfig, browser not available): {', '.join(families[:3])}"
        )
    return verdict(name, False, "fontconfig lists no font with Chinese characters", SETUP_FIX)


def openssl_check(run=subprocess.run) -> Check:
    name = "openssl"
    fix = "apt-get install openssl (macOS: brew install openssl; Windows: Git for Windows ships it)"
    found = shutil.which("openssl")
    if not found:
        return verdict(name, False, "openssl not found on PATH (needed for trusted timestamps)", fix)
    try:
        done = run([found, "version"], capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return verdict(name, False, f"{found} did not run: {exc}", fix)
    version = (done.stdout or "").strip().splitlines()
    if done.returncode != 0 or not version:
        return verdict(name, False, f"`{found} version` failed", fix)
    return verdict(name, True, f"{version[0]} ({found})")


def output_dir_check(out_dir: Path) -> Check:
    name = "output directory"
    target = Path(out_dir).expanduser().absolute()
    # A bundle directory is created on capture; what matters is where it would be made.
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    fix = f"choose a writable place with -o DIR, or fix permissions of {existing}"
    if not existing.is_dir():
        return verdict(name, False, f"{existing} is not a directory", fix)
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".evidence-doctor-") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return verdict(name, False, f"cannot write in {existing}: {exc.strerror or exc}", fix)
    where = "writable" if existing == target else f"can be created (in {existing})"
    return verdict(name, True, f"{target} {where}")


def as_check(env: EnvironmentCheck) -> Check:
    """A clean-environment result in doctor's OK / WARNING / PROBLEM terms."""
    fixes = {
        "hosts file": "remove those lines from the hosts file, or capture on another machine",
        "proxy environment variables": "unset them before capturing unless the proxy is wanted",
        "system proxy": "turn the system proxy off before capturing unless it is wanted",
        "clock": "set this clock automatically (NTP); if it is right, the server's is off",
        "name resolution": "check DNS and proxy settings; a CDN can also explain this",
        "reachability": "check the URL, and that this machine can open it in a browser",
        "browser": "use a local browser, so these checks describe the machine loading the pages",
    }
    return Check(
        name=f"clean: {env.name}",
        result=env.result,
        # Details quote what servers sent (a Date header): shown escaped on a terminal.
        detail=visible_with_ascii_hosts(env.detail),
        fix=fixes.get(env.name, "") if env.result != "ok" else "",
    )


# --- browser checks -------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    return first_line(exc)[:300]


async def _cjk_check(page) -> Check:
    name = "CJK font"
    await page.set_content(_FONT_PAGE, timeout=PAGE_TIMEOUT_MS)
    samples = list(CJK_SAMPLE) + list(TOFU_SAMPLES)
    bitmaps = await asyncio.wait_for(page.evaluate(script("font_glyphs"), samples), STEP_TIMEOUT_S)
    ok, why = judge_glyphs(CJK_SAMPLE, bitmaps[: len(CJK_SAMPLE)], bitmaps[len(CJK_SAMPLE) :])
    font = await _rendering_font(page)
    if font:
        why += f"; font: {font}"
    return verdict(name, ok, why, "" if ok else SETUP_FIX)


async def _rendering_font(page) -> str | None:
    """Which installed font Chromium used for the sample (DevTools), best effort."""

    async def ask():
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("DOM.enable")
        await cdp.send("CSS.enable")
        root = await cdp.send("DOM.getDocument")
        node = await cdp.send(
            "DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": "#cjk"}
        )
        fonts = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
        await cdp.detach()
        return fonts

    try:
        fonts = await asyncio.wait_for(ask(), STEP_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - remote or non-Chromium browsers may refuse
        return None
    names = [f["familyName"] for f in fonts.get("fonts", []) if f.get("familyName")]
    return ", ".join(names) or None


async def _visit(page, url: str, number: int) -> list[EnvironmentCheck]:
    """What the browser itself saw of one target: address connected to, server clock."""
    host = host_of(url) or url
    about = f"target {number}"
    sent = utc_now()
    try:
        response = await page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
    except Exception as exc:  # noqa: BLE001 - any navigation failure is a finding
        return [
            EnvironmentCheck(
                name="reachability", result="warning", detail=f"{url}: {_first_line(exc)}"
            )
        ]
    if response is None:
        return [
            EnvironmentCheck(name="reachability", result="warning", detail=f"{url}: no response")
        ]
    # goto(commit) returns once the response is in: now bounds its arrival.
    arrived = utc_now()
    address = await response.server_addr()
    date = await response.header_value("date")
    # The same call as the capture session's, which asks the system resolver itself.
    ip = address["ipAddress"] if address else None
    resolved = await asyncio.to_thread(resolution_check, host, None, ip, about=about)
    return [resolved, clock_check(date, sent, host, arrived, about=about)]


async def _browser_session(settings: BrowserSettings, found, clean_urls: list[str], clean: bool):
    """Launch (or connect), then font and clean checks; returns (checks, env checks)."""
    from playwright.async_api import async_playwright

    remote = settings.endpoint or settings.cdp_endpoint
    env_checks: list[EnvironmentCheck] = []
    async with async_playwright() as playwright:
        try:
            if remote:
                browser, _, args = await open_browser(playwright, settings)
            else:
                args = launch_args()
                browser = await playwright.chromium.launch(
                    executable_path=str(found.executable),
                    headless=settings.headless,
                    args=args,
                    timeout=LAUNCH_TIMEOUT_MS,
                )
        except Exception as exc:  # noqa: BLE001 - reported, with a fix, not raised
            what = "connects" if remote else "launches headless"
            fix = "check the endpoint URL and that the server runs" if remote else SETUP_FIX
            return [verdict(f"browser {what}", False, _first_line(exc), fix)], env_checks
        try:
            launched = verdict(
                "browser connects" if remote else "browser launches headless",
                True,
                f"{'connected to' if remote else 'started'} {browser.version}",
            )
            context = await browser.new_context(locale="zh-CN")
            page = await context.new_page()
            try:
                fonts = await _cjk_check(page)
            except Exception as exc:  # noqa: BLE001
                fonts = verdict(
                    "CJK font",
                    False,
                    f"could not render a test page: {_first_line(exc)}",
                    SETUP_FIX,
                )
            for number, url in enumerate(clean_urls, 1):
                env_checks.extend(await _visit(page, url, number))
            if clean:
                sha = None if remote else await asyncio.to_thread(file_sha256, found.executable)
                env_checks.append(
                    browser_check(
                        None if remote else found.executable,
                        browser.version,
                        args,
                        sha,
                        remote_endpoint=remote,
                    )
                )
            await context.close()
        finally:
            await browser.close()
    return [launched, fonts], env_checks


def _local_browser_check(settings: BrowserSettings):
    """(check, found browser or None)."""
    try:
        found = find_browser(settings.executable)
    except UsageError as exc:
        if settings.executable:
            raise  # a mistyped --browser-executable is a usage error (exit 2) everywhere
        return verdict("browser", False, str(exc), SETUP_FIX), None
    version = executable_version(found.executable)
    if not version and sys.platform == "win32":
        # chrome.exe prints no version on Windows; the launch check below decides.
        return verdict("browser", True, f"{found.executable} ({found.source})"), found
    if not version:
        return verdict(
            "browser",
            False,
            f"{found.executable} ({found.source}) does not answer --version like a browser",
            f"point EVIDENCE_BROWSER / --browser-executable at Chromium, or {SETUP_FIX}",
        ), None
    return verdict("browser", True, f"{found.executable} ({found.source}): {version}"), found


def _validate_urls(urls: list[str]) -> None:
    for url in urls:
        if not url.lower().startswith(("http://", "https://")) or not host_of(url):
            raise UsageError(f"--clean-check needs http(s) URLs, got {url!r}")


def run_doctor(
    settings: BrowserSettings,
    out_dir: Path,
    clean_urls: list[str] | None = None,
    hosts_path: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[Check]:
    """Every check, in the order a person fixes them; clean-environment ones last.

    clean_urls None: no clean-environment checks; a list (even empty): run them for
    those targets, as `capture` would before the first one. hosts_path and environ:
    the hosts file and the environment variables the clean checks read (default:
    this machine's).
    """
    clean = clean_urls is not None
    clean_urls = list(clean_urls or [])
    _validate_urls(clean_urls)
    checks: list[Check] = []
    env_checks: list[EnvironmentCheck] = []
    remote = settings.endpoint or settings.cdp_endpoint
    found = None
    if not remote:
        browser, found = _local_browser_check(settings)
        checks.append(browser)
    if remote or found:
        browser_checks, env_checks = run_async(
            lambda: _browser_session(settings, found, clean_urls, clean)
        )
        checks.extend(browser_checks)
    if not any(c.name == "CJK font" for c in checks):
        checks.append(fonts_from_fc_list())
    checks.append(openssl_check())
    checks.append(output_dir_check(out_dir))
    if clean:
        env = clean_checks(clean_urls, hosts_path=hosts_path, environ=environ) + env_checks
        if not any(c.name == "browser" for c in env):
            env.append(
                EnvironmentCheck(
                    name="browser",
                    result="warning",
                    detail="no working browser: connection and clock not checked",
                )
            )
        env.append(tool_check(__version__, tool_digest()))
        checks.extend(as_check(c) for c in env)
    return checks
