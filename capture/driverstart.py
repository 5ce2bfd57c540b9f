"""Playwright's driver, started before `evidence capture` imports the rest of the tool.

The driver is a Node process that takes about 0.35 s to be ready, and the capture's own
imports (pydantic and the manifest's models above all) took about 0.2 s before it was
even started. Started first, it boots on another core while Python imports: the loop
is turned just long enough for the process to be spawned, and its greeting waits in the
pipe until the session runs the same loop and awaits it.

Whoever starts one ends it: `close()` stops the driver unless the session took it over
(`take()`), and is safe to call either way.
"""

from __future__ import annotations

import asyncio

SPAWN_TURNS = 20  # turns of the loop: the process is spawned by the second or third
START_LIMIT = 30.0  # seconds a driver nobody took may take to start before it is stopped


async def _turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


def start_early() -> EarlyDriver | None:
    """The driver, being started; None under a running loop (Playwright's sync API, a
    notebook), where the session runs in a thread of its own and starts its driver there."""
    from .asyncrun import loop_running

    return None if loop_running() else EarlyDriver()


class EarlyDriver:
    """The driver being started in `runner`'s loop (which the session then runs in).
    Made where no loop runs in this thread."""

    def __init__(self) -> None:
        from playwright.async_api import async_playwright

        self.runner = asyncio.Runner()
        self.task: asyncio.Task = self.runner.get_loop().create_task(async_playwright().start())
        self.taken = False
        self.closed = False
        self.runner.run(_turns(SPAWN_TURNS))

    def take(self) -> asyncio.Runner:
        """The runner to run the session in; its `playwright()` awaits the driver."""
        self.taken = True
        return self.runner

    async def playwright(self):
        return await self.task

    def close(self) -> None:
        """End what was not handed over: the driver, then the loop."""
        if self.closed:
            return
        self.closed = True
        try:
            if not self.taken:
                self.runner.run(self._stop())
        finally:
            self.runner.close()

    async def _stop(self) -> None:
        # Let it finish starting, then stop it as Playwright stops it: a start cancelled
        # half-way leaves its Node process running for as long as this process lives.
        try:
            playwright = await asyncio.wait_for(asyncio.shield(self.task), START_LIMIT)
        except BaseException:  # it never started, or hung: nothing to stop in order
            self.task.cancel()
            return
        await playwright.stop()
