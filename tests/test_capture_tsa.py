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


def test_capture_with_tsa_gives_a_token_openssl_accepts_over_the_sealed_report(tmp_path, site, local_tsa):  # noqa: F811
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
    assert [t.status for t in report.timestamps] == ["trusted"] and report.timestamps[0].chain_verified
    assert "manifest.json.tsr" in (out / "SHA256SUMS").read_text()
    # The token is made over the manifest that lists the report: the sealed report can
    # only say where it was asked for; the console says what came back.
    html = (out / "report.html").read_text("utf-8")
    assert "requested from 127.0.0.1" in html
    assert f"Timestamp manifest.json.tsr: {report.timestamps[0].time} from {local_tsa.url}" in done.stdout
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True).returncode == 0

    # An edited manifest no longer matches its token: ALTERED.
    manifest = Manifest.model_validate_json((out / "manifest.json").read_bytes())
    manifest.case.note = "edited later"
    (out / "manifest.json").write_bytes(manifest.to_json_bytes())
    after = verify(out, tsa_cas=[local_tsa.ca])
    assert after.verdict == "ALTERED" and after.timestamps[0].status == "invalid"


def test_failing_tsa_keeps_the_bundle_and_says_how_to_retry(tmp_path, site, local_tsa):  # noqa: F811
    out = tmp_path / "unstamped"
    done = capture(f"{site}/hello.html", "--tsa", local_tsa.url_for("error"), "--no-trace", "-o", out)
    assert done.returncode == 0, done.stderr
    assert "evidence stamp" in done.stdout
    assert not (out / "manifest.json.tsr").exists()
    assert verify(out).verdict == "INTACT"
