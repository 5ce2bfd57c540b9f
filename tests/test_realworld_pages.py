"""Pages as real shops build them (issue 21): phone-only H5 pages, shops that refuse
headless browsers, single-page apps that render after the load event."""

from __future__ import annotations

import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from capture.manifest import Manifest
from capture.png import decode_rows
from capture.scripts import script
from capture.verify import verify

from .servers import SITES, QuietHandler, serve

EVIDENCE = [sys.executable, "-m", "capture"]
REALWORLD = SITES / "realworld"


def evidence(*args, timeout=240) -> subprocess.CompletedProcess:
    return subprocess.run([*EVIDENCE, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def manifest_of(out: Path) -> Manifest:
    return Manifest.model_validate_json((out / "manifest.json").read_bytes())


def text_of(out: Path, capture) -> str:
    path = next(a.path for a in capture.artifacts if a.role == "text")
    return (out / path).read_text(encoding="utf-8")


class BotRefusingHandler(QuietHandler):
    """Answers 403 "机器人访问" to a browser that calls itself HeadlessChrome; remembers
    every user agent it was sent."""

    seen: list[str] = []
    headers: list[str] = []  # every header sent, as text

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(REALWORLD), **kwargs)

    def do_GET(self):
        agent = self.headers.get("User-Agent", "")
        type(self).seen.append(agent)
        type(self).headers.append(str(self.headers))
        if "HeadlessChrome" in agent and self.path.startswith("/bot.html"):
            body = "<!doctype html><meta charset=utf-8><title>403</title><p>机器人访问</p>".encode()
            self.send_response(403)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@pytest.fixture(scope="module")
def site():
    with serve(partial(QuietHandler, directory=str(REALWORLD))) as url:
        yield url


@pytest.fixture(scope="module")
def bot_site():
    with serve(BotRefusingHandler) as url:
        yield url


def test_phone_only_page_shows_its_content_to_an_emulated_phone(tmp_path, site):
    out = tmp_path / "bundle"
    done = evidence("capture", "--device", "iPhone 13", "--no-trace", "--no-report", "--timeout", "30",
                    "-o", out, f"{site}/phone-only.html")
    assert done.returncode == 0, done.stderr
    manifest = manifest_of(out)
    text = text_of(out, manifest.captures[0])
    assert "订单 PHONE-ORDER-7731 宽 390 比例 3" in text
    assert "请在手机上打开" not in text
    env = manifest.environment
    assert env.device is not None
    assert (env.device.name, env.device.device_scale_factor, env.device.is_mobile, env.device.has_touch) == (
        "iPhone 13", 3, True, True)
    assert (env.viewport.width, env.viewport.height) == (390, 664)
    assert "iPhone" in env.browser.user_agent and "HeadlessChrome" in (env.browser.browser_user_agent or "")
    assert verify(out).exit_code == 0


def test_without_a_device_the_phone_only_page_asks_for_a_phone(tmp_path, site):
    out = tmp_path / "bundle"
    done = evidence("capture", "--no-trace", "--no-report", "--timeout", "30", "-o", out,
                    f"{site}/phone-only.html")
    assert done.returncode == 0, done.stderr
    manifest = manifest_of(out)
    assert text_of(out, manifest.captures[0]).strip() == "请在手机上打开"
    assert manifest.environment.device is None


def test_plan_key_device_emulates_the_phone(tmp_path, site):
    plan = tmp_path / "plan.toml"
    plan.write_text(f'device = "Pixel 7"\n[[target]]\nurl = "{site}/phone-only.html"\n', encoding="utf-8")
    out = tmp_path / "bundle"
    done = evidence("capture", "--plan", plan, "--no-trace", "--no-report", "--timeout", "30", "-o", out)
    assert done.returncode == 0, done.stderr
    manifest = manifest_of(out)
    assert "订单 PHONE-ORDER-7731 宽 412 比例 2.625" in text_of(out, manifest.captures[0])
    assert manifest.environment.device.name == "Pixel 7"


def test_unknown_device_is_one_usage_line_naming_the_close_match(tmp_path, site):
    done = evidence("capture", "--device", "iphone 13x", "-o", tmp_path / "b", f"{site}/static.html")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "'iPhone 13'" in lines[0] and "--list-devices" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_device_names_are_listed():
    done = evidence("capture", "--list-devices", timeout=60)
    assert done.returncode == 0
    names = done.stdout.splitlines()
    assert "iPhone 13" in names and "Pixel 7" in names


def test_pages_see_chrome_not_headlesschrome_and_the_manifest_says_which(tmp_path, bot_site):
    BotRefusingHandler.seen.clear()
    BotRefusingHandler.headers.clear()
    out = tmp_path / "bundle"
    done = evidence("capture", "--no-trace", "--no-report", "--timeout", "30", "-o", out,
                    f"{bot_site}/bot.html")
    assert done.returncode == 0, done.stderr
    manifest = manifest_of(out)
    capture = manifest.captures[0]
    assert capture.response.status == 200
    assert "商品 BOT-SHOP-4410" in text_of(out, capture)
    browser = manifest.environment.browser
    assert "HeadlessChrome" not in browser.user_agent
    assert browser.user_agent == browser.browser_user_agent.replace("HeadlessChrome", "Chrome")
    assert set(BotRefusingHandler.seen) == {browser.user_agent}
    assert not [h for h in BotRefusingHandler.headers if "headless" in h.lower()]  # nor client hints
    assert not [w for w in capture.warnings if "bot" in w]


def test_headless_user_agent_on_request_and_the_block_page_is_named(tmp_path, bot_site):
    out = tmp_path / "bundle"
    done = evidence("capture", "--headless-user-agent", "--no-trace", "--no-report", "--timeout", "30",
                    "-o", out, f"{bot_site}/bot.html")
    assert done.returncode == 0, done.stderr
    manifest = manifest_of(out)
    capture = manifest.captures[0]
    assert capture.response.status == 403
    assert "HeadlessChrome" in manifest.environment.browser.user_agent
    assert manifest.environment.browser.browser_user_agent is None
    blocks = [w for w in capture.warnings if "bot block" in w]
    assert len(blocks) == 1
    assert "HTTP 403" in blocks[0] and "'机器人'" in blocks[0] and "--headed" in blocks[0]
    assert "--profile" in blocks[0]


def _settle_details(capture) -> list[str]:
    return [a.detail for a in capture.actions if a.type == "settle" and a.detail.startswith("content")]


def test_single_page_app_is_captured_rendered_not_loading(tmp_path, site):
    out = tmp_path / "bundle"
    done = evidence("capture", "--no-trace", "--no-report", "--timeout", "40", "-o", out,
                    f"{site}/spa.html", f"{site}/static.html")
    assert done.returncode == 0, done.stderr
    spa, static = manifest_of(out).captures
    text = text_of(out, spa)
    assert "订单 SPA-ORDER-5520" in text and "加载中" not in text
    (detail,) = _settle_details(spa)
    assert "loading indicator visible (text \"加载中...\")" in detail
    assert "订单 STATIC-ORDER-1001" in text_of(out, static)
    (detail,) = _settle_details(static)
    # A stable page is looked at, not waited for: no reason to wait was seen.
    assert detail.startswith("content settled after ") and "waited while" not in detail


class LongDocumentHandler(QuietHandler):
    """/long.html: a static page of 20,000 rows. Its parser records are still queued when
    DOMContentLoaded is dispatched, as a small page's are on a busy machine."""

    def do_GET(self):
        rows = "".join(f"<p>第 {i} 行</p>" for i in range(20_000))
        body = f"<!doctype html><meta charset=utf-8><title>长页面</title><body>{rows}</body>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_the_parser_building_a_page_is_not_counted_as_the_page_changing(page):
    with serve(LongDocumentHandler) as url:
        page.add_init_script(script("page_settle_watch"))
        for attempt in range(3):
            page.goto(f"{url}/long.html?{attempt}")
            state = page.evaluate(script("page_settle_state"))
            assert state["quiet"] == 1e9, attempt  # unchanged since parsing
        # A change after parsing is still seen.
        page.evaluate("document.body.append('late')")
        assert page.evaluate(script("page_settle_state"))["quiet"] < 1e9


def _section_colour(index: int) -> bytes:
    return bytes(((index * 37) % 256, (index * 91) % 256, (index * 53) % 256))


def test_description_in_an_inner_scrolling_box_is_pictured_whole_in_segments(tmp_path, site):
    out = tmp_path / "bundle"
    done = evidence("capture", "--product", f"{site}/inner-box.html", "--no-trace", "--no-report",
                    "--timeout", "60", "-o", out)
    assert done.returncode == 0, done.stderr
    capture = manifest_of(out).captures[0]
    segments = [a for a in capture.artifacts if a.role == "box_segment"]
    assert segments[0].scroll_top == 0 and segments[-1].scroll_top + segments[-1].height == 8000
    for before, after in zip(segments, segments[1:]):
        assert after.scroll_top <= before.scroll_top + before.height  # no gap between windows
    assert len(segments) == 14 and {s.height for s in segments} == {600}
    for segment in segments:
        width, height, bpp, rows = decode_rows((out / segment.path).read_bytes())
        assert height == 600
        for y in range(100, 600, 200):  # the middle of each section the window shows
            pixel = rows[y][600 * bpp: 600 * bpp + 3]
            assert pixel == _section_colour((segment.scroll_top + y) // 200), (segment.path, y)
    (action,) = [a for a in capture.actions if a.type == "scroll_box"]
    assert action.outcome == "ok" and "600 px tall holding 8000 px: 14 segments" in action.detail
    assert capture.warnings == []
    assert verify(out).exit_code == 0


def test_live_page_that_never_stops_changing_is_captured_and_says_so(tmp_path, site):
    out = tmp_path / "bundle"
    done = evidence("capture", "--no-trace", "--no-report", "--timeout", "30", "-o", out, f"{site}/ticker.html")
    assert done.returncode == 0, done.stderr
    capture = manifest_of(out).captures[0]
    assert "行情 TICKER-7788" in text_of(out, capture)
    (detail,) = _settle_details(capture)
    assert detail.startswith("content still changing after ") and detail.endswith("not waited for further")
    assert capture.warnings == []
