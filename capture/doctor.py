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
from .devtools import devtools_session
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
from .messages import MESSAGES, t


def setup_fix() -> str:
    # A function, not a constant: the language is the reader's when the line is printed.
    return t("doctor.setup_fix")


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
        return False, t("doctor.glyphs_missing", missing=len(missing), total=len(chars), shown=shown)
    if len(set(bitmaps)) < len(bitmaps):
        return False, t("doctor.glyphs_same", chars=chars)
    return True, t("doctor.glyphs_ok", count=len(chars), chars=chars)


def fonts_from_fc_list(run=subprocess.run) -> Check:
    """Without a working browser, ask fontconfig whether any Chinese font is installed."""
    name = "CJK font"
    if not shutil.which("fc-list"):
        return verdict(name, False, t("doctor.no_fc_list"), setup_fix())
    try:
        done = run(
            ["fc-list", ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return verdict(name, False, t("doctor.fc_list_failed", error=exc), setup_fix())
    families = sorted(
        {line.split(",")[0].strip() for line in done.stdout.splitlines() if line.strip()}
    )
    if families:
        return verdict(name, True, t("doctor.fonts_installed", families=", ".join(families[:3])))
    return verdict(name, False, t("doctor.no_cjk_font"), setup_fix())


def openssl_check(run=subprocess.run) -> Check:
    name = "openssl"
    fix = t("doctor.openssl_fix")
    found = shutil.which("openssl")
    if not found:
        return verdict(name, False, t("doctor.openssl_missing"), fix)
    try:
        done = run([found, "version"], capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return verdict(name, False, t("doctor.did_not_run", path=found, error=exc), fix)
    version = (done.stdout or "").strip().splitlines()
    if done.returncode != 0 or not version:
        return verdict(name, False, t("doctor.version_failed", path=found), fix)
    return verdict(name, True, f"{version[0]} ({found})")


def output_dir_check(out_dir: Path) -> Check:
    name = "output directory"
    target = Path(out_dir).expanduser().absolute()
    # A bundle directory is created on capture; what matters is where it would be made.
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    fix = t("doctor.output_fix", path=existing)
    if not existing.is_dir():
        return verdict(name, False, t("path.not_a_dir", path=existing), fix)
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".evidence-doctor-") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return verdict(name, False, t("path.cannot_write", path=existing, reason=exc.strerror or exc), fix)
    if existing == target:
        return verdict(name, True, t("doctor.writable", path=target))
    return verdict(name, True, t("doctor.creatable", path=target, parent=existing))


def as_check(env: EnvironmentCheck) -> Check:
    """A clean-environment result in doctor's OK / WARNING / PROBLEM terms."""
    # The details are the manifest's words (environment.py), kept as recorded; the
    # advice is doctor's own, so it is in the reader's language.
    fix_id = f"doctor.fix.{env.name}"
    return Check(
        name=f"clean: {env.name}",
        result=env.result,
        # Details quote what servers sent (a Date header): shown escaped on a terminal.
        detail=visible_with_ascii_hosts(env.detail),
        fix=t(fix_id) if env.result != "ok" and fix_id in MESSAGES else "",
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
        why += t("doctor.font_used", font=font)
    return verdict(name, ok, why, "" if ok else setup_fix())


async def _rendering_font(page) -> str | None:
    """Which installed font Chromium used for the sample (DevTools), best effort."""

    async def ask():
        async with devtools_session(page) as cdp:
            await cdp.send("DOM.enable")
            await cdp.send("CSS.enable")
            root = await cdp.send("DOM.getDocument")
            node = await cdp.send(
                "DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": "#cjk"}
            )
            return await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})

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
            EnvironmentCheck(name="reachability", result="warning", detail=t("doctor.no_response", url=url))
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
            fix = t("doctor.endpoint_fix") if remote else setup_fix()
            return [verdict(f"browser {what}", False, _first_line(exc), fix)], env_checks
        try:
            launched = verdict(
                "browser connects" if remote else "browser launches headless",
                True,
                t("doctor.connected" if remote else "doctor.started", version=browser.version),
            )
            context = await browser.new_context(locale="zh-CN")
            page = await context.new_page()
            try:
                fonts = await _cjk_check(page)
            except Exception as exc:  # noqa: BLE001
                fonts = verdict(
                    "CJK font",
                    False,
                    t("doctor.no_test_page", error=_first_line(exc)),
                    setup_fix(),
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
        return verdict("browser", False, str(exc), setup_fix()), None
    version = executable_version(found.executable)
    if not version and sys.platform == "win32":
        # chrome.exe prints no version on Windows; the launch check below decides.
        return verdict("browser", True, f"{found.executable} ({found.source})"), found
    if not version:
        return verdict(
            "browser",
            False,
            t("doctor.not_a_browser", path=found.executable, source=found.source),
            t("doctor.point_at_chromium", setup=setup_fix()),
        ), None
    return verdict("browser", True, f"{found.executable} ({found.source}): {version}"), found


def _validate_urls(urls: list[str]) -> None:
    for url in urls:
        if not url.lower().startswith(("http://", "https://")) or not host_of(url):
            raise UsageError(t("doctor.clean_urls", url=url))


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
                    detail=t("doctor.no_browser"),
                )
            )
        env.append(tool_check(__version__, tool_digest()))
        checks.extend(as_check(c) for c in env)
    return checks
