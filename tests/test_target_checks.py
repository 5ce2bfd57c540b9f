"""Per-target environment checks in a real capture: the right clock moment, the real
resolver answer for a named host, and which capture each line is about."""

from __future__ import annotations

import threading
from functools import partial

from capture.manifest import Manifest
from capture.plan import Target
from capture.session import RunOptions, run
from capture.verify import verify

from .servers import SITES, QuietHandler, serve

IMAGE_DELAY_SECONDS = 3.0
# A 1 x 1 transparent PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class SlowImageHandler(QuietHandler):
    """tests/sites/environment, with slow.png held back so the load event comes late."""

    released = threading.Event()  # never set: the wait is the bounded delay itself

    def do_GET(self):  # noqa: N802 - stdlib name
        if self.path.split("?", 1)[0].endswith("/slow.png"):
            self.released.wait(IMAGE_DELAY_SECONDS)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PIXEL)))
            self.end_headers()
            self.wfile.write(PIXEL)
            return
        super().do_GET()


def test_named_host_capture_records_true_resolution_and_clock_lines_for_that_capture(tmp_path):
    out = tmp_path / "bundle"
    handler = partial(SlowImageHandler, directory=str(SITES / "environment"))
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    with serve(handler) as url:
        target = url.replace("127.0.0.1", "localhost") + "/slow.html"
        result = run(RunOptions(targets=[Target(url=target)], out_dir=out, timeout=60,
                                trace=False, hosts_path=hosts))
    assert result.exit_code == 0, result.summary_lines()
    manifest = Manifest.model_validate_json((out / "manifest.json").read_bytes())
    [capture] = manifest.captures
    assert capture.response.server_ip == "127.0.0.1"
    # The load event waited for the image: the capture ended seconds after the response.
    load_at = next(a.at for a in capture.actions if a.type == "load")
    assert (capture.finished_at - load_at).total_seconds() >= IMAGE_DELAY_SECONDS
    checks = manifest.environment.checks
    [resolved] = [c for c in checks if c.name == "name resolution" and c.detail.startswith("capture 1")]
    assert resolved.result == "ok", resolved.detail
    assert resolved.detail.startswith("capture 1 (page), localhost: browser connected to 127.0.0.1")
    assert "which the system resolver also gives" in resolved.detail
    [clock] = [c for c in checks if c.name == "clock"]
    assert clock.result == "ok", clock.detail
    assert clock.detail.startswith("capture 1 (page), local clock agrees with localhost's Date header")
    report = (out / "report.html").read_text("utf-8")
    assert "capture 1 (page), localhost: browser connected to 127.0.0.1" in report
    assert verify(out).verdict == "INTACT"
