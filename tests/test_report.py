"""report.html / report.pdf: what a complaint reader sees, and that it stays verifiable."""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from capture.browser import find_browser, launch_args
from capture.bundle import BundleWriter, sha256_hex
from capture.cli import main
from capture.manifest import (
    Action,
    Capture,
    Case,
    EnvironmentCheck,
    LoginSession,
    Manifest,
    Response,
    Tls,
    Tool,
    utc_now,
)
from capture.report import render_html, write_report, write_report_async
from capture.report.render import (
    CONTENT_WIDTH_PX,
    OVERLAP_ROWS,
    SLICE_MAX_PX,
    bundle_loader,
    slices,
)
from capture.verify import verify

from .bundles import fake_environment

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_LINE = "客服: <img src=x onerror=alert(2)> </pre><script>alert(3)</script>"


def _chat_segments(page) -> list[tuple[int, int, bytes]]:
    """Screenshots of the conversation box, one per visible height, top to bottom."""
    box = page.locator("#chat")
    total = page.evaluate("document.getElementById('chat').scrollHeight")
    height = page.evaluate("document.getElementById('chat').clientHeight")
    segments = []
    for top in range(0, total, height):
        page.evaluate(f"document.getElementById('chat').scrollTop = {top}")
        segments.append((top, height, box.screenshot()))
    return segments


