"""`evidence verify` reads a zip the way a hostile party would write it: only stored and
deflate entries, no entry read past what it declares, and every byte of the file
accounted for by the central directory. Hostile zips are built byte by byte here
(zipfile will not write them); clean ones come from evidence pack, zipfile and Info-ZIP.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from capture.manifest import VerificationReport
from capture.pack import pack
from capture.verify import verify
from capture.zipsource import ZipReader

from .bundles import PNG_SIGNATURE, bundle_files, make_bundle

SHOT = "captures/01-order/screenshot.png"
STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14
GIB = 1 << 30
# LZMA has no block structure to repeat, so this one is really compressed (seconds per GiB):
# 256 MiB is still more than the memory bound below, had verify inflated it.
LZMA_BYTES = 256 << 20
MAX_RSS = 200 * 1000 * 1000
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def bundle(tmp_path) -> Path:
    return make_bundle(tmp_path / "bundle")


def checks(report: VerificationReport, status: str) -> dict[str, str]:
    return {c.path: c.detail for c in report.files if c.status == status}


def zip_problems(report: VerificationReport) -> list[str]:
    return [p for p in report.problems if "zip" in p]


def unaccounted(length: int, at: int, hint: str = "a hidden entry?") -> str:
    return f"{length} bytes at offset {at} of the zip are not accounted for by its directory ({hint})"


# --- a zip writer that does what it is told -----------------------------------------------------


@dataclass
class Entry:
    """One entry as written: every field is what a hostile writer chooses to declare."""

    name: str
    payload: bytes  # the bytes after the local header
    size: int  # declared uncompressed size
    crc: int
    method: int = DEFLATED
    compressed: int | None = None  # declared compressed size, when it is not len(payload)
    flags: int = 0
    local_name: str | None = None  # the local header names it differently
    descriptor: str | None = None  # a data descriptor of 16, 12, 24 or 20 bytes
    zip64: bool = False
    extra: bytes = b""
    listed: bool = True  # in the central directory
    written: bool = True  # its local header and data are in the file
    at: Callable[[list[Entry]], int] | None = None  # where the directory says it starts
    start: int = -1  # filled in by build()
    data_start: int = -1
    end: int = -1


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def entry(name: str, data: bytes, method: int = DEFLATED, **fields) -> Entry:
    payload = data if method == STORED else _deflate(data)
    return Entry(name, payload, len(data), zlib.crc32(data), method, **fields)


def bundle_entries(root: Path, method: int = DEFLATED) -> list[Entry]:
    return [entry(rel, (root / rel).read_bytes(), method) for rel in bundle_files(root)]


def _compressed(e: Entry) -> int:
    return len(e.payload) if e.compressed is None else e.compressed


def local_record(e: Entry) -> bytes:
    name = (e.local_name or e.name).encode()
    crc, compressed, size, extra = e.crc, _compressed(e), e.size, e.extra
    if e.descriptor:
        crc = compressed = size = 0
    if e.zip64:
        extra = struct.pack("<HHQQ", 1, 16, size, compressed) + extra
        compressed = size = 0xFFFFFFFF
    flags = e.flags | (0x8 if e.descriptor else 0)
    header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 45 if e.zip64 else 20, flags, e.method,
                         0, 0x5B21, crc, compressed, size, len(name), len(extra))
    return header + name + extra + e.payload


def _descriptor(e: Entry) -> bytes:
    width = "Q" if e.descriptor in ("24", "20") else "I"
    body = struct.pack(f"<I{width}{width}", e.crc, _compressed(e), e.size)
    return b"PK\x07\x08" + body if e.descriptor in ("16", "24") else body


def _central(e: Entry, offset: int) -> bytes:
    name, extra = e.name.encode(), e.extra
    compressed, size = _compressed(e), e.size
    if e.zip64:
        extra = struct.pack("<HHQQQ", 1, 24, size, compressed, offset) + extra
        compressed = size = offset = 0xFFFFFFFF
    flags = e.flags | (0x8 if e.descriptor else 0)
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 0x314, 45 if e.zip64 else 20, flags,
                       e.method, 0, 0x5B21, e.crc, compressed, size, len(name), len(extra), 0, 0, 0,
                       0o100644 << 16, offset) + name + extra


def build(path: Path, items: list[Entry | bytes], *, prefix: bytes = b"", trailing: bytes = b"",
          comment: bytes = b"", zip64_end: bool = False, relative: bool = False, disk: int = 0,
          count: int | None = None, before_directory: bytes = b"", before_end: bytes = b"") -> Path:
    """Write items (entries, or raw bytes between them) as a zip; relative=True leaves the
    prefix out of every offset, as `cat stub a.zip` does."""
    out = bytearray(prefix)
    base = len(prefix) if relative else 0
    entries = [item for item in items if isinstance(item, Entry)]
    for item in items:
        if isinstance(item, bytes):
            out += item
        elif item.written:
            item.start = len(out)
            out += local_record(item)
            item.data_start = item.start + len(local_record(item)) - len(item.payload)
            out += _descriptor(item) if item.descriptor else b""
            item.end = len(out)
    out += before_directory
    directory_at = len(out)
    listed = [e for e in entries if e.listed]
    for e in listed:
        out += _central(e, (e.at(entries) if e.at else e.start) - base)
    size = len(out) - directory_at
    n = len(listed) if count is None else count
    out += before_end
    if zip64_end:
        end64 = len(out)
        out += struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, disk, disk, n, n, size, directory_at - base)
        out += struct.pack("<4sIQI", b"PK\x06\x07", disk, end64 - base, 1)
        n, size, directory_at, base = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", disk, disk, n, n, size, directory_at - base, len(comment))
    path.write_bytes(bytes(out + comment + trailing))
    return path


# --- honest bombs ------------------------------------------------------------------------------


def _bzip2_zeros(total: int, block: int = 8 << 20) -> bytes:
    """A real bzip2 stream of `total` zero bytes, a few KB long, made in milliseconds: one
    compressed block of zeros repeated bit for bit, under the combined stream CRC."""
    one = bz2.compress(bytes(block), 9)
    bits, length = int.from_bytes(one, "big"), len(one) * 8
    end_magic = 0x177245385090
    pad = next(p for p in range(8) if (bits >> (p + 32)) & (2**48 - 1) == end_magic)
    block_bits = length - pad - 80 - 32  # stream = "BZh9", block, end magic, CRC, padding
    body = (bits >> (pad + 80)) & (2**block_bits - 1)
    block_crc = (body >> (block_bits - 80)) & 0xFFFFFFFF
    stream, combined = int.from_bytes(b"BZh9", "big"), 0
    for _ in range(total // block):
        stream = (stream << block_bits) | body
        combined = (((combined << 1) | (combined >> 31)) & 0xFFFFFFFF) ^ block_crc
    stream = (((stream << 48) | end_magic) << 32) | combined
    bit_length = 32 + (total // block) * block_bits + 80
    stream <<= -bit_length % 8
    return stream.to_bytes((bit_length + 7) // 8, "big")


_LZMA1 = {"id": lzma.FILTER_LZMA1, "dict_size": 1 << 16, "lc": 3, "lp": 0, "pb": 2}


def _lzma_zeros(total: int) -> bytes:
    """zip's LZMA layout (version, properties) then raw LZMA1 of `total` zeros with an end marker."""
    fast = dict(_LZMA1, mode=lzma.MODE_FAST, nice_len=273, mf=lzma.MF_HC4, depth=1)
    compressor = lzma.LZMACompressor(format=lzma.FORMAT_RAW, filters=[fast])
    chunk = bytes(1 << 20)
    parts = [compressor.compress(chunk) for _ in range(total // len(chunk))] + [compressor.flush()]
    properties = bytes([(2 * 5 + 0) * 9 + 3]) + _LZMA1["dict_size"].to_bytes(4, "little")
    return struct.pack("<BBH", 9, 4, len(properties)) + properties + b"".join(parts)


def _zeros_crc(total: int) -> int:
    crc, chunk = 0, bytes(1 << 20)
    for _ in range(total // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    return crc


def _inflates_at_least(method: int, payload: bytes, wanted: int) -> bool:
    """The standard decompressor gets `wanted` zero bytes out of the payload (and is stopped there)."""
    if method == BZIP2:
        out = bz2.BZ2Decompressor().decompress(payload, wanted)
    else:
        out = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=[_LZMA1]).decompress(payload[9:], wanted)
    return len(out) == wanted and not out.strip(b"\x00")


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[int, tuple[Path, Entry]]:
    """A real bundle's zip whose screenshot entry is a bzip2 (1 GiB) or LZMA (256 MiB) bomb."""
    root = make_bundle(tmp_path_factory.mktemp("bombs") / "bundle")
    made = {}
    for method, payload, size, flags in ((BZIP2, _bzip2_zeros(GIB), GIB, 0),
                                         (LZMA, _lzma_zeros(LZMA_BYTES), LZMA_BYTES, 0x2)):
        bomb = Entry(SHOT, payload, size, _zeros_crc(size), method, flags=flags)
        items = [bomb if e.name == SHOT else e for e in bundle_entries(root)]
        made[method] = (build(root.parent / f"bomb-{method}.zip", items), bomb)
    return made


def _refusal(method: int) -> str:
    name = {BZIP2: "bzip2", LZMA: "LZMA"}.get(method) or {9: "Deflate64", 93: "Zstandard", 95: "XZ"}.get(
        method, "an unknown method")
    return (f"is compressed with {name} (zip method {method}); verify reads only stored and deflate "
            "entries, as evidence pack writes them, and did not decompress it")


@pytest.mark.parametrize("method", [BZIP2, LZMA])
def test_bomb_entry_is_refused_by_its_method_never_decompressed(bombs, method):
    path, bomb = bombs[method]
    assert path.stat().st_size < 200_000
    assert _inflates_at_least(method, bomb.payload, 64 << 20)  # a real bomb, by the standard library
    report = verify(path)
    assert report.verdict == "INVALID"
    assert checks(report, "unreadable") == {SHOT: _refusal(method)}
    assert checks(report, "altered") == {} and zip_problems(report) == []


_MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, timeout=300)\n"
    "sys.stdout.buffer.write(done.stdout)\n"
    "print()\n"
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _verify_in_child(path: Path) -> tuple[int, int, VerificationReport]:
    """(exit code, peak RSS in bytes, report) of `evidence verify --json` run as its own process.

    Measured from a fresh middle process, so no other child of the test run counts.
    """
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "capture", "verify", "--json", str(path)]
    done = subprocess.run(command, capture_output=True, timeout=600, cwd=REPO, check=True,
                          env=dict(os.environ, EVIDENCE_LANG="en"))
    *body, last = done.stdout.decode().rstrip("\n").split("\n")
    code, rss = (int(part) for part in last.split())
    return code, rss * (1 if sys.platform == "darwin" else 1024), VerificationReport.model_validate_json("\n".join(body))


