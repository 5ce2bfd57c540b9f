"""The manifest's `environment`: what ran the capture, and the clean-environment checks
made before the first target (the per-target ones follow each capture)."""

from __future__ import annotations

import platform
from pathlib import Path

from . import __version__, environment
from .browser import os_description, public_endpoint
from .browserpool import BrowserPool
from .manifest import BrowserInfo, Device, Environment, EnvironmentCheck, Viewport


async def describe_environment(pool: BrowserPool, tool_digest: str | None) -> Environment:
    """The environment as known at the start; the browser binary's hash is in it only if
    its hashing is done already (else record_browser_hash() adds it)."""
    from importlib.metadata import version as dist_version

    real, digest = pool.hashing or (None, None)
    settings = pool.options.browser
    endpoint = settings.endpoint or settings.cdp_endpoint
    browser = BrowserInfo(
        name="chromium",
        version=pool.browser.version,
        user_agent=pool.page_user_agent or pool.browser_user_agent or await pool.user_agent(),
        browser_user_agent=pool.browser_user_agent if pool.page_user_agent else None,
        headless=settings.headless,
        executable=str(pool.found.executable) if pool.found else None,
        executable_sha256=None if browser_hash_pending(pool) or not digest else digest.result(),
        launch_args=pool.launch_args,
        remote_endpoint=public_endpoint(endpoint) if endpoint else None,
    )
    return Environment(
        os=os_description(),
        python=platform.python_version(),
        playwright=dist_version("playwright"),
        browser=browser,
        viewport=_viewport(pool),
        device=_device(pool),
        locale=settings.locale,
        timezone=settings.timezone,
        checks=_clean_checks(pool, browser, real, tool_digest),
    )


def browser_hash_pending(pool: BrowserPool) -> bool:
    """The browser binary's hash is not known (yet): still being taken, or given up on."""
    return pool.hashing is not None and (not pool.hashing[1].done() or pool.hashing[1].cancelled())


async def record_browser_hash(env: Environment, pool: BrowserPool) -> None:
    """The launched binary's hash, and the browser check that quotes it, once its hashing
    is done. It runs while the first targets load rather than before them: a 300 MB
    file is about 0.2 s of a core the start-up would otherwise wait for."""
    real, digest = pool.hashing
    env.browser.executable_sha256 = await digest
    env.checks = [_browser_check(pool, env.browser, real) if check.name == "browser" else check
                  for check in env.checks]


def _viewport(pool: BrowserPool) -> Viewport:
    if pool.device:
        return Viewport(**pool.device["viewport"])
    return Viewport(width=pool.options.browser.viewport_width, height=pool.options.browser.viewport_height)


def _device(pool: BrowserPool) -> Device | None:
    if not pool.device:
        return None
    screen = pool.device.get("screen")
    return Device(
        name=pool.device["name"],
        device_scale_factor=pool.device.get("device_scale_factor", 1),
        is_mobile=bool(pool.device.get("is_mobile")),
        has_touch=bool(pool.device.get("has_touch")),
        screen=Viewport(**screen) if screen else None,
    )


def _clean_checks(pool: BrowserPool, browser: BrowserInfo, real: Path | None,
                  tool_digest: str | None) -> list[EnvironmentCheck]:
    urls = [t.url for t in pool.options.targets]
    checks = environment.clean_checks(urls, hosts_path=pool.options.hosts_path)
    if tool_digest:
        checks.append(environment.tool_check(__version__, tool_digest))
    checks.append(_browser_check(pool, browser, real))
    return checks


def _browser_check(pool: BrowserPool, browser: BrowserInfo, real: Path | None) -> EnvironmentCheck:
    shown = browser.executable
    if pool.found and real and real != pool.found.executable:
        shown = f"{browser.executable} (launcher of {real}, whose hash this is)"
    return environment.browser_check(
        shown, browser.version, browser.launch_args, browser.executable_sha256, browser.remote_endpoint,
        hashing=browser_hash_pending(pool),
    )


def target_checks(capture) -> list[EnvironmentCheck]:
    """The per-target checks, each naming its capture; the same functions `doctor` uses.
    Blocking (a system DNS lookup, bounded): call it off the event loop."""
    response = capture.response
    if response is None:
        return []
    host = environment.host_of(capture.final_url or capture.requested_url) or "(no host)"
    about = f"capture {capture.index} ({capture.kind})"
    checks = []
    if response.server_ip:
        # No addresses given: the check asks the system resolver, as doctor's does.
        checks.append(environment.resolution_check(host, None, response.server_ip, about=about))
    if response.server_date:
        checks.append(environment.capture_clock_check(capture, host, about=about))
    return checks
