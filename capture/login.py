"""Login profiles: a human logs in once in a visible browser; the session (cookies,
local storage, IndexedDB) is kept privately (0600 file in a 0700 directory) and
never copied into a bundle."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import UsageError
from .messages import t

APP = "evidence-capture"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# (page, context) -> the storage state to save, once the person (or a script) is logged in.
Interact = Callable[[object, object], Awaitable[dict]]


def profiles_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP / "profiles"


def profile_path(name: str, directory: Path | None = None) -> Path:
    if not NAME_RE.match(name or ""):
        raise UsageError(t("login.bad_name", name=name))
    return (directory or profiles_dir()) / f"{name}.json"


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file: 0700 directory, 0600 file, never world-readable even briefly."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    os.chmod(path, 0o600)


async def storage_state(context) -> dict:
    try:
        return await context.storage_state(indexed_db=True)
    except TypeError:  # Playwright before 1.51 has no IndexedDB in storage state
        return await context.storage_state()


@dataclass
class ProfileInfo:
    name: str
    path: Path
    saved_at: datetime
    sites: list[str]


def list_profiles() -> list[ProfileInfo]:
    found = []
    directory = profiles_dir()
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            sites = sorted(
                {c.get("domain", "").lstrip(".") for c in data.get("cookies", []) if isinstance(c, dict)}
                | {o.get("origin", "") for o in data.get("origins", []) if isinstance(o, dict)}
            )
        except (OSError, ValueError, AttributeError):
            sites = ["(unreadable)"]
        saved = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        found.append(ProfileInfo(path.stem, path, saved, [s for s in sites if s]))
    return found


def delete_profile(name: str) -> Path:
    path = profile_path(name)
    if not path.is_file():
        raise UsageError(t("login.no_profile", name=name))
    path.unlink()
    return path


async def _wait_for_user(page, context) -> dict:
    """Enter in the terminal, or the window closed: whichever comes first."""
    last = await storage_state(context)
    closed = asyncio.Event()
    page.on("close", lambda _page: closed.set())
    context.on("close", lambda _ctx: closed.set())
    enter = asyncio.ensure_future(asyncio.to_thread(sys.stdin.readline))
    try:
        while not closed.is_set():
            if enter.done():
                return await storage_state(context)
            try:
                last = await storage_state(context)
            except Exception:
                break  # the window went away between two polls
            await asyncio.sleep(0.5)
    finally:
        if not enter.done():
            enter.cancel()
    return last


async def _login(url: str, settings, interact: Interact) -> dict:
    from playwright.async_api import async_playwright

    from .browser import open_browser

    async with async_playwright() as playwright:
        browser, _found, _args = await open_browser(playwright, settings)
        try:
            context = await browser.new_context(locale=settings.locale)
            page = await context.new_page()
            await page.goto(url, timeout=60_000)
            return await interact(page, context)
        finally:
            try:
                await browser.close()
            except Exception:
                pass


def login(
    url: str,
    name: str,
    settings,
    interact: Interact | None = None,
    *,
    directory: Path | None = None,
) -> Path:
    """Open a browser at URL, let a human log in, save the session as profile NAME.

    `interact(page, context)` does the logging in and returns the storage state to keep;
    the default waits for a person (Enter in the terminal, or the window closed).
    `directory`: where profiles are kept (default: profiles_dir()).
    """
    from .plan import check_url

    try:
        check_url(url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    path = profile_path(name, directory)
    from .asyncrun import run_async

    state = run_async(lambda: _login(url, settings, interact or _wait_for_user))
    write_private(path, json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))
    return path
