"""Run the tool's async work from plain code, whether or not a loop already runs here.

The library is called from the CLI (no loop), from tests that use Playwright's sync API
and from notebooks (a loop already running in this thread): asyncio cannot nest a loop,
so then the work gets a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_async(work: Callable[[], Awaitable[T]]) -> T:
    """`work()`'s result; `work` makes the coroutine, so it is created in the loop that runs it."""
    if not loop_running():
        return asyncio.run(work())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence-async") as pool:
        return pool.submit(lambda: asyncio.run(work())).result()