@pytest.mark.skipif(sys.platform == "win32", reason="needs resource.getrusage")
@pytest.mark.parametrize("method", [BZIP2, LZMA])
def test_evidence_verify_on_a_bomb_exits_1_within_200_mb(bombs, method):
    code, rss, report = _verify_in_child(bombs[method][0])
    assert code == 1
    assert report.verdict == "INVALID"
    assert checks(report, "unreadable") == {SHOT: _refusal(method)}
    assert rss < MAX_RSS, f"peak RSS {rss} bytes"


@pytest.mark.parametrize("method", [9, 93, 95, 77])
def test_other_compression_methods_are_refused_by_name(bundle, tmp_path, method):
    items = [Entry(SHOT, os.urandom(300), 3000, 0, method) if e.name == SHOT else e for e in bundle_entries(bundle)]
    report = verify(build(tmp_path / "method.zip", items))
    assert report.verdict == "INVALID"
    assert checks(report, "unreadable") == {SHOT: _refusal(method)}


@pytest.mark.parametrize("how", ["flag", "aes"])
def test_encrypted_entry_stays_refused(bundle, tmp_path, how):
    items = bundle_entries(bundle)
    shot = next(e for e in items if e.name == SHOT)
    if how == "flag":
        shot.flags = 0x1
    else:
        shot.method = 99
    report = verify(build(tmp_path / "encrypted.zip", items))
    assert report.verdict == "INVALID"
    assert checks(report, "unreadable") == {SHOT: "is encrypted"}


