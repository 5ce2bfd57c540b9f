"""`evidence pack`: a zip that verifies in place, and screenshots cut to an upload limit."""

from __future__ import annotations

import itertools
import random
import struct
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from capture.bundle import BundleWriter, sha256_hex
from capture.cli import main
from capture.manifest import Capture, Manifest, Tool, utc_now
from capture.pack import PngError, pack, png_bands
from capture.png import decode_rows
from capture.verify import verify

from .bundles import bundle_files, fake_environment, make_bundle
from .servers import serve

# --- a PNG encoder for tests: every row filter, so band edges meet each of them --------


def _filtered(kind: int, raw: bytes, prev: bytes, bpp: int) -> bytes:
    out = bytearray(len(raw))
    for i, x in enumerate(raw):
        a = raw[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) >> 1
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (x - pred) & 0xFF
    return bytes(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode_png(rows: list[bytes], width: int, bpp: int = 3, interlace: int = 0) -> bytes:
    """8-bit RGB (bpp 3) or RGBA (bpp 4); row y uses filter y % 5."""
    body, prev = bytearray(), bytes(len(rows[0]))
    for y, raw in enumerate(rows):
        body.append(y % 5)
        body += _filtered(y % 5, raw, prev, bpp)
        prev = raw
    ihdr = struct.pack(">IIBBBBB", width, len(rows), 8, 2 if bpp == 3 else 6, 0, 0, interlace)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"sRGB", b"\x00")
        + _chunk(b"IDAT", zlib.compress(bytes(body)))
        + _chunk(b"IEND", b"")
    )


