"""report.html / report.pdf: what a complaint reader sees, and that it stays verifiable."""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import struct
import subprocess
import zlib
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
    TimestampCheck,
    Tls,
    Tool,
    utc_now,
)
from capture.report import render_html, write_sealed_report, write_unsealed_report
from capture.report.layout import MAX_SLICES
from capture.report.render import (
    CONTENT_HEIGHT_PX,
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


def _in_own_loop(coro_factory):
    # pytest-playwright's sync API keeps a loop running in this thread: use another.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro_factory()).result()


def seal_with_report(root: Path, lang: str = "both") -> None:
    """What the session does at the end: the report first, then the manifest listing it."""
    manifest = _manifest(root)
    writer = BundleWriter(root)

    async def finish():
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(find_browser().executable), args=launch_args()
            )
            try:
                return await write_sealed_report(writer, manifest, browser, lang, ["http://tsa.test/"])
            finally:
                await browser.close()

    manifest.artifacts.extend(_in_own_loop(finish))
    writer.write_manifest(manifest)
    writer.write_sums(manifest)


TOKENS = [
    TimestampCheck(
        path="manifest.json.tsr",
        authority="CN=Test TSA <x>",
        time="2025-11-25T17:00:00.000Z",
        serial="0x1F",
        signer="CN=Test TSA",
        status="not verified",
        detail="matches manifest.json, but the signer does not chain",
    )
]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, browser, site) -> Path:
    root = tmp_path_factory.mktemp("report") / "bundle"
    build_bundle(root, browser, site)
    seal_with_report(root)
    return root


@pytest.fixture(scope="module")
def later(bundle) -> tuple[Path, Path]:
    """A later rendering of the sealed bundle: (html, pdf) under unsealed/."""
    _, files = write_unsealed_report(bundle, timestamps=TOKENS)
    return files[0], files[1]


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


def test_sealed_report_shows_every_evidence_hash_and_where_the_fingerprint_is(bundle):
    html = (bundle / "report.html").read_text(encoding="utf-8")
    manifest = _manifest(bundle)
    for artifact in manifest.all_artifacts():
        if artifact.role != "report":  # its own hash cannot be inside it
            assert artifact.sha256 in html, artifact.path
    # Sealed before the manifest that covers it: the fingerprint cannot be in it.
    assert _fingerprint(bundle) not in html
    assert "This report is sealed" in html and "本报告已封存" in html
    assert "SHA-256 of manifest.json" in html
    assert "evidence verify BUNDLE --expect FINGERPRINT" in html and "sha256sum -c sealed.sha256" in html
    assert "openssl ts -verify -data manifest.json -in manifest.json.tsr" in html
    assert "openssl ts -reply -in manifest.json.tsr -text" in html
    assert "tsa.test" in html  # the authority it was requested from, not a claimed result
    assert [a.path for a in manifest.artifacts if a.role == "report"] == ["report.html", "report.pdf"]


def test_later_rendering_shows_the_fingerprint_and_says_it_is_not_sealed(bundle, later):
    html = later[0].read_text(encoding="utf-8")
    assert html.count(_fingerprint(bundle)) >= 2  # the meta tag and the fingerprint box
    assert "Later rendering, NOT sealed" in html and "后补渲染，未封存" in html
    assert "not verified (the authority's name is only the token's claim)" in html
    assert "CN=Test TSA &lt;x&gt;" in html and "0x1F" in html


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
    assert "https://shop.example" in html  # login origins, never secrets


def test_tall_screenshot_slices_cover_every_row_once_and_each_fits_a_page():
    width, height = 1280, 6000
    scale = CONTENT_WIDTH_PX / width
    for first in (None, 300.0, 900.0):
        ranges = slices(width, height, first)
        assert ranges[0][0] == 0 and ranges[-1][1] == height
        for (_top, bottom), (next_top, _) in itertools.pairwise(ranges):
            assert 0 <= bottom - next_top <= OVERLAP_ROWS  # no gap; at most a few rows repeated
        for top, bottom in ranges:
            assert (bottom - top) * scale <= SLICE_MAX_PX
        if first is not None:  # the first slice fits the room left under the heading
            assert ranges[0][1] * scale <= first
    # Readable: shown at the page's full width, not shrunk to fit the page height.
    assert len(slices(width, height)) >= 4


