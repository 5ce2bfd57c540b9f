"""The buyer's whole job ends in a complaint form: `evidence demo`, then `pack --max-mb N`.

Every uploaded file within the form's limit, the parts verify as the bundle, a missing
part is named, the report is short enough to read and small enough to attach."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from capture.bundle import sha256_hex
from capture.cli import main
from capture.manifest import Manifest
from capture.pack import MB
from capture.verify import verify

from .chat_site import chat_site


def _evidence(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "capture", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def _page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True,
                          text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def demo(demo_run) -> Path:
    return demo_run[0]


def _fingerprint(root: Path) -> str:
    return sha256_hex((root / "manifest.json").read_bytes())


def test_demo_report_is_at_most_20_pages_and_2_mb_in_jpeg(demo):
    report = demo / "report.pdf"
    assert _pages(report) <= 20 and report.stat().st_size <= 2 * MB
    listing = subprocess.run(["pdfimages", "-list", str(report)], capture_output=True, check=True,
                             text=True).stdout.splitlines()[2:]
    assert listing and {line.split()[8] for line in listing} == {"jpeg"}


def test_demo_trace_keeps_actions_snapshots_and_network_but_no_screencast(demo):
    with zipfile.ZipFile(demo / "trace.zip") as trace:
        names = trace.namelist()
        events = trace.read("trace.trace")
    assert not [n for n in names if n.endswith((".jpeg", ".jpg"))]
    assert b"screencast-frame" not in events
    assert b'"type":"frame-snapshot"' in events and b'"type":"before"' in events
    assert "trace.network" in names
    manifest = Manifest.model_validate_json((demo / "manifest.json").read_bytes())
    assert manifest.trace_screenshots is False


@pytest.mark.parametrize("max_mb", [10, 2])
def test_demo_packed_for_upload_fits_verifies_and_names_a_missing_part(demo, tmp_path, max_mb):
    out = tmp_path / "upload"
    result = CliRunner().invoke(main, ["pack", str(demo), "--max-mb", str(max_mb), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert all(f.stat().st_size <= max_mb * MB for f in out.iterdir()), result.output
    assert (out / "report.pdf").read_bytes() == (demo / "report.pdf").read_bytes()
    zips = sorted(out.glob("*.zip"), key=lambda p: [int(n) for n in re.findall(r"\d+", p.stem)])
    fingerprint = _fingerprint(demo)
    assert verify(zips, expect=fingerprint).verdict == "INTACT"
    if max_mb == 10:
        assert [z.name for z in zips] == ["bundle.zip"]
        return
    assert len(zips) >= 3 and [z.name for z in zips] == [f"bundle.part{k}.zip" for k in range(1, len(zips) + 1)]
    checked = CliRunner().invoke(main, ["verify", *map(str, zips), "--expect", fingerprint])
    assert checked.exit_code == 0 and checked.output.strip().splitlines()[-1].startswith("INTACT")
    without = CliRunner().invoke(main, ["verify", *(str(z) for z in zips if z.name != "bundle.part2.zip")])
    assert without.exit_code == 1
    assert f"part 2 of {len(zips)} is missing" in without.output.strip().splitlines()[-1]


def test_a_report_over_the_limit_is_printed_again_in_parts_that_say_so(demo, tmp_path):
    out = tmp_path / "upload"
    result = CliRunner().invoke(main, ["pack", str(demo), "--max-mb", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    pieces = sorted(out.glob("report-*.pdf"), key=lambda p: int(p.stem.split("-")[1]))
    assert len(pieces) >= 2 and not (out / "report.pdf").exists()
    fingerprint, total = _fingerprint(demo), _pages(demo / "report.pdf")
    numbers = []
    for k, piece in enumerate(pieces, 1):
        assert piece.stat().st_size <= 1 * MB
        for text in _page_texts(piece):
            assert f"Report part {k} of {len(pieces)}" in text and fingerprint in text
            numbers.append(int(re.search(rf"(\d+)\s*/\s*{total}\s*$", text.rstrip()).group(1)))
    assert numbers == list(range(1, total + 1))  # every page of the report, once, in order
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert f"report part 1 of {len(pieces)}, pages 1–" in readme


def test_a_600_message_chat_report_is_at_most_40_pages_in_order(tmp_path):
    with chat_site() as (url, _):
        _evidence("capture", "--chat", url + "/lazy.html?n=600&delay=0", "--no-trace", "-o", "chat",
                  cwd=tmp_path)
    root = tmp_path / "chat"
    assert _pages(root / "report.pdf") <= 40
    html = (root / "report.html").read_text(encoding="utf-8")
    segments = re.findall(r'<figure class="segment"[^>]*><figcaption><span class="mono">([^<]+)</span>', html)
    manifest = Manifest.model_validate_json((root / "manifest.json").read_bytes())
    assert segments == [a.path for a in manifest.captures[0].artifacts if a.role == "chat_segment"]
    transcript = html[html.index('<div class="transcript">'):]
    ids = [int(n) for n in re.findall(r"#m(\d{4})", transcript)]
    assert ids == list(range(1, 601))


def test_a_plan_can_ask_for_the_trace_screencast_and_the_manifest_says_so(tmp_path):
    from .servers import serve

    with serve() as site:
        plan = tmp_path / "plan.toml"
        plan.write_text(f'trace_screenshots = true\n\n[[target]]\nurl = "{site}/hello.html"\n', encoding="utf-8")
        _evidence("capture", "--plan", str(plan), "--no-report", "-o", "out", cwd=tmp_path)
    manifest = Manifest.model_validate_json((tmp_path / "out/manifest.json").read_bytes())
    assert manifest.trace_screenshots is True
    with zipfile.ZipFile(tmp_path / "out/trace.zip") as trace:
        assert b"screencast-frame" in trace.read("trace.trace")
