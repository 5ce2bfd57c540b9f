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
# Seconds a driver still starting is waited for, to be stopped in order, when the run
# ends before using it (a refused command line): bounded, as that run only says one line.
STOP_WAIT = 5.0


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
    Made where no loop runs in this thread. The session stops the driver when it ends
    (`stop()`); `close()`, always called by whoever made it, stops it if the session did
    not (a refused run, a Ctrl-C before the session began) and then closes the loop."""

    def __init__(self) -> None:
        from playwright.async_api import async_playwright

        self.runner = asyncio.Runner()
        self.task: asyncio.Task = self.runner.get_loop().create_task(async_playwright().start())
        self.taken = self.stopped = self.closed = False
        try:
            self.runner.run(_turns(SPAWN_TURNS))
        except BaseException:  # a Ctrl-C this early: no one else holds it to close
            self.close()
            raise

    def take(self) -> asyncio.Runner:
        """The runner to run the session in, once; its `playwright()` awaits the driver."""
        if self.taken or self.closed:
            raise RuntimeError("this early driver was handed over already")
        self.taken = True
        return self.runner

    async def playwright(self):
        # Shielded: a Ctrl-C while it still starts must not cut the start half-way
        # (close() then stops it in order).
        return await asyncio.shield(self.task)

    async def stop(self) -> None:
        """Stop the driver as Playwright stops it, once it has started (boundedly)."""
        if self.stopped:
            return
        self.stopped = True
        # A start cancelled half-way leaves its Node process running for as long as
        # this process lives: let it finish first.
        try:
            playwright = await asyncio.wait_for(asyncio.shield(self.task), STOP_WAIT)
        except BaseException:  # it never started, or hangs: nothing to stop in order
            self.task.cancel()
            return
        await playwright.stop()

    def close(self) -> None:
        """Stop the driver if nobody did, then close the loop; safe to call again."""
        if self.closed:
            return
        self.closed = True
        try:
            if not self.stopped:
                self.runner.run(self.stop())
        except BaseException:  # a second Ctrl-C: the process ends, and its driver with it
            pass
        finally:
            self.runner.close()
