"""The browser of one run: launch (or connect), a recording context, one relaunch after
a crash, and the HAR/trace files each context leaves when it closes."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError, first_line
from .messages import t
from .options import RunOptions

CLOSE_TIMEOUT = 30.0
# What of a Playwright device descriptor goes to the context (not default_browser_type:
# the browser is Chromium whatever the phone's own browser is).
DEVICE_KEYS = ("viewport", "screen", "device_scale_factor", "is_mobile", "has_touch")


def device_descriptor(devices: dict, name: str | None) -> dict | None:
    """Playwright's descriptor of device `name`; UsageError naming close matches."""
    if name is None:
        return None
    folded = {known.casefold(): known for known in devices}
    known = name if name in devices else folded.get(name.casefold())
    if known:
        return {**devices[known], "name": known}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=4, cutoff=0.5)
    names = t("device.or").join(repr(folded[c]) for c in close)
    hint = t("device.did_you_mean", names=names) if close else ""
    raise UsageError(t("device.unknown", name=name, hint=hint))


def _hash_binary(executable: Path) -> tuple[Path, asyncio.Task]:
    """The binary the launched browser runs (Debian's /usr/bin/chromium is a script that
    starts another) and a task hashing it off the event loop."""
    from .browser import file_sha256, real_executable

    real = real_executable(executable)
    return real, asyncio.create_task(asyncio.to_thread(file_sha256, real))


class BrowserPool:
    def __init__(self, playwright, options: RunOptions, tmp: Path, say: Callable[[str], None]):
        self.playwright = playwright
        self.options = options
        self.tmp = tmp  # HAR and trace files are written here, outside the bundle
        self.say = say
        self.browser = None
        self.found = None  # browser.FoundBrowser of a local launch
        self.launch_args: list[str] = []
        self.context = None
        self.contexts: list = []  # every context opened, for HAR/trace at the end
        self.generation = 0
        self.gone: str | None = None  # why no browser can be had any more
        self._lock = asyncio.Lock()
        self.device: dict | None = None  # Playwright's descriptor of --device, when given
        self.browser_user_agent: str | None = None  # what the browser calls itself
        self.page_user_agent: str | None = None  # what pages are told (and the manifest records)
        # (binary, task hashing it): started at the launch, so that it runs while the
        # context opens instead of before the first capture (a 300 MB file).
        self.hashing: tuple[Path, asyncio.Task] | None = None

    @property
    def remote(self) -> bool:
        return bool(self.options.browser.endpoint or self.options.browser.cdp_endpoint)

    async def launch(self) -> None:
        from .browser import open_browser

        self.browser, self.found, self.launch_args = await open_browser(self.playwright, self.options.browser)
        if self.found and self.hashing is None:
            self.hashing = _hash_binary(self.found.executable)
        self.device = self.device or device_descriptor(self.playwright.devices, self.options.device)
        self.browser_user_agent = await self.user_agent()
        self.page_user_agent = self._page_user_agent()
        self.context = await self._new_context()
        self.generation += 1

    async def _new_context(self):
        number = len(self.contexts) + 1
        settings = self.options.browser
        context = await self.browser.new_context(
            **self.emulation(),
            user_agent=self.page_user_agent,
            locale=settings.locale,
            timezone_id=settings.timezone,
            storage_state=str(self.options.storage_state) if self.options.storage_state else None,
            record_har_path=str(self.tmp / f"har-{number}.har"),
            record_har_content="embed",
            ignore_https_errors=False,
        )
        if self.options.trace:
            # Actions, DOM snapshots and network replay the process; screencast frames
            # only on request (--trace-screenshots), as the manifest records.
            await context.tracing.start(screenshots=self.options.trace_screenshots, snapshots=True,
                                        sources=False)
        self.contexts.append(context)
        return context

    def emulation(self) -> dict:
        """The viewport, screen and device every context is opened with (Playwright's
        new_context keywords): the chat's camera repeats them (chat_camera.py)."""
        if self.device:
            return {key: value for key, value in self.device.items() if key in DEVICE_KEYS}
        settings = self.options.browser
        return {"viewport": {"width": settings.viewport_width, "height": settings.viewport_height}}

    def _page_user_agent(self) -> str | None:
        if self.device:
            return self.device.get("user_agent")
        if self.options.headless_user_agent or not self.browser_user_agent:
            return None
        # Shops that refuse bots look for this word; the rest of the string stays the
        # browser's own, so the version and platform pages see are true.
        return self.browser_user_agent.replace("HeadlessChrome", "Chrome")

    def lost(self) -> bool:
        return self.browser is not None and not self.browser.is_connected()

    async def relaunch(self, seen_generation: int) -> None:
        """Start (or reconnect to) a browser once; if that fails too, give up on it."""
        async with self._lock:
            if self.generation != seen_generation or self.gone:
                return  # another capture already relaunched, or gave up
            self.say(t("pool.relaunch", action=t("pool.reconnect" if self.remote else "pool.restart")))
            try:
                await self.browser.close()
            except Exception:
                pass
            try:
                await self.launch()
            except Exception as exc:
                self.gone = first_line(exc)
                self.say(t("pool.gone", error=self.gone))

    async def user_agent(self) -> str:
        # The browser-level DevTools session answers without opening a page.
        try:
            cdp = await self.browser.new_browser_cdp_session()
            try:
                return (await cdp.send("Browser.getVersion"))["userAgent"]
            finally:
                await cdp.detach()
        except Exception:
            # A throwaway context: the recording one is made with what this answers.
            context = await self.browser.new_context()
            try:
                page = await context.new_page()
                return await page.evaluate("navigator.userAgent")
            finally:
                await context.close()

    async def close_contexts(self, notes: list[str]) -> tuple[list[Path], list[Path]]:
        """Close every context (flushing its HAR and trace); (HAR files, trace files)."""
        traces = []
        for number, context in enumerate(self.contexts, 1):
            try:
                if self.options.trace:
                    path = self.tmp / f"trace-{number}.zip"
                    await asyncio.wait_for(context.tracing.stop(path=str(path)), CLOSE_TIMEOUT)
                    traces.append(path)
            except BaseException:
                notes.append(f"trace of browser session {number} could not be saved")
            try:
                await asyncio.wait_for(context.close(), CLOSE_TIMEOUT)
            except BaseException:
                pass
        return sorted(self.tmp.glob("har-*.har")), traces

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.browser.close(), 10)
        except BaseException:
            pass