def test_a_png_header_claiming_absurd_dimensions_gives_a_bounded_report(tmp_path):
    assert len(slices(1, 4_000_000_000)) == MAX_SLICES
    writer = BundleWriter.create(tmp_path / "absurd")
    claims = png_header(1, 4_000_000_000) + b"\0" * 64
    manifest = Manifest(tool=Tool(version="0.1.0"), status="complete", started_at=utc_now(),
                        finished_at=utc_now(), environment=fake_environment())
    capture = Capture(index=1, kind="page", requested_url="http://127.0.0.1/x", started_at=utc_now())
    capture.artifacts.append(writer.write_artifact("captures/01-page/screenshot.png", claims,
                                                   "screenshot", "image/png"))
    manifest.captures.append(capture)
    html = render_html(manifest, image_loader=bundle_loader(writer.root))
    assert "claims 1 × 4,000,000,000 pixels" in html
    assert 'src="captures/01-page/screenshot.png"' not in html and len(html) < 200_000


def _slice_figures(html: str, path: str) -> list[tuple[int, int, int, float]]:
    """(shown width, image width, rows shown, first row) of each slice of `path`."""
    found = re.findall(
        r'<figure class="slice" style="width:(\d+)px[^"]*">(?:(?!</figure>).)*?aspect-ratio:(\d+)/(\d+)'
        rf'(?:(?!</figure>).)*?src="{re.escape(path)}"(?:(?!</figure>).)*?margin-top:-([\d.]+)%',
        html, re.S)
    return [(int(shown), int(w), int(rows), float(offset) * int(w) / 100) for shown, w, rows, offset in found]


def test_tall_screenshot_is_shown_as_full_width_slices_from_under_its_heading(bundle):
    html = (bundle / "report.html").read_text(encoding="utf-8")
    figures = _slice_figures(html, "captures/01-order/screenshot.png")
    shot = (bundle / "captures/01-order/screenshot.png").read_bytes()
    width, height = int.from_bytes(shot[16:20], "big"), int.from_bytes(shot[20:24], "big")
    assert height > 5000 and len(figures) >= 4
    tops = [round(top) for *_, top in figures]
    bottoms = [round(top) + rows for _, _, rows, top in figures]
    assert tops[0] == 0 and bottoms[-1] == height
    assert all(0 <= bottom - top <= OVERLAP_ROWS for bottom, top in zip(bottoms, tops[1:]))
    assert all(shown == CONTENT_WIDTH_PX and w == width for shown, w, _, _ in figures)
    scale = CONTENT_WIDTH_PX / width
    # The first slice starts on the capture's own page, under its heading and facts.
    assert figures[0][2] * scale < CONTENT_HEIGHT_PX - 100
    assert all(rows * scale <= SLICE_MAX_PX for _, _, rows, _ in figures)


def png_header(width: int, height: int) -> bytes:
    body = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + body + struct.pack(">I", zlib.crc32(b"IHDR" + body))


def _segment_bundle(root: Path, sizes: list[tuple[int, int, int]]) -> Manifest:
    """A chat capture whose segments are (scroll_top, CSS height, image width) with
    images of the demo's size ratio (as many pixel rows as CSS px)."""
    writer = BundleWriter.create(root)
    manifest = Manifest(tool=Tool(version="0.1.0"), status="complete", started_at=utc_now(),
                        finished_at=utc_now(), environment=fake_environment())
    chat = Capture(index=1, kind="chat", requested_url="http://127.0.0.1/chat", started_at=utc_now())
    for number, (top, height, width) in enumerate(sizes, 1):
        chat.artifacts.append(writer.write_artifact(
            f"captures/01-chat/chat-{number:03d}.png", png_header(width, height), "chat_segment",
            "image/png", scroll_top=top, height=height))
    manifest.captures.append(chat)
    return manifest


