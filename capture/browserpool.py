"""The browser of one run: launch (or connect), a recording context, one relaunch after
a crash, and the HAR/trace files each context leaves when it closes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from .errors import first_line
from .options import RunOptions

CLOSE_TIMEOUT = 30.0


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

    @property
    def remote(self) -> bool:
        return bool(self.options.browser.endpoint or self.options.browser.cdp_endpoint)

    async def launch(self) -> None:
        from .browser import open_browser

        self.browser, self.found, self.launch_args = await open_browser(self.playwright, self.options.browser)
        self.context = await self._new_context()
        self.generation += 1

    async def _new_context(self):
        number = len(self.contexts) + 1
        settings = self.options.browser
        context = await self.browser.new_context(
            viewport={"width": settings.viewport_width, "height": settings.viewport_height},
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

    def lost(self) -> bool:
        return self.browser is not None and not self.browser.is_connected()

    async def relaunch(self, seen_generation: int) -> None:
        """Start (or reconnect to) a browser once; if that fails too, give up on it."""
        async with self._lock:
            if self.generation != seen_generation or self.gone:
                return  # another capture already relaunched, or gave up
            self.say("  the browser stopped; " + ("reconnecting once" if self.remote else "starting a new one")
                     + " and going on")
            try:
                await self.browser.close()
            except Exception:
                pass
            try:
                await self.launch()
            except Exception as exc:
                self.gone = first_line(exc)
                self.say(f"  no browser any more: {self.gone}")

    async def user_agent(self) -> str:
        # The browser-level DevTools session answers without opening a page.
        try:
            cdp = await self.browser.new_browser_cdp_session()
            try:
                return (await cdp.send("Browser.getVersion"))["userAgent"]
            finally:
                await cdp.detach()
        except Exception:
            page = await self.context.new_page()
            try:
                return await page.evaluate("navigator.userAgent")
            finally:
                await page.close()

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
