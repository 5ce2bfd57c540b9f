"""`evidence capture` end to end: real Chromium, a real local site, real files."""

from __future__ import annotations

import json
import os
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from capture.manifest import Manifest
from capture.png import decode_rows, png_size
from capture.verify import verify

from .capture_site import BEARER_SECRET, SET_COOKIE_SECRET, MisbehavingHandler
from .servers import serve

EVIDENCE = [sys.executable, "-m", "capture"]
STATE_SECRET = "STATE-cookie-secret-4242-abc"


@pytest.fixture(scope="module")
def bad_site():
    with serve(MisbehavingHandler) as url:
        yield url


def evidence(*args, timeout=240, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EVIDENCE, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def load_manifest(root: Path) -> Manifest:
    return Manifest.model_validate_json((root / "manifest.json").read_bytes())


@pytest.fixture(scope="module")
def basic_bundle(tmp_path_factory, bad_site):
    """One run over the ordinary cases, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("basic") / "bundle"
    done = evidence(
        "capture",
        "--order", f"{bad_site}/long.html",
        "--page", f"{bad_site}/redirect",
        "--page", f"{bad_site}/missing",
        "--chat", f"{bad_site}/capture/never-idle.html",
        "--case-title", "测试 case", "--order-id", "DD-1", "--no-trace",
        "--timeout", "20", "-o", out,
    )
    return out, done


def test_multi_screen_page_is_captured_whole(basic_bundle):
    out, done = basic_bundle
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = load_manifest(out)
    order = manifest.captures[0]
    assert order.kind == "order" and order.page_height == 6300
    shot = next(a for a in order.artifacts if a.role == "screenshot")
    width, height = png_size((out / shot.path).read_bytes())
    assert (width, height) == (1280, order.page_height)
    roles = {a.role for a in order.artifacts}
    assert {"screenshot", "dom", "mhtml", "text"} <= roles
    assert "第 7 屏" in (out / "captures/01-order/text.txt").read_text("utf-8")
    mhtml = (out / "captures/01-order/page.mhtml").read_text("utf-8")
    assert mhtml.startswith("From: <Saved by Blink>") and "multipart/related" in mhtml


def test_manifest_records_provenance_and_case(basic_bundle, bad_site):
    out, _ = basic_bundle
    manifest = load_manifest(out)
    assert manifest.status == "complete" and manifest.case.title == "测试 case"
    env = manifest.environment
    assert env.browser.version and "Chrome" in env.browser.user_agent and env.browser.headless
    assert env.viewport.width == 1280 and env.playwright
    order = manifest.captures[0]
    assert order.response.status == 200
    assert order.response.server_ip == "127.0.0.1"
    assert order.response.server_port == int(bad_site.rsplit(":", 1)[1])
    assert order.response.server_date.endswith("GMT")
    assert order.response.tls is None  # plain http
    assert order.started_at <= order.finished_at
    raw = json.loads((out / "manifest.json").read_text())
    assert raw["started_at"].endswith("Z") and len(raw["started_at"]) == len("2026-01-01T00:00:00.000Z")


def test_the_launched_browser_binary_is_hashed_and_the_check_quotes_that_hash(basic_bundle):
    # The hash is taken while the first targets load; the sealed manifest still has it.
    from capture.browser import file_sha256

    browser = load_manifest(basic_bundle[0]).environment.browser
    check = next(c for c in load_manifest(basic_bundle[0]).environment.checks if c.name == "browser")
    real = Path(browser.executable).resolve()
    if "launcher of " in check.detail:
        real = Path(check.detail.split("launcher of ", 1)[1].split(",", 1)[0])
    assert browser.executable_sha256 == file_sha256(real)
    assert f"sha256 {browser.executable_sha256};" in check.detail


def test_redirects_are_recorded(basic_bundle, bad_site):
    out, _ = basic_bundle
    redirect = load_manifest(out).captures[1]
    assert redirect.final_url == f"{bad_site}/hello.html"
    hops = [a.detail for a in redirect.actions if a.type == "redirect"]
    assert hops == [
        f"302 {bad_site}/redirect -> {bad_site}/redirect-2",
        f"301 {bad_site}/redirect-2 -> {bad_site}/hello.html",
    ]


def test_not_found_is_captured_with_a_warning(basic_bundle):
    out, _ = basic_bundle
    missing = load_manifest(out).captures[2]
    assert missing.error is None and missing.response.status == 404
    assert any("404" in w for w in missing.warnings)
    assert "页面不存在" in (out / "captures/03-page/text.txt").read_text("utf-8")


def test_never_idle_page_finishes_and_says_what_it_waited_for(basic_bundle):
    out, _ = basic_bundle
    page = load_manifest(out).captures[3]
    assert page.error is None
    settle = [a.detail for a in page.actions if a.type == "settle"]
    assert settle and "long-lived request(s) still open" in settle[0]
    assert "polling" in (out / "captures/04-chat/text.txt").read_text("utf-8")


def test_fresh_bundle_verifies_and_sha256sum_agrees(basic_bundle):
    out, _ = basic_bundle
    assert verify(out).verdict == "INTACT"
    done = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_a_run_that_ends_quickly_leaves_no_temporary_file_and_a_complete_bundle(tmp_path, bad_site):
    # `python -m capture` freezes the collector's heap at the end (cli.entry): finalisers,
    # atexit and the browser's own clean-up must still leave nothing behind.
    # A short path: Chromium's profile holds a socket, and a socket's path is short.
    scratch = Path(tempfile.mkdtemp(prefix="evq-"))
    out = tmp_path / "bundle"
    try:
        done = evidence("capture", "--page", f"{bad_site}/long.html", "--timeout", "60", "-o", out,
                        env=dict(os.environ, TMPDIR=str(scratch)))
        left = sorted(p.name for p in scratch.iterdir())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert left == []
    assert (out / "report.pdf").stat().st_size > 0 and (out / "trace.zip").stat().st_size > 0
    checked = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=out, capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert evidence("verify", out).returncode == 0


def test_forty_thousand_px_page_comes_out_complete_in_tiles(tmp_path, bad_site):
    out = tmp_path / "tall"
    done = evidence("capture", f"{bad_site}/capture/tall.html", "--no-trace", "-o", out)
    assert done.returncode == 0, done.stderr
    capture = load_manifest(out).captures[0]
    tiles = [a for a in capture.artifacts if a.role == "screenshot_tile"]
    assert capture.page_height == 40_000 and len(tiles) >= 3
    # The tiles cover [0, 40000) with no gap, in order.
    covered = 0
    for tile in tiles:
        assert tile.offset_y == covered
        covered += tile.height
    assert covered == 40_000
    # Every band is where it belongs, in its own colour: nothing blank, nothing repeated.
    seen_tiles = set()
    for tile in tiles:
        data = (out / tile.path).read_bytes()
        assert data not in seen_tiles
        seen_tiles.add(data)
        width, height, bpp, rows = decode_rows(data)
        assert height == tile.height
        for y in range(tile.offset_y, tile.offset_y + tile.height):
            if y % 1000 == 600:  # middle of a band, below its heading
                band = y // 1000
                expected = ((band * 6) % 256, (band * 37 + 40) % 256, (band * 91 + 80) % 256)
                row = rows[y - tile.offset_y]
                assert tuple(row[640 * bpp : 640 * bpp + 3]) == expected, f"band {band} wrong at y={y}"


def test_tiles_show_the_page_at_the_screen_size_it_is_captured_at(tmp_path, bad_site):
    # Tiles once came from a DevTools session of our own, whose shots dropped the
    # page's 1280x900 emulation: this page then came out red, its small-screen colour.
    # They come from one again (tile_camera.py), which first sets that emulation.
    out = tmp_path / "device"
    done = evidence("capture", f"{bad_site}/capture/device-width.html", "--no-trace", "-o", out)
    assert done.returncode == 0, done.stderr
    capture = load_manifest(out).captures[0]
    tiles = [a for a in capture.artifacts if a.role == "screenshot_tile"]
    assert capture.page_height == 16_400 and [t.height for t in tiles] == [8192, 8192, 16]
    width, height, bpp, rows = decode_rows((out / tiles[-1].path).read_bytes())
    assert (width, height) == (1280, 16)
    assert {row[x * bpp : x * bpp + 3] for row in rows for x in (0, 640, 1279)} == {b"\x00\x80\x00"}
    assert capture.warnings == []
    [shot] = [a for a in capture.actions if a.type == "screenshot"]
    assert "3 of them taken through the tool's own DevTools session" in shot.detail


def test_refused_port_and_hanging_server_are_recorded_errors(tmp_path, bad_site):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    out = tmp_path / "errors"
    done = evidence(
        "capture", f"http://127.0.0.1:{free_port}/", f"{bad_site}/hang", f"{bad_site}/hello.html",
        "--timeout", "4", "--no-trace", "-o", out,
    )
    assert done.returncode == 1
    refused, hanging, fine = load_manifest(out).captures
    assert "ERR_CONNECTION_REFUSED" in refused.error
    assert [a.role for a in refused.artifacts] == ["screenshot"]  # the browser's error page
    assert hanging.error and "Timeout" in hanging.error
    assert fine.error is None and fine.title == "你好"
    assert verify(out).verdict == "INTACT"
    assert "Traceback" not in done.stderr


def test_no_session_secret_appears_anywhere_in_the_bundle(tmp_path, bad_site):
    host = bad_site.split("//")[1].split(":")[0]
    state = tmp_path / "state.json"
    state.write_text(json.dumps({
        "cookies": [{"name": "sid", "value": STATE_SECRET, "domain": host, "path": "/",
                     "expires": -1, "httpOnly": True, "secure": False, "sameSite": "Lax"}],
        "origins": [],
    }))
    out = tmp_path / "secret"
    done = evidence("capture", "--order", f"{bad_site}/secret", "--storage-state", state, "-o", out)
    assert done.returncode == 0, done.stderr
    manifest = load_manifest(out)
    assert manifest.login.source == "storage_state" and manifest.login.cookie_domains == [host]
    # The session-wide files that can hold secrets (the report is listed there too).
    session = [a for a in manifest.artifacts if a.role in ("har", "trace")]
    assert {a.role for a in session} == {"har", "trace"}
    assert all(a.redactions for a in session)
    blobs = []
    for path in out.rglob("*"):
        if path.is_file():
            blobs.append((str(path), path.read_bytes()))
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    blobs += [(f"{path}!{n}", archive.read(n)) for n in archive.namelist()]
    assert any(name.endswith("trace.zip") for name, _ in blobs)
    for secret in (STATE_SECRET, SET_COOKIE_SECRET, BEARER_SECRET):
        leaks = [name for name, blob in blobs if secret.encode() in blob]
        assert not leaks, f"{secret} leaked into {leaks}"
    # The request really was made with the secrets (so the check above means something).
    har = json.loads((out / "network.har").read_text())
    api = next(e for e in har["log"]["entries"] if e["request"]["url"].endswith("/api/me"))
    auth = [h for h in api["request"]["headers"] if h["name"].lower() == "authorization"]
    assert auth and auth[0]["value"] == "[REDACTED]"


def test_non_empty_output_directory_is_refused(tmp_path, bad_site):
    out = tmp_path / "used"
    out.mkdir()
    (out / "earlier.png").write_bytes(b"earlier evidence")
    done = evidence("capture", f"{bad_site}/hello.html", "-o", out)
    assert done.returncode == 2
    assert "not empty" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert (out / "earlier.png").read_bytes() == b"earlier evidence"


def test_bad_url_scheme_is_a_usage_error(tmp_path):
    done = evidence("capture", "ftp://example.invalid/x", "-o", tmp_path / "x")
    assert done.returncode == 2 and "http:// or https://" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists()


def test_bad_browser_executable_is_a_usage_error_naming_the_path(tmp_path, bad_site):
    done = evidence("capture", f"{bad_site}/hello.html", "--browser-executable", tmp_path / "nope",
                    "-o", tmp_path / "b")
    assert done.returncode == 2 and str(tmp_path / "nope") in done.stderr
    assert "Traceback" not in done.stderr


def test_browser_killed_mid_run_is_relaunched_and_next_target_captured(tmp_path, bad_site):
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [*EVIDENCE, "capture", f"{bad_site}/capture/kill.html", f"{bad_site}/hello.html",
         "--jobs", "1", "--timeout", "15", "--no-trace", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    MisbehavingHandler.kill_root_pid = proc.pid
    try:
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        MisbehavingHandler.kill_root_pid = None
    assert proc.returncode == 1, stdout + stderr
    killed, after = load_manifest(out).captures
    assert killed.error == "the browser stopped during this capture"
    assert after.error is None and after.title == "你好"
    assert "starting a new one" in stdout
    assert verify(out).verdict == "INTACT"


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_leaves_an_incomplete_bundle_that_verifies_and_resume_finishes_it(tmp_path, bad_site):
    out = tmp_path / "interrupted"
    args = ["capture", f"{bad_site}/hello.html", f"{bad_site}/slow", f"{bad_site}/long.html",
            "--jobs", "1", "--timeout", "60", "--no-trace", "-o", str(out)]
    # A runner started in the background without job control ignores SIGINT, and so
    # would the tool it starts (Python keeps an ignored SIGINT ignored): give the tool
    # the terminal's default, as a buyer's Ctrl-C finds it.
    proc = subprocess.Popen([*EVIDENCE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("[2/3]") and line.rstrip().endswith("..."):
            break  # the slow target is being captured now
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(lines) + stdout + stderr
    assert "Traceback" not in stderr
    report = verify(out)
    assert report.verdict == "INTACT" and report.complete is False
    manifest = load_manifest(out)
    assert manifest.status == "incomplete"
    assert manifest.captures[0].error is None
    assert [c.index for c in manifest.captures][:1] == [1]

    done = evidence(*[a for a in args if a != f"{bad_site}/slow"], "--resume")
    assert done.returncode in (0, 1), done.stderr
    manifest = load_manifest(out)
    assert manifest.status == "complete"
    urls = [c.requested_url for c in manifest.captures if c.error is None]
    assert urls.count(f"{bad_site}/hello.html") == 1 and f"{bad_site}/long.html" in urls
    assert verify(out).verdict == "INTACT"


def test_help_does_not_import_playwright():
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "capture", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "capture" in done.stdout
    assert "playwright" not in done.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX")
def test_version_is_printed():
    done = evidence("--version")
    assert done.returncode == 0 and "evidence, version" in done.stdout


def _comparable(manifest: Manifest) -> list:
    """What must not depend on concurrency: everything but times and session files."""
    rows = []
    for c in manifest.captures:
        texts = {a.path: a.sha256 for a in c.artifacts if a.role in ("text", "dom")}
        rows.append((c.index, c.kind, c.requested_url, c.final_url, c.title, c.response.status,
                     [a.type for a in c.actions], [(a.path, a.role) for a in c.artifacts],
                     texts, c.warnings, c.error, c.page_height))
    return rows


def test_concurrent_capture_gives_the_same_manifest_as_one_at_a_time(tmp_path, bad_site):
    targets = ["--order", f"{bad_site}/long.html", "--product", f"{bad_site}/redirect",
               "--page", f"{bad_site}/hello.html", "--page", f"{bad_site}/missing"]
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert evidence("capture", *targets, "--jobs", "1", "--no-trace", "-o", serial).returncode == 0
    assert evidence("capture", *targets, "--jobs", "4", "--no-trace", "-o", parallel).returncode == 0
    one, many = load_manifest(serial), load_manifest(parallel)
    assert _comparable(one) == _comparable(many)
    assert [a.path for a in one.artifacts] == [a.path for a in many.artifacts]


def _small_disk(path: Path, size: str) -> bool:
    path.mkdir()
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def test_full_disk_stops_with_one_line_and_a_bundle_that_verifies(tmp_path, bad_site):
    disk = tmp_path / "small-disk"
    if not _small_disk(disk, "700k"):
        pytest.skip("needs root and tmpfs mounts")
    try:
        out = disk / "bundle"
        done = evidence("capture", f"{bad_site}/hello.html", f"{bad_site}/capture/tall.html",
                        f"{bad_site}/long.html", "--jobs", "1", "-o", out)
        assert done.returncode == 1
        assert "No space left on device" in done.stderr and "Traceback" not in done.stderr
        report = verify(out)
        assert report.verdict == "INTACT" and report.complete is False
        assert report.captures >= 1
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_tls_error_is_recorded_and_the_error_page_kept(tmp_path):
    import ssl
    import threading
    from http.server import ThreadingHTTPServer

    from .servers import QuietHandler

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        out = tmp_path / "tls"
        # Time enough for the picture's retries on a loaded machine; an error page
        # loads at once, so this does not slow the test down.
        done = evidence("capture", f"https://127.0.0.1:{server.server_address[1]}/",
                        "--timeout", "30", "--no-trace", "-o", out)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    capture = load_manifest(out).captures[0]
    assert "ERR_CERT" in capture.error
    assert [a.role for a in capture.artifacts] == ["screenshot"], capture.warnings
    assert png_size((out / capture.artifacts[0].path).read_bytes())[0] == 1280
    assert verify(out).verdict == "INTACT"


def test_error_page_picture_that_cannot_be_taken_is_retried_then_stated(tmp_path):
    import asyncio

    from capture.pages import ERROR_SHOT_TRIES, _error_page_picture

    from .chat_site import new_recorder
    from .test_chat import AsyncChromium

    rec = new_recorder(tmp_path, "https://127.0.0.1:1/")

    async def run(browser):
        context = await browser.new_context()
        page = await context.new_page()
        await context.close()  # from now on every picture of the page fails
        await _error_page_picture(page, rec, asyncio.get_running_loop().time() + 2)

    driver = AsyncChromium()
    try:
        driver.run(run(driver.browser))
    finally:
        driver.close()
    assert rec.capture.artifacts == []
    [warning] = rec.capture.warnings
    assert warning.startswith("the browser's error page could not be pictured (") and "closed" in warning
    attempts = int(warning.split("(", 1)[1].split(" ", 1)[0])
    assert 2 <= attempts <= ERROR_SHOT_TRIES
    assert rec.capture.actions[-1].type == "screenshot" and rec.capture.actions[-1].outcome == "failed"
