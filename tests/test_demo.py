"""`evidence demo`: the main job, end to end, as a user runs it."""

from __future__ import annotations

import subprocess
import sys

from capture.demo.server import EXPANDED_MARKER, ORDER_ID, chat_messages
from capture.manifest import Manifest
from capture.verify import verify


def test_demo_captures_order_product_and_whole_chat_into_a_verified_bundle(demo_run):
    out, done = demo_run
    assert verify(out).verdict == "INTACT"
    assert "Verified: INTACT" in done.stdout and "report.pdf" in done.stdout
    manifest = Manifest.model_validate_json((out / "manifest.json").read_bytes())
    assert manifest.status == "complete" and manifest.login is not None
    assert [c.kind for c in manifest.captures] == ["order", "product", "chat"]
    assert all(c.error is None for c in manifest.captures)
    fingerprint = verify(out).fingerprint
    assert fingerprint in done.stdout

    order_text = (out / "captures/01-order/text.txt").read_text("utf-8")
    assert ORDER_ID in order_text and "卡密未发货" in order_text and "登录" not in manifest.captures[0].title
    assert EXPANDED_MARKER in (out / "captures/02-product/text.txt").read_text("utf-8")

    transcript = (out / "captures/03-chat/transcript.txt").read_text("utf-8")
    messages = chat_messages()
    positions = [transcript.find(m["text"]) for m in messages]
    assert all(p >= 0 for p in positions), [m["id"] for m, p in zip(messages, positions) if p < 0]
    assert manifest.captures[2].chat_messages == len(messages)
    # In order: each message's text appears after the previous one's.
    cursor = 0
    for message in messages:
        found = transcript.find(message["text"], cursor)
        assert found >= 0, message["id"]
        cursor = found + len(message["text"])
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")


def test_serve_only_runs_the_shop_on_loopback_until_its_ttl(tmp_path):
    import re
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-m", "capture", "demo", "--serve-only", "--ttl", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        with urllib.request.urlopen(url + "/login", timeout=10) as response:
            assert response.status == 200 and "demo123" in response.read().decode("utf-8")
        assert proc.wait(timeout=30) == 0
        assert "stopped" in proc.stdout.read()
    finally:
        proc.kill()