def noise_rows(width: int, height: int, seed: int, bpp: int = 3) -> list[bytes]:
    rng = random.Random(seed)
    # Half noise, half flat: compressible and incompressible rows, like a real page.
    return [
        rng.randbytes(width * bpp) if (y // 40) % 2 else bytes([y % 256]) * (width * bpp)
        for y in range(height)
    ]


# --- bundles -------------------------------------------------------------------------


def bundle_with_screenshots(root: Path, images: list[tuple[str, str, bytes]]) -> Manifest:
    """A complete bundle whose captures hold the given (path, role, PNG bytes)."""
    writer = BundleWriter.create(root)
    t0 = utc_now()
    manifest = Manifest(
        tool=Tool(version="0.1.0"),
        status="complete",
        started_at=t0,
        finished_at=t0 + timedelta(seconds=5),
        environment=fake_environment(),
    )
    for index, (path, role, data) in enumerate(images, 1):
        capture = Capture(
            index=index, kind="page", requested_url=f"http://127.0.0.1/{index}", started_at=t0
        )
        capture.artifacts.append(writer.write_artifact(path, data, role, "image/png"))
        manifest.captures.append(capture)
    writer.write_manifest(manifest)
    writer.write_sums(manifest)
    return manifest


@pytest.fixture(scope="module")
def order_screenshot(browser) -> bytes:
    """A real full-page screenshot (1280 x ~6100 px, about 1.5 MB) as Chromium encodes it."""
    with serve() as site:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(site + "/report/order.html")
        data = page.screenshot(full_page=True)
        page.close()
    return data


# --- zip -----------------------------------------------------------------------------


def test_packed_zip_verifies_in_place_with_the_bundle_at_its_top(tmp_path):
    root = make_bundle(tmp_path / "case")
    result = CliRunner().invoke(main, ["pack", str(root)])
    assert result.exit_code == 0, result.output
    zip_path = tmp_path / "case.zip"
    assert str(zip_path) in result.output
    report = verify(zip_path)
    assert report.verdict == "INTACT", report.model_dump_json(indent=2)
    assert report.fingerprint == sha256_hex((root / "manifest.json").read_bytes())
    with zipfile.ZipFile(zip_path) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == bundle_files(root)  # sorted, no folder, no dirs
        methods = {i.filename: i.compress_type for i in infos}
    assert methods["manifest.json"] == zipfile.ZIP_DEFLATED
    assert methods["captures/01-order/screenshot.png"] == zipfile.ZIP_STORED


def test_packing_the_same_bundle_twice_gives_identical_zips(tmp_path):
    root = make_bundle(tmp_path / "case")
    first = pack(root, tmp_path / "one.zip")
    second = pack(root, tmp_path / "two.zip")
    assert first.read_bytes() == second.read_bytes()


def test_pack_never_overwrites_an_existing_file(tmp_path):
    root = make_bundle(tmp_path / "case")
    (tmp_path / "case.zip").write_bytes(b"earlier upload")
    result = CliRunner().invoke(main, ["pack", str(root)])
    assert result.exit_code == 2
    assert "already exists" in result.output and len(result.output.strip().splitlines()) == 1
    assert (tmp_path / "case.zip").read_bytes() == b"earlier upload"


def test_pack_refuses_an_altered_bundle_and_writes_nothing(tmp_path):
    root = make_bundle(tmp_path / "case")
    (root / "captures/01-order/text.txt").write_text("edited after capture")
    result = CliRunner().invoke(main, ["pack", str(root), "-o", str(tmp_path / "out.zip")])
    assert result.exit_code == 1
    assert "ALTERED" in result.output
    assert not (tmp_path / "out.zip").exists()


@pytest.mark.parametrize("what", ["missing", "empty-dir"])
def test_pack_refuses_what_is_not_a_bundle(tmp_path, what):
    target = tmp_path / "x"
    if what == "empty-dir":
        target.mkdir()
    result = CliRunner().invoke(main, ["pack", str(target)])
    assert result.exit_code == 2
    assert "not an evidence bundle directory" in result.output


def test_pack_refuses_a_zip_inside_the_bundle(tmp_path):
    root = make_bundle(tmp_path / "case")
    result = CliRunner().invoke(main, ["pack", str(root), "-o", str(root / "me.zip")])
    assert result.exit_code == 2
    assert not (root / "me.zip").exists()


# --- upload folder ---------------------------------------------------------------------


@pytest.mark.parametrize("limit", [30_000, 47_000, 61_000, 90_000])
def test_png_bands_hold_every_row_once_and_fit_the_limit(limit):
    width, height = 100, 700
    rows = noise_rows(width, height, seed=limit)
    bands = png_bands(encode_png(rows, width), limit)
    assert len(bands) >= 2
    assert bands[0][0] == 0 and bands[-1][1] == height
    assert all(bottom == top for (_, bottom, _), (top, _, _) in itertools.pairwise(bands))
    rebuilt = []
    for top, bottom, data in bands:
        assert len(data) <= limit
        w, h, _, band_rows = decode_rows(data)
        assert (w, h) == (width, bottom - top)
        rebuilt.extend(band_rows)
    assert rebuilt == rows


def test_png_bands_refuse_interlaced_images():
    rows = noise_rows(20, 20, seed=1)
    with pytest.raises(PngError):
        png_bands(encode_png(rows, 20, interlace=1), 1000)


def test_split_mb_writes_images_under_the_limit_that_rebuild_the_originals(
    tmp_path, order_screenshot, page
):
    small = encode_png(noise_rows(50, 40, seed=2), 50)
    root = tmp_path / "case"
    bundle_with_screenshots(
        root,
        [
            ("captures/01-order/screenshot.png", "screenshot", order_screenshot),
            ("captures/02-chat/chat-001.png", "chat_segment", small),
        ],
    )
    result = CliRunner().invoke(main, ["pack", str(root), "--split-mb", "0.4"])
    assert result.exit_code == 0, result.output
    upload = tmp_path / "case-upload"
    files = sorted(p.name for p in upload.iterdir() if p.name != "index.txt")
    assert len(files) >= 4 and files[0].startswith("001-01-order-screenshot-part1of")
    assert all((upload / name).stat().st_size <= 400_000 for name in files)
    # A screenshot under the limit is uploaded byte for byte.
    assert (upload / files[-1]).read_bytes() == small

    index = (upload / "index.txt").read_text(encoding="utf-8")
    for name in files:
        line = next(line for line in index.splitlines() if line.startswith(name + "\t"))
        original = line.split("\t")[1]
        assert line.endswith("\t" + sha256_hex((root / original).read_bytes()))

    # Chromium decodes the pieces and the original: stacked, they are the same pixels.
    parts = [name for name in files if "order-screenshot" in name]
    with serve(directory=tmp_path) as site:
        page.goto(site + "/case-upload/index.txt")
        outcome = page.evaluate(
            """async ([original, parts]) => {
                const load = src => new Promise((ok, no) => {
                    const img = new Image(); img.onload = () => ok(img); img.onerror = no; img.src = src; });
                const pixels = img => {
                    const c = document.createElement('canvas');
                    c.width = img.naturalWidth; c.height = img.naturalHeight;
                    const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
                    return ctx.getImageData(0, 0, c.width, c.height).data; };
                const whole = pixels(await load(original));
                let offset = 0, mismatched = 0;
                for (const name of parts) {
                    const piece = pixels(await load(name));
                    for (let i = 0; i < piece.length; i++) if (piece[i] !== whole[offset + i]) mismatched++;
                    offset += piece.length;
                }
                return {mismatched, covered: offset, total: whole.length};
            }""",
            [
                site + "/case/captures/01-order/screenshot.png",
                [site + "/case-upload/" + p for p in parts],
            ],
        )
    assert outcome == {"mismatched": 0, "covered": outcome["total"], "total": outcome["total"]}
