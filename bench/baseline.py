"""The baseline for bench/run.py: the least a script can do to "capture" pages.

One Chromium (the one evidence-capture would use, with the same flags), one context with
a 1280x900 viewport; for each URL in turn: go to it, take a full-page screenshot, hash
it. Nothing else: no DOM, no MHTML, no HAR, no trace, no report, no chat scrolling.

    python bench/baseline.py URL ...    prints one JSON object: {url: sha256 of the PNG}
    python bench/baseline.py --started-only   prints {"peak_mib": ...} once it has started
                                              the driver and the browser and opened its
                                              page: the memory it holds before any URL

Run as its own process so that its start-up and browser launch count the same way as
`evidence capture` and `shot-scraper multi`, which are run the same way.
"""

from __future__ import annotations

import hashlib
import json
import sys

from playwright.sync_api import sync_playwright

from capture.browser import find_browser, launch_args


def main(urls: list[str], started_only: bool = False) -> None:
    executable = str(find_browser().executable)
    hashes = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=launch_args())
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            if started_only:  # the point evidence's phase log calls the end of start-up
                from capture.phases import peak_mib

                print(json.dumps({"peak_mib": peak_mib()}))
                return
            for url in urls:
                page.goto(url)
                hashes[url] = hashlib.sha256(page.screenshot(full_page=True)).hexdigest()
        finally:
            browser.close()
    print(json.dumps(hashes))


if __name__ == "__main__":
    if sys.argv[1:] == ["--started-only"]:
        main([], started_only=True)
    else:
        main(sys.argv[1:])