def test_chat_segments_several_to_a_row_in_order_and_a_repeat_trimmed_and_said(tmp_path):
    # The demo's conversation: 878 px wide segments of 600 px, the last one 225 px back.
    sizes = [(600 * i, 600, 878) for i in range(37)] + [(21975, 600, 878)]
    manifest = _segment_bundle(tmp_path / "chat", sizes)
    html = render_html(manifest, image_loader=bundle_loader(tmp_path / "chat"))
    grid = re.search(r'<div class="segments" style="grid-template-columns:([^"]+)">', html)
    columns = grid.group(1).split()
    assert len(columns) == 2 and all(float(c[:-2]) * 2 <= CONTENT_WIDTH_PX for c in columns)
    names = re.findall(r'<figure class="segment"[^>]*><figcaption><span class="mono">([^<]+)</span>', html)
    assert names == [f"captures/01-chat/chat-{i:03d}.png" for i in range(1, 39)]
    last = html[html.index("chat-038.png</span>"):]
    assert "top 225 px repeat the previous segment: not shown again" in last
    assert "aspect-ratio:878/375" in last  # only the 375 rows not shown before
    assert f"margin-top:-{225 / 878 * 100:.6f}%" in last
    assert html.count("repeat the previous segment") == 1
    # At their size and several to a page, 38 segments take at most 6 pages.
    shown = [float(w) for w in re.findall(r'<figure class="segment" style="width:([\d.]+)px', html)]
    rows_per_page = CONTENT_HEIGHT_PX // (600 * shown[0] / 878 + 20)
    assert rows_per_page >= 4 and len(sizes) / (2 * rows_per_page) <= 6


def test_report_pdf_is_a_reading_copy_in_jpeg_and_the_bundle_keeps_its_pngs(bundle):
    listing = subprocess.run(["pdfimages", "-list", str(bundle / "report.pdf")], capture_output=True,
                             check=True, text=True).stdout.splitlines()[2:]
    kinds = {line.split()[8] for line in listing}
    assert listing and kinds == {"jpeg"}
    for artifact in _manifest(bundle).all_artifacts():
        if artifact.role in ("screenshot", "chat_segment"):
            assert (bundle / artifact.path).read_bytes().startswith(b"\x89PNG")
    html = (bundle / "report.html").read_text(encoding="utf-8")
    assert "report.pdf is a reading copy" in html and "original PNG files in the bundle" in html
    assert verify(bundle).verdict == "INTACT"


def _pdf_images(pdf: Path) -> list[tuple[str, ...]]:
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, check=True,
                             text=True).stdout.splitlines()[2:]
    return [tuple(line.split()[3:5] + line.split()[8:9]) for line in listing]


def test_copies_made_during_a_run_are_printed_from_the_page_they_were_made_in(bundle, tmp_path):
    # The run converts each picture as it is written and keeps the JPEG in the converter's
    # page; the report is printed in that page, and no picture is fetched again for it.
    from capture.report.copies import PrintCopies

    root = tmp_path / "bundle"
    shutil.copytree(bundle, root)
    (root / "report.pdf").unlink()
    manifest = _manifest(root)
    pictures = {a.path for a in manifest.all_artifacts() if a.role in ("screenshot", "chat_segment")}

    async def run():
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(find_browser().executable), args=launch_args())
            try:
                copies = PrintCopies(lambda: browser, root)
                for capture in manifest.captures:
                    copies.add(manifest, capture)
                printable = await copies.ready()
                fetched = []
                printable.page.on("request", lambda request: fetched.append(request.url))
                artifacts = await write_sealed_report(BundleWriter(root), manifest, browser, "both",
                                                      copies=printable)
                await copies.close()
                return set(printable.urls), fetched, artifacts
            finally:
                await browser.close()

    confirmed, fetched, artifacts = _in_own_loop(run)
    assert pictures and confirmed == pictures
    assert not [url for url in fetched if url.endswith(".png")]
    assert any(a.path == "report.pdf" for a in artifacts)
    assert _pdf_images(root / "report.pdf") == _pdf_images(bundle / "report.pdf")
    assert {kind for *_, kind in _pdf_images(root / "report.pdf")} == {"jpeg"}