def test_deflate_entry_is_not_read_past_its_declared_size(bundle, tmp_path):
    zeros = _deflate(bytes(64 << 20))  # 64 MiB of output, declared as 1000 bytes
    items = [Entry(SHOT, zeros, 1000, 0) if e.name == SHOT else e for e in bundle_entries(bundle)]
    report = verify(build(tmp_path / "lie.zip", items))
    assert report.verdict == "INVALID"
    assert checks(report, "unreadable") == {SHOT: "inflates to more than the 1000 bytes the zip declares"}


def test_bytes_hidden_after_a_deflate_stream_inside_an_entry_are_invalid(bundle, tmp_path):
    items = bundle_entries(bundle)
    shot = next(e for e in items if e.name == SHOT)
    shot.payload += b"hidden"
    report = verify(build(tmp_path / "tail.zip", items))
    assert report.verdict == "INVALID"
    assert checks(report, "unreadable") == {SHOT: "holds 6 bytes after the end of its deflate data (hidden data?)"}


# --- bytes the central directory does not account for -------------------------------------------


def test_local_entry_smuggled_between_two_entries_is_invalid(bundle, tmp_path):
    items = bundle_entries(bundle)
    forged = entry(SHOT, PNG_SIGNATURE + b"the seller's version", listed=False)
    items.insert(1, forged)
    path = build(tmp_path / "smuggled.zip", items)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # zipfile sees nothing wrong with it
    report = verify(path)
    assert report.verdict == "INVALID"
    hint = f"a hidden entry named '{SHOT}', which zip readers that read local headers would show"
    assert zip_problems(report) == [unaccounted(forged.end - forged.start, forged.start, hint)]
    assert checks(report, "altered") == {}


