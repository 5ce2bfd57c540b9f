"""`evidence capture --tsa`: a real local TSA, the real openssl, the whole bundle."""

from __future__ import annotations

import subprocess
import sys

from capture.manifest import Manifest
from capture.verify import verify

from .tsa import local_tsa, tsa_material  # noqa: F401 - pytest fixtures

EVIDENCE = [sys.executable, "-m", "capture"]


def capture(*args):
    return subprocess.run([*EVIDENCE, "capture", *map(str, args)], capture_output=True, text=True, timeout=240)


def test_capture_with_tsa_gives_a_token_openssl_accepts_and_the_report_shows_it(tmp_path, site, local_tsa):  # noqa: F811
    out = tmp_path / "stamped"
    done = capture(f"{site}/hello.html", "--tsa", local_tsa.url, "--no-trace", "-o", out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "manifest.json.tsr").is_file()
    openssl = subprocess.run(
        ["openssl", "ts", "-verify", "-data", "manifest.json", "-in", "manifest.json.tsr",
         "-CAfile", str(local_tsa.ca)], cwd=out, capture_output=True, text=True,
    )
    assert openssl.returncode == 0 and "Verification: OK" in openssl.stdout
    report = verify(out, tsa_cas=[local_tsa.ca])
    assert report.verdict == "INTACT"
    assert [t.status for t in report.timestamps] == ["ok"] and report.timestamps[0].chain_verified
    assert "manifest.json.tsr" in (out / "SHA256SUMS").read_text()
    html = (out / "report.html").read_text("utf-8")
    assert report.timestamps[0].serial and report.timestamps[0].serial in html
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True).returncode == 0

    # An edited manifest no longer matches its token: ALTERED.
    manifest = Manifest.model_validate_json((out / "manifest.json").read_bytes())
    manifest.case.note = "edited later"
    (out / "manifest.json").write_bytes(manifest.to_json_bytes())
    after = verify(out, tsa_cas=[local_tsa.ca])
    assert after.verdict == "ALTERED" and after.timestamps[0].status == "altered"


def test_failing_tsa_keeps_the_bundle_and_says_how_to_retry(tmp_path, site, local_tsa):  # noqa: F811
    out = tmp_path / "unstamped"
    done = capture(f"{site}/hello.html", "--tsa", local_tsa.url_for("error"), "--no-trace", "-o", out)
    assert done.returncode == 0, done.stderr
    assert "evidence stamp" in done.stdout
    assert not (out / "manifest.json.tsr").exists()
    assert verify(out).verdict == "INTACT"
