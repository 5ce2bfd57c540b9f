"""`evidence pack`: the bundle as one zip, and screenshots cut to a complaint form's size limit.

Zip layout (decided here, read by verify): every bundle file at the zip's top level
under its bundle-relative path with forward slashes (manifest.json, SHA256SUMS,
captures/01-order/screenshot.png, ...), no enclosing folder, no directory entries,
sorted by name, every entry stamped with the capture's start time, so packing the same
bundle twice gives the same bytes. PNG, PDF, zip and other already-compressed files are
stored; the rest is deflated.

Upload folder (`--split-mb N`): each screenshot (screenshots, tiles, chat segments, in
manifest order) becomes a numbered PNG of at most N MB (N x 1,000,000 bytes, so the
limit holds whichever megabyte a form means). A file under the limit is copied byte for
byte; a larger one is cut into bands of whole pixel rows, with no rows repeated or
dropped. index.txt says which original each file came from and that original's SHA-256.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .bundle import MANIFEST, sha256_hex
from .errors import EvidenceError, UsageError
from .manifest import Manifest

STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".pdf", ".zip", ".gz", ".br", ".zst"}
SCREENSHOT_ROLES = ("screenshot", "screenshot_tile", "chat_segment")
MB = 1_000_000
_COPY_BLOCK = 1 << 20


# --- zip -------------------------------------------------------------------------------


def _bundle_files(root: Path) -> list[str]:
    """Every file of the bundle as a relative posix path, refusing anything but files."""
    names = []
    # Bounded by what is on disk; os.walk does not follow directory symlinks.
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in sorted(dirs + files):
            path = here / name
            mode = path.lstat().st_mode
            rel = path.relative_to(root).as_posix()
            if stat.S_ISLNK(mode):
                raise UsageError(f"{rel} in the bundle is a symbolic link; refusing to pack it")
            if stat.S_ISREG(mode):
                names.append(rel)
            elif not stat.S_ISDIR(mode):
                raise UsageError(f"{rel} in the bundle is not a regular file; refusing to pack it")
    return sorted(names)


def _zip_time(root: Path) -> tuple[int, int, int, int, int, int]:
    try:
        started = Manifest.model_validate_json((root / MANIFEST).read_bytes()).started_at
    except (OSError, ValueError):
        return (1980, 1, 1, 0, 0, 0)
    return (
        max(1980, started.year),
        started.month,
        started.day,
        started.hour,
        started.minute,
        started.second,
    )


def _check_bundle(root: Path) -> None:
    if root.is_file() and root.suffix.lower() == ".zip":
        raise UsageError(f"{root} is already a zip")
    if not root.is_dir() or not (root / MANIFEST).is_file():
        raise UsageError(f"{root} is not an evidence bundle directory (no {MANIFEST} in it)")


def default_zip(root: Path) -> Path:
    root = Path(root).resolve()
    return root.with_name(root.name + ".zip")


def default_upload_dir(root: Path) -> Path:
    root = Path(root).resolve()
    return root.with_name(root.name + "-upload")


def pack(root: Path, out: Path | None = None) -> Path:
    """Write the bundle at `root` as a zip (default: `<root>.zip` beside it); returns its path."""
    root = Path(root)
    _check_bundle(root)
    out = Path(out) if out is not None else default_zip(root)
    if out.exists():
        raise UsageError(f"{out} already exists; choose another -o (nothing is overwritten)")
    if out.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"{out} is inside the bundle; write the zip somewhere else")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a directory")
    names = _bundle_files(root)
    when = _zip_time(root)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=when)
                info.create_system = 3  # unix, whatever packs it: same bundle, same bytes
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                stored = Path(name).suffix.lower() in STORED_SUFFIXES
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                source = root.joinpath(*name.split("/"))
                info.file_size = source.stat().st_size
                with open(source, "rb") as src, archive.open(info, "w") as dst:
                    for block in iter(lambda: src.read(_COPY_BLOCK), b""):
                        dst.write(block)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        if out.exists():  # appeared while we were writing: still never overwrite
            raise UsageError(f"{out} already exists; choose another -o (nothing is overwritten)")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


# --- PNG bands -------------------------------------------------------------------------

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks a band needs to look like its original (palette, transparency, colour).
_KEEP = {b"PLTE", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"pHYs"}
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class PngError(ValueError):
    pass


@dataclass
class _Png:
    width: int
    height: int
    ihdr: bytes
    kept: list[tuple[bytes, bytes]]
    rows: list[bytes]  # filtered scanlines, filter byte first
    bpp: int  # bytes per complete pixel, at least 1 (the filters' unit)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _read_png(data: bytes) -> _Png:
    if data[:8] != _SIGNATURE:
        raise PngError("not a PNG")
    pos, ihdr, kept, idat = 8, None, [], []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise PngError("truncated chunk")
        if kind == b"IHDR":
            ihdr = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind in _KEEP and not idat:
            kept.append((kind, body))
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ihdr is None or len(ihdr) != 13 or not idat:
        raise PngError("no image header or data")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    if colour not in _CHANNELS or interlace != 0 or width == 0 or height == 0:
        raise PngError("unsupported PNG (interlaced or unknown colour type)")
    bits = _CHANNELS[colour] * depth
    stride = (width * bits + 7) // 8
    expected = height * (stride + 1)
    # A hostile PNG can inflate to far more than its header claims: never read past that.
    inflater = zlib.decompressobj()
    raw = inflater.decompress(b"".join(idat), expected)
    if len(raw) != expected:
        raise PngError("image data shorter than its header says")
    rows = [raw[i : i + stride + 1] for i in range(0, expected, stride + 1)]
    if any(row[0] > 4 for row in rows):
        raise PngError("unknown row filter")
    return _Png(width, height, ihdr, kept, rows, max(1, bits // 8))


def _unfilter(row: bytes, prev: bytes, bpp: int) -> bytes:
    """One scanline's pixel bytes (filter byte dropped), given the previous one's."""
    kind, line = row[0], bytearray(row[1:])
    if kind == 1:
        for i in range(bpp, len(line)):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 0xFF
    return bytes(line)


class _Bander:
    """Cuts a PNG into bands of rows, re-filtering only the first row of each band.

    Rows filtered Up/Average/Paeth depend on the row above, which a band does not have;
    that one row is decoded (from the nearest self-contained row above it) and stored
    unfiltered. Every other row keeps its original bytes.
    """

    def __init__(self, png: _Png):
        self.png = png
        self._known: tuple[int, bytes] | None = None  # (row index, decoded pixels)

    def _decoded(self, index: int) -> bytes:
        rows, stride = self.png.rows, len(self.png.rows[0]) - 1
        start = index
        while start > 0 and rows[start][0] not in (0, 1):
            start -= 1
        prev = bytes(stride)
        if self._known and start <= self._known[0] <= index:
            start, prev = self._known[0] + 1, self._known[1]
            if self._known[0] == index:
                return prev
        for i in range(start, index + 1):
            prev = _unfilter(rows[i], prev, self.png.bpp)
        self._known = (index, prev)
        return prev

    def band(self, top: int, bottom: int) -> bytes:
        png = self.png
        first = png.rows[top]
        if top > 0 and first[0] not in (0, 1):
            first = b"\x00" + _unfilter(first, self._decoded(top - 1), png.bpp)
        body = first + b"".join(png.rows[top + 1 : bottom])
        ihdr = struct.pack(">II", png.width, bottom - top) + png.ihdr[8:]
        out = [_SIGNATURE, _chunk(b"IHDR", ihdr)]
        out += [_chunk(kind, data) for kind, data in png.kept]
        out += [_chunk(b"IDAT", zlib.compress(body, 9)), _chunk(b"IEND", b"")]
        return b"".join(out)


def png_bands(data: bytes, limit: int) -> list[tuple[int, int, bytes]]:
    """[(first row, end row, PNG bytes)] covering every row once, each PNG <= limit bytes."""
    png = _read_png(data)
    bander = _Bander(png)
    per_row = max(1.0, len(data) / png.height)
    bands, top = [], 0
    while top < png.height:
        rows = max(1, min(png.height - top, int(limit * 0.9 / per_row)))
        for _ in range(32):  # each retry shrinks the band; 32 halvings reach one row
            piece = bander.band(top, top + rows)
            if len(piece) <= limit:
                break
            if rows == 1:
                raise PngError(f"a single pixel row needs {len(piece):,} bytes, over the limit")
            rows = max(1, min(rows - 1, int(rows * limit / len(piece) * 0.95)))
        else:
            raise PngError("could not fit a band under the limit")
        bands.append((top, top + rows, piece))
        top += rows
        per_row = max(1.0, len(piece) / rows)
    return bands


# --- upload folder -----------------------------------------------------------------------


def split_screenshots(root: Path, limit_mb: float, out_dir: Path | None = None) -> Path:
    """Write every screenshot as numbered PNGs of at most `limit_mb` MB, plus index.txt."""
    root = Path(root)
    _check_bundle(root)
    limit = int(limit_mb * MB)
    if limit < 10_000:
        raise UsageError("--split-mb must be at least 0.01 (10 kB)")
    out_dir = Path(out_dir) if out_dir is not None else default_upload_dir(root)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UsageError(f"{out_dir} already exists and is not empty; nothing is overwritten")
    manifest_bytes = (root / MANIFEST).read_bytes()
    try:
        manifest = Manifest.model_validate_json(manifest_bytes)
    except ValueError:
        raise EvidenceError(f"{root / MANIFEST} is not a valid manifest") from None

    from .bundlepath import UnsafePath, bundle_path

    outputs: list[tuple[str, bytes]] = []
    index = [
        "# 截图上传文件 Screenshot files for upload",
        f"# 证据包 Bundle: {root.resolve().name}",
        f"# 指纹 Fingerprint (SHA-256 of manifest.json): {sha256_hex(manifest_bytes)}",
        f"# 每个文件最多 Each file at most {limit:,} bytes ({limit_mb:g} MB)",
        "# 文件 file\t原始文件 original\t像素行 pixel rows\t原始文件 SHA-256 of the original",
    ]
    number = 0
    for artifact in manifest.all_artifacts():
        if artifact.role not in SCREENSHOT_ROLES:
            continue
        try:
            source = root.joinpath(*bundle_path(artifact.path).parts)
        except UnsafePath:
            raise EvidenceError(f"unsafe path in the manifest: {artifact.path!r}") from None
        if source.is_symlink() or not source.is_file():
            raise EvidenceError(
                f"{artifact.path} is missing from the bundle; run `evidence verify`"
            )
        data = source.read_bytes()
        if sha256_hex(data) != artifact.sha256:
            raise EvidenceError(
                f"{artifact.path} does not match the manifest; run `evidence verify`"
            )
        stem = artifact.path.rsplit(".", 1)[0].removeprefix("captures/").replace("/", "-")
        suffix = "." + artifact.path.rsplit(".", 1)[-1].lower() if "." in artifact.path else ""
        if len(data) <= limit:
            number += 1
            name = f"{number:03d}-{stem}{suffix}"
            outputs.append((name, data))
            index.append(f"{name}\t{artifact.path}\tall\t{artifact.sha256}")
            continue
        try:
            bands = png_bands(data, limit)
        except PngError as exc:
            raise UsageError(f"cannot split {artifact.path}: {exc}") from None
        height = bands[-1][1]
        for part, (top, bottom, piece) in enumerate(bands, 1):
            number += 1
            name = f"{number:03d}-{stem}-part{part}of{len(bands)}.png"
            outputs.append((name, piece))
            index.append(
                f"{name}\t{artifact.path}\t{top + 1}-{bottom} of {height}\t{artifact.sha256}"
            )

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in outputs:
        (out_dir / name).write_bytes(data)
    (out_dir / "index.txt").write_text("\n".join(index) + "\n", encoding="utf-8")
    return out_dir


def pack_for_upload(root: Path, out: Path | None = None, split_mb: float | None = None):
    """`evidence pack`: refuse a bundle that does not verify, then zip (and split)."""
    from .verify import verify

    root = Path(root)
    _check_bundle(root)
    zip_path = Path(out) if out is not None else default_zip(root)
    if zip_path.exists():
        raise UsageError(f"{zip_path} already exists; choose another -o (nothing is overwritten)")
    upload = default_upload_dir(root) if split_mb is not None else None
    if upload is not None and upload.exists() and (not upload.is_dir() or any(upload.iterdir())):
        raise UsageError(f"{upload} already exists and is not empty; nothing is overwritten")
    checked = verify(root)
    if checked.verdict != "INTACT":
        raise EvidenceError(
            f"{root} is {checked.verdict}; refusing to pack it (see `evidence verify {root}`)"
        )
    zip_path = pack(root, zip_path)
    if upload is not None:
        split_screenshots(root, split_mb, upload)
    return zip_path, upload, checked.fingerprint