@pytest.mark.parametrize("relative", [False, True], ids=["offsets-count-the-stub", "cat-stub-zip"])
def test_bytes_prepended_to_the_zip_are_invalid(bundle, tmp_path, relative):
    stub = b"MZ" + bytes(510)  # as a self-extractor's program would sit in front
    path = build(tmp_path / "sfx.zip", bundle_entries(bundle), prefix=stub, relative=relative)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    report = verify(path)
    assert report.verdict == "INVALID"
    assert zip_problems(report) == [unaccounted(512, 0)]
    assert checks(report, "altered") == {} and checks(report, "unreadable") == {}


@pytest.mark.parametrize("comment", [b"", b"packed by the buyer"])
def test_junk_after_the_end_record_is_invalid(bundle, tmp_path, comment):
    path = build(tmp_path / "junk.zip", bundle_entries(bundle), comment=comment, trailing=b"PK\x03\x04junk")
    report = verify(path)
    assert report.verdict == "INVALID"
    size = path.stat().st_size
    assert zip_problems(report) == [unaccounted(8, size - 8, "data added after the zip's end record")]


@pytest.mark.parametrize("where", ["before_directory", "before_end"])
def test_bytes_around_the_central_directory_are_invalid(bundle, tmp_path, where):
    items = bundle_entries(bundle)
    path = build(tmp_path / "gap.zip", items, **{where: b"\x00" * 100})
    directory = sum(len(_central(e, e.start)) for e in items)
    at = items[-1].end if where == "before_directory" else items[-1].end + directory
    report = verify(path)
    assert report.verdict == "INVALID"
    assert zip_problems(report) == [unaccounted(100, at)]


def test_local_header_naming_another_file_is_invalid(bundle, tmp_path):
    items = bundle_entries(bundle)
    next(e for e in items if e.name == SHOT).local_name = "captures/01-order/screenshot-2.png"
    report = verify(build(tmp_path / "names.zip", items))
    assert report.verdict == "INVALID"
    assert checks(report, "unsafe") == {
        SHOT: "its local header names it 'captures/01-order/screenshot-2.png': zip readers that read "
              "local headers (streaming ones, such as Java's) would see another file"
    }


