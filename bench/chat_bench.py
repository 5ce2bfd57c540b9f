"""Whole-chat throughput: seconds per 100 messages captured, beyond the site's delays.

Captures tests/sites/chat/lazy.html (the latest 30 messages shown, older ones fetched
30 at a time from a local history endpoint that waits DELAY_MS per page) with
capture.chat.capture_chat, `rounds` times in one browser, and subtracts the
endpoint's own waiting (DELAY_MS x pages served) from each round's time.

    .venv/bin/python bench/chat_bench.py [MESSAGES] [ROUNDS]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from capture.browser import find_browser, launch_args
from tests.chat_site import chat_site, new_recorder

DELAY_MS = 100  # what lazy.html asks the history endpoint to wait per page
# The page's context keywords, told to capture_chat as `evidence capture` tells it
# (BrowserPool.emulation): without them its camera leaves every picture to Playwright.
EMULATION = {"viewport": {"width": 1280, "height": 900}}


async def _rounds(site: str, served: dict, messages: int, rounds: int, workdir: Path) -> list:
    from playwright.async_api import async_playwright

    from capture.chat import capture_chat

    results = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(find_browser().executable), args=launch_args()
        )
        try:
            for number in range(rounds):
                page = await browser.new_page(**EMULATION)
                url = f"{site}/lazy.html?n={messages}&delay={DELAY_MS}"
                await page.goto(url)
                rec = new_recorder(workdir / f"round-{number}", url)
                loads_before = served["history"]
                loop = asyncio.get_running_loop()
                start = loop.time()
                await capture_chat(
                    page, rec, selector=None, max_scrolls=100_000, deadline=start + 600,
                    emulation=EMULATION,
                )
                took = loop.time() - start
                loads = served["history"] - loads_before
                await page.close()
                if rec.capture.chat_messages != messages or rec.capture.warnings:
                    raise RuntimeError(
                        f"round {number}: {rec.capture.chat_messages} of {messages} messages, "
                        f"warnings {rec.capture.warnings}"
                    )
                own = took - loads * DELAY_MS / 1000
                results.append({"seconds": took, "loads": loads, "own_seconds": own})
        finally:
            await browser.close()
    return results


def bench_chat(messages: int = 400, rounds: int = 5) -> dict:
    """Median seconds per 100 messages for capture_chat, site delays subtracted."""
    with tempfile.TemporaryDirectory() as tmp, chat_site() as (site, served):
        results = asyncio.run(_rounds(site, served, messages, rounds, Path(tmp)))
    per_100 = [r["own_seconds"] / messages * 100 for r in results]
    return {
        "messages": messages,
        "rounds": rounds,
        "site_delay_per_load_s": DELAY_MS / 1000,
        "loads_per_round": results[0]["loads"],
        "total_seconds_median": round(statistics.median(r["seconds"] for r in results), 3),
        "seconds_per_100_messages": round(statistics.median(per_100), 3),
        "seconds_per_100_messages_each": [round(v, 3) for v in per_100],
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(bench_chat(*args), indent=2))