def build_bundle(root: Path, browser, site: str) -> Manifest:
    """A realistic bundle: a tall order page, a failed product page, a chat with segments."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(site + "/report/order.html")
    order_png = page.screenshot(full_page=True)
    order_title = page.title()
    page.goto(site + "/report/chat.html")
    chat_png = page.screenshot()
    segments = _chat_segments(page)
    transcript = page.inner_text("#chat") + "\n" + HOSTILE_LINE + "\n"
    page.close()

    writer = BundleWriter.create(root)
    env = fake_environment()
    env.checks = [
        EnvironmentCheck(name="proxy", result="ok", detail="no proxy configured"),
        EnvironmentCheck(name="extensions", result="warning", detail="<b>1 extension</b>"),
    ]
    manifest = Manifest(
        tool=Tool(version="0.1.0", digest="ab" * 32),
        status="incomplete",
        started_at=utc_now(),
        case=Case(
            title="卡密未到账 code never arrived",
            platform="某游戏交易平台",
            order_id="A0001",
            note="<i>seller refused</i> & blamed me",
        ),
        environment=env,
        login=LoginSession(
            source="profile",
            profile="buyer",
            origins=["https://shop.example"],
            cookie_domains=[".shop.example"],
        ),
    )
    # Whole seconds, as an HTTP Date header has, so the clock differences are exact.
    t0 = manifest.started_at = manifest.started_at.replace(microsecond=0)

    folder = "captures/01-order"
    order = Capture(
        index=1,
        kind="order",
        requested_url=site + "/report/order.html?id=A0001&x=<b>",
        final_url=site + "/report/order.html?id=A0001",
        title=order_title,
        started_at=t0,
        finished_at=t0 + timedelta(seconds=3),
        response=Response(
            status=200,
            status_text="OK",
            server_ip="127.0.0.1",
            server_port=80,
            server_date=(t0 + timedelta(seconds=4)).strftime("%a, %d %b %Y %H:%M:%S GMT"),
            tls=Tls(
                protocol="TLS 1.3",
                subject="CN=shop.example",
                issuer="CN=Example CA <evil>",
                valid_from=t0 - timedelta(days=30),
                valid_to=t0 + timedelta(days=60),
            ),
        ),
        actions=[
            Action(type="load", at=t0, detail="load event"),
            Action(type="scroll", at=t0 + timedelta(seconds=1), detail="to bottom, 6100 px"),
            Action(
                type="wait_for",
                at=t0 + timedelta(seconds=2),
                detail="network idle",
                outcome="warning",
            ),
        ],
        warnings=["network never went idle; waited 5 s <then went on>"],
        modified_by_script=True,
        page_height=6100,
    )
    order.artifacts = [
        writer.write_artifact(f"{folder}/screenshot.png", order_png, "screenshot", "image/png"),
        writer.write_artifact(f"{folder}/page.html", b"<html>order</html>", "dom", "text/html"),
        writer.write_artifact(f"{folder}/text.txt", "订单详情\n".encode(), "text", "text/plain"),
    ]
    product = Capture(
        index=2,
        kind="product",
        requested_url="https://shop.example/item/9",
        started_at=t0,
        finished_at=t0 + timedelta(seconds=1),
        error="net::ERR_CONNECTION_REFUSED <at> load",
    )
    folder = "captures/03-chat"
    chat = Capture(
        index=3,
        kind="chat",
        requested_url=site + "/report/chat.html",
        final_url=site + "/report/chat.html",
        title=HOSTILE_TITLE,
        started_at=t0,
        response=Response(
            status=200,
            server_ip="127.0.0.1",
            server_date=(t0 - timedelta(seconds=2)).strftime("%a, %d %b %Y %H:%M:%S GMT"),
        ),
        actions=[Action(type="load", at=t0 + timedelta(seconds=1))],
        chat_selector="#chat",
        chat_messages=41,
    )
    chat.artifacts = [
        writer.write_artifact(f"{folder}/screenshot.png", chat_png, "screenshot", "image/png")
    ]
    for i, (top, height, png) in enumerate(segments, 1):
        chat.artifacts.append(
            writer.write_artifact(
                f"{folder}/chat-{i:03d}.png",
                png,
                "chat_segment",
                "image/png",
                scroll_top=top,
                height=height,
            )
        )
    chat.artifacts.append(
        writer.write_artifact(
            f"{folder}/transcript.txt", transcript.encode(), "transcript", "text/plain"
        )
    )
    manifest.captures = [order, product, chat]
    manifest.artifacts = [
        writer.write_artifact("network.har", b'{"log": {}}\n', "har", "application/json")
    ]
    manifest.status = "complete"
    manifest.finished_at = t0 + timedelta(seconds=10)
    writer.write_manifest(manifest)
    writer.write_sums(manifest)
    return manifest


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, browser, site) -> Path:
    root = tmp_path_factory.mktemp("report") / "bundle"
    build_bundle(root, browser, site)
    timestamps = [
        {
            "path": "manifest.json.tsr",
            "authority": "CN=Test TSA <x>",
            "time": "2025-11-25T17:00:00Z",
            "serial": "0x1F",
            "signer": "CN=Test TSA",
            "status": "ok",
        }
    ]
    write_report(root, timestamps=timestamps)
    return root


def _fingerprint(root: Path) -> str:
    return sha256_hex((root / "manifest.json").read_bytes())


def _manifest(root: Path) -> Manifest:
    return Manifest.model_validate_json((root / "manifest.json").read_bytes())


def _pdf_pages_text(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    return [p for p in text.split("\f") if p.strip()]


# --- report.html -----------------------------------------------------------------------


def test_report_html_shows_every_artifact_hash_and_the_fingerprint(bundle):
    html = (bundle / "report.html").read_text(encoding="utf-8")
    manifest = _manifest(bundle)
    for artifact in manifest.all_artifacts():
        assert artifact.sha256 in html, artifact.path
    assert html.count(_fingerprint(bundle)) >= 2  # the meta tag and the fingerprint box
    assert "evidence verify BUNDLE" in html and "sha256sum -c SHA256SUMS" in html
    assert "指纹" in html and "Fingerprint" in html


def test_hostile_title_transcript_and_fields_appear_as_text(bundle):
    html = (bundle / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "onerror=alert" not in html.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the chat's title, as text
    assert "&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in html  # the transcript line
    assert "&lt;i&gt;seller refused&lt;/i&gt; &amp; blamed me" in html
    assert "<b>1 extension</b>" not in html and "<evil>" not in html


def test_report_html_requests_nothing_from_outside(bundle):
    html = (bundle / "report.html").read_text(encoding="utf-8")
    for value in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert "://" not in value and not value.startswith(("//", "data:", "javascript")), value
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_report_shows_chat_transcript_segments_and_capture_details(bundle):
    html = (bundle / "report.html").read_text(encoding="utf-8")
    assert "买家：我付款了，请退款或者补发。" in html
    chat_pngs = re.findall(r'src="(captures/03-chat/chat-\d{3}\.png)"', html)
    assert chat_pngs == sorted(chat_pngs) and len(set(chat_pngs)) >= 2
    assert "服务器时钟比本机快 4 秒" in html and "server clock 4 s ahead of local clock" in html
    assert "server clock 3 s behind local clock" in html
    assert "CN=Example CA &lt;evil&gt;" in html
    assert "the tool ran script on this page" in html  # modified_by_script, in plain words
    assert "network never went idle; waited 5 s &lt;then went on&gt;" in html
    assert "net::ERR_CONNECTION_REFUSED &lt;at&gt; load" in html
    assert "CN=Test TSA &lt;x&gt;" in html and "0x1F" in html
    assert "https://shop.example" in html  # login origins, never secrets


def test_tall_screenshot_slices_cover_every_row_once_and_each_fits_a_page():
    width, height = 1280, 6000
    ranges = slices(width, height)
    assert ranges[0][0] == 0 and ranges[-1][1] == height
    for (_top, bottom), (next_top, _) in itertools.pairwise(ranges):
        assert 0 <= bottom - next_top <= OVERLAP_ROWS  # no gap; at most a few rows repeated
    scale = CONTENT_WIDTH_PX / width
    for top, bottom in ranges:
        assert (bottom - top) * scale <= SLICE_MAX_PX
    # Readable: shown at the page's full width, not shrunk to fit the page height.
    assert len(ranges) >= 4


def test_tall_screenshot_is_shown_as_full_width_slices(bundle):
    html = (bundle / "report.html").read_text(encoding="utf-8")
    figures = re.findall(
        r'<figure class="slice" style="width:(\d+)px[^"]*">.*?aspect-ratio:(\d+)/(\d+).*?'
        r'src="captures/01-order/screenshot.png".*?margin-top:-([\d.]+)%',
        html,
    )
    shot = (bundle / "captures/01-order/screenshot.png").read_bytes()
    width, height = int.from_bytes(shot[16:20], "big"), int.from_bytes(shot[20:24], "big")
    assert height > 5000 and len(figures) == len(slices(width, height))
    tops = [round(float(offset) * width / 100) for *_, offset in figures]
    assert tops == [top for top, _ in slices(width, height)]
    assert all(int(shown) == CONTENT_WIDTH_PX for shown, *_ in figures)


def test_labels_follow_lang(bundle):
    manifest, fp = _manifest(bundle), _fingerprint(bundle)
    loader = bundle_loader(bundle)
    zh = render_html(manifest, fp, lang="zh", image_loader=loader)
    en = render_html(manifest, fp, lang="en", image_loader=loader)
    assert "指纹" in zh and "Fingerprint" not in zh
    assert "Fingerprint" in en and "指纹" not in en and '<html lang="en">' in en


# --- report.pdf ------------------------------------------------------------------------


def test_report_pdf_has_pages_for_every_capture_and_the_fingerprint_on_each(bundle):
    pdf = bundle / "report.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    manifest = _manifest(bundle)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    # Chromium writes page objects uncompressed; pdfinfo is the cross-check.
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == pages
    assert pages >= 1 + len(manifest.captures)
    fingerprint = _fingerprint(bundle)
    texts = _pdf_pages_text(pdf)
    assert len(texts) == pages
    assert all(fingerprint in text for text in texts)
    assert all(re.search(rf"\b{i} / {pages}\b", text) for i, text in enumerate(texts, 1))
    assert "证据报告" in texts[0] and "Evidence report" in texts[0]


# --- evidence report -------------------------------------------------------------------


def test_session_entry_writes_both_files_through_its_writer_and_open_browser(bundle, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    for name in ("report.html", "report.pdf"):
        (copy / name).unlink()
    manifest, fingerprint = _manifest(copy), _fingerprint(copy)
    writer = BundleWriter(copy)

    async def session_end():
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(find_browser().executable), args=launch_args()
            )
            await write_report_async(writer, manifest, fingerprint, browser, "en", None)
            await browser.close()

    # pytest-playwright's sync API keeps a loop running in this thread: use another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, session_end()).result()
    writer.write_sums(manifest)
    assert (copy / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert fingerprint in (copy / "report.html").read_text(encoding="utf-8")
    assert verify(copy).verdict == "INTACT"


def test_report_command_regenerates_and_the_bundle_still_verifies(bundle, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    (copy / "report.pdf").unlink()  # as if made by an older run without the PDF
    BundleWriter(copy).write_sums(_manifest(copy))
    result = CliRunner().invoke(main, ["report", str(copy), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert _fingerprint(copy) in result.output
    assert (copy / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert "Fingerprint" not in (copy / "report.html").read_text(encoding="utf-8")
    assert verify(copy).verdict == "INTACT"
    sums = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=copy, capture_output=True, text=True, check=False
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert "report.pdf: OK" in sums.stdout


def test_report_command_refuses_an_altered_bundle(bundle, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    shot = copy / "captures/01-order/screenshot.png"
    data = bytearray(shot.read_bytes())
    data[-100] ^= 0xFF
    shot.write_bytes(bytes(data))
    before = (copy / "SHA256SUMS").read_bytes(), (copy / "report.pdf").read_bytes()
    result = CliRunner().invoke(main, ["report", str(copy)])
    assert result.exit_code == 1
    assert "ALTERED" in result.output and len(result.output.strip().splitlines()) == 1
    assert ((copy / "SHA256SUMS").read_bytes(), (copy / "report.pdf").read_bytes()) == before


@pytest.mark.parametrize("what", ["missing", "empty-dir", "file"])
def test_report_command_refuses_what_is_not_a_bundle(tmp_path, what):
    target = tmp_path / "x"
    if what == "empty-dir":
        target.mkdir()
    elif what == "file":
        target.write_text("hello")
    result = CliRunner().invoke(main, ["report", str(target)])
    assert result.exit_code == 2
    assert "not an evidence bundle directory" in result.output
    assert len(result.output.strip().splitlines()) == 1