def test_two_directory_entries_on_one_local_header_are_refused(bundle, tmp_path):
    items = bundle_entries(bundle)
    twin = next(e for e in items if e.name == SHOT)
    items.append(Entry(SHOT, twin.payload, twin.size, twin.crc, written=False,
                       at=lambda entries: twin.start))
    path = build(tmp_path / "twins.zip", items)
    with ZipReader(path) as reader:
        shots = [e for e in reader.entries if e.name == SHOT]
        assert [e.problem for e in shots] == [("unsafe", f"shares bytes of the zip with entry '{SHOT}'")] * 2
    report = verify(path)
    assert report.verdict == "INVALID"
    assert SHOT in checks(report, "unsafe")


def test_entry_hidden_inside_another_entrys_data_is_refused(bundle, tmp_path):
    items = [e for e in bundle_entries(bundle) if e.name != SHOT]
    forged = entry(SHOT, PNG_SIGNATURE + b"the seller's version", written=False)
    carrier = entry("captures/01-order/notes.bin", local_record(forged), STORED)
    forged.at = lambda entries: carrier.data_start
    path = build(tmp_path / "nested.zip", [carrier, *items, forged])
    with zipfile.ZipFile(path) as archive:
        assert archive.read(SHOT).endswith(b"the seller's version")  # what zipfile would hand out
    report = verify(path)
    assert report.verdict == "INVALID"
    assert checks(report, "unsafe") == {
        SHOT: "shares bytes of the zip with entry 'captures/01-order/notes.bin'",
        "captures/01-order/notes.bin": f"shares bytes of the zip with entry '{SHOT}'",
    }


@pytest.mark.parametrize("delta", [+40, -40])
def test_stored_entry_whose_sizes_lie_is_invalid(bundle, tmp_path, delta):
    """Sizes that agree with each other but not with the bytes written: the entry either
    swallows the next local header or leaves bytes that belong to nothing."""
    items = bundle_entries(bundle, STORED)
    index = next(i for i, e in enumerate(items) if e.name == SHOT)
    shot, following = items[index], items[index + 1]
    shot.compressed = shot.size = len(shot.payload) + delta
    report = verify(build(tmp_path / "sizes.zip", items))
    assert report.verdict == "INVALID"
    if delta > 0:
        assert checks(report, "unsafe") == {
            SHOT: f"shares bytes of the zip with entry '{following.name}'",
            following.name: f"shares bytes of the zip with entry '{SHOT}'",
        }
    else:
        assert zip_problems(report) == [unaccounted(40, shot.end - 40)]


def test_multi_disk_zip_is_refused(bundle, tmp_path):
    report = verify(build(tmp_path / "disk.zip", bundle_entries(bundle), disk=1))
    assert report.verdict == "INVALID"
    assert report.problems == ["disk.zip spans several disks (a split or spanned zip); verify reads only "
                               "single-file zips, such as evidence pack writes"]


def test_end_record_miscounting_the_directory_is_invalid(bundle, tmp_path):
    items = bundle_entries(bundle)
    report = verify(build(tmp_path / "count.zip", items, count=len(items) - 1))
    assert report.verdict == "INVALID"
    assert zip_problems(report) == [
        f"the zip's end record counts {len(items) - 1} entries, but its directory holds {len(items)}"
    ]


def test_end_records_pointing_at_different_directories_are_invalid(bundle, tmp_path):
    """A reader that knows no zip64 follows the plain end record: it must not lead elsewhere."""
    path = build(tmp_path / "two-ends.zip", bundle_entries(bundle), zip64_end=True)
    data = bytearray(path.read_bytes())
    data[-22 + 16 : -22 + 20] = (0).to_bytes(4, "little")  # the plain record's directory offset
    path.write_bytes(bytes(data))
    report = verify(path)
    assert report.verdict == "INVALID"
    assert zip_problems(report) == [
        "the zip's end record and its zip64 end record disagree (zip tools would read different directories)"
    ]


def test_data_descriptor_that_disagrees_is_invalid(bundle, tmp_path):
    items = bundle_entries(bundle)
    shot = next(e for e in items if e.name == SHOT)
    shot.descriptor = "16"
    path = build(tmp_path / "descriptor.zip", items)
    data = bytearray(path.read_bytes())
    data[shot.end - 4] ^= 0x01  # the descriptor's uncompressed size
    path.write_bytes(bytes(data))
    report = verify(path)
    assert report.verdict == "INVALID"
    assert checks(report, "unsafe") == {
        SHOT: "its data descriptor (after its data) does not repeat what the zip's directory says"
    }


