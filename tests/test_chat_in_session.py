"""A chat captured in one session with other targets: their tabs come up in front of
the chat's while its history loads (capture/tabs.py), and the history is still whole."""

from __future__ import annotations

import json
import subprocess
import sys

from .chat_site import chat_site


def test_chat_behind_other_targets_tabs_loads_its_whole_history(tmp_path):
    # The pages are opened after the chat and run beside it (--jobs 2), so for most of
    # its history a later tab is in front. Headless Chromium draws a tab behind at about
    # a frame a second: before the chat brought its tab forward, its history sometimes
    # "reached the start" with 240 of 400 messages.
    with chat_site() as (site, _):
        base = site.rsplit("/chat", 1)[0]
        done = subprocess.run(
            [sys.executable, "-m", "capture", "capture", "--chat", f"{site}/lazy.html?n=400&delay=100",
             "--page", f"{base}/hello.html", "--page", f"{base}/long.html", "--page", f"{base}/chat/two-scroll.html",
             "--jobs", "2", "--no-report", "-q", "-o", tmp_path / "bundle"],
            capture_output=True, text=True, timeout=300,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text(encoding="utf-8"))
    [chat] = [c for c in manifest["captures"] if c["kind"] == "chat"]
    assert chat["chat_messages"] == 400, chat["warnings"]
    assert chat["warnings"] == []
    [end] = [a for a in chat["actions"] if a["type"] == "chat_history_end"]
    assert end["outcome"] == "ok" and end["detail"].startswith("reached the start")
    assert all(not c.get("error") for c in manifest["captures"])
    # Beside a chat no page loads ahead of its turn (session.py): another tab loading
    # slowed the history more than the load ahead saved.
    assert not [a for c in manifest["captures"] for a in c["actions"]
                if "for other targets' pictures" in a["detail"]]