def test_a_conversion_still_running_at_print_time_gives_the_report_a_page_of_its_own(tmp_path):
    # Cancelling a late conversion stops only our side; its script could still take the
    # report's images in that page, so the converter is closed and not printed in.
    from capture.report.copies import PrintCopies

    class Converter:
        page, closed = object(), False

        def is_closed(self):
            return self.closed

        async def close(self):
            self.closed = True

    async def run():
        copies = PrintCopies(lambda: None, tmp_path)
        copies.converter = converter = Converter()
        copies.tasks.append(asyncio.create_task(asyncio.sleep(60)))
        printable = await copies.ready(timeout=0.05)
        return printable, converter.closed, copies.tasks[0].cancelled()

    printable, closed, cancelled = _in_own_loop(run)
    assert printable is None and closed and cancelled


def test_labels_follow_lang(bundle):
    manifest, fp = _manifest(bundle), _fingerprint(bundle)
    loader = bundle_loader(bundle)
    zh = render_html(manifest, fp, lang="zh", image_loader=loader)
    en = render_html(manifest, fp, lang="en", image_loader=loader)
    assert "指纹" in zh and "Fingerprint" not in zh
    assert "Fingerprint" in en and "指纹" not in en and '<html lang="en">' in en


# --- report.pdf ------------------------------------------------------------------------


def _pdf_pages(pdf: Path) -> tuple[int, list[str]]:
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    # Chromium writes page objects uncompressed; pdfinfo is the cross-check.
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == pages
    texts = _pdf_pages_text(pdf)
    assert len(texts) == pages
    assert all(re.search(rf"\b{i} / {pages}\b", text) for i, text in enumerate(texts, 1))
    return pages, texts


def test_sealed_report_pdf_has_pages_for_every_capture_and_says_sealed_on_each(bundle):
    pages, texts = _pdf_pages(bundle / "report.pdf")
    assert pages >= 1 + len(_manifest(bundle).captures)
    assert all("Sealed report" in text and "SHA-256 of manifest.json" in text for text in texts)
    assert all(_fingerprint(bundle) not in text for text in texts)
    assert "证据报告" in texts[0] and "Evidence report" in texts[0]


def test_later_rendering_pdf_has_the_fingerprint_and_not_sealed_on_each_page(bundle, later):
    _, texts = _pdf_pages(later[1])
    assert all(_fingerprint(bundle) in text and "NOT sealed" in text for text in texts)


# --- evidence report -------------------------------------------------------------------


def test_session_entry_seals_both_files_into_the_manifest(bundle, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    assert verify(copy).verdict == "INTACT" and verify(copy).report_sealed
    shutil.rmtree(copy / "unsealed", ignore_errors=True)
    manifest = _manifest(copy)
    for name in ("report.html", "report.pdf"):
        (copy / name).unlink()
    manifest.artifacts = [a for a in manifest.artifacts if a.role != "report"]
    BundleWriter(copy).write_manifest(manifest)
    BundleWriter(copy).write_sums(manifest)
    seal_with_report(copy, lang="en")
    report = verify(copy)
    assert report.verdict == "INTACT" and report.report_sealed
    assert (copy / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_report_command_writes_an_unsealed_rendering_and_leaves_the_seal_alone(bundle, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    sealed_before = {name: (copy / name).read_bytes() for name in ("manifest.json", "report.html", "report.pdf")}
    result = CliRunner().invoke(main, ["report", str(copy), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert _fingerprint(copy) in result.output and "NOT sealed" in result.output
    assert {name: (copy / name).read_bytes() for name in sealed_before} == sealed_before
    newest = sorted((copy / "unsealed").glob("report-*.pdf"))[-1]
    assert newest.read_bytes().startswith(b"%PDF-")
    report = verify(copy, expect=_fingerprint(bundle))
    assert report.verdict == "INTACT"
    assert f"unsealed/{newest.name}" in {f.path for f in report.files if f.status == "unsealed"}
    sums = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=copy, capture_output=True, text=True, check=False
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert f"unsealed/{newest.name}: OK" in sums.stdout and "report.pdf: OK" in sums.stdout


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