def test_name_that_reads_differently_in_info_zip_is_invalid(bundle, tmp_path):
    items = bundle_entries(bundle)
    shot = next(e for e in items if e.name == SHOT)
    other = b"captures/01-order/other.png"
    shot.extra = struct.pack("<HHB", 0x7075, 5 + len(other), 1) + struct.pack("<I", zlib.crc32(SHOT.encode())) + other
    report = verify(build(tmp_path / "unicode.zip", items))
    assert report.verdict == "INVALID"
    assert "in its Unicode path field, 'captures/01-order/other.png'" in checks(report, "unsafe")[SHOT]


# --- zips that must stay INTACT ----------------------------------------------------------------


@pytest.mark.parametrize("descriptor", [None, "16", "12", "24", "20"])
@pytest.mark.parametrize("zip64", [False, True])
def test_hand_made_zip_with_descriptors_and_zip64_is_intact(bundle, tmp_path, descriptor, zip64):
    items = bundle_entries(bundle)
    for e in items:
        e.descriptor, e.zip64 = descriptor, zip64 or descriptor in ("24", "20")
    path = build(tmp_path / "layout.zip", items, zip64_end=zip64, comment=b"a comment")
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    report = verify(path)
    assert report.verdict == "INTACT", report
    assert zip_problems(report) == []


class _Unseekable(io.RawIOBase):
    """A pipe, as zipfile sees it: it then writes data descriptors."""

    def __init__(self, target):
        self.target = target

    def writable(self):
        return True

    def write(self, data):
        return self.target.write(data)


def _zipfile_written(root: Path, out: Path, force_zip64: bool, seekable: bool = False) -> None:
    """Through zipfile's open(..., "w"), as evidence pack writes; force_zip64 as for a file over 4 GiB."""
    with open(out, "wb") as target, zipfile.ZipFile(
            target if seekable else _Unseekable(target), "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in bundle_files(root):
            with archive.open(rel, "w", force_zip64=force_zip64) as dst:
                dst.write((root / rel).read_bytes())


def _run(command: str, cwd: Path) -> None:
    subprocess.run(command, shell=True, cwd=cwd, check=True, timeout=120, capture_output=True)


MAKERS = {
    "evidence-pack": lambda root, out: pack(root, out),
    "python-zipfile-cli": lambda root, out: _run(f"{sys.executable} -m zipfile -c {out} {root.name}/", root.parent),
    "zipfile-zip64-local-headers": lambda root, out: _zipfile_written(root, out, True, seekable=True),
    "zipfile-streamed": lambda root, out: _zipfile_written(root, out, False),
    "zipfile-streamed-zip64": lambda root, out: _zipfile_written(root, out, True),
    "info-zip-inside": lambda root, out: _run(f"zip -qr {out} .", root),
    "info-zip-parent": lambda root, out: _run(f"zip -qr {out} {root.name}", root.parent),
    "info-zip-pipe": lambda root, out: _run(f"zip -qr - . | cat > {out}", root),
    "info-zip-descriptors": lambda root, out: _run(f"zip -qr -fd {out} .", root),
    "info-zip-zip64": lambda root, out: _run(f"zip -qr -fz {out} .", root),
    "info-zip-comment": lambda root, out: _run(f"zip -qr {out} . && echo buyer | zip -qz {out}", root),
}


@pytest.mark.parametrize("maker", list(MAKERS))
def test_zip_of_a_real_bundle_made_by_common_tools_is_intact(tmp_path, maker):
    if maker.startswith("info-zip") and shutil.which("zip") is None:
        pytest.skip("Info-ZIP zip is not installed")
    root = make_bundle(tmp_path / "bundle", trace_bytes=300_000)
    out = tmp_path / "made.zip"
    MAKERS[maker](root, out)
    report = verify(out)
    assert report.verdict == "INTACT", (report.problems, [f for f in report.files if f.status != "ok"])
    assert report.files_checked == len(bundle_files(root)) - 1
